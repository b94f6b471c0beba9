"""What every service of the lab is: a supervised program that can prove it is healthy."""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..config import StackConfig

# The lab's own programs (mlflow, prefect, weed, jupyter-lab) come from this environment.
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Service:
    """One supervised program: how to start it, where it listens, how it proves it is healthy.

    Services start in the order `define_services` lists them; one with `wait_healthy`
    must answer before the next one starts (the object store before MLflow writes to it,
    PostgreSQL before MLflow opens its databases), and `after_healthy` runs then.
    """

    name: str
    command: list[str]
    url: str
    health: Callable[[StackConfig], bool]
    environment: dict[str, str] = field(default_factory=dict)
    # Every port it opens, and the setting a learner changes when one is taken.
    ports: tuple[int, ...] = ()
    port_variable: str = ""
    # The address it listens on: LAB_HOST unless it is kept on loopback.
    host: str | None = None
    autostart: bool = True
    group: str = "core"
    wait_healthy: bool = False
    after_healthy: Callable[[StackConfig], None] | None = None
    # The OS user to run as: PostgreSQL refuses to run as root.
    run_as: str | None = None
    stop_signal: str = "TERM"

    def healthy(self, config: StackConfig) -> bool:
        return self.health(config)


def socket_path(config: StackConfig, name: str) -> Path:
    """Where a service of this lab keeps a Unix socket: under LAB_HOME/run.

    A socket's path is limited to ~107 bytes; below a deep LAB_HOME it moves to /tmp,
    under a name unique to this lab.
    """
    path = config.home / "run" / f"{name}.sock"
    if len(str(path)) > 100:
        digest = hashlib.sha1(str(config.home).encode()).hexdigest()[:12]
        path = Path("/tmp") / f"lab-{digest}-{name}.sock"
    return path


def http_ok(url: str, expect: str | None = None) -> bool:
    """A health check: the URL answers 2xx, with `expect` in its body when given."""
    import requests

    try:
        response = requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return response.ok and (expect is None or expect in response.text)
