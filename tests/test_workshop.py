"""Workshop mode against a real workshop lab: PostgreSQL, MLflow's basic-auth app, learners.

The module starts its own workshop lab (own LAB_HOME and ports, beside the test lab),
imports a roster, runs lessons as two learners at once, checks who may do what, and
round-trips an export into a fresh lab.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from lab_stack import stack
from lab_stack.config import load_config
from lab_stack.secrets import server_environment

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
WORKSHOP_LAB = {
    # Under /tmp: as root, PostgreSQL runs as Debian's `postgres` user, who may not be able
    # to enter the folder the repository was cloned into (/root, say).
    "LAB_HOME": os.path.join(tempfile.gettempdir(), f"lab-workshop-test-{hashlib.sha1(bytes(ROOT)).hexdigest()[:8]}"),
    "LAB_MLFLOW_PORT": "15100",
    "LAB_S3_PORT": "9200",
    "LAB_PREFECT_PORT": "14300",
    "LAB_PG_PORT": "15432",
    "LAB_JUPYTER_PORT": "18988",
    "LAB_SPARK_MASTER_PORT": "17177",
    "LAB_SPARK_UI_PORT": "18180",
}
# Client settings of the test lab (conftest) that must not leak into the workshop lab's tools.
CLIENT_VARIABLES = ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID",
                    "AWS_SECRET_ACCESS_KEY", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD",
                    "MLFLOW_WORKSPACE", "LAB_USER", "LAB_WORKSHOP", "PREFECT_HOME", "LAB_ALLOWED_HOSTS")
LEARNERS = ("ana", "bruno")
LESSONS = ("01_basic_tracking", "04_model_registry")
API = "/api/2.0/mlflow"


@contextmanager
def workshop_environment():
    saved = dict(os.environ)
    for name in CLIENT_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(WORKSHOP_LAB)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def lab_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lab"), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=300)


@pytest.fixture(scope="module")
def workshop(tmp_path_factory):
    """A fresh workshop lab with learners ana and bruno, imported from a roster file."""
    with workshop_environment():
        config = load_config(workshop=True)
        stack.reset(config)
        up = lab_cli("up", "--workshop")
        assert up.returncode == 0, up.stdout + up.stderr
        # Start-up output reaches projected screens and CI logs: it says where the password is.
        assert (config.secrets_dir / "mlflow-admin-password").read_text().strip() not in up.stdout
        assert "mlflow-admin-password" in up.stdout
        roster = tmp_path_factory.mktemp("roster") / "roster.csv"
        roster.write_text("name\n" + "\n".join(LEARNERS) + "\n")
        imported = lab_cli("users", "import", str(roster))
        assert imported.returncode == 0, imported.stderr
        assert "2 learner(s) added" in imported.stdout
        config = load_config()
        os.environ.update(server_environment(config))  # the instructor: admin on the server
        yield config
        stop_learners_prefects()
        if os.environ.get("LAB_KEEP_TEST_LAB") != "1":
            stack.down(config)
            # No server outlives supervisord's wait and is killed (an MLflow worker that died at
            # its start, as two once did migrating the account store at once, left it hanging).
            killed = [line for line in (config.logs_dir / "supervisord.log").read_text().splitlines()
                      if "SIGKILL" in line]
            assert not killed, "`lab down` of the room killed a program that did not stop:\n" + "\n".join(killed)


# Each learner's own Prefect (lab_stack.own_prefect) listens on their machine's loopback; here
# the learners share one machine, so each gets a port of their own.
LEARNER_PREFECT_PORTS = {"ana": 14310, "bruno": 14311, "carla": 14312, "davi": 14313}
_LEARNER_ENVS: list[dict[str, str]] = []  # stopped at the end: their Prefect outlives a kernel


def learner_env(config, name: str, tmp_path: Path) -> dict[str, str]:
    """What `lab users env NAME` gives a learner, with a LAB_HOME (and Prefect port) of the learner's own."""
    result = lab_cli("users", "env", name)
    assert result.returncode == 0, result.stderr
    env = dict(line.removeprefix("export ").split("=", 1) for line in result.stdout.splitlines())
    port = LEARNER_PREFECT_PORTS.get(name, 14319)
    env = {**env, "LAB_HOME": str(tmp_path / name), "LAB_PREFECT_PORT": str(port),
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    _LEARNER_ENVS.append(env)
    return env


def stop_learners_prefects() -> None:
    for env in _LEARNER_ENVS:
        subprocess.run([sys.executable, "-m", "lab_stack.own_prefect", "stop"], env={**os.environ, **env},
                       cwd=ROOT, capture_output=True, timeout=60)


def as_learner(config, name: str):
    password = json.loads((config.secrets_dir / "learners.json").read_text())[name]
    return (name, password)


def test_workshop_runs_postgres_and_auth(workshop):
    status = lab_cli("status")
    assert status.returncode == 0, status.stdout
    assert "postgres" in status.stdout and "RUNNING" in status.stdout
    command = " ".join(next(s for s in stack.define_services(workshop) if s.name == "mlflow").command)
    assert "--app-name lab-room" in command and "postgresql://" in command
    assert f"--allowed-hosts {workshop.host}," in command


def test_anonymous_requests_are_refused(workshop):
    response = requests.get(f"{workshop.tracking_uri}{API}/experiments/search", params={"max_results": 1})
    assert response.status_code == 401


def test_learners_keep_the_lessons_names_apart(workshop):
    ids = {}
    for name in LEARNERS:
        response = requests.post(f"{workshop.tracking_uri}{API}/experiments/create", json={"name": "meu_experimento"},
                                 auth=as_learner(workshop, name), headers={"X-MLFLOW-WORKSPACE": name})
        assert response.status_code == 200, response.text
        ids[name] = response.json()["experiment_id"]
    assert ids["ana"] != ids["bruno"]


def test_a_learner_reads_but_cannot_edit_anothers_work(workshop):
    ana, bruno = as_learner(workshop, "ana"), as_learner(workshop, "bruno")
    in_ana = {"X-MLFLOW-WORKSPACE": "ana"}
    experiment = requests.post(f"{workshop.tracking_uri}{API}/experiments/create", json={"name": "ana_only"},
                               auth=ana, headers=in_ana).json()["experiment_id"]
    run = requests.post(f"{workshop.tracking_uri}{API}/runs/create", json={"experiment_id": experiment},
                        auth=ana, headers=in_ana).json()["run"]["info"]["run_id"]
    read = requests.get(f"{workshop.tracking_uri}{API}/runs/get", params={"run_id": run}, auth=bruno, headers=in_ana)
    assert read.status_code == 200
    write = requests.post(f"{workshop.tracking_uri}{API}/runs/log-parameter",
                          json={"run_id": run, "key": "by", "value": "bruno"}, auth=bruno, headers=in_ana)
    assert write.status_code == 403
    create = requests.post(f"{workshop.tracking_uri}{API}/experiments/create", json={"name": "intruder"},
                           auth=bruno, headers=in_ana)
    assert create.status_code == 403
    wrong_password = requests.get(f"{workshop.tracking_uri}{API}/runs/get", params={"run_id": run},
                                  auth=("bruno", "not-his-password"), headers=in_ana)
    assert wrong_password.status_code == 401


def test_learners_get_read_only_bucket_keys(workshop, tmp_path):
    from lab_utils.clients import s3_client

    env = learner_env(workshop, "ana", tmp_path)
    s3 = s3_client(workshop, env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"])
    s3.list_objects_v2(Bucket=workshop.bucket, MaxKeys=1)
    with pytest.raises(Exception, match="AccessDenied"):
        s3.put_object(Bucket=workshop.bucket, Key="ana-was-here.txt", Body=b"x")


def test_roster_errors_say_what_to_fix(workshop, tmp_path):
    no_header = tmp_path / "names.csv"
    no_header.write_text("ana\nbruno\n")
    result = lab_cli("users", "import", str(no_header))
    assert result.returncode == 1 and "`name` column" in result.stderr
    bad = lab_cli("users", "add", "Ana_Maria")
    assert bad.returncode == 1 and "lowercase letters" in bad.stderr


def test_doctor_names_the_fix_for_a_wrong_password(workshop, tmp_path):
    env = learner_env(workshop, "bruno", tmp_path)
    good = lab_cli("doctor", env=env)
    assert good.returncode == 0, good.stdout
    assert "signed in as bruno (workspace bruno)" in good.stdout
    bad = lab_cli("doctor", env={**env, "MLFLOW_TRACKING_PASSWORD": "wrong"})
    assert bad.returncode == 1
    assert "HTTP 401" in bad.stdout and "lab users env NAME" in bad.stdout


def test_lessons_run_unchanged_for_two_learners_at_once(workshop, tmp_path):
    runner = ("import sys; from pathlib import Path; sys.path.insert(0, 'tools'); from harness import execute_lesson\n"
              "for lesson in sys.argv[2:]:\n"
              "    execute_lesson(Path('solutions') / f'{lesson}.ipynb', Path(sys.argv[1]) / f'{lesson}.ipynb',\n"
              "                   {'n_metric_points': 100} if lesson.startswith('01') else {}, cwd=Path('notebooks'))\n")
    learners = {}
    for name in LEARNERS:
        out = tmp_path / name
        out.mkdir()
        env = {**os.environ, **learner_env(workshop, name, tmp_path), "LAB_REQUIRE_EXERCISES": "1"}
        learners[name] = subprocess.Popen([sys.executable, "-c", runner, str(out), *LESSONS], cwd=ROOT, env=env,
                                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for name, process in learners.items():
        output, _ = process.communicate(timeout=900)
        assert process.returncode == 0, f"{name}'s lessons failed:\n{output[-3000:]}"
    from mlflow import MlflowClient

    for name in LEARNERS:
        os.environ["MLFLOW_WORKSPACE"] = name
        try:
            client = MlflowClient(workshop.tracking_uri, workshop.tracking_uri)
            champion = client.get_model_version_by_alias("previsao_precos", "champion")
            run = client.get_run(champion.run_id)
        finally:
            del os.environ["MLFLOW_WORKSPACE"]
        assert run.info.artifact_uri.startswith(f"mlflow-artifacts:/workspaces/{name}/")

    # Lesson 11's traces land in the learner's own workspace too: each traces one request of
    # an app named as the lesson's, and finds their own request only.
    tracer = ("import sys, mlflow\nmlflow.set_experiment('faq_assistant')\n"
              "@mlflow.trace(name='ask_faq')\ndef ask_faq(question): return question.upper()\n"
              "ask_faq(sys.argv[1])\n"
              "found = mlflow.search_traces(locations=[mlflow.get_experiment_by_name('faq_assistant').experiment_id],"
              " return_type='list', flush=True)\n"
              "print(sorted(t.data.spans[0].inputs['question'] for t in found))\n")
    for name in LEARNERS:
        env = {**os.environ, **learner_env(workshop, name, tmp_path)}
        traced = subprocess.run([sys.executable, "-c", tracer, f"question of {name}"], cwd=ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
        assert traced.returncode == 0, traced.stderr[-2000:]
        assert traced.stdout.strip().splitlines()[-1] == repr([f"question of {name}"]), traced.stdout

    # The instructor's table: each learner's 01 and 04 filled, and nothing else; a learner who
    # has not started has an empty row.
    added = lab_cli("users", "add", "fabio")
    assert added.returncode == 0, added.stdout + added.stderr
    progress = lab_cli("users", "progress")
    assert progress.returncode == 0, progress.stdout + progress.stderr
    rows = {line.split()[0]: line.split()[1:] for line in progress.stdout.splitlines() if line.strip()}
    assert rows["learner"] == [f"{n:02d}" for n in range(12)] + ["done"], progress.stdout
    for name in LEARNERS:
        assert rows[name] == ["·", "✓", "·", "·", "✓"] + ["·"] * 7 + ["2"], progress.stdout
    assert rows["fabio"] == ["·"] * 12 + ["0"], progress.stdout


def test_a_room_runs_lesson_07s_flow_at_once_each_on_their_own_prefect(workshop, tmp_path):
    """Four learners start lesson 07's retraining flow together, each on their own machine's
    Prefect (the room shares none: lab_stack.own_prefect, started by `connect()`; here each
    has a port of their own, as on separate machines), and no flow run fails.
    (Prefect's state is read over its REST API: importing Prefect here would fix its
    settings for the rest of this worker's tests.)"""
    room = ("ana", "bruno", "carla", "davi")
    added = lab_cli("users", "add", *room[2:])
    assert added.returncode == 0, added.stdout + added.stderr
    command = ("import lab_utils; lab_utils.connect()\n"
               "from pipelines.retrain import retreinar_modelo\n"
               "print(retreinar_modelo(C=1.0, return_state=True).type.value)\n")
    envs = {name: {**os.environ, **learner_env(workshop, name, tmp_path), "PYTHONPATH": str(ROOT)}
            for name in room}
    try:
        flows = {name: subprocess.Popen([sys.executable, "-c", command], cwd=ROOT, text=True, env=envs[name],
                                        stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                 for name in room}
        for name, process in flows.items():
            output, _ = process.communicate(timeout=600)
            assert process.returncode == 0 and output.strip().endswith("COMPLETED"), f"{name}:\n{output[-3000:]}"
        for name in room:
            response = requests.post(f"{envs[name]['PREFECT_API_URL']}/flow_runs/filter", timeout=30,
                                     json={"flows": {"name": {"any_": ["retreinar-modelo"]}}})
            assert response.ok, response.text
            seen = [run["state_type"] for run in response.json()]
            assert seen and set(seen) == {"COMPLETED"}, (name, seen)
    finally:
        stop_learners_prefects()
    assert "prefect" not in {s.name for s in stack.define_services(workshop)}


def test_progress_errors_say_what_to_do(workshop, tmp_path):
    not_a_workshop = lab_cli("users", "progress", env={"LAB_HOME": str(tmp_path / "one-learner-lab")})
    assert not_a_workshop.returncode == 1 and "`lab up --workshop`" in not_a_workshop.stderr
    server_down = lab_cli("users", "progress", env={"LAB_MLFLOW_PORT": "15199"})
    assert server_down.returncode == 1 and "does not answer" in server_down.stderr, server_down.stderr
    assert "Traceback" not in server_down.stderr and len(server_down.stderr.strip().splitlines()) == 1


def _snapshot(config) -> dict:
    """What the admin sees: every workspace's experiments, runs and registered versions."""
    from mlflow import MlflowClient

    seen = {}
    for name in LEARNERS:
        os.environ["MLFLOW_WORKSPACE"] = name
        try:
            client = MlflowClient(config.tracking_uri, config.tracking_uri)
            experiments = {e.name: e.experiment_id for e in client.search_experiments()}
            runs = sorted(r.info.run_id for r in client.search_runs(list(experiments.values()), max_results=1000))
            versions = sorted((v.name, v.version) for v in client.search_model_versions())
        finally:
            del os.environ["MLFLOW_WORKSPACE"]
        seen[name] = {"experiments": experiments, "runs": runs, "versions": versions}
    return seen


def test_export_and_import_round_trip_into_a_fresh_lab(workshop, tmp_path):
    before = _snapshot(workshop)
    assert before["ana"]["runs"], "the learners' lessons should have logged runs"
    archive = tmp_path / "workshop.tar.gz"
    exported = lab_cli("export", str(archive))
    assert exported.returncode == 0, exported.stderr
    assert archive.stat().st_mode & 0o077 == 0
    with tarfile.open(archive) as tar:
        objects = [m.name for m in tar.getmembers() if m.name.startswith("objects/")]
    assert any(name.endswith("/MLmodel") for name in objects)

    stack.reset(workshop)  # the lab is gone: a new machine, say
    assert lab_cli("up", "--workshop").returncode == 0
    imported = lab_cli("import", "--yes", str(archive))
    assert imported.returncode == 0, imported.stderr
    os.environ.update(server_environment(load_config()))
    assert _snapshot(workshop) == before
    # A learner signs in with the password of before and downloads a model file.
    ana = as_learner(workshop, "ana")
    key = next(name for name in objects if name.endswith("/MLmodel")).removeprefix("objects/")
    response = requests.get(f"{workshop.tracking_uri}/api/2.0/mlflow-artifacts/artifacts/{key}",
                            auth=ana, headers={"X-MLFLOW-WORKSPACE": "ana"})
    assert response.status_code == 200 and "flavors" in response.text


def test_a_failed_import_leaves_the_workshop_as_it_was(workshop, tmp_path):
    import io

    before = _snapshot(workshop)
    archive = tmp_path / "broken.tar.gz"
    manifest = {"format": 1, "mode": "workshop", "created": "2026-01-01T00:00:00+00:00", "mlflow": "3",
                "bucket": workshop.bucket, "objects": 0}
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in {"manifest.json": json.dumps(manifest).encode(),
                           "metadata/mlflow.pgdump": b"PGDMP not really a dump",
                           "metadata/mlflow_auth.pgdump": b"PGDMP not really a dump"}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    result = lab_cli("import", "--yes", str(archive))
    assert result.returncode == 1 and "pg_restore of mlflow failed, nothing was changed" in result.stderr, \
        result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert _snapshot(workshop) == before
    assert requests.get(f"{workshop.tracking_uri}{API}/experiments/search", params={"max_results": 1},
                        auth=as_learner(workshop, "ana"), headers={"X-MLFLOW-WORKSPACE": "ana"}).status_code == 200


def test_a_one_learner_lab_is_not_turned_into_a_workshop(tmp_path, monkeypatch):
    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    config = load_config(workshop=True)
    config.marker_path.write_text("lab\n")
    config.sqlite_path.parent.mkdir(parents=True)
    config.sqlite_path.write_bytes(b"")
    with pytest.raises(stack.LabError, match="needs its own LAB_HOME"):
        stack.up(config)


def test_a_workshop_is_bound_to_the_address_learners_use(tmp_path, monkeypatch):
    from lab_stack.services import mlflow_server
    from lab_utils.config import LabConfigError

    monkeypatch.setenv("LAB_HOME", str(tmp_path))
    monkeypatch.delenv("LAB_ALLOWED_HOSTS", raising=False)  # the test lab's extra host name (conftest)
    monkeypatch.setenv("LAB_HOST", "0.0.0.0")
    with pytest.raises(LabConfigError, match="set LAB_HOST to it"):
        mlflow_server.workshop_server_args(load_config(workshop=True))
    monkeypatch.setenv("LAB_HOST", "10.0.0.5")
    config = load_config(workshop=True)
    args = mlflow_server.workshop_server_args(config)
    assert args[args.index("--cors-allowed-origins") + 1] == f"http://10.0.0.5:{config.mlflow_port}"
