"""The S3 object store: SeaweedFS (`weed mini`), and on a room's address the proxy to its S3 port."""

from __future__ import annotations

from pathlib import Path

from lab_utils.clients import s3_client
from lab_utils.config import LOOPBACK

from ..config import StackConfig
from ..secrets import seaweedfs_security, write_private
from .service import BIN, Service, socket_path


def s3_proxied(config: StackConfig) -> bool:
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


def store_endpoint(config: StackConfig) -> str:
    """The S3 endpoint of the store itself: on loopback, behind the S3 proxy if there is one."""
    if config.uses_external_s3:
        return config.s3_endpoint_url
    return f"http://{LOOPBACK}:{seaweedfs_ports(config.s3_port, s3_proxied(config))['s3.port']}"


def s3_answers(config: StackConfig, endpoint_url: str | None = None) -> bool:
    try:
        s3_client(config, endpoint_url=endpoint_url).list_buckets()
    except Exception:
        return False
    return True


def security_dir(config: StackConfig) -> Path:
    """Where `weed -config_dir` finds the store's `security.toml` (under the lab's secrets, 0700)."""
    return config.secrets_dir / "objectstore"


def write_store_security(config: StackConfig) -> None:
    """Write the store's `security.toml` (0600) before `lab up` starts it: see objectstore_services."""
    security_dir(config).mkdir(mode=0o700, parents=True, exist_ok=True)
    security_dir(config).chmod(0o700)
    write_private(security_dir(config) / "security.toml", seaweedfs_security(config))


def objectstore_services(config: StackConfig) -> list[Service]:
    """The store (none when the user brings their own S3), and its proxy on a room's address.

    Only its S3 gateway takes requests from outside the store, and only with keys. Its other
    parts refuse anyone else, even from this machine, where another program (a relay a
    learner found) could reach loopback: the master's and the filer's HTTP APIs are off
    (`-disableHttp`: they read, write and delete any file, and drop whole collections, without
    credentials; the parts talk gRPC among themselves), and the volume servers' writes and
    deletes need a token signed with a key of the lab's own (`security.toml`, written by
    `write_store_security`). SeaweedFS's `[guard] white_list` is not used: it also guards the
    parts' own gRPC calls, which come from a Unix socket (`@`) and 127.0.0.1, so a list that
    keeps loopback out stops the store from allocating volumes.
    """
    if config.uses_external_s3:
        return []
    ports = seaweedfs_ports(config.s3_port, s3_proxied(config))
    services = [Service(
        name="objectstore",
        command=[
            # Its logs go under LAB_HOME, not /tmp; its keys in LAB_HOME/secrets/objectstore.
            # -logdir and -config_dir are weed's own flags, before `mini`.
            str(BIN / "weed"), f"-logdir={config.logs_dir}", f"-config_dir={security_dir(config)}",
            "mini", f"-dir={config.home / 'objectstore'}",
            # Master, volume and filer never face the network: loopback only; and even there,
            # no HTTP API for the master and filer (see above).
            f"-ip={LOOPBACK}", f"-ip.bind={LOOPBACK}", "-disableHttp",
            f"-s3.config={config.home / 'secrets' / 's3-identities.json'}",
            f"-bucket={config.bucket}", *(f"-{flag}={port}" for flag, port in ports.items()),
            # Unused gateways stay off: fewer ports, less memory.
            "-admin.ui=false", "-webdav=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
            "-master.telemetry=false",
            # The master's other Raft library: SeaweedFS's default one, restarted on its own
            # saved state, checks its quorum about once a millisecond for as long as it runs
            # (~2.5 CPU-s a minute on an idle lab; benchmarks/lab_up.py). HashiCorp's idles at
            # ~0.3. A lab made before switches without loss (its objects read back, new ones
            # written): the master learns the highest volume id from the volume server.
            "-master.raftHashicorp",
            # Its local sockets are the lab's own, not /tmp's, where a stale socket of another
            # user's (or a `sudo` run's) lab would stop the S3 gateway from starting.
            f"-s3.localSocket={socket_path(config, 's3')}",
            f"-filer.localSocket={socket_path(config, 'filer')}",
        ],
        url=store_endpoint(config),
        # The store itself, on loopback; its S3 API on LAB_HOST is the s3-proxy's check.
        health=lambda c: s3_answers(c, store_endpoint(c)),
        ports=(*ports.values(), ports["admin.port"] + 10000),
        port_variable="LAB_S3_PORT",
        host=LOOPBACK,
        # MLflow writes artifacts to it as soon as it starts.
        wait_healthy=True,
    )]
    if s3_proxied(config):
        services.append(Service(
            name="s3-proxy",
            command=[str(BIN / "python"), "-m", "lab_stack.proxy",
                     config.host, str(config.s3_port), LOOPBACK, str(ports["s3.port"])],
            url=config.s3_endpoint_url,
            health=s3_answers,
            ports=(config.s3_port,),
            port_variable="LAB_S3_PORT",
        ))
    return services
