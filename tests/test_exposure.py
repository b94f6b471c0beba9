"""What the room can reach of a workshop lab, and which extra host names MLflow accepts.

The module starts a workshop lab of its own on LAB_HOST=127.0.0.2, an address of the
loopback interface standing for the room's address, with every optional service up
(Spark, JupyterLab). It lists every TCP port the lab's processes listen on and knocks,
without credentials, on each one the room could reach (127.0.0.2 or a wildcard address):
only the doors that ask for credentials may be there, and they must refuse.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
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
ROOM = "127.0.0.2"
WILDCARDS = ("0.0.0.0", "::", "")
EXTRA_HOSTS = "*.app.github.dev"
_TAG = hashlib.sha1(bytes(ROOT)).hexdigest()[:8]
WORKSHOP_LAB = {
    # Under /tmp: as root, PostgreSQL runs as Debian's `postgres` user, who must reach it.
    "LAB_HOME": os.path.join(tempfile.gettempdir(), f"lab-exposure-test-{_TAG}"),
    "LAB_HOST": ROOM,
    "LAB_MLFLOW_PORT": "15300",
    "LAB_S3_PORT": "9400",
    "LAB_PREFECT_PORT": "14500",
    "LAB_PG_PORT": "15532",
    "LAB_JUPYTER_PORT": "19188",
    "LAB_SPARK_MASTER_PORT": "17377",
    "LAB_SPARK_UI_PORT": "18380",
    "LAB_ALLOWED_HOSTS": EXTRA_HOSTS,
}
# Settings of the test lab (conftest) or of a learner's shell that must not leak into these labs.
CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                    "MLFLOW_WORKSPACE", "LAB_USER", "LAB_WORKSHOP", "PREFECT_HOME", "PREFECT_API_AUTH_STRING",
                    "LAB_HOST", "LAB_PG_PORT", "LAB_ALLOWED_HOSTS", "LAB_S3_ENDPOINT_URL")
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


@contextmanager
def running_lab(settings: dict[str, str], *up_args: str, spark: bool = False):
    """A fresh lab with `settings`, stopped and deleted afterwards whatever happened."""
    with lab_environment(settings):
        config = load_config()
        _remove(config)
        try:
            up = lab_cli("up", *up_args)
            assert up.returncode == 0, up.stdout + up.stderr
            if spark:
                started = lab_cli("spark", "up")
                assert started.returncode == 0, started.stdout + started.stderr
            config = load_config()
            os.environ.update(server_environment(config))
            yield config
        finally:
            _remove(config)


def _remove(config) -> None:
    stack.down(config)
    shutil.rmtree(config.home, ignore_errors=True)


@pytest.fixture(scope="module")
def workshop():
    """A workshop lab on the room's address with Spark and JupyterLab running too."""
    with running_lab(WORKSHOP_LAB, "--workshop", "--jupyter", spark=True) as config:
        yield config


# --- who listens where --------------------------------------------------------------------

def _programs(config) -> dict[int, str]:
    """{pid: supervisord program} for supervisord and every process below it."""
    proxy = stack.supervisor(config).supervisor
    supervisord = psutil.Process(proxy.getPID())
    programs = {info["pid"]: info["name"] for info in proxy.getAllProcessInfo() if info["pid"]}
    found = {supervisord.pid: "supervisord"}
    for process in supervisord.children(recursive=True):
        walk = process
        while walk is not None and walk.pid not in programs and walk.pid != supervisord.pid:
            walk = walk.parent()
        found[process.pid] = programs.get(walk.pid, "?") if walk is not None else "?"
    return found


def listening_sockets(config) -> list[tuple[str, int, int, str]]:
    """(address, port, pid, program) of every TCP socket the lab's processes listen on."""
    programs = _programs(config)
    return sorted({(c.laddr.ip, c.laddr.port, c.pid, programs[c.pid])
                   for c in psutil.net_connections(kind="tcp")
                   if c.status == psutil.CONN_LISTEN and c.pid in programs})


def knock(port: int, method: str, path: str = "/", **kwargs) -> int | str:
    """What an anonymous client on the room's network gets: an HTTP status or the error."""
    try:
        return requests.request(method, f"http://{ROOM}:{port}{path}", timeout=10, **kwargs).status_code
    except requests.RequestException as error:
        return type(error).__name__


