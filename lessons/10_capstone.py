# %% [markdown]
# # 10 · Capstone, part 1: from a search to a documented champion
#
# Time to use everything. You will build, on the house prices, the life of one model: a
# tracked hyperparameter search, a registered champion, a model served over REST, and a
# Prefect flow that retrains and promotes only when the new model is better. This part
# takes the first two of the four milestones: the search, and the champion it leaves in the
# registry; part 2 serves that champion and retrains it. Each milestone ends with a check
# that reads the lab back (here the tracking server and the registry); write your code
# where it says `...`, run the check, and move on when it passes. Each milestone has a
# hint; worked solutions are in `solutions/10_capstone.ipynb`.
#
# **You will learn** to put lessons 01–05 together without a recipe: why a model needs
# three sets of houses (train, validation, test); a search tracked as a parent run with
# one child run per candidate; the best model logged with an input example and pinned
# requirements; a registered version documented and named `@champion`.
#
# **Time:** 40 minutes (about 8 to read, 1 to run the cells, 30 for the two milestones:
# about 20 for the search, 10 for the champion).
# **Prerequisites:** lessons 01–07 (what they teach: the capstone has an experiment and a
# model of its own, and needs none of their runs).
#
# **On the map** (lesson 00): all of it, from runs to `@champion`.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %% [markdown]
# ## Three sets of houses, three jobs
#
# - **train**: the search fits its candidates here, and compares them by 5-fold
#   cross-validation inside it;
# - **validation**: decides between a champion and a challenger (Milestone 4's gate);
# - **test**: no decision ever sees it; it gives the final champion's score, once, at the end.
#
# A score used to choose is optimistic, because the choice favours whatever happened to
# score well on those houses; only a set kept out of every choice gives an honest estimate.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV

# MLflow saves scikit-learn models with skops, which refuses to load types it was not told
# to trust: tree ensembles need their tree class named.
TREE_TYPES = ["sklearn.tree._tree.Tree"]
# The model's requirements, pinned (lesson 07): `log_model` then skips inferring them in a
# new Python process, its slowest step.
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
# The houses' integer columns make `log_model` warn that integers cannot hold missing values
# (lesson 05). These houses have none, and the served houses are integers too: silence it.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")

X_train, X_validation, X_test, y_train, y_validation, y_test = lab_utils.split_train_validation_test()
client = MlflowClient()
experiment = mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_validation, model.predict(X_validation))))


# %% [markdown]
# The bar to clear: a "model" that predicts the training houses' mean price for every house.

# %% tags=["nbval-check-output"]
baseline_rmse = float(np.sqrt(mean_squared_error(y_validation, np.full(len(y_validation), y_train.mean()))))
print(f"houses: {len(X_train)} train · {len(X_validation)} validation · {len(X_test)} test")
print(f"baseline (mean price) validation RMSE: {lab_utils.format_number(baseline_rmse)} CAD")

# %% [markdown]
# ## Milestone 1 · A tracked search
#
# Search `GradientBoostingRegressor(random_state=42)` over `n_estimators` in `[50, 100]`
# and `max_depth` in `[2, 3]` with 5-fold CV on `X_train`. Track it as a parent run named
# `capstone_search` with one nested child run per candidate (its parameters and `cv_rmse`),
# and on the parent: the best parameters (as `n_estimators` and `max_depth`, or `best_n_estimators`
# and `best_max_depth` as in lesson 02), the best model logged as `model` (with an input
# example, `skops_trusted_types=TREE_TYPES` and `pip_requirements=REQUIREMENTS`) and its
# `validation_rmse` on `X_validation`.
# Put the parent's run id in `search_run_id`.

# %% tags=["exercise"]
search_run_id = ...  # your code here

# %% tags=["solution"]
search = GridSearchCV(GradientBoostingRegressor(random_state=42),
                      {"n_estimators": [50, 100], "max_depth": [2, 3]},
                      cv=5, scoring="neg_mean_squared_error")
