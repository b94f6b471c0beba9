"""Workshop mode: one lab for a room of learners.

The tracking server runs MLflow's basic-auth app with workspaces on PostgreSQL. Each
learner is an MLflow user with a workspace of their own name: the lessons' experiment
and model names ("meu_experimento", "previsao_precos") stay as written and never clash.
In their own workspace a learner creates and edits; in the others' they only read.
The object store's admin keys stay on the server; learners get read-only keys, enough
for the lessons that look inside the bucket. The room reaches three doors, each asking for
credentials: MLflow, the S3 API and Prefect; the rest of the lab binds loopback (services.py).
"""

from __future__ import annotations

import csv
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import subprocess
from pathlib import Path
from urllib.parse import quote

from .config import LabConfig, LabConfigError, private_secret, write_private
from .errors import LabError

ADMIN = "admin"
PG_USER = "lab"
DATABASES = ("mlflow", "mlflow_auth")
# Two workers: the auth app's checks keep one worker's core busy (~60 ms of CPU per request),
# and with 60 learners at once two workers served 25-30 requests/s against 16 for one. The
# cost: memory (the server's processes peaked at 1.3 GB, against ~0.5 GB with one), and a
# request alone takes longer (103 ms against 53 ms for a learner's log_metric, one at a
# time; uvicorn's multi-process mode slows a plain SQLite server as much: 58 against 20 ms).
WORKERS = 2
READER_ROLE = "colegas"
NAME_PATTERN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


class WorkshopError(LabError):
    """A workshop set-up step failed; the message says what to do."""


# --- secrets ---------------------------------------------------------------------------

_secret = private_secret


def admin_password(config: LabConfig) -> str:
    return _secret(config, "mlflow-admin-password")


def postgres_password(config: LabConfig) -> str:
    return _secret(config, "postgres-password")


def reader_keys(config: LabConfig) -> tuple[str, str]:
    """The read-only object-store keys handed to learners."""
    key = _secret(config, "s3-reader-access-key", lambda: "reader" + secrets.token_hex(8))
    return key, _secret(config, "s3-reader-secret-key")


def prefect_auth_string(config: LabConfig) -> str:
    """The Prefect server's one credential, shared by the room (Prefect has no accounts)."""
    return _secret(config, "prefect-auth-string", lambda: "lab:" + secrets.token_urlsafe(24))


def prefect_server_environment(config: LabConfig) -> dict[str, str]:
    """Prefect on the room's address asks for its auth string, not loopback only: each
    learner's notebook runs on the learner's machine and lesson 07 runs flows and
    `flow.serve` against this server. Without it, anyone on the network could create
    deployments and flow runs, which run code wherever a `serve` polls. The server checks
    every /api route and websocket but /health and /ready (prefect/server/api/server.py,
    prefect/server/utilities/subscriptions.py); the UI asks for the string.
    """
    auth = prefect_auth_string(config)
    # The server's own client calls (if any) carry it too.
    return {"PREFECT_SERVER_API_AUTH_STRING": auth, "PREFECT_API_AUTH_STRING": auth}


def admin_environment(config: LabConfig) -> dict[str, str]:
    """On the server, without a learner identity, the lab's own tools act as the admin,
    and carry Prefect's auth string."""
    try:
        env = {"PREFECT_API_AUTH_STRING": prefect_auth_string(config)}
        if not os.environ.get("MLFLOW_TRACKING_USERNAME"):
            env.update({"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": admin_password(config)})
    except OSError:
        return {}
    return env


# --- PostgreSQL ---------------------------------------------------------------------------

def postgres_bin(program: str) -> str:
    """A PostgreSQL program: Debian keeps them in /usr/lib/postgresql/<version>/bin."""
    found = shutil.which(program) or next(iter(sorted(
        glob.glob(f"/usr/lib/postgresql/*/bin/{program}"), key=lambda p: int(p.split("/")[4]), reverse=True)), None)
    if not found:
        raise WorkshopError(
            "PostgreSQL is not installed, and a workshop lab keeps its metadata in it: "
            "`sudo apt-get install postgresql` (make test installs it), then `lab up --workshop` again."
        )
    return found


def _postgres_owner() -> str | None:
    """PostgreSQL refuses to run as root: as root, it runs as Debian's `postgres` user."""
    return "postgres" if os.geteuid() == 0 else None


def _pg_dir(config: LabConfig) -> Path:
    return config.home / "postgres"


