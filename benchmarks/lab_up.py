"""How fast the lab comes up and how much memory it holds.

Starts a lab of its own (temporary LAB_HOME, ports apart from a learner's lab), times
`lab up` from stopped to every service healthy, then sums the resident memory of every
process the supervisor runs. Prints the figures; goals: ≤ 10 s and ≤ 1.2 GB on 2 cores.
Then times the first `lab up` on new homes (secrets, databases and bucket made; goal ≤ 10 s).

    python benchmarks/lab_up.py [--repeats 3] [--new-homes 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

BIN = Path(sys.executable).parent
PORTS = {"LAB_MLFLOW_PORT": "11000", "LAB_S3_PORT": "11100", "LAB_PREFECT_PORT": "11200",
         "LAB_JUPYTER_PORT": "11400", "LAB_SPARK_MASTER_PORT": "11500", "LAB_SPARK_UI_PORT": "11600"}


def lab(*args: str, env: dict) -> None:
    result = subprocess.run([str(BIN / "lab"), *args], env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"lab {' '.join(args)} failed:\n{result.stderr}")


def stack_rss(home: Path) -> tuple[int, dict[str, int]]:
    pid = int((home / "run" / "supervisord.pid").read_text())
    root = psutil.Process(pid)
    per_service: dict[str, int] = {}
    for child in root.children():
        name = " ".join(child.cmdline()[:3])
        per_service[name] = sum(p.memory_info().rss for p in [child, *child.children(recursive=True)])
    total = root.memory_info().rss + sum(per_service.values())
    return total, per_service


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--new-homes", type=int, default=5)
    args = parser.parse_args()
    restarts(args.repeats)
    new_homes(args.new_homes)


def new_homes(count: int) -> None:
    times = []
    for _ in range(count):
        with tempfile.TemporaryDirectory(prefix="lab-bench-new-") as home:
            env = {**os.environ, **PORTS, "LAB_HOME": home}
            try:
                start = time.perf_counter()
                lab("up", env=env)
                times.append(time.perf_counter() - start)
            finally:
                subprocess.run([str(BIN / "lab"), "down"], env=env, capture_output=True)
    print(f"first lab up on a new home: median {statistics.median(times):.1f} s "
          f"(runs: {', '.join(f'{t:.1f}' for t in times)}; goal ≤ 10 s)")


def restarts(repeats: int) -> None:
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as home:
        env = {**os.environ, **PORTS, "LAB_HOME": home}
        try:
            lab("up", env=env)  # the first start creates the databases: not what we time
            lab("down", env=env)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                lab("up", env=env)
                times.append(time.perf_counter() - start)
                time.sleep(5)  # let the servers settle before reading memory
                total, per_service = stack_rss(Path(home))
                lab("down", env=env)
        finally:
            subprocess.run([str(BIN / "lab"), "down"], env=env, capture_output=True)
        print(f"lab up to healthy: median {statistics.median(times):.1f} s "
              f"(runs: {', '.join(f'{t:.1f}' for t in times)}; goal ≤ 10 s)")
        print(f"memory of the stack (RSS, all processes): {total / 2**30:.2f} GiB (goal ≤ 1.2 GB)")
        for name, rss in sorted(per_service.items(), key=lambda kv: -kv[1]):
            print(f"  {rss / 2**20:7.0f} MiB  {name}")


if __name__ == "__main__":
    main()
