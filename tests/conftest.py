"""The test suite runs against its own lab: its own LAB_HOME and ports, so a learner's lab
can stay open while `make test` runs. The session starts that lab (if it is not already
running) and stops it at the end."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))  # the notebook harness, shared with tools/build_notebooks.py

# `make test` runs pytest workers (pytest-xdist), each test module whole on one of them; each
# worker that needs the test lab gets its own: the first two 50 ports apart, the third and
# fourth 1000 and 2000 below: on none of the fixed ports of the workshop, exposure and platform
# tests (between 14300 and 19600, 9200 and 9964), and below the kernel's client ports (32768 up).
WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
if WORKER > 3:
    raise pytest.UsageError("the test labs have ports for four pytest workers at most: -n 4")
_SHIFT = 50 * WORKER if WORKER < 2 else -1000 * (WORKER - 1)
# TEST_LAB_SLOT=N (1-8) gives a second checkout's suite, run on the same machine at the same
# time, a test lab of its own (home and ports); the modules with fixed ports of their own
# (workshop, exposure, platforms) still run one at a time per machine.
SLOT = int(os.environ.get("TEST_LAB_SLOT", "0"))
_HOME = ".lab-test" + (f"-slot{SLOT}" if SLOT else "") + (f"-{WORKER}" if WORKER else "")
_BASE = (15000, 9100, 14200, 18888, 17077, 18080) if not SLOT else tuple(
    base + 200 * SLOT for base in (16000, 21000, 23000, 25000, 27000, 19000))
TEST_LAB = {
    "LAB_HOME": str(ROOT / _HOME),
    **{name: str(base + _SHIFT) for name, base in zip(
        ("LAB_MLFLOW_PORT", "LAB_S3_PORT", "LAB_PREFECT_PORT", "LAB_JUPYTER_PORT",
         "LAB_SPARK_MASTER_PORT", "LAB_SPARK_UI_PORT"), _BASE, strict=True)},
}
# Whatever the shell exports (a learner's LAB_HOME, `eval "$(lab env)"`, a workshop
# identity), the tests use their own lab: the learner's is never stopped, reset or written to.
for _name in [n for n in os.environ if n.startswith("LAB_") and n != "LAB_KEEP_TEST_LAB"]:
    del os.environ[_name]
for _name in ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "MLFLOW_S3_ENDPOINT_URL",
              "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PREFECT_HOME",
              "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_WORKSPACE"):
    os.environ.pop(_name, None)
os.environ.update(TEST_LAB)
# The extra host name a GitHub Codespace gives the lab (tests/test_exposure.py checks MLflow takes it).
os.environ["LAB_ALLOWED_HOSTS"] = "*.app.github.dev"
# An xdist worker's __main__ has neither a spec nor a file: PySpark then takes the process for
# a doctest run and exits when its Connect module is imported (`check_dependencies` in
# pyspark/sql/connect/utils.py, which MLflow's `log_model` imports). Give it the file it runs.
_main = sys.modules["__main__"]
if os.environ.get("PYTEST_XDIST_WORKER") and getattr(_main, "__spec__", None) is None and not hasattr(_main, "__file__"):
    _main.__file__ = pytest.__file__
os.environ["LAB_REQUIRE_EXERCISES"] = "1"
# The lab's messages in English whatever the machine's locale; the tests of the Portuguese
# messages and edition set LAB_LANG=pt_BR themselves.
os.environ["LAB_LANG"] = "en"
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@pytest.fixture(scope="session")
def lab():
    """The test lab, healthy; emptied first and stopped at the end unless it was already running."""
    from lab_stack import stack
    from lab_stack.config import load_config

    config = load_config()
    started_here = not stack.is_running(config)
    if started_here:
        stack.reset(config)  # every run starts from an empty lab, as on a fresh machine
    stack.up(config)
    os.environ.update(config.client_environment())
    yield config
    if started_here and os.environ.get("LAB_KEEP_TEST_LAB") != "1":
        stack.down(config)


# The lessons first, in two chains (tests/test_notebooks.py): one worker runs the chain of lessons
# that build on each other, the other the lessons that stand alone, then the other modules,
# longest first, so that what is left at the end is short.
LONGEST_FIRST = ("test_notebooks.py", "test_workshop.py", "test_platforms.py", "test_exposure.py", "test_room_mlflow.py",
                 "test_room_services.py", "test_faults.py", "test_seed_examples.py", "test_safety.py", "test_ui.py",
                 "test_site.py", "test_lab.py", "test_repository.py", "test_github.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))
