# %% [markdown]
# # 10 · Capstone, part 2: served, retrained, promoted
#
# Part 1 tracked a search and left its best model in the registry as
# `capstone_precos@champion`. This part takes that champion the rest of the way: served
# over REST, then challenged by a Prefect flow that retrains and promotes only when the new
# model is better, and finally scored, once, on houses that no choice has seen. Each of the
# two milestones ends with a check that reads the lab back (the model server's log, the
# registry, Prefect's API); write your code where it says `...`, run the check, and move on
# when it passes. Each milestone has a hint; worked solutions are in
# `solutions/10_capstone_production.ipynb`.
#
# **You will learn** to start from what the registry holds rather than from a notebook's
# variables; to serve a registered alias over REST and show which server answered; a
# promotion gate in a Prefect flow (MLflow's own, as in lesson 04), seen to work both ways; to report the test score once,
# after every choice.
#
# **Time:** 45 minutes (about 10 to read, 2 to run the cells, 33 for the two milestones:
# about 10 for serving, over 20 for the flow and its gate).
# **Prerequisites:** 10 · Capstone, part 1 (it leaves `capstone_precos@champion`); lessons
# 05 and 07 teach the serving and the flows this part uses.
#
# **On the map** (lesson 00): the model server and the Prefect server around the registry.

# %%
import os

import lab_utils

lab = lab_utils.connect(language="en")
# Prefect logs every flow and task run to the notebook; keep its warnings only (read when
# Prefect is imported). The full logs are on each flow run's page in the Prefect UI.
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"
# Keep what each flow run returns (a small file under the lab's Prefect home): Milestone 4's
# check reads the flow's own answers back, not only the list you hand over.
os.environ["PREFECT_RESULTS_PERSIST_BY_DEFAULT"] = "true"

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %% [markdown]
# ## Part 1's champion, read back
#
# Nothing of part 1's notebook is needed: the three sets of houses are the same every time
# (the split is seeded), and the champion is in the registry. Part 1's champion is the
# newest version of `capstone_precos` registered from a `capstone_search` run. If you run
# this part again, its flow has already moved `@champion` to a retrained version: the cell
# points the alias back at part 1's champion, so that Milestone 4's gate meets the same
# champion every time. Only the alias moves; every version stays in the registry.

# %%
import warnings

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error

# As in part 1: skops must be told to trust the tree class, the model's requirements are
# pinned (so `log_model` does not infer them), and the integer columns' warning is silenced.
TREE_TYPES = ["sklearn.tree._tree.Tree"]
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)
warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")

X_train, X_validation, X_test, y_train, y_validation, y_test = lab_utils.split_train_validation_test()
client = MlflowClient()
experiment = mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_validation, model.predict(X_validation))))


search_run_ids = {run.info.run_id for run in client.search_runs(
    [experiment.experiment_id], "attributes.run_name = 'capstone_search'")}
from_search = [v for v in client.search_model_versions(f"name = '{model_name}'") if v.run_id in search_run_ids]
# Until Milestones 1 and 2 of part 1 are done, no version comes from that search: this part
# then has no champion to serve or to challenge, and says so.
search_version = max(from_search, key=lambda v: int(v.version)) if from_search else None
if search_version is None:
    print("Part 1's champion is not there yet: no registered version comes from a capstone_search run. "
          "Complete Milestones 1 and 2 of 10 · Capstone, part 1, then run this part from the top.")
else:
    search_run_id = search_version.run_id
    client.set_registered_model_alias(model_name, "champion", search_version.version)
    lab_utils.assert_model_version(model_name, alias="champion")
    print(f"part 1's champion, version {search_version.version}: "
          f"validation RMSE {lab_utils.format_number(client.get_run(search_run_id).data.metrics['validation_rmse'])} CAD")

# %% [markdown]
# ## Milestone 3 · Served over REST
#
# Serve `models:/capstone_precos@champion` with `lab_utils.ModelServer`, price the twenty
# houses of `lab_utils.load_new_houses()` through `POST /invocations` with a
# `dataframe_split` body, stop the server, and put the `requests.post` response in
# `served_response`. (Starting the server takes several seconds: it is a new Python process
# that downloads the model and loads it.)

# %% tags=["exercise"]
served_response = ...  # your code here

# %% tags=["solution"]
import requests

new_houses = lab_utils.load_new_houses()
server = lab_utils.ModelServer(f"models:/{model_name}@champion").start()
try:
    served_response = requests.post(f"{server.url}/invocations", timeout=60,
                                    json={"dataframe_split": new_houses.to_dict(orient="split", index=False)})
    served_response.raise_for_status()
finally:
    server.stop()

# %% [markdown]
# <details><summary>Hint</summary>
#
# `server = lab_utils.ModelServer("models:/capstone_precos@champion").start()`, then
# `requests.post(f"{server.url}/invocations", json={"dataframe_split": houses.to_dict(orient="split", index=False)})`
# and `server.stop()` in a `finally:`.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(served_response, "Milestone 3"):
    from lab_utils.grading import lesson_10_production
    lesson_10_production.check_milestone_3(served_response, model_name, experiment_name)

