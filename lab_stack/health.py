"""Checks of the machine that runs the lab, which `lab doctor` adds to a notebook's checks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from lab_utils.config import LabConfig
from lab_utils.doctor import Check, CheckFailed, _free_mb, disk_space_problem

from .supervisor import unsupervised_processes


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


def local_checks(config: LabConfig) -> list[Check]:
    """The checks that only make sense where the lab runs (its home is on this machine)."""
    if config.user is not None or not config.marker_path.exists():
        return []
    checks: list[Check] = [
        ("supervisor", lambda: check_supervisor(config), None),
        ("disk space", lambda: check_disk_space(config), None),
    ]
    if not config.workshop:
        checks.append(("metadata database", lambda: check_metadata_database(config), None))
    return checks
