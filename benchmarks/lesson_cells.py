"""The slowest cells of every lesson, from executed notebooks' own per-cell timings.

    python benchmarks/lesson_cells.py                  # run every lesson at its defaults, then report
    python benchmarks/lesson_cells.py --executed DIR   # report on notebooks executed already
                                                       # (e.g. build/executed after `make test`)

Papermill records each cell's duration in the executed notebook; this prints the slowest
cells per lesson, and flags those over the 20 s a learner should ever wait for one cell
unless the cell says why (a comment or a note mentioning the wait right above it).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
LIMIT_S = 20.0
# Words with which a lesson tells the learner that a cell is slow, and why.
EXPLAINED = ("takes about", "takes a while", "a minute", "seconds", "first spark session", "starting")


def cell_durations(notebook: nbformat.NotebookNode) -> list[tuple[float, int, nbformat.NotebookNode]]:
    timed = []
    for index, cell in enumerate(notebook.cells):
        duration = cell.get("metadata", {}).get("papermill", {}).get("duration")
        if cell.cell_type == "code" and duration is not None:
            timed.append((float(duration), index, cell))
    return sorted(timed, key=lambda t: t[0], reverse=True)


def explained(notebook: nbformat.NotebookNode, index: int) -> bool:
    """Whether the cell, or the markdown right above it, tells the learner it takes time."""
    texts = [notebook.cells[index].source]
    if index and notebook.cells[index - 1].cell_type == "markdown":
        texts.append(notebook.cells[index - 1].source)
    return any(word in text.lower() for text in texts for word in EXPLAINED)


def execute_all(out: Path) -> None:
    from harness import execute_lesson

    from lab_utils.config import load_config

    os.environ.update(load_config().client_environment())
    out.mkdir(parents=True, exist_ok=True)
    for source in sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb")):
        started = time.perf_counter()
        execute_lesson(source, out / source.name, {}, cwd=ROOT / "notebooks")
        print(f"executed {source.name} in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def report(folder: Path, top: int) -> int:
    over = 0
    print(f"| lesson | total s | slowest cells (s) | over {LIMIT_S:.0f} s without a reason |")
    print("| --- | --- | --- | --- |")
    for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        timed = cell_durations(notebook)
        slow = [(d, i) for d, i, _ in timed if d > LIMIT_S and not explained(notebook, i)]
        over += len(slow)
        cells = ", ".join(f"[{i}] {d:.1f}" for d, i, _ in timed[:top])
        flagged = ", ".join(f"[{i}] {d:.1f}" for d, i in slow) or "none"
        print(f"| {path.stem} | {sum(d for d, _, _ in timed):.0f} | {cells} | {flagged} |")
    return over


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--executed", type=Path, help="a folder of executed notebooks (skip running them)")
    parser.add_argument("--top", type=int, default=3, help="slowest cells shown per lesson")
    args = parser.parse_args()
    folder = args.executed
    if folder is None:
        folder = ROOT / "build" / "benchmark-lessons"
        execute_all(folder)
    over = report(folder, args.top)
    print(f"\n{over} cell(s) over {LIMIT_S:.0f} s without a word to the learner (cell index in brackets).")


if __name__ == "__main__":
    main()
