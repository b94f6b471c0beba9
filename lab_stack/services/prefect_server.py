"""The Prefect server (lesson 07) of a one-learner lab: its own SQLite database under LAB_HOME.

A workshop lab runs none: Prefect has no accounts, so a Prefect the room shared let every
learner act on everyone's flows, runs, deployments and settings, and its automations made
the server send requests of a learner's choosing (issue #25). There, each learner's machine
runs its own, on loopback (lab_stack.own_prefect, started by `lab_utils.connect()`).
"""

from __future__ import annotations

from ..config import StackConfig
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
    return Service(
        name="prefect",
        command=[
            str(BIN / "prefect"), "server", "start",
            "--host", config.host, "--port", str(config.prefect_port), "--analytics-off",
        ],
        url=config.prefect_ui_url,
        health=lambda c: http_ok(f"{c.prefect_api_url}/health", "true"),
        ports=(config.prefect_port,),
        port_variable="LAB_PREFECT_PORT",
        environment=environment,
    )
