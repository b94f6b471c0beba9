"""How fast the lab comes up and how much memory it holds.

Starts a lab of its own (temporary LAB_HOME, ports apart from a learner's lab), times
`lab up` from stopped to every service healthy, then sums the resident memory of every
process the supervisor runs. Prints the figures; goals: ≤ 10 s and ≤ 1.2 GB on 2 cores.
Then measures what the restarted lab costs while nobody uses it: each service's CPU time over
--idle seconds (a learner's lab sits idle most of a lesson, and a room's machine holds many).
Then times the first `lab up` on new homes (secrets, databases and bucket made; goal ≤ 10 s).

    python benchmarks/lab_up.py [--repeats 3] [--idle 60] [--new-homes 5]
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


def services(home: Path) -> tuple[psutil.Process, dict[str, list[psutil.Process]]]:
    """supervisord, and each service's processes (the service's own and its children)."""
    root = psutil.Process(int((home / "run" / "supervisord.pid").read_text()))
    return root, {" ".join(child.cmdline()[:3]): [child, *child.children(recursive=True)]
                  for child in root.children()}


def stack_rss(home: Path) -> tuple[int, dict[str, int]]:
    root, per_service = services(home)
    rss = {name: sum(p.memory_info().rss for p in processes) for name, processes in per_service.items()}
    return root.memory_info().rss + sum(rss.values()), rss


def idle_cpu(home: Path, seconds: float) -> dict[str, float]:
    """CPU seconds per minute that each service spends while the lab is left alone."""
    _, per_service = services(home)

    def cpu() -> dict[str, float]:
        return {name: sum(sum(p.cpu_times()[:2]) for p in processes) for name, processes in per_service.items()}

    before = cpu()
    time.sleep(seconds)
    after = cpu()
    return {name: (after[name] - before[name]) * 60 / seconds for name in per_service}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--idle", type=float, default=60.0)
    parser.add_argument("--new-homes", type=int, default=5)
    args = parser.parse_args()
    restarts(args.repeats, args.idle)
    if args.new_homes:
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


def restarts(repeats: int, idle_seconds: float) -> None:
    with tempfile.TemporaryDirectory(prefix="lab-bench-") as home:
        env = {**os.environ, **PORTS, "LAB_HOME": home}
        try:
            lab("up", env=env)  # the first start creates the databases: not what we time
            lab("down", env=env)
            times = []
            for attempt in range(repeats):
                start = time.perf_counter()
                lab("up", env=env)
                times.append(time.perf_counter() - start)
                time.sleep(5)  # let the servers settle before reading memory
                total, per_service = stack_rss(Path(home))
                if attempt == repeats - 1:  # the idle cost once, on the last restart
                    idle = idle_cpu(Path(home), idle_seconds)
                lab("down", env=env)
        finally:
            subprocess.run([str(BIN / "lab"), "down"], env=env, capture_output=True)
        print(f"lab up to healthy: median {statistics.median(times):.1f} s "
              f"(runs: {', '.join(f'{t:.1f}' for t in times)}; goal ≤ 10 s)")
        print(f"memory of the stack (RSS, all processes): {total / 2**30:.2f} GiB (goal ≤ 1.2 GB)")
        for name, rss in sorted(per_service.items(), key=lambda kv: -kv[1]):
            print(f"  {rss / 2**20:7.0f} MiB  {name}")
        print(f"CPU of the restarted lab left alone ({idle_seconds:.0f} s, last restart), "
              f"{sum(idle.values()):.2f} CPU-s per minute in all:")
        for name, per_minute in sorted(idle.items(), key=lambda kv: -kv[1]):
            print(f"  {per_minute:5.2f} CPU-s/min  {name}")


if __name__ == "__main__":
    main()
