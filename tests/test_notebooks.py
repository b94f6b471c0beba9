"""Every lesson, executed end to end against the test lab, in both of its copies, the learners'
copy first.

1. The learners' copy as committed in notebooks/, exercises untouched, with papermill and the CI
   values of its `parameters` cell: it must run clean with its `...` placeholders, and every
   code cell's outputs must be the ones stored in the repository, after masking what differs
   from one pass to another (ids, hashes, times, durations, addresses, numbers:
   harness.OUTPUT_MASKS; images by presence and type). The stored outputs come from an
   untouched learners' pass on a new lab (tools/build_notebooks.py --execute), so this proves
   that what a learner reads is what their own pass prints — each exercise's check cell
   included, which prints its one "not attempted yet" note. The test lab already holds the
   earlier lessons' runs (of its chain, below) in BOTH copies: a cell whose output depends on what an earlier
   lesson's solution did (a learner who skipped that exercise would see something else) fails
   here. For 00, 01 and 04 it is the Portuguese edition's learners' copy, under LAB_LANG=pt_BR
   (the lab's own messages in Portuguese): the same program as the English one
   (tests/test_editions.py), with its own prose and stored outputs. TEST_LEARNERS_EDITION=pt-BR
   (or en) runs that edition's learners' copy of every lesson instead. The executed copy is
   saved under build/learners/.
2. The solutions copy, with papermill and the CI parameters; every exercise must be answered
   (LAB_REQUIRE_EXERCISES=1). Run on the lab that now holds the learners' pass, it also proves
   that a lesson can be run again. The executed copy is saved under build/executed/ (a failure
   names the cell and the error). Lesson 03's runs on the lab's Spark standalone cluster.
"""

from __future__ import annotations

import os
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path

import nbformat
import pytest
import requests
from harness import LessonFailed, ProcessWatch, compare_outputs, execute_lesson, kernel_environment

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
LESSONS = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))

# Turned down for speed; the lesson's defaults are what a learner runs.
CI_PARAMETERS: dict[str, dict] = {
    "01_basic_tracking": {"n_metric_points": 100},
    "03_spark_models": {"num_trees": 10},
    "05_mlflow_models": {"explainability_rows": 30},
}

# The learners' pass only. Part 2 of the capstone starts from part 1's exercises (Milestones 1
# and 2 register the champion it serves): on a learner's untouched lab there is none, and the
# stored outputs say so. On the test lab part 1's solutions ran just before; pointed at a model
# that no solution registered, part 2's untouched pass sees what an untouched learner's lab holds.
LEARNERS_CI_PARAMETERS: dict[str, dict] = {
    "10_capstone_production": {"model_name": "capstone_precos_untouched"},
}

# The lessons whose learners' pass runs the Portuguese edition's learners' copy.
PORTUGUESE_SECOND_PASS = {"00_welcome", "01_basic_tracking", "04_model_registry"}
LEARNERS_EDITION = os.environ.get("TEST_LEARNERS_EDITION", "")  # "", "en" or "pt-BR"
assert LEARNERS_EDITION in ("", "en", "pt-BR"), f"TEST_LEARNERS_EDITION={LEARNERS_EDITION!r}: use en or pt-BR"
# The tag of an exercise's check cell.
CHECK_TAG = "check-exercise"


def learners_edition(lesson: str) -> str:
    """The edition whose learners' copy of `lesson` the suite runs: "" (English) or "pt-BR"."""
    if LEARNERS_EDITION:
        return "" if LEARNERS_EDITION == "en" else LEARNERS_EDITION
    return "pt-BR" if lesson in PORTUGUESE_SECOND_PASS else ""


# Two chains of lessons, each run in order on the test lab of one pytest worker (pytest-xdist's
# loadscope runs a test class whole on one worker), side by side. Lesson 03 compares itself with
# 01's runs, 04 registers 02's search, 05 serves 04's models, 08 lays out 02's search, 09 reads
# 04's aliases: those run in order. 06, 07, 10 and 11 start from nothing an earlier lesson left
# (their own experiments and models), so they run on the other worker's lab, first on it: what
# they print there is what they print after the others (`make notebooks` runs all in order).
BESIDE = {"06_mlflow_projects", "07_prefect_pipelines", "10_capstone", "10_capstone_production", "11_genai_tracing"}
IN_ORDER = [p for p in LESSONS if p.stem not in BESIDE]
ON_THEIR_OWN = [p for p in LESSONS if p.stem in BESIDE]


