"""`lab export` / `lab import`: a lab's metadata and artifacts in one archive, and back.

The archive (a .tar.gz) holds the metadata database (a SQLite copy, or `pg_dump` of the
tracking and auth databases of a workshop lab), every object of the artifact bucket, and
for a workshop the admin and learner passwords, so a restored lab signs everyone in as
before. It holds credentials: it is written readable by its owner only.
"""

from __future__ import annotations

import io
import json
import os
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import mlflow

from . import stack, workshop
from .config import LabConfig
from .services import s3_client

FORMAT = 1
WORKSHOP_SECRETS = ("mlflow-admin-password", "learners.json")


class BackupError(RuntimeError):
    """An export or import could not be done; the message says what to do."""


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _pg_env(config: LabConfig) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": workshop.postgres_password(config)}


def _pg_args(config: LabConfig) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(config.pg_port), "-U", workshop.PG_USER]


def _dump_metadata(config: LabConfig, tmp: Path) -> dict[str, Path]:
    if not config.workshop:
        copy = tmp / "mlflow.db"
        # SQLite's backup API: a consistent copy even while the server writes.
        with sqlite3.connect(config.sqlite_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        return {"metadata/mlflow.db": copy}
    dumps = {}
    for name in workshop.DATABASES:
        path = tmp / f"{name}.pgdump"
        result = subprocess.run([workshop.postgres_bin("pg_dump"), *_pg_args(config), "-Fc", "-f", str(path), name],
                                env=_pg_env(config), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump of {name} failed: {result.stderr.strip()[-500:]}")
        dumps[f"metadata/{name}.pgdump"] = path
    return dumps


def export_lab(config: LabConfig, target: Path) -> dict:
    """Write the running lab's metadata and artifacts to `target`; return the manifest."""
    stack.supervisor(config)  # a clear message when the lab is not running
    s3 = s3_client(config)
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=config.bucket)
            for item in page.get("Contents", [])]
    manifest = {"format": FORMAT, "mode": "workshop" if config.workshop else "lab",
                "created": datetime.now(UTC).isoformat(timespec="seconds"),
                "mlflow": mlflow.__version__, "bucket": config.bucket, "objects": len(keys)}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with tempfile.TemporaryDirectory(prefix="lab-export-") as tmp, os.fdopen(fd, "wb") as out, \
            tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, path in _dump_metadata(config, Path(tmp)).items():
            archive.add(path, arcname=name)
        for key in keys:
            _add_bytes(archive, f"objects/{key}", s3.get_object(Bucket=config.bucket, Key=key)["Body"].read())
        if config.workshop:
            for name in WORKSHOP_SECRETS:
                path = config.secrets_dir / name
                if path.exists():
                    archive.add(path, arcname=f"secrets/{name}")
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=1).encode())
    return manifest


def _restore_metadata(config: LabConfig, archive: tarfile.TarFile, tmp: Path) -> None:
    if not config.workshop:
        archive.extract("metadata/mlflow.db", tmp, filter="data")
        os.replace(tmp / "metadata" / "mlflow.db", config.sqlite_path)
        return
    with workshop.connect_postgres(config, "postgres") as conn:
        for name in workshop.DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
    for name in workshop.DATABASES:
        archive.extract(f"metadata/{name}.pgdump", tmp, filter="data")
        result = subprocess.run([workshop.postgres_bin("pg_restore"), *_pg_args(config), "--no-owner",
                                 "-d", name, str(tmp / "metadata" / f"{name}.pgdump")],
                                env=_pg_env(config), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_restore of {name} failed: {result.stderr.strip()[-500:]}")


def import_lab(config: LabConfig, source: Path) -> dict:
    """Replace the running lab's metadata with the archive's and upload its artifacts.

    The tracking server is stopped while its database is replaced, then started again.
    Objects of the bucket that the archive does not hold are left in place.
    """
    proxy = stack.supervisor(config)
    with tarfile.open(source, "r:gz") as archive:
        try:
            manifest = json.load(archive.extractfile("manifest.json"))
        except KeyError:
            raise BackupError(f"{source} is not a lab export (no manifest.json)") from None
        mode = "workshop" if config.workshop else "lab"
        if manifest["mode"] != mode:
            raise BackupError(f"{source} is a {manifest['mode']} export and this is a {mode} lab: "
                              f"import it into a lab started {'with' if manifest['mode'] == 'workshop' else 'without'}"
                              " `--workshop`.")
        s3 = s3_client(config)
        proxy.supervisor.stopProcess("core:mlflow")
        try:
            with tempfile.TemporaryDirectory(prefix="lab-import-") as tmp:
                _restore_metadata(config, archive, Path(tmp))
            for member in archive.getmembers():
                if member.isfile() and member.name.startswith("objects/"):
                    s3.put_object(Bucket=config.bucket, Key=member.name.removeprefix("objects/"),
                                  Body=archive.extractfile(member).read())
                elif member.isfile() and member.name.startswith("secrets/"):
                    path = config.secrets_dir / member.name.removeprefix("secrets/")
                    path.touch(mode=0o600, exist_ok=True)
                    path.write_bytes(archive.extractfile(member).read())
        finally:
            if config.workshop:  # the restored admin password goes into the server's settings
                workshop.write_auth_config(config)
            proxy.supervisor.startProcess("core:mlflow", False)
            stack.wait_healthy(config, [s for s in stack.define_services(config) if s.name == "mlflow"])
    return manifest
