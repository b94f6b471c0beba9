"""The lab's services: how each one is started and how it proves it is healthy."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .config import REPO_ROOT, LabConfig, private_secret

BIN = Path(sys.executable).parent
# Where every service binds that is not one of the lab's doors: reachable from this machine
# only. A workshop opens MLflow (sign-in), the S3 API (keys) and Prefect (its auth string) on
# LAB_HOST; the object store's master, volume and filer, Spark, JupyterLab and PostgreSQL
# accept anyone who reaches them, so the room never does.
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class Service:
    """One supervised program: its command line, environment and health check."""

    name: str
    command: list[str]
    url: str
    environment: dict[str, str] = field(default_factory=dict)
    port: int = 0
    # The address it listens on: LAB_HOST (config.host) unless it is kept on loopback.
    host: str | None = None
    autostart: bool = True
    group: str = "core"
    # The OS user to run as: PostgreSQL refuses to run as root.
    run_as: str | None = None
    stop_signal: str = "TERM"

    def healthy(self, config: LabConfig) -> bool:
        return HEALTH_CHECKS[self.name](config)


def s3_client(config: LabConfig, access_key: str | None = None, secret_key: str | None = None,
              endpoint_url: str | None = None):
    """A boto3 S3 client for the lab's object store (its own keys unless others are given)."""
    # Imported here: the S3 proxy (`python -m lab_utils.services forward`) needs neither.
    import boto3
    from botocore.config import Config as BotoConfig

    if access_key is None or secret_key is None:
        creds = config.s3_credentials()
        access_key, secret_key = creds.access_key, creds.secret_key
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url or config.s3_endpoint_url,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
        config=BotoConfig(
            connect_timeout=2, read_timeout=10, retries={"max_attempts": 1},
            s3={"addressing_style": "path"},
        ),
    )


def _http_ok(url: str, expect: str | None = None) -> bool:
    import requests

    try:
        response = requests.get(url, timeout=2)
    except requests.RequestException:
        return False
    return response.ok and (expect is None or expect in response.text)


def _s3_answers(config: LabConfig, endpoint_url: str | None = None) -> bool:
    try:
        s3_client(config, endpoint_url=endpoint_url).list_buckets()
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
    # The store itself, on loopback; its S3 API on LAB_HOST is the s3-proxy's check.
    "objectstore": lambda c: _s3_answers(c, store_endpoint(c)),
    "s3-proxy": _s3_answers,
    "postgres": _postgres_healthy,
    "mlflow": lambda c: _http_ok(f"{c.tracking_uri}/health", "OK"),
    # /health answers without Prefect's auth string (prefect/server/api/server.py exempts it).
    "prefect": lambda c: _http_ok(f"{c.prefect_api_url}/health", "true"),
    "jupyterlab": lambda c: _http_ok(f"http://{jupyter_host(c)}:{c.jupyter_port}/api", "version"),
    "spark-master": lambda c: _http_ok(f"http://{LOOPBACK}:{c.spark_ui_port}/json/", "ALIVE"),
    "spark-worker": lambda c: _http_ok(f"http://{LOOPBACK}:{c.spark_ui_port}/json/", '"aliveworkers" : 1'),
}


def s3_proxied(config: LabConfig) -> bool:
    """True when the S3 API reaches LAB_HOST through the lab's proxy (LAB_HOST is not 127.0.0.1).

    `weed mini` binds all its parts to one address (-ip.bind), and its S3 gateway
    (`weed s3 -ip.bind`, or `weed server -s3.ip.bind`) opens its gRPC port on the same
    address as its S3 port: that port's `Configure` call replaces the store's keys, without
    credentials. So the whole store binds 127.0.0.1 and a byte-for-byte TCP proxy carries
    the S3 port alone to LAB_HOST (S3 signatures cover the Host header, which it keeps).
    """
    return not config.uses_external_s3 and config.host != LOOPBACK


