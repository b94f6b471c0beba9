"""The MLflow tracking server: SQLite for one learner, PostgreSQL with sign-in for a room."""

from __future__ import annotations

import os
from pathlib import Path

from lab_utils.config import LabConfigError

from ..config import StackConfig
from ..secrets import WORKSHOP_ADMIN, admin_password, postgres_password, private_secret, write_private
from .objectstore import store_endpoint
from .postgres import database_uri
from .service import BIN, Service, http_ok

# Two workers for a room by default (LAB_WORKSHOP_WORKERS, one per core): the auth app's checks
# keep one worker's core busy (10-19 ms of CPU for one request alone, ~27 ms each in a busy
# room, about half in the permission checks' SQL: benchmarks/workshop_profile.py), and with 60
# learners at once two workers served 25-30 requests/s against 16 for one. The cost: memory
# (the server's processes peaked at 1.3 GB, against ~0.5 GB with one). (Before uvicorn 0.55.0,
# several workers also made each request on a kept-alive connection wait ~40 ms: Nagle's
# algorithm, uvicorn#3149.)
# uvicorn closes an idle connection after 5 s while learners' clients keep theirs: a request
# sent as the server closes one is reset (and retried); a room pauses longer than 5 s.
KEEP_ALIVE_SECONDS = 30
# uvicorn replaces a worker that has not answered its supervisor's ping for this long (5 s by
# default): a worker still importing MLflow on a busy server, or one blocked by a request, was
# killed at 5 s. Request bodies are bounded (room_app), so a blocked worker is a real fault.
WORKER_HEALTHCHECK_SECONDS = 30

# MLflow's own list when --allowed-hosts is absent (mlflow/server/security_utils.py,
# get_default_allowed_hosts): loopback and private addresses, with or without a port.
MLFLOW_DEFAULT_HOSTS = [
    "localhost", "127.0.0.1", "[::1]", "0.0.0.0", "localhost:*", "127.0.0.1:*", "[[]::1]:*", "0.0.0.0:*",
    "192.168.*", "10.*", *[f"172.{i}.*" for i in range(16, 32)], "fc00:*", "fd00:*",
]


# Model-version sources a workshop server accepts (MLflow checks the request's `source` with it).
SOURCE_PATTERN = r"^(mlflow-artifacts:/|models:/|runs:/|dummy-source$|prompt-template$)"


def mlflow_service(config: StackConfig) -> Service:
    creds = config.s3_credentials()
    environment = {
        # The server reaches the store directly, not through the S3 proxy.
        "MLFLOW_S3_ENDPOINT_URL": store_endpoint(config),
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        # The GenAI job runner is unused by the curriculum and costs a process.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    args = [
        "--host", config.host, "--port", str(config.mlflow_port),
        # Artifacts are proxied: clients talk to the server only and need no S3 keys.
        "--artifacts-destination", f"s3://{config.bucket}",
    ]
    if config.workshop:
        args += workshop_server_args(config)
        environment.update(workshop_server_environment(config))
    else:
        args += [
            "--backend-store-uri", f"sqlite:///{config.sqlite_path}",
            # One worker: a single learner's lab needs no more, and the default four
            # workers plus the job runner took ~3.5 GB and 15 s to start on 2 cores.
            "--workers", "1",
            *mlflow_host_args(config, MLFLOW_DEFAULT_HOSTS + [config.host, f"{config.host}:*"], []),
        ]
    return Service(
        name="mlflow",
        command=[str(BIN / "mlflow"), "server", *args],
        url=config.tracking_uri,
        health=lambda c: http_ok(f"{c.tracking_uri}/health", "OK"),
        ports=(config.mlflow_port,),
        port_variable="LAB_MLFLOW_PORT",
        environment=environment,
        # A workshop's server starts once PostgreSQL holds its databases (`lab up` waits for it).
        autostart=not config.workshop,
    )


def mlflow_host_args(config: StackConfig, hosts: list[str], origins: list[str]) -> list[str]:
    """MLflow's --allowed-hosts and --cors-allowed-origins, plus LAB_ALLOWED_HOSTS in both.

    MLflow compares the Host header with each entry, as an fnmatch pattern when it holds a
    `*`, so an extra name is allowed with and without a port; a browser on the extra name
    sends `Origin: https://<name>` (GitHub forwards ports over HTTPS), and MLflow refuses
    writes from an origin it does not list.
    """
    extra = list(config.allowed_hosts)
    hosts = hosts + [pattern for name in extra for pattern in (name, f"{name}:*")]
    origins = origins + [f"https://{name}" for name in extra]
    return ["--allowed-hosts", ",".join(hosts)] + (["--cors-allowed-origins", ",".join(origins)] if origins else [])


