"""Run lessons against the lab this shell points at (`eval "$(lab env)"`), as CI runs them.

    python tools/try_lessons.py 00 01 02            # the solutions copies, exercises required
    python tools/try_lessons.py 02 --learners       # the learners' copy, exercises untouched
    python tools/try_lessons.py 04 --edition pt-BR  # the Portuguese edition

Each lesson is built from `lessons/` into build/try/<lab>/ (the committed notebooks are not
touched), executed with papermill, and reported: failures with the cell, the notes a
learners' copy prints per exercise, and the slowest cells.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT)]

from build_notebooks import LAB_LANG, build, lesson_sources  # noqa: E402
from harness import LessonFailed, execute_lesson  # noqa: E402


def cell_seconds(cell) -> float:
    from datetime import datetime

    meta = cell.metadata.get("papermill", {})
    if not meta.get("start_time") or not meta.get("end_time"):
        return 0.0
    start, end = (datetime.fromisoformat(meta[k].replace("Z", "+00:00")) for k in ("start_time", "end_time"))
    return (end - start).total_seconds()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="+", help="lesson numbers, e.g. 00 01")
    parser.add_argument("--learners", action="store_true", help="run the learners' copy instead of the solutions")
    parser.add_argument("--edition", default="", choices=["", "pt-BR"], help="pt-BR runs the Portuguese edition")
    parser.add_argument("-p", "--parameter", action="append", default=[], help="name=value for the parameters cell")
    args = parser.parse_args()
    sources = lesson_sources(args.edition)
    os.environ["LAB_LANG"] = LAB_LANG[args.edition]
    variant = "notebooks" if args.learners else "solutions"
    if args.learners:
        os.environ.pop("LAB_REQUIRE_EXERCISES", None)
    else:
        os.environ["LAB_REQUIRE_EXERCISES"] = "1"
    parameters = {k: eval(v) for k, v in (p.split("=", 1) for p in args.parameter)}  # noqa: S307 (author's own input)
    # One folder per lab, so that two labs trying the same lesson do not overwrite each other.
    lab = Path(os.environ.get("LAB_HOME", ".lab")).name
    out = ROOT / "build" / "try" / lab / variant / args.edition
    out.mkdir(parents=True, exist_ok=True)
    status = 0
    # A number names every lesson that starts with it: 05 runs both parts of lesson 05.
    chosen = [s for number in args.lessons for s in sources if s.name.startswith(number)]
    missing = [n for n in args.lessons if not any(s.name.startswith(n) for s in sources)]
    if missing:
        print(f"no lesson {' '.join(missing)}")
        return 2
    for source in chosen:
        path = out / f"{source.stem}.ipynb"
        nbformat.write(build(source, sources, variant), path)
        try:
            executed = execute_lesson(path, path, parameters, cwd=ROOT / "notebooks" / args.edition)
        except LessonFailed as failure:
            print(f"✗ {source.stem}: {failure}")
            status = 1
            continue
        notes = sum(o.get("text", "").startswith("· ") for c in executed.cells
                    if "check-exercise" in c.metadata.get("tags", []) for o in c.outputs)
        slow = sorted(((cell_seconds(c), c.id) for c in executed.cells if c.cell_type == "code"), reverse=True)[:3]
        print(f"✓ {source.stem} ({variant}): {notes} 'not attempted' notes; slowest cells "
              + ", ".join(f"{cid} {s:.1f}s" for s, cid in slow) + f"  -> {path.relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