# %% [markdown]
# ## Milestone 4 · A flow that retrains and promotes
#
# Write a Prefect flow `retreinar_capstone(learning_rate: float) -> bool` that trains
# `GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
# random_state=42)` on `X_train`, logs it in an MLflow run (parameter `learning_rate`,
# metric `validation_rmse`, model `model`), registers it as a new version of
# `capstone_precos`, and moves `@champion` to it **only if** its validation RMSE beats the
# current champion's. It returns `True` when it promoted. Compare by hand or, better, with
# MLflow's own gate as in lesson 04 (`mlflow.models.evaluate` on the validation houses, then
# `mlflow.validate_evaluation_results` with a margin); the check accepts either.
#
# A gate must be seen to work both ways. Run the flow twice, in this order:
# `learning_rate=0.2` (it should beat the champion and be promoted), then
# `learning_rate=0.1` (better than part 1's champion, worse than the new one on validation: it
# is registered, but `@champion` must not move). On the test houses 0.1 would look the better
# of the two: a gate that decided on them would promote it. Put the
# two results, in that order, in the list `promotions`. (To run the two again, run the cell
# that reads part 1's champion first: it points `@champion` back at the search's model.)

# %% tags=["exercise"]
promotions = ...  # your code here

# %% tags=["solution"]
import logging

from mlflow.models import MetricThreshold
from mlflow.models.evaluation.validation import ModelValidationFailedException
from prefect import flow, task

# `evaluate`'s INFO lines (the logged model it ties the metrics to, tracing turned on) come four times per flow run: keep its warnings.
for logger_name in ("mlflow.models.evaluation", "mlflow.tracking.fluent"):
    logging.getLogger(logger_name).setLevel(logging.WARNING)
validation_data = mlflow.data.from_pandas(X_validation.assign(price=y_validation), targets="price", name="validation")
# Lesson 04's gate: a challenger must lower the champion's validation RMSE by at least 2%.
GATE = {"root_mean_squared_error": MetricThreshold(min_relative_change=0.02, greater_is_better=False)}


@task
def treinar(learning_rate: float) -> tuple[str, str, float]:
    with mlflow.start_run(run_name=f"capstone_retrain_lr{learning_rate}") as run:
        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
                                          random_state=42).fit(X_train, y_train)
        rmse = validation_rmse(model)
        mlflow.log_param("learning_rate", learning_rate)
        mlflow.log_metric("validation_rmse", rmse)
        logged = mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                          skops_trusted_types=TREE_TYPES, pip_requirements=REQUIREMENTS)
    return run.info.run_id, logged.model_uri, rmse


def evaluate_on_validation(version: str):
    """Score a version of the model on the validation houses, in a run of its own."""
    source = client.get_model_version(model_name, version).source  # its logged model, models:/m-…
    with mlflow.start_run(run_name=f"capstone_gate_v{version}"):
        return mlflow.models.evaluate(source, validation_data, model_type="regressor",
                                      evaluator_config={"log_model_explainability": False})


@flow(name="retreinar-capstone")
def retreinar_capstone(learning_rate: float) -> bool:
    _, model_uri, _ = treinar(learning_rate)
    version = mlflow.register_model(model_uri, model_name).version
    champion = client.get_model_version_by_alias(model_name, "champion").version
    try:
        mlflow.validate_evaluation_results(GATE, evaluate_on_validation(version), evaluate_on_validation(champion))
    except ModelValidationFailedException:
        return False
    client.set_registered_model_alias(model_name, "champion", version)
    return True


promotions = [retreinar_capstone(learning_rate=0.2), retreinar_capstone(learning_rate=0.1)]

# %% [markdown]
# <details><summary>Hint</summary>
#
# In the flow: `client.get_model_version_by_alias(model_name, "champion")` gives the current
# champion, `client.get_run(its run_id).data.metrics["validation_rmse"]` its score; call
# `client.set_registered_model_alias(...)` only when the new RMSE is lower. With MLflow's gate:
# `mlflow.models.evaluate("models:/capstone_precos/<version>", <validation data>, model_type="regressor")`
# for each of the two, then `mlflow.validate_evaluation_results({"root_mean_squared_error":
# MetricThreshold(min_relative_change=0.02, greater_is_better=False)}, new, champion)`, which
# raises `ModelValidationFailedException` when the new one does not win by the margin.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(promotions, "Milestone 4"):
    from lab_utils.grading import lesson_10_production
    lesson_10_production.check_milestone_4(promotions, model_name, experiment_name)

# %% [markdown]
# ## The test score, once
#
# All the choosing is done: the search chose on cross-validation, the gate on validation.
# Now, and only now, score the final `@champion` on the test houses and record it on its
# run. Had the test houses decided anything, this number would flatter the model like the
# validation RMSE does.

