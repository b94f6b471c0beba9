"""How much CPU the lab's Python work takes on each build of this environment's Python version.

`make venv` prefers the system's own build of a Python version (Debian's, Ubuntu's: built
with profile-guided optimisation) to another build of the same version, such as pyenv's
default one (no optimisation). This runs the same lab-like work, with this environment's
packages, on every build of its version it finds, in turns (A, B, A, B, ...), and prints each
build's median CPU seconds: importing MLflow and scikit-learn, fitting a model, and logging
a run (20 params, 200 metric steps) to an SQLite store of its own.

    python benchmarks/python_build.py [--repeats 5] [--python /path/to/python3.11 ...]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile

WORK = """
import site, sys, tempfile
site.addsitedir(sys.argv[1])  # this environment's packages only (-S), whichever build runs them
import mlflow, numpy as np, sklearn.linear_model
mlflow.set_tracking_uri(f"sqlite:///{tempfile.mkdtemp()}/mlflow.db")
X = np.random.default_rng(0).random((200, 5))
with mlflow.start_run():
    sklearn.linear_model.Ridge().fit(X, X.sum(axis=1))
    mlflow.log_params({f"p{i}": i for i in range(20)})
    for step in range(200):
        mlflow.log_metric("loss", 1 / (step + 1), step=step)
"""


def builds() -> list[str]:
    """This version's interpreters: the one .venv was made from, the system's, pyenv's."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = [getattr(sys, "_base_executable", sys.executable), f"/usr/bin/python{version}",
             shutil.which(f"python{version}") or "",
             *glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python{version}"))]
    unique: dict[str, str] = {}
    for path in found:
        if path and os.path.exists(path):  # a pyenv shim runs another: ask each which it is
            real = subprocess.run([path, "-c", "import sys; print(sys.executable)"],
                                  capture_output=True, text=True).stdout.strip()
            if real:
                unique.setdefault(os.path.realpath(real), real)
    return list(unique.values())


def cpu_seconds(python: str, site_packages: str) -> float:
    """CPU seconds (user + system) of one run of WORK and its children."""
    before = os.times()
    env = {**os.environ, "MLFLOW_TRACKING_URI": "", "PYTHONDONTWRITEBYTECODE": "1"}
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([python, "-S", "-c", WORK, site_packages], cwd=scratch, env=env, check=True,
                       capture_output=True)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--python", action="append", help="an interpreter to compare (repeatable)")
    args = parser.parse_args()
    site_packages = sysconfig.get_paths()["purelib"]
    pythons = args.python or builds()
    if len(pythons) < 2:
        print(f"one build of Python {sys.version_info.major}.{sys.version_info.minor} found ({pythons}): "
              "nothing to compare; name others with --python")
    samples: dict[str, list[float]] = {p: [] for p in pythons}
    for _ in range(args.repeats):
        for python in pythons:  # in turns, so a slower minute of the machine hits each alike
            samples[python].append(cpu_seconds(python, site_packages))
    fastest = min(statistics.median(s) for s in samples.values())
    print(f"{'interpreter':<52} {'median CPU s':>12}  {'vs fastest':>10}  runs")
    for python, runs in samples.items():
        median = statistics.median(runs)
        version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True).stdout.strip()
        print(f"{python + ' (' + version + ')':<52} {median:>12.2f}  {median / fastest - 1:>+10.0%}  "
              + " ".join(f"{r:.2f}" for r in runs))


if __name__ == "__main__":
    main()
