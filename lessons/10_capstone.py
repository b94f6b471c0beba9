# %% [markdown]
# # 10 · Capstone: a price model from search to production
#
# Time to use everything. You will build, on the house prices, the life of one model:
# a tracked hyperparameter search, a registered champion, a model served over REST, and a
# Prefect flow that retrains and promotes only when the new model is better. Each of the
# four milestones ends with a check that reads the lab back; write your code where it
# says `...`, run the check, and move on when it passes. Worked solutions are in
# `solutions/10_capstone.ipynb`.
#
# **Time:** 60–90 minutes. **Prerequisites:** lessons 01–07.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
experiment_name = "capstone"
model_name = "capstone_precos"

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.metrics import mean_squared_error
from sklearn.model_selection import GridSearchCV

# MLflow saves scikit-learn models with skops, which refuses to load types it was not told
# to trust: tree ensembles need their tree class named.
TREE_TYPES = ["sklearn.tree._tree.Tree"]

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
client = MlflowClient()
mlflow.set_experiment(experiment_name)


def validation_rmse(model) -> float:
    return float(np.sqrt(mean_squared_error(y_test, model.predict(X_test))))


# %% [markdown]
# ## Milestone 1 · A tracked search
#
# Search `GradientBoostingRegressor(random_state=42)` over `n_estimators` in `[50, 100]`
# and `max_depth` in `[2, 3]` with 5-fold CV on `X_train`. Track it as a parent run named
# `capstone_search` with one nested child run per candidate (its parameters and `cv_rmse`),
# and on the parent: the best model logged as `model` (with an input example) and its
# `validation_rmse` on `X_test`. Put the parent's run id in `search_run_id`.

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
                             skops_trusted_types=TREE_TYPES)
search_run_id = parent.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(search_run_id, "Milestone 1"):
    parent_run = lab_utils.assert_run_logged(search_run_id, metrics=["validation_rmse"])
    assert parent_run.info.run_name == "capstone_search", parent_run.info.run_name
    children = client.search_runs([parent_run.info.experiment_id], f"tags.mlflow.parentRunId = '{search_run_id}'")
    assert len(children) == 4, f"{len(children)} child runs, expected 4"
    assert all("cv_rmse" in c.data.metrics for c in children), "a child run lacks cv_rmse"
    mlflow.pyfunc.load_model(f"runs:/{search_run_id}/model")
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
registered = mlflow.register_model(f"runs:/{search_run_id}/model", model_name)
rmse = client.get_run(search_run_id).data.metrics["validation_rmse"]
client.update_model_version(model_name, registered.version,
                            description=f"Gradient boosting from capstone_search; validation RMSE {rmse:,.0f} CAD")
client.set_registered_model_alias(model_name, "champion", registered.version)
champion_version = registered.version

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
# houses of `lab_utils.load_new_houses()` through `POST /invocations`, stop the server,
# and put the list of predicted prices in `served_prices`.

# %% tags=["exercise"]
served_prices = ...  # your code here

# %% tags=["solution"]
import requests

new_houses = lab_utils.load_new_houses()
server = lab_utils.ModelServer(f"models:/{model_name}@champion").start()
try:
    response = requests.post(f"{server.url}/invocations", timeout=60,
                             json={"dataframe_split": new_houses.to_dict(orient="split", index=False)})
    response.raise_for_status()
    served_prices = response.json()["predictions"]
finally:
    server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(served_prices, "Milestone 3"):
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}@champion").predict(lab_utils.load_new_houses())
    assert len(served_prices) == 20 and np.allclose(served_prices, expected), "not the champion's prices"
    print("✓ Milestone 3: twenty houses priced over REST")

# %% [markdown]
# ## Milestone 4 · A flow that retrains and promotes
#
# Write a Prefect flow `retreinar_capstone(learning_rate: float)` that trains
# `GradientBoostingRegressor(n_estimators=100, max_depth=3, learning_rate=learning_rate,
# random_state=42)`, logs it in an MLflow run (parameter `learning_rate`, metric
# `validation_rmse`, model `model`), registers it as a new version of `capstone_precos`, and
# moves `@champion` to it **only if** its validation RMSE beats the current champion's.
# It returns `True` when it promoted. Run it with `learning_rate=0.05` and put the
# result in `promoted`.

# %% tags=["exercise"]
promoted = ...  # your code here

# %% tags=["solution"]
from prefect import flow, task


@task
def treinar(learning_rate: float) -> tuple[str, float]:
    with mlflow.start_run(run_name=f"capstone_retrain_lr{learning_rate}") as run:
        model = GradientBoostingRegressor(n_estimators=100, max_depth=3, learning_rate=learning_rate,
                                          random_state=42).fit(X_train, y_train)
        rmse = validation_rmse(model)
        mlflow.log_param("learning_rate", learning_rate)
        mlflow.log_metric("validation_rmse", rmse)
        mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                 skops_trusted_types=TREE_TYPES)
    return run.info.run_id, rmse


@flow(name="retreinar-capstone")
def retreinar_capstone(learning_rate: float) -> bool:
    run_id, rmse = treinar(learning_rate)
    version = mlflow.register_model(f"runs:/{run_id}/model", model_name).version
    current = client.get_model_version_by_alias(model_name, "champion")
    current_rmse = client.get_run(current.run_id).data.metrics["validation_rmse"]
    if rmse < current_rmse:
        client.set_registered_model_alias(model_name, "champion", version)
        return True
    return False


promoted = retreinar_capstone(learning_rate=0.05)

# %% tags=["check-exercise"]
if lab_utils.attempted(promoted, "Milestone 4"):
    from lab_utils.prefect import latest_flow_run

    flow_run = latest_flow_run("retreinar-capstone")
    assert flow_run.state_type.value == "COMPLETED", flow_run.state_type
    newest = max(client.search_model_versions(f"name = '{model_name}'"), key=lambda v: int(v.version))
    champion = client.get_model_version_by_alias(model_name, "champion")
    newest_rmse = client.get_run(newest.run_id).data.metrics["validation_rmse"]
    assert client.get_run(newest.run_id).data.params.get("learning_rate") == "0.05"
    if promoted:
        assert champion.version == newest.version, "promoted, but @champion did not move"
    else:
        champion_rmse = client.get_run(champion.run_id).data.metrics["validation_rmse"]
        assert champion.version != newest.version and champion_rmse <= newest_rmse, "the gate let a worse model in"
    print(f"✓ Milestone 4: retrained (RMSE {newest_rmse:,.0f}); promoted: {promoted}")

# %% [markdown]
# ## Done
#
# You have taken a model through the whole MLflow life cycle on a real stack: tracked,
# compared, registered, documented, served, retrained and promoted by a pipeline, with
# every step checked against the servers. Open the MLflow UI (the `capstone` experiment,
# the `capstone_precos` model) and the Prefect UI (`retreinar-capstone`) to see it all.