def test_the_room_reaches_only_doors_that_ask_for_credentials(workshop):
    from lab_utils.clients import s3_client

    sockets = listening_sockets(workshop)
    programs = {program for _address, _port, _pid, program in sockets}
    # The survey saw the whole lab: a test that saw nothing would pass for nothing.
    assert {"objectstore", "postgres", "mlflow", "jupyterlab", "spark-master", "spark-worker"} <= programs, sockets
    # The room shares no Prefect (no accounts): each learner's is their own (lab_stack.own_prefect).
    assert "prefect" not in programs, sockets

    kept = "exposure/kept.txt"
    s3_client(workshop).put_object(Bucket=workshop.bucket, Key=kept, Body=b"kept")
    # Each door and the anonymous requests it must refuse: a read, a write, a delete.
    doors = {
        workshop.mlflow_port: ("MLflow", 401, [
            ("GET", f"{API}/experiments/search?max_results=1", {}),
            ("POST", f"{API}/experiments/create", {"json": {"name": "intruder"}}),
            ("PUT", "/api/2.0/mlflow-artifacts/artifacts/intruder.txt", {"data": b"x"}),
            ("DELETE", f"{API}/registered-models/delete", {"json": {"name": "previsao_precos"}}),
        ]),
        workshop.s3_port: ("S3 API", 403, [
            ("GET", f"/{workshop.bucket}?list-type=2", {}),
            ("GET", f"/{workshop.bucket}/{kept}", {}),
            ("PUT", f"/{workshop.bucket}/intruder.txt", {"data": b"x"}),
            ("DELETE", f"/{workshop.bucket}/{kept}", {}),
        ]),
    }
    problems = []
    reachable = [(a, p, pid, prog) for a, p, pid, prog in sockets if a in (ROOM, f"::ffff:{ROOM}", *WILDCARDS)]
    for address, port, pid, program in reachable:
        where = f"{address or '*'}:{port} ({program}, pid {pid}: {' '.join(psutil.Process(pid).cmdline())[:90]})"
        if port not in doors or address != ROOM:
            answers = {m: knock(port, m) for m in ("GET", "POST", "PUT", "DELETE")}
            problems.append(f"{where} is open to the room; anonymous requests got {answers}")
            continue
        name, refusal, requests_ = doors[port]
        for method, path, kwargs in requests_:
            answer = knock(port, method, path, **kwargs)
            if answer != refusal:
                problems.append(f"{where}, the {name}: anonymous {method} {path} got {answer}, not {refusal}")
    assert not problems, "\n".join(problems)
    assert {port for _a, port, _pid, _prog in reachable} == set(doors), reachable

    # Nothing the anonymous requests tried took effect, and the doors open with credentials.
    assert s3_client(workshop).get_object(Bucket=workshop.bucket, Key=kept)["Body"].read() == b"kept"


def test_the_lab_itself_still_reaches_its_services(workshop):
    status = lab_cli("status")
    assert status.returncode == 0, status.stdout + status.stderr
    for service in ("objectstore", "mlflow", "jupyterlab", "spark-master", "spark-worker"):
        assert f"✓ {service}" in status.stdout, status.stdout
    # The instructor's own tools (`lab env`) point Prefect at the server's loopback: their own.
    env = lab_cli("env")
    assert env.returncode == 0, env.stderr
    assert f"PREFECT_API_URL=http://127.0.0.1:{workshop.prefect_port}/api" in env.stdout.replace("'", ""), env.stdout
    assert "PREFECT_API_AUTH_STRING" not in env.stdout


def test_the_s3_api_on_the_rooms_address_carries_objects_whole(workshop):
    """The S3 port on LAB_HOST is a proxy to the store on loopback: objects pass intact, keys still count."""
    from lab_stack.secrets import reader_keys
    from lab_utils.clients import s3_client

    assert workshop.s3_endpoint_url == f"http://{ROOM}:{workshop.s3_port}"
    body = os.urandom(24 * 2**20)
    admin = s3_client(workshop)
    admin.put_object(Bucket=workshop.bucket, Key="exposure/big.bin", Body=body)
    learner = s3_client(workshop, *reader_keys(workshop))
    assert learner.get_object(Bucket=workshop.bucket, Key="exposure/big.bin")["Body"].read() == body
    with pytest.raises(Exception, match="AccessDenied"):
        learner.put_object(Bucket=workshop.bucket, Key="exposure/learner.txt", Body=b"x")


def test_a_learners_prefect_is_on_their_own_machine(workshop):
    added = lab_cli("users", "add", "carla")
    assert added.returncode == 0, added.stdout + added.stderr
    result = lab_cli("users", "env", "carla")
    assert result.returncode == 0, result.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    # No string for a shared Prefect: the address is the learner's own loopback (lab_stack.own_prefect).
    assert "PREFECT_API_AUTH_STRING" not in env
    assert env["PREFECT_API_URL"].strip("'") == f"http://127.0.0.1:{workshop.prefect_port}/api"


# --- extra host names (Codespaces, dev containers) ---------------------------------------

def _search(config, host: str, auth=None) -> int:
    return requests.get(f"{config.tracking_uri}{API}/experiments/search", params={"max_results": 1},
                        headers={"Host": host}, auth=auth, timeout=10).status_code


def _create(config, origin: str, auth=None) -> int:
    return requests.post(f"{config.tracking_uri}{API}/experiments/create", json={"name": f"from-{uuid.uuid4().hex}"},
                         headers={"Origin": origin}, auth=auth, timeout=10).status_code


def test_a_workshop_accepts_the_extra_host_names(workshop):
    from lab_stack.secrets import WORKSHOP_ADMIN as ADMIN
    from lab_stack.secrets import admin_password

    admin = (ADMIN, admin_password(workshop))
    # /health answers whatever the Host header: the API shows the difference.
    assert _search(workshop, "myname.app.github.dev", admin) == 200
    assert _search(workshop, "evil.example.com", admin) == 403
    assert _create(workshop, "https://myname.app.github.dev", admin) == 200
    assert _create(workshop, "https://evil.example.com", admin) == 403


def test_a_one_learner_lab_accepts_the_extra_host_names(lab):
    """The suite's own test lab runs with LAB_ALLOWED_HOSTS=*.app.github.dev (tests/conftest.py)."""
    assert _search(lab, "myname.app.github.dev") == 200
    assert _search(lab, "myname-5000.app.github.dev:443") == 200
    assert _search(lab, "evil.example.com") == 403
    # MLflow's defaults stay: loopback and private addresses, with any port.
    assert _search(lab, f"127.0.0.1:{lab.mlflow_port}") == 200
    assert _search(lab, "192.168.1.20:5000") == 200
    assert _create(lab, "https://myname.app.github.dev") == 200
    assert _create(lab, "https://evil.example.com") == 403
