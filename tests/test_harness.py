"""The harness that runs lessons: a cell that must raise must raise what it names."""

from __future__ import annotations

import copy

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


def _executed(*outputs_per_cell):
    """A notebook whose code cells (ids c0, c1, …) hold these outputs."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(f"cell_{n}()", outputs=list(outputs), id=f"c{n}")
                      for n, outputs in enumerate(outputs_per_cell)]
    return notebook


def _stdout(text):
    return nbformat.v4.new_output("stream", name="stdout", text=text)


def test_a_learners_pass_matches_its_stored_outputs_despite_ids_times_and_numbers():
    """What differs from one pass (or lab) to another is masked: run and model ids, hashes,
    UUIDs, times, durations, hosts and ports, a lab's home, numbers, column widths, how a
    kernel split a stream, how many experiment folders a bucket listing shows; an image is compared by
    its type, not its bytes."""
    from harness import compare_outputs

    stored = _executed(
        [_stdout("experiment id: 2\nrmse 18,673 CAD\nin the UI: http://localhost:5000/#/experiments/2/runs/"
                 "b4f2f5003d0d43b1a0e09aab032784d1\n"),
         _stdout("✓ run b4f2f500… is on the server\n")],
        [_stdout("logged model: models:/m-b28e375014c045afb25e1087e88e63bc in 850 ms at 2026-11-29 17:01:03\n"),
         nbformat.v4.new_output("display_data", data={"image/png": "iVBORw0KGgo=", "text/plain": "<Figure size 600x350>"})],
        [_stdout("flow run 'crimson-lemur' 1f0e8f6a-3c2b-4d1e-9a7b-0c5d6e7f8a9b\n.lab/logs/mlflow.log\n"
                 "   alpha   rmse\n0   0.1   9,876.5\ns3://mlflow/ holds ['0/', '1/', '2/', '4/', '5/']\n")],
        [nbformat.v4.new_output("error", ename="RestException", evalue="Model Version (version=999) not found",
                                traceback=["\x1b[31mRestException\x1b[39m: …"])],
    )
    got = _executed(
        [_stdout("experiment id: 17\nrmse 19,002 CAD\nin the UI: http://127.0.0.1:17200/#/experiments/17/runs/"
                 "0a1b2c3d4e5f60718293a4b5c6d7e8f9\n✓ run bbecbbff… is on the server\n")],  # no digit in 8 hex letters
        [_stdout("logged model: models:/m-0123456789abcdef0123456789abcdef in 1.2 s at 2026-12-07 05:31:44\n"),
         nbformat.v4.new_output("display_data", data={"image/png": "AAAA", "text/plain": "<Figure size 600x350>"})],
        [_stdout("flow run 'brave-otter' 2a0e8f6a-3c2b-4d1e-9a7b-0c5d6e7f8a9c\n.lab-test-slot6/logs/mlflow.log\n"
                 "   alpha       rmse\n0   0.1   10,234.25\ns3://mlflow/ holds ['0/', '1/', '3/']\n")],
        [nbformat.v4.new_output("error", ename="RestException", evalue="Model Version (version=1000) not found",
                                traceback=["RestException: a longer traceback", "frame"])],
    )
    assert compare_outputs(stored, got, "lesson") == []


def test_a_doctored_stored_output_fails_the_comparison():
    """Words, an alias, a missing line or output, another error, an image where text was: each is
    a difference, reported with the cell and what was stored against what the pass printed."""
    from harness import compare_outputs

    got = _executed(
        [_stdout("previsao_precos: versions 1…3, aliases {'champion': '3'}\n"
                 "previsao_precos_anuncios: versions 1…1, aliases {}\n")],
        [_stdout("· Milestone 4 not attempted yet\n")],
        [nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>", "image/png": "AAAA"})],
        [nbformat.v4.new_output("error", ename="RestException", evalue="not found", traceback=[])],
    )
    doctored = {
        "an alias only the solution sets": [_stdout(
            "previsao_precos: versions 1…3, aliases {'champion': '3'}\n"
            "previsao_precos_anuncios: versions 1…1, aliases {'champion': '1'}\n")],
        "a line the pass does not print": [_stdout("· Milestone 4 not attempted yet\nchampion: version 4\n")],
        "an image the pass does not draw": [nbformat.v4.new_output("display_data", data={"text/plain": "<Figure>"})],
        "another error": [nbformat.v4.new_output("error", ename="MlflowException", evalue="not found", traceback=[])],
    }
    for number, (why, outputs) in enumerate(doctored.items()):
        stored = copy.deepcopy(got)
        stored.cells[number].outputs = outputs
        differences = compare_outputs(stored, got, "lesson")
        assert len(differences) == 1 and differences[0].startswith(f"lesson cell c{number} (cell_{number}()):"), \
            (why, differences)
    stored = copy.deepcopy(got)
    stored.cells[1].outputs = [_stdout("· Milestone 4 done: champion version 4, validation RMSE 17,100\n")]
    [difference] = compare_outputs(stored, got, "lesson")
    assert "-[stdout] · Milestone # done: champion version #, validation RMSE #" in difference, difference
    assert "+[stdout] · Milestone # not attempted yet" in difference, difference