def _lesson_runs(notebook: Path, lab) -> None:
    with ProcessWatch() as processes:
        _run_lesson_twice(notebook, lab)
        stray = processes.left_running()
    assert not stray, f"{notebook.name} left processes running:\n" + "\n".join(stray)


class TestLessonsInOrder:
    @pytest.mark.parametrize("notebook", IN_ORDER, ids=[p.stem for p in IN_ORDER])
    def test_lesson_runs(self, notebook: Path, lab):
        _lesson_runs(notebook, lab)


class TestLessonsOnTheirOwn:
    @pytest.mark.parametrize("notebook", ON_THEIR_OWN, ids=[p.stem for p in ON_THEIR_OWN])
    def test_lesson_runs(self, notebook: Path, lab):
        _lesson_runs(notebook, lab)


def test_every_lesson_runs_in_one_chain():
    assert sorted(IN_ORDER + ON_THEIR_OWN) == LESSONS and BESIDE <= {p.stem for p in LESSONS}


@contextmanager
def solutions_setting(notebook: Path, lab):
    """Lesson 03's solutions copy runs on the lab's Spark standalone cluster (`lab spark up`), its
    learners' copy in local mode: both ways the lesson teaches, one run of each."""
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
    edition = learners_edition(notebook.stem)
    _run_learners_copy(ROOT / "notebooks" / edition / notebook.name, language="pt_BR" if edition else "en")

    executed_path = BUILD / "executed" / notebook.name
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    with solutions_setting(notebook, lab) as setting:
        try:
            execute_lesson(notebook, executed_path, {**CI_PARAMETERS.get(notebook.stem, {}), **setting},
                           cwd=ROOT / "notebooks")
        except LessonFailed as failure:
            pytest.fail(f"{failure}\n(executed copy: {executed_path})", pytrace=False)


def _run_learners_copy(learners: Path, language: str) -> None:
    """The learners' copy, exercises untouched, in the lab's messages' `language`: it runs clean
    and prints, cell by cell, what its stored outputs show (masked)."""
    edition = learners.parent.relative_to(ROOT / "notebooks")
    stored = nbformat.read(learners, as_version=4)
    for cell in stored.cells:
        if cell.cell_type == "code" and CHECK_TAG in cell.metadata.get("tags", []) and not cell.outputs:
            pytest.fail(f"no stored output for a check cell (run `make notebooks`):\n{cell.source}")
    executed_path = BUILD / "learners" / edition / learners.name
    executed_path.parent.mkdir(parents=True, exist_ok=True)
    # A learner has not answered the exercises: each check prints a note instead of failing.
    with kernel_environment(LAB_LANG=language, LAB_REQUIRE_EXERCISES=None):
        try:
            # At the lesson's own defaults, as `make notebooks` ran it: turned-down parameters change
            # values, and with them the order of what a cell ranks (a table, SHAP's features).
            executed = execute_lesson(learners, executed_path, LEARNERS_CI_PARAMETERS.get(learners.stem, {}),
                                      cwd=learners.parent)
        except LessonFailed as failure:
            pytest.fail(f"the learners' copy {edition / learners.name}: {failure}\n"
                        f"(executed copy: {executed_path})", pytrace=False)
    differences = compare_outputs(stored, executed, str(edition / learners.name))
    if differences:
        pytest.fail(f"the learners' copy {edition / learners.name} printed, after masking ids, times and numbers "
                    f"(harness.OUTPUT_MASKS), other outputs than it stores: a reader would see what their own "
                    f"pass does not print (stored outputs from an older lesson: `make notebooks`).\n"
                    f"(executed copy: {executed_path})\n" + "\n".join(differences), pytrace=False)


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
