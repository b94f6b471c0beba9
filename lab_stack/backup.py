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
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from datetime import datetime, timezone
from importlib.metadata import version
from pathlib import Path, PurePosixPath

from lab_utils.clients import s3_client
from lab_utils.errors import LabError

from . import stack
from .config import StackConfig
from .health import sqlite_verdict
from .secrets import postgres_password, write_private
from .services.mlflow_server import write_auth_config
from .services.postgres import MLFLOW_DATABASES, PG_USER, connect_postgres, postgres_bin

FORMAT = 1
WORKSHOP_SECRETS = ("mlflow-admin-password", "learners.json")


class BackupError(LabError):
    """An export or import could not be done; the message says what to do."""


def _pg_env(config: StackConfig) -> dict[str, str]:
    return {**os.environ, "PGPASSWORD": postgres_password(config)}


def _pg_args(config: StackConfig) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(config.pg_port), "-U", PG_USER]


def _dump_metadata(config: StackConfig, tmp: Path) -> dict[str, Path]:
    if not config.workshop:
        copy = tmp / "mlflow.db"
        # SQLite's backup API: a consistent copy even while the server writes.
        with sqlite3.connect(config.sqlite_path) as source, sqlite3.connect(copy) as target:
            source.backup(target)
        return {"metadata/mlflow.db": copy}
    dumps = {}
    for name in MLFLOW_DATABASES:
        path = tmp / f"{name}.pgdump"
        result = subprocess.run([postgres_bin("pg_dump"), *_pg_args(config), "-Fc", "-f", str(path), name],
                                env=_pg_env(config), capture_output=True, text=True)
        if result.returncode != 0:
            raise BackupError(f"pg_dump of {name} failed: {result.stderr.strip()[-500:]}")
        dumps[f"metadata/{name}.pgdump"] = path
    return dumps


def export_lab(config: StackConfig, target: Path) -> dict:
    """Write the running lab's metadata and artifacts to `target`; return the manifest."""
    stack.supervisor(config)  # a clear message when the lab is not running
    s3 = s3_client(config)
    objects = [(item["Key"], item["Size"])
               for page in s3.get_paginator("list_objects_v2").paginate(Bucket=config.bucket)
               for item in page.get("Contents", [])]
    manifest = {"format": FORMAT, "mode": "workshop" if config.workshop else "lab",
                "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                "mlflow": version("mlflow"), "bucket": config.bucket, "objects": len(objects)}
    target.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with tempfile.TemporaryDirectory(prefix="lab-export-") as tmp, os.fdopen(fd, "wb") as out, \
            tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, path in _dump_metadata(config, Path(tmp)).items():
            archive.add(path, arcname=name)
        for key, size in objects:
            info = tarfile.TarInfo(f"objects/{key}")
            info.size, info.mtime = size, int(time.time())
            archive.addfile(info, s3.get_object(Bucket=config.bucket, Key=key)["Body"])  # streamed
        if config.workshop:
            for name in WORKSHOP_SECRETS:
                path = config.secrets_dir / name
                if path.exists():
                    archive.add(path, arcname=f"secrets/{name}")
        data = json.dumps(manifest, indent=1).encode()
        info = tarfile.TarInfo("manifest.json")
        info.size, info.mtime = len(data), int(time.time())
        archive.addfile(info, io.BytesIO(data))
    return manifest


# --- import -----------------------------------------------------------------------------

def _metadata_members(mode: str) -> set[str]:
    if mode == "workshop":
        return {f"metadata/{name}.pgdump" for name in MLFLOW_DATABASES}
    return {"metadata/mlflow.db"}


def _object_key(name: str) -> str | None:
    """The bucket key of an `objects/…` member, None when its name is not one the lab writes."""
    path = PurePosixPath(name)
    if name.startswith("/") or "\\" in name or path.parts[:1] != ("objects",) or len(path.parts) < 2:
        return None
    parts = name.split("/")[1:]
    if any(part in ("", ".", "..") for part in parts):
        return None
    return "/".join(parts)


def _validated(archive: tarfile.TarFile, source: Path, mode: str) -> tuple[dict, list[tarfile.TarInfo]]:
    """The manifest and the archive's members, after checking every member before anything changes.

    Only the members an export writes are accepted, by exact name (objects by a key with no
    empty, `.` or `..` part), and only as regular files: no links, devices or folders.
    """
    members = archive.getmembers()
    allowed = {"manifest.json", *_metadata_members(mode)}
    if mode == "workshop":
        allowed |= {f"secrets/{name}" for name in WORKSHOP_SECRETS}
    refused = [m.name for m in members
               if not m.isfile() or (m.name not in allowed and _object_key(m.name) is None)]
    if refused:
        raise BackupError(f"{source} holds member(s) a lab export never writes, refused before anything "
                          f"changed: {', '.join(refused[:5])}{' …' if len(refused) > 5 else ''}")
    names = [m.name for m in members]
    duplicated = {n for n in names if names.count(n) > 1}
    if duplicated:
        raise BackupError(f"{source} holds {sorted(duplicated)[0]!r} twice; refused before anything changed")
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, ValueError):
        raise BackupError(f"{source} is not a lab export (no readable manifest.json)") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: unknown export format {manifest.get('format') if isinstance(manifest, dict) else manifest!r}")
    if manifest.get("mode") != mode:
        raise BackupError(f"{source} is a {manifest.get('mode')} export and this is a {mode} lab: "
                          f"import it into a lab started {'with' if manifest.get('mode') == 'workshop' else 'without'}"
                          " `--workshop`.")
    missing = _metadata_members(mode) - set(names)
    if missing:
        raise BackupError(f"{source} lacks {', '.join(sorted(missing))}; nothing was changed")
    if "secrets/learners.json" in names:
        table = json.load(archive.extractfile("secrets/learners.json"))
        if not (isinstance(table, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in table.items())):
            raise BackupError(f"{source}: secrets/learners.json is not a table of learners; nothing was changed")
    return manifest, members


