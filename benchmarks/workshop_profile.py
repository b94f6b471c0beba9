"""Where a workshop server's time goes: CPU and SQL statements per request kind, and a sampling
profile under the lessons' replay, beside MLflow's defaults.

Starts the benchmark's temporary workshop lab (workshop_load.Workshop: object store, PostgreSQL,
MLflow's basic-auth app with a workspace per learner) with PostgreSQL's pg_stat_statements
loaded, and beside it `mlflow server` at its defaults on a PostgreSQL database of the same
cluster (same store, same SQL; no sign-in, no workspaces). Then:

1. Per request kind (`--per-kind N`): one learner sends N requests of each kind the lessons send
   most (benchmarks/lesson_traffic.json), one at a time, to each server. For each kind: the
   server's CPU per request (its processes' CPU time, psutil), the SQL statements per request
   (pg_stat_statements' calls) and the median latency; then N more with py-spy attached, its
   samples sorted into where the time went (below).
2. Under the lessons' replay (`--learners L`, 0 to skip): workshop_load.replay at the room's pace,
   py-spy recording the server and its workers (`--subprocesses`), on each server.

Where the time went, each py-spy sample put in the first bucket that matches its stack:
authentication and permission checks (mlflow/server/auth, lab_stack/room_app), workspace
resolution (MLflow's workspace modules), the tracking store's SQL (SQLAlchemy and the database
driver, under MLflow's handlers), the artifact store (boto3), serialization (protobuf, JSON),
MLflow's handler code, and the web stack (uvicorn, the ASGI-to-WSGI bridge, Flask, Werkzeug).

    python benchmarks/workshop_profile.py --per-kind 60 --learners 60 --out build/profile
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psutil
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
from workshop_load import BIN, Workshop, lesson_plan, replay, start_plain_server, stop, wait_healthy  # noqa: E402
from workshop_prefect import cpu_seconds as process_cpu_seconds  # noqa: E402

API = "/api/2.0/mlflow"
ARTIFACTS = "/api/2.0/mlflow-artifacts/artifacts"
PLAIN_PORT = 13700
# The kinds the lessons send most (benchmarks/lesson_traffic.json), most frequent first.
KINDS = ("runs/log-metric", "artifact upload (PUT)", "runs/get", "runs/log-batch (10 metrics)", "artifacts list",
         "runs/update", "runs/create", "registered-models/get", "runs/search")

# Where a sample's time went. A sample inside the sign-in and permission checks, or inside
# workspace resolution, counts there whatever it runs (their SQL included, also shown apart);
# any other sample counts where its innermost recognised frame is.
AUTH = re.compile(r"mlflow/server/auth/|lab_stack/room_app")
WORKSPACE = re.compile(r"mlflow/[\w/]*workspace")
LEAF_BUCKETS = (
    ("tracking store: SQL (SQLAlchemy, driver)", re.compile(r"sqlalchemy/|psycopg|sqlite3")),
    ("artifact store (boto3)", re.compile(r"boto3/|botocore/|s3transfer/")),
    ("serialization (protobuf, JSON)", re.compile(r"google/protobuf|proto_json_utils|/json/")),
    ("web stack (uvicorn, ASGI-WSGI bridge, Flask)",
     re.compile(r"uvicorn/|starlette/|fastapi/|anyio/|asyncio/|flask/|werkzeug/|h11/|httptools/|"
                r"mlflow/server/(fastapi_app|asgi_utils|fastapi_security|security)")),
    ("MLflow's handlers and entities", re.compile(r"mlflow/")),
)
AUTH_BUCKET, WORKSPACE_BUCKET, OTHER = ("authentication and permission checks", "workspace resolution", "other")
BUCKET_NAMES = (AUTH_BUCKET, WORKSPACE_BUCKET, *(name for name, _ in LEAF_BUCKETS), OTHER)
SQL = LEAF_BUCKETS[0][1]
# A thread waiting (MLflow's job runner, an idle event loop, a pool): not the server's work.
WAITING = re.compile(r"^(Condition\.wait|Event\.wait|EpollSelector\.select|_recv|Connection\._recv|sleep|"
                     r"Lock\.acquire|_wait_for_tstate_lock|select) ")


def bucket(stack: list[str]) -> str | None:
    """The bucket of one sample (frames from the outermost in), None for a waiting thread."""
    if WAITING.match(stack[-1].strip()):
        return None
    if any(AUTH.search(frame) for frame in stack):
        return AUTH_BUCKET
    if any(WORKSPACE.search(frame) for frame in stack):
        return WORKSPACE_BUCKET
    for frame in reversed(stack):
        for name, pattern in LEAF_BUCKETS:
            if pattern.search(frame):
                return name
    return OTHER


class Profiler:
    """py-spy recording a process and its children (raw, collapsed stacks) until stopped."""

    def __init__(self, pid: int, out: Path, rate: int = 100):
        self.out = out
        self.process = subprocess.Popen(
            [str(BIN / "py-spy"), "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--rate", str(rate),
             "--format", "raw", "--output", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        time.sleep(1.5)  # py-spy attaches to every process before it samples

    def stop(self) -> collections.Counter:
        self.process.send_signal(signal.SIGINT)
        _, err = self.process.communicate(timeout=120)
        if not self.out.exists():
            raise SystemExit(f"py-spy wrote no profile: {err[-2000:]}")
        shares: collections.Counter = collections.Counter()
        for line in self.out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not (stack and count.isdigit()):
                continue
            frames = stack.split(";")
            name = bucket(frames)
            if name is not None:
                shares[name] += int(count)
                if name == AUTH_BUCKET and any(SQL.search(frame) for frame in frames):
                    shares["auth: SQL"] += int(count)
        return shares


def cpu_seconds(server: list[psutil.Process]) -> float:
    return sum(process_cpu_seconds(process) for process in server)


class Statements:
    """SQL statements the servers sent, from pg_stat_statements (every database of the cluster)."""

    def __init__(self, room: Workshop):
        from lab_stack.services.postgres import connect_postgres

        self.conn = connect_postgres(room.config, "postgres")
        self.conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")

    def reset(self) -> None:
        self.conn.execute("SELECT pg_stat_statements_reset()")

    def count(self) -> tuple[int, list[tuple[int, str]]]:
        """Statements since the reset, and the most frequent of them (calls, text)."""
        rows = self.conn.execute("SELECT calls, query FROM pg_stat_statements ORDER BY calls DESC").fetchall()
        rows = [(calls, " ".join(query.split())) for calls, query in rows if "pg_stat_statements" not in query]
        return sum(calls for calls, _ in rows), rows[:40]


def load_pg_stat_statements(room: Workshop) -> None:
    """PostgreSQL loads the extension's library at start: set it, then restart the database and the server."""
    from lab_stack.services.postgres import connect_postgres

    with connect_postgres(room.config, "postgres") as conn:
        conn.execute("ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'")
    supervisor = room.stack.supervisor(room.config).supervisor
    for name in ("core:mlflow", "core:postgres"):
        supervisor.stopProcess(name)
    for name in ("core:postgres", "core:mlflow"):
        supervisor.startProcess(name)
    wait_healthy(room.url)
    room.server = [psutil.Process(supervisor.getProcessInfo("core:mlflow")["pid"])]
    room.database = [psutil.Process(supervisor.getProcessInfo("core:postgres")["pid"])]
    wait_quiet(room.server)


