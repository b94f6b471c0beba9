# %% [markdown]
# # 08 · Comparing runs, and six good habits
#
# The DataFlow Lab page ends its tour with two things: how to compare runs in the MLflow UI, and six
# best practices. This lesson walks the UI's comparison step by step on lesson 02's
# candidates, does the same comparison in code, and then shows each practice in a cell of
# its own, with a check that it really happened.
#
# **You will learn** the UI's Compare view; comparing runs with `search_runs`; naming
# experiments; logging every parameter and the datasets a model saw (`mlflow.data`);
# training, validation and test metrics, and which one to choose on; logging diagnostic
# artifacts (confusion matrix, residuals); organising runs with tags; documenting
# registered models.
#
# **Time:** 40 minutes (about 20 to read and follow the UI steps, 1 to run the cells, 15 for
# the exercise).
# **Prerequisites:** 01, 02 and 04.
#
# **On the map** (lesson 00): runs and experiments as the UI shows them.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
runs_to_compare = 3

# %% [markdown]
# ## Comparing runs in the UI
#
# Lesson 02's grid search left one parent run, `grid_search_nested`, and nine child runs,
# `candidate_0` to `candidate_8`: one per pair of `alpha` and `l1_ratio`, each with its
# `cv_rmse` and `train_rmse`. Compare them in the UI:
#
# 1. Open the MLflow UI at http://localhost:5000, switch the toggle at the top left from
#    **GenAI** to **Model training** (this lesson's runs, models and registry are there; GenAI
#    mode holds traces and prompts, lesson 11), and choose **Experiments** in the left bar. The page
#    lists one experiment per lesson, the newest first: `lab_tour` (lesson 00),
#    `meu_experimento` (01–05), `projetos_mlflow` (06), `pipeline_treinamento` (07),
#    `precos_casas_windsor/boas_praticas` (this lesson, once you have run it). The picture
#    was taken after a whole pass through the course, so it also shows `direct_to_s3`
#    (lesson 09's experiment that writes artifacts to the bucket directly), `capstone`
#    (lesson 10) and `_lab_doctor`, where `lab doctor` checks that an artifact reaches the
#    store and comes back (it deletes its runs, so the experiment looks empty). `Default` is
#    the experiment every MLflow server starts with.
#
#    ![The experiments page](../docs/screenshots/01_experiments.png)
#
# 2. Click **meu_experimento**. To see only the candidates, type
#    `attributes.run_name LIKE 'candidate_%'` in the search box and press Enter. The nine
#    candidates of a first pass through lessons 01–04 (each re-run of lesson 02 adds nine
#    more) sit under their parent run `grid_search_nested`, which the search keeps in view:
#    click the **⊞** beside its name to unfold them. The table shows
#    each run's name, creation time, dataset, duration, source and models, but not its
#    parameters or metrics: click **Columns** and tick `cv_rmse` and `train_rmse` under
#    **Metrics**, and `alpha` and `l1_ratio` under **Parameters**, to add them as columns
#    (the picture shows the table before that step).
#
#    ![The candidates of lesson 02](../docs/screenshots/02_runs.png)
#
# 3. Tick the checkboxes of the runs to compare — say the three with the lowest `cv_rmse`
#    (the picture narrows the search first, with `AND metrics.cv_rmse <= …` after the
#    filter): a **Compare** button appears above the table.
#
#    ![Three candidates selected](../docs/screenshots/03_selected.png)
#
# 4. Click **Compare**. The comparison page shows the runs side by side: a
#    parallel-coordinates plot of `alpha`, `l1_ratio` and `cv_rmse`, scatter and contour
#    plots of one against another, and the parameters and metrics in a table.
#
#    ![The comparison page](../docs/screenshots/04_compare.png)
#
# ## The same comparison in code
#
# The UI is for looking; code is for deciding and for the record. Fetch the best
# candidates of lesson 02's search and lay their parameters and metrics side by side, as
# the Compare page does.

# %%
import mlflow

