"""In a workshop, the Prefect server of the machine that runs the lessons: its own, on loopback.

Prefect has no accounts. A Prefect the room shared let any learner run, change, cancel and
delete everyone's flows, runs and deployments, move the room's result storage, and, through
its automations, make the lab's machine send requests of her choosing. So a workshop lab
runs no Prefect for the room: each learner's machine runs one of its own, on 127.0.0.1 (at
LAB_PREFECT_PORT), with its data under the learner's LAB_HOME. `lab_utils.connect()` (the
first cell of every lesson) and `lab doctor` start it when it is not answering; it keeps
running after the kernel exits, so its UI keeps the runs of lesson 07, until
`python -m lab_stack.own_prefect stop` (or the machine restarts). Lesson 07 logs each flow's
runs to the learner's own MLflow workspace, which is what `lab users progress` reads.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from lab_stack import prefect_database
from lab_utils.config import LOOPBACK, LabConfig, load_config
from lab_utils.errors import LabError
from lab_utils.i18n import _

BIN_DIR = Path(sys.executable).parent
# A laptop starts it in ~10 s; a loaded machine (a room's tests on 2 cores) took over 2 minutes.
START_TIMEOUT_S = 300

# Settings of the Prefect server started here (Prefect 3.9, prefect/settings/models/server/).
SERVER_SETTINGS = {
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    # Prefect's client keeps idle connections 25 s, its server closed them after 5 s.
    "PREFECT_SERVER_API_KEEPALIVE_TIMEOUT": "30",
    # No automations: the triggers service, and the actions service that runs their actions
    # (`call-webhook`, `send-notification`: requests to any URL) and reads the same setting
    # (prefect/server/events/services/actions.py, `Actions.service_settings`), stay off.
    "PREFECT_SERVER_SERVICES_TRIGGERS_ENABLED": "false",
}


class OwnPrefectError(LabError):
    """The learner's own Prefect server could not start; the message says why and what to do."""


def _paths(config: LabConfig) -> dict[str, Path]:
    return {"home": config.home / "prefect", "log": config.logs_dir / "prefect.log",
            "pid": config.home / "run" / "prefect.pid", "lock": config.home / "run" / "prefect.lock"}


def answers(config: LabConfig) -> bool:
    """True when a Prefect server answers at the lab's Prefect address."""
    try:
        response = requests.get(f"{config.prefect_api_url}/health", timeout=2)
    except requests.RequestException:
        return False
    return response.ok and "true" in response.text


def _ready(config: LabConfig) -> bool:
    """True once the server reaches its database (`/api/ready`): /health answers before that."""
    try:
        return requests.get(f"{config.prefect_api_url}/ready", timeout=15).ok
    except requests.RequestException:
        return False


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
    return True


@contextlib.contextmanager
def _locked(path: Path):
    """One starter at a time on this LAB_HOME (two kernels connecting at once start one server)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        try:
            import fcntl
        except ImportError:  # Windows: no lock; a second server would fail on the port
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def ensure_running(config: LabConfig, timeout: float = START_TIMEOUT_S) -> bool:
    """Start this machine's own Prefect server unless it answers; True when it was started here."""
    if answers(config):
        return False
    paths = _paths(config)
    with _locked(paths["lock"]):
        if answers(config):
            return False
        if not _port_free(config.prefect_port):
            raise OwnPrefectError(_(
                "port {port} on {host} is taken by a program that is not a Prefect server: set LAB_PREFECT_PORT "
                "to a free port (in your env file) and restart the kernel").format(port=config.prefect_port,
                                                                                   host=LOOPBACK))
        for name in ("home", "log", "pid"):
            (paths[name] if name == "home" else paths[name].parent).mkdir(mode=0o700, parents=True, exist_ok=True)
        prefect_database.seed(paths["home"])
        environment = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        environment.update(SERVER_SETTINGS)
        environment.update({"PREFECT_HOME": str(paths["home"]), "PREFECT_API_URL": config.prefect_api_url,
                            "PREFECT_UI_API_URL": config.prefect_api_url})
        with open(paths["log"], "ab") as log:
            process = subprocess.Popen(
                [str(BIN_DIR / "prefect"), "server", "start", "--host", LOOPBACK,
                 "--port", str(config.prefect_port), "--analytics-off"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=environment,
                cwd=config.home, start_new_session=True)  # its own session: it outlives the kernel
        paths["pid"].write_text(f"{process.pid}\n")
        deadline = time.monotonic() + timeout
        while not (answers(config) and _ready(config)):
            if process.poll() is not None or time.monotonic() > deadline:
                if process.poll() is None:
                    os.killpg(process.pid, signal.SIGTERM)
                tail = "\n".join(paths["log"].read_text(errors="replace").splitlines()[-15:])
                raise OwnPrefectError(_("your own Prefect server did not start ({log}):\n{tail}").format(
                    log=paths["log"], tail=tail))
            time.sleep(0.5)
    return True


def stop(config: LabConfig, timeout: float = 30) -> bool:
    """Stop the Prefect server `ensure_running` started on this LAB_HOME; False when none ran."""
    path = _paths(config)["pid"]
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return False
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:  # the pid is still that server's (Linux)
            if b"prefect" not in f.read():
                path.unlink(missing_ok=True)
                return False
    except OSError:
        pass
    try:
        os.killpg(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        path.unlink(missing_ok=True)
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
    path.unlink(missing_ok=True)
    return True


if __name__ == "__main__":
    command = sys.argv[1] if len(sys.argv) > 1 else "start"
    if command not in ("start", "stop"):
        sys.exit("usage: python -m lab_stack.own_prefect [start|stop]")
    lab = load_config()
    if command == "start":
        try:
            ensure_running(lab)
        except LabError as error:
            sys.exit(str(error))  # one line, which `lab doctor` shows
        print(f"Prefect: {lab.prefect_ui_url}")
    else:
        print("stopped" if stop(lab) else "no Prefect server of this lab was running")
