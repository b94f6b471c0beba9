"""Checks of the machine that runs the lab, which `lab doctor` adds to a notebook's checks."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from lab_utils.config import LabConfig
from lab_utils.doctor import Check, CheckFailed, check_artifact_round_trip, check_tracking_server

from .supervisor import is_running, unsupervised_processes

# Below this much free space under LAB_HOME, artifacts and runs may no longer fit.
MIN_FREE_MB = 500


def _free_mb(path: Path) -> float:
    while not path.exists():  # a lab not started yet: the disk it will be on
        path = path.parent
    return shutil.disk_usage(path).free / 2**20


def disk_space_problem(config: LabConfig, min_free_mb: float = MIN_FREE_MB) -> str | None:
    """A sentence naming the full disk under LAB_HOME, or None when there is room."""
    free = _free_mb(config.home)
    if free >= min_free_mb:
        return None
    return (f"the disk holding LAB_HOME ({config.home}) is full: {free:.0f} MB free, the lab needs at "
            f"least {min_free_mb} MB; free space on that disk (`df -h {config.home}` shows it) or "
            "move the lab elsewhere (`lab export`, then LAB_HOME=… `lab up` and `lab import`)")


def sqlite_verdict(path: Path) -> str:
    """SQLite's own quick integrity check of a database file: "ok", or what is wrong."""
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        return str(error)


def metadata_database_problem(config: LabConfig) -> str | None:
    """A sentence naming what is wrong with the lab's SQLite database, or None when it is sound."""
    path = config.sqlite_path
    if not path.exists():
        return None
    fix = ("restore a backup with `lab import ARCHIVE` (after moving the broken file away), or move "
           f"{path} away to start an empty lab")
    if path.stat().st_size == 0:
        return (f"the metadata database {path} is empty (0 bytes): the runs it held are gone, and "
                f"starting on it would hide that; {fix}")
    verdict = sqlite_verdict(path)
    if verdict != "ok":
        return f"the metadata database {path} is damaged ({verdict}); {fix}"
    return None


def check_metadata_database(config: LabConfig) -> str:
    problem = metadata_database_problem(config)
    if problem:
        detail, _, fix = problem.partition("; ")
        raise CheckFailed(detail, fix)
    return f"{config.sqlite_path.name} passes SQLite's integrity check" if config.sqlite_path.exists() \
        else "no database yet (the first `lab up` creates it)"


def check_disk_space(config: LabConfig) -> str:
    problem = disk_space_problem(config)
    if problem:
        detail, _, fix = problem.partition("; ")
        raise CheckFailed(detail, fix)
    return f"{_free_mb(config.home):,.0f} MB free under {config.home}"


def check_supervisor(config: LabConfig) -> str:
    leftovers = unsupervised_processes(config)
    if leftovers:
        raise CheckFailed(
            f"supervisord is not running, but {len(leftovers)} process(es) of this lab are "
            f"(pids {', '.join(str(p.pid) for p in leftovers[:8])}): nothing restarts them if they die",
            "`lab down` stops them, then `lab up` starts the lab again under supervision",
        )
    return "no process of this lab runs unsupervised"


def check_local_tracking_server(config: LabConfig) -> str:
    """A notebook's check, with the fix a machine that runs the lab can tell."""
    try:
        return check_tracking_server(config, config.tracking_uri)
    except CheckFailed as failure:
        if is_running(config):
            failure.fix = ("the lab is running but its tracking server does not answer: `lab status` "
                           "shows its state, `lab logs mlflow` why (see the database and disk lines below)")
        raise


def check_local_artifact_round_trip(config: LabConfig) -> str:
    try:
        return check_artifact_round_trip(config, config.tracking_uri)
    except CheckFailed as failure:
        failure.fix = disk_space_problem(config) or failure.fix
        raise


def local_checks(config: LabConfig) -> list[Check]:
    """The checks that only make sense where the lab runs (its home is on this machine); the
    tracking server and artifact checks get fixes only this machine can name."""
    if config.user is not None or not config.marker_path.exists():
        return []
    checks: list[Check] = [
        ("tracking server", lambda: check_local_tracking_server(config), None),
        ("artifact round trip", lambda: check_local_artifact_round_trip(config),
         "sign-in" if config.workshop else "tracking server"),
        ("supervisor", lambda: check_supervisor(config), None),
        ("disk space", lambda: check_disk_space(config), None),
    ]
    if not config.workshop:
        checks.append(("metadata database", lambda: check_metadata_database(config), None))
    return checks
