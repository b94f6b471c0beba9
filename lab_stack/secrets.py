"""Secrets and private files under LAB_HOME: written whole, readable by their owner only."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
from collections.abc import Callable
from pathlib import Path

from lab_utils.config import S3Credentials

from .config import StackConfig

# The account a workshop's tracking server is administered with.
WORKSHOP_ADMIN = "admin"


def write_private(path: Path, data: str | bytes) -> None:
    """Write a file that only its owner can read, whole or not at all.

    The text goes to a temporary file created with mode 0600 beside `path`, which then
    replaces `path` in one step: a reader never sees a half-written or empty file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _create_private_once(path: Path, make: Callable[[], str]) -> str:
    """The content of `path`, created with `make()` if absent; concurrent creators agree on one."""
    if path.exists():
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)
        return path.read_text()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.parent.chmod(0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(make())
        # link() fails if another process created the file first: then theirs is the one.
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass
    finally:
        Path(tmp).unlink(missing_ok=True)
    return path.read_text()


def private_secret(config: StackConfig, name: str, make=lambda: secrets.token_urlsafe(24)) -> str:
    """A secret generated once under LAB_HOME/secrets, readable by the owner only."""
    return _create_private_once(config.secrets_dir / name, make).strip()


def ensure_credentials(config: StackConfig) -> S3Credentials:
    """Generate the lab's own S3 keys on first use, readable by the owner only."""
    _create_private_once(config.credentials_path, lambda: json.dumps(
        {"access_key": "lab" + secrets.token_hex(8), "secret_key": secrets.token_urlsafe(30)}))
    return config.s3_credentials()


# --- the workshop's secrets ------------------------------------------------------------

def admin_password(config: StackConfig) -> str:
    return private_secret(config, "mlflow-admin-password")


def postgres_password(config: StackConfig) -> str:
    return private_secret(config, "postgres-password")


def reader_keys(config: StackConfig) -> tuple[str, str]:
    """The read-only object-store keys handed to learners."""
    key = private_secret(config, "s3-reader-access-key", lambda: "reader" + secrets.token_hex(8))
    return key, private_secret(config, "s3-reader-secret-key")


def seaweedfs_security(config: StackConfig) -> str:
    """The object store's own `security.toml`: the keys its parts sign and check writes with.

    `weed` reads it from `-config_dir`. With `[jwt.signing]` a volume server refuses a
    write or delete that carries no token signed by its master; with `[jwt.filer_signing]`
    the filer refuses one without a token of its own (the S3 gateway, in the same process,
    signs its requests). Nobody outside the store holds either key: an anonymous PUT or
    DELETE sent to the store's internals, even from this machine, answers 401.
    """
    volume = private_secret(config, "seaweedfs-volume-signing-key", lambda: secrets.token_urlsafe(32))
    filer = private_secret(config, "seaweedfs-filer-signing-key", lambda: secrets.token_urlsafe(32))
    return (f'[jwt.signing]\nkey = "{volume}"\nexpires_after_seconds = 10\n\n'
            f'[jwt.filer_signing]\nkey = "{filer}"\nexpires_after_seconds = 10\n')


def read_secret(config: StackConfig, name: str) -> str | None:
    """A secret the lab keeps under LAB_HOME/secrets, None when there is none (or not ours to read)."""
    try:
        return (config.secrets_dir / name).read_text().strip()
    except OSError:
        return None


def server_environment(config: StackConfig) -> dict[str, str]:
    """The client environment for the machine that runs the lab: on a workshop's server,
    without a learner identity, the lab's own tools (and the instructor's JupyterLab) act as
    the admin (kept by `lab up --workshop`)."""
    env = config.client_environment()
    if not config.workshop or config.user:
        return env
    password = read_secret(config, "mlflow-admin-password")
    if password and not os.environ.get("MLFLOW_TRACKING_USERNAME"):
        env.update({"MLFLOW_TRACKING_USERNAME": WORKSHOP_ADMIN, "MLFLOW_TRACKING_PASSWORD": password})
    return env
