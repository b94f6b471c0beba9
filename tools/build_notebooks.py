"""Build the lesson notebooks from their sources in `lessons/`.

Each `lessons/NN_topic.py` (jupytext percent format) is the one source of a lesson. It
becomes two notebooks that never drift apart:
- `notebooks/NN_topic.ipynb`: what learners open; exercise cells, no solutions;
- `solutions/NN_topic.ipynb`: the same lesson with the worked solutions (CI runs these).

Cells tagged `exercise` appear only in the first, cells tagged `solution` only in the second.
Every notebook gets "previous / contents / next" links.

Stored outputs are what a reader's own first pass through a new lab prints: `--execute` starts
a throwaway lab at the default home and addresses (`.lab`, localhost:5000, ...), runs the
LEARNERS' copies in order from 00, exercises untouched, and stores their outputs in notebooks/;
then, on another new lab, runs the SOLUTIONS copies in order (every exercise answered) and stores
theirs in solutions/ — a learners' copy never shows what only a worked solution prints. After the
English solutions it photographs the lessons' runs in the MLflow and Prefect UIs for
docs/screenshots/ (when it ran them all). Each lab is deleted after its pass. Each notebook
records the hash of the lesson source its outputs came from, so a lesson changed without a
rebuild is caught. tests/test_notebooks.py compares the stored learners' outputs with a fresh
untouched pass (ids, times and numbers masked: harness.OUTPUT_MASKS).

    python tools/build_notebooks.py            # write the notebooks (outputs kept where cells are unchanged)
    python tools/build_notebooks.py --execute  # also run the lessons on a new lab and store their outputs
                                               # (each edition on a new lab of its own)
    python tools/build_notebooks.py --check    # exit 1 when a notebook differs from its source or outputs
    # try the executed build beside a running lab, on a test slot's home and ports, into build/:
    TEST_LAB_SLOT=6 … LAB_HOME=.lab-try LAB_MLFLOW_PORT=… python tools/build_notebooks.py --execute \
        --lab-from-env --out build/try-build 00 01 --editions en
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import re
import sys
from contextlib import contextmanager
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parents[1]
LESSONS = ROOT / "lessons"
VARIANTS = {"notebooks": "solution", "solutions": "exercise"}  # folder -> tag it leaves out
# A check cell's output in the learners' copy would show a ✓ they have not earned yet: it shows
# the note a learner's first run prints, and CI (nbval) checks that the untouched copy prints
# exactly that note, once per exercise.
CHECK_TAG = "check-exercise"
NO_OUTPUT_FOR_LEARNERS = {CHECK_TAG}
NBVAL_CHECK = "nbval-check-output"
EXERCISE_LABEL = re.compile(r"""lab_utils\.attempted\([^()]*?,\s*["']([^"']+)["']\)""")
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
# Notebook metadata: the hash of the lesson source the stored outputs came from.
OUTPUTS_KEY = "dataflow_lab_outputs_from"


def source_hash(source: Path) -> str:
    """The hash of what decides a lesson's outputs: its code cells and their tags. Prose (a
    markdown cell) can change without a re-run; any change to code asks for one."""
    cells = jupytext.read(source, fmt="py:percent").cells
    code = [(c.source, sorted(c.metadata.get("tags", []))) for c in cells if c.cell_type == "code"]
    return hashlib.sha256(repr(code).encode()).hexdigest()[:16]


# The lessons' editions: English in lessons/, Portuguese (Brazil) in lessons/pt-BR/, each built
# into the same sub-folder of notebooks/ and solutions/. Their code is one program
# (tests/test_editions.py).
EDITIONS = ("", "pt-BR")
CONTENTS = {"": "[Contents](../README.md#lessons)", "pt-BR": "[Sumário](../../README.pt-BR.md#lições)"}
# The language of what lab_utils prints in each edition (LAB_LANG, lab_utils/i18n.py): its stored
# notes, and its kernels when it runs, whatever the locale of the building machine.
LAB_LANG = {"": "en", "pt-BR": "pt_BR"}


def lesson_sources(edition: str = "") -> list[Path]:
    return sorted((LESSONS / edition).glob("[0-9][0-9]_*.py"))


def notebook_paths(source: Path, edition: str) -> dict[str, Path]:
    return {variant: ROOT / variant / edition / f"{source.stem}.ipynb" for variant in VARIANTS}


def title_of(source: Path) -> str:
    for line in source.read_text().splitlines():
        if line.startswith("# # "):
            return line[4:].strip()
    return source.stem


def navigation(sources: list[Path], index: int) -> str:
    parts = []
    if index > 0:
        prev = sources[index - 1]
        parts.append(f"[← {title_of(prev)}]({prev.stem}.ipynb)")
    parts.append(CONTENTS[edition_of(sources[index])])
    if index + 1 < len(sources):
        nxt = sources[index + 1]
        parts.append(f"[{title_of(nxt)} →]({nxt.stem}.ipynb)")
    return " · ".join(parts)


def build(source: Path, sources: list[Path], variant: str) -> nbformat.NotebookNode:
    notebook = jupytext.read(source, fmt="py:percent")
    leave_out = VARIANTS[variant]
    notebook.cells = [c for c in notebook.cells if leave_out not in c.metadata.get("tags", [])]
    nav = navigation(sources, sources.index(source))
    notebook.cells.insert(1, nbformat.v4.new_markdown_cell(nav, metadata={"tags": ["navigation"]}))
    notebook.cells.append(nbformat.v4.new_markdown_cell(nav, metadata={"tags": ["navigation"]}))
    notebook.metadata = {
        "kernelspec": KERNELSPEC,
        "language_info": {"name": "python", "version": "3.11"},
    }
    code_cells = 0
    for number, cell in enumerate(notebook.cells):
        cell.id = f"{source.stem[:2]}-{number:03d}"
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            code_cells += 1
        if variant == "notebooks" and CHECK_TAG in cell.metadata.get("tags", []):
            cell.metadata["tags"] = [*cell.metadata["tags"], NBVAL_CHECK]
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=learners_note(source, cell))]
            # As a learner's run from the top numbers it (nbval compares only cells that ran).
            cell.execution_count = code_cells
    return notebook


def edition_of(source: Path) -> str:
    return "" if source.parent == LESSONS else source.parent.name


@contextmanager
def lab_language(language: str):
    """LAB_LANG set to `language` inside the block, as it was after it."""
    saved = os.environ.get("LAB_LANG")
    os.environ["LAB_LANG"] = language
    try:
        yield
    finally:
        if saved is None:
            del os.environ["LAB_LANG"]
        else:
            os.environ["LAB_LANG"] = saved


def learners_note(source: Path, cell) -> str:
    """What a check cell prints on a learner's first run, in the edition's language: the one
    note of its exercise."""
    from lab_utils.exercises import not_attempted_note

    labels = EXERCISE_LABEL.findall(cell.source)
    if len(labels) != 1:
        raise SystemExit(f"{source.name}: a check-exercise cell must call lab_utils.attempted(answer, \"<label>\") "
                         f"exactly once (found {len(labels)}):\n{cell.source}")
    with lab_language(LAB_LANG[edition_of(source)]):
        return not_attempted_note(labels[0]) + "\n"


def _key(cell) -> tuple[str, str]:
    return cell.cell_type, cell.source


def carry_outputs(target: nbformat.NotebookNode, executed: nbformat.NotebookNode, variant: str) -> None:
    """Copy outputs from an executed notebook into cells with the same source."""
    outputs = {_key(c): c for c in executed.cells if c.cell_type == "code"}
    for cell in target.cells:
        if cell.cell_type != "code" or _key(cell) not in outputs:
            continue
        if variant == "notebooks" and NO_OUTPUT_FOR_LEARNERS & set(cell.metadata.get("tags", [])):
            continue
        cell.outputs = copy.deepcopy(outputs[_key(cell)].outputs)
        cell.execution_count = outputs[_key(cell)].execution_count


def strip(notebook: nbformat.NotebookNode) -> list[tuple[str, str, list[str]]]:
    return [(c.cell_type, c.source, sorted(c.metadata.get("tags", []))) for c in notebook.cells]


def execute(path: Path, cwd: Path) -> nbformat.NotebookNode:
    """Run the notebook at `path` with papermill, in place: it is kept executed, with papermill's
    per-cell timings (`benchmarks/lesson_cells.py --executed build/first-pass/solutions`)."""
    from harness import execute_lesson

    executed = execute_lesson(path, path, cwd=cwd)
    executed = copy.deepcopy(executed)
    executed.cells = [c for c in executed.cells if "injected-parameters" not in c.metadata.get("tags", [])]
    return executed


@contextmanager
def first_pass_lab(language: str, lab_from_env: bool = False):
    """A new lab at the default home and addresses, as a learner's first `make lab` makes it,
    speaking `language` (LAB_LANG); deleted afterwards. Refused while another lab occupies that home.
    With `lab_from_env`, the home and ports are the environment's LAB_* settings instead (a test
    lab's, to try the build beside a running lab); that home must not exist either."""
    sys.path.insert(0, str(ROOT))
    from lab_stack import stack
    from lab_stack.config import load_config
    from lab_utils.errors import LabError

    for name in [n for n in os.environ if n.startswith("LAB_")]:
        if not lab_from_env or name not in LAB_ADDRESS_SETTINGS:
            del os.environ[name]
    config = load_config()
    if config.home.exists():
        raise LabError(f"{config.home} exists: outputs are made on a new lab at the default home and addresses. "
                       "Stop your lab (`make down`) and move that folder aside (or `lab export` it and "
                       "`lab reset`), then run `make notebooks` again.")
    try:
        stack.up(config)
        os.environ.update(config.client_environment())
        wait_until_a_notebook_connects()
        with lab_language(language):
            yield config
    finally:
        stack.reset(config)


