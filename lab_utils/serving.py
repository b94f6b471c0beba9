"""Serving a model over REST with `mlflow models serve`, started and stopped from a notebook."""

from __future__ import annotations

import shlex
import socket
import sys
import time
from pathlib import Path

import requests

from .config import load_config
from .i18n import _
from .processes import BackgroundProcess, BackgroundProcessError

# The lab's own commands (mlflow, uvicorn) live beside this Python.
BIN = Path(sys.executable).parent


# The first free port from 5001 (the tracking server has 5000), as MLflow's docs do; else the system's.
MODEL_SERVER_PORTS = range(5001, 5011)
_claimed: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    port = next((p for p in MODEL_SERVER_PORTS if p not in _claimed and port_is_free(p, host)), None)
    if port is None:
        with socket.socket() as probe:
            probe.bind((host, 0))
            port = probe.getsockname()[1]
    _claimed.add(port)
    return port


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on the port (connections left in TIME_WAIT do not count)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class ModelServer:
    """`mlflow models serve` in the background, on a free loopback port.

    `start()` returns when `/ping` answers; `stop()` ends the server and all its workers
    (it also runs when the notebook's kernel exits, so no server outlives its lesson).
    """

    def __init__(self, model_uri: str, port: int | None = None):
        self.host = "127.0.0.1"  # the model server runs beside the notebook, never on the room's address
        self.model_uri, self.port_given = model_uri, port is not None
        self._prepare(port or free_port(self.host))

    def _prepare(self, port: int) -> None:
        self.port, self.url = port, f"http://{self.host}:{port}"
        # `--env-manager local` serves from this environment; its uvicorn must be on PATH,
        # which `lab_utils.connect()` sees to.
        command = [str(BIN / "mlflow"), "models", "serve", "-m", self.model_uri,
                   "--env-manager", "local", "--host", self.host, "--port", str(port)]
        self.process = BackgroundProcess(command, load_config().logs_dir / f"model-server-{port}.log",
                                         self._ping, f"the model server for {self.model_uri}")

    def _ping(self) -> bool:
        # Ours once its own log says it holds the port: another lab's server there is not ours.
        if f"Uvicorn running on {self.url} " not in self.process.log_path.read_text(errors="replace"):
            return False
        try:
            return requests.get(f"{self.url}/ping", timeout=1).ok
        except requests.RequestException:
            return False

    def start(self, timeout: float = 120) -> ModelServer:
        print("$ " + shlex.join(["mlflow", *self.process.command[1:]]))
        try:
            self.process.start(timeout)
        except BackgroundProcessError:
            # Another program took the free port before the server bound it: once more, on another.
            if self.port_given or "address already in use" not in self.process.log_path.read_text(errors="replace"):
                raise
            _claimed.discard(self.port)
            self._prepare(free_port(self.host))
            self.process.start(timeout)
        print(_("serving {model_uri} at {url}").format(model_uri=self.model_uri, url=self.url))
        return self

    def stop(self) -> None:
        self.process.stop()
        deadline = time.monotonic() + 10
        while not port_is_free(self.port, self.host) and time.monotonic() < deadline:
            time.sleep(0.2)  # workers in the process group release the port last
        _claimed.discard(self.port)
        free = _("True") if port_is_free(self.port, self.host) else _("False")
        print(_("model server stopped; port {port} is free: {free}").format(port=self.port, free=free))
