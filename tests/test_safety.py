"""The lab never destroys or exposes what is not its own: settings, archives, crashes, full disks.

Each test tries what a careless user or a hostile archive would do and checks that the
lab refuses with one line that names the fix, before anything changes.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tarfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from harness import ProcessWatch

from lab_stack import stack
from lab_stack.config import load_config
from lab_stack.secrets import ensure_credentials, private_secret
from lab_utils.processes import BackgroundProcess, BackgroundProcessError

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def lab_cli(*args: str, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "lab"), *args], capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)


def assert_one_line_refusal(result: subprocess.CompletedProcess, *words: str) -> None:
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    for word in words:
        assert word in result.stderr, result.stderr


# --- 1. the test session and `lab reset` -------------------------------------------------

def test_this_session_uses_the_test_lab():
    """Run alone below with a learner's settings exported: the session must ignore them."""
    from conftest import TEST_LAB

    config = load_config()
    assert str(config.home) == TEST_LAB["LAB_HOME"] and config.home.name.startswith(".lab-test")
    assert (config.host, config.mlflow_port, config.s3_port) == (
        "127.0.0.1", int(TEST_LAB["LAB_MLFLOW_PORT"]), int(TEST_LAB["LAB_S3_PORT"]))
    assert not config.workshop


def test_exported_lab_settings_do_not_reach_the_tests(tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("months of work")
    env = {**os.environ, "LAB_HOME": str(thesis), "LAB_MLFLOW_PORT": "5000", "LAB_S3_PORT": "9000",
           "LAB_HOST": "0.0.0.0", "LAB_WORKSHOP": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         f"{Path(__file__)}::test_this_session_uses_the_test_lab"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:]
    assert (thesis / "chapter1.tex").read_text() == "months of work"


def test_reset_deletes_only_a_lab_home(tmp_path):
    thesis = tmp_path / "thesis"
    thesis.mkdir()
    (thesis / "chapter1.tex").write_text("months of work")
    refused = lab_cli("reset", "--yes", env={"LAB_HOME": str(thesis)})
    assert_one_line_refusal(refused, "is not a lab home", "nothing was deleted")
    assert (thesis / "chapter1.tex").exists()
    # `lab up` will not move into it either
    up = lab_cli("up", env={"LAB_HOME": str(thesis)})
    assert_one_line_refusal(up, "is not empty and is not a lab")
    assert sorted(p.name for p in thesis.iterdir()) == ["chapter1.tex"]

    home = tmp_path / "a-lab"
    config = load_config()
    config = type(config)(**{**config.__dict__, "home": home})
    stack.claim_home(config)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    stack.reset(config)
    assert not home.exists()


# --- 2. `lab import` of a hostile or broken archive ---------------------------------------

def _archive(path: Path, members: dict[str, bytes], links: dict[str, str] | None = None,
             manifest: dict | None = None) -> Path:
    manifest = manifest or {"format": 1, "mode": "lab", "created": "2026-01-01T00:00:00+00:00",
                            "mlflow": "3", "bucket": "mlflow", "objects": 0}
    with tarfile.open(path, "w:gz") as archive:
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return path


@pytest.fixture
def kept_run(lab):
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment = client.get_experiment_by_name("import_safety") or client.get_experiment(
        client.create_experiment("import_safety"))
    run = client.create_run(experiment.experiment_id).info.run_id
    client.log_param(run, "kept", "yes")
    return run


def _assert_lab_unchanged(run_id: str) -> None:
    from mlflow import MlflowClient

    assert MlflowClient().get_run(run_id).data.params == {"kept": "yes"}


@pytest.mark.parametrize("member", [
    "secrets/../../escaped", "secrets//tmp/escaped-absolute", "secrets/../supervisord.conf",
    "objects/../../escaped", "/tmp/escaped-absolute", "metadata/../mlflow.db", "objects/a//b",
])
def test_import_refuses_members_a_lab_never_writes(lab, kept_run, tmp_path, member):
    sound_db = (lab.sqlite_path).read_bytes()
    archive = _archive(tmp_path / "evil.tar.gz", {"metadata/mlflow.db": sound_db, member: b"owned"})
    conf_before = (lab.home / "supervisord.conf").read_text()
    result = lab_cli("import", "--yes", str(archive))
    assert_one_line_refusal(result, "never writes", "refused before anything changed")
    assert not Path("/tmp/escaped-absolute").exists()
    assert not (lab.home.parent / "escaped").exists() and not (lab.home / "escaped").exists()
    assert (lab.home / "supervisord.conf").read_text() == conf_before
    _assert_lab_unchanged(kept_run)


def test_import_refuses_links(lab, kept_run, tmp_path):
    archive = _archive(tmp_path / "link.tar.gz", {"metadata/mlflow.db": lab.sqlite_path.read_bytes()},
                       links={"objects/passwd": "/etc/passwd"})
    assert_one_line_refusal(lab_cli("import", "--yes", str(archive)), "objects/passwd")
    _assert_lab_unchanged(kept_run)


def test_a_failed_import_leaves_the_lab_as_it_was(lab, kept_run, tmp_path):
    broken = _archive(tmp_path / "broken.tar.gz",
                      {"metadata/mlflow.db": b"SQLite format 3\x00" + b"\xff" * 4096, "objects/x/y.txt": b"new"})
    result = lab_cli("import", "--yes", str(broken))
    assert_one_line_refusal(result, "not a sound SQLite database", "nothing was changed")
    _assert_lab_unchanged(kept_run)
    assert lab_cli("status").returncode == 0


# --- 4. a crashed supervisord -------------------------------------------------------------

def _kill_supervisord(config) -> int:
    pid = stack.supervisor(config).supervisor.getPID()
    os.kill(pid, signal.SIGKILL)
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        time.sleep(0.1)
    return pid


def test_a_crashed_supervisor_is_recognised_and_recovered(lab):
    _kill_supervisord(lab)
    orphans = stack.lab_processes(lab)
    assert orphans, "the services should have outlived their supervisord"

    status = lab_cli("status")
    assert status.returncode == 1
    assert "UNSUPERVISED" in status.stdout and "`lab down` stops them" in status.stdout
    doctor = lab_cli("doctor")
    assert "✗ supervisor: supervisord is not running, but" in doctor.stdout, doctor.stdout

    up = lab_cli("up")  # recovers: stops the orphans, starts everything under a new supervisord
    assert up.returncode == 0, up.stderr
    assert stack.is_running(lab)
    assert not any(p.is_running() and p.status() != psutil.STATUS_ZOMBIE for p in orphans)

    _kill_supervisord(lab)
    down = lab_cli("down")
    assert down.returncode == 0 and "Lab stopped" in down.stdout, down.stdout + down.stderr
    assert stack.lab_processes(lab) == []
    stack.up(lab)  # the other tests' lab


# --- 5, 6. a broken database, a full disk ---------------------------------------------------

@pytest.mark.parametrize("content, words", [
    (b"", ["is empty (0 bytes)", "lab import"]),
    (b"SQLite format 3\x00" + b"\x13" * 8192, ["is damaged", "lab import"]),
])
def test_a_broken_metadata_database_is_named_before_starting(lab, tmp_path, content, words):
    home = tmp_path / "lab"
    (home / "mlflow").mkdir(parents=True)
    (home / ".dataflow-lab").write_text("lab\n")
    (home / "mlflow" / "mlflow.db").write_bytes(content)
    up = lab_cli("up", env={"LAB_HOME": str(home)})
    assert_one_line_refusal(up, *words)
    assert not (home / "supervisord.conf").exists(), "nothing may start on a broken database"
    doctor = lab_cli("doctor", env={"LAB_HOME": str(home)})
    assert "✗ metadata database" in doctor.stdout and words[0] in doctor.stdout, doctor.stdout


def test_a_full_disk_is_named(lab, tmp_path):
    """On a real 16 MB filesystem (tmpfs, mounted in a namespace of its own), filled up."""
    disk, home = tmp_path / "disk", tmp_path / "disk" / "lab"
    disk.mkdir()
    script = (f"mount -t tmpfs -o size=16m tmpfs {disk} && mkdir {home} && echo lab > {home}/.dataflow-lab && "
              f"head -c 15M /dev/zero > {disk}/filler && "
              f"{BIN / 'lab'} doctor; echo '---'; {BIN / 'lab'} up")
    result = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                            env={**os.environ, "LAB_HOME": str(home)}, capture_output=True, text=True, timeout=120)
    doctor, _, up = result.stdout.partition("---")
    assert "✗ disk space: the disk holding LAB_HOME" in doctor and "MB free" in doctor, result.stdout + result.stderr
    assert "lab up: the disk holding LAB_HOME" in result.stderr, result.stderr