parent = mlflow.search_runs(experiment_names=["meu_experimento"],
                            filter_string="attributes.run_name = 'grid_search_nested'",
                            order_by=["attributes.start_time DESC"], max_results=1)
candidates = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string=f"tags.mlflow.parentRunId = '{parent.run_id[0]}'",
    order_by=["metrics.cv_rmse ASC"], max_results=runs_to_compare,
)
side_by_side = (candidates.set_index("tags.mlflow.runName")
                [["params.alpha", "params.l1_ratio", "metrics.cv_rmse", "metrics.train_rmse"]].T)
side_by_side

# %% [markdown]
# The search chose its winner on the same cross-validation error. The first column must be
# the parameters the parent run recorded as `best_alpha` and `best_l1_ratio`:

# %% tags=["nbval-check-output"]
top = candidates.iloc[0]
chosen = {"alpha": parent["params.best_alpha"][0], "l1_ratio": parent["params.best_l1_ratio"][0]}
print(f"lowest CV RMSE: {top['tags.mlflow.runName']}, alpha={top['params.alpha']}, "
      f"l1_ratio={top['params.l1_ratio']}, {lab_utils.format_number(top['metrics.cv_rmse'])} CAD")
print(f"GridSearchCV's choice: alpha={chosen['alpha']}, l1_ratio={chosen['l1_ratio']}")
assert (top["params.alpha"], top["params.l1_ratio"]) == (chosen["alpha"], chosen["l1_ratio"]), \
    "the run with the lowest cv_rmse is not the search's choice: re-run lesson 02"

# %% [markdown]
# ## 1 · Name experiments so they can be found
#
# A name that says *what* is being modelled and *how* beats `test2`. A description
# (the `mlflow.note.content` tag) and tags on the experiment say the rest.

# %%
experiment = mlflow.set_experiment("precos_casas_windsor/boas_praticas")
mlflow.set_experiment_tags({
    "mlflow.note.content": "Best-practice examples of lesson 08: house prices, Windsor 1987.",
    "team": "dataflow-lab", "data": "house_prices.csv",
})
print(experiment.name)

# %% [markdown]
# ## 2 · Log every parameter, and the data
#
# Not only the ones you tuned: the estimator's full configuration, how the data was split
# and with which seed. Reproducing a run needs them all.
#
# The data itself is an *input* of the run. `mlflow.data.from_pandas` wraps a DataFrame as
# a dataset — a name, where it came from, its schema, its row count and a **digest**: an
# 8-character hash of its rows (the first 10,000 of larger data), index, row count and
# column names. `mlflow.log_input` records it on the run with a context (`training`,
# `validation`). It does what a hash of the file would, and better: it is computed from the
# rows the model saw, after loading and splitting. Change one value in the file and the
# digest changes, so two runs trained on different data cannot pass for the same. The run
# page lists its datasets under **Datasets**, and a search can filter on them
# (`filter_string="datasets.digest = '...'"`).
#
# The data is split three ways with `lab_utils.split_train_validation_test()`: the model
# is fitted on the training houses, **compared and chosen** on the validation houses, and
# scored on the test houses **once**, after the choice (practice 3 says why).

# %%
import warnings

from sklearn.ensemble import RandomForestRegressor

# MLflow saves scikit-learn models with skops, which refuses to load types it was not told
# to trust: tree ensembles need their tree class named.
TREE_TYPES = ["sklearn.tree._tree.Tree"]

split = lab_utils.split_train_validation_test()
X_train, X_validation, X_test = split.X_train, split.X_validation, split.X_test
y_train, y_validation, y_test = split.y_train, split.y_validation, split.y_test
split_params = {"test_size": 0.25, "validation_size": 0.25, "split_seed": lab_utils.SEED}

# Two warnings this lesson silences. A dataset's schema is inferred from its columns, and
# MLflow hints that integer columns cannot hold a missing value: the house data has none.
# And a file path matches MLflow's local-file source under two names: it warns that it
# picked one of the two, which are the same.
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
warnings.filterwarnings("ignore", message="The specified dataset source can be interpreted")

