"""Services that fall over mid-lesson: the learner sees a clear error, supervisord brings the
service back, nothing logged before is lost, and doing it again succeeds."""

from __future__ import annotations

import os
import signal
import threading
import time

import mlflow
import pytest
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from lab_stack import stack

UPLOAD_MB = 384


def kill_service(config, name: str) -> int:
    """SIGKILL a service and every process it started, as the OOM killer or a crash would."""
    pid = stack.supervisor(config).supervisor.getProcessInfo(f"core:{name}")["pid"]
    os.killpg(pid, signal.SIGKILL)
    return pid


def wait_back(config, name: str, old_pid: int) -> None:
    """Wait until supervisord has restarted the service and it answers its health check again."""
    deadline = time.monotonic() + 120
    while stack.supervisor(config).supervisor.getProcessInfo(f"core:{name}")["pid"] in (old_pid, 0):
        assert time.monotonic() < deadline, f"supervisord did not restart {name}"
        time.sleep(0.2)
    stack.wait_healthy(config, [s for s in stack.define_services(config) if s.name == name])


@pytest.fixture
def experiment(lab):
    mlflow.set_tracking_uri(lab.tracking_uri)
    experiment = mlflow.set_experiment("faults")
    with mlflow.start_run(run_name="logged-before-the-fault") as before:
        mlflow.log_param("alpha", 0.5)
        mlflow.log_metric("rmse", 123.0)
        mlflow.log_text("kept", "notes/before.txt")
    yield experiment, before.info.run_id
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)  # set_experiment exports it for child processes


def assert_intact(run_id: str) -> None:
    run = MlflowClient().get_run(run_id)
    assert run.data.params == {"alpha": "0.5"} and run.data.metrics == {"rmse": 123.0}
    assert mlflow.artifacts.load_text(f"runs:/{run_id}/notes/before.txt") == "kept"


def upload_while_killing_the_store(config, client, run_id: str, path) -> tuple[BaseException | None, int]:
    """Upload `path` as an artifact and SIGKILL the object store one second into it."""
    failure: list[BaseException] = []

    def upload() -> None:
        try:
            client.log_artifact(run_id, str(path))
        except BaseException as error:  # noqa: BLE001 (handed to the test thread)
            failure.append(error)

    thread = threading.Thread(target=upload)
    thread.start()
    time.sleep(1.0)
    assert thread.is_alive(), f"the {UPLOAD_MB} MB upload ended before the store was killed: raise UPLOAD_MB"
    old_pid = kill_service(config, "objectstore")
    thread.join(timeout=180)
    assert not thread.is_alive(), "the upload hung after the object store died"
    return (failure[0] if failure else None), old_pid


def test_object_store_killed_during_an_upload(lab, experiment, tmp_path, monkeypatch):
    big = tmp_path / "features.bin"
    with open(big, "wb") as f:
        for _ in range(UPLOAD_MB):
            f.write(os.urandom(2**20))
    client = MlflowClient()
    run_id = client.create_run(experiment[0].experiment_id, run_name="upload-interrupted").info.run_id
    expected = {"features.bin": UPLOAD_MB * 2**20}

    # MLflow's client retries a broken upload: once the store is back, the upload completes.
    failure, old_pid = upload_while_killing_the_store(lab, client, run_id, big)
    assert failure is None, failure
    wait_back(lab, "objectstore", old_pid)
    assert {f.path: f.file_size for f in client.list_artifacts(run_id)} == expected

    # Without retries, an upload while the store is down fails with an error that names the
    # endpoint; once the store is back, doing it again succeeds. (The store is stopped, not
    # killed: the server receives the whole body before it writes to the store, and on a busy
    # machine a killed store is restarted by then.)
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    supervisor = stack.supervisor(lab).supervisor
    supervisor.stopProcess("core:objectstore")
    try:
        with pytest.raises(MlflowException, match="mlflow-artifacts/artifacts"):
            client.log_artifact(run_id, str(big))
    finally:
        supervisor.startProcess("core:objectstore")
    stack.wait_healthy(lab, [s for s in stack.define_services(lab) if s.name == "objectstore"])
    assert_intact(experiment[1])
    client.log_artifact(run_id, str(big))
    assert {f.path: f.file_size for f in client.list_artifacts(run_id)} == expected


def test_tracking_server_killed_during_a_run(lab, experiment, monkeypatch):
    client = MlflowClient()
    run = client.create_run(experiment[0].experiment_id, run_name="server-killed")
    for step in range(5):
        client.log_metric(run.info.run_id, "loss", 1 / (step + 1), step=step)
    old_pid = kill_service(lab, "mlflow")

    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")
    with pytest.raises(MlflowException) as error:
        client.log_metric(run.info.run_id, "loss", 0.1, step=5)
    # The error names the server that did not answer and why (refused, or reset mid-request).
    assert f"API request to {lab.tracking_uri}/api/2.0/mlflow/runs/log-metric failed" in str(error.value)
    assert "Connection" in str(error.value), error.value

    # With MLflow's default retries, the same call waits for the restarted server and succeeds.
    monkeypatch.delenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES")
    client.log_metric(run.info.run_id, "loss", 0.1, step=5)
    wait_back(lab, "mlflow", old_pid)
    client.set_terminated(run.info.run_id)

    history = [m.step for m in client.get_metric_history(run.info.run_id, "loss")]
    assert sorted(history) == [0, 1, 2, 3, 4, 5]
    assert client.get_run(run.info.run_id).info.status == "FINISHED"
    assert_intact(experiment[1])