# --- 7. bad settings ------------------------------------------------------------------------

@pytest.mark.parametrize("env, command, words", [
    ({"LAB_MLFLOW_PORT": "abc"}, "status", ["LAB_MLFLOW_PORT='abc' is not a port"]),
    ({"LAB_MLFLOW_PORT": "abc"}, "doctor", ["LAB_MLFLOW_PORT='abc' is not a port"]),
    ({"LAB_HOST": "not-a-host.invalid"}, "up", ["name lookup failed"]),
    ({"LAB_S3_BUCKET": "Bad_Bucket!"}, "up", ["not a valid S3 bucket name"]),
    ({"LAB_S3_PORT": "60000"}, "up", ["LAB_S3_PORT=60000 is too high"]),
    ({"LAB_HOST": "0.0.0.0"}, "up", ["without sign-in", "--workshop", "LAB_EXPOSE=1"]),
])
def test_bad_settings_get_one_line(tmp_path, env, command, words):
    result = lab_cli(command, env={"LAB_HOME": str(tmp_path / "lab"), **env})
    assert_one_line_refusal(result, *words)
    assert not (tmp_path / "lab" / "supervisord.conf").exists()


def test_a_derived_object_store_port_in_use_is_refused_before_anything_starts(tmp_path):
    env = {"LAB_HOME": str(tmp_path / "lab"), "LAB_MLFLOW_PORT": "15950", "LAB_S3_PORT": "9950",
           "LAB_PREFECT_PORT": "14950"}
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 9953))  # the filer's port: S3 port + 3
        holder.listen()
        result = lab_cli("up", env=env)
    assert_one_line_refusal(result, "port 9953", "derived from LAB_S3_PORT=9950")
    config_env = {**os.environ, **env}
    assert not stack.is_running(load_config_from(config_env))
    for port in (15950, 9950, 14950):
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} answers after a failed lab up"


