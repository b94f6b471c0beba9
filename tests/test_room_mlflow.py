"""The workshop's MLflow server against a room member with nothing but her env file (issue #25).

The module starts a workshop lab of its own on LAB_HOST=127.0.0.4, a loopback address standing
for the room's, with learners ana, bruno and carla; each acts only through the env file
`lab users env NAME -o NAME.env` wrote. It checks what the room's MLflow app adds to MLflow's
basic-auth app: demo data refused, request bodies bounded (and worker deaths reported), a
password change or account deletion effective at once on every worker, model-version sources
kept to MLflow's own references, writes rate-limited and usage shown to the instructor.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest
import requests

from lab_stack import stack
from lab_stack.config import load_config
from lab_stack.secrets import server_environment

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ROOM = "127.0.0.4"
_TAG = hashlib.sha1(bytes(ROOT)).hexdigest()[:8]
ROOM_LAB = {
    # Under /tmp: as root, PostgreSQL runs as Debian's `postgres` user, who must reach it.
    "LAB_HOME": os.path.join(tempfile.gettempdir(), f"lab-room-mlflow-test-{_TAG}"),
    "LAB_HOST": ROOM,
    "LAB_MLFLOW_PORT": "15400",
    "LAB_S3_PORT": "9500",
    "LAB_PREFECT_PORT": "14400",
    "LAB_PG_PORT": "15732",
    "LAB_JUPYTER_PORT": "18400",
    "LAB_SPARK_MASTER_PORT": "17477",
    "LAB_SPARK_UI_PORT": "18480",
    # A small burst, so that a test's loop reaches the rate limit in a few seconds (the default
    # burst, 150 writes, is the same mechanism with a larger number).
    "LAB_MLFLOW_WRITE_BURST": "12",
    "LAB_MLFLOW_WRITES_PER_SECOND": "0.5",
}
CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                    "MLFLOW_WORKSPACE", "LAB_USER", "LAB_WORKSHOP", "PREFECT_HOME", "PREFECT_API_AUTH_STRING",
                    "LAB_HOST", "LAB_PG_PORT", "LAB_ALLOWED_HOSTS", "LAB_S3_ENDPOINT_URL")
LEARNERS = ("ana", "bruno", "carla")
API = "/api/2.0/mlflow"


@contextmanager
def lab_environment(settings: dict[str, str]):
    saved = dict(os.environ)
    for name in CLIENT_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(settings)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def lab_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lab"), *args], capture_output=True, text=True, env=dict(os.environ),
                          timeout=300)


def _remove(config) -> None:
    stack.down(config)
    shutil.rmtree(config.home, ignore_errors=True)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A workshop lab on the room's address with three learners and their env files."""
    envs = tmp_path_factory.mktemp("env-files")
    with lab_environment(ROOM_LAB):
        config = load_config(workshop=True)
        _remove(config)
        try:
            up = lab_cli("up", "--workshop")
            for _ in range(2):  # a loaded machine: the server may take longer than `lab up` waits
                if up.returncode == 0 or "did not become healthy" not in up.stderr:
                    break
                up = lab_cli("up", "--workshop")
            assert up.returncode == 0, up.stdout + up.stderr
            added = lab_cli("users", "add", *LEARNERS)
            assert added.returncode == 0, added.stdout + added.stderr
            for name in LEARNERS:  # as the guide said before `-o` (its own test below)
                printed = lab_cli("users", "env", name)
                assert printed.returncode == 0, printed.stdout + printed.stderr
                (envs / f"{name}.env").write_text(printed.stdout)
            config = load_config()
            os.environ.update(server_environment(config))  # the instructor: admin on the server
            yield config, envs
        finally:
            _remove(config)


class Learner:
    """A room member's HTTP client, built from her env file and nothing else."""

    def __init__(self, env_file: Path):
        self.env = dict(line.removeprefix("export ").split("=", 1) for line in env_file.read_text().splitlines()
                        if line.startswith("export "))
        self.env = {key: value.strip("'") for key, value in self.env.items()}
        self.name = self.env["MLFLOW_TRACKING_USERNAME"]
        self.uri = self.env["MLFLOW_TRACKING_URI"]
        self.auth = (self.name, self.env["MLFLOW_TRACKING_PASSWORD"])

    def call(self, method: str, path: str, workspace: str | None = None, auth=None, **kwargs) -> requests.Response:
        headers = {"X-MLflow-Workspace": workspace or self.name, **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.uri}{path}", auth=auth or self.auth, headers=headers,
                                timeout=60, **kwargs)