def wait_until_a_notebook_connects(seconds: float = 120) -> None:
    """The checks `lab_utils.connect()` makes in a lesson's first cell, repeated until they pass:
    on a busy machine a service just started answers them slowly at first, and a first cell
    that failed on it would fail the whole pass."""
    import time

    from lab_utils import doctor
    from lab_utils.config import load_config
    from lab_utils.errors import LabError

    deadline = time.monotonic() + seconds
    while True:
        config = load_config()
        try:
            doctor.check_tracking_server(config, config.tracking_uri)
            doctor.check_s3_keys(config)
            doctor.check_prefect(config)
            return
        except (doctor.CheckFailed, LabError):
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


# What --lab-from-env takes from the environment: where the lab lives and listens.
LAB_ADDRESS_SETTINGS = ("LAB_HOME", "LAB_MLFLOW_PORT", "LAB_S3_PORT", "LAB_PREFECT_PORT", "LAB_JUPYTER_PORT",
                        "LAB_SPARK_MASTER_PORT", "LAB_SPARK_UI_PORT")


def check_learners_notes(executed: nbformat.NotebookNode, source: Path) -> None:
    """An untouched learners' copy prints, in each check cell, its exercise's one note: else the
    stored copy would show a learner something their pass does not print."""
    for cell in executed.cells:
        if CHECK_TAG in cell.metadata.get("tags", []):
            printed = "".join(o.get("text", "") for o in cell.outputs)
            if printed != learners_note(source, cell):
                raise SystemExit(f"{source.name}: the untouched learners' copy printed {printed!r} in a check "
                                 f"cell, not its exercise's note:\n{cell.source}")


