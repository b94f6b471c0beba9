"""The graders of lessons 05 (both parts), 06 and 07, both ways (issue #26): for every exercise a
correct answer in a style the solution does not use is accepted, and the shortcuts a hurried
learner takes are refused with a one-line message.

Real servers, no mocks: the session's test lab (MLflow, the bucket, Prefect), real model servers
(one started with `lab_utils.ModelServer`, one started by hand with `mlflow models serve`), the
real MLflow Project run with the `mlflow run` CLI, real Prefect flow runs. Every name this module
creates carries a suffix of its own, so it depends on no other module's state.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
import warnings
from pathlib import Path

import numpy as np
import pytest
import requests

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
SUFFIX = uuid.uuid4().hex[:8]
INTEGER_HINT = "Hint: Inferred schema contains integer column"
# Given, so that `log_model` does not infer them by loading the model in a new Python process.
REQUIREMENTS = ["scikit-learn", "pandas", "numpy"]


def refused(match: str):
    from lab_utils.grading import ExerciseCheckFailed

    return pytest.raises(ExerciseCheckFailed, match=match)


def one_line(error) -> str:
    text = str(error.value)
    assert "\n" not in text, text
    return text


# ---------------------------------------------------------------- a registry of our own

@pytest.fixture(scope="module")
def houses():
    import lab_utils

    return lab_utils.split_house_prices()


@pytest.fixture(scope="module")
def registry(lab, houses):
    """`grading05_<suffix>`: version 1 a linear regression, version 2 a strong ridge (other prices),
    `@champion` on version 2; `grading05_<suffix>_anuncios` registers the same two models."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LinearRegression, Ridge

    X_train, X_test, y_train, _y_test = houses
    mlflow.set_experiment(f"grading05_{SUFFIX}")
    name, listings = f"grading05_{SUFFIX}", f"grading05_{SUFFIX}_anuncios"
    models = {}
    for version, estimator in ((1, LinearRegression()), (2, Ridge(alpha=5000.0))):
        estimator.fit(X_train, y_train)
        with mlflow.start_run(), warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=INTEGER_HINT)
            info = mlflow.sklearn.log_model(estimator, name="model", input_example=X_train.head(3),
                                            pip_requirements=REQUIREMENTS)
        assert mlflow.register_model(info.model_uri, name).version == str(version)
        assert mlflow.register_model(info.model_uri, listings).version == str(version)
        models[version] = estimator
    MlflowClient().set_registered_model_alias(name, "champion", "2")
    assert not np.allclose(models[1].predict(X_test.head(1)), models[2].predict(X_test.head(1)))
    return {"name": name, "listings": listings, "models": models}


# ---------------------------------------------------------------- 05 part 1, Exercise 1

def _log(estimator, **kwargs):
    import mlflow

    with mlflow.start_run(), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=INTEGER_HINT)
        return mlflow.sklearn.log_model(estimator, name="model", pip_requirements=REQUIREMENTS, **kwargs)


def test_05_models_ex1_accepts_a_hand_built_signature_handed_over_as_an_id(registry, houses):
    from mlflow.models import ModelSignature
    from mlflow.models.model import get_model_info
    from mlflow.types import ColSpec, Schema

    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    champion_inputs = get_model_info(f"models:/{registry['name']}/2").signature.inputs.to_dict()
    columns = [ColSpec("double" if c["name"] == "bedrooms" else c["type"], c["name"]) for c in champion_inputs]
    signature = ModelSignature(inputs=Schema(columns))  # built by hand, no output schema
    info = _log(registry["models"][2], signature=signature)
    lesson_05_models.check_exercise_1(info.model_id, registry["name"], "2", X_test)
    lesson_05_models.check_exercise_1(info, registry["name"], 2, X_test)  # the ModelInfo, as the solution


def test_05_models_ex1_accepts_the_inferred_signature_as_a_uri(registry, houses, capsys):
    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    info = _log(registry["models"][2], input_example=X_test.head(3).astype({"bedrooms": "float64"}))
    lesson_05_models.check_exercise_1(info.model_uri, registry["name"], "2", X_test)
    out = capsys.readouterr().out
    assert out.count("✓") == 1 and "2.5 bedrooms" in out


