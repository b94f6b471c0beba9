"""A room of learners logging at once: plain `mlflow server` defaults, the lab's settings and
the workshop settings, side by side in one run.

Starts a temporary workshop lab (object store, PostgreSQL, MLflow's basic-auth app with a
workspace and an account per learner) on spare ports, and beside it two plain servers on
SQLite that keep their artifacts in the same object store. Locust (headless) then drives
each server with N learners for a fixed time, each repeating a lesson's logging pattern
over the REST API (locustfile_learner.py). Prints failed calls, p50/p95/max latency,
requests per second and memory (peak PSS of the tracking server's processes, and of
PostgreSQL's for the workshop; SQLite lives inside the server), the median of the repeats.

    python benchmarks/workshop_load.py --learners 60 --seconds 60 --repeats 3
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile_learner.py")
LAB = {"LAB_MLFLOW_PORT": "46000", "LAB_S3_PORT": "46100", "LAB_PREFECT_PORT": "46200", "LAB_PG_PORT": "46300",
       "LAB_JUPYTER_PORT": "46400", "LAB_SPARK_MASTER_PORT": "46500", "LAB_SPARK_UI_PORT": "46600"}
PLAIN = {
    "mlflow server defaults, SQLite": [],
    "lab settings, SQLite": ["--workers", "1"],
}
WORKSHOP = "workshop: PostgreSQL, basic auth"


def pss(processes: list[psutil.Process]) -> int:
    """Proportional memory: shared pages (PostgreSQL's buffers, say) are counted once."""
    total = 0
    for process in processes:
        for member in [process, *process.children(recursive=True)]:
            try:
                total += member.memory_full_info().pss
            except psutil.Error:
                pass
    return total


def peak_memory(processes: list[psutil.Process], stop: threading.Event, peak: list[int]) -> None:
    while not stop.wait(2):
        peak[0] = max(peak[0], pss(processes))


def wait_healthy(url: str) -> None:
    deadline = time.monotonic() + 180
    while True:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                return
        except requests.RequestException:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"{url} did not start")
        time.sleep(0.5)


def drive(url: str, processes: list[psutil.Process], learners: int, seconds: int, tmp: Path,
          learners_file: Path | None, database: list[psutil.Process] = ()) -> dict:
    """One Locust run against one server: the aggregated figures and the peak memory."""
    prefix = tmp / f"locust-{time.monotonic_ns()}"
    env = {**os.environ, "LEARNERS_FILE": str(learners_file or "")}
    stop, peak, db_peak = threading.Event(), [pss(processes)], [pss(list(database))]
    sampler = threading.Thread(target=peak_memory, args=(processes, stop, peak))
    db_sampler = threading.Thread(target=peak_memory, args=(list(database), stop, db_peak))
    sampler.start()
    db_sampler.start()
    try:
        subprocess.run([str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "-u", str(learners),
                        "-r", str(learners), "--run-time", f"{seconds}s", "--host", url,
                        "--csv", str(prefix), "--only-summary"], check=False, capture_output=True, env=env)
    finally:
        stop.set()
        sampler.join()
        db_sampler.join()
    with open(f"{prefix}_stats.csv") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    return {"requests": int(total["Request Count"]), "failed": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]), "max_ms": float(total["Max Response Time"]),
            "rps": float(total["Requests/s"]), "memory_mib": peak[0] / 2**20,
            "db_mib": db_peak[0] / 2**20}


