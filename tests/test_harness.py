"""The harness that runs lessons: a cell that must raise must raise what it names."""

from __future__ import annotations

import nbformat
import pytest
from harness import LessonFailed, execute_lesson


def _notebook(path, source: str, tags: list[str]):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(source, metadata={"tags": tags})]
    nbformat.write(notebook, path)
    return path


def test_a_cell_must_raise_the_exception_it_names(tmp_path):
    typo = _notebook(tmp_path / "typo.ipynb", "int(nombre)", ["raises-exception", "raises:ValueError"])
    with pytest.raises(LessonFailed, match="should raise ValueError, raised NameError"):
        execute_lesson(typo, tmp_path / "typo-out.ipynb")
    right = _notebook(tmp_path / "right.ipynb", "int('three')", ["raises-exception", "raises:ValueError"])
    execute_lesson(right, tmp_path / "right-out.ipynb")


def test_a_cell_that_must_raise_and_does_not_fails_the_lesson(tmp_path):
    quiet = _notebook(tmp_path / "quiet.ipynb", "int('3')", ["raises-exception", "raises:ValueError"])
    with pytest.raises(LessonFailed, match="should raise and did not"):
        execute_lesson(quiet, tmp_path / "quiet-out.ipynb")


def test_a_watched_lesson_stops_a_process_group_at_once(tmp_path):
    """Under the watch, the test process adopts a lesson's orphans (it is their subreaper): it
    must reap them as init would, or a stopped server's group lingers as zombies and
    BackgroundProcess.stop() waits out its 20 s deadline."""
    import time

    from harness import ProcessWatch

    from lab_utils.processes import BackgroundProcess

    with ProcessWatch() as processes:
        server = BackgroundProcess(["bash", "-c", "sleep 60 & wait"], tmp_path / "log", lambda: True, "a server")
        server.start()
        time.sleep(0.5)
        started = time.monotonic()
        server.stop()
        elapsed = time.monotonic() - started
        assert not processes.left_running()
    assert elapsed < 10, f"stop() took {elapsed:.1f} s: the group's orphan was left a zombie until the deadline"
