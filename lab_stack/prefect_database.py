"""A new lab's Prefect database starts as a copy of one already migrated.

At its first start on a new home, Prefect creates its SQLite database by running every Alembic
migration of its history: ~4.5 s of CPU, a third of a new lab's `lab up` on 2 cores, paid again
by every new home (`lab reset`, each workshop learner's own Prefect, each test lab). The
migrated, empty database is the same for every home with this Prefect version, so the lab
keeps one in its Python environment (`make venv` makes it) and copies it into a new home
before Prefect first starts there. Prefect then finds its
database at the latest revision and migrates nothing. A home that has a database is never
touched.

    python -m lab_stack.prefect_database   # make this environment's copy (make venv runs it)
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

DATABASE = "prefect.db"  # Prefect's default, under PREFECT_HOME


def template_path() -> Path:
    return Path(sys.prefix) / "share" / "dataflow-lab" / f"prefect-{version('prefect')}.db"


def _copy(source: Path, target: Path) -> None:
    """A consistent copy of an SQLite database (its write-ahead log included), written whole
    under another name first: a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, partial = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(handle)
    try:
        with sqlite3.connect(source) as reading, sqlite3.connect(partial) as writing:
            reading.backup(writing)
        reading.close()
        writing.close()
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    finally:
        if os.path.exists(partial):
            os.unlink(partial)


def make_template() -> Path:
    """Migrate a database in a scratch home with Prefect's own command and keep it as this
    environment's copy; returns its path (nothing is done when it exists)."""
    template = template_path()
    if template.exists():
        return template
    with tempfile.TemporaryDirectory(prefix="prefect-home-") as scratch:
        settings = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        settings.update({"PREFECT_HOME": scratch, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
        subprocess.run([str(Path(sys.executable).parent / "prefect"), "server", "database", "upgrade", "-y"],
                       env=settings, check=True, capture_output=True, timeout=600)
        _copy(Path(scratch) / DATABASE, template)
    return template


def seed(prefect_home: Path) -> bool:
    """Give a new Prefect home (no database yet) a copy of the migrated database; True when it
    did. Without this environment's copy, Prefect migrates the new database itself, as always."""
    target = prefect_home / DATABASE
    template = template_path()
    if target.exists() or not template.exists():
        return False
    _copy(template, target)
    return True


if __name__ == "__main__":
    print(f"Prefect's migrated database for new labs: {make_template()}")
