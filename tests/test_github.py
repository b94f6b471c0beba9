"""What a fork runs on GitHub, checked here so a typo fails before it is pushed.

GitHub itself (the runners, Pages) cannot be reached from here: README, "Where it runs", says so.
What can be checked offline is: the workflows against GitHub's own workflow schema
(check-jsonschema's vendored copy) and zizmor's security audits; the pre-commit configuration
and its local hooks, run through pre-commit itself; and that the test workflow runs the
README's test command and nothing else.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent


def _run(*command: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=300)


def test_there_is_a_test_and_a_pages_workflow():
    assert [w.name for w in WORKFLOWS] == ["pages.yml", "test.yml"]


def test_the_workflows_follow_githubs_schema_and_a_broken_one_does_not(tmp_path):
    result = _run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *map(str, WORKFLOWS))
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"
    broken.write_text((ROOT / ".github/workflows/test.yml").read_text().replace("runs-on:", "runs_on:"))
    result = _run(str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken))
    assert result.returncode != 0, "a job without runs-on passed the schema"


def test_zizmor_finds_nothing_and_would_find_an_unpinned_action(tmp_path):
    result = _run(str(BIN / "zizmor"), "--offline", "--no-progress", str(ROOT / ".github" / "workflows"))
    assert result.returncode == 0, result.stdout + result.stderr
    unpinned = tmp_path / ".github" / "workflows" / "test.yml"
    unpinned.parent.mkdir(parents=True)
    text = (ROOT / ".github/workflows/test.yml").read_text()
    unpinned.write_text(text.replace("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", "actions/checkout@v4"))
    result = _run(str(BIN / "zizmor"), "--offline", "--no-progress", str(unpinned.parent))
    assert result.returncode != 0 and "unpinned" in result.stdout + result.stderr, result.stdout


def test_the_test_workflow_runs_the_readmes_test_command_and_keeps_the_executed_notebooks():
    workflow = yaml.safe_load((ROOT / ".github/workflows/test.yml").read_text())
    steps = workflow["jobs"]["test"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    assert commands == ["make test"], commands
    assert "make test" in (ROOT / "README.md").read_text()
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert uploads and uploads[0]["if"] == "failure()" and uploads[0]["with"]["path"] == "build/executed/"
    java = [s for s in steps if s.get("uses", "").startswith("actions/setup-java@")]
    assert java and str(java[0]["with"]["java-version"]) == "17"
    cache = [s for s in steps if s.get("uses", "").startswith("actions/cache@")]
    assert cache and "hashFiles('requirements.lock')" in cache[0]["with"]["key"]


def test_pages_builds_the_book_with_make_site_and_deploys_from_main_only():
    workflow = yaml.safe_load((ROOT / ".github/workflows/pages.yml").read_text())
    triggers = workflow[True] if True in workflow else workflow["on"]  # YAML 1.1 reads `on` as True
    assert triggers["push"]["branches"] == ["main"]
    build = workflow["jobs"]["build"]["steps"]
    assert [s["run"] for s in build if "run" in s] == ["make site"]
    assert any(s.get("uses", "").startswith("actions/upload-pages-artifact@") and s["with"]["path"] == "build/site"
               for s in build)
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in workflow["jobs"]["deploy"]["steps"])


@pytest.mark.parametrize("hook", ["github-workflows-schema", "github-workflows-zizmor", "ruff"])
def test_the_pre_commit_hooks_run_from_the_pinned_tools(hook, tmp_path):
    assert _run(str(BIN / "pre-commit"), "validate-config", ".pre-commit-config.yaml").returncode == 0
    result = subprocess.run([str(BIN / "pre-commit"), "run", hook, "--all-files"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, env={"PRE_COMMIT_HOME": str(tmp_path), "PATH": str(BIN) + ":/usr/bin:/bin",
                                                         "HOME": str(tmp_path)})
    assert result.returncode == 0 and "Passed" in result.stdout, result.stdout + result.stderr
