"""Bringing the lab up and down under supervisord, the process manager that restarts what dies."""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
import sys
import time
import xmlrpc.client
from collections.abc import Iterable

from lab_utils.clients import s3_client
from lab_utils.errors import LabError

from . import prefect_database, workshop
from .config import DEFAULTS, StackConfig
from .health import disk_space_problem, metadata_database_problem
from .secrets import ensure_credentials, write_private
from .services import Service, define_services
from .services.objectstore import write_store_security
from .services.postgres import prepare_postgres
from .supervisor import (
    apply_config_changes,
    conf_path,
    is_running,
    lab_processes,
    log_tail,
    pid_alive,
    render_supervisor_conf,
    start_supervisord,
    stop_lab_processes,
    supervisor,
)

# A service still starting after this long is named with its log. Generous: a busy 2-core machine
# (a room's server, CI running two labs) has taken over 90 s to bring MLflow up.
START_TIMEOUT_S = 180
# The least free space `lab up` starts with: the object store panics on a full disk.
MIN_FREE_MB_TO_START = 100


def claim_home(config: StackConfig) -> None:
    """Make LAB_HOME a lab home: a new or empty folder, or one that is a lab already.

    A folder with other things in it is refused, so that nothing the lab does (writing,
    `lab reset`) ever touches files that are not its own. The home is private (0700);
    a workshop run as root keeps it traversable (0711) for PostgreSQL's own user.
    """
    home = config.home
    # Homes made before the marker existed carry the lab's own configuration file.
    if home.exists() and not config.marker_path.is_file() and not (home / "supervisord.conf").is_file():
        if not home.is_dir() or any(home.iterdir()):
            raise LabError(
                f"LAB_HOME={home} is not empty and is not a lab (it has no {config.marker_path.name} file): the lab "
                "keeps its data in a folder of its own; set LAB_HOME to a new or empty folder."
            )
    home.mkdir(parents=True, exist_ok=True)
    # As root, a workshop's PostgreSQL runs as Debian's `postgres` user, who must pass through.
    home.chmod(0o711 if config.workshop and os.geteuid() == 0 else 0o700)
    config.marker_path.write_text("A DataFlow Lab home: `lab reset` deletes this folder.\n")