def prepare_postgres(config: LabConfig) -> None:
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
            raise WorkshopError(
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
        raise WorkshopError(f"initdb failed:\n{result.stderr.strip()[-1500:]}")


def postgres_service(config: LabConfig):
    from .services import Service

    return Service(
        name="postgres",
        command=[
            postgres_bin("postgres"), "-D", str(_pg_dir(config) / "data"), "-p", str(config.pg_port),
            # Only the tracking server talks to the database: loopback, never the room's network.
            "-c", "listen_addresses=127.0.0.1", "-c", f"unix_socket_directories={_pg_dir(config)}",
            # The server's three stores (tracking, workspaces, accounts) pool up to 30 each.
            "-c", "max_connections=150",
        ],
        url=f"postgresql://127.0.0.1:{config.pg_port}",
        port=config.pg_port,
        host="127.0.0.1",
        run_as=_postgres_owner(),
        # SIGINT is PostgreSQL's "fast" shutdown: it closes sessions instead of waiting for them.
        stop_signal="INT",
    )


def connect_postgres(config: LabConfig, dbname: str):
    import psycopg

    return psycopg.connect(host="127.0.0.1", port=config.pg_port, user=PG_USER, dbname=dbname,
                           password=postgres_password(config), connect_timeout=2, autocommit=True)


def ensure_databases(config: LabConfig) -> None:
    with connect_postgres(config, "postgres") as conn:
        present = {row[0] for row in conn.execute("SELECT datname FROM pg_database")}
        for name in DATABASES:
            if name not in present:
                conn.execute(f'CREATE DATABASE "{name}"')


# --- the tracking server ------------------------------------------------------------------

def _database_uri(config: LabConfig, dbname: str) -> str:
    # The password travels in PGPASSWORD (see below), not on a command line `ps` shows.
    return f"postgresql://{PG_USER}@127.0.0.1:{config.pg_port}/{dbname}"


def mlflow_server_args(config: LabConfig) -> list[str]:
    from .services import mlflow_host_args

    if config.host in ("0.0.0.0", "::", ""):
        raise LabConfigError(
            "A workshop lab is bound to the address learners will use: set LAB_HOST to it "
            "(this machine's name or IP on the room's network), not a wildcard."
        )
    server = f"{config.host}:{config.mlflow_port}"
    return [
        "--app-name", "basic-auth", "--enable-workspaces",
        "--backend-store-uri", _database_uri(config, "mlflow"),
        "--workers", str(WORKERS),
        # Requests must name this server (DNS-rebinding guard), and only its own pages may
        # call it from a browser; LAB_ALLOWED_HOSTS adds names (a forwarded port's, say).
        *mlflow_host_args(config, [config.host, server, f"localhost:{config.mlflow_port}", f"127.0.0.1:{config.mlflow_port}"],
                          [f"http://{server}"]),
    ]


def write_auth_config(config: LabConfig) -> Path:
    path = config.secrets_dir / "mlflow-auth.ini"
    text = "\n".join([
        "[mlflow]",
        # What a signed-in user may do where they hold no grant: read.
        "default_permission = READ",
        f"database_uri = {_database_uri(config, 'mlflow_auth')}",
        f"admin_username = {ADMIN}",
        f"admin_password = {admin_password(config)}",
        "authorization_function = mlflow.server.auth:authenticate_request_basic_auth",
        "grant_default_workspace_access = false",
        # A verified password is cached for an hour: checking one costs ~0.2 s of CPU (scrypt),
        # so a room of 60 re-checked every minute would keep a core busy. With one worker,
        # a password changed or an account deleted through the API takes effect at once.
        "auth_cache_ttl_seconds = 3600",
        "",
    ])
    write_private(path, text)
    return path


def mlflow_server_environment(config: LabConfig) -> dict[str, str]:
    return {
        "MLFLOW_AUTH_CONFIG_PATH": str(write_auth_config(config)),
        "MLFLOW_FLASK_SERVER_SECRET_KEY": _secret(config, "flask-secret-key"),
        "PGPASSWORD": postgres_password(config),
        # Connections kept open for a room: with SQLAlchemy's default (5, plus 10 opened and
        # closed again per burst) requests waited on new PostgreSQL connections.
        "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "20",
        "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "10",
    }


def seaweedfs_identities(config: LabConfig) -> list[dict]:
    """Learners read the bucket (the lessons look inside it) but never write to it."""
    key, secret = reader_keys(config)
    return [{"name": "learners", "credentials": [{"accessKey": key, "secretKey": secret}],
             "actions": [f"Read:{config.bucket}", f"List:{config.bucket}"]}]


# --- learners -----------------------------------------------------------------------------

def _learners_path(config: LabConfig) -> Path:
    return config.secrets_dir / "learners.json"


def learners(config: LabConfig) -> dict[str, str]:
    """Every learner account and its password, as `lab users` created them."""
    try:
        return json.loads(_learners_path(config).read_text())
    except FileNotFoundError:
        return {}


def _save_learners(config: LabConfig, table: dict[str, str]) -> None:
    path = _learners_path(config)
    write_private(path, json.dumps(table, indent=1, sort_keys=True))


def _admin_client(config: LabConfig):
    from mlflow import MlflowClient

    os.environ.update({"MLFLOW_TRACKING_USERNAME": ADMIN, "MLFLOW_TRACKING_PASSWORD": admin_password(config)})
    return MlflowClient(config.tracking_uri)


def _auth_store(config: LabConfig):
    """MLflow's own accounts store, opened on the server's database.

    Accounts and workspaces are created through the server's API; the room's role
    assignments (N x N) go straight to the store: ~3 ms each against ~50 ms per API call.
    """
    from mlflow.server.auth.sqlalchemy_store import SqlAlchemyStore

    store = SqlAlchemyStore()
    store.init_db(f"postgresql://{PG_USER}:{quote(postgres_password(config))}@127.0.0.1:{config.pg_port}/mlflow_auth")
    return store


def add_learners(config: LabConfig, names: list[str]) -> list[str]:
    """Create an account and a workspace per learner; return the names that were new.

    Each learner holds MLflow's `user` role in their own workspace (create, and manage what
    they create) and the `colegas` role, READ on every experiment and model, in everyone
    else's. Names already present are left as they are.
    """
    from mlflow.exceptions import MlflowException
    from mlflow.server.auth.client import AuthServiceClient

    if not config.workshop:
        raise WorkshopError("This lab is not a workshop lab: start it with `lab up --workshop`.")
    bad = [n for n in names if not NAME_PATTERN.match(n) or not 2 <= len(n) <= 63 or n == ADMIN]
    if bad:
        raise WorkshopError(
            f"invalid learner name(s) {bad}: use 2-63 lowercase letters, digits or inner hyphens "
            "(a learner's name is also the name of their MLflow workspace)."
        )
    client = _admin_client(config)
    auth = AuthServiceClient(config.tracking_uri)
    table = learners(config)
    new = [n for n in dict.fromkeys(names) if n not in table]
    for name in new:
        password = secrets.token_urlsafe(12)
        auth.create_user(name, password)
        # The server seeds the new workspace with MLflow's `admin` and `user` roles.
        client.create_workspace(name, description=f"{name}'s lessons")
        table[name] = password
        _save_learners(config, table)
    store = _auth_store(config)
    try:
        user_id = {name: store.get_user(name).id for name in table}
        reader_role = {}
        for name in table:
            try:
                reader_role[name] = store.get_role_by_name(name, READER_ROLE).id
            except MlflowException:  # a new workspace: its reader role is made here
                role = store.create_role(READER_ROLE, name, "the other learners: read experiments and models")
                for resource_type in ("experiment", "registered_model"):
                    store.add_role_permission(role.id, resource_type, "*", "READ")
                reader_role[name] = role.id
        for name in new:
            store.assign_role_to_user(user_id[name], store.get_role_by_name(name, "user").id)
            for other in table:
                if other != name:
                    store.assign_role_to_user(user_id[other], reader_role[name])
                    if other not in new:
                        store.assign_role_to_user(user_id[name], reader_role[other])
    finally:
        store.engine.dispose()
    return new


def read_roster(path: Path) -> list[str]:
    """Learner names from a CSV file with a `name` column."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        if "name" not in (reader.fieldnames or []):
            raise WorkshopError(f"{path} needs a header line with a `name` column (found {reader.fieldnames}).")
        return [row["name"].strip().lower() for row in reader if row["name"].strip()]


def learner_environment(config: LabConfig, name: str) -> dict[str, str]:
    """What a learner loads on their machine: where the lab is, who they are, their keys."""
    table = learners(config)
    if name not in table:
        raise WorkshopError(f"no learner {name!r}: add them with `lab users add {name}`.")
    key, secret = reader_keys(config)
    return {
        "LAB_WORKSHOP": "1",
        "LAB_HOST": config.host,
        "LAB_MLFLOW_PORT": str(config.mlflow_port),
        "LAB_S3_PORT": str(config.s3_port),
        "LAB_PREFECT_PORT": str(config.prefect_port),
        "LAB_USER": name,
        "MLFLOW_TRACKING_URI": config.tracking_uri,
        "MLFLOW_TRACKING_USERNAME": name,
        "MLFLOW_TRACKING_PASSWORD": table[name],
        "MLFLOW_WORKSPACE": name,
        "PREFECT_API_URL": config.prefect_api_url,
        "PREFECT_API_AUTH_STRING": prefect_auth_string(config),
        "MLFLOW_S3_ENDPOINT_URL": config.s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secret,
    }