def seaweedfs_ports(s3_port: int, proxied: bool = False) -> dict[str, int]:
    """`weed mini` opens a dozen ports; derive them all from the S3 port so labs never collide.

    Its admin gRPC port is always the admin port + 10000 (the flag is not honoured by
    its worker), so that one is derived rather than set. Behind the S3 proxy, which holds
    the S3 port itself, the store's S3 port is the S3 port + 5: `weed mini` refuses a port
    that any address of the machine holds.
    """
    return {
        "s3.port": s3_port + 5 if proxied else s3_port,
        "master.port": s3_port + 1,
        "volume.port": s3_port + 2,
        "filer.port": s3_port + 3,
        "admin.port": s3_port + 4,
        "master.port.grpc": s3_port + 11,
        "volume.port.grpc": s3_port + 12,
        "filer.port.grpc": s3_port + 13,
        "s3.port.grpc": s3_port + 14,
    }


def store_endpoint(config: LabConfig) -> str:
    """The S3 endpoint of the store itself: on loopback, behind the S3 proxy if there is one."""
    if config.uses_external_s3:
        return config.s3_endpoint_url
    return f"http://{LOOPBACK}:{seaweedfs_ports(config.s3_port, s3_proxied(config))['s3.port']}"


def jupyter_host(config: LabConfig) -> str:
    """A workshop's JupyterLab is the instructor's, on the server: loopback, never the room."""
    return LOOPBACK if config.workshop else config.host


# MLflow's own list when --allowed-hosts is absent (mlflow/server/security_utils.py,
# get_default_allowed_hosts): loopback and private addresses, with or without a port.
MLFLOW_DEFAULT_HOSTS = [
    "localhost", "127.0.0.1", "[::1]", "0.0.0.0", "localhost:*", "127.0.0.1:*", "[[]::1]:*", "0.0.0.0:*",
    "192.168.*", "10.*", *[f"172.{i}.*" for i in range(16, 32)], "fc00:*", "fd00:*",
]


