# %% [markdown]
# # 10 · Capstone: a price model from search to production
#
# Time to use everything. You will build, on the house prices, the life of one model:
# a tracked hyperparameter search, a registered champion, a model served over REST, and a
# Prefect flow that retrains and promotes only when the new model is better. Each of the
# four milestones ends with a check that reads the lab back (the tracking server, the
# registry, the model server's log, Prefect's API); write your code where it says `...`,
# run the check, and move on when it passes. Each milestone has a hint; worked solutions
# are in `solutions/10_capstone.ipynb`.
#
# **Time:** 75 minutes. **Prerequisites:** lessons 01–07.

# %%
import os

import lab_utils

lab = lab_utils.connect()
# Prefect logs every flow and task run to the notebook; keep its warnings only (read when
# Prefect is imported). The full logs are on each flow run's page in the Prefect UI.
os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = "WARNING"

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
print(f"baseline (mean price) validation RMSE: {baseline_rmse:,.0f} CAD")

# %% [markdown]
# ## Milestone 1 · A tracked search
#
# Search `GradientBoostingRegressor(random_state=42)` over `n_estimators` in `[50, 100]`
# and `max_depth` in `[2, 3]` with 5-fold CV on `X_train`. Track it as a parent run named
# `capstone_search` with one nested child run per candidate (its parameters and `cv_rmse`),
# and on the parent: the best parameters, the best model logged as `model` (with an input
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
    parent_run = lab_utils.assert_run_logged(search_run_id, params=["n_estimators", "max_depth"],
                                             metrics=["validation_rmse"])
    assert parent_run.info.run_name == "capstone_search", parent_run.info.run_name
    children = client.search_runs([parent_run.info.experiment_id], f"tags.mlflow.parentRunId = '{search_run_id}'")
    assert len(children) == 4, f"{len(children)} child runs, expected 4"
    assert all("cv_rmse" in c.data.metrics for c in children), "a child run lacks cv_rmse"
    best_child = min(children, key=lambda c: c.data.metrics["cv_rmse"])
    assert {k: parent_run.data.params[k] for k in best_child.data.params} == best_child.data.params, \
        "the parent's parameters are not those of the child with the lowest cv_rmse"
    logged = mlflow.search_logged_models(experiment_ids=[parent_run.info.experiment_id],
                                         filter_string=f"source_run_id = '{search_run_id}'", output_format="list")
    assert any(m.name == "model" for m in logged), "no logged model named `model` from that run"
    print("✓ Milestone 1: search tracked, best model logged")

# %% [markdown]
# ## Milestone 2 · A documented champion
#
# Register the search's model as `capstone_precos`, give the version a description that
# mentions its validation RMSE, and point the alias `champion` at it. Put the version
# number (a string) in `champion_version`.

# %% tags=["exercise"]
champion_version = ...  # your code here

# %% tags=["solution"]
search_model = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id],
                                           filter_string=f"source_run_id = '{search_run_id}'", output_format="list")[0]
registered = mlflow.register_model(search_model.model_uri, model_name)
rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
client.update_model_version(model_name, registered.version,
                            description=f"Gradient boosting from capstone_search; validation RMSE {rmse:,.0f} CAD")
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
    champion = lab_utils.assert_model_version(model_name, alias="champion")
    assert champion.version == str(champion_version), f"@champion is version {champion.version}"
    assert "RMSE" in (champion.description or ""), "the version's description does not mention its RMSE"
    assert champion.run_id == search_run_id, "the champion does not come from the search run"
    print("✓ Milestone 2: champion registered and documented")

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
    import json
    import requests
    from urllib.parse import urlparse

    assert isinstance(served_response, requests.Response), "put the Response that requests.post returned here"
    sent, address = served_response.request, urlparse(served_response.url)
    assert sent.method == "POST" and address.path == "/invocations", "POST to the server's /invocations"
    assert "dataframe_split" in json.loads(sent.body), "send a dataframe_split body"
    server_log = lab.logs_dir / f"model-server-{address.port}.log"
    assert server_log.exists() and '"POST /invocations HTTP/1.1" 200' in server_log.read_text(), \
        "no model server started with lab_utils.ModelServer answered this request"
    served_prices = served_response.json()["predictions"]
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}@champion").predict(lab_utils.load_new_houses())
    assert len(served_prices) == 20 and np.allclose(served_prices, expected), "not the champion's prices"
    print("✓ Milestone 3: twenty houses priced over REST by the champion")

# %% [markdown]
# ## Milestone 4 · A flow that retrains and promotes
#
# Write a Prefect flow `retreinar_capstone(learning_rate: float) -> bool` that trains
# `GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
# random_state=42)` on `X_train`, logs it in an MLflow run (parameter `learning_rate`,
# metric `validation_rmse`, model `model`), registers it as a new version of
# `capstone_precos`, and moves `@champion` to it **only if** its validation RMSE beats the
# current champion's. It returns `True` when it promoted.
#
# A gate must be seen to work both ways. Run the flow twice, in this order:
# `learning_rate=0.2` (it should beat the champion and be promoted), then
# `learning_rate=0.01` (worse: it is registered, but `@champion` must not move). Put the
# two results, in that order, in the list `promotions`.

# %% tags=["exercise"]
promotions = ...  # your code here

# %% tags=["solution"]
from prefect import flow, task


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


@flow(name="retreinar-capstone")
def retreinar_capstone(learning_rate: float) -> bool:
    run_id, model_uri, rmse = treinar(learning_rate)
    version = mlflow.register_model(model_uri, model_name).version
    current = client.get_model_version_by_alias(model_name, "champion")
    current_rmse = client.get_run(current.run_id).data.metrics["validation_rmse"]
    if rmse < current_rmse:
        client.set_registered_model_alias(model_name, "champion", version)
        return True
    return False


