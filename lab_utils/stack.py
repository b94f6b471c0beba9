"""Bringing the lab up and down under supervisord, the process manager that restarts what dies."""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
import socket
import subprocess
import time
import xmlrpc.client
from collections.abc import Iterable
from pathlib import Path

from supervisor.xmlrpc import SupervisorTransport

from . import workshop
from .config import LabConfig, ensure_credentials
from .services import BIN, Service, define_services, s3_client

START_TIMEOUT_S = 90


class LabError(RuntimeError):
    """Something in the lab's stack is wrong; the message says what to do."""


def _socket_path(config: LabConfig) -> Path:
    path = config.home / "run" / "supervisor.sock"
    # A Unix socket path is limited to ~107 bytes; a deep LAB_HOME falls back to /tmp.
    if len(str(path)) > 100:
        digest = hashlib.sha1(str(config.home).encode()).hexdigest()[:12]
        path = Path("/tmp") / f"lab-{digest}.sock"
    return path


def _conf_path(config: LabConfig) -> Path:
    return config.home / "supervisord.conf"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def render_supervisor_conf(config: LabConfig, services: Iterable[Service]) -> str:
    sock = _socket_path(config)
    logs = config.logs_dir
    lines = [
        "[unix_http_server]", f"file={sock}", "chmod=0700", "",
        "[supervisord]", f"logfile={logs / 'supervisord.log'}",
        f"pidfile={config.home / 'run' / 'supervisord.pid'}", f"childlogdir={logs}",
        f"directory={config.home}", "logfile_maxbytes=5MB", "logfile_backups=2", "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{sock}", "",
    ]
    groups: dict[str, list[str]] = {}
    for priority, service in enumerate(services, start=1):
        groups.setdefault(service.group, []).append(service.name)
        env = ",".join(f"{k}={_quote(v)}" for k, v in service.environment.items())
        lines += [
            f"[program:{service.name}]",
            "command=" + " ".join(shlex.quote(part) for part in service.command).replace("%", "%%"),
            f"priority={priority * 10}",
            f"autostart={'true' if service.autostart else 'false'}",
            "autorestart=true",
            "startsecs=3",
            "startretries=5",
            # Servers spawn children (uvicorn workers, JVMs): stop the whole group.
            "stopasgroup=true", "killasgroup=true", "stopwaitsecs=15", f"stopsignal={service.stop_signal}",
            f"stdout_logfile={logs / (service.name + '.log')}",
            "stdout_logfile_maxbytes=5MB", "stdout_logfile_backups=2",
            "redirect_stderr=true",
            f"directory={config.home}",
        ]
        if env:
            lines.append(f"environment={env}")
        if service.run_as:
            lines.append(f"user={service.run_as}")
        lines.append("")
    for group, names in groups.items():
        lines += [f"[group:{group}]", f"programs={','.join(names)}", ""]
    return "\n".join(lines)


def supervisor(config: LabConfig):
    """An XML-RPC proxy to this lab's supervisord (raises LabError when it is not running)."""
    sock = _socket_path(config)
    if not sock.exists():
        raise LabError(f"The lab at {config.home} is not running: start it with `lab up` (or `make up`).")
    proxy = xmlrpc.client.ServerProxy(
        "http://127.0.0.1", transport=SupervisorTransport(None, None, f"unix://{sock}")
    )
    try:
        proxy.supervisor.getState()
    except (OSError, xmlrpc.client.Fault):
        raise LabError(f"The lab at {config.home} is not running: start it with `lab up` (or `make up`).") from None
    return proxy


