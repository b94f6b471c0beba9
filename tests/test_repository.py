"""The repository is consistent with itself: notebooks built from lessons, pins in sync."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def lesson_notebooks(folder: str) -> list[Path]:
    """Every edition's lesson notebooks in notebooks/ or solutions/ (JupyterLab's checkpoints aside)."""
    return sorted(p for p in (ROOT / folder).glob("**/[0-9][0-9]_*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def test_notebooks_match_their_lesson_sources():
    result = subprocess.run([sys.executable, "tools/build_notebooks.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_learner_notebooks_hold_no_solutions():
    import nbformat

    for path in lesson_notebooks("notebooks"):
        tags = [t for c in nbformat.read(path, as_version=4).cells for t in c.metadata.get("tags", [])]
        assert "solution" not in tags, path


def test_every_exercise_check_is_checked_in_the_learners_copy():
    """Each exercise has one check cell; in the learners' copy it is compared by nbval with the
    one note a first run prints, so an untouched copy must print exactly one note per exercise."""
    import nbformat
    from build_notebooks import EXERCISE_LABEL, LAB_LANG, lab_language

    from lab_utils.exercises import not_attempted_note

    for path in sorted(lesson_notebooks("notebooks")):
        checks = [c for c in nbformat.read(path, as_version=4).cells if "check-exercise" in c.metadata.get("tags", [])]
        assert checks, f"{path.name} has no exercise"
        labels = [label for c in checks for label in EXERCISE_LABEL.findall(c.source)]
        assert len(labels) == len(checks), f"{path.name}: a check cell without exactly one attempted(answer, label)"
        edition = "pt-BR" if path.parent.name == "pt-BR" else ""
        for cell, label in zip(checks, labels, strict=True):
            assert "nbval-check-output" in cell.metadata["tags"], f"{path.name}: {cell.source}"
            assert cell.execution_count is not None, f"{path.name}: nbval skips a cell that never ran"
            note = "".join(o.get("text", "") for o in cell.outputs)
            with lab_language(LAB_LANG[edition]):
                assert note == not_attempted_note(label) + "\n", f"{edition}/{path.name}: {note!r}"
        assert len(set(labels)) == len(labels), f"{path.name}: two exercises share a label: {labels}"


# What a stored output must not show: the building machine's absolute paths, ports of a
# test lab (the lab's own are below 10000), a warning per cell, a run link per run.
ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~])/(?:work|root|home|tmp|usr|opt|var|private|Users|mnt|srv)/[\w.-]+")
HIGH_PORT = re.compile(r"(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\]):(\d{5})\b")
# A Dockerfile's instructions name the image's file system, not this machine's.
DOCKERFILE_LINE = re.compile(r"(?m)^(?:FROM|RUN|COPY|WORKDIR|ENV|ENTRYPOINT|CMD) .*$")
WARNING = re.compile(r"\b[A-Z]\w*Warning: |\bWARNING\b")


# The building machine's user shows in its home folder's path, and the test labs' homes are
# `.lab-test…` (a learner's is `.lab`).
MACHINE_HOME = re.compile(re.escape(str(Path.home())) + r"\b|(?<![\w-])~[a-z_][\w-]*/|\.lab-test")
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
# An expected error shows the exception and its message (`%xmode Minimal`, as lesson 09 sets it),
# not the library's stack of calls: a traceback's lines, its message included, stay under this.
TRACEBACK_LINES = 20


def output_texts(path: Path):
    """Each stored output's text, as (stream name, text); an error gives two: ("error", its
    traceback as shown, colours removed) and ("error message", its message)."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                yield "error", ANSI.sub("", "\n".join(output.get("traceback", [])))
                yield "error message", output.get("evalue", "")
                continue
            text = output.get("text", "") or "\n".join(
                v for k, v in output.get("data", {}).items() if k.startswith("text/") and isinstance(v, str))
            yield output.get("name"), text