def start_defaults_on_postgres(room: Workshop, tmp: Path) -> subprocess.Popen:
    """`mlflow server` at its defaults (workers, no sign-in, no workspaces) on a database of the room's cluster."""
    from lab_stack.secrets import postgres_password
    from lab_stack.services.postgres import connect_postgres, database_uri

    name = f"defaults_{uuid.uuid4().hex[:6]}"
    with connect_postgres(room.config, "postgres") as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    server = start_plain_server([], PLAIN_PORT, tmp, room.config, backend=database_uri(room.config, name),
                                environment={"PGPASSWORD": postgres_password(room.config)})
    wait_quiet([psutil.Process(server.pid)])
    return server


def wait_quiet(server: list[psutil.Process], limit_s: float = 120) -> None:
    """Until the server's processes are done starting (its workers, MLflow's job runner): under
    a tenth of a core over 2 s, so the first kind measured is not charged for the start."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        before = cpu_seconds(server)
        time.sleep(2)
        if cpu_seconds(server) - before < 0.2:
            return


def kinds(session: requests.Session, url: str) -> dict[str, callable]:
    """One request of each kind (KINDS), against a run and an experiment of this learner's."""
    def call(method: str, path: str, **kwargs) -> dict:
        response = session.request(method, f"{url}{path}", timeout=60, **kwargs)
        response.raise_for_status()
        return response.json() if response.content and "json" in response.headers.get("content-type", "") else {}

    experiment = call("POST", f"{API}/experiments/create", json={"name": f"profile-{uuid.uuid4().hex[:8]}"})
    experiment_id = experiment["experiment_id"]
    run = call("POST", f"{API}/runs/create", json={"experiment_id": experiment_id})["run"]
    run_id = run["info"]["run_id"]
    artifacts = run["info"]["artifact_uri"].removeprefix("mlflow-artifacts:")
    model = f"profile-model-{uuid.uuid4().hex[:6]}"
    call("POST", f"{API}/registered-models/create", json={"name": model})
    step = iter(range(10**9))
    body = b"x" * 2048  # a small file, as a model's MLmodel or requirements.txt
    return dict(zip(KINDS, [
        lambda: call("POST", f"{API}/runs/log-metric", json={
            "run_id": run_id, "key": "rmse", "value": 1.0, "timestamp": 0, "step": next(step)}),
        lambda: call("PUT", f"{ARTIFACTS}{artifacts}/f{next(step)}.txt", data=body),
        lambda: call("GET", f"{API}/runs/get", params={"run_id": run_id}),
        lambda: call("POST", f"{API}/runs/log-batch", json={
            "run_id": run_id, "metrics": [{"key": f"m{i}", "value": 1.0, "timestamp": 0, "step": next(step)}
                                          for i in range(10)]}),
        lambda: call("GET", ARTIFACTS, params={"path": artifacts.lstrip("/")}),
        lambda: call("POST", f"{API}/runs/update", json={"run_id": run_id, "status": "RUNNING"}),
        lambda: call("POST", f"{API}/runs/create", json={"experiment_id": experiment_id}),
        lambda: call("GET", f"{API}/registered-models/get", params={"name": model}),
        lambda: call("POST", f"{API}/runs/search", json={"experiment_ids": [experiment_id],
                                                                         "max_results": 50}),
    ], strict=True))