def is_running(config: LabConfig) -> bool:
    try:
        supervisor(config)
    except LabError:
        return False
    return True


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def _prepare_home(config: LabConfig) -> list[Service]:
    for sub in ("logs", "run", "mlflow", "objectstore", "prefect", "spark/work"):
        (config.home / sub).mkdir(parents=True, exist_ok=True)
    if config.workshop:
        _prepare_workshop(config)
    if not config.uses_external_s3:
        creds = ensure_credentials(config)
        identities = {"identities": [{
            "name": "lab",
            "credentials": [{"accessKey": creds.access_key, "secretKey": creds.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}
        if config.workshop:
            identities["identities"] += workshop.seaweedfs_identities(config)
        _write_private(config.home / "secrets" / "s3-identities.json", json.dumps(identities))
    services = define_services(config)
    _write_private(_conf_path(config), render_supervisor_conf(config, services))
    return services


def _prepare_workshop(config: LabConfig) -> None:
    if config.sqlite_path.exists() and not config.mode_path.exists():
        raise LabError(
            f"{config.home} holds a one-learner lab (SQLite): a workshop lab needs its own "
            "LAB_HOME (or `lab export`, `lab reset`, then `lab up --workshop` and `lab import`)."
        )
    try:
        workshop.prepare_postgres(config)
    except workshop.WorkshopError as error:
        raise LabError(str(error)) from None
    config.mode_path.write_text("workshop\n")


def log_tail(config: LabConfig, name: str, lines: int = 30) -> str:
    path = config.logs_dir / f"{name}.log"
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def _check_port_free(config: LabConfig, service: Service) -> None:
    """Refuse to start a service whose port another program holds (it would answer in its place)."""
    if not service.port:
        return
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((config.host, service.port))
        except OSError:
            env_name = {"objectstore": "LAB_S3_PORT", "mlflow": "LAB_MLFLOW_PORT", "prefect": "LAB_PREFECT_PORT",
                        "postgres": "LAB_PG_PORT",
                        "jupyterlab": "LAB_JUPYTER_PORT", "spark-master": "LAB_SPARK_MASTER_PORT"}[service.name]
            raise LabError(
                f"port {service.port} ({service.name}) is already in use by another program: stop it "
                f"(`ss -ltnp 'sport = :{service.port}'` shows which) or choose another port with "
                f"{env_name}=… ; another lab may be running with a different LAB_HOME."
            ) from None


def _start_supervisord(config: LabConfig) -> None:
    subprocess.run([str(BIN / "supervisord"), "-c", str(_conf_path(config))], check=True)
    deadline = time.monotonic() + 15
    while not is_running(config):
        if time.monotonic() > deadline:
            raise LabError("supervisord did not start:\n" + log_tail(config, "supervisord"))
        time.sleep(0.2)


def wait_healthy(config: LabConfig, services: Iterable[Service], timeout: float = START_TIMEOUT_S) -> None:
    """Return when every service answers its health check; else name the one that did not."""
    pending = list(services)
    deadline = time.monotonic() + timeout
    proxy = supervisor(config)
    while pending:
        pending = [s for s in pending if not s.healthy(config)]
        if not pending:
            return
        # FATAL: supervisord gave up restarting it; waiting longer would not help.
        fatal = [s for s in pending
                 if proxy.supervisor.getProcessInfo(f"{s.group}:{s.name}")["statename"] == "FATAL"]
        if fatal or time.monotonic() > deadline:
            service = (fatal or pending)[0]
            why = "kept exiting at start" if fatal else f"did not become healthy within {timeout:.0f} s"
            raise LabError(
                f"{service.name} {why} ({service.url}).\n"
                f"Last lines of {config.logs_dir / (service.name + '.log')}:\n{log_tail(config, service.name)}\n"
                "Fix the cause, then run `lab up` again (`lab down` stops what is running)."
            )
        time.sleep(0.3)


def ensure_bucket(config: LabConfig) -> None:
    """Create the artifact bucket when the store lacks it (a new MinIO, say)."""
    client = s3_client(config)
    names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if config.bucket not in names:
        client.create_bucket(Bucket=config.bucket)


def up(config: LabConfig, groups: tuple[str, ...] = ("core",)) -> list[Service]:
    """Start the lab (idempotent) and return when every requested service is healthy."""
    services = _prepare_home(config)
    if not is_running(config):
        for service in services:
            if service.autostart:
                _check_port_free(config, service)
        _start_supervisord(config)
    else:
        _apply_config_changes(supervisor(config))
    proxy = supervisor(config)
    wanted = [s for s in services if s.group in groups]
    for service in wanted:
        if proxy.supervisor.getProcessInfo(f"{service.group}:{service.name}")["statename"] not in ("RUNNING", "STARTING"):
            _check_port_free(config, service)
            proxy.supervisor.startProcess(f"{service.group}:{service.name}", False)
        if service.name in ("objectstore", "postgres"):
            wait_healthy(config, [service])
        if service.name == "postgres":
            workshop.ensure_databases(config)
    wait_healthy(config, wanted)
    if "core" in groups:
        ensure_bucket(config)
    return wanted


def _apply_config_changes(proxy) -> None:
    """What `supervisorctl update` does: restart groups whose settings changed."""
    added, changed, removed = proxy.supervisor.reloadConfig()[0]
    for name in removed:
        proxy.supervisor.stopProcessGroup(name)
        proxy.supervisor.removeProcessGroup(name)
    for name in changed:
        proxy.supervisor.stopProcessGroup(name)
        proxy.supervisor.removeProcessGroup(name)
        proxy.supervisor.addProcessGroup(name)
    for name in added:
        proxy.supervisor.addProcessGroup(name)


def stop_group(config: LabConfig, group: str) -> None:
    supervisor(config).supervisor.stopProcessGroup(group)


def down(config: LabConfig, timeout: float = 60) -> bool:
    """Stop every service and supervisord; False when the lab was not running."""
    try:
        proxy = supervisor(config)
    except LabError:
        return False
    pid = proxy.supervisor.getPID()
    proxy.supervisor.shutdown()
    deadline = time.monotonic() + timeout
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            raise LabError(f"supervisord (pid {pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.2)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        Path(f"/proc/{pid}").stat()
    except FileNotFoundError:
        return False
    return True


def status(config: LabConfig) -> list[dict]:
    """One row per service: its state under supervisord, URL and health."""
    services = define_services(config)
    try:
        info = {p["name"]: p for p in supervisor(config).supervisor.getAllProcessInfo()}
    except LabError:
        info = {}
    rows = []
    for service in services:
        state = info.get(service.name, {}).get("statename", "STOPPED")
        rows.append({
            "service": service.name,
            "state": state,
            "url": service.url,
            "healthy": state == "RUNNING" and service.healthy(config),
            "optional": service.group != "core",
        })
    return rows


def reset(config: LabConfig) -> None:
    """Stop the lab and delete everything it stored under LAB_HOME."""
    down(config)
    if config.home.exists():
        shutil.rmtree(config.home)
