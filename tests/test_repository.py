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


def output_texts(path: Path):
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        for output in cell.get("outputs", []):
            text = output.get("text", "") or "\n".join(
                v for k, v in output.get("data", {}).items() if k.startswith("text/") and isinstance(v, str))
            yield output.get("name"), text


def stored_output_counts() -> dict[str, dict[str, int]]:
    counts = {}
    for path in sorted(lesson_notebooks("notebooks")):
        c = counts[str(path.relative_to(ROOT / "notebooks"))] = {"paths": 0, "high ports": 0, "warnings": 0, "run links": 0}
        for stream, text in output_texts(path):
            c["paths"] += len(ABSOLUTE_PATH.findall(DOCKERFILE_LINE.sub("", text)))
            c["high ports"] += sum(int(port) > 10000 for port in HIGH_PORT.findall(text))
            c["run links"] += text.count("View run ")
            c["warnings"] += len(WARNING.findall(text)) if stream == "stderr" else 0
    return counts


def test_stored_outputs_read_as_a_first_pass():
    counts = stored_output_counts()
    total = {key: sum(c[key] for c in counts.values()) for key in ("paths", "high ports", "warnings", "run links")}
    report = "\n".join(f"{name}: {c}" for name, c in counts.items())
    assert total["paths"] == 0 and total["high ports"] == 0, report
    assert total["warnings"] <= len(counts) and total["run links"] <= len(counts), report


def test_environment_yml_pins_match_the_lock():
    result = subprocess.run([sys.executable, "tools/sync_environment_yml.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_site_builds_every_lesson_in_both_editions():
    result = subprocess.run([sys.executable, "tools/build_site.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    site = ROOT / "build" / "site"
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    for book, other in ((site, site / "pt-BR"), (site / "pt-BR", site)):
        assert sorted(p.stem for p in (book / "notebooks").glob("*.html")) == lessons
        index = (book / "index.html").read_text()
        assert all(f"notebooks/{stem}.html" in index for stem in lessons)
        welcome = (book / "notebooks" / "00_welcome.html").read_text()
        assert 'href="01_basic_tracking.html"' in welcome, "lesson links are not rewritten to the HTML pages"
        assert 'href="../index.html"' in welcome, "the contents link does not lead to the book's index"
        # The language switch leads to the same lesson in the other edition.
        switch = re.search(r'<a href="([^"]+)">(In English|Em português)</a>', welcome)
        assert switch and (book / "notebooks" / switch.group(1)).resolve() == other / "notebooks" / "00_welcome.html"
    assert "Boas-vindas ao laboratório" in (site / "pt-BR" / "notebooks" / "00_welcome.html").read_text()


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


def test_make_sends_native_windows_to_wsl2():
    result = _make("lab", "OS=Windows_NT")
    assert result.returncode != 0
    assert "WSL2" in result.stderr and "Where it runs" in result.stderr, result.stderr
    assert not result.stdout, "make ran something on native Windows"


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
