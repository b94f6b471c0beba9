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


def test_site_builds_every_lesson():
    result = subprocess.run([sys.executable, "tools/build_site.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    site = ROOT / "build" / "site"
    lessons = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.stem for p in (site / "notebooks").glob("*.html")) == lessons
    index = (site / "index.html").read_text()
    assert all(f"notebooks/{stem}.html" in index for stem in lessons)
    welcome = (site / "notebooks" / "00_welcome.html").read_text()
    assert 'href="01_basic_tracking.html"' in welcome, "lesson links are not rewritten to the HTML pages"


def test_code_and_notebooks_are_ruff_clean():
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
