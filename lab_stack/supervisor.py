"""supervisord, the process manager that runs the lab's services and restarts what dies."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import time
import xmlrpc.client
from collections.abc import Iterable
from pathlib import Path

import psutil
from supervisor.xmlrpc import SupervisorTransport

from lab_utils.errors import LabError

from .config import StackConfig
from .services import BIN, Service
from .services.service import socket_path


def conf_path(config: StackConfig) -> Path:
    return config.home / "supervisord.conf"


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%") + '"'


def render_supervisor_conf(config: StackConfig, services: Iterable[Service]) -> str:
    sock = socket_path(config, "supervisor")
    logs = config.logs_dir
    lines = [
        "[unix_http_server]", f"file={sock}", "chmod=0700", "",
        # umask 077: what the services write under LAB_HOME is readable by its owner only.
        "[supervisord]", f"logfile={logs / 'supervisord.log'}", "umask=077",
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


def supervisor(config: StackConfig):
    """An XML-RPC proxy to this lab's supervisord (raises LabError when it is not running)."""
    sock = socket_path(config, "supervisor")
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


def is_running(config: StackConfig) -> bool:
    try:
        supervisor(config)
    except LabError:
        return False
    return True


def lab_processes(config: StackConfig) -> list[psutil.Process]:
    """The processes of this lab, with or without their supervisord.

    Supervisord runs every service in LAB_HOME (PostgreSQL moves into its data folder
    below it), so a process of the lab's programs working there is this lab's, even when
    a crashed supervisord left it behind.
    """
    home = str(config.home)
    found = []
    for process in psutil.process_iter(["pid", "name", "cmdline", "cwd"]):
        cwd, cmdline = process.info["cwd"], process.info["cmdline"] or []
        if process.pid == os.getpid() or not cwd or not (cwd == home or cwd.startswith(home + os.sep)):
            continue
        command = " ".join(cmdline)
        if str(BIN) in command or home in command or process.info["name"] in ("java", "postgres"):
            found.append(process)
    return found


def stop_lab_processes(processes: list[psutil.Process], timeout: float = 20) -> None:
    """Stop processes a crashed supervisord left behind: TERM, then KILL what is left."""
    for process in processes:
        try:
            process.send_signal(signal.SIGTERM)
        except psutil.NoSuchProcess:
            pass
    _gone, alive = psutil.wait_procs(processes, timeout=timeout)
    for process in alive:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=5)


def unsupervised_processes(config: StackConfig) -> list[psutil.Process]:
    """This lab's processes left running without their supervisord (it crashed or was killed)."""
    return [] if is_running(config) else lab_processes(config)


def start_supervisord(config: StackConfig) -> None:
    subprocess.run([str(BIN / "supervisord"), "-c", str(conf_path(config))], check=True)
    deadline = time.monotonic() + 15
    while not is_running(config):
        if time.monotonic() > deadline:
            raise LabError("supervisord did not start:\n" + log_tail(config, "supervisord"))
        time.sleep(0.2)


def apply_config_changes(proxy) -> None:
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


def pid_alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def log_tail(config: StackConfig, name: str, lines: int = 30) -> str:
    path = config.logs_dir / f"{name}.log"
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
