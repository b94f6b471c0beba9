"""A background process started from a notebook: logged, waited for, and always stopped."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path


class BackgroundProcessError(RuntimeError):
    """The process exited or never became ready; the message carries the end of its log."""


class BackgroundProcess:
    """Run `command` in its own process group, its output in `log_path`.

    `start()` returns once `ready()` is true; `stop()` ends the whole group, and runs by
    itself when the Python process (the notebook's kernel) exits.
    """

    def __init__(self, command: list[str], log_path: Path, ready: Callable[[], bool], what: str):
        self.command, self.log_path, self.ready, self.what = command, Path(log_path), ready, what
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while not self.ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                tail = "\n".join(self.log_path.read_text(errors="replace").splitlines()[-15:])
                raise BackgroundProcessError(f"{self.what} did not start (log {self.log_path}):\n{tail}")
            time.sleep(0.3)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if not self.running:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