def learner(room, name: str) -> Learner:
    return Learner(room[1] / f"{name}.env")


def admin_call(config, method: str, path: str, workspace: str, **kwargs) -> requests.Response:
    auth = ("admin", (config.secrets_dir / "mlflow-admin-password").read_text().strip())
    return requests.request(method, f"{config.tracking_uri}{path}", auth=auth, timeout=60,
                            headers={"X-MLflow-Workspace": workspace}, **kwargs)


def experiment_names(config, workspace: str) -> set[str]:
    found = admin_call(config, "POST", f"{API}/experiments/search", workspace, json={"max_results": 1000})
    assert found.status_code == 200, found.text
    return {e["name"] for e in found.json().get("experiments", [])}


# --- item 7: the env file ------------------------------------------------------------------

def test_env_file_is_private_and_never_overwrites_another_file(room):
    config, envs = room
    path = envs / "written" / "ana.env"
    path.parent.mkdir()
    written = lab_cli("users", "env", "ana", "-o", str(path))
    assert written.returncode == 0, written.stdout + written.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ana = Learner(path)
    assert ana.env == learner(room, "ana").env and ana.env["MLFLOW_WORKSPACE"] == "ana"
    again = lab_cli("users", "env", "ana", "-o", str(path))  # its own file: rewritten
    assert again.returncode == 0, again.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    other = envs / "notes.txt"
    other.write_text("an instructor's notes\n")
    refused = lab_cli("users", "env", "ana", "-o", str(other))
    assert refused.returncode != 0 and "not an env file" in refused.stderr
    assert other.read_text() == "an instructor's notes\n"


# --- item 3: demo data ---------------------------------------------------------------------

def test_demo_data_cannot_be_written_into_another_workspace(room):
    config, _ = room
    before = {ws: experiment_names(config, ws) for ws in ("ana", "default")}
    bruno = learner(room, "bruno")
    for workspace in ("ana", "default", "bruno"):
        answer = bruno.call("POST", "/ajax-api/3.0/mlflow/demo/generate", workspace=workspace, json={})
        assert answer.status_code == 403, (workspace, answer.status_code, answer.text[:300])
        assert "Demo data is off in a workshop" in answer.json()["message"]
    assert {ws: experiment_names(config, ws) for ws in ("ana", "default")} == before


# --- item 9: model-version sources ---------------------------------------------------------

def test_model_version_source_outside_mlflow_references_is_refused(room):
    config, _ = room
    ana, bruno = learner(room, "ana"), learner(room, "bruno")
    created = ana.call("POST", f"{API}/experiments/create", json={"name": "meu_experimento"})
    assert created.status_code == 200, created.text
    run = ana.call("POST", f"{API}/runs/create", json={"experiment_id": created.json()["experiment_id"]}).json()
    ana_artifacts = run["run"]["info"]["artifact_uri"]  # mlflow-artifacts:/workspaces/ana/<exp>/<run>/artifacts
    assert ana_artifacts.startswith("mlflow-artifacts:/workspaces/ana/")
    made = bruno.call("POST", f"{API}/registered-models/create", json={"name": "previsao_precos"})
    assert made.status_code == 200, made.text
    s3_path = ana_artifacts.replace("mlflow-artifacts:/", f"s3://{config.bucket}/")
    for source in (s3_path, f"s3://{config.bucket}/workspaces/bruno/x", "file:///etc", ana_artifacts):
        answer = bruno.call("POST", f"{API}/model-versions/create", json={"name": "previsao_precos", "source": source})
        assert answer.status_code in (400, 403), (source, answer.status_code, answer.text[:300])
    versions = bruno.call("GET", f"{API}/registered-models/get", params={"name": "previsao_precos"}).json()
    assert not versions["registered_model"].get("latest_versions")


# --- item 5: password changes and deletions ------------------------------------------------

