"""Lesson 03 on the lab's Spark standalone cluster (master and worker started by `lab spark up`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import requests
from harness import execute_lesson
from test_notebooks import CI_PARAMETERS

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent


def test_lesson_03_runs_on_the_standalone_cluster(lab):
    up = subprocess.run([str(BIN / "lab"), "spark", "up"], capture_output=True, text=True, env=dict(os.environ))
    assert up.returncode == 0, up.stderr
    try:
        status = requests.get(f"{lab.spark_ui_url}/json/", timeout=5).json()
        assert status["status"] == "ALIVE" and status["aliveworkers"] == 1, status
        execute_lesson(ROOT / "solutions" / "03_spark_models.ipynb", ROOT / "build" / "executed" / "03_on_cluster.ipynb",
                       {**CI_PARAMETERS["03_spark_models"], "spark_master": lab.spark_master_url},
                       cwd=ROOT / "notebooks")
        status = requests.get(f"{lab.spark_ui_url}/json/", timeout=5).json()
    finally:
        subprocess.run([str(BIN / "lab"), "spark", "down"], capture_output=True, env=dict(os.environ))
    apps = [app for app in status["completedapps"] if app["name"] == "lesson-03-spark-models"]
    assert apps, f"the master ran no lesson-03 application: {[a['name'] for a in status['completedapps']]}"
    assert apps[-1]["state"] == "FINISHED", apps[-1]
    assert apps[-1]["cores"] > 0, "the application got no executor cores from the worker"
