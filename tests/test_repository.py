"""The repository is consistent with itself: notebooks built from lessons, pins in sync."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_notebooks_match_their_lesson_sources():
    result = subprocess.run([sys.executable, "tools/build_notebooks.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_learner_notebooks_hold_no_solutions():
    import nbformat

    for path in (ROOT / "notebooks").glob("*.ipynb"):
        tags = [t for c in nbformat.read(path, as_version=4).cells for t in c.metadata.get("tags", [])]
        assert "solution" not in tags, path


def test_environment_yml_pins_match_the_lock():
    result = subprocess.run([sys.executable, "tools/sync_environment_yml.py", "--check"], cwd=ROOT,
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
