# %% [markdown]
# # 07 · Prefect pipelines that train, track and register
#
# Training rarely runs alone: data is loaded, a model trained, checked, registered —
# on a schedule, with retries when something flakes. Prefect orchestrates those steps as
# a *flow* of *tasks*; MLflow records what each training produced. This lesson runs the
# lab page's flow as written against the lab's Prefect server, links each MLflow run to
# its Prefect flow run (and back), adds retries and caching, serves a scheduled
# deployment, and drives the MLflow Project of lesson 06 from a flow.
#
# **You will learn** `@flow` and `@task`; the accuracy gate that registers
# `modelo_producao`; linking MLflow runs and Prefect flow runs; task retries and caching;
# deployments with `flow.serve` and `run_deployment`; reading both servers back.
#
# **Time:** 35 minutes. **Prerequisites:** 01 · Basic tracking, 04 · The Model Registry,
# 06 · MLflow Projects.

# %%
import lab_utils

lab = lab_utils.connect()

# %% [markdown]
# `connect()` set `PREFECT_API_URL` to the lab's Prefect server. Without it, Prefect
# would start a temporary server inside this notebook for every flow (10–18 s each); with
# it, a flow call takes about a second and every run stays visible in the Prefect UI.

# %%
from prefect.settings import PREFECT_API_URL

print("Prefect API:", PREFECT_API_URL.value())
print("Prefect UI: ", lab.prefect_ui_url)

# %% tags=["parameters"]
accuracy_threshold = 0.8

# %% [markdown]
# ## The lab page's flow, as written
#
# The flow calls two functions the page leaves to us: `treinar(params)` trains a model
# and `avaliar(model)` returns its metrics, including `accuracy`. The task here is a
# classification: is a house more expensive than the median (62,000 CAD)?

# %%
import mlflow
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

houses = lab_utils.load_house_prices()
labels = lab_utils.expensive_house_labels(houses)
X_train, X_test, y_train, y_test = train_test_split(
    houses[lab_utils.FEATURES], labels, test_size=0.25, random_state=lab_utils.SEED, stratify=labels)


def treinar(params):
    return make_pipeline(StandardScaler(), LogisticRegression(**params)).fit(X_train, y_train)


def avaliar(model):
    predictions = model.predict(X_test)
    return {"accuracy": accuracy_score(y_test, predictions), "f1": f1_score(y_test, predictions)}


mlflow.set_experiment("pipeline_treinamento")

# %%
from prefect import flow, task
import mlflow

@task
def treinar_modelo(params):
    with mlflow.start_run() as run:
        # Registrar parâmetros
        mlflow.log_params(params)

        # Treinar modelo
        model = treinar(params)

        # Registrar métricas
        metrics = avaliar(model)
        mlflow.log_metrics(metrics)

        # Registrar modelo
        mlflow.sklearn.log_model(model, "model")

        return run.info.run_id, metrics

@flow
def pipeline_treinamento(params):
    run_id, metrics = treinar_modelo(params)

    # Registrar modelo se performance for boa
    if metrics["accuracy"] > 0.8:
        model_uri = f"runs:/{run_id}/model"
        mlflow.register_model(model_uri, "modelo_producao")

    return metrics

# %%
from mlflow import MlflowClient

client = MlflowClient()
versions_before = len(client.search_model_versions("name = 'modelo_producao'"))
metrics = pipeline_treinamento({"C": 1.0})
print({k: round(v, 3) for k, v in metrics.items()})

# %% [markdown]
# ### Checkpoint: both servers agree
#
# Prefect's API has the flow run, COMPLETED; MLflow has a new `modelo_producao` version.

# %%
from lab_utils.prefect import latest_flow_run

seed_flow_run = latest_flow_run("pipeline-treinamento")
assert seed_flow_run.state_type.value == "COMPLETED", f"flow run state: {seed_flow_run.state_type}"
print(f"✓ flow run {seed_flow_run.name} is {seed_flow_run.state_type.value} on the Prefect server")
assert len(client.search_model_versions("name = 'modelo_producao'")) == versions_before + 1
checked = lab_utils.assert_model_version("modelo_producao")

# %% [markdown]
# The gate worked (accuracy above 0.8). A model below the threshold is tracked but not
# registered — try it with a strongly regularised model:

# %%
weak = pipeline_treinamento({"C": 0.0005})
registered_after = len(client.search_model_versions("name = 'modelo_producao'"))

# %% tags=["nbval-check-output"]
print(f"accuracy {weak['accuracy']:.3f}; registered: {registered_after > versions_before + 1}")

# %% [markdown]
# ## Linking the two worlds
#
# From an MLflow run you want to reach the flow run that produced it, and from the flow
# run its MLflow run. `pipelines/retrain.py` (in this repository) does both: it tags the
# MLflow run with `prefect.flow_run_id` and `prefect.flow_run_url` (from
# `prefect.runtime.flow_run`), and creates a Prefect **link artifact** pointing to the
# MLflow run. It also splits data loading into its own task, retried up to 3 times and
# cached for an hour, and makes the threshold a flow parameter.

# %%
import inspect

from pipelines import retrain

print(inspect.getsource(retrain.carregar_dados))
print(inspect.getsource(retrain.treinar_e_registrar))

# %%
result = retrain.retreinar_modelo(C=1.0, limiar_acuracia=accuracy_threshold)
linked_run = mlflow.get_run(result["run_id"])
print("MLflow run → Prefect:", linked_run.data.tags["prefect.flow_run_url"])

# %%
from lab_utils.prefect import flow_run_artifacts

