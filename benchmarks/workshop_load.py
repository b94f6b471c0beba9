"""N learners logging at once against one tracking server: default settings against the lab's.

Starts each server configuration on its own port with a fresh SQLite file and a local
artifact folder, drives it with Locust (headless) for a fixed time, and prints failed
calls, p50/p95/max latency, requests per second and the server's memory, side by side.

    python benchmarks/workshop_load.py --learners 60 --seconds 60

The workshop configuration of the roadmap (PostgreSQL, basic auth) is not here yet.
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
import requests

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile_learner.py")
CONFIGS = {
    "mlflow server defaults": (["--workers", "4"], {}),
    "lab settings (1 worker, no job runner)": (["--workers", "1"], {"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}),
}


def run_config(name: str, args: list[str], env: dict, learners: int, seconds: int, port: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="workshop-bench-") as tmp:
        server = subprocess.Popen(
            [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
             "--backend-store-uri", f"sqlite:///{tmp}/mlflow.db", "--artifacts-destination", f"{tmp}/artifacts",
             *args], env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"{name}: server did not start")
                time.sleep(0.5)
            prefix = Path(tmp) / "locust"
            subprocess.run([str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(learners),
                            "-r", str(learners), "--run-time", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
                            "--csv", str(prefix), "--only-summary"], check=False, capture_output=True)
            proc = psutil.Process(server.pid)
            rss = sum(p.memory_info().rss for p in [proc, *proc.children(recursive=True)])
            with open(f"{prefix}_stats.csv") as f:
                total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
        finally:
            server.terminate()
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
            for child in psutil.Process().children(recursive=True):
                if child.pid != server.pid and "uvicorn" in " ".join(child.cmdline()):
                    child.kill()
    return {"config": name, "requests": int(total["Request Count"]), "failed": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]), "max_ms": float(total["Max Response Time"]),
            "rps": float(total["Requests/s"]), "server_mib": rss / 2**20}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()
    rows = [run_config(name, cli, env, args.learners, args.seconds, 45500 + i)
            for i, (name, (cli, env)) in enumerate(CONFIGS.items())]
    print(f"{args.learners} learners for {args.seconds} s each:")
    print(f"{'configuration':<40} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} {'max ms':>7} "
          f"{'req/s':>6} {'server MiB':>10}")
    for r in rows:
        print(f"{r['config']:<40} {r['requests']:>8} {r['failed']:>6} {r['p50_ms']:>7.0f} {r['p95_ms']:>7.0f} "
              f"{r['max_ms']:>7.0f} {r['rps']:>6.1f} {r['server_mib']:>10.0f}")


if __name__ == "__main__":
    main()