def stored_output_counts(folder: str = "notebooks") -> dict[str, dict[str, int]]:
    counts = {}
    for path in sorted(lesson_notebooks(folder)):
        c = counts[str(path.relative_to(ROOT / folder))] = {
            "paths": 0, "high ports": 0, "machine": 0, "long tracebacks": 0, "warnings": 0, "run links": 0}
        for stream, text in output_texts(path):
            c["paths"] += len(ABSOLUTE_PATH.findall(DOCKERFILE_LINE.sub("", text)))
            c["high ports"] += sum(int(port) > 10000 for port in HIGH_PORT.findall(text))
            c["machine"] += len(MACHINE_HOME.findall(text))
            c["run links"] += text.count("View run ")
            c["warnings"] += len(WARNING.findall(text)) if stream == "stderr" else 0
            c["long tracebacks"] += stream == "error" and len(text.splitlines()) > TRACEBACK_LINES
    return counts


@pytest.mark.parametrize("folder", ["notebooks", "solutions"])
def test_stored_outputs_read_as_a_first_pass(folder):
    """What every stored output shows, tracebacks included: no paths, users or test-lab ports of
    the building machine, short tracebacks, a warning and a run link per lesson at most."""
    counts = stored_output_counts(folder)
    total = {key: sum(c[key] for c in counts.values()) for key in next(iter(counts.values()))}
    report = "\n".join(f"{name}: {c}" for name, c in counts.items() if any(c.values()))
    for key in ("paths", "high ports", "machine", "long tracebacks"):
        assert total[key] == 0, f"{key}:\n{report}"
    assert total["warnings"] <= len(counts) and total["run links"] <= len(counts), report


def test_a_stored_traceback_is_scanned(tmp_path, monkeypatch):
    """The scan reads error outputs too: a long traceback with the machine's paths is counted."""
    import nbformat

    notebook = nbformat.v4.new_notebook()
    frames = [f"\x1b[32mFile \x1b[39m/work/main/.venv/lib/python3.11/site-packages/mlflow/x.py:{n}" for n in range(30)]
    notebook.cells = [nbformat.v4.new_code_cell("boom()", outputs=[nbformat.v4.new_output(
        "error", ename="MlflowException", evalue=f"at http://localhost:17200 in {Path.home()}/x", traceback=frames)])]
    (tmp_path / "notebooks").mkdir()
    nbformat.write(notebook, tmp_path / "notebooks" / "99_doctored.ipynb")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    counts = stored_output_counts("notebooks")["99_doctored.ipynb"]
    assert counts["paths"] == 31 and counts["high ports"] == 1 and counts["long tracebacks"] == 1, counts
    assert counts["machine"] == 1, counts


