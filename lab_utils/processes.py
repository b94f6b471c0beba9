"""A background process started from a notebook: logged, waited for, and always stopped."""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from .errors import LabError


class BackgroundProcessError(LabError):
    """The process exited or never became ready; the message carries the end of its log."""


class BackgroundProcess:
    """Run `command` in its own process group, its output in `log_path`.

    `start()` returns once `ready()` is true; `stop()` ends the whole group, and runs by
    itself when the Python process (the notebook's kernel) exits.
    """

    def __init__(self, command: list[str], log_path: Path, ready: Callable[[], bool], what: str,
                 environment: dict[str, str] | None = None):
        self.command, self.log_path, self.ready, self.what = command, Path(log_path), ready, what
        self.environment = environment  # added to this process's own environment
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 120) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT,
                                            env={**os.environ, **(self.environment or {})},
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
        """End the whole process group, even when its first process has exited already
        (a shell that started a server in the background and returned, say)."""
        if self.process is None:
            return
        group = self.process.pid  # start_new_session: the group's id is the first process's pid
        if not self._signal_group(group, signal.SIGTERM):
            self.process.wait()
            return
        deadline = time.monotonic() + 20
        while self._signal_group(group, 0) and time.monotonic() < deadline:
            self.process.poll()  # reap the first process so that it does not linger as a zombie
            time.sleep(0.1)
        self._signal_group(group, signal.SIGKILL)
        self.process.wait()

    @staticmethod
    def _signal_group(group: int, sig: int) -> bool:
        """Send `sig` to the group; False when no process of it is left."""
        try:
            os.killpg(group, sig)
        except ProcessLookupError:
            return False
        return True
