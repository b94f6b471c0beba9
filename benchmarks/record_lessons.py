"""What each lesson sends to the MLflow tracking server, cell by cell, for the workshop replay.

    python benchmarks/record_lessons.py                    # every lesson, into lesson_traffic.json
    python benchmarks/record_lessons.py --lessons 01 04    # some lessons only (a partial recording)

Starts a one-learner lab of its own (a temporary LAB_HOME, ports 12000-12700), puts a
recording reverse proxy in front of its tracking server and runs each lesson's solutions
copy (exercises done) with papermill at the lesson's own parameters, in order, with
LAB_MLFLOW_PORT set to the proxy's port: the kernel and every process it starts (`mlflow
run`, flows, model servers) talk to MLflow through the proxy. Each request is then given
to the code cell that was running when it arrived (papermill writes each cell's start and
end time into the executed notebook). The file written holds, per lesson and per cell
that sent anything, the requests in order: method, path, query, status, sizes, and the
JSON bodies when they are small (a response keeps only its ids, which the replay maps to
the ones its own responses create). Artifact transfers keep their size only.
"""

from __future__ import annotations

import argparse
import getpass
import gzip
import json
import os
import re
import sys
import tempfile
import threading
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]
OUTPUT = Path(__file__).with_name("lesson_traffic.json")
LAB = {"LAB_MLFLOW_PORT": "12000", "LAB_S3_PORT": "12100", "LAB_PREFECT_PORT": "12200", "LAB_PG_PORT": "12300",
       "LAB_JUPYTER_PORT": "12400", "LAB_SPARK_MASTER_PORT": "12500", "LAB_SPARK_UI_PORT": "12600"}
PROXY_PORT = 12050
MAX_JSON_BYTES = 64 * 1024
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/"
# Response fields the replay maps from the recorded value to its own: ids, artifact roots, page
# tokens (as locustfile_lessons.ID_FIELD). A user is no id to map.
ID_FIELD = re.compile(r"(^|_)(id|ids|uuid|uri|location|token)$")
NOT_AN_ID = {"user_id"}
# Headers that belong to one connection, not to the message.
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te", "trailer",
              "content-length", "host"}


def recording_proxy(target: str, log: list[dict]):
    """An ASGI app that forwards every request to `target` and appends a record of it to `log`."""
    import httpx
    from starlette.requests import Request
    from starlette.responses import Response

    client: list[httpx.AsyncClient] = []

    async def app(scope, receive, send) -> None:
        if scope["type"] != "http":
            return
        if not client:
            client.append(httpx.AsyncClient(timeout=httpx.Timeout(600.0), limits=httpx.Limits(max_connections=50)))
        request = Request(scope, receive)
        started = time.time()
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
        upstream = client[0].build_request(request.method, f"{target}{scope['path']}", params=scope["query_string"],
                                           headers=headers, content=body)
        reply = await client[0].send(upstream, stream=True)
        content = b"".join([chunk async for chunk in reply.aiter_raw()])
        await reply.aclose()
        log.append({"start": started, "end": time.time(), "method": request.method, "path": scope["path"],
                    "query": scope["query_string"].decode(), "status": reply.status_code,
                    "request_bytes": len(body), "response_bytes": len(content),
                    "body": _small_json(scope["path"], request.headers, body),
                    "response": _small_json(scope["path"], reply.headers, content)})
        response = Response(content, reply.status_code,
                            headers={k: v for k, v in reply.headers.items() if k.lower() not in HOP_BY_HOP})
        await response(scope, receive, send)

    return app


def _small_json(path: str, headers, content: bytes):
    if path.startswith(ARTIFACTS_API) or not content or "json" not in headers.get("content-type", ""):
        return None
    if headers.get("content-encoding") == "gzip":
        content = gzip.decompress(content)
    if len(content) >= MAX_JSON_BYTES:
        return None
    try:
        return json.loads(content)
    except ValueError:
        return None


def ids_only(value):
    """The parts of a response the replay needs: id-like fields, within their structure."""
    if isinstance(value, dict):
        kept = {}
        for key, item in value.items():
            if isinstance(item, (dict, list)):
                item = ids_only(item)
                if item:
                    kept[key] = item
            elif ID_FIELD.search(key) and key not in NOT_AN_ID and isinstance(item, (str, int)) and item != "":
                kept[key] = item
        return kept
    if isinstance(value, list):
        items = [ids_only(item) for item in value]
        return items if any(items) else []
    return None


def machine_neutral(value, user: str = getpass.getuser()):
    """Request bodies without this machine's user, repository path or temporary folder (tags
    such as mlflow.user and mlflow.source.name carry them): the replay does not need them."""
    if isinstance(value, dict):
        return {k: machine_neutral(v, user) for k, v in value.items()}
    if isinstance(value, list):
        return [machine_neutral(v, user) for v in value]
    if isinstance(value, str):
        if value == user:
            return "learner"
        return value.replace(str(ROOT), "<repository>").replace(tempfile.gettempdir() + "/", "<tmp>/")
    return value


def first_sightings(lessons: list[dict]) -> None:
    """Keep in each response only the ids seen there first (the replay learns an id once)."""
    seen: set[tuple[str, str]] = set()

    def new_only(value, key=""):
        if isinstance(value, dict):
            kept = {k: v for k, v in ((k, new_only(v, k)) for k, v in value.items()) if v not in (None, {}, [])}
            return kept
        if isinstance(value, list):
            items = [new_only(item, key) for item in value]
            return items if any(item not in (None, {}, []) for item in items) else []
        if (key, str(value)) in seen:
            return None
        seen.add((key, str(value)))
        return value

    for lesson in lessons:
        for cell in lesson["cells"]:
            for request in cell["requests"]:
                if "response" in request:
                    request["response"] = new_only(request["response"])
                    if not request["response"]:
                        del request["response"]