with mlflow.start_run(run_name="capstone_search") as parent:
    search.fit(X_train, y_train)
    for i, candidate in enumerate(search.cv_results_["params"]):
        with mlflow.start_run(run_name=f"gbr_{i}", nested=True):
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
    mlflow.log_params(search.best_params_)
    mlflow.log_metric("validation_rmse", validation_rmse(search.best_estimator_))
    mlflow.sklearn.log_model(search.best_estimator_, name="model", input_example=X_train.head(3),
                             skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
search_run_id = parent.info.run_id

# %% [markdown]
# <details><summary>Hint</summary>
#
# `GridSearchCV(..., cv=5, scoring="neg_mean_squared_error")`; inside
# `mlflow.start_run(run_name="capstone_search")`, one `mlflow.start_run(nested=True)` per
# entry of `search.cv_results_["params"]` (`cv_rmse` is `sqrt(-mean_test_score[i])`), then
# `mlflow.sklearn.log_model(search.best_estimator_, name="model", ...)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(search_run_id, "Milestone 1"):
    from lab_utils.grading import lesson_10
    lesson_10.check_milestone_1(search_run_id, experiment_name)

# %% [markdown]
# ## Milestone 2 · A documented champion
#
# Register the search's model as `capstone_precos`, give the version a description that
# gives its validation RMSE (the number, and that it was measured on the validation houses),
# and point the alias `champion` at it. Put the version
# number (a string) in `champion_version`.

# %% tags=["exercise"]
champion_version = ...  # your code here

# %% tags=["solution"]
search_model = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                           filter_string=f"source_run_id = '{search_run_id}'", output_format="list")[0]
registered = mlflow.register_model(search_model.model_uri, model_name)
rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
client.update_model_version(model_name, registered.version,
                            description=f"Gradient boosting from capstone_search; validation RMSE {lab_utils.format_number(rmse)} CAD")
client.set_registered_model_alias(model_name, "champion", registered.version)
champion_version = registered.version

# %% [markdown]
# <details><summary>Hint</summary>
#
# `mlflow.register_model(<the logged model's model_uri>, model_name)` (find it with
# `mlflow.search_logged_models(..., filter_string="source_run_id = '...'")`), then
# `client.update_model_version(..., description=...)` and
# `client.set_registered_model_alias(model_name, "champion", version)`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_version, "Milestone 2"):
    from lab_utils.grading import lesson_10
    lesson_10.check_milestone_2(champion_version, search_run_id, model_name)

# %% [markdown]
# ## Summary
#
# - Three sets of houses, three jobs: train to fit (and to cross-validate a search),
#   validation to choose between models, test to report once, after every choice.
# - A search is one parent run with a nested child run per candidate; the parent keeps the
#   best parameters, the best model and its validation score.
# - `mlflow.search_logged_models(filter_string="source_run_id = '...'")` finds the model a
#   run logged; `register_model` makes it a version, `update_model_version` documents it,
#   and an alias (`@champion`) names the one to use.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/) — versions, aliases,
#   descriptions
# - [Searching logged models](https://mlflow.org/docs/latest/ml/search/search-models)
#
# ## Check your understanding
#
# 1. The search chose its parameters by cross-validation on the training houses. Why does
#    the champion also get a validation RMSE, on other houses?
# 2. Why does the search log one nested child run per candidate instead of one run of its
#    own for each?
# 3. Part 2 loads `models:/capstone_precos@champion`, not `models:/capstone_precos/1`. What
#    does the alias spare the code that loads the model when a better version comes?
# 4. Which server does each milestone's check read, and what could a learner fake if a
#    check compared only local variables?

# %% [markdown] tags=["solution"]
# 1. Cross-validation chose among the search's candidates, so its score is optimistic for
#    the one it chose; the validation RMSE compares the champion with later challengers
#    (part 2's gate) on houses no model was fitted on or chosen by.
# 2. The children sit under their parent: the UI folds them into it, and
#    `tags.mlflow.parentRunId = '...'` finds every candidate of one search (the check of
#    Milestone 1 does), so two searches never mix in one experiment.
# 3. Any change: the code keeps loading `@champion` while the registry moves the alias to
#    the new version (part 2's flow does), and moving it back undoes a promotion.
# 4. 1: the tracking server (the runs, the children, the logged model); 2: the registry
#    (the version, its description, its alias). Compared with local variables, a learner
#    could type the expected values (a run id, a version number) without doing the work.

# %% [markdown]
# Next: **10 · Capstone, part 2**: the champion served over REST, then retrained and
# promoted by a Prefect flow.