train_data = mlflow.data.from_pandas(X_train.assign(price=y_train), source="data/house_prices.csv",
                                     targets="price", name="house_prices_train")
validation_data = mlflow.data.from_pandas(X_validation.assign(price=y_validation),
                                          source="data/house_prices.csv", targets="price",
                                          name="house_prices_validation")
test_data = mlflow.data.from_pandas(X_test.assign(price=y_test), source="data/house_prices.csv",
                                    targets="price", name="house_prices_test")

forest = RandomForestRegressor(n_estimators=100, max_depth=8, random_state=lab_utils.SEED)
run = mlflow.start_run(run_name="random_forest_well_logged")
mlflow.log_params(forest.get_params())
mlflow.log_params(split_params)
mlflow.log_input(train_data, context="training")
mlflow.log_input(validation_data, context="validation")
print(len(forest.get_params()) + len(split_params), "parameters and 2 datasets logged;",
      f"training digest {train_data.digest}")

# %% [markdown]
# ### Checkpoint: the datasets, read back from the run
#
# `get_run(...).inputs.dataset_inputs` holds each dataset with its context tag. The
# digests must be the ones computed from the DataFrames above.

# %% tags=["nbval-check-output"]
import json

from mlflow import MlflowClient

client = MlflowClient()
inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
logged = {i.dataset.name: i for i in inputs}
for name, local in (("house_prices_train", train_data), ("house_prices_validation", validation_data)):
    assert name in logged, f"dataset {name} is not on the run: re-run the cell above"
    assert logged[name].dataset.digest == local.digest, f"{name}: the digest on the server differs"
for name, dataset_input in sorted(logged.items()):
    context = {t.key: t.value for t in dataset_input.tags}["mlflow.data.context"]
    rows = json.loads(dataset_input.dataset.profile)["num_rows"]
    print(f"✓ {context:<11}{name:<25}{rows} rows, source {dataset_input.dataset.source}")

# %% [markdown]
# ## 3 · Validation metrics beside training metrics
#
# A training score alone hides overfitting: a forest can nearly memorise its training
# houses. Log both, with names that say which is which.
#
# Why not the test houses too? A score you use to *choose* — the best of several runs, a
# promotion gate — is a validation score, and once you have chosen with it, it is
# optimistic: the winner is partly the model that was lucky on those houses. Keep a test
# set that no decision has seen, and score it once, for the model you keep. That is the
# exercise of this lesson.

# %%
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score


def rmse(y, predictions) -> float:
    return float(np.sqrt(mean_squared_error(y, predictions)))


forest.fit(X_train, y_train)
for name, X, y in (("train", X_train, y_train), ("validation", X_validation, y_validation)):
    predictions = forest.predict(X)
    mlflow.log_metrics({f"{name}_rmse": rmse(y, predictions),
                        f"{name}_mae": mean_absolute_error(y, predictions),
                        f"{name}_r2": r2_score(y, predictions)})
metrics = client.get_run(run.info.run_id).data.metrics
print(f"train RMSE {lab_utils.format_number(metrics['train_rmse'])} vs validation RMSE {lab_utils.format_number(metrics['validation_rmse'])} CAD")

# %% [markdown]
# ## 4 · Save the artifacts that explain the model
#
# Numbers say *how good*; plots say *where it fails*. A residual plot for the price
# model, and a confusion matrix for the expensive-or-not question (price above the median),
# both on the validation houses.

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

validation_predictions = forest.predict(X_validation)
figure, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(validation_predictions, y_validation - validation_predictions, s=10, alpha=0.6)
ax.axhline(0, color="grey", lw=1)
ax.set(xlabel="predicted price (CAD)", ylabel="residual (CAD)", title="Validation residuals")
mlflow.log_figure(figure, "diagnostics/residuals.png")

median = float(lab_utils.load_house_prices()["price"].median())
matrix = ConfusionMatrixDisplay.from_predictions(y_validation > median, validation_predictions > median,
                                                 display_labels=["not expensive", "expensive"])
mlflow.log_figure(matrix.figure_, "diagnostics/confusion_matrix.png")
plt.show()

