"""The lab's services, one module each: how a service starts and how it proves it is healthy."""

from __future__ import annotations

from ..config import StackConfig
from .jupyterlab import jupyterlab_service
from .mlflow_server import mlflow_service
from .objectstore import objectstore_services
from .postgres import postgres_service
from .prefect_server import prefect_service
from .service import BIN, Service
from .spark import spark_services

__all__ = ["BIN", "Service", "define_services"]


def define_services(config: StackConfig) -> list[Service]:
    """Every program the lab can run, in start order."""
    return [
        *objectstore_services(config),
        *([postgres_service(config)] if config.workshop else []),
        mlflow_service(config),
        # A workshop's Prefect is each learner's own, on their machine (lab_stack.own_prefect).
        *([] if config.workshop else [prefect_service(config)]),
        jupyterlab_service(config),
        *spark_services(config),
    ]