def load_config_from(env: dict[str, str]):
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return load_config()
    finally:
        os.environ.clear()
        os.environ.update(saved)


# --- 8. secrets and files -------------------------------------------------------------------

def test_secrets_are_created_once_whole_and_private(tmp_path):
    config = load_config_from({"LAB_HOME": str(tmp_path / "lab")})
    values, errors = [], []

    def create():
        try:
            values.append(private_secret(config, "shared-token"))
        except Exception as error:  # noqa: BLE001 (any failure counts)
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(set(values)) == 1 and values[0], (errors, set(values))
    path = config.secrets_dir / "shared-token"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)  # loosened by hand: tightened again on the next read
    assert private_secret(config, "shared-token") == values[0]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_lab_home_is_private(lab):
    """Other users of a shared machine can neither list nor read a learner's runs and artifacts."""
    assert stat.S_IMODE(lab.home.stat().st_mode) == 0o700
    for folder in ("mlflow", "objectstore", "logs", "secrets", "prefect"):
        assert stat.S_IMODE((lab.home / folder).stat().st_mode) & 0o077 == 0, folder
    assert "umask=077" in (lab.home / "supervisord.conf").read_text()


# --- 9. processes -----------------------------------------------------------------------------

def test_a_background_process_stops_its_whole_group(tmp_path):
    marker = f"sleep {300 + os.getpid() % 100}"
    process = BackgroundProcess(["bash", "-c", f"{marker} & exit 3"], tmp_path / "log", lambda: False, "demo")
    with pytest.raises(BackgroundProcessError, match="demo did not start"):
        process.start(timeout=5)
    time.sleep(0.5)
    left = [p for p in psutil.process_iter(["cmdline"]) if " ".join(p.info["cmdline"] or []) == marker]
    assert not left, f"left running: {left}"


def test_the_process_watch_finds_what_a_kernel_left_behind():
    with ProcessWatch() as watch:
        # A child that starts a grandchild and exits: the grandchild is orphaned at once.
        subprocess.run(["bash", "-c", "setsid sleep 123 >/dev/null 2>&1 < /dev/null & disown; exit 0"], check=True)
        stray = watch.left_running(grace_s=0.3)
        for process in psutil.Process().children(recursive=True):
            try:  # this worker's other children may be exiting (zombies) meanwhile
                if "sleep 123" in " ".join(process.cmdline()):
                    process.kill()
                    process.wait()
            except psutil.Error:
                continue
    assert any("sleep 123" in line for line in stray), stray


# --- 10. `lab env` in a shell ---------------------------------------------------------------

def test_lab_env_puts_the_labs_commands_on_path(lab):
    script = f'eval "$({BIN / "lab"} env)"; command -v uvicorn; command -v mlflow'
    shell = subprocess.run(["bash", "-c", script], capture_output=True, text=True,
                           env={**os.environ, "PATH": "/usr/bin:/bin"})
    assert shell.returncode == 0, shell.stderr
    assert shell.stdout.split() == [str(BIN / "uvicorn"), str(BIN / "mlflow")]


def test_port_5000_taken_on_macos_names_the_airplay_receiver(monkeypatch, tmp_path):
    from lab_stack.services.mlflow_server import mlflow_service
    from lab_utils.errors import LabError

    config = load_config_from({"LAB_HOME": str(tmp_path / "lab"), "LAB_MLFLOW_PORT": "5000"})
    monkeypatch.setattr(sys, "platform", "darwin")
    holder = socket.socket()
    try:
        holder.bind(("127.0.0.1", 5000))
        holder.listen()
    except OSError:
        pass  # something on this machine holds 5000 already: the check must say so all the same
    try:
        stack.claim_home(config)
        ensure_credentials(config)
        with pytest.raises(LabError, match="AirPlay Receiver commonly holds port 5000.*choose another port"):
            stack._check_port_free(config, mlflow_service(config))
    finally:
        holder.close()
