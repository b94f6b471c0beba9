"""The lab's one configuration source: environment variables with local defaults.

Every port, path and key the lab uses is read here, once. `make test` runs a
second lab beside a learner's by setting LAB_HOME and the port variables.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from .errors import LabError
from .i18n import _

REPO_ROOT = Path(__file__).resolve().parents[1]
LOOPBACK = "127.0.0.1"

DEFAULTS = {
    "LAB_HOME": str(REPO_ROOT / ".lab"),
    "LAB_HOST": "127.0.0.1",
    "LAB_MLFLOW_PORT": "5000",
    "LAB_S3_PORT": "9000",
    "LAB_PREFECT_PORT": "4200",
    "LAB_JUPYTER_PORT": "8888",
    "LAB_SPARK_MASTER_PORT": "7077",
    "LAB_SPARK_UI_PORT": "8080",
    "LAB_S3_BUCKET": "mlflow",
    "LAB_PG_PORT": "5433",
}


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class LabConfig:
    """Where every service of the lab listens and where its data lives."""

    home: Path
    host: str
    mlflow_port: int
    s3_port: int
    prefect_port: int
    jupyter_port: int
    spark_master_port: int
    spark_ui_port: int
    bucket: str
    external_s3_endpoint: str | None = None
    workshop: bool = False
    pg_port: int = 5433
    user: str | None = None
    # LAB_ALLOWED_HOSTS: more names MLflow answers to (a Codespace's forwarded address, say).
    allowed_hosts: tuple[str, ...] = ()

    @property
    def uses_external_s3(self) -> bool:
        """True when the user pointed the lab at their own S3 store (LAB_S3_ENDPOINT_URL)."""
        return self.external_s3_endpoint is not None

    @property
    def tracking_uri(self) -> str:
        return f"http://{self.host}:{self.mlflow_port}"

    @property
    def s3_endpoint_url(self) -> str:
        return self.external_s3_endpoint or f"http://{self.host}:{self.s3_port}"

    @property
    def prefect_api_url(self) -> str:
        return f"http://{self.host}:{self.prefect_port}/api"

    @property
    def prefect_ui_url(self) -> str:
        return f"http://{self.host}:{self.prefect_port}"

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
    def sqlite_path(self) -> Path:
        return self.home / "mlflow" / "mlflow.db"

    @property
    def credentials_path(self) -> Path:
        return self.home / "secrets" / "s3-credentials.json"

    @property
    def secrets_dir(self) -> Path:
        return self.home / "secrets"

    @property
    def mode_path(self) -> Path:
        """Written by `lab up --workshop`: a workshop lab stays one across restarts."""
        return self.home / "workshop-mode"

    @property
    def marker_path(self) -> Path:
        """The file every lab home carries: only a folder with it is ever deleted by `lab reset`."""
        return self.home / ".dataflow-lab"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def s3_credentials(self) -> S3Credentials:
        """The keys of the object store: the user's own, or the ones `lab up` generated."""
        if self.uses_external_s3:
            key = os.environ.get("LAB_S3_ACCESS_KEY") or os.environ.get("AWS_ACCESS_KEY_ID")
            secret = os.environ.get("LAB_S3_SECRET_KEY") or os.environ.get("AWS_SECRET_ACCESS_KEY")
            if not key or not secret:
                raise LabConfigError(_("LAB_S3_ENDPOINT_URL is set but no keys are: set LAB_S3_ACCESS_KEY "
                                       "and LAB_S3_SECRET_KEY to the keys of your S3 store."))
            return S3Credentials(key, secret)
        if self.workshop and self.user:
            key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
            if not key or not secret:
                raise LabConfigError(_("Learner {user!r} has no object-store keys in the environment: ask "
                                       "the instructor for the output of `lab users env {user}` and load it.").format(
                    user=self.user))
            return S3Credentials(key, secret)
        try:
            data = json.loads(self.credentials_path.read_text())
        except FileNotFoundError:
            raise LabConfigError(_("No object-store keys at {path}: run `lab up` (or `make up`) once; it "
                                   "generates them.").format(path=self.credentials_path)) from None
        return S3Credentials(data["access_key"], data["secret_key"])

    def client_environment(self) -> dict[str, str]:
        """The variables a notebook, script or shell needs to use this lab.

        In a workshop, a learner (LAB_USER set) works in the MLflow workspace named after
        them, with the credentials and read-only store keys of their own environment (on
        the server itself, the `lab` command adds the admin's: lab_stack.secrets).
        """
        env = {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "PREFECT_API_URL": self.prefect_api_url,
            # Prefect clients keep cached task results here: inside the lab, not in ~/.prefect.
            "PREFECT_HOME": str(self.home / "prefect-client"),
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint_url,
            # MLflow's usage telemetry, off: the lab sends nothing out, and its sender thread,
            # failing to reach the network, deletes a variable while requests reads os.environ.
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        if self.workshop and self.user:
            env["MLFLOW_WORKSPACE"] = self.user
            return env
        try:
            creds = self.s3_credentials()
        except LabConfigError:
            return env
        env["AWS_ACCESS_KEY_ID"] = creds.access_key
        env["AWS_SECRET_ACCESS_KEY"] = creds.secret_key
        return env


class LabConfigError(LabError):
    """The lab's configuration is incomplete; the message says what to do."""


def _port(name: str) -> int:
    raw = os.environ.get(name, DEFAULTS[name])
    try:
        port = int(raw)
    except ValueError:
        raise LabConfigError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise LabConfigError(f"{name}={port} is outside 1-65535")
    return port


# S3's rules for a bucket name: 3-63 lowercase letters, digits, dots and hyphens.
BUCKET_NAME = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# The object store opens ports up to S3 port + 10004 (see services.seaweedfs_ports).
HIGHEST_DERIVED_S3_PORT = 10004


def _bucket() -> str:
    bucket = os.environ.get("LAB_S3_BUCKET", DEFAULTS["LAB_S3_BUCKET"])
    if not BUCKET_NAME.match(bucket) or ".." in bucket:
        raise LabConfigError(f"LAB_S3_BUCKET={bucket!r} is not a valid S3 bucket name: use 3-63 lowercase "
                             "letters, digits, dots or hyphens, starting and ending with a letter or digit.")
    return bucket


def load_config(workshop: bool | None = None) -> LabConfig:
    """Read the lab's configuration from the environment (defaults: the local lab).

    A workshop lab is one started with `lab up --workshop` (or LAB_WORKSHOP=1); it stays
    one for later commands on the same LAB_HOME.
    """
    home = Path(os.environ.get("LAB_HOME", DEFAULTS["LAB_HOME"])).resolve()
    if workshop is None:
        workshop = os.environ.get("LAB_WORKSHOP", "") in ("1", "true", "yes") or (home / "workshop-mode").exists()
    external_s3 = os.environ.get("LAB_S3_ENDPOINT_URL") or None
    s3_port = _port("LAB_S3_PORT")
    if not external_s3 and s3_port + HIGHEST_DERIVED_S3_PORT > 65535:
        raise LabConfigError(f"LAB_S3_PORT={s3_port} is too high: the object store also opens ports up to "
                             f"LAB_S3_PORT + {HIGHEST_DERIVED_S3_PORT}; choose a port below "
                             f"{65536 - HIGHEST_DERIVED_S3_PORT}.")
    return LabConfig(
        home=home,
        host=os.environ.get("LAB_HOST", DEFAULTS["LAB_HOST"]),
        mlflow_port=_port("LAB_MLFLOW_PORT"),
        s3_port=s3_port,
        prefect_port=_port("LAB_PREFECT_PORT"),
        jupyter_port=_port("LAB_JUPYTER_PORT"),
        spark_master_port=_port("LAB_SPARK_MASTER_PORT"),
        spark_ui_port=_port("LAB_SPARK_UI_PORT"),
        bucket=_bucket(),
        external_s3_endpoint=external_s3,
        workshop=workshop,
        pg_port=_port("LAB_PG_PORT"),
        user=os.environ.get("LAB_USER") or None,
        allowed_hosts=tuple(h.strip() for h in os.environ.get("LAB_ALLOWED_HOSTS", "").split(",") if h.strip()),
    )