def start_proxy(target: str, log: list[dict]):
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(recording_proxy(target, log), host="127.0.0.1", port=PROXY_PORT,
                                           log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return server, thread


def _utc_seconds(stamp: str) -> float:
    return datetime.fromisoformat(stamp).timestamp()


def cells_with_traffic(notebook, requests: list[dict]) -> list[dict]:
    """Each request given to the code cell running when it arrived (or the one before, for a
    request sent between two cells by a background thread), cells without requests left out."""
    timed = []
    for index, cell in enumerate(notebook.cells):
        meta = cell.get("metadata", {}).get("papermill", {})
        if cell.cell_type == "code" and meta.get("start_time") and meta.get("end_time"):
            timed.append((_utc_seconds(meta["start_time"]), _utc_seconds(meta["end_time"]), index, cell))
    cells = []
    for position, (start, end, index, cell) in enumerate(timed):
        until = timed[position + 1][0] if position + 1 < len(timed) else float("inf")
        mine = [r for r in requests if (start <= r["start"] < until) or (position == 0 and r["start"] < start)]
        if not mine:
            continue
        first_line = next((line for line in cell.source.splitlines() if line.strip()), "")
        cells.append({"index": index, "source": first_line[:100], "duration_s": round(end - start, 2),
                      "requests": [compact(r, start) for r in mine]})
    return cells


def compact(record: dict, cell_start: float) -> dict:
    entry = {"t": round(record["start"] - cell_start, 3), "ms": round(1000 * (record["end"] - record["start"]), 1),
             "method": record["method"], "path": record["path"]}
    if record["query"]:
        entry["query"] = record["query"]
    entry["status"] = record["status"]
    entry["request_bytes"], entry["response_bytes"] = record["request_bytes"], record["response_bytes"]
    if record["body"] is not None:
        entry["body"] = machine_neutral(record["body"])
    ids = ids_only(record["response"]) if record["response"] is not None else None
    if ids:
        entry["response"] = ids
    if record["status"] >= 400 and isinstance(record["response"], dict) and "error_code" in record["response"]:
        entry["error_code"] = record["response"]["error_code"]
    return entry


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lessons", nargs="*", help="lesson numbers or names (default: every lesson)")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--keep-executed", type=Path, help="a folder for the executed notebooks")
    args = parser.parse_args()
    sources = sorted((ROOT / "solutions").glob("[0-9][0-9]_*.ipynb"))
    if args.lessons:
        sources = [s for s in sources if any(s.stem.startswith(prefix) for prefix in args.lessons)]

    started_all = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="record-lessons-", dir="/tmp") as tmp_name:
        tmp = Path(tmp_name)
        for name in [n for n in os.environ if n.startswith("LAB_")] + [
                "MLFLOW_TRACKING_URI", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_WORKSPACE",
                "PREFECT_API_URL", "PREFECT_API_AUTH_STRING", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]:
            os.environ.pop(name, None)
        os.environ.update({**LAB, "LAB_HOME": str(tmp / "lab"), "LAB_LANG": "en",
                           "PREFECT_SERVER_ANALYTICS_ENABLED": "false"})
        from harness import execute_lesson

        from lab_stack import stack
        try:
            from lab_stack.config import load_config
        except ImportError:  # the stack's settings still live in lab_utils
            from lab_utils.config import load_config

        config = load_config()
        stack.up(config)
        print(f"lab up in {time.monotonic() - started_all:.0f} s", flush=True)
        log: list[dict] = []
        server, thread = start_proxy(config.tracking_uri, log)
        os.environ["LAB_MLFLOW_PORT"] = str(PROXY_PORT)
        os.environ.update(load_config().client_environment())
        executed_dir = args.keep_executed or tmp / "executed"
        executed_dir.mkdir(parents=True, exist_ok=True)
        lessons = []
        try:
            for source in sources:
                started, first = time.monotonic(), len(log)
                notebook = execute_lesson(source, executed_dir / source.name, {}, cwd=ROOT / "notebooks")
                time.sleep(1)  # a background logging thread's last request
                requests = log[first:]
                cells = cells_with_traffic(notebook, requests)
                seconds = time.monotonic() - started
                lessons.append({"lesson": source.stem, "duration_s": round(seconds, 1),
                                "requests": len(requests), "cells": cells})
                print(f"{source.stem}: {len(requests)} requests in {len(cells)} cells, {seconds:.0f} s", flush=True)
        finally:
            server.should_exit = True
            thread.join(10)
            stack.down(config)

    import mlflow

    first_sightings(lessons)
    total = time.monotonic() - started_all
    recording = {"mlflow": mlflow.__version__, "recorded_in_s": round(total),
                 "how": "solutions copies at the lessons' own parameters, in order, on a one-learner lab",
                 "lessons": lessons}
    args.output.write_text(json.dumps(recording, separators=(",", ":")) + "\n")
    print(f"wrote {args.output} ({args.output.stat().st_size / 1024:.0f} KiB); recording took {total / 60:.1f} min")


if __name__ == "__main__":
    main()