def _prepare_home(config: StackConfig) -> list[Service]:
    claim_home(config)
    for sub in ("logs", "run", "mlflow", "objectstore", "prefect", "spark/work"):
        (config.home / sub).mkdir(mode=0o700, parents=True, exist_ok=True)
        (config.home / sub).chmod(0o700)
    problem = disk_space_problem(config, MIN_FREE_MB_TO_START)
    if problem:
        raise LabError(problem)
    if not config.workshop:
        problem = metadata_database_problem(config)
        if problem:
            raise LabError(problem)
    if config.workshop:
        _prepare_workshop(config)
    else:  # a workshop runs no Prefect: each learner's own starts from the same copy (own_prefect)
        prefect_database.seed(config.home / "prefect")
    if not config.uses_external_s3:
        creds = ensure_credentials(config)
        identities = {"identities": [{
            "name": "lab",
            "credentials": [{"accessKey": creds.access_key, "secretKey": creds.secret_key}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]}
        if config.workshop:
            identities["identities"] += workshop.seaweedfs_identities(config)
        write_private(config.home / "secrets" / "s3-identities.json", json.dumps(identities))
        write_store_security(config)
    services = define_services(config)
    write_private(conf_path(config), render_supervisor_conf(config, services))
    return services


def _prepare_workshop(config: StackConfig) -> None:
    if config.sqlite_path.exists() and not config.mode_path.exists():
        raise LabError(
            f"{config.home} holds a one-learner lab (SQLite): a workshop lab needs its own "
            "LAB_HOME (or `lab export`, `lab reset`, then `lab up --workshop` and `lab import`)."
        )
    prepare_postgres(config)
    config.mode_path.write_text("workshop\n")


def _check_port_free(config: StackConfig, service: Service) -> None:
    """Refuse to start a service whose port another program holds (it would answer in its place)."""
    for port in service.ports:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((service.host or config.host, port))
            except OSError as error:
                if error.errno == errno.EADDRNOTAVAIL:
                    raise LabError(f"LAB_HOST={config.host} is not an address of this machine: set LAB_HOST "
                                   "to one of its addresses (127.0.0.1 for a lab of your own).") from None
                variable = service.port_variable
                setting = os.environ.get(variable, DEFAULTS.get(variable))
                derived = "" if port == service.ports[0] else f" (derived from {variable}={setting})"
                # macOS's AirPlay Receiver listens on 5000, the seed's address for MLflow.
                airplay = (" On macOS, the AirPlay Receiver commonly holds port 5000: turn it off in "
                           "System Settings → General → AirDrop & Handoff, or choose another port."
                           if port == 5000 and sys.platform == "darwin" else "")
                raise LabError(
                    f"port {port} ({service.name}{derived}) is already in use by another program: stop it "
                    f"(`lsof -nP -iTCP:{port} -sTCP:LISTEN` shows which) or choose another port with "
                    f"{variable}=… ; another lab may be running with a different LAB_HOME.{airplay}"
                ) from None


def check_host(config: StackConfig) -> None:
    """LAB_HOST must name this machine, and a lab without sign-in stays on loopback unless asked."""
    try:
        socket.getaddrinfo(config.host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise LabError(f"LAB_HOST={config.host!r}: name lookup failed ({error.strerror}); set LAB_HOST "
                       "to an address or name of this machine (default 127.0.0.1).") from None
    if config.workshop:
        return
    if not is_loopback_host(config.host) and os.environ.get("LAB_EXPOSE") != "1":
        raise LabError(
            f"LAB_HOST={config.host} would open MLflow, Prefect and the object store to the network "
            "without sign-in. For a room, use `lab up --workshop` (accounts, a workspace per learner); "
            "to expose a one-learner lab anyway, set LAB_EXPOSE=1."
        )


def is_loopback_host(host: str) -> bool:
    """True when every address `host` names is this machine's loopback."""
    import ipaddress

    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror:
        return False
    return all(ipaddress.ip_address(info[4][0].split("%")[0]).is_loopback for info in infos)


def wait_healthy(config: StackConfig, services: Iterable[Service], timeout: float = START_TIMEOUT_S) -> None:
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


def _failure_context(config: StackConfig) -> str:
    """What `lab up` adds to a service's failure when the cause is the machine's."""
    problem = disk_space_problem(config, MIN_FREE_MB_TO_START)
    return f"\n{problem}" if problem else ""


def ensure_bucket(config: StackConfig) -> None:
    """Create the artifact bucket when the store lacks it (a new MinIO, say)."""
    client = s3_client(config)
    names = {b["Name"] for b in client.list_buckets().get("Buckets", [])}
    if config.bucket not in names:
        client.create_bucket(Bucket=config.bucket)


def up(config: StackConfig, groups: tuple[str, ...] = ("core",)) -> list[Service]:
    """Start the lab (idempotent) and return when every requested service is healthy.

    A `lab up` that fails leaves nothing running that it started.
    """
    check_host(config)
    services = _prepare_home(config)
    started_here = not is_running(config)
    if started_here:
        # A crashed supervisord's services would hold the lab's ports: stop them, start afresh.
        stop_lab_processes(lab_processes(config))
        for service in services:
            if service.autostart:
                _check_port_free(config, service)
        start_supervisord(config)
    else:
        apply_config_changes(supervisor(config))
    try:
        return _start_services(config, services, groups)
    except LabError as error:
        if started_here:
            down(config)
        raise LabError(f"{error}{_failure_context(config)}") from None
    except BaseException:
        if started_here:
            down(config)
        raise


def _start_services(config: StackConfig, services: list[Service], groups: tuple[str, ...]) -> list[Service]:
    proxy = supervisor(config)
    wanted = [s for s in services if s.group in groups]
    for service in wanted:
        if proxy.supervisor.getProcessInfo(f"{service.group}:{service.name}")["statename"] not in ("RUNNING", "STARTING"):
            _check_port_free(config, service)
            proxy.supervisor.startProcess(f"{service.group}:{service.name}", False)
        if service.wait_healthy:
            wait_healthy(config, [service])
        if service.after_healthy:
            service.after_healthy(config)
    wait_healthy(config, wanted)
    if "core" in groups:
        ensure_bucket(config)
    return wanted


def stop_group(config: StackConfig, group: str) -> None:
    supervisor(config).supervisor.stopProcessGroup(group)


def down(config: StackConfig, timeout: float = 60) -> bool:
    """Stop every service and supervisord; False when nothing of the lab was running.

    In a workshop, the Prefect that `lab_utils.connect()` started for this LAB_HOME (the
    instructor's, on the server) stops too.
    """
    if config.workshop:
        from . import own_prefect

        own_prefect.stop(config)
    try:
        proxy = supervisor(config)
    except LabError:
        leftovers = lab_processes(config)
        stop_lab_processes(leftovers)
        return bool(leftovers)
    pid = proxy.supervisor.getPID()
    _stop_all_but_the_database(config, proxy, timeout)
    proxy.supervisor.shutdown()
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            raise LabError(f"supervisord (pid {pid}) did not stop within {timeout:.0f} s")
        time.sleep(0.2)
    return True


def _stop_all_but_the_database(config: StackConfig, proxy, timeout: float) -> None:
    """Stop every program but PostgreSQL (a room's metadata database) at once, whatever its
    group, then return; supervisord's own shutdown then stops PostgreSQL last, so no MLflow worker
    shuts down without its database. supervisord's shutdown alone goes group by group: `lab down`
    took 3.5-4.4 s for one learner's lab and 4.5 s for a room's, 2.7 and 3.6 s this way."""
    programs = [f"{p['group']}:{p['name']}" for p in proxy.supervisor.getAllProcessInfo()
                if p["name"] != "postgres" and p["statename"] in ("STARTING", "RUNNING")]
    for name in programs:
        try:
            proxy.supervisor.stopProcess(name, False)
        except xmlrpc.client.Fault:  # it stopped on its own meanwhile
            pass
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(
            proxy.supervisor.getProcessInfo(name)["statename"] in ("STARTING", "RUNNING", "STOPPING")
            for name in programs):
        time.sleep(0.2)


def status(config: StackConfig) -> list[dict]:
    """One row per service: its state under supervisord, URL and health."""
    services = define_services(config)
    try:
        info = {p["name"]: p for p in supervisor(config).supervisor.getAllProcessInfo()}
        unsupervised = False
    except LabError:
        info = {}
        unsupervised = bool(lab_processes(config))
    rows = []
    for service in services:
        state = info.get(service.name, {}).get("statename", "STOPPED")
        if unsupervised and service.healthy(config):
            state = "UNSUPERVISED"  # answering, but nothing restarts it if it dies
            rows.append({"service": service.name, "state": state, "url": service.url,
                         "healthy": False, "optional": service.group != "core"})
            continue
        rows.append({
            "service": service.name,
            "state": state,
            "url": service.url,
            "healthy": state == "RUNNING" and service.healthy(config),
            "optional": service.group != "core",
        })
    return rows


def reset(config: StackConfig) -> None:
    """Stop the lab and delete everything it stored under LAB_HOME (a lab home only)."""
    if not config.home.exists():
        return
    if not config.marker_path.is_file():
        raise LabError(
            f"{config.home} is not a lab home (it has no {config.marker_path.name} file that `lab up` writes): "
            "nothing was deleted. Check LAB_HOME; delete the folder yourself if it really is an old lab."
        )
    down(config)
    shutil.rmtree(config.home)
