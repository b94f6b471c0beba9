"""lab_utils and the `lab` command against the real processes of the test lab."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from lab_stack import stack
from lab_stack.config import load_config
from lab_utils.config import LabConfigError

BIN = Path(sys.executable).parent


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lab"), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=180)


def test_config_reads_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.setenv("LAB_MLFLOW_PORT", "5123")
    config = load_config()
    assert config.home == tmp_path
    assert config.tracking_uri == "http://127.0.0.1:5123"
    monkeypatch.setenv("LAB_MLFLOW_PORT", "fifty")
    with pytest.raises(LabConfigError, match="LAB_MLFLOW_PORT='fifty' is not a port"):
        load_config()


def test_a_workshop_server_runs_the_workers_asked_for(monkeypatch, tmp_path):
    from lab_stack.services.mlflow_server import workshop_server_args

    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.setenv("LAB_WORKSHOP_WORKERS", "4")
    args = workshop_server_args(load_config(workshop=True))
    assert args[args.index("--workers") + 1] == "4"
    monkeypatch.setenv("LAB_WORKSHOP_WORKERS", "all")
    with pytest.raises(LabConfigError, match="LAB_WORKSHOP_WORKERS='all' is not a number of workers"):
        load_config()


def test_external_store_needs_keys(monkeypatch):
    monkeypatch.setenv("LAB_S3_ENDPOINT_URL", "http://127.0.0.1:1")
    for name in ("LAB_S3_ACCESS_KEY", "LAB_S3_SECRET_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LabConfigError, match="LAB_S3_SECRET_KEY"):
        load_config().s3_credentials()


def test_lab_env_configures_a_shell(lab):
    result = lab_cli("env")
    assert result.returncode == 0, result.stderr
    script = (f'eval "$({BIN / "lab"} env)"; {sys.executable} -c '
              '"import os; print(os.environ[\'MLFLOW_TRACKING_URI\'], os.environ[\'PREFECT_API_URL\'], '
              'os.environ[\'AWS_ACCESS_KEY_ID\'])"')
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
    creds = lab.s3_credentials()
    assert shell.stdout.split() == [lab.tracking_uri, lab.prefect_api_url, creds.access_key]


def test_secrets_are_private(lab):
    assert lab.credentials_path.stat().st_mode & 0o077 == 0
    assert (lab.home / "supervisord.conf").stat().st_mode & 0o077 == 0


def test_up_is_idempotent_and_status_healthy(lab):
    result = lab_cli("up")
    assert result.returncode == 0, result.stderr
    status = lab_cli("status")
    assert status.returncode == 0
    for service in ("objectstore", "mlflow", "prefect"):
        assert f"✓ {service}" in status.stdout


def test_doctor_passes_on_a_healthy_lab(lab):
    result = lab_cli("doctor")
    assert result.returncode == 0, result.stdout
    assert "✗" not in result.stdout
    assert "✓ artifact round trip" in result.stdout


def _wait_healthy(config, name):
    service = next(s for s in stack.define_services(config) if s.name == name)
    stack.wait_healthy(config, [service], timeout=90)


def test_doctor_names_the_fix_for_a_stopped_tracking_server(lab):
    supervisor = stack.supervisor(lab).supervisor
    supervisor.stopProcess("core:mlflow")
    try:
        result = lab_cli("doctor")
    finally:
        supervisor.startProcess("core:mlflow")
        _wait_healthy(lab, "mlflow")
    assert result.returncode == 1
    assert "✗ tracking server: no answer from" in result.stdout
    assert "fix: the lab is running but its tracking server does not answer" in result.stdout
    assert "✓ object store keys" in result.stdout  # only the broken part is blamed


def test_doctor_names_the_fix_for_a_wrong_secret(lab):
    creds = lab.s3_credentials()
    result = lab_cli("doctor", env={"LAB_S3_ENDPOINT_URL": lab.s3_endpoint_url,
                                    "LAB_S3_ACCESS_KEY": creds.access_key, "LAB_S3_SECRET_KEY": "wrong"})
    assert result.returncode == 1
    assert "✗ object store keys: the object store refused the keys (SignatureDoesNotMatch)" in result.stdout
    assert "LAB_S3_ACCESS_KEY / LAB_S3_SECRET_KEY do not match" in result.stdout


def test_doctor_names_the_fix_for_a_missing_bucket(lab):
    result = lab_cli("doctor", env={"LAB_S3_BUCKET": "no-such-bucket"})
    assert result.returncode == 1
    assert "✗ artifact bucket: bucket 'no-such-bucket' not found" in result.stdout
    assert "`lab up` creates it" in result.stdout


def test_a_killed_service_is_restarted(lab):
    supervisor = stack.supervisor(lab).supervisor
    before = supervisor.getProcessInfo("core:objectstore")["pid"]
    os.kill(before, signal.SIGKILL)
    deadline = time.monotonic() + 30
    while supervisor.getProcessInfo("core:objectstore")["pid"] in (before, 0):
        assert time.monotonic() < deadline, "supervisord did not restart the object store"
        time.sleep(0.2)
    _wait_healthy(lab, "objectstore")


def test_down_and_up_keep_runs_models_and_artifacts(lab):
    import mlflow
    from mlflow import MlflowClient
    from sklearn.dummy import DummyRegressor

    mlflow.set_experiment("restart_check")
    with mlflow.start_run() as run:
        mlflow.log_param("kept", "yes")
        mlflow.log_text("still here", "notes/kept.txt")
        mlflow.sklearn.log_model(DummyRegressor().fit([[0]], [1.5]), name="model",
                                 pip_requirements=["scikit-learn"])
    version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "restart_check_model").version

    assert stack.down(lab)
    assert not stack.is_running(lab)
    stack.up(lab)

    client = MlflowClient()
    assert client.get_run(run.info.run_id).data.params == {"kept": "yes"}
    assert client.get_model_version("restart_check_model", version).run_id == run.info.run_id
    assert mlflow.artifacts.load_text(f"runs:/{run.info.run_id}/notes/kept.txt") == "still here"
    reloaded = mlflow.pyfunc.load_model(f"models:/restart_check_model/{version}")
    assert reloaded.predict([[3]])[0] == 1.5


def test_export_and_import_restore_a_lab(lab, tmp_path):
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient()
    experiment = client.create_experiment(f"backup_check_{time.time_ns()}")
    kept = client.create_run(experiment).info.run_id
    client.log_param(kept, "kept", "yes")
    client.log_text(kept, "in the archive", "notes/kept.txt")
    archive = tmp_path / "lab.tar.gz"
    exported = lab_cli("export", str(archive))
    assert exported.returncode == 0, exported.stderr
    assert archive.stat().st_mode & 0o077 == 0
    later = client.create_run(experiment).info.run_id

    imported = lab_cli("import", "--yes", str(archive))
    assert imported.returncode == 0, imported.stderr
    assert client.get_run(kept).data.params == {"kept": "yes"}
    assert mlflow.artifacts.load_text(f"runs:/{kept}/notes/kept.txt") == "in the archive"
    with pytest.raises(MlflowException, match="not found|RESOURCE_DOES_NOT_EXIST"):
        client.get_run(later)  # logged after the export: the import restores the earlier state


def test_checkpoint_fails_when_the_run_is_missing(lab):
    import lab_utils

    with pytest.raises(lab_utils.CheckpointFailed, match="is not on the tracking server"):
        lab_utils.assert_run_logged("0" * 32)


def test_checkpoint_fails_when_a_param_is_missing(lab):
    import mlflow

    import lab_utils

    mlflow.set_experiment("checkpoint_check")
    with mlflow.start_run() as run:
        mlflow.log_param("alpha", 0.5)
    with pytest.raises(lab_utils.CheckpointFailed, match="has no param 'l1_ratio'"):
        lab_utils.assert_run_logged(run.info.run_id, params=["alpha", "l1_ratio"])
    with pytest.raises(lab_utils.CheckpointFailed, match="alpha='0.5', expected 0.7"):
        lab_utils.assert_run_logged(run.info.run_id, params={"alpha": 0.7})


def test_notebook_connect_stops_with_the_doctors_report(monkeypatch):
    import lab_utils

    monkeypatch.setenv("LAB_MLFLOW_PORT", "1")  # nothing listens there
    tracking_uri = os.environ.get("MLFLOW_TRACKING_URI")
    with pytest.raises(lab_utils.LabNotReady, match="tracking server: no answer"):
        lab_utils.connect()
    assert os.environ.get("MLFLOW_TRACKING_URI") == tracking_uri, "a failed connect() changed the environment"


def test_jupyterlab_starts_with_its_token_kept(lab):
    import requests

    from lab_stack.services.jupyterlab import jupyter_token

    result = lab_cli("up", "--jupyter")
    try:
        assert result.returncode == 0, result.stderr
        token = jupyter_token(lab)
        assert f"{lab.jupyter_url}?token={token}" in result.stdout
        base = f"http://{lab.host}:{lab.jupyter_port}"
        assert requests.get(f"{base}/api/contents/notebooks", timeout=10).status_code == 403
        listing = requests.get(f"{base}/api/contents/notebooks", params={"token": token}, timeout=10)
        assert listing.ok and any(item["name"] == "00_welcome.ipynb" for item in listing.json()["content"])
        # Portuguese learners are told where their edition is, and the link opens it.
        assert f"{lab.jupyter_url}/tree/notebooks/pt-BR?token={token}" in result.stdout
        portuguese = requests.get(f"{base}/api/contents/notebooks/pt-BR", params={"token": token}, timeout=10)
        assert portuguese.ok and any(item["name"] == "00_welcome.ipynb" for item in portuguese.json()["content"])
    finally:
        stack.stop_group(lab, "jupyter")


def test_a_model_server_does_not_take_another_servers_port_for_its_own(tmp_path, monkeypatch):
    """Two labs' notebooks may pick the same free port at the same moment: the second server
    must fail with its log, not pass for started because the first one answers /ping."""
    import mlflow.sklearn
    import numpy as np
    from sklearn.linear_model import LinearRegression

    from lab_utils import serving
    from lab_utils.processes import BackgroundProcessError
    from lab_utils.serving import ModelServer, free_port

    model = tmp_path / "model"
    mlflow.sklearn.save_model(LinearRegression().fit(np.arange(6).reshape(-1, 1), np.arange(6)), model)
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "first-lab"))
    first = ModelServer(str(model), port=free_port()).start()
    try:
        monkeypatch.setenv("LAB_HOME", str(tmp_path / "second-lab"))
        with pytest.raises(BackgroundProcessError, match="did not start"):
            ModelServer(str(model), port=first.port).start()
        # Handed a port that another server took meanwhile, a server that chose none moves on.
        ports = iter([first.port, free_port()])
        monkeypatch.setattr(serving, "free_port", lambda host="127.0.0.1": next(ports))
        second = ModelServer(str(model)).start()
        try:
            assert second.port != first.port and requests.get(f"{second.url}/ping", timeout=5).ok
        finally:
            second.stop()
    finally:
        first.stop()


def test_a_new_homes_prefect_database_is_the_migrated_copy_and_an_old_one_is_kept(lab, tmp_path):
    """`make venv` keeps Prefect's migrated, empty database (lab_stack.prefect_database): a new
    home gets a copy at Prefect's latest revision (the test lab's Prefect runs on one), and a home
    that has a database is never touched."""
    import sqlite3

    from lab_stack import prefect_database

    def revision(path: Path) -> str:
        with sqlite3.connect(path) as database:
            return database.execute("SELECT version_num FROM alembic_version").fetchone()[0]

    template = prefect_database.template_path()
    assert template.is_file(), "no migrated Prefect database in the environment: `make venv` makes it"
    assert prefect_database.make_template() == template
    assert revision(lab.home / "prefect" / "prefect.db") == revision(template)
    assert requests.get(f"{lab.prefect_api_url}/ready", timeout=15).ok

    assert prefect_database.seed(tmp_path / "new") and revision(tmp_path / "new" / "prefect.db") == revision(template)
    with sqlite3.connect(tmp_path / "new" / "prefect.db") as database:
        database.execute("CREATE TABLE learners_work (id INTEGER)")
    assert not prefect_database.seed(tmp_path / "new")
    with sqlite3.connect(tmp_path / "new" / "prefect.db") as database:
        assert database.execute("SELECT name FROM sqlite_master WHERE name = 'learners_work'").fetchone()