# %%
final = client.get_model_version_by_alias(model_name, "champion") if search_version else None
if final is None:
    print("No test score yet: it comes after Milestones 1 and 2 of part 1, then Milestone 4.")
elif final.version == search_version.version:
    print("@champion is still part 1's champion: complete Milestone 4 first (its gate may replace it).")
else:
    final_model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    test_rmse = float(np.sqrt(mean_squared_error(y_test, final_model.predict(X_test))))
    client.log_metric(final.run_id, "test_rmse", test_rmse)
    validation = client.get_run(final.run_id).data.metrics["validation_rmse"]
    print(f"@champion, version {final.version}: validation RMSE {lab_utils.format_number(validation)} CAD (chosen on it), "
          f"test RMSE {lab_utils.format_number(test_rmse)} CAD (reported once)")

# %% [markdown]
# One number, one draw of houses: lesson 02's bootstrap put a 95% interval several thousand
# CAD wide around a test RMSE on these houses. Report the test score with that in mind, and
# judge Milestone 4's gate the same way — a challenger that beats the champion's validation
# RMSE by a few hundred CAD has not shown it is better, only that it is not worse. The
# solution's 2% margin (about 300 CAD here) keeps out ties, not the noise: a margin the size
# of the search's fold spread (about 600 CAD) would keep out the `learning_rate=0.2` model too
# (lesson 04 tries one).

# %% [markdown]
# ## Done
#
# You have taken a model through the whole MLflow life cycle on a real stack: tracked,
# compared, registered, documented, served, retrained and promoted by a pipeline, with
# every step checked against the servers. Open the MLflow UI (the `capstone` experiment,
# the `capstone_precos` model) and the Prefect UI (`retreinar-capstone`) to see it all.

# %% [markdown]
# ## After deployment
#
# Pointers, not a lesson: a served model meets data that drifts away from what it was trained
# on. Log what it is asked and what it answers (the request and the prediction, with the model
# version); compare the live inputs' distributions with the training houses' (data drift);
# and compute the real error once the sale prices arrive, as this lesson did once for the test
# houses. Open-source tools do the comparisons and reports — [Evidently](https://docs.evidentlyai.com/)
# (drift reports and tests), [NannyML](https://nannyml.readthedocs.io/) (estimates a model's
# performance before the labels arrive) — and a retraining
# flow like Milestone 4's closes the loop, promoting only through the gate. For LLM apps,
# MLflow's own production monitoring works on traces (lesson 11).

# %% [markdown]
# ## Summary
#
# - A part that starts from the registry needs nothing of the notebook before it: the alias
#   names the champion, and the version's run holds its scores.
# - `lab_utils.ModelServer` (`mlflow models serve`) serves `models:/<name>@<alias>`;
#   `POST /invocations` with a `dataframe_split` body prices the houses, and the server's
#   log shows which server answered.
# - A promotion gate registers every challenger and moves the alias only for a better
#   validation score (MLflow's own: `mlflow.models.evaluate`, then
#   `mlflow.validate_evaluation_results` with a `MetricThreshold` margin); run it with a
#   better and then a worse model to see it work both ways.
# - The test score comes once, for the final champion, after every choice.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/) — versions, aliases,
#   descriptions
# - [Deploy a model as a local inference server](https://mlflow.org/docs/latest/ml/deployment/deploy-model-locally/)
#   — `mlflow models serve` and its REST API
# - [Prefect: flows](https://docs.prefect.io/v3/concepts/flows)
#
# ## Check your understanding
#
# 1. Why is the test RMSE computed only at the end, for the final champion, and not for
#    each challenger of the gate?
# 2. Milestone 4 runs the flow with a better model first and a worse one second. Which
#    wrong gate would pass if only the better model were run, and which if only the worse?
# 3. Why does the flow register every retrained model, even the one it does not promote?
# 4. Which server does each milestone's check read, and what could a learner fake if a
#    check compared only local variables?

# %% [markdown] tags=["solution"]
# 1. Every score used to choose is optimistic: the choice favours whatever happened to do
#    well on those houses. The test houses, kept out of all choices, give the one honest
#    estimate, for the final champion; had the gate compared challengers on them, they
#    would be a second validation set, as optimistic as the first.
# 2. Only the better: a gate that always promotes would pass. Only the worse: a gate that
#    never promotes would pass. Run in order, each wrong gate leaves the wrong champion.
# 3. The registry then keeps every candidate with its run (parameters, metrics, model), so
#    a refused challenger can be inspected, compared, or promoted by hand later; the alias,
#    not the registration, is the decision.
# 4. 3: the model server's own log (the request reached it) and the registry's champion
#    (the prices); 4: Prefect's API (the flow runs and their parameters) and the registry
#    (versions and `@champion`). Compared with local variables, a learner could type the
#    expected values (a `True`, a list of prices) without doing the work.

# %% [markdown]
# Next: **11 · Tracing and evaluating a GenAI app**, the other half of MLflow 3: traces,
# prompts and evaluations of a GenAI app, on the same lab.