artifacts = flow_run_artifacts(linked_run.data.tags["prefect.flow_run_id"])
print("Prefect → MLflow run:", artifacts[0].data)

# %% [markdown]
# ### Checkpoint

# %%
checked = lab_utils.assert_run_logged(result["run_id"], params={"C": 1.0}, metrics=["accuracy"],
                                      tags=["prefect.flow_run_id", "prefect.flow_run_url"])
assert result["run_id"] in artifacts[0].data, "the Prefect artifact does not link to the MLflow run"
print("✓ the MLflow run and the Prefect flow run point at each other")

# %% [markdown]
# ### Caching
#
# Run the flow again: the data-loading task is not executed a second time, its result
# comes from the cache (state `Cached`), because its inputs and code are unchanged.

# %%
from lab_utils.prefect import task_run_states

again = retrain.retreinar_modelo(C=0.5, limiar_acuracia=accuracy_threshold)
states = task_run_states(mlflow.get_run(again["run_id"]).data.tags["prefect.flow_run_id"])
print(states)
assert states["carregar_dados"] == "Cached", states

# %% [markdown]
# ## A scheduled deployment
#
# A **deployment** makes a flow runnable by the server: on a schedule, from the UI, or
# from code. `flow.serve(...)` registers one and runs its flow runs in the serving
# process. The lab starts `python pipelines/retrain.py` (which calls
# `retreinar_modelo.serve(name="semanal", cron="0 3 * * 1")`) in the background; we then
# trigger a run now with `run_deployment` and wait for it, and stop the server. (On a
# workshop lab the deployment carries your name, `semanal-<you>`, so that your run goes
# to your own serving process.)

# %%
from prefect.deployments import run_deployment

from lab_utils.prefect import DeploymentServer

deployment = f"retreinar-modelo/{retrain.DEPLOYMENT}"
server = DeploymentServer(lab_utils.REPO_ROOT / "pipelines" / "retrain.py", deployment=deployment).start()
# Jupyter runs an event loop, so Prefect would return a coroutine here; `_sync=True` asks
# for the plain, blocking call (in a script, `run_deployment(...)` alone does the same).
triggered = run_deployment(deployment, parameters={"C": 2.0}, timeout=180, poll_interval=1,
                           _sync=True)
print(f"deployment run {triggered.name}: {triggered.state.type.value}")
server.stop()

# %% [markdown]
# ### Checkpoint

# %%
assert triggered.state.type.value == "COMPLETED", triggered.state
deployed_runs = mlflow.search_runs(experiment_names=["pipeline_treinamento"],
                                   filter_string=f"tags.`prefect.flow_run_id` = '{triggered.id}'")
assert len(deployed_runs) == 1, "no MLflow run for the deployment's flow run"
print(f"✓ the deployment ran on schedule's behalf and logged MLflow run {deployed_runs.run_id[0][:8]}…")

# %% [markdown]
# ## A flow that runs an MLflow Project
#
# Orchestration and packaging combine: a flow can run lesson 06's project, so the
# scheduler does not need to know how training works — only which entry point to call.

# %%
@flow(name="treinar-projeto")
def treinar_projeto(alpha: float = 0.3, l1_ratio: float = 0.5) -> str:
    submitted = mlflow.projects.run(
        str(lab_utils.REPO_ROOT / "projects" / "house_prices"), entry_point="train",
        parameters={"alpha": alpha, "l1_ratio": l1_ratio}, env_manager="local",
        experiment_name="projetos_mlflow",
    )
    return submitted.run_id


project_run_id = treinar_projeto(alpha=0.2)
project_flow_run = latest_flow_run("treinar-projeto")
checked = lab_utils.assert_run_logged(project_run_id, params={"alpha": "0.2"},
                                      tags={"mlflow.project.entryPoint": "train"})
assert project_flow_run.state_type.value == "COMPLETED"

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Run `retrain.retreinar_modelo` with `C=0.1` and a threshold of `0.99` (which no model
# reaches here). Put its result in `strict_result`. Was a version registered?

# %% tags=["exercise"]
strict_result = ...  # your code here

# %% tags=["solution"]
strict_result = retrain.retreinar_modelo(C=0.1, limiar_acuracia=0.99)

# %% tags=["check-exercise"]
if lab_utils.attempted(strict_result, "Exercise 1"):
    assert strict_result["registered_version"] is None, "nothing should pass a 0.99 threshold"
    run = lab_utils.assert_run_logged(strict_result["run_id"], params={"C": 0.1})
    print("✓ Exercise 1: tracked, not registered")

# %% [markdown]
# ### Exercise 2
# Using `lab_utils.prefect.latest_flow_run`, find the most recent run of the flow
# `retreinar-modelo` and put its state type as a string (e.g. `"COMPLETED"`) in `latest_state`.

# %% tags=["exercise"]
latest_state = ...  # your code here

# %% tags=["solution"]
latest_state = latest_flow_run("retreinar-modelo").state_type.value

# %% tags=["check-exercise"]
if lab_utils.attempted(latest_state, "Exercise 2"):
    assert latest_state == "COMPLETED", latest_state
    print("✓ Exercise 2")

# %% [markdown]
# ## Summary
#
# - Point Prefect at a real server (`PREFECT_API_URL`); flows then take about a second.
# - Track inside tasks with MLflow as usual; gate registration on a validation metric.
# - Link both ways: tags on the MLflow run, a link artifact on the flow run.
# - Retries and caching belong on the flaky, expensive steps (data loading).
# - `flow.serve` + `run_deployment` give schedules and on-demand runs; a flow can run an
#   MLflow Project.
#
# Next: **08 · Comparing runs and best practices**.
