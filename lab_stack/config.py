"""The stack's configuration: lab_utils' (what a notebook reaches) and the ports and paths that only
the machinery uses (JupyterLab, Spark's cluster, a workshop's PostgreSQL, secrets, the lab's marks)."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from lab_utils import config as notebook_config
from lab_utils.config import LOOPBACK, LabConfig, LabConfigError, port_setting

STACK_DEFAULTS = {
    "LAB_JUPYTER_PORT": "8888",
    "LAB_SPARK_MASTER_PORT": "7077",
    "LAB_SPARK_UI_PORT": "8080",
    "LAB_PG_PORT": "5433",
}
DEFAULTS = {**notebook_config.DEFAULTS, **STACK_DEFAULTS}
# The object store opens ports up to S3 port + 10004 (see services.objectstore.seaweedfs_ports).
HIGHEST_DERIVED_S3_PORT = 10004


@dataclasses.dataclass(frozen=True)
class StackConfig(LabConfig):
    """Every service of the lab: where it listens and where its data lives."""

    jupyter_port: int = 8888
    spark_master_port: int = 7077
    spark_ui_port: int = 8080
    pg_port: int = 5433
    # LAB_ALLOWED_HOSTS: more names MLflow answers to (a Codespace's forwarded address, say).
    allowed_hosts: tuple[str, ...] = ()
    # LAB_WORKSHOP_WORKERS: a workshop's MLflow server processes, one per core (the guide's sizing).
    workshop_workers: int = 2

    # JupyterLab (in a workshop) and Spark run code for whoever reaches them: they stay on
    # loopback, reachable from this machine only, whatever LAB_HOST is.
    @property
    def jupyter_url(self) -> str:
        return f"http://{LOOPBACK if self.workshop else self.host}:{self.jupyter_port}/lab"

    @property
    def spark_master_url(self) -> str:
        return f"spark://{LOOPBACK}:{self.spark_master_port}"

    @property
    def spark_ui_url(self) -> str:
        return f"http://{LOOPBACK}:{self.spark_ui_port}"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def mode_path(self) -> Path:
        """Written by `lab up --workshop`: a workshop lab stays one across restarts."""
        return self.home / notebook_config.WORKSHOP_MARK

    @property
    def marker_path(self) -> Path:
        """The file every lab home carries: only a folder with it is ever deleted by `lab reset`."""
        return self.home / ".dataflow-lab"


def load_config(workshop: bool | None = None) -> StackConfig:
    """The lab's configuration from the environment (defaults: the local lab), as the stack needs it."""
    config = notebook_config.load_config(workshop)
    if not config.uses_external_s3 and config.s3_port + HIGHEST_DERIVED_S3_PORT > 65535:
        raise LabConfigError(f"LAB_S3_PORT={config.s3_port} is too high: the object store also opens ports up "
                             f"to LAB_S3_PORT + {HIGHEST_DERIVED_S3_PORT}; choose a port below "
                             f"{65536 - HIGHEST_DERIVED_S3_PORT}.")
    return StackConfig(
        **{field.name: getattr(config, field.name) for field in dataclasses.fields(config)},
        **{name: port_setting(f"LAB_{name.removesuffix('_port').upper()}_PORT", DEFAULTS)
           for name in ("jupyter_port", "spark_master_port", "spark_ui_port", "pg_port")},
        allowed_hosts=tuple(h.strip() for h in os.environ.get("LAB_ALLOWED_HOSTS", "").split(",") if h.strip()),
        workshop_workers=_workers(),
    )


def _workers() -> int:
    raw = os.environ.get("LAB_WORKSHOP_WORKERS", "2")
    if not raw.isdigit() or not 1 <= int(raw) <= 64:
        raise LabConfigError(f"LAB_WORKSHOP_WORKERS={raw!r} is not a number of workers: use 1 to 64, one "
                             "per core of the server (the instructor's guide, 'How much room one server holds').")
    return int(raw)
