"""Every lesson, executed end to end against the test lab, in both of its copies.

1. The solutions copy, with papermill and the CI values of its `parameters` cell; every
   exercise must be answered (LAB_REQUIRE_EXERCISES=1). The executed copy is saved under
   build/executed/ (a failure names the cell and the error). Lesson 03's runs on the lab's
   Spark standalone cluster.
2. The learners' copy, exercises untouched, with nbval in lax mode: it must run clean with
   its `...` placeholders, and the cells tagged `nbval-check-output` must match the
   outputs stored in the repository, exactly (the checked cells print no ids, times or
   addresses, so nothing needs sanitizing). Every exercise's check cell is one of them: its
   stored output is the one "not attempted yet" note, so the untouched copy must print
   exactly one note per exercise, and nothing else, there. Run on the lab that
   now holds the lesson's runs, it also proves that a lesson can be run again. For 00, 01
   and 04 it is the Portuguese edition's learners' copy, under LAB_LANG=pt_BR (the lab's
   own messages in Portuguese): the same program as the English one (tests/test_editions.py),
   with its own prose and stored outputs.
"""

from __future__ import annotations

import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
import requests
from harness import LessonFailed, ProcessWatch, execute_lesson, lesson_environment

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LESSONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))

# Turned down for speed; the lesson's defaults are what a learner runs.
CI_PARAMETERS: dict[str, dict] = {
    "01_basic_tracking": {"n_metric_points": 100},
    "03_spark_models": {"num_trees": 10},
    "05_mlflow_models": {"explainability_rows": 30},
}

# The lessons whose second pass runs the Portuguese edition's learners' copy.
PORTUGUESE_SECOND_PASS = {"00_welcome", "01_basic_tracking", "04_model_registry"}

# nbval's own tag for a cell whose output is compared (kept in metadata, out of the learner's sight).
CHECK_TAG = "nbval-check-output"


def _learners_copy(path: Path) -> nbformat.NotebookNode:
    """The learners' copy as committed, with the CI parameters injected as papermill would."""
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    learners = load_notebook_node(str(path))
    for cell in learners.cells:
        if cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", []) and not cell.outputs:
            pytest.fail(f"no stored output for a checked cell (run `make notebooks`):\n{cell.source}")
    parameters = CI_PARAMETERS.get(path.stem)
    return parameterize_notebook(learners, parameters) if parameters else learners


@pytest.mark.parametrize("notebook", LESSONS, ids=[p.stem for p in LESSONS])
def test_lesson_runs(notebook: Path, lab):
    with ProcessWatch() as processes:
        _run_lesson_twice(notebook, lab)
        stray = processes.left_running()
    assert not stray, f"{notebook.name} left processes running:\n" + "\n".join(stray)


@contextmanager
def first_pass_setting(notebook: Path, lab):
    """Lesson 03's first pass runs on the lab's Spark standalone cluster (`lab spark up`), its
    second pass in local mode: both ways the lesson teaches, one run of each."""
    if notebook.stem != "03_spark_models":
        yield {}
        return
    lab_command = [str(Path(sys.executable).parent / "lab"), "spark"]
    up = subprocess.run([*lab_command, "up"], capture_output=True, text=True)
    assert up.returncode == 0, up.stderr
    try:
        status = requests.get(f"{lab.spark_ui_url}/json/", timeout=5).json()
        assert status["status"] == "ALIVE" and status["aliveworkers"] == 1, status
        yield {"spark_master": lab.spark_master_url}
        status = requests.get(f"{lab.spark_ui_url}/json/", timeout=5).json()
    finally:
        subprocess.run([*lab_command, "down"], capture_output=True)
    apps = [app for app in status["completedapps"] if app["name"] == "lesson-03-spark-models"]
    assert apps, f"the master ran no lesson-03 application: {[a['name'] for a in status['completedapps']]}"
    assert apps[-1]["state"] == "FINISHED", apps[-1]
    assert apps[-1]["cores"] > 0, "the application got no executor cores from the worker"


def _run_lesson_twice(notebook: Path, lab) -> None:
    executed_path = BUILD / "executed" / notebook.name
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    with first_pass_setting(notebook, lab) as setting:
        try:
            execute_lesson(notebook, executed_path, {**CI_PARAMETERS.get(notebook.stem, {}), **setting},
                           cwd=ROOT / "notebooks")
        except LessonFailed as failure:
            pytest.fail(f"{failure}\n(executed copy: {executed_path})", pytrace=False)

    if notebook.stem in PORTUGUESE_SECOND_PASS:
        _run_learners_copy(ROOT / "notebooks" / "pt-BR" / notebook.name, language="pt_BR")
    else:
        _run_learners_copy(ROOT / "notebooks" / notebook.name, language="en")


def _run_learners_copy(learners: Path, language: str) -> None:
    """nbval over the learners' copy, exercises untouched, in the lab's messages' `language`."""
    edition = learners.parent.relative_to(ROOT / "notebooks")
    nbval_path = BUILD / "nbval" / edition / learners.name
    nbval_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(_learners_copy(learners), nbval_path)
    # A learner has not answered the exercises: each check prints a note instead of failing.
    learner_environment = {k: v for k, v in lesson_environment(language).items() if k != "LAB_REQUIRE_EXERCISES"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--nbval-lax",
         "--nbval-current-env",
         "--rootdir", str(BUILD), "-o", "addopts=", str(nbval_path)],
        cwd=learners.parent, capture_output=True, text=True, env=learner_environment,
    )
    if result.returncode != 0:
        pytest.fail(f"nbval run of the learners' copy of {edition / learners.name} failed:\n{result.stdout[-6000:]}",
                    pytrace=False)


def test_no_lesson_shows_a_ci_marker_to_learners():
    marked = [f"{path.name}: {cell.source.splitlines()[0]}"
              for path in sorted((ROOT / "notebooks").glob("**/[0-9][0-9]_*.ipynb"))
              for cell in nbformat.read(path, as_version=4).cells if "NBVAL_" in cell.source]
    assert not marked, marked


def test_every_cell_that_must_raise_names_its_exception():
    unnamed = [f"{path.name} cell {cell.id}"
               for path in sorted((ROOT / "solutions").glob("**/[0-9][0-9]_*.ipynb"))
               for cell in nbformat.read(path, as_version=4).cells
               if "raises-exception" in cell.metadata.get("tags", [])
               and not any(t.startswith("raises:") for t in cell.metadata.get("tags", []))]
    assert not unnamed, unnamed