def per_kind(name: str, url: str, server: list[psutil.Process], account: callable, count: int,
             statements: Statements, out: Path) -> list[dict]:
    """Each kind sent by a learner of its own (the room limits each learner's writes: 150 at once):
    `count` requests measured (CPU, SQL, latency), then `count` more with py-spy attached (its
    sampling slows the server's answers, so latency is measured without it)."""
    rows = []
    for i, kind in enumerate(KINDS):
        request = kinds(account(i), url)[kind]
        for _ in range(10):  # warm: a worker's first requests of a kind load code and fill caches
            request()
        statements.reset()
        cpu_before, latencies = cpu_seconds(server), []
        for _ in range(count):
            started = time.perf_counter()
            request()
            latencies.append(time.perf_counter() - started)
        cpu = cpu_seconds(server) - cpu_before
        sql, frequent = statements.count()
        profiler = Profiler(server[0].pid, out / f"{name.split()[0]}-{kind.split()[0].replace('/', '_')}.txt")
        for _ in range(count):
            request()
        shares = profiler.stop()
        rows.append({"server": name, "kind": kind, "cpu_ms": 1000 * cpu / count, "sql": sql / count,
                     "p50_ms": 1000 * statistics.median(latencies), "shares": shares,
                     "statements": [(round(calls / count, 2), text[:300]) for calls, text in frequent]})
        print(f"  {name}: {kind}: {rows[-1]['cpu_ms']:.1f} ms CPU, {rows[-1]['sql']:.1f} statements, "
              f"p50 {rows[-1]['p50_ms']:.1f} ms", flush=True)
    return rows


def share_columns(shares: collections.Counter) -> str:
    total = sum(v for k, v in shares.items() if k in BUCKET_NAMES) or 1
    columns = [f"{100 * shares.get(name, 0) / total:.0f} %" for name in BUCKET_NAMES]
    columns[0] += f" (SQL {100 * shares.get('auth: SQL', 0) / total:.0f} %)"
    return " | ".join(columns)