def sign_in_all(url: str, accounts: list[list[str]]) -> float:
    """Every learner's first request at once (a notebook's `connect()`); seconds until all are in.

    The server checks each password once (scrypt, ~0.2 s of CPU) and then caches it: this
    burst is measured apart from the logging pattern.
    """
    from concurrent.futures import ThreadPoolExecutor

    def sign_in(account: list[str]) -> None:
        response = requests.get(f"{url}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                                auth=tuple(account), headers={"X-MLFLOW-WORKSPACE": account[0]}, timeout=300)
        response.raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(len(accounts)) as pool:
        list(pool.map(sign_in, accounts))
    return time.monotonic() - started


def start_plain_server(args: list[str], port: int, tmp: Path, config) -> subprocess.Popen:
    creds = config.s3_credentials()
    env = {**os.environ, "MLFLOW_S3_ENDPOINT_URL": config.s3_endpoint_url, "AWS_ACCESS_KEY_ID": creds.access_key,
           "AWS_SECRET_ACCESS_KEY": creds.secret_key}
    if args:  # the lab's settings: no GenAI job runner either
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    db = tmp / f"mlflow-{port}.db"
    return subprocess.Popen(
        [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", f"sqlite:///{db}", "--artifacts-destination", f"s3://{config.bucket}", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def stop(server: subprocess.Popen) -> None:
    for child in psutil.Process(server.pid).children(recursive=True):
        child.kill()
    server.kill()
    server.wait()


def median_row(name: str, runs: list[dict]) -> dict:
    row = {"config": name, "repeats": len(runs), "failed_max": max(r["failed"] for r in runs)}
    for key in ("requests", "failed", "p50_ms", "p95_ms", "max_ms", "rps", "memory_mib", "db_mib"):
        row[key] = statistics.median(r[key] for r in runs)
    return row


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="workshop-bench-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
        os.environ.update({**LAB, "LAB_HOME": str(tmp / "lab")})
        for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_WORKSPACE", "LAB_USER"):
            os.environ.pop(name, None)
        from lab_stack import stack, workshop
        from lab_utils.config import load_config

        config = load_config(workshop=True)
        stack.up(config)
        stack.supervisor(config).supervisor.stopProcess("core:prefect")  # not used here
        started = time.monotonic()
        names = [f"learner{i:02d}" for i in range(args.learners)]
        workshop.add_learners(config, names)
        print(f"lab users add: {args.learners} learners in {time.monotonic() - started:.1f} s", flush=True)
        learners_file = tmp / "learners.json"
        table = workshop.learners(config)
        learners_file.write_text(json.dumps([[n, table[n]] for n in names]))
        proxy = stack.supervisor(config).supervisor
        mlflow_process = psutil.Process(proxy.getProcessInfo("core:mlflow")["pid"])
        postgres_process = psutil.Process(proxy.getProcessInfo("core:postgres")["pid"])

        results: dict[str, list[dict]] = {name: [] for name in [*PLAIN, WORKSHOP]}
        try:
            for repeat in range(args.repeats):
                for i, (name, cli) in enumerate(PLAIN.items()):
                    port = 46700 + i
                    server = start_plain_server(cli, port, tmp, config)
                    try:
                        wait_healthy(f"http://127.0.0.1:{port}")
                        results[name].append(drive(f"http://127.0.0.1:{port}", [psutil.Process(server.pid)],
                                                   args.learners, args.seconds, tmp, None))
                    finally:
                        stop(server)
                if repeat == 0:
                    burst = sign_in_all(config.tracking_uri, json.loads(learners_file.read_text()))
                    print(f"first sign-in of {args.learners} learners at once: {burst:.1f} s", flush=True)
                results[WORKSHOP].append(drive(config.tracking_uri, [mlflow_process], args.learners,
                                               args.seconds, tmp, learners_file, [postgres_process]))
                print(f"repeat {repeat + 1}/{args.repeats} done", flush=True)
        finally:
            stack.down(config)

    rows = [median_row(name, runs) for name, runs in results.items()]
    print(f"\n{args.learners} learners for {args.seconds} s, median of {args.repeats} repeat(s):")
    print(f"{'configuration':<40} {'requests':>8} {'failed':>6} {'(max)':>5} {'p50 ms':>7} {'p95 ms':>7} "
          f"{'max ms':>7} {'req/s':>6} {'server MiB':>10} {'db MiB':>6}")
    for r in rows:
        print(f"{r['config']:<40} {r['requests']:>8.0f} {r['failed']:>6.0f} {r['failed_max']:>5} {r['p50_ms']:>7.0f} "
              f"{r['p95_ms']:>7.0f} {r['max_ms']:>7.0f} {r['rps']:>6.1f} {r['memory_mib']:>10.0f} "
              + (f"{r['db_mib']:>6.0f}" if r["db_mib"] else ""))
    default, ours = rows[0], rows[-1]
    print(f"\nworkshop vs defaults: p95 {default['p95_ms'] / ours['p95_ms']:.1f}x lower, "
          f"memory {default['memory_mib'] / ours['memory_mib']:.1f}x lower, "
          f"throughput {ours['rps'] / default['rps']:.2f}x")


if __name__ == "__main__":
    main()