def _accepted(member: Learner, auth, times: int = 16) -> int:
    """How many of `times` requests (spread over both workers by new connections) the server accepts."""
    ok = 0
    for _ in range(times):
        answer = member.call("GET", f"{API}/experiments/search", auth=auth, params={"max_results": 1},
                             headers={"Connection": "close"})
        assert answer.status_code in (200, 401), answer.text[:200]
        ok += answer.status_code == 200
    return ok


def test_password_change_and_deletion_take_effect_on_every_worker(room):
    from mlflow.server.auth.client import AuthServiceClient

    config, _ = room
    carla, bruno = learner(room, "carla"), learner(room, "bruno")
    assert _accepted(bruno, bruno.auth) == 16  # cached on both workers now
    assert _accepted(carla, carla.auth) == 16
    admin = AuthServiceClient(config.tracking_uri)
    admin.update_user_password("bruno", "a-new-password-1234")
    started = time.monotonic()
    assert _accepted(bruno, bruno.auth) == 0
    assert _accepted(bruno, ("bruno", "a-new-password-1234")) == 16
    admin.delete_user("carla")
    assert _accepted(carla, carla.auth) == 0
    assert time.monotonic() - started < 60
    admin.update_user_password("bruno", bruno.auth[1])  # as before, for the tests below


# --- item 4: request bodies and worker deaths ----------------------------------------------

def _raw_request(member: Learner, method: str, path: str, head: dict[str, str], chunks) -> tuple[int, str]:
    """Send a request by hand (declared or chunked body); the status line and body the server answers."""
    token = base64.b64encode(f"{member.auth[0]}:{member.auth[1]}".encode()).decode()
    lines = [f"{method} {path} HTTP/1.1", f"Host: {ROOM}:{ROOM_LAB['LAB_MLFLOW_PORT']}",
             f"Authorization: Basic {token}", f"X-MLflow-Workspace: {member.name}",
             *(f"{k}: {v}" for k, v in head.items()), "", ""]
    with socket.create_connection((ROOM, int(ROOM_LAB["LAB_MLFLOW_PORT"])), timeout=60) as sock:
        sock.sendall("\r\n".join(lines).encode())
        try:
            for chunk in chunks:
                sock.sendall(chunk)
        except OSError:  # the server answered and closed before the body ended: read its answer
            pass
        answer = b""
        while True:
            try:
                data = sock.recv(65536)
            except OSError:
                break
            if not data:
                break
            answer += data
            if b"\r\n\r\n" in answer and b"}" in answer.split(b"\r\n\r\n", 1)[1]:
                break
    head_part, _, body = answer.partition(b"\r\n\r\n")
    return int(head_part.split()[1]), body.decode(errors="replace")


def artifact_path(member: Learner, experiment: str, name: str) -> str:
    """The artifact proxy's URL path for `name` in a new run of the member's `experiment`."""
    created = member.call("POST", f"{API}/experiments/create", json={"name": experiment})
    assert created.status_code == 200, created.text
    run = member.call("POST", f"{API}/runs/create", json={"experiment_id": created.json()["experiment_id"]}).json()
    return "/api/2.0/mlflow-artifacts/artifacts/" + run["run"]["info"]["artifact_uri"].removeprefix(
        "mlflow-artifacts:/") + "/" + name


def test_large_bodies_are_refused_before_they_are_read(room):
    bruno = learner(room, "bruno")
    artifact = artifact_path(bruno, "artefatos", "big.bin")
    started = time.monotonic()
    # 300 MB declared, a few KB sent: refused from the header, the body never read.
    for path in (artifact, f"{API}/runs/log-batch"):
        status, body = _raw_request(bruno, "PUT" if "artifacts" in path else "POST", path,
                                    {"Content-Length": str(300 * 2**20)}, [b"0" * 4096])
        assert status == 413, (path, status, body)
        assert "larger than the workshop server accepts" in body
    # A chunked body (no length) is refused once it passes the bound (8 MB for the API).
    chunk = b"0" * 2**20
    status, body = _raw_request(bruno, "POST", f"{API}/runs/log-batch",
                                {"Transfer-Encoding": "chunked", "Content-Type": "application/json"},
                                (b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(12)))
    assert status == 413 and "8 MB" in body, (status, body)
    assert time.monotonic() - started < 30
    # What the lessons log still goes through: a 2 MB artifact.
    ok = bruno.call("PUT", artifact.replace("big.bin", "ok.bin"), data=b"1" * 2 * 2**20)
    assert ok.status_code == 200, ok.text[:300]


