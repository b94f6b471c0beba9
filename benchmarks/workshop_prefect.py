"""A room running lesson 07's flow at once against one workshop server, measured.

Starts a temporary workshop lab (object store, PostgreSQL, the room's MLflow app) on spare
ports, adds the learners, and for each room size runs lesson 07's retraining flow
(`pipelines.retrain.retreinar_modelo`) for every learner at once, each with that learner's
environment as `lab users env NAME` prints it and a LAB_HOME of their own. One learner alone
runs first, for comparison.

A workshop runs no Prefect for the room: each learner's flow reports to the Prefect server of
their own machine (lab_stack.own_prefect). Here one such server, started the same way on
loopback, stands for all the learners' machines: its figures (memory, "database is locked"
in its SQLite) are a laptop's Prefect serving the whole room, an upper bound, not the room's
server. What the room's server sees is the flows' MLflow and S3 traffic.

In a room each learner's flow runs on their own laptop and only the servers share the lab's
machine. Here the learners' flows share it too: a parent imports MLflow, Prefect,
scikit-learn and whatever the flow imports once, then forks a child per learner; the child
loads its learner's environment and re-reads Prefect's settings before its first call (Prefect
fixes them at import; MLflow reads its variables at each call). The learners' CPU competes
with the servers': the times are upper bounds of what a room sees. When the room's children
do not fit in memory they run in batches, and the output says so.

Read back: the flow runs' states from Prefect's REST API, and from MLflow, with each learner's
own account, that every learner's run is in that learner's own workspace. Printed per room
size, the median of the repeats: flow runs started, COMPLETED, FAILED/CRASHED, the time until
the last flow finished, median and max time per flow, peak memory (PSS) of the room's MLflow,
of PostgreSQL and of the stand-in Prefect, "database is locked" / HTTP 5xx / 429 lines in the Prefect server's log and
the flows' output, and the machine's load average before and after.

    python benchmarks/workshop_prefect.py --learners 20 60 --repeats 1
"""

from __future__ import annotations

import argparse
import gc
import importlib
import json
import logging
import os
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psutil
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent
LAB = {"LAB_MLFLOW_PORT": "10000", "LAB_S3_PORT": "10100", "LAB_PREFECT_PORT": "10200", "LAB_PG_PORT": "10300",
       "LAB_JUPYTER_PORT": "10400", "LAB_SPARK_MASTER_PORT": "10500", "LAB_SPARK_UI_PORT": "10600"}
# A learner's machine has none of the server's settings: only what `lab users env` gives.
SERVER_VARIABLES = ("MLFLOW_TRACKING_URI", "PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "MLFLOW_S3_ENDPOINT_URL",
                    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "PREFECT_HOME", "MLFLOW_TRACKING_USERNAME",
                    "MLFLOW_TRACKING_PASSWORD", "MLFLOW_WORKSPACE")
FLOW_NAME = "retreinar-modelo"
EXPERIMENT = "pipeline_treinamento"
ROOM_TIMEOUT = 1800
# What a learner's own interpreter runs (as tests/test_workshop.py does), then the modules the
# flow loaded: the parent imports them before forking, as each laptop would have them loaded.
LEARNER_COMMAND = """\
import json, sys
import lab_utils; lab_utils.connect()
from pipelines.retrain import retreinar_modelo
state = retreinar_modelo(C=1.0, return_state=True)
print(state.type.value)
json.dump(sorted(sys.modules), open(sys.argv[1], "w"))
"""
TROUBLE = re.compile(r"database is locked|Too Many Requests|\b429 |\" 429\b|\b5\d\d (?:Internal Server Error|"
                     r"Bad Gateway|Service Unavailable|Gateway Timeout)|\" 5\d\d\b|Exception in ASGI application|"
                     r"retryable status code|client retry: .* status (?:429|5\d\d)", re.IGNORECASE)
# Lines Prefect's console handler writes at WARNING and above, and retries after a broken connection.
WARNINGS = re.compile(r"\| (?:WARNING|ERROR|CRITICAL) |retryable exception|client retry: .* status None")
TIMESTAMP = re.compile(r"^[\d:. -]+\| ")
GIB = 2**30
MIB = 2**20


# --- memory -------------------------------------------------------------------------------

def pss(processes: list[psutil.Process]) -> int:
    """Proportional memory: shared pages (PostgreSQL's buffers, say) are counted once."""
    total = 0
    for process in processes:
        try:
            members = [process, *process.children(recursive=True)]
        except psutil.Error:
            continue
        for member in members:
            try:
                total += member.memory_full_info().pss
            except psutil.Error:
                pass
    return total


