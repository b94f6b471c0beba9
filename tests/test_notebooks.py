"""Every lesson, executed end to end against the test lab.

Each lesson's solutions notebook runs twice on the same lab:
1. papermill, with the CI values of its `parameters` cell; the executed copy is saved
   under build/executed/ (a failure names the cell and the error);
2. nbval in lax mode on that copy, comparing the cells marked `# NBVAL_CHECK_OUTPUT`
   with the outputs stored in the repository's notebook (sanitized: ids, times, ports).
The second run also proves that a lesson can be re-run on a lab that has its runs already.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from harness import LessonFailed, ProcessWatch, execute_lesson, lesson_environment

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LESSONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))

# Turned down for speed; the lesson's defaults are what a learner runs.
CI_PARAMETERS: dict[str, dict] = {
    "01_basic_tracking": {"n_metric_points": 300},
    "03_spark_models": {"num_trees": 10},
    "05_mlflow_models": {"explainability_rows": 30},
}

CHECK_MARK = "# NBVAL_CHECK_OUTPUT"


def _with_expected_outputs(executed: nbformat.NotebookNode, committed: nbformat.NotebookNode):
    """The executed copy, with the committed outputs in the cells nbval compares."""
    expected = {c.source: c.outputs for c in committed.cells if c.cell_type == "code"}
    for cell in executed.cells:
        if cell.cell_type == "code" and CHECK_MARK in cell.source:
            if not expected.get(cell.source):
                pytest.fail(f"no stored output for a checked cell (run `make notebooks`):\n{cell.source}")
            cell.outputs = expected[cell.source]
    return executed


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs(notebook: Path, lab):
    with ProcessWatch() as processes:
        _run_lesson_twice(notebook)
        stray = processes.left_running()
    assert not stray, f"{notebook.name} left processes running:\n" + "\n".join(stray)


def _run_lesson_twice(notebook: Path) -> None:
    executed_path = BUILD / "executed" / notebook.name
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        execute_lesson(notebook, executed_path, CI_PARAMETERS.get(notebook.stem, {}), cwd=ROOT / "notebooks")
    except LessonFailed as failure:
        pytest.fail(f"{failure}\n(executed copy: {executed_path})", pytrace=False)

    committed = nbformat.read(notebook, as_version=4)
    nbval_path = BUILD / "nbval" / notebook.name
    nbval_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_with_expected_outputs(nbformat.read(executed_path, as_version=4), committed), nbval_path)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env", "--nbval-sanitize-with", str(ROOT / "tests" / "nbval_sanitize.cfg"),
         "--rootdir", str(BUILD), "-o", "addopts=", str(nbval_path)],
        cwd=ROOT / "notebooks", capture_output=True, text=True, env=lesson_environment(),
    )
    if result.returncode != 0:
        pytest.fail(f"nbval re-run of {notebook.name} failed:\n{result.stdout[-6000:]}", pytrace=False)