def first_pass(edition: str, sources: list[Path], last: int, variant: str, out: Path = ROOT,
               lab_from_env: bool = False, screenshots: bool = True) -> None:
    """Run one copy (`variant`: "notebooks", the learners' copies, exercises untouched; or
    "solutions", every exercise answered) of an edition's lessons 00..last in order on a new lab of
    its own, and store their outputs in that copy only. The learners' copies are never given the
    solutions' outputs: what a learner reads is what their own untouched pass prints. After the
    whole English edition's solutions, photograph the lessons' runs for docs/screenshots/."""
    with first_pass_lab(LAB_LANG[edition], lab_from_env) as config:
        # In the solutions an unanswered exercise fails the build; in a learner's copy its check
        # prints its note (first_pass_lab has cleared every other LAB_* setting).
        if variant == "solutions":
            os.environ["LAB_REQUIRE_EXERCISES"] = "1"
        try:
            for source in sources[: last + 1]:
                built = build(source, sources, variant)
                path = notebook_paths(source, edition)[variant]
                path = out / path.relative_to(ROOT)
                kept = ROOT / "build" / "first-pass" / variant / edition / path.name
                print(f"executing {Path(variant) / edition / path.name} …", flush=True)
                kept.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(built, kept)
                executed = execute(kept, cwd=ROOT / "notebooks" / edition)
                if variant == "notebooks":
                    check_learners_notes(executed, source)
                built.metadata[OUTPUTS_KEY] = source_hash(source)
                carry_outputs(built, executed, variant)
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(built, path)
            if variant == "solutions" and edition == "" and last == len(sources) - 1 and screenshots:
                from screenshots import take_lesson_screenshots

                print("screenshots of the lessons' runs -> docs/screenshots/", flush=True)
                take_lesson_screenshots(config, ROOT / "docs" / "screenshots")
        finally:
            os.environ.pop("LAB_REQUIRE_EXERCISES", None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run the lessons and store their outputs")
    parser.add_argument("--check", action="store_true", help="fail when a notebook is out of date")
    parser.add_argument("--lab-from-env", action="store_true",
                        help="with --execute: run on a new lab at the environment's LAB_HOME and LAB_*_PORT "
                             "(e.g. a test slot's) instead of the default home and addresses; no screenshots")
    parser.add_argument("--out", type=Path, default=ROOT,
                        help="with --execute: write the executed notebooks under OUT/notebooks and OUT/solutions "
                             "(e.g. build/try-build) instead of the committed ones")
    parser.add_argument("--copies", nargs="+", choices=list(VARIANTS), default=list(VARIANTS),
                        help="with --execute: which copies to run (default: both, the learners' first)")
    parser.add_argument("--editions", nargs="+", choices=["en", "pt-BR"], default=["en", "pt-BR"],
                        help="with --execute: which editions to run (default: both)")
    parser.add_argument("lessons", nargs="*", help="lesson numbers or names to build (default: all)")
    args = parser.parse_args()
    out = args.out.resolve()
    stale = []
    for edition in EDITIONS:
        sources = lesson_sources(edition)
        chosen = [s for s in sources if not args.lessons or any(s.stem.startswith(x) for x in args.lessons)]
        for source in chosen:
            built = {variant: build(source, sources, variant) for variant in VARIANTS}
            paths = notebook_paths(source, edition)
            if args.check:
                for variant, path in paths.items():
                    if not path.exists() or strip(nbformat.read(path, as_version=4)) != strip(built[variant]):
                        stale.append(f"{path.relative_to(ROOT)} (cells differ from the lesson)")
                    elif nbformat.read(path, as_version=4).metadata.get(OUTPUTS_KEY) != source_hash(source):
                        stale.append(f"{path.relative_to(ROOT)} (outputs come from an older version of the lesson)")
                continue
            if args.execute and out != ROOT:
                continue  # only the executed copies are written, under --out
            for variant, path in paths.items():
                if path.exists():
                    previous = nbformat.read(path, as_version=4)
                    carry_outputs(built[variant], previous, variant)
                    if OUTPUTS_KEY in previous.metadata:
                        built[variant].metadata[OUTPUTS_KEY] = previous.metadata[OUTPUTS_KEY]
                path.parent.mkdir(parents=True, exist_ok=True)
                nbformat.write(built[variant], path)
            print(f"built {Path(edition) / source.stem}")
        if args.execute and chosen and (edition or "en") in args.editions:
            last = max(sources.index(s) for s in chosen)
            for variant in args.copies:  # one new lab each, one after the other
                first_pass(edition, sources, last, variant, out=out, lab_from_env=args.lab_from_env,
                           screenshots=out == ROOT and not args.lab_from_env)
    if stale:
        print("Out of date with lessons/ (run `make notebooks`):\n  " + "\n  ".join(map(str, stale)))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
