"""The services around MLflow in a workshop, probed as a room member with only her env file (issue #25).

The module starts a workshop lab of its own on LAB_HOST=127.0.0.3, an address of the loopback
interface standing for the room's address (as tests/test_exposure.py does with 127.0.0.2), adds
two learners and acts as them with nothing but what `lab users env NAME` prints, each with a
LAB_HOME (and a Prefect port) of their own, as on their own machines.

- Item 1: no learner-reachable service makes the lab's machine send requests of her choosing:
  there is no Prefect on the room's address (its automations called any URL from the server),
  a learner's own Prefect runs without automations, and the object store's internals refuse an
  anonymous write or delete even from the server itself.
- Item 2: Prefect has no tenancy, so each learner's is their own: one learner's flow runs are
  in her Prefect and not in his, and lesson 07 still counts in `lab users progress`.
- Item 6: the S3 proxy on the room's address bounds the idle connections one client holds,
  and answers everyone else meanwhile.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
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
ROOM = "127.0.0.3"
_TAG = hashlib.sha1(bytes(ROOT)).hexdigest()[:8]
WORKSHOP_LAB = {
    # Under /tmp: as root, PostgreSQL runs as Debian's `postgres` user, who must reach it.
    "LAB_HOME": os.path.join(tempfile.gettempdir(), f"lab-room-services-test-{_TAG}"),
    "LAB_HOST": ROOM,
    "LAB_MLFLOW_PORT": "15200",
    "LAB_S3_PORT": "9300",
    "LAB_PREFECT_PORT": "14305",
    "LAB_PG_PORT": "15632",
    "LAB_JUPYTER_PORT": "18300",
}
# Each learner's own Prefect port, as on their own machine (here they share one).
LEARNER_PREFECT_PORTS = {"ana": "14301", "bruno": "14302"}
CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                    "MLFLOW_WORKSPACE", "LAB_USER", "LAB_WORKSHOP", "PREFECT_HOME", "PREFECT_API_AUTH_STRING",
                    "LAB_HOST", "LAB_PG_PORT", "LAB_ALLOWED_HOSTS", "LAB_S3_ENDPOINT_URL")


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


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lab"), *args], capture_output=True, text=True,
                          env=env if env is not None else dict(os.environ), timeout=300)


def _remove(config) -> None:
    stack.down(config)
    shutil.rmtree(config.home, ignore_errors=True)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    """A workshop lab on the room's address, with learners ana and bruno.

    Yields the lab's configuration, each learner's environment on their machine (their env
    file, their own LAB_HOME and Prefect port) and what their env file holds."""
    homes = tmp_path_factory.mktemp("learners")
    with lab_environment(WORKSHOP_LAB):
        config = load_config(workshop=True)
        _remove(config)
        envs: dict[str, dict[str, str]] = {}
        files: dict[str, dict[str, str]] = {}  # what `lab users env NAME` printed
        try:
            up = lab_cli("up", "--workshop")
            if up.returncode != 0 and "did not become healthy" in up.stderr:
                up = lab_cli("up", "--workshop")  # once more on a loaded machine: the first start warms the caches
            assert up.returncode == 0, up.stdout + up.stderr
            added = lab_cli("users", "add", *LEARNER_PREFECT_PORTS)
            assert added.returncode == 0, added.stdout + added.stderr
            config = load_config()
            os.environ.update(server_environment(config))  # the instructor: admin on the server
            for name, port in LEARNER_PREFECT_PORTS.items():
                printed = lab_cli("users", "env", name)
                assert printed.returncode == 0, printed.stderr
                env = dict(line.removeprefix("export ").split("=", 1) for line in printed.stdout.splitlines())
                env = {key: value.strip("'") for key, value in env.items()}
                # Only the env file, on a machine of their own: no setting of the server's.
                envs[name] = {**{k: v for k, v in os.environ.items()
                                 if k not in CLIENT_VARIABLES and not k.startswith(("LAB_", "PREFECT_"))},
                              **env, "LAB_HOME": str(homes / name), "LAB_PREFECT_PORT": port,
                              "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PYTHONPATH": str(ROOT)}
                files[name] = env
            yield config, envs, files
        finally:
            for env in envs.values():  # the learners' own Prefect servers
                subprocess.run([sys.executable, "-m", "lab_stack.own_prefect", "stop"], env=env, cwd=ROOT,
                               capture_output=True, timeout=60)
            _remove(config)


def _as_learner(env: dict[str, str], code: str, timeout: float = 900) -> str:
    result = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def _flow_runs(api_url: str) -> list[dict]:
    response = requests.post(f"{api_url}/flow_runs/filter", json={}, timeout=30)
    assert response.ok, response.text
    return response.json()


# --- item 1: no relay from a learner to the lab's machine ---------------------------------

def test_no_prefect_on_the_rooms_address_and_a_learners_own_runs_no_automations(room):
    config, envs, files = room
    ana = envs["ana"]
    # Her env file hands her no Prefect of the server's: no auth string, an address on her machine.
    assert "PREFECT_API_AUTH_STRING" not in files["ana"]
    assert files["ana"]["PREFECT_API_URL"] == f"http://127.0.0.1:{config.prefect_port}/api", files["ana"]
    # Nothing on the room's address speaks Prefect's API (where a Webhook block and an
    # automation made the server call the store's filer), with or without a string.
    for path in ("/api/health", "/api/block_documents/filter", "/api/automations/filter"):
        try:
            answer = requests.post(f"http://{ROOM}:{config.prefect_port}{path}", json={}, timeout=5).status_code
        except requests.RequestException as error:
            answer = type(error).__name__
        assert answer == "ConnectionError", f"{path}: {answer}"
    assert "prefect" not in {s.name for s in stack.define_services(config)}

    # Her own Prefect (started by her first `connect()`) runs no automations: the triggers
    # service and the actions service that reads the same setting are off.
    _as_learner(ana, "import lab_utils; lab_utils.connect()")
    settings = requests.get(f"{ana['PREFECT_API_URL']}/admin/settings", timeout=10)
    assert settings.ok, settings.text
    assert settings.json()["server"]["services"]["triggers"]["enabled"] is False


def test_the_stores_internals_refuse_anonymous_writes_from_the_server_itself(room):
    from lab_stack.services.objectstore import seaweedfs_ports
    from lab_utils.clients import s3_client

    config, _envs, _files = room
    admin = s3_client(config)
    key = "ana/run/artifacts/notes.txt"
    admin.put_object(Bucket=config.bucket, Key=key, Body=b"ana's notes")
    ports = seaweedfs_ports(config.s3_port, proxied=True)
    here = "http://127.0.0.1"
    attempts = [
        ("PUT", f"{here}:{ports['filer.port']}/buckets/{config.bucket}/{key}", {"data": b"rewritten"}),
        ("POST", f"{here}:{ports['filer.port']}/buckets/{config.bucket}/ana/planted.py", {"files": {"f": b"x"}}),
        ("DELETE", f"{here}:{ports['filer.port']}/buckets/{config.bucket}/{key}", {}),
        ("POST", f"{here}:{ports['master.port']}/col/delete?collection={config.bucket}", {}),
        ("POST", f"{here}:{ports['master.port']}/vol/grow?count=1", {}),
        ("GET", f"{here}:{ports['master.port']}/dir/assign", {}),
        ("POST", f"{here}:{ports['volume.port']}/1,0123456789", {"files": {"f": b"x"}}),
        ("PUT", f"{here}:{ports['volume.port']}/1,0123456789", {"data": b"x"}),
        ("DELETE", f"{here}:{ports['volume.port']}/1,0123456789", {}),
    ]
    taken = []
    for method, url, kwargs in attempts:
        try:
            status = requests.request(method, url, timeout=10, **kwargs).status_code
        except requests.RequestException:
            continue  # nothing listens: refused too
        if status < 400:
            taken.append(f"anonymous {method} {url} answered {status}")
    assert not taken, "\n".join(taken)
    # The key files are the lab owner's alone.
    security = config.secrets_dir / "objectstore" / "security.toml"
    assert security.stat().st_mode & 0o077 == 0 and "[jwt.filer_signing]" in security.read_text()
    # Nothing changed, and the S3 gateway still writes, reads and deletes with keys.
    assert admin.get_object(Bucket=config.bucket, Key=key)["Body"].read() == b"ana's notes"
    admin.put_object(Bucket=config.bucket, Key="ana/run/artifacts/more.bin", Body=os.urandom(3 * 2**20))
    admin.delete_object(Bucket=config.bucket, Key="ana/run/artifacts/more.bin")
    assert admin.get_object(Bucket=config.bucket, Key=key)["Body"].read() == b"ana's notes"


# --- item 2: a Prefect per learner ---------------------------------------------------------

def test_each_learner_has_a_prefect_of_their_own_and_lesson_07_still_counts(room):
    config, envs, _files = room
    ana, bruno = envs["ana"], envs["bruno"]
    # Lesson 07's deployment run: its flow with C=2.0, from ana's machine.
    out = _as_learner(ana, "import lab_utils; lab_utils.connect()\n"
                           "from pipelines.retrain import retreinar_modelo\n"
                           "print(retreinar_modelo(C=2.0, return_state=True).type.value)\n")
    assert out.strip().endswith("COMPLETED"), out
    _as_learner(bruno, "import lab_utils; lab_utils.connect()")

    theirs = {name: _flow_runs(env["PREFECT_API_URL"]) for name, env in envs.items()}
    assert envs["ana"]["PREFECT_API_URL"] != envs["bruno"]["PREFECT_API_URL"]
    assert [run["state_type"] for run in theirs["ana"]] == ["COMPLETED"], theirs["ana"]
    # Bruno's Prefect has none of hers: nothing of hers to run, change, cancel or delete.
    assert theirs["bruno"] == [], theirs["bruno"]

    progress = lab_cli("users", "progress")
    assert progress.returncode == 0, progress.stdout + progress.stderr
    rows = {line.split()[0]: line.split()[1:] for line in progress.stdout.splitlines() if line.strip()}
    lessons = rows["learner"]
    assert rows["ana"][lessons.index("07")] == "✓", progress.stdout
    assert rows["bruno"][lessons.index("07")] == "·", progress.stdout


# --- item 6: the S3 proxy's bounds ----------------------------------------------------------

def _proxy_process(config) -> psutil.Process:
    info = stack.supervisor(config).supervisor.getProcessInfo("core:s3-proxy")
    return psutil.Process(info["pid"])


def test_idle_connections_of_one_client_do_not_stop_the_s3_proxy(room):
    from lab_stack.proxy import MAX_PER_CLIENT
    from lab_stack.secrets import reader_keys
    from lab_utils.clients import s3_client

    config, _envs, _files = room
    proxy = _proxy_process(config)
    # One client (its own address, 127.0.0.5) opens more idle connections than it may hold.
    opened = []
    try:
        for _ in range(MAX_PER_CLIENT + 100):
            sock = socket.socket()
            sock.bind(("127.0.0.5", 0))
            sock.settimeout(5)
            sock.connect((ROOM, config.s3_port))
            opened.append(sock)
        time.sleep(1)
        closed = 0
        for sock in opened:
            sock.settimeout(0.05)
            try:
                closed += sock.recv(1) == b""
            except TimeoutError:
                pass
            except OSError:
                closed += 1
        # The ones over its bound were closed at once; the proxy holds a bounded number open.
        assert closed >= 100, f"{closed} of {len(opened)} idle connections closed"
        assert proxy.num_fds() < 2 * MAX_PER_CLIENT + 100, proxy.num_fds()
        # Meanwhile a learner (another address) is answered as usual.
        learner = s3_client(config, *reader_keys(config))
        started = time.monotonic()
        assert learner.list_objects_v2(Bucket=config.bucket, MaxKeys=1)["ResponseMetadata"]["HTTPStatusCode"] == 200
        assert time.monotonic() - started < 10
    finally:
        for sock in opened:
            sock.close()