def print_per_kind(rows: list[dict]) -> None:
    names = BUCKET_NAMES
    print("\n| server | request kind | CPU per request | SQL statements | p50 alone | " + " | ".join(names) + " |")
    print("|" + " --- |" * (5 + len(names)))
    for r in rows:
        print(f"| {r['server']} | {r['kind']} | {r['cpu_ms']:.1f} ms | {r['sql']:.1f} | {r['p50_ms']:.1f} ms | "
              f"{share_columns(r['shares'])} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--per-kind", type=int, default=60,
                        help="requests of each kind, one at a time, measured and then profiled (0: skip; at most 65: "
                             "a learner's writes are limited)")
    parser.add_argument("--learners", type=int, default=60, help="learners in the replay (0: skip)")
    parser.add_argument("--out", default="build/profile", help="folder for py-spy's raw profiles")
    args = parser.parse_args()
    out = Path(args.out).resolve()
    out.mkdir(parents=True, exist_ok=True)

    with tempfile.TemporaryDirectory(prefix="workshop-profile-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        tmp.chmod(0o755)  # PostgreSQL runs as its own user when this runs as root
        room = Workshop(tmp)
        defaults = None
        try:
            load_pg_stat_statements(room)
            statements = Statements(room)
            defaults = start_defaults_on_postgres(room, tmp)
            servers = {"defaults on PostgreSQL": (f"http://127.0.0.1:{PLAIN_PORT}", [psutil.Process(defaults.pid)]),
                       "workshop": (room.url, room.server)}
            learners_file = room.learners_file(max(args.learners, len(KINDS)))
            accounts = json.loads(learners_file.read_text())
            rows = []
            if args.per_kind:
                def account(i: int, workshop: bool) -> requests.Session:
                    session = requests.Session()
                    if workshop:
                        session.auth = tuple(accounts[i])
                        session.headers["X-MLFLOW-WORKSPACE"] = accounts[i][0]
                    return session

                for name, (url, server) in servers.items():
                    rows += per_kind(name, url, server, lambda i, w=name == "workshop": account(i, w), args.per_kind,
                                     statements, out)
            replays = []
            if args.learners:
                plan, _, plan_json = lesson_plan(tmp, "20-60", 300, None)
                setup_requests = sum(len(c["requests"]) for c in plan_json["setup"])
                for name, (url, server) in servers.items():
                    profiler = Profiler(server[0].pid, out / f"replay-{name.split()[0]}.txt", rate=50)
                    statements.reset()
                    cpu_before = cpu_seconds(server)
                    figures = replay(url, server, args.learners, tmp, plan, learners_file if name == "workshop" else None,
                                     15 * 60, room.database if name == "workshop" else ())
                    cpu, (sql, _) = cpu_seconds(server) - cpu_before, statements.count()
                    sent = figures["requests"] + args.learners * setup_requests  # the setup's are sent too
                    replays.append((name, figures, sent, cpu, sql, profiler.stop()))
                    print(f"  replay on {name}: {figures['requests']} requests, p95 {figures['p95_ms']:.0f} ms, "
                          f"{cpu:.0f} CPU s, {sql} statements", flush=True)
        finally:
            if defaults is not None:
                stop(defaults)
            room.down()

    if rows:
        (out / "statements.json").write_text(json.dumps(
            [{k: r[k] for k in ("server", "kind", "sql", "statements")} for r in rows], indent=1, ensure_ascii=False))
        print(f"\none learner, {args.per_kind} requests of each kind one at a time (and {args.per_kind} more profiled); "
              "where the server's samples went:")
        print_per_kind(rows)
    if replays:
        names = BUCKET_NAMES
        print(f"\n{args.learners} learners at the lessons' pace; where the server's samples went:")
        print("| server | requests (with setup) | p95 (py-spy attached) | CPU per request | SQL per request | " + " | ".join(names) + " |")
        print("|" + " --- |" * (5 + len(names)))
        for name, figures, sent, cpu, sql, shares in replays:
            print(f"| {name} | {sent} | {figures['p95_ms'] / 1000:.2f} s | {1000 * cpu / sent:.0f} ms | "
                  f"{sql / sent:.1f} | {share_columns(shares)} |")
    print(f"\nthe statements per request of each kind: {out / 'statements.json'}")
    print(f"py-spy's raw profiles (collapsed stacks; a flame graph: https://www.speedscope.app): {out}")


if __name__ == "__main__":
    main()