def workshop_server_args(config: StackConfig) -> list[str]:
    """The basic-auth app with a workspace per learner, on PostgreSQL, named by the room's address."""
    if config.host in ("0.0.0.0", "::", ""):
        raise LabConfigError(
            "A workshop lab is bound to the address learners will use: set LAB_HOST to it "
            "(this machine's name or IP on the room's network), not a wildcard."
        )
    server = f"{config.host}:{config.mlflow_port}"
    return [
        # MLflow's basic-auth app inside the room's own (lab_stack/room_app.py): bounded bodies,
        # sign-in that follows password changes at once, no demo data, writes rate-limited.
        "--app-name", "lab-room", "--enable-workspaces",
        "--backend-store-uri", database_uri(config, "mlflow"),
        "--workers", str(config.workshop_workers),
        "--uvicorn-opts",
        f"--timeout-keep-alive {KEEP_ALIVE_SECONDS} --timeout-worker-healthcheck {WORKER_HEALTHCHECK_SECONDS}",
        # Requests must name this server (DNS-rebinding guard), and only its own pages may
        # call it from a browser; LAB_ALLOWED_HOSTS adds names (a forwarded port's, say).
        *mlflow_host_args(config, [config.host, server, f"localhost:{config.mlflow_port}", f"127.0.0.1:{config.mlflow_port}"],
                          [f"http://{server}"]),
    ]


def write_auth_config(config: StackConfig) -> Path:
    path = config.secrets_dir / "mlflow-auth.ini"
    text = "\n".join([
        "[mlflow]",
        # What a signed-in user may do where they hold no grant: read.
        "default_permission = READ",
        f"database_uri = {database_uri(config, 'mlflow_auth')}",
        f"admin_username = {WORKSHOP_ADMIN}",
        f"admin_password = {admin_password(config)}",
        # HTTP basic auth with the room's cache (lab_stack/room_app.py): a verified password is
        # cached for an hour per worker (checking one costs ~0.2 s of CPU, scrypt), keyed by the
        # account's stored hash, read on every request: a password changed or an account deleted
        # takes effect at once on every worker. MLflow's own cache (per worker, dropped only on
        # the worker that served the change) is off: with two workers it kept an old password
        # working for up to its hour.
        "authorization_function = lab_stack.room_app:authenticate_request",
        "grant_default_workspace_access = false",
        "auth_cache_ttl_seconds = 0",
        "",
    ])
    write_private(path, text)
    return path


# The room app's figures (lab_stack/room_app.py has the defaults), for an instructor to change.
ROOM_SETTINGS = ("LAB_MLFLOW_MAX_ARTIFACT_MB", "LAB_MLFLOW_MAX_REQUEST_MB", "LAB_MLFLOW_WRITE_BURST",
                 "LAB_MLFLOW_WRITES_PER_SECOND", "LAB_MLFLOW_AUTH_CACHE_SECONDS")


def workshop_server_environment(config: StackConfig) -> dict[str, str]:
    return {
        **{name: os.environ[name] for name in ROOM_SETTINGS if os.environ.get(name)},
        "MLFLOW_AUTH_CONFIG_PATH": str(write_auth_config(config)),
        "MLFLOW_FLASK_SERVER_SECRET_KEY": private_secret(config, "flask-secret-key"),
        "PGPASSWORD": postgres_password(config),
        # Connections kept open for a room: with SQLAlchemy's default (5, plus 10 opened and
        # closed again per burst) requests waited on new PostgreSQL connections.
        "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "20",
        "MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW": "10",
        # A model version's source is MLflow's own kind of reference, which the server checks
        # against the learner's permissions (mlflow-artifacts:/ in the learner's workspace,
        # models:/, runs:/) or a prompt's placeholder: never s3://, file: or http(s)://, which
        # the server would read with its own keys, whatever workspace the path is in.
        "MLFLOW_CREATE_MODEL_VERSION_SOURCE_VALIDATION_REGEX": SOURCE_PATTERN,
    }
