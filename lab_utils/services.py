"""The lab's services: how each one is started and how it proves it is healthy."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import boto3
import requests
from botocore.config import Config as BotoConfig

from .config import REPO_ROOT, LabConfig, private_secret

BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Service:
    """One supervised program: its command line, environment and health check."""

    name: str
    command: list[str]
    url: str
    environment: dict[str, str] = field(default_factory=dict)
    port: int = 0
    autostart: bool = True
    group: str = "core"
    # The OS user to run as: PostgreSQL refuses to run as root.
    run_as: str | None = None
    stop_signal: str = "TERM"

    def healthy(self, config: LabConfig) -> bool:
        return HEALTH_CHECKS[self.name](config)


def s3_client(config: LabConfig, access_key: str | None = None, secret_key: str | None = None):
    """A boto3 S3 client for the lab's object store (its own keys unless others are given)."""
    if access_key is None or secret_key is None:
        creds = config.s3_credentials()
        access_key, secret_key = creds.access_key, creds.secret_key
    return boto3.client(
        "s3",
        endpoint_url=config.s3_endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=BotoConfig(
            connect_timeout=2, read_timeout=10, retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def _http_ok(url: str, expect: str | None = None) -> bool:
    try:
        response = requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return response.ok and (expect is None or expect in response.text)


def _objectstore_healthy(config: LabConfig) -> bool:
    try:
        s3_client(config).list_buckets()
    except Exception:
        return False
    return True


def _postgres_healthy(config: LabConfig) -> bool:
    from .workshop import connect_postgres

    try:
        connect_postgres(config, "postgres").close()
    except Exception:
        return False
    return True


HEALTH_CHECKS = {
    "objectstore": _objectstore_healthy,
    "postgres": _postgres_healthy,
    "mlflow": lambda c: _http_ok(f"{c.tracking_uri}/health", "OK"),
    "prefect": lambda c: _http_ok(f"{c.prefect_api_url}/health", "true"),
    "jupyterlab": lambda c: _http_ok(f"http://{c.host}:{c.jupyter_port}/api", "version"),
    "spark-master": lambda c: _http_ok(f"{c.spark_ui_url}/json/", "ALIVE"),
    "spark-worker": lambda c: _http_ok(f"{c.spark_ui_url}/json/", '"aliveworkers" : 1'),
}


def seaweedfs_ports(s3_port: int) -> dict[str, int]:
    """`weed mini` opens a dozen ports; derive them all from the S3 port so labs never collide.

    Its admin gRPC port is always the admin port + 10000 (the flag is not honoured by
    its worker), so that one is derived rather than set.
    """
    return {
        "s3.port": s3_port,
        "master.port": s3_port + 1,
        "volume.port": s3_port + 2,
        "filer.port": s3_port + 3,
        "admin.port": s3_port + 4,
        "master.port.grpc": s3_port + 11,
        "volume.port.grpc": s3_port + 12,
        "filer.port.grpc": s3_port + 13,
        "s3.port.grpc": s3_port + 14,
    }


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def define_services(config: LabConfig) -> list[Service]:
    """Every program the lab can run, in start order."""
    services: list[Service] = []
    if not config.uses_external_s3:
        ports = " ".join(f"-{flag}={port}" for flag, port in seaweedfs_ports(config.s3_port).items())
        services.append(Service(
            name="objectstore",
            command=[
                str(BIN / "weed"), "mini", f"-dir={config.home / 'objectstore'}",
                f"-ip={config.host}", f"-ip.bind={config.host}",
                f"-s3.config={config.home / 'secrets' / 's3-identities.json'}",
                f"-bucket={config.bucket}", *ports.split(),
                # Unused gateways stay off: fewer ports, less memory.
                "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.telemetry=false",
            ],
            url=config.s3_endpoint_url,
            port=config.s3_port,
        ))
    creds = config.s3_credentials()
    mlflow_env = {
        "MLFLOW_S3_ENDPOINT_URL": config.s3_endpoint_url,
        "AWS_ACCESS_KEY_ID": creds.access_key,
        "AWS_SECRET_ACCESS_KEY": creds.secret_key,
        # The GenAI job runner is unused by the curriculum and costs a process.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
    }
    mlflow_args = [
        "--host", config.host, "--port", str(config.mlflow_port),
        # Artifacts are proxied: clients talk to the server only and need no S3 keys.
        "--artifacts-destination", f"s3://{config.bucket}",
    ]
    if config.workshop:
        from . import workshop

        services.append(workshop.postgres_service(config))
        mlflow_args += workshop.mlflow_server_args(config)
        mlflow_env.update(workshop.mlflow_server_environment(config))
    else:
        mlflow_args += [
            "--backend-store-uri", f"sqlite:///{config.sqlite_path}",
            # One worker: a single learner's lab needs no more, and the default four
            # workers plus the job runner took ~3.5 GB and 15 s to start on 2 cores.
            "--workers", "1",
        ]
    services.append(Service(
        name="mlflow",
        command=[str(BIN / "mlflow"), "server", *mlflow_args],
        url=config.tracking_uri,
        port=config.mlflow_port,
        environment=mlflow_env,
        # A workshop's server starts once its databases exist (see stack.up).
        autostart=not config.workshop,
    ))
    services.append(Service(
        name="prefect",
        command=[
            str(BIN / "prefect"), "server", "start",
            "--host", config.host, "--port", str(config.prefect_port), "--analytics-off",
        ],
        url=config.prefect_ui_url,
        port=config.prefect_port,
        environment={
            "PREFECT_HOME": str(config.home / "prefect"),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            "PREFECT_UI_API_URL": config.prefect_api_url,
        },
    ))
    services.append(Service(
        name="jupyterlab",
        command=[
            str(BIN / "jupyter-lab"), "--no-browser",
            f"--ip={config.host}", f"--port={config.jupyter_port}",
            f"--ServerApp.root_dir={REPO_ROOT}",
            "--ServerApp.default_url=/lab/tree/notebooks",
            # JupyterLab refuses to run as root (containers, CI machines) unless told to.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        url=config.jupyter_url,
        port=config.jupyter_port,
        environment={
            # The token is kept: JupyterLab runs code, so it is never left open.
            "JUPYTER_TOKEN": jupyter_token(config),
            **config.client_environment(),
        },
        autostart=False,
        group="jupyter",
    ))
    spark = spark_home()
    spark_env = {"SPARK_HOME": str(spark), "SPARK_LOCAL_IP": config.host,
                 "SPARK_LOG_DIR": str(config.logs_dir), "SPARK_NO_DAEMONIZE": "1",
                 # Executors run Python UDFs with the lab's interpreter (pandas, mlflow, ...).
                 "PYSPARK_PYTHON": str(BIN / "python")}
    services.append(Service(
        name="spark-master",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
            "--host", config.host, "--port", str(config.spark_master_port),
            "--webui-port", str(config.spark_ui_port),
        ],
        url=config.spark_master_url,
        port=config.spark_master_port,
        environment=spark_env,
        autostart=False,
        group="spark",
    ))
    services.append(Service(
        name="spark-worker",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.worker.Worker",
            config.spark_master_url, "--host", config.host,
            "--webui-port", str(config.spark_ui_port + 1),
            "--cores", "2", "--memory", "2g",
            "--work-dir", str(config.home / "spark" / "work"),
        ],
        url=f"http://{config.host}:{config.spark_ui_port + 1}",
        environment=spark_env,
        autostart=False,
        group="spark",
    ))
    return services


def jupyter_token(config: LabConfig) -> str:
    """The JupyterLab token, generated once and kept under LAB_HOME (owner-only)."""
    import secrets

    return private_secret(config, "jupyter-token", lambda: secrets.token_hex(24))