# %% [markdown]
# ## 5 · Tags organise runs
#
# Tags are free-form: use them for what you will filter on later — the model family,
# the purpose of the run, whether it is a candidate for production.
#
# > **skops** — a file format for scikit-learn models. Unlike Python's pickle, it records
# > the type of every object it stores and refuses, when loading, types that are not on a
# > trusted list (`skops_trusted_types`, below). Lesson 05 shows it in detail.

# %%
mlflow.set_tags({"model_family": "random_forest", "purpose": "best-practices-demo",
                 "candidate": "true", "dataset": "windsor_house_prices"})
# Requirements named, pinned to the versions installed here: MLflow then skips inferring
# them, which would load the model again in a separate Python process.
forest_info = mlflow.sklearn.log_model(
    forest, name="model", input_example=X_train.head(3), skops_trusted_types=TREE_TYPES,
    pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True))
mlflow.end_run()
print("the run in the UI:", lab_utils.run_url(lab, run))

tagged = mlflow.search_runs(experiment_names=["precos_casas_windsor/boas_praticas"],
                            filter_string="tags.candidate = 'true' and tags.model_family = 'random_forest'")
print(len(tagged), "candidate random-forest run(s) found by their tags")

# %% [markdown]
# ### Checkpoint: practices 2–5 on the server

# %%
on_server = client.get_run(run.info.run_id).data
expected_params = len(forest.get_params()) + len(split_params)
assert len(on_server.params) == expected_params, f"{len(on_server.params)} params, expected {expected_params}"
# The exercise below scores the run it chooses on the test houses, and tags it `reviewed`:
# a test_rmse is right only then (so this cell passes again after the exercise).
assert "test_rmse" not in on_server.metrics or "reviewed" in on_server.tags, "the test houses are scored once, after the choice"
checked = lab_utils.assert_run_logged(
    run.info.run_id,
    params={"max_depth": 8, "split_seed": lab_utils.SEED, "validation_size": 0.25},
    metrics=["train_rmse", "validation_rmse", "validation_r2"],
    tags={"candidate": "true", "model_family": "random_forest"},
    artifacts=["diagnostics/residuals.png", "diagnostics/confusion_matrix.png"])

# %% [markdown]
# ## 6 · Document registered models
#
# The registry is read by people who did not train the model. Say what it predicts, from
# what data, how it was validated, and what each version changed.

# %%
version = mlflow.register_model(forest_info.model_uri, "previsao_precos_floresta")
client.update_registered_model(
    "previsao_precos_floresta",
    description="Random forest predicting house sale prices (CAD) in Windsor, Canada (1987 data). "
                "Input: the 11 features of data/house_prices.csv. Fitted on 56% of the houses, "
                "validated on 19%; 25% are kept as a test set.",
)
version = client.update_model_version(
    "previsao_precos_floresta", version.version,
    description=f"100 trees, depth 8; validation RMSE {lab_utils.format_number(metrics['validation_rmse'])} CAD.",
)

# %%
registered = client.get_registered_model("previsao_precos_floresta")
described = client.get_model_version("previsao_precos_floresta", version.version)
assert "Windsor" in registered.description and "RMSE" in described.description
print("✓ model and version documented")

# %% [markdown]
# ## Exercise
#
# Is a shallower forest better? Log a second candidate in
# `precos_casas_windsor/boas_praticas`, the same forest with `max_depth=4`, the way
# practices 2, 3 and 5 log: its parameters, the training and validation datasets,
# `train_rmse` and `validation_rmse`, and the tags `candidate = true` and
# `model_family = random_forest`. Then choose between it and `random_forest_well_logged`
# on `validation_rmse`, read from the server. On the run you choose, and on no other: tag
# `reviewed = yes`, and log `test_rmse`, its error on the test houses (`X_test`, `y_test`).
# Put the chosen run's id in `reviewed_run_id`.