def mlflow_host_args(config: LabConfig, hosts: list[str], origins: list[str]) -> list[str]:
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


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def define_services(config: LabConfig) -> list[Service]:
    """Every program the lab can run, in start order."""
    services: list[Service] = []
    if not config.uses_external_s3:
        ports = seaweedfs_ports(config.s3_port, s3_proxied(config))
        services.append(Service(
            name="objectstore",
            command=[
                str(BIN / "weed"), "mini", f"-dir={config.home / 'objectstore'}",
                # Master, volume and filer take writes and deletes from anyone: loopback only.
                f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}",
                f"-s3.config={config.home / 'secrets' / 's3-identities.json'}",
                f"-bucket={config.bucket}", *(f"-{flag}={port}" for flag, port in ports.items()),
                # Unused gateways stay off: fewer ports, less memory.
                "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
                "-master.telemetry=false",
            ],
            url=store_endpoint(config),
            port=ports["s3.port"],
            host=LOOPBACK,
        ))
        if s3_proxied(config):
            services.append(Service(
                name="s3-proxy",
                command=[str(BIN / "python"), "-m", "lab_utils.services", "forward",
                         config.host, str(config.s3_port), LOOPBACK, str(ports["s3.port"])],
                url=config.s3_endpoint_url,
                port=config.s3_port,
            ))
    creds = config.s3_credentials()
    mlflow_env = {
        # The server reaches the store directly, not through the S3 proxy.
        "MLFLOW_S3_ENDPOINT_URL": store_endpoint(config),
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
            *mlflow_host_args(config, MLFLOW_DEFAULT_HOSTS + [config.host, f"{config.host}:*"], []),
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
    prefect_env = {
        "PREFECT_HOME": str(config.home / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_API_URL": config.prefect_api_url,
    }
    if config.workshop:
        from . import workshop

        prefect_env.update(workshop.prefect_server_environment(config))
    services.append(Service(
        name="prefect",
        command=[
            str(BIN / "prefect"), "server", "start",
            "--host", config.host, "--port", str(config.prefect_port), "--analytics-off",
        ],
        url=config.prefect_ui_url,
        port=config.prefect_port,
        environment=prefect_env,
    ))
    services.append(Service(
        name="jupyterlab",
        command=[
            str(BIN / "jupyter-lab"), "--no-browser",
            f"--ip={jupyter_host(config)}", f"--port={config.jupyter_port}",
            f"--ServerApp.root_dir={REPO_ROOT}",
            "--ServerApp.default_url=/lab/tree/notebooks",
            # JupyterLab refuses to run as root (containers, CI machines) unless told to.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        url=f"http://{jupyter_host(config)}:{config.jupyter_port}/lab",
        port=config.jupyter_port,
        host=jupyter_host(config),
        environment={
            # The token is kept: JupyterLab runs code, so it is never left open.
            "JUPYTER_TOKEN": jupyter_token(config),
            **config.client_environment(),
        },
        autostart=False,
        group="jupyter",
    ))
    spark = spark_home()
    master_url = f"spark://{LOOPBACK}:{config.spark_master_port}"
    # Whoever reaches a Spark master runs code on its worker (as this lab's user), and its
    # REST submission port (6066, on by default) too: master, worker, their web UIs
    # (SPARK_LOCAL_IP) and the executors they start bind loopback, and REST is off.
    spark_env = {"SPARK_HOME": str(spark), "SPARK_LOCAL_IP": LOOPBACK,
                 "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
                 "SPARK_LOG_DIR": str(config.logs_dir), "SPARK_NO_DAEMONIZE": "1",
                 # Executors run Python UDFs with the lab's interpreter (pandas, mlflow, ...).
                 "PYSPARK_PYTHON": str(BIN / "python")}
    services.append(Service(
        name="spark-master",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.master.Master",
            "--host", LOOPBACK, "--port", str(config.spark_master_port),
            "--webui-port", str(config.spark_ui_port),
        ],
        url=master_url,
        port=config.spark_master_port,
        host=LOOPBACK,
        environment=spark_env,
        autostart=False,
        group="spark",
    ))
    services.append(Service(
        name="spark-worker",
        command=[
            str(spark / "bin" / "spark-class"), "org.apache.spark.deploy.worker.Worker",
            master_url, "--host", LOOPBACK,
            "--webui-port", str(config.spark_ui_port + 1),
            "--cores", "2", "--memory", "2g",
            "--work-dir", str(config.home / "spark" / "work"),
        ],
        url=f"http://{LOOPBACK}:{config.spark_ui_port + 1}",
        host=LOOPBACK,
        environment=spark_env,
        autostart=False,
        group="spark",
    ))
    return services


def jupyter_token(config: LabConfig) -> str:
    """The JupyterLab token, generated once and kept under LAB_HOME (owner-only)."""
    import secrets

    return private_secret(config, "jupyter-token", lambda: secrets.token_hex(24))


def forward(host: str, port: int, target_host: str, target_port: int) -> None:
    """Carry every TCP connection to host:port on to target_host:target_port, byte for byte.

    The s3-proxy service: the store's S3 API on LAB_HOST while the store binds loopback.
    """
    import asyncio

    async def carry(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            store_reader, store_writer = await asyncio.open_connection(target_host, target_port)
        except OSError:
            client_writer.close()
            return

        async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                while data := await reader.read(1 << 16):
                    writer.write(data)
                    await writer.drain()
                if writer.can_write_eof():
                    writer.write_eof()  # a half-close passes on: the other way may still be talking
            except OSError:  # one side broke off: end the connection both ways
                client_writer.close()
                store_writer.close()

        await asyncio.gather(pipe(client_reader, store_writer), pipe(store_reader, client_writer))
        client_writer.close()
        store_writer.close()

    async def serve() -> None:
        async with await asyncio.start_server(carry, host, port) as server:
            await server.serve_forever()

    asyncio.run(serve())


if __name__ == "__main__":
    # python -m lab_utils.services forward HOST PORT TARGET_HOST TARGET_PORT (the s3-proxy service)
    if len(sys.argv) != 6 or sys.argv[1] != "forward":
        sys.exit("usage: python -m lab_utils.services forward HOST PORT TARGET_HOST TARGET_PORT")
    forward(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