def test_environment_yml_pins_match_the_lock():
    result = subprocess.run([sys.executable, "tools/sync_environment_yml.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_and_notebooks_are_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


# --- where the lab runs: the supported Pythons, the Makefile's choices, the dev container ---

def _supported() -> list[str]:
    from lab_utils import _SUPPORTED_PYTHONS

    return ["{}.{}".format(*v) for v in _SUPPORTED_PYTHONS]


def test_supported_pythons_agree():
    import re

    supported = _supported()
    oldest, newest = supported[0], supported[-1]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^SUPPORTED_PYTHONS := (.*)$", makefile, re.M).group(1).split() == supported[::-1]
    pyproject = (ROOT / "pyproject.toml").read_text()
    major, minor = map(int, newest.split("."))
    assert f'requires-python = ">={oldest},<{major}.{minor + 1}"' in pyproject
    assert f'target-version = "py{oldest.replace(".", "")}"' in pyproject
    header = (ROOT / "requirements.lock").read_text().splitlines()[1]
    assert f"--universal --python-version {oldest} " in header, header
    assert f"Python {oldest}–{newest}" in (ROOT / "README.md").read_text()
    conda_python = re.search(r"^  - python=(\S+)$", (ROOT / "environment.yml").read_text(), re.M).group(1)
    assert conda_python in supported


def _make(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    import shutil

    return subprocess.run([shutil.which("make"), "--no-print-directory", "-C", str(ROOT), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_make_names_the_supported_range_for_an_unsupported_python(tmp_path):
    """A chosen Python the lab does not support is refused before anything changes."""
    import venv

    existing = tmp_path / "venv"  # a working .venv, which PYTHON=… would replace
    venv.create(existing, with_pip=False)
    older = sorted(Path.home().glob(".pyenv/versions/3.[0-9].*/bin/python3.[0-9]"))  # 3.0–3.9, if any
    for python in [str(tmp_path / "no-such-python3.9"), *map(str, older[-1:])]:
        result = _make("venv", f"PYTHON={python}", f"VENV={existing}")
        assert result.returncode != 0, result.stdout
        message = result.stdout + result.stderr
        supported = _supported()
        assert f"The lab runs on Python {supported[0]} to {supported[-1]}; {python} is " in message, message
        assert (existing / "bin" / "python").exists(), "the working .venv was removed"


def test_make_builds_with_the_newest_supported_python_on_path(tmp_path):
    import shutil

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    found = {}
    for version in _supported():
        for candidate in [shutil.which(f"python{version}"),
                          *sorted(Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}"))]:
            if candidate and subprocess.run([str(candidate), "-c", ""], capture_output=True).returncode == 0:
                (bin_dir / f"python{version}").symlink_to(Path(candidate).resolve())
                found[version] = candidate
                break
    if len(found) < 2:
        message = f"two supported Pythons are needed, found {sorted(found)} (pyenv install 3.10 3.12)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    newest = max(found, key=lambda v: tuple(map(int, v.split("."))))
    dry_run = _make("-n", "venv", f"VENV={tmp_path / 'venv'}", env={**os.environ, "PATH": str(bin_dir)})
    assert f"python{newest} -m venv {tmp_path / 'venv'}" in dry_run.stdout, dry_run.stdout + dry_run.stderr


def test_make_takes_the_systems_own_build_of_a_version_when_it_has_venv(tmp_path):
    """Of two builds of the same Python version, .venv is made with the system's (an optimised
    build on Debian and Ubuntu), unless it lacks venv; PATH's is taken then."""
    version = "{}.{}".format(*sys.version_info[:2])
    base = getattr(sys, "_base_executable", sys.executable)
    system, path = tmp_path / "system", tmp_path / "bin"
    system.mkdir()
    path.mkdir()
    (system / f"python{version}").symlink_to(Path(base).resolve())
    (path / f"python{version}").symlink_to(Path(base).resolve())
    env = {**os.environ, "PATH": str(path)}
    dry_run = _make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"SYSTEM_BIN={system}", env=env)
    assert f"{system}/python{version} -m venv {tmp_path / 'venv'}" in dry_run.stdout, dry_run.stdout + dry_run.stderr
    # A system Python without venv (Debian's python3-venv not installed) is passed over.
    (system / f"python{version}").unlink()
    (system / f"python{version}").write_text("#!/bin/sh\nexit 1\n")
    (system / f"python{version}").chmod(0o755)
    dry_run = _make("-n", "venv", f"VENV={tmp_path / 'venv'}", f"SYSTEM_BIN={system}", env=env)
    assert f"\npython{version} -m venv {tmp_path / 'venv'}" in dry_run.stdout, dry_run.stdout + dry_run.stderr


def test_make_sends_native_windows_to_wsl2():
    english = {k: v for k, v in os.environ.items() if k not in ("LAB_LANG", "LANG", "LC_ALL", "LANGUAGE")}
    result = _make("lab", "OS=Windows_NT", env=english)
    assert result.returncode != 0
    assert "WSL2" in result.stderr and "Where it runs" in result.stderr, result.stderr
    assert not result.stdout, "make ran something on native Windows"
    # A Portuguese learner is told in Portuguese, and pointed at the section of README.pt-BR that exists.
    result = _make("lab", "OS=Windows_NT", env={**english, "LAB_LANG": "pt_BR"})
    assert result.returncode != 0 and not result.stdout
    assert "WSL2" in result.stderr and 'README.pt-BR.md, seção "Onde roda"' in result.stderr, result.stderr
    assert "\n## Onde roda\n" in (ROOT / "README.pt-BR.md").read_text()


def test_dev_container_sets_up_with_the_readme_commands():
    import json
    import re

    config = json.loads((ROOT / ".devcontainer" / "devcontainer.json").read_text())
    readme = (ROOT / "README.md").read_text()
    two_commands = readme.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    commands = [line.split("#", 1)[0].strip()
                for line in two_commands.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()]
    assert config["postAttachCommand"] == commands[0] == "make lab"  # the lab starts as the README starts it
    # ... and is set up, when the container is created, by the part of it the README names
    assert config["onCreateCommand"] == "make venv" and "`make venv` does the installing part of `make lab`" in (
        " ".join(two_commands.split()))
    assert re.search(r"^lab: venv$", (ROOT / "Makefile").read_text(), re.M)
    image_python = re.search(r"python:\d+-(\d+\.\d+)-bookworm$", config["image"])  # Debian 12
    assert image_python and image_python.group(1) in _supported(), config["image"]
    assert "ghcr.io/devcontainers/features/java:1" in config["features"]
    assert config["features"]["ghcr.io/devcontainers/features/java:1"]["version"] == "17"
    from lab_stack.config import DEFAULTS

    ports = {int(DEFAULTS[f"LAB_{name}_PORT"]) for name in ("MLFLOW", "S3", "PREFECT", "JUPYTER")}
    assert set(config["forwardPorts"]) == ports
    assert all(config["portsAttributes"][str(port)]["label"] for port in ports)
    assert config["containerEnv"]["LAB_ALLOWED_HOSTS"] == "*.app.github.dev"


def test_a_lesson_changed_without_a_rebuild_is_caught(tmp_path):
    """Rebuilding the notebooks without running them keeps old outputs: `--check` says so."""
    import shutil

    for folder in ("tools", "lessons", "notebooks", "solutions"):
        shutil.copytree(ROOT / folder, tmp_path / folder)
    lesson = tmp_path / "lessons" / "04_model_registry.py"
    lesson.write_text(lesson.read_text() + "\n# %%\nprint('a cell added later')\n")
    build = [sys.executable, "tools/build_notebooks.py"]
    assert subprocess.run([*build, "04"], cwd=tmp_path, capture_output=True).returncode == 0
    result = subprocess.run([*build, "--check", "04"], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 1, result.stdout
    assert "04_model_registry.ipynb (outputs come from an older version of the lesson)" in result.stdout


def test_both_editions_store_outputs_of_the_same_pass():
    """The suite's untouched learners' pass runs one edition of each lesson (tests/test_notebooks.py);
    the other edition's stored outputs must come from the same kind of pass: cell by cell, the
    two editions of a learners' copy show the same kinds of output (stdout, stderr, each rich
    type, each error by name), each as many lines long — only their words differ."""
    import nbformat
    from harness import output_view

    def shape(cell):
        return [(kind, len(text.splitlines())) for kind, text in output_view(cell)]

    differences = []
    for english in lesson_notebooks("notebooks"):
        portuguese = ROOT / "notebooks" / "pt-BR" / english.name
        if english.parent.name == "pt-BR" or not portuguese.exists():
            continue
        cells = {c.id: c for c in nbformat.read(portuguese, as_version=4).cells if c.cell_type == "code"}
        for cell in nbformat.read(english, as_version=4).cells:
            if cell.cell_type == "code" and cell.id in cells and shape(cell) != shape(cells[cell.id]):
                differences.append(f"{english.name} cell {cell.id}: en {shape(cell)} / pt-BR {shape(cells[cell.id])}")
    assert not differences, "\n".join(differences)


def test_an_edition_stored_from_another_pass_is_caught(tmp_path, monkeypatch):
    """The English copy shows a line that only the solutions' pass prints: the editions differ."""
    import nbformat

    for edition, lines in (("", "· Milestone 4 not attempted yet\nchampion: version 4\n"),
                           ("pt-BR", "· Marco 4 ainda não tentado\n")):
        notebook = nbformat.v4.new_notebook()
        notebook.cells = [nbformat.v4.new_code_cell("check()", id="10-001", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=lines)])]
        (tmp_path / "notebooks" / edition).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, tmp_path / "notebooks" / edition / "10_capstone_production.ipynb")
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    with pytest.raises(AssertionError, match=r"10_capstone_production.ipynb cell 10-001: en \[\('stdout', 2\)\]"):
        test_both_editions_store_outputs_of_the_same_pass()