def _stage_sqlite(archive: tarfile.TarFile, config: StackConfig) -> Path:
    """The archive's database, written beside the lab's and checked; the lab's is untouched."""
    staged = config.sqlite_path.with_name("mlflow.db.importing")
    with archive.extractfile("metadata/mlflow.db") as source, open(staged, "wb") as target:
        shutil.copyfileobj(source, target)
    verdict = sqlite_verdict(staged)
    if verdict != "ok":
        staged.unlink()
        raise BackupError(f"the archive's database is not a sound SQLite database ({verdict}); nothing was changed")
    return staged


def _staging_name(name: str) -> str:
    return f"{name}_importing"


def _stage_postgres(archive: tarfile.TarFile, config: StackConfig, tmp: Path) -> None:
    """Restore the archive's dumps into staging databases; the lab's own are untouched."""
    with connect_postgres(config, "postgres") as conn:
        for name in MLFLOW_DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{_staging_name(name)}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{_staging_name(name)}"')
    for name in MLFLOW_DATABASES:
        dump = tmp / f"{name}.pgdump"
        with archive.extractfile(f"metadata/{name}.pgdump") as source, open(dump, "wb") as target:
            shutil.copyfileobj(source, target)
        result = subprocess.run([postgres_bin("pg_restore"), *_pg_args(config), "--no-owner",
                                 "-d", _staging_name(name), str(dump)],
                                env=_pg_env(config), capture_output=True, text=True)
        if result.returncode != 0:
            _drop_staging(config)
            raise BackupError(f"pg_restore of {name} failed, nothing was changed: {result.stderr.strip()[-500:]}")


def _drop_staging(config: StackConfig) -> None:
    with connect_postgres(config, "postgres") as conn:
        for name in MLFLOW_DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{_staging_name(name)}" WITH (FORCE)')


def _swap_postgres(config: StackConfig) -> None:
    """Put the staged databases in place of the lab's (the tracking server is stopped)."""
    with connect_postgres(config, "postgres") as conn:
        for name in MLFLOW_DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}_replaced" WITH (FORCE)')
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", (name,))
        with conn.transaction():  # both databases are swapped, or neither
            for name in MLFLOW_DATABASES:
                conn.execute(f'ALTER DATABASE "{name}" RENAME TO "{name}_replaced"')
                conn.execute(f'ALTER DATABASE "{_staging_name(name)}" RENAME TO "{name}"')
        for name in MLFLOW_DATABASES:
            conn.execute(f'DROP DATABASE "{name}_replaced" WITH (FORCE)')


def import_lab(config: StackConfig, source: Path) -> dict:
    """Replace the running lab's metadata with the archive's and upload its artifacts.

    Every member is checked before anything changes, and the metadata is restored into a
    staging copy first: an archive that is refused or fails to restore leaves the lab as
    it was. Objects are streamed to the bucket; objects it lacks are left in place. The
    tracking server is stopped only while the staged metadata takes the place of its own.
    """
    proxy = stack.supervisor(config)
    mode = "workshop" if config.workshop else "lab"
    try:
        archive = tarfile.open(source, "r:gz")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"{source} is not a readable .tar.gz archive ({error})") from None
    with archive, tempfile.TemporaryDirectory(prefix="lab-import-") as tmp:
        manifest, members = _validated(archive, source, mode)
        staged = _stage_sqlite(archive, config) if mode == "lab" else _stage_postgres(archive, config, Path(tmp))
        try:
            s3 = s3_client(config)
            for member in members:
                key = _object_key(member.name)
                if key is not None:
                    s3.upload_fileobj(archive.extractfile(member), config.bucket, key)
        except Exception as error:
            if staged:
                staged.unlink(missing_ok=True)
            else:
                _drop_staging(config)
            raise BackupError(f"uploading the archive's artifacts failed ({error}); the metadata was not "
                              "changed (objects uploaded so far stay in the bucket)") from None
        proxy.supervisor.stopProcess("core:mlflow")
        try:
            if staged:
                os.replace(staged, config.sqlite_path)
            else:
                _swap_postgres(config)
                for name in WORKSHOP_SECRETS:
                    if f"secrets/{name}" in {m.name for m in members}:
                        write_private(config.secrets_dir / name, archive.extractfile(f"secrets/{name}").read())
        finally:
            if config.workshop:  # the restored admin password goes into the server's settings
                write_auth_config(config)
            proxy.supervisor.startProcess("core:mlflow", False)
            stack.wait_healthy(config, [s for s in stack.define_services(config) if s.name == "mlflow"])
    return manifest