class MemorySampler:
    """Peak PSS of the room's MLflow, of PostgreSQL, of the stand-in Prefect and of the learners'
    processes, every 2 s; and each learner process's peak USS (what it adds beyond the pages
    shared with the parent)."""

    def __init__(self, servers: dict[str, psutil.Process], learners: list[int]):
        self.targets = {name: [process] for name, process in servers.items()}
        self.learners = [psutil.Process(pid) for pid in learners if psutil.pid_exists(pid)]
        self.peak = {**dict.fromkeys(servers, 0), "learners": 0}
        self.uss: dict[int, int] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        for name, processes in self.targets.items():
            self.peak[name] = max(self.peak[name], pss(processes))
        total = 0
        for process in self.learners:
            try:
                info = process.memory_full_info()
            except psutil.Error:
                continue
            total += info.pss
            self.uss[process.pid] = max(self.uss.get(process.pid, 0), info.uss)
        self.peak["learners"] = max(self.peak["learners"], total)

    def _run(self) -> None:
        while not self._stop.wait(2):
            self.sample()

    def __enter__(self) -> MemorySampler:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def cpu_seconds(process: psutil.Process) -> float:
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
            total += times.user + times.system
        except psutil.Error:
            pass
    return total


# --- a learner ----------------------------------------------------------------------------

def learner_environment(name: str) -> dict[str, str]:
    """The variables `lab users env NAME` prints, unquoted as a shell would."""
    result = subprocess.run([str(BIN / "lab"), "users", "env", name], capture_output=True, text=True, check=True)
    return dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in result.stdout.splitlines())


