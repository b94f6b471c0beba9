"""Checks of the machine that runs the lab, which `lab doctor` adds to a notebook's checks."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from lab_utils.doctor import Check, CheckFailed, check_artifact_round_trip, check_tracking_server
from lab_utils.i18n import N_, _

from .config import StackConfig
from .supervisor import is_running, unsupervised_processes

# Below this much free space under LAB_HOME, artifacts and runs may no longer fit.
MIN_FREE_MB = 500


def _free_mb(path: Path) -> float:
    while not path.exists():  # a lab not started yet: the disk it will be on
        path = path.parent
    return shutil.disk_usage(path).free / 2**20


def _disk_space(config: StackConfig, min_free_mb: float) -> tuple[str, str] | None:
    """What is wrong with the disk under LAB_HOME and its fix, or None when there is room."""
    free = _free_mb(config.home)
    if free >= min_free_mb:
        return None
    return (_("the disk holding LAB_HOME ({home}) is full: {free:.0f} MB free, the lab needs at least "
              "{needed} MB").format(home=config.home, free=free, needed=min_free_mb),
            _("free space on that disk (`df -h {home}` shows it) or move the lab elsewhere "
              "(`lab export`, then LAB_HOME=… `lab up` and `lab import`)").format(home=config.home))


def disk_space_problem(config: StackConfig, min_free_mb: float = MIN_FREE_MB) -> str | None:
    """A sentence naming the full disk under LAB_HOME and what to do, or None when there is room."""
    problem = _disk_space(config, min_free_mb)
    return "; ".join(problem) if problem else None


def sqlite_verdict(path: Path) -> str:
    """SQLite's own quick integrity check of a database file: "ok", or what is wrong."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)


def _metadata_database(config: StackConfig) -> tuple[str, str] | None:
    """What is wrong with the lab's SQLite database and its fix, or None when it is sound."""
    path = config.sqlite_path
    if not path.exists():
        return None
    fix = _("restore a backup with `lab import ARCHIVE` (after moving the broken file away), or move "
            "{path} away to start an empty lab").format(path=path)
    if path.stat().st_size == 0:
        return (_("the metadata database {path} is empty (0 bytes): the runs it held are gone, and "
                  "starting on it would hide that").format(path=path), fix)
    verdict = sqlite_verdict(path)
    if verdict != "ok":
        return _("the metadata database {path} is damaged ({verdict})").format(path=path, verdict=verdict), fix
    return None


def metadata_database_problem(config: StackConfig) -> str | None:
    """A sentence naming what is wrong with the lab's SQLite database, or None when it is sound."""
    problem = _metadata_database(config)
    return "; ".join(problem) if problem else None


def check_metadata_database(config: StackConfig) -> str:
    problem = _metadata_database(config)
    if problem:
        raise CheckFailed(*problem)
    if config.sqlite_path.exists():
        return _("{name} passes SQLite's integrity check").format(name=config.sqlite_path.name)
    return _("no database yet (the first `lab up` creates it)")


def check_disk_space(config: StackConfig) -> str:
    problem = _disk_space(config, MIN_FREE_MB)
    if problem:
        raise CheckFailed(*problem)
    return _("{free:,.0f} MB free under {home}").format(free=_free_mb(config.home), home=config.home)


def check_supervisor(config: StackConfig) -> str:
    leftovers = unsupervised_processes(config)
    if leftovers:
        raise CheckFailed(
            _("supervisord is not running, but {count} process(es) of this lab are (pids {pids}): nothing "
              "restarts them if they die").format(count=len(leftovers),
                                                  pids=", ".join(str(p.pid) for p in leftovers[:8])),
            _("`lab down` stops them, then `lab up` starts the lab again under supervision"),
        )
    return _("no process of this lab runs unsupervised")


def mlflow_worker_restarts(config: StackConfig) -> list[str]:
    """The times uvicorn replaced a dead or hung MLflow worker since the server last started,
    read from the server's log (uvicorn kills a worker whose loop is blocked more than 5 s)."""
    try:
        lines = (config.logs_dir / "mlflow.log").read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    starts = [i for i, line in enumerate(lines) if "Started parent process [" in line]
    since = lines[starts[-1]:] if starts else lines
    return [line.split(" INFO")[0].strip() for line in since if "Child process [" in line and "] died" in line]


def check_mlflow_workers(config: StackConfig) -> str:
    restarts = mlflow_worker_restarts(config)
    if restarts:
        raise CheckFailed(
            _("{count} MLflow worker(s) died and were replaced since the server started (the last: {last}); "
              "the requests they held failed").format(count=len(restarts), last=restarts[-1] or "?"),
            _("`lab logs mlflow` shows what happened around then; `lab users usage` shows who is using "
              "the server most; `lab down` and `lab up --workshop` start the count again"),
        )
    return _("{workers} worker(s), none restarted since the server started").format(workers=config.workshop_workers)


def check_local_tracking_server(config: StackConfig) -> str:
    """A notebook's check, with the fix a machine that runs the lab can tell."""
    try:
        return check_tracking_server(config, config.tracking_uri)
    except CheckFailed as failure:
        if is_running(config):
            failure.fix = _("the lab is running but its tracking server does not answer: `lab status` "
                            "shows its state, `lab logs mlflow` why (see the database and disk lines below)")
        raise


def check_local_artifact_round_trip(config: StackConfig) -> str:
    try:
        return check_artifact_round_trip(config, config.tracking_uri)
    except CheckFailed as failure:
        failure.fix = disk_space_problem(config) or failure.fix
        raise


def local_checks(config: StackConfig) -> list[Check]:
    """The checks that only make sense where the lab runs (its home is on this machine); the
    tracking server and artifact checks get fixes only this machine can name."""
    if config.user is not None or not config.marker_path.exists():
        return []
    checks: list[Check] = [
        (N_("tracking server"), lambda: check_local_tracking_server(config), None),
        (N_("artifact round trip"), lambda: check_local_artifact_round_trip(config),
         "sign-in" if config.workshop else "tracking server"),
        (N_("supervisor"), lambda: check_supervisor(config), None),
        (N_("disk space"), lambda: check_disk_space(config), None),
    ]
    if not config.workshop:
        checks.append((N_("metadata database"), lambda: check_metadata_database(config), None))
    else:
        checks.append((N_("MLflow workers"), lambda: check_mlflow_workers(config), None))
    return checks