promotions = [retreinar_capstone(learning_rate=0.2), retreinar_capstone(learning_rate=0.01)]

# %% [markdown]
# <details><summary>Hint</summary>
#
# In the flow: `client.get_model_version_by_alias(model_name, "champion")` gives the current
# champion, `client.get_run(its run_id).data.metrics["validation_rmse"]` its score; call
# `client.set_registered_model_alias(...)` only when the new RMSE is lower.
#
# </details>

# %% tags=["check-exercise"]
if lab_utils.attempted(promotions, "Milestone 4"):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as prefect_client:
        flow_runs = prefect_client.read_flow_runs(
            flow_filter=FlowFilter(name=FlowFilterName(any_=["retreinar-capstone"])),
            sort=FlowRunSort.START_TIME_DESC, limit=2)
    assert [r.parameters.get("learning_rate") for r in reversed(flow_runs)] == [0.2, 0.01], \
        "the two latest runs of the flow retreinar-capstone should have learning_rate 0.2, then 0.01"
    assert all(r.state_type.value == "COMPLETED" for r in flow_runs), "a flow run did not complete"
    versions = sorted(client.search_model_versions(f"name = '{model_name}'"), key=lambda v: int(v.version))
    better, worse = versions[-2], versions[-1]
    learning_rates = [client.get_run(v.run_id).data.params.get("learning_rate") for v in (better, worse)]
    assert learning_rates == ["0.2", "0.01"], \
        f"the two newest versions were trained with learning_rate {learning_rates}; expected 0.2, then 0.01"
    better_rmse, worse_rmse = (client.get_run(v.run_id).data.metrics["validation_rmse"] for v in (better, worse))
    search_rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
    assert better_rmse < search_rmse < worse_rmse, "train the model Milestone 4 describes (n_estimators=100, max_depth=2)"
    champion = client.get_model_version_by_alias(model_name, "champion")
    assert champion.version != worse.version, "the gate let a worse model in: @champion moved to learning_rate 0.01"
    assert champion.version == better.version, "the better model (learning_rate 0.2) was not promoted to @champion"
    assert promotions == [True, False], f"the flow returned {promotions}; it promoted [True, False]"
    print(f"✓ Milestone 4: 0.2 promoted (RMSE {better_rmse:,.0f}), 0.01 kept out (RMSE {worse_rmse:,.0f})")

# %% [markdown]
# ## The test score, once
#
# All the choosing is done: the search chose on cross-validation, the gate on validation.
# Now, and only now, score the final `@champion` on the test houses and record it on its
# run. Had the test houses decided anything, this number would flatter the model like the
# validation RMSE does.

# %%
try:
    final = client.get_model_version_by_alias(model_name, "champion")
except mlflow.exceptions.MlflowException:
    final = None
if final is None:
    print("No @champion yet: complete Milestones 2 and 4 first.")
else:
    final_model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
    test_rmse = float(np.sqrt(mean_squared_error(y_test, final_model.predict(X_test))))
    client.log_metric(final.run_id, "test_rmse", test_rmse)
    validation = client.get_run(final.run_id).data.metrics["validation_rmse"]
    print(f"@champion, version {final.version}: validation RMSE {validation:,.0f} CAD (chosen on it), "
          f"test RMSE {test_rmse:,.0f} CAD (reported once)")

# %% [markdown]
# ## Done
#
# You have taken a model through the whole MLflow life cycle on a real stack: tracked,
# compared, registered, documented, served, retrained and promoted by a pipeline, with
# every step checked against the servers. Open the MLflow UI (the `capstone` experiment,
# the `capstone_precos` model) and the Prefect UI (`retreinar-capstone`) to see it all.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/) — versions, aliases,
#   descriptions
# - [Searching logged models](https://mlflow.org/docs/latest/ml/search/search-models)
# - [Deploy a model as a local inference server](https://mlflow.org/docs/latest/ml/deployment/deploy-model-locally/)
#   — `mlflow models serve` and its REST API
# - [Prefect: flows](https://docs.prefect.io/v3/concepts/flows)
#
# ## Check your understanding
#
# 1. The search chose its parameters by cross-validation on the training houses. Why does
#    the champion also get a validation RMSE, and why is the test RMSE computed only at
#    the end?
# 2. Milestone 4 runs the flow with a better model first and a worse one second. Which
#    wrong gate would pass if only the better model were run, and which if only the worse?
# 3. Why does the flow register every retrained model, even the one it does not promote?
# 4. Which server does each milestone's check read, and what could a learner fake if a
#    check compared only local variables?

# %% [markdown] tags=["solution"]
# 1. Cross-validation chose among the search's candidates; the validation RMSE compares the
#    champion with later challengers (the gate) on houses no model was fitted on. Every
#    score used to choose is optimistic; the test houses, kept out of all choices, give
#    the one honest estimate, for the final champion.
# 2. Only the better: a gate that always promotes would pass. Only the worse: a gate that
#    never promotes would pass. Run in order, each wrong gate leaves the wrong champion.
# 3. The registry then keeps every candidate with its run (parameters, metrics, model), so
#    a refused challenger can be inspected, compared, or promoted by hand later; the alias,
#    not the registration, is the decision.
# 4. 1: the tracking server (runs, children, logged models); 2: the registry (version,
#    description, alias); 3: the model server's own log (the request reached it) and the
#    registry's champion (the prices); 4: Prefect's API (the flow runs and their parameters)
#    and the registry (versions and `@champion`). Compared with local variables, a learner
#    could type the expected values (a `True`, a list of prices) without doing the work.

# %% [markdown]
# Next: the course is complete. Go back to **00 · Welcome** for the lab's commands, or to
# any lesson to try its exercises again.
