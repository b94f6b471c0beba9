"""PostgreSQL, a workshop lab's metadata database: a cluster under LAB_HOME, loopback only."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
from pathlib import Path

from lab_utils.errors import LabError

from ..config import StackConfig
from ..secrets import postgres_password, write_private
from .service import BIN, Service

PG_USER = "lab"
# MLflow's tracking and account stores (what `lab export` saves), and Prefect's (its SQLite
# locks under a room of writers; flow-run history is not exported).
MLFLOW_DATABASES = ("mlflow", "mlflow_auth")
DATABASES = (*MLFLOW_DATABASES, "prefect")


def postgres_bin(program: str) -> str:
    """A PostgreSQL program: Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(program) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(p.split("/")[4]), reverse=True)), None)
    if not found:
        raise LabError(
            "PostgreSQL is not installed, and a workshop lab keeps its metadata in it: "
            "`sudo apt-get install postgresql` (make test installs it), then `lab up --workshop` again."
        )
    return found


def _postgres_owner() -> str | None:
    """PostgreSQL refuses to run as root: as root, it runs as Debian's `postgres` user."""
    return "postgres" if os.geteuid() == 0 else None


def _pg_dir(config: StackConfig) -> Path:
    return config.home / "postgres"


def prepare_postgres(config: StackConfig) -> None:
    """Create the database cluster under LAB_HOME on first use (`initdb`)."""
    data = _pg_dir(config) / "data"
    if (data / "PG_VERSION").exists():
        return
    owner = _postgres_owner()
    base = _pg_dir(config)
    base.mkdir(parents=True, exist_ok=True)
    base.chmod(0o700)
    pwfile = base / "initdb-password"
    write_private(pwfile, postgres_password(config))
    command = [postgres_bin("initdb"), "-D", str(data), "-U", PG_USER, f"--pwfile={pwfile}",
               "--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--no-instructions"]
    if owner:
        entry = pwd.getpwnam(owner)
        for path in (base, pwfile):
            os.chown(path, entry.pw_uid, entry.pw_gid)
        # util-linux's runuser lives in /usr/sbin, which a non-login root shell may lack on PATH.
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        probe = subprocess.run([runuser, "-u", owner, "--", "test", "-w", str(base)], capture_output=True)
        if probe.returncode != 0:
            raise LabError(
                f"PostgreSQL runs as the `{owner}` user, who cannot reach {base}: put LAB_HOME "
                "where every user can traverse the parent folders (for example under /srv or /tmp)."
            )
        command = [runuser, "-u", owner, "--", *command]
    try:
        result = subprocess.run(command, capture_output=True, text=True)
    finally:
        pwfile.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(data, ignore_errors=True)
        raise LabError(f"initdb failed:\n{result.stderr.strip()[-1500:]}")


def connect_postgres(config: StackConfig, dbname: str):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=config.pg_port, user=PG_USER, dbname=dbname,
                           password=postgres_password(config), connect_timeout=2, autocommit=True)


def database_uri(config: StackConfig, dbname: str) -> str:
    # The password travels in PGPASSWORD, not on a command line `ps` shows.
    return f"postgresql://{PG_USER}@127.0.0.1:{config.pg_port}/{dbname}"


def ensure_databases(config: StackConfig) -> None:
    with connect_postgres(config, "postgres") as conn:
        present = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in DATABASES:
            if name not in present:
                conn.execute(f'CREATE DATABASE "{name}"')
    _migrate_accounts_database(config)


def _migrate_accounts_database(config: StackConfig) -> None:
    """Create the account store's tables once, with MLflow's own command, before the server
    starts: each of a room's MLflow workers migrates a new account database at its start, and
    two at once collided (one worker died with `alembic_version_auth already exists`, and the
    server then outlived `lab down`'s wait)."""
    with connect_postgres(config, "mlflow_auth") as conn:
        if conn.execute("SELECT to_regclass('alembic_version_auth')").fetchone()[0] is not None:
            return
    result = subprocess.run(
        [str(BIN / "python"), "-m", "mlflow.server.auth", "db", "upgrade",
         "--url", database_uri(config, "mlflow_auth")],
        env={**os.environ, "PGPASSWORD": postgres_password(config)}, capture_output=True, text=True)
    if result.returncode != 0:
        raise LabError(f"creating the account store's tables failed:\n{result.stderr.strip()[-1500:]}")


def postgres_answers(config: StackConfig) -> bool:
    try:
        connect_postgres(config, "postgres").close()
    except Exception:
        return False
    return True


def postgres_service(config: StackConfig) -> Service:
    return Service(
        name="postgres",
        command=[
            postgres_bin("postgres"), "-D", str(_pg_dir(config) / "data"), "-p", str(config.pg_port),
            # Only the lab's servers talk to the database: loopback, never the room's network.
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={_pg_dir(config)}",
            # MLflow's three stores (tracking, workspaces, accounts) pool up to 30 each; Prefect's
            # server pools up to 5 + 10 overflow.
            "-c", "max_connections=170",
        ],
        url=f"postgresql://127.0.0.1:{config.pg_port}",
        health=postgres_answers,
        ports=(config.pg_port,),
        port_variable="LAB_PG_PORT",
        host="127.0.0.1",
        wait_healthy=True,
        after_healthy=ensure_databases,
        run_as=_postgres_owner(),
        # SIGINT is PostgreSQL's "fast" shutdown: it closes sessions instead of waiting for them.
        stop_signal="INT",
    )