def _command(process: psutil.Process) -> str:
    """A process's command line; "" for one that ended meanwhile (a zombie has none to read)."""
    try:
        return " ".join(process.cmdline())
    except psutil.Error:
        return ""


def test_status_and_doctor_report_worker_restarts(room):
    from lab_stack.health import check_mlflow_workers, local_checks, mlflow_worker_restarts
    from lab_utils.doctor import CheckFailed

    config, _ = room
    # Before: none, unless this machine is so loaded that uvicorn already replaced a worker.
    before = len(mlflow_worker_restarts(config))
    status = lab_cli("status")
    assert ("died" in status.stdout) == (before > 0) and (status.returncode == 1) == (before > 0), status.stdout
    proxy = stack.supervisor(config).supervisor
    program = next(f"{p['group']}:{p['name']}" for p in proxy.getAllProcessInfo() if p["name"] == "mlflow")
    parent = psutil.Process(proxy.getProcessInfo(program)["pid"])
    uvicorn = next(p for p in [parent, *parent.children(recursive=True)] if "-m uvicorn" in _command(p))
    worker = next(p for p in uvicorn.children() if "spawn_main" in _command(p))
    worker.send_signal(signal.SIGKILL)  # a worker of this test's own lab, as uvicorn's watchdog would
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(mlflow_worker_restarts(config)) == before:
        time.sleep(0.5)
    status = lab_cli("status")
    # This test's kill at least (on a loaded machine uvicorn's health check may replace another).
    died = re.search(r"(\d+) MLflow worker\(s\) died and were replaced", status.stdout)
    assert died and int(died.group(1)) >= before + 1, status.stdout
    assert status.returncode == 1
    # `lab doctor`'s `MLflow workers` line runs this check (its other lines take a minute on a busy machine).
    with pytest.raises(CheckFailed, match=r"\d+ MLflow worker"):
        check_mlflow_workers(config)
    assert ("MLflow workers", None) in [(name, needs) for name, _, needs in local_checks(config)]
    deadline = time.monotonic() + 60  # the replacement serves again
    while requests.get(f"{config.tracking_uri}/health", timeout=10).status_code != 200 and time.monotonic() < deadline:
        time.sleep(1)


# --- item 8: heavy use ---------------------------------------------------------------------

def test_a_burst_of_writes_is_slowed_and_usage_is_shown(room):
    config, _ = room
    ana, bruno = learner(room, "ana"), learner(room, "bruno")
    experiment = bruno.call("POST", f"{API}/experiments/create", json={"name": "burst"}).json()["experiment_id"]
    run_id = bruno.call("POST", f"{API}/runs/create", json={"experiment_id": experiment}).json()["run"]["info"]["run_id"]

    def log(i: int) -> requests.Response:
        return bruno.call("POST", f"{API}/runs/log-metric",
                          json={"run_id": run_id, "key": "loss", "value": i, "timestamp": 0, "step": i})

    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(log, range(80)))
    statuses = [a.status_code for a in answers]
    assert set(statuses) <= {200, 429} and statuses.count(429) >= 20, statuses
    refused = next(a for a in answers if a.status_code == 429)
    assert "Too many writes at once from bruno" in refused.json()["message"] and refused.headers["Retry-After"]
    # Another learner's writes go through meanwhile.
    stored = ana.call("PUT", artifact_path(ana, "modelos", "model.bin"), data=b"1" * 3 * 2**20)
    assert stored.status_code == 200, stored.text[:300]
    usage = lab_cli("users", "usage")
    assert usage.returncode == 0, usage.stdout + usage.stderr
    rows = {line.split()[0]: line.split()[1:] for line in usage.stdout.splitlines()[1:]}
    assert rows["bruno"][0] == "2" and int(rows["bruno"][1].replace(",", "")) == statuses.count(200), usage.stdout
    assert float(rows["ana"][2]) >= 3.0, usage.stdout
