"""The lab's one configuration source: environment variables with local defaults.

Every port, path and key the lab uses is read here, once. `make test` runs a
second lab beside a learner's by setting LAB_HOME and the port variables.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

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

    @property
    def jupyter_url(self) -> str:
        return f"http://{self.host}:{self.jupyter_port}/lab"

    @property
    def spark_master_url(self) -> str:
        return f"spark://{self.host}:{self.spark_master_port}"

    @property
    def spark_ui_url(self) -> str:
        return f"http://{self.host}:{self.spark_ui_port}"

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
    def logs_dir(self) -> Path:
        return self.home / "logs"

    def s3_credentials(self) -> S3Credentials:
        """The keys of the object store: the user's own, or the ones `lab up` generated."""
        if self.uses_external_s3:
            key = os.environ.get("LAB_S3_ACCESS_KEY") or os.environ.get("AWS_ACCESS_KEY_ID")
            secret = os.environ.get("LAB_S3_SECRET_KEY") or os.environ.get("AWS_SECRET_ACCESS_KEY")
            if not key or not secret:
                raise LabConfigError(
                    "LAB_S3_ENDPOINT_URL is set but no keys are: set LAB_S3_ACCESS_KEY and "
                    "LAB_S3_SECRET_KEY to the keys of your S3 store."
                )
            return S3Credentials(key, secret)
        if self.workshop and self.user:
            key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
            if not key or not secret:
                raise LabConfigError(
                    f"Learner {self.user!r} has no object-store keys in the environment: ask the "
                    f"instructor for the output of `lab users env {self.user}` and load it."
                )
            return S3Credentials(key, secret)
        try:
            data = json.loads(self.credentials_path.read_text())
        except FileNotFoundError:
            raise LabConfigError(
                f"No object-store keys at {self.credentials_path}: run `lab up` (or `make up`) "
                "once; it generates them."
            ) from None
        return S3Credentials(data["access_key"], data["secret_key"])

    def client_environment(self) -> dict[str, str]:
        """The variables a notebook, script or shell needs to use this lab.

        In a workshop, a learner (LAB_USER set) works in the MLflow workspace named after
        them, with the credentials and read-only store keys of their own environment; on
        the server itself, without LAB_USER, the instructor's tools act as the admin.
        """
        env = {
            "MLFLOW_TRACKING_URI": self.tracking_uri,
            "PREFECT_API_URL": self.prefect_api_url,
            # Prefect clients keep cached task results here: inside the lab, not in ~/.prefect.
            "PREFECT_HOME": str(self.home / "prefect-client"),
            "MLFLOW_S3_ENDPOINT_URL": self.s3_endpoint_url,
        }
        if self.workshop and self.user:
            env["MLFLOW_WORKSPACE"] = self.user
            return env
        if self.workshop:
            from .workshop import admin_environment

            env.update(admin_environment(self))
        try:
            creds = self.s3_credentials()
        except LabConfigError:
            return env
        env["AWS_ACCESS_KEY_ID"] = creds.access_key
        env["AWS_SECRET_ACCESS_KEY"] = creds.secret_key
        return env


class LabConfigError(RuntimeError):
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


def load_config(workshop: bool | None = None) -> LabConfig:
    """Read the lab's configuration from the environment (defaults: the local lab).

    A workshop lab is one started with `lab up --workshop` (or LAB_WORKSHOP=1); it stays
    one for later commands on the same LAB_HOME.
    """
    home = Path(os.environ.get("LAB_HOME", DEFAULTS["LAB_HOME"])).resolve()
    if workshop is None:
        workshop = os.environ.get("LAB_WORKSHOP", "") in ("1", "true", "yes") or (home / "workshop-mode").exists()
    return LabConfig(
        home=home,
        host=os.environ.get("LAB_HOST", DEFAULTS["LAB_HOST"]),
        mlflow_port=_port("LAB_MLFLOW_PORT"),
        s3_port=_port("LAB_S3_PORT"),
        prefect_port=_port("LAB_PREFECT_PORT"),
        jupyter_port=_port("LAB_JUPYTER_PORT"),
        spark_master_port=_port("LAB_SPARK_MASTER_PORT"),
        spark_ui_port=_port("LAB_SPARK_UI_PORT"),
        bucket=os.environ.get("LAB_S3_BUCKET", DEFAULTS["LAB_S3_BUCKET"]),
        external_s3_endpoint=os.environ.get("LAB_S3_ENDPOINT_URL") or None,
        workshop=workshop,
        pg_port=_port("LAB_PG_PORT"),
        user=os.environ.get("LAB_USER") or None,
    )


def private_secret(config: LabConfig, name: str, make=lambda: secrets.token_urlsafe(24)) -> str:
    """A secret generated once under LAB_HOME/secrets, readable by the owner only."""
    path = config.secrets_dir / name
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(make())
    return path.read_text().strip()


def ensure_credentials(config: LabConfig) -> S3Credentials:
    """Generate the lab's own S3 keys on first use, readable by the owner only."""
    path = config.credentials_path
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.parent.chmod(0o700)
        data = {"access_key": "lab" + secrets.token_hex(8), "secret_key": secrets.token_urlsafe(30)}
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
    return config.s3_credentials()
