"""A room of learners on one tracking server: plain `mlflow server` defaults on SQLite beside
the workshop settings (PostgreSQL, basic auth, a workspace per learner), side by side.

Starts a temporary workshop lab (object store, PostgreSQL, MLflow's basic-auth app with a
workspace and an account per learner) on spare ports, and beside it a plain server on
SQLite that keeps its artifacts in the same object store. Locust (headless) then drives
each server in one of two patterns:

- `--pattern lessons` (default): the lessons' own recorded traffic (lesson_traffic.json,
  from record_lessons.py) replayed at the room's pace by locustfile_lessons.py: the
  instructor's word for each cell at a shared time, every learner starting within seconds
  of it, then reading (20-60 s) until the next. The cell that sends the most requests is
  the burst: its slowest learner is compared with one learner alone on the same server.
- `--pattern stress`: every learner repeats a logging loop without pause for `--seconds`
  (locustfile_learner.py), the closed-loop load kept for comparison.

Prints, the median of `--repeats`: learners, requests, failed, p50/p95/max latency, memory
(peak PSS of the tracking server's processes, and of PostgreSQL's for the workshop; SQLite
lives inside the server) and the machine's load average before and after, since other work
on the machine shows in the figures. `--capacity 60,120,200,300` then raises the room on
the workshop server at the lessons' pace until p95 reaches 1 s or a request fails.

    python benchmarks/workshop_load.py --learners 60 --repeats 3            # the lessons' pace
    python benchmarks/workshop_load.py --pattern both --learners 60        # and the stress loop
    python benchmarks/workshop_load.py --pattern none --capacity 60,120,200,300
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
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

BIN = Path(sys.executable).parent
HERE = Path(__file__).parent
STRESS_LOCUSTFILE = HERE / "locustfile_learner.py"
LESSONS_LOCUSTFILE = HERE / "locustfile_lessons.py"
LAB = {"LAB_MLFLOW_PORT": "13000", "LAB_S3_PORT": "13100", "LAB_PREFECT_PORT": "13200", "LAB_PG_PORT": "13300",
       "LAB_JUPYTER_PORT": "13400", "LAB_SPARK_MASTER_PORT": "13500", "LAB_SPARK_UI_PORT": "13600"}
DEFAULTS = "mlflow server defaults, SQLite"
LAB_SETTINGS = "lab settings, SQLite"
PLAIN = {DEFAULTS: [], LAB_SETTINGS: ["--workers", "1"]}
WORKSHOP = "workshop: PostgreSQL, basic auth"
API = "/api/2.0/mlflow"
# The capacity goal: what a learner feels as an instant answer, and nothing lost.
GOAL_P95_MS = 1000
# How long after the last word the room may take to finish; a learner still busy then has
# lost the instructor, and their unfinished cells are counted.
FINISH_AFTER_LAST_WORD_S = 180


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


class MemoryPeaks:
    """Peak PSS of the server's processes and of the database's, sampled every 2 s."""

    def __init__(self, server: list[psutil.Process], database: list[psutil.Process]):
        self.stop = threading.Event()
        self.server, self.database = [pss(server)], [pss(database)]
        self.threads = [threading.Thread(target=peak_memory, args=(server, self.stop, self.server)),
                        threading.Thread(target=peak_memory, args=(database, self.stop, self.database))]

    def __enter__(self) -> MemoryPeaks:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def figures(self) -> dict:
        return {"memory_mib": self.server[0] / 2**20, "db_mib": self.database[0] / 2**20}


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


def load_average() -> float:
    return os.getloadavg()[0]


def stress(url: str, processes: list[psutil.Process], learners: int, seconds: int, tmp: Path,
           learners_file: Path | None, database: list[psutil.Process] = ()) -> dict:
    """The closed loop: one Locust run against one server, its aggregated figures and peak memory."""
    prefix = tmp / f"locust-{time.monotonic_ns()}"
    env = {**os.environ, "LEARNERS_FILE": str(learners_file or "")}
    load_before = load_average()
    with MemoryPeaks(processes, list(database)) as memory:
        subprocess.run([str(BIN / "locust"), "-f", str(STRESS_LOCUSTFILE), "--headless", "-u", str(learners),
                        "-r", str(learners), "--run-time", f"{seconds}s", "--host", url,
                        "--csv", str(prefix), "--only-summary"], check=False, capture_output=True, env=env)
    with open(f"{prefix}_stats.csv") as f:
        total = next(row for row in csv.DictReader(f) if row["Name"] == "Aggregated")
    return {"learners": learners, "requests": int(total["Request Count"]), "failed": int(total["Failure Count"]),
            "p50_ms": float(total["50%"]), "p95_ms": float(total["95%"]), "max_ms": float(total["Max Response Time"]),
            "rps": float(total["Requests/s"]), **memory.figures(), "load_before": load_before,
            "load_after": load_average()}


def lesson_plan(tmp: Path, reading: str, budget_s: float, lessons: str | None) -> tuple[Path, Path, dict]:
    """The replay's cells and schedule (locustfile_lessons.py decides), and the same cells
    back to back for one learner alone."""
    env = {**os.environ, "REPLAY_READING": reading, "REPLAY_BUDGET": str(budget_s)}
    if lessons:
        env.update({"REPLAY_LESSONS": lessons, "REPLAY_ALL_CELLS": "1"})
    out = subprocess.run([str(BIN / "python"), str(LESSONS_LOCUSTFILE), "--json"], env=env, check=True,
                         capture_output=True, text=True).stdout
    plan = json.loads(out)
    room, alone = tmp / "plan-room.json", tmp / "plan-alone.json"
    room.write_text(json.dumps(plan))
    alone.write_text(json.dumps({**plan, "cells": [{**cell, "at_s": 0} for cell in plan["cells"]]}))
    return room, alone, plan


def burst_cell(plan: dict) -> str:
    cell = max(plan["cells"], key=lambda c: len(c["requests"]))
    return f"{cell['lesson']}[{cell['index']}]"


def replay(url: str, processes: list[psutil.Process], learners: int, tmp: Path, plan_file: Path,
           learners_file: Path | None, time_limit_s: float, database: list[psutil.Process] = (),
           jitter: str = "0-5", first_learner: int = 0) -> dict:
    """The lessons at the room's pace: one Locust run, with every request's latency outside setup."""
    plan = json.loads(plan_file.read_text())
    prefix = tmp / f"replay-{time.monotonic_ns()}"
    setup_requests = sum(len(c["requests"]) for c in plan["setup"])
    # Time for Locust to start and the room's setup (the cells the replayed ones need) before the first word.
    lead_s = 20 + learners * setup_requests / 150
    results = Path(f"{prefix}.json")
    env = {**os.environ, "LEARNERS_FILE": str(learners_file or ""), "REPLAY_PLAN": str(plan_file),
           "REPLAY_START": str(time.time() + lead_s), "REPLAY_RESULTS": str(results),
           "REPLAY_SUFFIX_NAMES": "" if learners_file else "1", "REPLAY_JITTER": jitter,
           "REPLAY_FIRST_LEARNER": str(first_learner)}
    cap_s = min(time_limit_s, lead_s + plan["length_s"] + FINISH_AFTER_LAST_WORD_S)
    load_before = load_average()
    with MemoryPeaks(processes, list(database)) as memory:
        locust = subprocess.run([str(BIN / "locust"), "-f", str(LESSONS_LOCUSTFILE), "--headless", "-u", str(learners),
                                 "-r", str(learners), "--run-time", f"{cap_s:.0f}s", "--host", url, "--csv",
                                 str(prefix), "--only-summary"], check=False, capture_output=True, text=True, env=env)
    if not results.exists():
        raise SystemExit(f"the replay wrote no results; Locust said:\n{locust.stderr[-3000:]}")
    figures = json.loads(results.read_text())
    latencies = sorted(figures["latencies_ms"]) or [0.0]
    burst = burst_cell(plan)
    burst_times = [c["seconds"] for c in figures["cells"] if c["cell"] == burst]
    return {"learners": learners, "requests": len(figures["latencies_ms"]), "failed": figures["failed"],
            "p50_ms": latencies[len(latencies) // 2], "p95_ms": latencies[int(len(latencies) * 0.95)],
            "max_ms": latencies[-1], "burst_s": max(burst_times, default=float("nan")),
            "unfinished": learners * len(plan["cells"]) - len(figures["cells"]),
            "setup_s": max(figures["setup_s"], default=0.0), "late_s": max((c["late_s"] for c in figures["cells"]),
                                                                          default=0.0),
            "failures": figures["failures"], **memory.figures(), "load_before": load_before,
            "load_after": load_average()}


def alone(url: str, tmp: Path, plan_file: Path, learners_file: Path | None) -> float:
    """The burst cell's time for one learner alone on the server (the cells back to back)."""
    figures = replay(url, [], 1, tmp, plan_file, learners_file, 1800, jitter="0-0", first_learner=9999)
    return figures["burst_s"]