class RetryLines(logging.Filter):
    """Prefect's and MLflow's HTTP clients retry a 429, a 5xx or a broken connection quietly
    (at DEBUG): this lets those lines through, the status code written out."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("urllib3"):
            if "Incremented Retry" not in record.msg:
                return False
            url, retry = record.args
            last = retry.history[-1] if retry.history else None
            record.msg, record.args = "MLflow client retry: %s status %s (%s)", (
                url, last and last.status, last and last.error)
            return True
        return record.levelno >= logging.INFO or "retryable" in record.getMessage()


def show_client_retries() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s: %(message)s"))
    handler.addFilter(RetryLines())
    for name in ("prefect.client", "urllib3.util.retry"):
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
        logger.addHandler(handler)


def run_learner(name: str, environment: dict[str, str], tag: str, folder: Path) -> None:
    """The forked child: become the learner, run lesson 07's flow, write what happened; never returns."""
    output = os.open(folder / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(output, 1)
    os.dup2(output, 2)
    status = 1
    result: dict = {"name": name}
    try:
        os.environ.clear()
        os.environ.update(environment)
        import prefect.context
        from prefect import tags
        from prefect.settings import get_current_settings

        import lab_utils
        from pipelines.retrain import retreinar_modelo

        started = time.monotonic()
        lab_utils.connect()
        # connect() sets PREFECT_HOME to the learner's lab; Prefect read its settings at import.
        prefect.context.refresh_global_settings_context()
        show_client_retries()
        settings = get_current_settings()
        result.update(started=started, prefect_api_url=settings.api.url, prefect_home=str(settings.home))
        flow_started = time.monotonic()
        with tags(tag):
            state = retreinar_modelo(C=1.0, return_state=True)
        result.update(flow_started=flow_started, finished=time.monotonic(), state=state.type.value,
                      flow_run_id=str(state.state_details.flow_run_id))
        value = state.result(raise_on_failure=False)
        if isinstance(value, dict):
            result.update(mlflow_run_id=value["run_id"], registered_version=value["registered_version"])
        print(state.type.value)
        status = 0 if state.type.value == "COMPLETED" else 1
    except BaseException:  # noqa: BLE001 - the child reports everything, then exits
        traceback.print_exc()
    finally:
        result.setdefault("finished", time.monotonic())
        try:
            (folder / f"{name}.json").write_text(json.dumps(result))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(status)


def measure_one_process(name: str, environment: dict[str, str], folder: Path) -> dict:
    """One learner in their own interpreter: peak memory and time; the modules the flow loads."""
    modules, log = folder / "modules.json", folder / f"{name}.log"
    started = time.monotonic()
    with open(log, "w") as output:
        process = subprocess.Popen([sys.executable, "-c", LEARNER_COMMAND, str(modules)], cwd=ROOT,
                                   env={**environment, "PYTHONPATH": str(ROOT)}, stdout=output,
                                   stderr=subprocess.STDOUT)
    watched = psutil.Process(process.pid)
    peak_rss = peak_pss = 0
    while process.poll() is None:
        try:
            info = watched.memory_full_info()
            peak_rss, peak_pss = max(peak_rss, info.rss), max(peak_pss, info.pss)
        except psutil.Error:
            pass
        time.sleep(0.25)
    output = log.read_text(errors="replace")
    if process.returncode != 0 or not output.strip().endswith("COMPLETED"):
        raise SystemExit(f"one learner's flow in its own process failed:\n{output[-3000:]}")
    return {"seconds": time.monotonic() - started, "rss": peak_rss, "pss": peak_pss,
            "modules": json.loads(modules.read_text())}


def preload(modules: list[str]) -> int:
    """Import what the flow loads, once, in the parent; return how many could not be imported."""
    failed = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecations of modules the flow loads: its own output shows them
        for module in modules:
            if module in sys.modules or module == "__main__":
                continue
            try:
                importlib.import_module(module)
            except Exception:  # noqa: BLE001 - a platform-specific or optional module: the child loads it if needed
                failed += 1
    return failed


# --- a room -------------------------------------------------------------------------------

def run_room(label: str, names: list[str], environments: dict[str, dict[str, str]], folder: Path, config,
             servers: dict[str, psutil.Process], child_bytes: int) -> dict:
    """Every learner of `names` starts lesson 07's flow at once; the figures of this round.
    `servers`: the processes measured by name (mlflow, postgres, prefect: the stand-in, ...)."""
    sampled = {name: servers[name] for name in ("mlflow", "postgres", "prefect")}
    folder.mkdir(parents=True)
    tag = f"bench-{folder.name}"
    log = config.logs_dir / "prefect.log"
    log_offset = log.stat().st_size if log.exists() else 0
    batch = len(names)
    if child_bytes:
        batch = max(1, min(batch, int((psutil.virtual_memory().available - 4 * GIB) / child_bytes)))
    load_before = os.getloadavg()
    cpu_before = {name: cpu_seconds(process) for name, process in servers.items()}
    started = time.monotonic()
    peak = {**dict.fromkeys(sampled, 0), "learners": 0}
    uss: list[int] = []
    child_cpu: list[float] = []
    exited: dict[str, float] = {}
    for first in range(0, len(names), batch):
        group = names[first:first + batch]
        gc.collect()
        gc.freeze()  # objects imported once stay shared: the children's writes copy fewer pages
        pids = {}
        for name in group:
            learner_home = folder / "labs" / name
            learner_home.mkdir(parents=True)
            pid = os.fork()
            if pid == 0:
                run_learner(name, {**environments[name], "LAB_HOME": str(learner_home)}, tag, folder)
            pids[pid] = name
        gc.unfreeze()
        with MemorySampler(sampled, list(pids)) as sampler:
            deadline = time.monotonic() + ROOM_TIMEOUT
            while pids:
                pid, _status, usage = os.wait4(-1, os.WNOHANG)
                if pid in pids:
                    exited[pids.pop(pid)] = time.monotonic()
                    child_cpu.append(usage.ru_utime + usage.ru_stime)
                    continue
                if time.monotonic() > deadline:
                    for pid in pids:
                        os.kill(pid, 9)
                    for pid in list(pids):
                        os.waitpid(pid, 0)
                        exited[pids.pop(pid)] = time.monotonic()
                    break
                time.sleep(0.1)
        for key in peak:
            peak[key] = max(peak[key], sampler.peak[key])
        uss.extend(sampler.uss.values())
    load_after = os.getloadavg()

    results = {}
    for name in names:
        path = folder / f"{name}.json"
        results[name] = json.loads(path.read_text()) if path.exists() else {"name": name}
    flow_seconds = [r["finished"] - r["flow_started"] for r in results.values() if "flow_started" in r]
    connect_seconds = [r["flow_started"] - r["started"] for r in results.values() if "flow_started" in r]
    last = max(results[n].get("finished", exited.get(n, started)) for n in names) - started

    states = prefect_states(config, tag)
    own_workspace = sum(run_in_own_workspace(config, name, environments[name], results[name]) for name in names)
    settings_ok = sum(r.get("prefect_api_url") == config.prefect_api_url
                      and r.get("prefect_home") == str(folder / "labs" / r["name"] / "prefect-client")
                      for r in results.values())
    server_log = [line.strip() for line in (log.read_bytes()[log_offset:].decode(errors="replace")
                                            if log.exists() else "").splitlines() if line.strip()]
    flows_output = [line.strip() for name in names if (folder / f"{name}.log").exists()
                    for line in (folder / f"{name}.log").read_text(errors="replace").splitlines()]
    failed_output = {n: (folder / f"{n}.log").read_text(errors="replace")[-1500:] for n in names
                     if results[n].get("state") != "COMPLETED" and (folder / f"{n}.log").exists()}
    return {
        "label": label, "learners": len(names), "batch": batch, "started": len(states),
        "completed": states.count("COMPLETED"), "failed": states.count("FAILED") + states.count("CRASHED"),
        "other": len(states) - states.count("COMPLETED") - states.count("FAILED") - states.count("CRASHED"),
        "client_completed": sum(r.get("state") == "COMPLETED" for r in results.values()),
        "own_workspace": own_workspace, "settings_ok": settings_ok, "last_s": last,
        "flow_median_s": statistics.median(flow_seconds) if flow_seconds else float("nan"),
        "flow_max_s": max(flow_seconds) if flow_seconds else float("nan"),
        "connect_median_s": statistics.median(connect_seconds) if connect_seconds else float("nan"),
        "mlflow_mib": peak["mlflow"] / MIB, "prefect_mib": peak["prefect"] / MIB, "postgres_mib": peak["postgres"] / MIB,
        "learners_mib": peak["learners"] / MIB, "uss_median_mib": statistics.median(uss) / MIB if uss else 0,
        "learner_cpu_s": statistics.median(child_cpu) if child_cpu else 0,
        # Of the processes alive at the end: PostgreSQL's backends that ended are not counted.
        **{f"{name}_cpu_s": cpu_seconds(process) - cpu_before[name] for name, process in servers.items()},
        "server_trouble": [line for line in server_log if TROUBLE.search(line)],
        "flow_trouble": [line for line in flows_output if TROUBLE.search(line)],
        # The server logs at WARNING: every line of its log is a warning or an error.
        "server_warnings": server_log, "flow_warnings": [line for line in flows_output if WARNINGS.search(line)],
        "failed_output": failed_output,
        "load_before": load_before, "load_after": load_after,
    }


def prefect_states(config, tag: str) -> list[str]:
    """The state type of every flow run of this round, as the Prefect server has it."""
    response = requests.post(f"{config.prefect_api_url}/flow_runs/filter", timeout=60,
                             json={"flows": {"name": {"any_": [FLOW_NAME]}},
                                   "flow_runs": {"tags": {"all_": [tag]}}, "limit": 200})
    response.raise_for_status()
    return [run["state_type"] for run in response.json()]


def run_in_own_workspace(config, name: str, environment: dict[str, str], result: dict) -> bool:
    """The learner's MLflow run, read with the learner's account: in the experiment of the
    learner's own workspace, and tagged with the flow run that made it."""
    if "mlflow_run_id" not in result:
        return False
    session = requests.Session()
    session.auth = (environment["MLFLOW_TRACKING_USERNAME"], environment["MLFLOW_TRACKING_PASSWORD"])
    session.headers["X-MLFLOW-WORKSPACE"] = name
    api = f"{config.tracking_uri}/api/2.0/mlflow"
    experiment = session.get(f"{api}/experiments/get-by-name", params={"experiment_name": EXPERIMENT}, timeout=60)
    run = session.get(f"{api}/runs/get", params={"run_id": result["mlflow_run_id"]}, timeout=60)
    if not (experiment.ok and run.ok):
        return False
    tags = {t["key"]: t["value"] for t in run.json()["run"]["data"].get("tags", [])}
    return (run.json()["run"]["info"]["experiment_id"] == experiment.json()["experiment"]["experiment_id"]
            and tags.get("prefect.flow_run_id") == result.get("flow_run_id"))


# --- the report ---------------------------------------------------------------------------

NUMBERS = ("started", "completed", "failed", "other", "client_completed", "own_workspace", "settings_ok", "last_s",
           "flow_median_s", "flow_max_s", "connect_median_s", "mlflow_mib", "prefect_mib", "postgres_mib", "learners_mib",
           "uss_median_mib", "learner_cpu_s")


LINE_KINDS = ("server_trouble", "flow_trouble", "server_warnings", "flow_warnings")


def median_row(rounds: list[dict]) -> dict:
    row = {key: statistics.median(r[key] for r in rounds) for key in NUMBERS + tuple(
        key for key in rounds[0] if key.endswith("_cpu_s") and key != "learner_cpu_s")}
    row.update(label=rounds[0]["label"], learners=rounds[0]["learners"], repeats=len(rounds),
               batch=min(r["batch"] for r in rounds), failed_max=max(r["failed"] for r in rounds),
               **{kind: statistics.median(len(r[kind]) for r in rounds) for kind in LINE_KINDS},
               load_before=rounds[0]["load_before"], load_after=rounds[-1]["load_after"])
    return row


def load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{v:.1f}" for v in values)


def report(rows: list[dict], rounds: dict[str, list[dict]], one: dict, repeats: int) -> None:
    print(f"\nLesson 07's flow, every learner at once; median of {repeats} repeat(s). Times in s, memory in MiB.")
    print(f"{'room':<10} {'runs':>4} {'COMPL':>5} {'FAIL':>4} {'other':>5} {'own ws':>6} {'last':>6} "
          f"{'flow p50':>8} {'max':>6} {'connect':>7} {'mlflow':>6} {'prefect':>7} {'pg':>5} {'learners':>8} {'USS/l':>5} "
          f"{'5xx/429/lock':>13} {'warnings':>13} {'load before':>14} {'after':>14}")
    for r in rows:
        print(f"{r['label']:<10} {r['started']:>4.0f} {r['completed']:>5.0f} {r['failed']:>4.0f} {r['other']:>5.0f} "
              f"{r['own_workspace']:>6.0f} {r['last_s']:>6.1f} {r['flow_median_s']:>8.1f} {r['flow_max_s']:>6.1f} "
              f"{r['connect_median_s']:>7.1f} {r['mlflow_mib']:>6.0f} {r['prefect_mib']:>7.0f} {r['postgres_mib']:>5.0f} "
              f"{r['learners_mib']:>8.0f} {r['uss_median_mib']:>5.0f} "
              f"{r['server_trouble']:>5.0f} / {r['flow_trouble']:<5.0f} {r['server_warnings']:>5.0f} / "
              f"{r['flow_warnings']:<5.0f} {load(r['load_before']):>14} {load(r['load_after']):>14}")
    print("runs, COMPL, FAIL (FAILED+CRASHED), other: flow runs of the round on the Prefect server (REST API); "
          "own ws: MLflow runs found, with the learner's account, in the learner's own workspace; "
          "last: from the first fork to the last flow's end; flow p50/max: the flow call; connect: "
          "lab_utils.connect(); mlflow, pg: peak PSS of the room's servers; prefect: of the stand-in for the "
          "learners' own Prefect servers; learners: peak PSS of the room's "
          "processes; USS/l: peak private memory per learner process; 5xx/429/lock: lines with an HTTP "
          "5xx or 429 (retried ones included) or 'database is locked', in the stand-in Prefect's log / in the "
          "flows' output; warnings: lines in the stand-in Prefect's log / WARNING and ERROR lines "
          "and retried broken connections in the flows' output; load: 1/5/15-minute load average before the "
          "first repeat and after the last.")

    def per_room(key: str, digits: int) -> str:
        return ", ".join(f"{r['label']} {r[key]:.{digits}f} s" for r in rows)

    print(f"CPU per learner process (median): {per_room('learner_cpu_s', 1)}.")
    for key in [key for key in rows[0] if key.endswith("_cpu_s") and key != "learner_cpu_s"]:
        print(f"CPU of the {key.removesuffix('_cpu_s')} service during the round: {per_room(key, 0)}.")
    print(f"One learner in their own interpreter: {one['seconds']:.1f} s (start-up, imports and connect included), "
          f"peak RSS {one['rss'] / MIB:.0f} MiB, PSS {one['pss'] / MIB:.0f} MiB.")
    for r in rows:
        if r["batch"] < r["learners"]:
            print(f"NOTE {r['label']}: memory allowed {r['batch']} learner processes at a time, "
                  f"not {r['learners']}: the room ran in batches, its times are not a room's at once.")
        if r["settings_ok"] < r["learners"]:
            print(f"NOTE {r['label']}: only {r['settings_ok']:.0f} learner processes had the stand-in Prefect's "
                  "address and their own PREFECT_HOME.")
    for label, group in rounds.items():
        for round_ in group:
            for kind in LINE_KINDS:
                distinct = dict.fromkeys(TIMESTAMP.sub("", line) for line in round_[kind])
                for line in list(distinct)[:4]:
                    print(f"{label}, {kind.replace('_', ' ')} ({len(round_[kind])} lines): {line[:240]}")
            for name, tail in list(round_["failed_output"].items())[:3]:
                print(f"--- {label}: {name}'s flow did not complete; its output ends with:\n{tail}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, nargs="+", default=[20, 60], help="room sizes")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--logs", type=Path, help="keep the servers' logs and the flows' output in this folder")
    args = parser.parse_args()
    benchmark_started, load_at_start = time.monotonic(), os.getloadavg()
    print(f"load average at start (1/5/15 min): {load(load_at_start)} on {os.cpu_count()} cores; "
          f"{psutil.virtual_memory().available / GIB:.1f} GiB available", flush=True)

    with tempfile.TemporaryDirectory(prefix="workshop-prefect-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
        for name in [n for n in os.environ if n.startswith("LAB_")] + list(SERVER_VARIABLES):
            os.environ.pop(name, None)
        learner_base = dict(os.environ)
        os.environ.update({**LAB, "LAB_HOME": str(tmp / "lab")})
        from lab_stack import own_prefect, stack, workshop
        from lab_stack.config import load_config
        from lab_stack.secrets import server_environment

        config = load_config(workshop=True)
        stack.up(config)
        try:
            own_prefect.ensure_running(config)  # the learners' own Prefect, one for all (see above)
            print(f"workshop lab up; the learners' Prefect (a stand-in): {config.prefect_api_url}", flush=True)
            names = [f"learner{i:02d}" for i in range(max(args.learners))]
            added = time.monotonic()
            workshop.add_learners(config, names)
            with ThreadPoolExecutor(4) as pool:
                environments = {n: {**learner_base, **e, "LAB_PREFECT_PORT": LAB["LAB_PREFECT_PORT"]}
                                for n, e in zip(names, pool.map(learner_environment, names), strict=True)}
            print(f"{len(names)} learners added, their `lab users env` read: {time.monotonic() - added:.0f} s",
                  flush=True)
            # The benchmark itself reads Prefect's API as the server's tools do.
            os.environ.update(server_environment(load_config()))
            proxy = stack.supervisor(config).supervisor
            servers = {info["name"]: psutil.Process(info["pid"]) for info in proxy.getAllProcessInfo()
                       if info["group"] == "core" and info["pid"]}
            servers["prefect"] = psutil.Process(int((config.home / "run" / "prefect.pid").read_text()))

            one = measure_one_process(names[0], {**environments[names[0]], "LAB_HOME": str(tmp / "one-process")},
                                      tmp)
            print(f"one learner process: {one['seconds']:.1f} s, peak RSS {one['rss'] / MIB:.0f} MiB", flush=True)
            # Loaded once, shared by every forked learner.
            missing = preload(["prefect.context", "lab_utils.notebook", "pipelines.retrain", *one["modules"]])
            threads = threading.active_count()
            if threads > 1:
                raise SystemExit(f"{threads} threads after the imports: forking would copy a lock held by one")
            print(f"parent: {len(sys.modules)} modules loaded ({missing} not importable here), "
                  f"{psutil.Process().memory_info().rss / MIB:.0f} MiB", flush=True)

            rounds: dict[str, list[dict]] = {}
            child_bytes = 0
            for repeat in range(args.repeats):
                for size in [1, *args.learners]:
                    label = "alone" if size == 1 else f"{size} at once"
                    figures = run_room(label, names[:size], environments, tmp / f"room{size}-r{repeat}", config,
                                       servers, child_bytes)
                    rounds.setdefault(label, []).append(figures)
                    if size == 1:  # a learner's private memory, with room to spare, bounds a batch
                        child_bytes = int(figures["uss_median_mib"] * MIB * 1.5)
                    print(f"repeat {repeat + 1}: {label}: {figures['completed']}/{size} COMPLETED, "
                          f"last flow after {figures['last_s']:.1f} s, load {load(figures['load_after'])}",
                          flush=True)
        finally:
            stack.down(config)
            if args.logs:
                shutil.copytree(config.logs_dir, args.logs / "servers", dirs_exist_ok=True)
                for room in tmp.glob("room*"):
                    shutil.copytree(room, args.logs / room.name, ignore=shutil.ignore_patterns("labs"),
                                    dirs_exist_ok=True)

    report([median_row(group) for group in rounds.values()], rounds, one, args.repeats)
    print(f"\nbenchmark took {(time.monotonic() - benchmark_started) / 60:.1f} min; load average at start "
          f"{load(load_at_start)}, at the end {load(os.getloadavg())} (1/5/15 min, {os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