def test_05_models_ex1_refuses_what_is_not_a_logged_model(registry, houses):
    import mlflow

    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    with refused("expected a logged model .*got None"):
        lesson_05_models.check_exercise_1(None, registry["name"], "2", X_test)
    with mlflow.start_run() as run:
        pass
    with refused("expected a logged model .*got a Run") as error:
        lesson_05_models.check_exercise_1(mlflow.get_run(run.info.run_id), registry["name"], "2", X_test)
    one_line(error)
    with refused("loaded in memory"):
        lesson_05_models.check_exercise_1(registry["models"][2], registry["name"], "2", X_test)


def test_05_models_ex1_refuses_the_shortcuts(registry, houses):
    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    name = registry["name"]
    as_logged = _log(registry["models"][2], input_example=X_test.head(3))  # bedrooms still long
    with refused("declares bedrooms as 'long'"):
        lesson_05_models.check_exercise_1(as_logged, name, "2", X_test)
    all_floats = _log(registry["models"][2], input_example=X_test.head(3).astype(float))
    with refused("other columns should stay as the champion declares them"):
        lesson_05_models.check_exercise_1(all_floats, name, "2", X_test)
    another = _log(registry["models"][1], input_example=X_test.head(3).astype({"bedrooms": "float64"}))
    with refused("does not price houses like the champion"):
        lesson_05_models.check_exercise_1(another, name, "2", X_test)
    unsigned = _log(registry["models"][2])
    with refused("has no signature"):
        lesson_05_models.check_exercise_1(unsigned, name, "2", X_test)


# ---------------------------------------------------------------- 05 part 2: real model servers