def sign_in_all(url: str, accounts: list[list[str]]) -> float:
    """Every learner's first request at once (a notebook's `connect()`); seconds until all are in.

    The server checks each password once (scrypt, ~0.2 s of CPU) and then caches it: this
    burst is measured apart from the logging pattern.
    """
    def sign_in(account: list[str]) -> None:
        response = requests.get(f"{url}{API}/experiments/search", params={"max_results": 1},
                                auth=tuple(account), headers={"X-MLFLOW-WORKSPACE": account[0]}, timeout=300)
        response.raise_for_status()

    started = time.monotonic()
    with ThreadPoolExecutor(min(len(accounts), 64)) as pool:
        list(pool.map(sign_in, accounts))
    return time.monotonic() - started


def free_lesson_names(config, accounts: list[list[str]]) -> None:
    """Each learner's workspace ready for the lessons again: what an earlier replay created
    (experiments, registered models) is renamed aside, so the lessons' names are free."""
    from lab_stack.secrets import WORKSHOP_ADMIN, admin_password

    admin = (WORKSHOP_ADMIN, admin_password(config))
    url = config.tracking_uri

    def tidy(account: list[str]) -> None:
        session = requests.Session()
        session.auth, session.headers["X-MLFLOW-WORKSPACE"] = admin, account[0]
        aside = uuid.uuid4().hex[:6]
        found = session.post(f"{url}{API}/experiments/search", json={"max_results": 1000}, timeout=60)
        found.raise_for_status()
        for experiment in found.json().get("experiments", []):
            if experiment["name"] != "Default":
                session.post(f"{url}{API}/experiments/update", timeout=60, json={
                    "experiment_id": experiment["experiment_id"], "new_name": f"{experiment['name']}-{aside}"})
        found = session.get(f"{url}{API}/registered-models/search", params={"max_results": 1000}, timeout=60)
        found.raise_for_status()
        for model in found.json().get("registered_models", []):
            session.post(f"{url}{API}/registered-models/rename", timeout=60,
                         json={"name": model["name"], "new_name": f"{model['name']}-{aside}"})

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(tidy, accounts))


