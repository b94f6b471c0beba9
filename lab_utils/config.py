"""What a notebook needs to reach the lab: environment variables with local defaults.

The addresses of the services a lesson uses and the object store's keys are read here, once
(the stack's own ports and paths are lab_stack.config's). `make test` runs a second lab beside
a learner's by setting LAB_HOME and the port variables.
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
SPARK_CONF_DIR = Path(__file__).parent / "spark_conf"  # Spark's JVM options for small jobs

DEFAULTS = {
    "LAB_HOME": str(REPO_ROOT / ".lab"),
    "LAB_HOST": "127.0.0.1",
    "LAB_MLFLOW_PORT": "5000",
    "LAB_S3_PORT": "9000",
    "LAB_PREFECT_PORT": "4200",
    "LAB_S3_BUCKET": "mlflow",
}
# `lab up --workshop` leaves this file in the lab's home: a workshop lab stays one across restarts.
WORKSHOP_MARK = "workshop-mode"


@dataclass(frozen=True)
class S3Credentials:
    access_key: str
    secret_key: str


@dataclass(frozen=True)
class LabConfig:
    """Where the services a notebook uses listen, and where the lab keeps its data."""

    home: Path
    host: str
    mlflow_port: int
    s3_port: int
    prefect_port: int
    bucket: str
    external_s3_endpoint: str | None = None
    workshop: bool = False
    user: str | None = None

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
        return f"{self.prefect_ui_url}/api"

    @property
    def prefect_ui_url(self) -> str:
        # In a workshop, Prefect is each machine's own, on loopback (lab_stack.own_prefect).
        return f"http://{LOOPBACK if self.workshop else self.host}:{self.prefect_port}"

    @property
    def sqlite_path(self) -> Path:
        return self.home / "mlflow" / "mlflow.db"

    @property
    def credentials_path(self) -> Path:
        return self.home / "secrets" / "s3-credentials.json"

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


def port_setting(name: str, defaults: dict[str, str] = DEFAULTS) -> int:
    """The port in variable `name`, checked."""
    raw = os.environ.get(name, defaults[name])
    try:
        port = int(raw)
    except ValueError:
        raise LabConfigError(f"{name}={raw!r} is not a port number") from None
    if not 0 < port < 65536:
        raise LabConfigError(f"{name}={port} is outside 1-65535")
    return port


# S3's rules for a bucket name: 3-63 lowercase letters, digits, dots and hyphens.
BUCKET_NAME = re.compile(r"^(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


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
        workshop = os.environ.get("LAB_WORKSHOP", "") in ("1", "true", "yes") or (home / WORKSHOP_MARK).exists()
    return LabConfig(
        home=home,
        host=os.environ.get("LAB_HOST", DEFAULTS["LAB_HOST"]),
        mlflow_port=port_setting("LAB_MLFLOW_PORT"),
        s3_port=port_setting("LAB_S3_PORT"),
        prefect_port=port_setting("LAB_PREFECT_PORT"),
        bucket=_bucket(),
        external_s3_endpoint=os.environ.get("LAB_S3_ENDPOINT_URL") or None,
        workshop=workshop,
        user=os.environ.get("LAB_USER") or None,
    )