def _hand_started(model_uri: str, port: int):
    """`mlflow models serve` as a learner types it in a terminal: no lab_utils, no log file of the lab."""
    environment = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    return subprocess.Popen([str(BIN / "mlflow"), "models", "serve", "-m", model_uri, "--env-manager", "local",
                             "--host", "127.0.0.1", "--port", str(port)], env=environment,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


@pytest.fixture(scope="module")
def servers(registry):
    """Version 1 served by `lab_utils.ModelServer`, version 2 by a hand-started `mlflow models serve`."""
    from lab_utils import ModelServer, port_is_free

    # `--env-manager local` runs uvicorn from PATH: the lab's own, as `lab_utils.connect()` arranges.
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = f"{BIN}{os.pathsep}{path}"
    base = int(os.environ["LAB_MLFLOW_PORT"]) + 31  # inside this slot's range of ports
    hand_port = next(p for p in range(base + 1, base + 15) if port_is_free(p))
    by_hand = _hand_started(f"models:/{registry['name']}/2", hand_port)
    helper = None
    try:
        helper = ModelServer(f"models:/{registry['name']}/1", port=next(
            p for p in range(base, base + 15) if p != hand_port and port_is_free(p))).start()
        hand_url = f"http://127.0.0.1:{hand_port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(f"{hand_url}/ping", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            assert by_hand.poll() is None and time.monotonic() < deadline, "the hand-started server did not start"
            time.sleep(0.5)
        yield {"helper": helper.url, "by_hand": hand_url}
    finally:
        if helper is not None:
            helper.stop()
        os.killpg(by_hand.pid, signal.SIGTERM)
        by_hand.wait(timeout=30)
        os.environ["PATH"] = path


def _post(url: str, **kwargs) -> requests.Response:
    return requests.post(f"{url}/invocations", timeout=30, **kwargs)


def test_05_serving_ex1_accepts_a_raw_body_in_another_key_order(registry, houses, servers):
    from lab_utils.grading import lesson_05_serving

    X_test = houses[1]
    row = X_test.head(1).to_dict(orient="records")[0]
    raw = json.dumps({"dataframe_records": [dict(reversed(list(row.items())))]}, separators=(",", ":"))
    response = _post(servers["helper"], data=raw, headers={"Content-Type": "application/json"})
    lesson_05_serving.check_exercise_1(response, X_test, registry["name"])
    lesson_05_serving.check_exercise_1(_post(servers["helper"], json={"dataframe_records": [row]}),
                                       X_test, registry["name"], "1")


def test_05_serving_ex1_accepts_a_server_started_by_hand(registry, houses, servers):
    from lab_utils.grading import lesson_05_serving

    X_test = houses[1]
    response = _post(servers["by_hand"], json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
    lesson_05_serving.check_exercise_1(response, X_test, registry["name"], version=2)


def test_05_serving_ex1_refuses_the_shortcuts(registry, houses, servers, lab):
    from urllib.parse import urlparse

    from lab_utils.grading import lesson_05_serving

    X_test, name = houses[1], registry["name"]
    records = {"dataframe_records": X_test.head(1).to_dict(orient="records")}
    wrong_model = _post(servers["by_hand"], json=records)
    # An old ModelServer log for that port, with a 200 in it, does not make a wrong model right.
    stale_log = lab.logs_dir / f"model-server-{urlparse(servers['by_hand']).port}.log"
    stale_log.write_text('INFO: 127.0.0.1:50000 - "POST /invocations HTTP/1.1" 200 OK\n')
    try:
        with refused("the price of version 2: serve models:/.*/1"):
            lesson_05_serving.check_exercise_1(wrong_model, X_test, name)
    finally:
        stale_log.unlink()
    with refused("looks like response.json"):
        lesson_05_serving.check_exercise_1(wrong_model.json(), X_test, name)
    with refused("expected the server's response .*got None"):
        lesson_05_serving.check_exercise_1(None, X_test, name)
    split = _post(servers["helper"], json={"dataframe_split": X_test.head(1).to_dict(orient="split", index=False)})
    with refused("asks for a dataframe_records body"):
        lesson_05_serving.check_exercise_1(split, X_test, name)
    other_row = _post(servers["helper"], json={"dataframe_records": X_test.iloc[1:2].to_dict(orient="records")})
    with refused("not the row of X_test.head"):
        lesson_05_serving.check_exercise_1(other_row, X_test, name)
    bad = _post(servers["helper"], json={"dataframe_records": [{"lotsize": 5000, "bedrooms": 3}]})
    with refused("answered HTTP 400") as error:
        lesson_05_serving.check_exercise_1(bad, X_test, name)
    one_line(error)
    with refused("POST to the server's /invocations"):
        lesson_05_serving.check_exercise_1(requests.get(f"{servers['helper']}/ping", timeout=5), X_test, name)


def test_05_serving_ex2_accepts_any_body_format_and_server(registry, houses, servers, capsys):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_05_serving

    listing = houses[1].iloc[[3]]
    listings = registry["listings"]
    MlflowClient().set_registered_model_alias(listings, "champion", "1")
    split = listing[listing.columns[::-1]].to_dict(orient="split", index=False)  # the columns in another order
    lesson_05_serving.check_exercise_2(_post(servers["helper"], json={"dataframe_split": split}),
                                       listing, "1", model_name=listings)
    mv = MlflowClient().get_model_version(listings, "1")  # a ModelVersion handed over works too
    lesson_05_serving.check_exercise_2(_post(servers["helper"], json={"inputs": listing.to_dict(orient="list")}),
                                       listing, mv, model_name=listings)
    MlflowClient().set_registered_model_alias(listings, "champion", "2")
    lesson_05_serving.check_exercise_2(_post(servers["by_hand"], json={"dataframe_records": listing.to_dict(
        orient="records")}), listing, 2, model_name=listings)
    assert capsys.readouterr().out.count("✓") == 3


def test_05_serving_ex2_refuses_the_shortcuts(registry, houses, servers):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_05_serving

    client = MlflowClient()
    listing, listings = houses[1].iloc[[3]], registry["listings"]
    records = {"dataframe_records": listing.to_dict(orient="records")}
    client.set_registered_model_alias(listings, "champion", "1")
    with refused("the price of models:/.*@champion"):  # a server of another version than the alias
        lesson_05_serving.check_exercise_2(_post(servers["by_hand"], json=records), listing, "1", model_name=listings)
    with refused("not version 2, the one part 1 registered"):
        lesson_05_serving.check_exercise_2(_post(servers["helper"], json=records), listing, "2", model_name=listings)
    stale = _post(servers["helper"], json={"dataframe_records": houses[1].head(1).to_dict(orient="records")})
    with refused("not the listing"):
        lesson_05_serving.check_exercise_2(stale, listing, "1", model_name=listings)
    client.delete_registered_model_alias(listings, "champion")
    with refused("has no alias @champion"):
        lesson_05_serving.check_exercise_2(_post(servers["helper"], json=records), listing, "1", model_name=listings)


# ---------------------------------------------------------------- 06: the MLflow Project

@pytest.fixture(scope="module")
def project_runs(lab):
    """`train` then `validate` with the `mlflow run` CLI (the solution uses Python), numbers written otherwise."""
    import mlflow

    experiment = f"grading06_{SUFFIX}"
    project = ROOT / "projects" / "house_prices"
    # Without the experiment another test's mlflow.set_experiment exported (MLFLOW_EXPERIMENT_ID):
    # `mlflow run` refuses an experiment id and a name together.
    environment = {**{k: v for k, v in os.environ.items() if k not in ("MLFLOW_EXPERIMENT_ID", "MLFLOW_RUN_ID")},
                   "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "MLFLOW_LOGGING_LEVEL": "WARNING"}

    def cli(*arguments: str) -> str:
        done = subprocess.run([str(BIN / "mlflow"), "run", str(project), *arguments, "--env-manager", "local",
                               "--experiment-name", experiment], env=environment, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return mlflow.search_runs(experiment_names=[experiment], order_by=["attributes.start_time DESC"],
                                  max_results=1, output_format="list")[0].info.run_id

    trained = cli("-e", "train", "-P", "alpha=5e-2", "-P", "l1_ratio=0.950")
    validated = cli("-e", "validate", "-P", f"run_id={trained}", "-P", "max_rmse=15000.0")
    return {"experiment": experiment, "train": trained, "validate": validated}


def test_06_ex1_accepts_the_mlflow_run_cli(project_runs, capsys):
    from lab_utils.grading import lesson_06

    lesson_06.check_exercise_1(project_runs["validate"], project_runs["experiment"])
    lesson_06.check_exercise_1(f"  {project_runs['validate']} ", project_runs["experiment"].upper())
    assert capsys.readouterr().out.count("✓") == 2


def _fake_project_run(experiment: str, entry_point: str, params: dict, metrics: dict, tags: dict) -> str:
    """A run that claims to come from the project: what a hurried learner types by hand."""
    import mlflow

    mlflow.set_experiment(experiment)
    if "validated_run_id" in tags and "run_id" not in params:  # `mlflow run` logs the entry point's params
        params = {"run_id": tags["validated_run_id"], **params}
    with mlflow.start_run() as run:
        mlflow.set_tags({"mlflow.source.type": "PROJECT", "mlflow.project.entryPoint": entry_point, **tags})
        mlflow.log_params(params)
        mlflow.log_metrics(metrics)
    return run.info.run_id


def test_06_ex1_waits_for_a_running_validation_and_refuses_forged_runs(project_runs):
    import mlflow
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_06

    experiment, trained = project_runs["experiment"], project_runs["train"]
    real = mlflow.get_run(project_runs["validate"]).data.metrics
    verdict = {"validated_run_id": trained, "validation_passed": "true"}
    # A run started with synchronous=False, handed over before its script ran: wait, do not re-run.
    client = MlflowClient()
    running = client.create_run(mlflow.get_experiment_by_name(experiment).experiment_id,
                                tags={"mlflow.source.type": "PROJECT", "mlflow.project.entryPoint": "validate"})
    with refused("still RUNNING: wait for it"):
        lesson_06.check_exercise_1(running.info.run_id, experiment)
    client.set_terminated(running.info.run_id)
    # The project's tags typed by hand, true scores: no `run_id` param, as `mlflow run` logs.
    forged = _fake_project_run(experiment, "validate", {"max_rmse": 15000, "run_id": "typed"}, real, verdict)
    with refused("not started by the project's validate entry point"):
        lesson_06.check_exercise_1(forged, experiment)
    # A test_rmse typed in.
    typed_test = _fake_project_run(experiment, "validate", {"max_rmse": 15000},
                                   {**real, "test_rmse": 1.0}, verdict)
    with refused("has test_rmse 1.0, not the .* the project computes"):
        lesson_06.check_exercise_1(typed_test, experiment)
    # Run outside the lesson's experiment (experiment_name forgotten): the project's way to fix it.
    elsewhere = _fake_project_run(f"{experiment}_default", "validate", {"max_rmse": 15000}, real, verdict)
    with refused(r"pass experiment_name='.*' to mlflow.projects.run \(--experiment-name"):
        lesson_06.check_exercise_1(elsewhere, experiment)
    lesson_06.check_exercise_1(project_runs["validate"], experiment)


def test_06_ex1_refuses_the_shortcuts(project_runs):
    import mlflow

    from lab_utils.grading import lesson_06

    experiment = project_runs["experiment"]
    with refused("that is the train run"):
        lesson_06.check_exercise_1(project_runs["train"], experiment)
    with refused("got a Run: hand over its id") as error:
        lesson_06.check_exercise_1(mlflow.get_run(project_runs["validate"]), experiment)
    one_line(error)
    with refused("got None"):
        lesson_06.check_exercise_1(None, experiment)
    with refused("in experiment .*the task asks for"):
        lesson_06.check_exercise_1(project_runs["validate"], "projetos_mlflow_elsewhere")
    invented = _fake_project_run(experiment, "validate", {"max_rmse": 15000}, {"validation_rmse": 1.0},
                                 {"validated_run_id": project_runs["train"], "validation_passed": "true"})
    with refused("not the .* the project computes"):
        lesson_06.check_exercise_1(invented, experiment)
    other_limit = _fake_project_run(experiment, "validate", {"max_rmse": 16000}, {"validation_rmse": 1.0},
                                    {"validated_run_id": project_runs["train"], "validation_passed": "true"})
    with refused("max_rmse=16000, the task asks for 15000"):
        lesson_06.check_exercise_1(other_limit, experiment)
    other_train = _fake_project_run(experiment, "train", {"alpha": 0.8, "l1_ratio": 0.2}, {"validation_rmse": 1.0}, {})
    on_other = _fake_project_run(experiment, "validate", {"max_rmse": 15000}, {"validation_rmse": 1.0},
                                 {"validated_run_id": other_train, "validation_passed": "true"})
    with refused("trained with alpha=0.8"):
        lesson_06.check_exercise_1(on_other, experiment)
    # The earlier wrong attempts do not block the right one.
    lesson_06.check_exercise_1(project_runs["validate"], experiment)


# ---------------------------------------------------------------- 07: Prefect flows

@pytest.fixture(scope="module")
def flow_runs(lab):
    """Two strict runs (0.99) of retreinar_modelo, then one with the default threshold (the latest)."""
    from prefect import flow

    sys.path.insert(0, str(ROOT))
    from pipelines import retrain

    earlier = retrain.retreinar_modelo(C=0.1, limiar_acuracia=0.99, return_state=True)
    strict = retrain.retreinar_modelo(C=0.1, limiar_acuracia=0.99, return_state=True)
    default = retrain.retreinar_modelo(C=0.1)

    @flow(name=f"grading07-other-{SUFFIX}")
    def other_flow(C: float = 0.1, limiar_acuracia: float = 0.99) -> dict:  # noqa: N803
        return {"C": C}

    other = other_flow(return_state=True)
    return {"earlier": earlier, "strict": strict, "strict_result": strict.result(), "default": default,
            "other": str(other.state_details.flow_run_id)}


def _async_read_flow_run(flow_run_id: str):
    """Prefect's async client, as a learner in a notebook would `await` it."""
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return await client.read_flow_run(uuid.UUID(flow_run_id))

    return asyncio.run(read())


def test_07_ex1_accepts_a_state_a_flow_run_and_an_id(flow_runs, capsys):
    from lab_utils.grading import lesson_07

    flow_run_id = str(flow_runs["strict"].state_details.flow_run_id)
    lesson_07.check_exercise_1(flow_runs["strict_result"])       # the result, as the solution
    lesson_07.check_exercise_1(flow_runs["strict"])              # return_state=True
    lesson_07.check_exercise_1(_async_read_flow_run(flow_run_id))  # a FlowRun (run_deployment gives one)
    lesson_07.check_exercise_1(flow_run_id)                      # the id `prefect deployment run` prints
    assert capsys.readouterr().out.count("✓") == 4


def test_07_ex1_refuses_the_shortcuts(flow_runs):
    from lab_utils.grading import lesson_07

    with refused("got None"):
        lesson_07.check_exercise_1(None)
    with refused("limiar_acuracia=0.99") as error:  # the default threshold: the version got registered
        lesson_07.check_exercise_1(flow_runs["default"])
    one_line(error)
    typed = {"run_id": flow_runs["default"]["run_id"], "registered_version": None}  # a hand-typed result
    with refused("limiar_acuracia=0.99"):
        lesson_07.check_exercise_1(typed)
    with refused("a run of the flow 'grading07-other"):
        lesson_07.check_exercise_1(flow_runs["other"])
    with refused("no 'run_id'"):
        lesson_07.check_exercise_1({"registered_version": None})


def test_07_ex1_refuses_a_plain_function_a_flow_of_ones_own_and_waits_for_a_scheduled_run(flow_runs):
    import mlflow
    from prefect import flow
    from prefect.client.orchestration import get_client
    from prefect.states import Scheduled

    from lab_utils.grading import lesson_07
    from pipelines import retrain

    # The flow's function without Prefect: its tasks run, in no flow run.
    with refused(r"logged outside any flow run .*not \.fn") as error:
        lesson_07.check_exercise_1(retrain.retreinar_modelo.fn(C=0.1, limiar_acuracia=0.99))
    one_line(error)

    @flow(name="retreinar-modelo")  # a flow of one's own under the lesson's name, an accuracy typed in
    def retreinar_modelo(C: float = 0.1, limiar_acuracia: float = 0.99) -> dict:  # noqa: N803
        from prefect.runtime import flow_run

        mlflow.set_experiment("pipeline_treinamento")
        with mlflow.start_run() as run:
            mlflow.set_tag("prefect.flow_run_id", str(flow_run.id))
            mlflow.log_param("C", C)
            mlflow.log_metric("validation_accuracy_score", 0.5)
        return {"run_id": run.info.run_id, "registered_version": None}

    own = retreinar_modelo(return_state=True)
    try:
        with refused(r"validation_accuracy_score 0.500, not the .* the flow computes"):
            lesson_07.check_exercise_1(own.result())
    finally:  # not left as the latest 0.99 run of retreinar-modelo, which another test looks for
        with get_client(sync_client=True) as client:
            client.delete_flow_run(own.state_details.flow_run_id)
    # A deployment's run handed over before it ran (run_deployment(..., timeout=0)): wait, not re-run.
    with get_client(sync_client=True) as client:
        scheduled = client.create_flow_run(retrain.retreinar_modelo, state=Scheduled(),
                                           parameters={"C": 0.1, "limiar_acuracia": 0.99})
    try:
        with refused("is SCHEDULED, not finished yet: wait for it"):
            lesson_07.check_exercise_1(str(scheduled.id))
        with refused("is SCHEDULED, not finished yet: wait for it"):
            lesson_07.check_exercise_2(scheduled.id)
    finally:
        with get_client(sync_client=True) as client:
            client.delete_flow_run(scheduled.id)


def test_07_ex2_refuses_an_mlflow_run_id_and_a_later_run_than_exercise_1s(flow_runs):
    from lab_utils.grading import lesson_07

    with refused("is an MLflow run id: the flow run's id is a UUID"):
        lesson_07.check_exercise_2(flow_runs["strict_result"]["run_id"], flow_runs["strict_result"])
    later = str(flow_runs["strict"].state_details.flow_run_id)
    with refused(r"started after Exercise 1's .*hand over the run behind strict_result"):
        lesson_07.check_exercise_2(later, flow_runs["earlier"])


def test_07_ex2_accepts_the_id_found_with_the_async_client(flow_runs, capsys):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName
    from prefect.client.schemas.sorting import FlowRunSort

    from lab_utils.grading import lesson_07

    async def find() -> uuid.UUID:
        async with get_client() as client:
            runs = await client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=["retreinar-modelo"])),
                                               sort=FlowRunSort.START_TIME_DESC, limit=50)
        return next(r.id for r in runs if r.parameters.get("limiar_acuracia") == 0.99)

    found = asyncio.run(find())
    assert str(found) == str(flow_runs["strict"].state_details.flow_run_id)
    lesson_07.check_exercise_2(found, flow_runs["strict_result"])  # a UUID
    lesson_07.check_exercise_2(str(found), flow_runs["strict"])    # a str; Exercise 1 answered with a State
    lesson_07.check_exercise_2(str(flow_runs["earlier"].state_details.flow_run_id))  # Exercise 1 not answered
    assert capsys.readouterr().out.count("✓") == 3


def test_07_ex2_refuses_the_shortcuts(flow_runs):
    from lab_utils.grading import lesson_07

    strict_result = flow_runs["strict_result"]
    latest = lesson_07.flow_run_id_of(flow_runs["default"], "x")[0]  # the latest run: another threshold
    with refused("limiar_acuracia=0.99"):
        lesson_07.check_exercise_2(latest, strict_result)
    earlier = str(flow_runs["earlier"].state_details.flow_run_id)
    with refused("an earlier run") as error:
        lesson_07.check_exercise_2(earlier, strict_result)
    one_line(error)
    with refused("got a FlowRun: hand over its .id"):
        lesson_07.check_exercise_2(_async_read_flow_run(earlier), strict_result)
    with refused("not the id of a flow run"):
        lesson_07.check_exercise_2(str(uuid.uuid4()), strict_result)
    with refused("a run of the flow 'grading07-other"):
        lesson_07.check_exercise_2(flow_runs["other"], strict_result)
    with refused("got None"):
        lesson_07.check_exercise_2(None, strict_result)


# ---------------------------------------------------------------- 05: an independent reviewer's variants

def test_05_models_ex1_accepts_the_registered_version_and_refuses_a_32_bit_float(registry, houses, capsys):
    import mlflow

    from lab_utils.grading import lesson_05_models

    X_test, name = houses[1], registry["name"]
    info = _log(registry["models"][2], input_example=X_test.head(3).astype({"bedrooms": "float64"}))
    registered = mlflow.register_model(info.model_uri, f"{name}_float")  # handed over as the ModelVersion
    lesson_05_models.check_exercise_1(registered, name, "2", X_test)
    assert capsys.readouterr().out.count("✓") == 1
    single = _log(registry["models"][2], input_example=X_test.head(3).astype({"bedrooms": "float32"}))
    with refused("declares bedrooms as 'float'"):  # a float32 column refuses the float64 rows a form sends
        lesson_05_models.check_exercise_1(single, name, "2", X_test)


def test_05_models_ex1_refuses_the_champions_own_model_with_its_signature_changed_in_place(registry, houses):
    import mlflow
    from mlflow.models import ModelSignature, set_signature
    from mlflow.models.model import get_model_info
    from mlflow.types import ColSpec, Schema

    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    own = f"{registry['name']}_own"  # a champion of this test's own: set_signature changes it for good
    info = _log(registry["models"][2], input_example=X_test.head(3))
    mlflow.register_model(info.model_uri, own)
    inputs = get_model_info(info.model_uri).signature.inputs.to_dict()
    set_signature(info.model_uri, ModelSignature(inputs=Schema(
        [ColSpec("double" if c["name"] == "bedrooms" else c["type"], c["name"]) for c in inputs])))
    with refused("the champion's own logged model") as error:
        lesson_05_models.check_exercise_1(info.model_id, own, "1", X_test)
    one_line(error)


def test_05_serving_ex1_accepts_an_httpx_response(registry, houses, servers):
    import httpx

    from lab_utils.grading import lesson_05_serving

    X_test = houses[1]
    response = httpx.post(f"{servers['by_hand']}/invocations", timeout=30,
                          json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
    lesson_05_serving.check_exercise_1(response, X_test, registry["name"], version=2)
    with refused("the price of version 2: serve models:/.*/1"):
        lesson_05_serving.check_exercise_1(response, X_test, registry["name"])


def test_05_serving_ex3_reads_what_the_server_on_that_port_answers(registry, houses, servers, capsys):
    from urllib.parse import urlparse

    from mlflow import MlflowClient

    from lab_utils.grading import lesson_05_serving

    X_test, name = houses[1], registry["name"]
    by_hand = urlparse(servers["by_hand"]).port  # `mlflow models serve -m models:/…/2` typed in a terminal
    helper_port = urlparse(servers["helper"]).port  # lab_utils.ModelServer of version 1
    lesson_05_serving.check_exercise_3(by_hand, X_test, name)  # @champion is version 2
    lesson_05_serving.check_exercise_3(f" {by_hand} ", X_test, name)
    lesson_05_serving.check_exercise_3(f"localhost:{by_hand}/invocations", X_test, name)
    assert capsys.readouterr().out.count("✓") == 3
    with refused(f"port {helper_port} answers like version 1 of .*@champion is version 2") as error:
        lesson_05_serving.check_exercise_3(helper_port, X_test, name)
    one_line(error)
    client = MlflowClient()
    client.set_registered_model_alias(name, "champion", "1")
    try:  # the alias moved: the server started before still serves version 2, the helper's now passes
        with refused("answers like version 2 of .*@champion is version 1: stop it"):
            lesson_05_serving.check_exercise_3(by_hand, X_test, name)
        lesson_05_serving.check_exercise_3(f"http://127.0.0.1:{helper_port}", X_test, name)
        assert capsys.readouterr().out.count("✓") == 1
    finally:
        client.set_registered_model_alias(name, "champion", "2")


def test_05_serving_ex3_refuses_what_is_not_a_running_model_server(registry, houses, lab):
    from lab_utils import port_is_free
    from lab_utils.grading import lesson_05_serving

    X_test, name = houses[1], registry["name"]
    for wrong in (None, True, "five thousand and two", 0, 70000):
        with refused("expected the port your model server listens on"):
            lesson_05_serving.check_exercise_3(wrong, X_test, name)
    base = int(os.environ["LAB_MLFLOW_PORT"]) + 60
    stopped = next(p for p in range(base, base + 20) if port_is_free(p))  # a server stopped (Ctrl+C) too early
    with refused(f"nothing answers on port {stopped}: start `mlflow models serve -m models:/{name}@champion"):
        lesson_05_serving.check_exercise_3(stopped, X_test, name)
    with refused("answers GET /ping with HTTP|refuses the test houses"):  # the tracking server, not a model server
        lesson_05_serving.check_exercise_3(int(os.environ["LAB_MLFLOW_PORT"]), X_test, name)


def test_05_models_ex1_says_why_a_signature_in_another_column_order_cannot_predict(registry, houses):
    from mlflow.models import ModelSignature
    from mlflow.models.model import get_model_info
    from mlflow.types import ColSpec, Schema

    from lab_utils.grading import lesson_05_models

    X_test = houses[1]
    inputs = get_model_info(f"models:/{registry['name']}/2").signature.inputs.to_dict()
    reversed_order = ModelSignature(inputs=Schema([ColSpec("double" if c["name"] == "bedrooms" else c["type"],
                                                           c["name"]) for c in reversed(inputs)]))
    info = _log(registry["models"][2], signature=reversed_order)  # the estimator then gets its columns reversed
    with refused("in another order than the champion's") as error:
        lesson_05_models.check_exercise_1(info, registry["name"], "2", X_test)
    one_line(error)