def start_plain_server(args: list[str], port: int, tmp: Path, config, backend: str | None = None,
                       environment: dict[str, str] | None = None) -> subprocess.Popen:
    """`mlflow server` with `args`, on `backend` (default: a new SQLite file), artifacts in the lab's bucket."""
    creds = config.s3_credentials()
    env = {**os.environ, "MLFLOW_S3_ENDPOINT_URL": config.s3_endpoint_url, "AWS_ACCESS_KEY_ID": creds.access_key,
           "AWS_SECRET_ACCESS_KEY": creds.secret_key, **(environment or {})}
    if args:  # the lab's settings: no GenAI job runner either
        env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    # A new server, a new database.
    backend = backend or f"sqlite:///{tmp / f'mlflow-{port}-{time.monotonic_ns()}.db'}"
    server = subprocess.Popen(
        [str(BIN / "mlflow"), "server", "--host", "127.0.0.1", "--port", str(port),
         "--backend-store-uri", backend, "--artifacts-destination", f"s3://{config.bucket}", *args],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    wait_healthy(f"http://127.0.0.1:{port}")
    return server


def stop(server: subprocess.Popen) -> None:
    for child in psutil.Process(server.pid).children(recursive=True):
        child.kill()
    server.kill()
    server.wait()


def median_row(name: str, runs: list[dict]) -> dict:
    row = {"config": name, "repeats": len(runs), "failed_max": max(r["failed"] for r in runs)}
    for key, value in runs[0].items():
        if isinstance(value, (int, float)):
            row[key] = statistics.median(r[key] for r in runs)
    row["failures"] = {}
    for run in runs:
        for message, count in run.get("failures", {}).items():
            row["failures"][message] = row["failures"].get(message, 0) + count
    return row


class Workshop:
    """The workshop lab of the benchmark and its learner accounts."""

    def __init__(self, tmp: Path):
        self.tmp = tmp
        os.environ.update({**LAB, "LAB_HOME": str(tmp / "lab")})
        for name in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_WORKSPACE", "LAB_USER"):
            os.environ.pop(name, None)
        from lab_stack import stack

        try:
            from lab_stack.config import load_config
        except ImportError:  # the stack's settings still live in lab_utils
            from lab_utils.config import load_config

        self.stack = stack
        self.config = load_config(workshop=True)
        stack.up(self.config)
        try:
            supervisor = stack.supervisor(self.config).supervisor
            self.server = [psutil.Process(supervisor.getProcessInfo("core:mlflow")["pid"])]
            self.database = [psutil.Process(supervisor.getProcessInfo("core:postgres")["pid"])]
        except BaseException:
            stack.down(self.config)
            raise
        self.url = self.config.tracking_uri
        self.accounts: list[list[str]] = []

    def learners_file(self, count: int, first: int = 0) -> Path:
        """A file of `count` accounts (learner<first>... ), created when missing."""
        from lab_stack import workshop

        names = [f"learner{i:03d}" for i in range(first, first + count)]
        started = time.monotonic()
        new = workshop.add_learners(self.config, names)
        if new:
            print(f"lab users add: {len(new)} learners in {time.monotonic() - started:.0f} s", flush=True)
        table = workshop.learners(self.config)
        path = self.tmp / f"learners-{first}-{count}.json"
        path.write_text(json.dumps([[n, table[n]] for n in names]))
        return path

    def down(self) -> None:
        self.stack.down(self.config)


def run_pattern(pattern: str, room: Workshop, args, tmp: Path, plans) -> dict[str, list[dict]]:
    configs = {DEFAULTS: PLAIN[DEFAULTS], **({LAB_SETTINGS: PLAIN[LAB_SETTINGS]} if args.lab_settings else {})}
    results: dict[str, list[dict]] = {name: [] for name in [*configs, WORKSHOP]}
    learners_file = room.learners_file(args.learners)
    # One account more, in a workspace of its own, for the lessons' pace alone.
    alone_file = room.learners_file(1, first=args.learners) if pattern == "lessons" else None
    for repeat in range(args.repeats):
        for i, (name, cli) in enumerate(configs.items()):
            port = 13700 + i
            server = start_plain_server(cli, port, tmp, room.config)
            url = f"http://127.0.0.1:{port}"
            try:
                if pattern == "lessons":
                    alone_s = alone(url, tmp, plans[1], None)
                    row = replay(url, [psutil.Process(server.pid)], args.learners, tmp, plans[0], None,
                                 args.step_minutes * 60)
                    row["alone_s"] = alone_s
                else:
                    row = stress(url, [psutil.Process(server.pid)], args.learners, args.seconds, tmp, None)
                results[name].append(row)
            finally:
                stop(server)
        if pattern == "lessons":
            free_lesson_names(room.config, json.loads(learners_file.read_text()) + json.loads(alone_file.read_text()))
            alone_s = alone(room.url, tmp, plans[1], alone_file)
            row = replay(room.url, room.server, args.learners, tmp, plans[0], learners_file, args.step_minutes * 60,
                         room.database)
            row["alone_s"] = alone_s
        else:
            if repeat == 0:
                burst = sign_in_all(room.url, json.loads(learners_file.read_text()))
                print(f"first sign-in of {args.learners} learners at once: {burst:.1f} s", flush=True)
            row = stress(room.url, room.server, args.learners, args.seconds, tmp, learners_file, room.database)
        results[WORKSHOP].append(row)
        print(f"{pattern}: repeat {repeat + 1}/{args.repeats} done", flush=True)
    return results


def print_table(title: str, rows: list[dict], lessons: bool) -> None:
    print(f"\n{title}")
    header = (f"{'configuration':<34} {'learners':>8} {'requests':>8} {'failed':>6} {'p50 ms':>7} {'p95 ms':>7} "
              f"{'max ms':>7} ")
    header += f"{'burst s (alone)':>16} {'late s':>6} " if lessons else f"{'req/s':>6} "
    print(header + f"{'server MiB':>10} {'db MiB':>6} {'load before→after':>18}")
    for r in rows:
        line = (f"{r['config']:<34} {r['learners']:>8.0f} {r['requests']:>8.0f} {r['failed']:>6.0f} "
                f"{r['p50_ms']:>7.0f} {r['p95_ms']:>7.0f} {r['max_ms']:>7.0f} ")
        line += (f"{r['burst_s']:>7.1f} ({r['alone_s']:>5.1f}) {r['late_s']:>6.0f} " if lessons
                 else f"{r['rps']:>6.1f} ")
        db = f"{r['db_mib']:>6.0f}" if r["db_mib"] else f"{'':>6}"
        print(line + f"{r['memory_mib']:>10.0f} {db} {r['load_before']:>8.1f} → {r['load_after']:<7.1f}")
        if lessons and r.get("unfinished"):
            print(f"{'':<34} {r['unfinished']:.0f} learner-cells unfinished within the time limit")


def capacity(room: Workshop, steps: list[int], args, tmp: Path, plans) -> None:
    """More and more learners at the lessons' pace on the workshop server, until the goal fails."""
    print(f"\ncapacity at the lessons' pace (workshop server): goal p95 < {GOAL_P95_MS} ms, no failed request, "
          f"every learner through every cell by {FINISH_AFTER_LAST_WORD_S} s after the last word")
    best, rows = 0, []
    for count in steps:
        learners_file = room.learners_file(count)
        free_lesson_names(room.config, json.loads(learners_file.read_text()))
        row = replay(room.url, room.server, count, tmp, plans[0], learners_file, args.step_minutes * 60,
                     room.database)
        row.update(config=WORKSHOP, alone_s=float("nan"))
        rows.append(row)
        met = row["failed"] == 0 and row["unfinished"] == 0 and row["p95_ms"] < GOAL_P95_MS
        print(f"  {count} learners: p95 {row['p95_ms']:.0f} ms, {row['failed']} failed, {row['unfinished']} cells "
              f"unfinished, burst cell's slowest {row['burst_s']:.1f} s, load {row['load_before']:.1f} → "
              f"{row['load_after']:.1f}: {'met' if met else 'NOT met'}", flush=True)
        if not met:
            break
        best = count
    print_table("capacity steps", rows, lessons=True)
    print(f"\nmost learners with p95 < {GOAL_P95_MS} ms and no failure: {best or f'fewer than {steps[0]}'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pattern", choices=("lessons", "stress", "both", "none"), default="lessons")
    parser.add_argument("--learners", type=int, default=60)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=60, help="stress: how long the loop runs")
    parser.add_argument("--reading", default="20-60", help="lessons: seconds of reading after a cell, low-high")
    parser.add_argument("--budget", type=float, default=300, help="lessons: seconds of schedule the cells fill")
    parser.add_argument("--lessons", help="lessons: replay every cell of these lessons (e.g. 01,04) instead")
    parser.add_argument("--lab-settings", action="store_true", help="add a plain server with the lab's settings")
    parser.add_argument("--capacity", help="learners per step on the workshop server, e.g. 60,120,200,300")
    parser.add_argument("--step-minutes", type=float, default=15, help="time limit of one lessons-pace run")
    args = parser.parse_args()
    patterns = {"both": ["lessons", "stress"], "none": []}.get(args.pattern, [args.pattern])

    with tempfile.TemporaryDirectory(prefix="workshop-bench-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
        plans = None
        if "lessons" in patterns or args.capacity:
            *plans, plan = lesson_plan(tmp, args.reading, args.budget, args.lessons)
            requests_per_learner = sum(len(c["requests"]) for c in plan["cells"])
            print(f"lessons' pace: {len(plan['cells'])} cells at the instructor's word over {plan['length_s']:.0f} s "
                  f"({requests_per_learner} requests a learner; reading {args.reading} s a cell); the cells they need "
                  f"are replayed first (setup, catch up) and left out of the figures; the burst cell is "
                  f"{burst_cell(plan)}:")
            for cell in plan["setup"]:
                print(f"  setup   {cell['lesson']}[{cell['index']}] {len(cell['requests']):>4} requests  {cell['source']}")
            for cell in plan["cells"]:
                for earlier in cell["catch_up"]:
                    print(f"  catch up {earlier['lesson']}[{earlier['index']}] {len(earlier['requests']):>4} requests"
                          f"  {earlier['source']}")
                print(f"  {cell['at_s']:>4.0f} s  {cell['lesson']}[{cell['index']}] {len(cell['requests']):>4} "
                      f"requests  {cell['source']}")
        started = time.monotonic()
        room = Workshop(tmp)
        print(f"workshop lab up in {time.monotonic() - started:.0f} s", flush=True)
        tables = []
        try:
            for pattern in patterns:
                results = run_pattern(pattern, room, args, tmp, plans)
                tables.append((pattern, [median_row(name, runs) for name, runs in results.items()]))
            if args.capacity:
                capacity(room, [int(n) for n in args.capacity.split(",")], args, tmp, plans)
        finally:
            room.down()

    for pattern, rows in tables:
        what = ("the lessons at the room's pace; burst s = the burst cell's slowest learner (one learner alone); "
                "late s = the most a learner started a cell after its word"
                if pattern == "lessons" else f"the stress loop for {args.seconds} s")
        print_table(f"{args.learners} learners, {what}, median of {args.repeats} repeat(s):", rows,
                    lessons=pattern == "lessons")
        default, ours = rows[0], rows[-1]
        if ours["p95_ms"] and ours["memory_mib"]:
            print(f"defaults / workshop: p95 {default['p95_ms'] / ours['p95_ms']:.1f}x, "
                  f"memory {default['memory_mib'] / ours['memory_mib']:.1f}x (above 1: the workshop is better)")
        for r in rows:
            for message, count in sorted(r.get("failures", {}).items(), key=lambda mc: -mc[1])[:5]:
                print(f"  {r['config']}: {count} x {message}")


if __name__ == "__main__":
    main()
