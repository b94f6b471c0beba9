"""The Prefect server (lesson 07): its own SQLite database under LAB_HOME; a workshop's in the
workshop's PostgreSQL, where a room of learners' flow runs write at once."""

from __future__ import annotations

from ..config import StackConfig
from ..secrets import postgres_password, prefect_auth_string
from .postgres import PG_USER
from .service import BIN, Service, http_ok


def prefect_service(config: StackConfig) -> Service:
    environment = {
        "PREFECT_HOME": str(config.home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": config.prefect_api_url,
        # Prefect's client keeps idle connections 25 s, its server closed them after 5 s: a
        # request sent as the server closed one failed with ReadError (and was retried).
        "PREFECT_SERVER_API_KEEPALIVE_TIMEOUT": "30",
    }
    if config.workshop:
        environment.update(_auth_environment(config))
        environment.update({
            "PREFECT_SERVER_DATABASE_CONNECTION_URL":
                f"postgresql+asyncpg://{PG_USER}@127.0.0.1:{config.pg_port}/prefect",
            # asyncpg reads the password from here, off the command line and the URL.
            "PGPASSWORD": postgres_password(config),
        })
    return Service(
        name="prefect",
        command=[
            str(BIN / "prefect"), "server", "start",
            "--host", config.host, "--port", str(config.prefect_port), "--analytics-off",
        ],
        url=config.prefect_ui_url,
        # /health answers without Prefect's auth string (prefect/server/api/server.py exempts it).
        health=lambda c: http_ok(f"{c.prefect_api_url}/health", "true"),
        ports=(config.prefect_port,),
        port_variable="LAB_PREFECT_PORT",
        environment=environment,
    )


def _auth_environment(config: StackConfig) -> dict[str, str]:
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