# %% tags=["exercise"]
reviewed_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Find the winner with `mlflow.search_runs(experiment_ids=[experiment.experiment_id],
# filter_string=f"tags.candidate = 'true' and attributes.start_time >= {run.info.start_time}",
# order_by=["metrics.validation_rmse ASC"])`, then reopen it with
# `mlflow.start_run(run_id=...)` to call `mlflow.set_tag` and `mlflow.log_metric`.
#
# </details>

# %% tags=["solution"]
shallow = RandomForestRegressor(n_estimators=100, max_depth=4, random_state=lab_utils.SEED)
with mlflow.start_run(run_name="random_forest_shallow"):
    mlflow.log_params(shallow.get_params())
    mlflow.log_params(split_params)
    mlflow.log_input(train_data, context="training")
    mlflow.log_input(validation_data, context="validation")
    shallow.fit(X_train, y_train)
    mlflow.log_metrics({"train_rmse": rmse(y_train, shallow.predict(X_train)),
                        "validation_rmse": rmse(y_validation, shallow.predict(X_validation))})
    mlflow.set_tags({"model_family": "random_forest", "candidate": "true"})

best = mlflow.search_runs(experiment_ids=[experiment.experiment_id],
                          filter_string=f"tags.candidate = 'true' and attributes.start_time >= {run.info.start_time}",
                          order_by=["metrics.validation_rmse ASC"], max_results=1).iloc[0]
reviewed_run_id = best.run_id
chosen_model = {"8": forest, "4": shallow}[best["params.max_depth"]]
with mlflow.start_run(run_id=reviewed_run_id):
    mlflow.set_tag("reviewed", "yes")
    mlflow.log_input(test_data, context="test")
    mlflow.log_metric("test_rmse", rmse(y_test, chosen_model.predict(X_test)))

# %% tags=["check-exercise"]
if lab_utils.attempted(reviewed_run_id, "Exercise"):
    from lab_utils.grading import lesson_08
    lesson_08.check_exercise(reviewed_run_id)

# %% [markdown]
# ## Summary
#
# | practice | in code |
# | --- | --- |
# | descriptive experiment names | `set_experiment("precos_casas_windsor/boas_praticas")`, a description |
# | every parameter, and the data | `log_params(model.get_params())`, the split and its seed; `log_input(mlflow.data.from_pandas(...), context=...)` |
# | validation metrics | `train_*` and `validation_*` side by side; choose on validation, `test_*` once, for the chosen run |
# | important artifacts | `log_figure`: residuals, confusion matrix |
# | tags | `set_tags` for what you will filter on |
# | documented models | descriptions on the registered model and each version |
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Dataset tracking](https://mlflow.org/docs/latest/ml/dataset/) — `mlflow.data`,
#   sources, digests and `log_input`
# - [Searching runs](https://mlflow.org/docs/latest/ml/search/search-runs/) — the filter
#   syntax of `search_runs` and the UI's search box
#
# ## Check your understanding
#
# 1. Two runs of the same code show different `validation_rmse`. Where on the run pages do
#    you look first to see whether the data changed, and what tells you?
# 2. Why is the run with the lowest `validation_rmse` not scored on the validation houses
#    again to report how good it is?
# 3. You log `test_rmse` on every candidate "for information", then pick the best test
#    score. What has become of your test set?
# 4. What does a tag give you that a run name does not?

# %% [markdown] tags=["solution"]
# 1. The datasets of each run (the **Datasets** on the run page, or
#    `get_run(...).inputs.dataset_inputs`): the same name with a different digest means
#    the rows changed; the split's parameters (`split_seed`, sizes) say whether it was split
#    the same way.
# 2. It was chosen *because* it did best on those houses, partly by luck: its validation
#    score is optimistic. Houses that took part in no decision — the test set — give an
#    honest estimate.
# 3. It is a second validation set: choosing on it makes its score optimistic too, and no
#    untouched houses are left to report an honest one.
# 4. A tag is a key and a value that a search can filter on
#    (`tags.model_family = 'random_forest'`); many tags can sit on one run, and they can
#    be added later (like `reviewed = yes`).

# %% [markdown]
# Next: **09 · Troubleshooting**.
