"""A room of learners following the instructor through the lessons: the lessons' own recorded
traffic (lesson_traffic.json, from record_lessons.py), replayed cell by cell at the room's pace.

The instructor says "run it now" for cell k at a time shared by the whole room (a schedule
drawn from REPLAY_SEED); each learner starts the cell a few seconds after the word
(REPLAY_JITTER, default 0-5 s), sends that cell's requests back to back, then reads until the
next word (REPLAY_READING, default 20-60 s per cell). Cells that send nothing have no word.

Ids the recording's responses created (experiments, runs, logged models, artifact roots,
page tokens) are mapped to the ones the replay's own responses create, and substituted into
later requests' paths, queries and bodies. With LEARNERS_FILE (a workshop server) each
learner signs in to their own workspace and keeps the lessons' names; with
REPLAY_SUFFIX_NAMES=1 (a plain server, one namespace for the room) experiment and
registered-model names get a suffix per learner. A request fails when its status differs
from the recorded one (a recorded 404 must be a 404 again).

Which cells: REPLAY_LESSONS (lesson numbers, comma-separated; default the tracking-heaviest
lessons 01,02,04,05) and, when REPLAY_ALL_CELLS is not set, the cells with the most requests
that fit in REPLAY_BUDGET seconds of schedule (default 300). The cells those depend on (they
created an id a chosen cell uses) are replayed first, at once, before the first word
("setup"), and are left out of the figures.

    python benchmarks/locustfile_lessons.py --describe     # the cells the replay covers

Per learner and cell, the cell's time is a Locust event ("CELL", name lesson[cell index]);
REPLAY_RESULTS names a JSON file for the raw figures (every request's latency outside setup,
failures, every cell's time and lateness).
"""

from __future__ import annotations

import itertools
import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from locust import HttpUser, constant, events, task
from locust.exception import StopUser

TRAFFIC = Path(os.environ.get("LESSON_TRAFFIC") or Path(__file__).with_name("lesson_traffic.json"))
DEFAULT_LESSONS = "01,02,04,05"
# Artifact endpoints: /api/2.0/mlflow-artifacts/<artifacts|presigned|mpu/...>/<path in the store>.
ARTIFACTS_API = "/api/2.0/mlflow-artifacts/"
ARTIFACTS_PATH = re.compile(r"^(/api/2\.0/mlflow-artifacts/(?:artifacts|presigned|mpu/\w+))(?:/(.*))?$")
ARTIFACTS_SCHEME = "mlflow-artifacts:/"
# Response fields whose recorded value the replay maps to its own (as record_lessons.ID_FIELD keeps them).
ID_FIELD = re.compile(r"(^|_)(id|ids|uuid|uri|location|token)$")
# Request and response fields that carry the same kind of id under another name.
KIND = {"run_uuid": "run_id", "run_ids": "run_id", "source_run_id": "run_id", "experiment_ids": "experiment_id",
        "model_ids": "model_id", "next_page_token": "page_token", "request_id": "trace_id"}
LONG_ID = 16  # ids this long (runs, logged models, traces) are replaced wherever they appear in a string


def kind(key: str) -> str:
    return KIND.get(key, key)


def _range(variable: str, default: str) -> tuple[float, float]:
    low, _, high = os.environ.get(variable, default).partition("-")
    return float(low), float(high or low)


class IdMap:
    """Recorded ids -> this learner's ids, learnt from responses, applied to requests."""

    def __init__(self, names: dict[str, str] | None = None):
        self.by_kind: dict[str, dict[str, str]] = {}
        self.long: dict[str, str] = {}
        self.roots: list[tuple[str, str]] = []  # artifact roots without the scheme, longest first
        self.names = names or {}
        self.used: set[str] = set()
        self._long_pattern = self._name_pattern = None
        if self.names:
            alternatives = "|".join(re.escape(n) for n in sorted(self.names, key=len, reverse=True))
            self._name_pattern = re.compile(rf"(?<![\w.-])({alternatives})(?![\w-])")

    # --- learning from a response -------------------------------------------------------------
    def learn(self, recorded, live, key: str = "") -> list[str]:
        """Walk the recorded response (ids only) beside the live one; return the ids first learnt."""
        learnt = []
        if isinstance(recorded, dict) and isinstance(live, dict):
            for name, value in recorded.items():
                if name in live:
                    learnt += self.learn(value, live[name], name)
        elif isinstance(recorded, list) and isinstance(live, list):
            for old, new in zip(recorded, live, strict=False):
                learnt += self.learn(old, new, key)
        elif isinstance(recorded, (str, int)) and isinstance(live, (str, int)) and ID_FIELD.search(key):
            old, new = str(recorded), str(live)
            if key.endswith(("uri", "location")):
                if old.startswith(ARTIFACTS_SCHEME) and new.startswith(ARTIFACTS_SCHEME):
                    old, new = old.removeprefix(ARTIFACTS_SCHEME).strip("/"), new.removeprefix(ARTIFACTS_SCHEME).strip("/")
                    if old not in dict(self.roots):
                        self.roots.append((old, new))
                        self.roots.sort(key=lambda pair: len(pair[0]), reverse=True)
                        learnt.append(old)
                return learnt
            table = self.by_kind.setdefault(kind(key), {})
            if old not in table:
                table[old] = new
                learnt.append(old)
                if len(old) >= LONG_ID and old not in self.long:
                    self.long[old] = new
                    self._long_pattern = None
        return learnt

    # --- rewriting a request ------------------------------------------------------------------
    def value(self, key: str, value):
        if isinstance(value, dict):
            return {k: self.value(k, v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(key, v) for v in value]
        if isinstance(value, str):
            table = self.by_kind.get(kind(key), {})
            if value in table:
                self.used.add(value)
                return table[value]
            return self.text(value)
        return value

    def text(self, text: str) -> str:
        if text.startswith(ARTIFACTS_SCHEME):
            text = ARTIFACTS_SCHEME + self.artifact_path(text.removeprefix(ARTIFACTS_SCHEME))
        if self.long:
            if self._long_pattern is None:
                self._long_pattern = re.compile("|".join(re.escape(i) for i in sorted(self.long, key=len, reverse=True)))
            text = self._long_pattern.sub(self._long_id, text)
        if self._name_pattern:
            text = self._name_pattern.sub(self._name, text)
        return text

    def _name(self, match: re.Match) -> str:
        self.used.add(match.group(1))
        return self.names[match.group(1)]

    def _long_id(self, match: re.Match) -> str:
        self.used.add(match.group(0))
        return self.long[match.group(0)]

    def artifact_path(self, path: str) -> str:
        """A path inside the artifact store: its recorded root (experiment, run, model) replaced."""
        for old, new in self.roots:
            if path == old or path.startswith(old + "/"):
                self.used.add(old)
                return new + path[len(old):]
        return path

    def request(self, recorded: dict) -> tuple[str, list[tuple[str, str]], object]:
        """The recorded request's path, query and JSON body, with this learner's ids and names."""
        from urllib.parse import parse_qsl

        path = recorded["path"]
        artifacts = ARTIFACTS_PATH.match(path)
        if artifacts and artifacts.group(2):
            path = f"{artifacts.group(1)}/{self.artifact_path(artifacts.group(2))}"
        path = self.text(path)
        query = []
        for key, value in parse_qsl(recorded.get("query", ""), keep_blank_values=True):
            if key == "path" and artifacts:
                value = self.artifact_path(value)
            query.append((key, self.value(key, value)))
        body = self.value("", recorded["body"]) if "body" in recorded else None
        return path, query, body


# --- which cells, and when -----------------------------------------------------------------------

def load_traffic() -> list[dict]:
    return json.loads(TRAFFIC.read_text())["lessons"]


def plan(lessons: list[str], budget_s: float, all_cells: bool, reading: tuple[float, float],
         jitter: tuple[float, float], seed: int) -> dict:
    """The cells replayed at a word (in lesson order) with the word's time, and what they need.

    A cell needs the earlier cells that created an id it uses, or wrote to an experiment or
    model it names (registered it, added a version, set an alias). Those that come before
    every chosen cell are the setup, replayed at the start; the others are caught up right
    before the chosen cell that needs them (cell["catch_up"]). Neither counts in the figures.
    """
    traffic = load_traffic()
    ordered = [(lesson["lesson"], cell) for lesson in traffic for cell in lesson["cells"]]
    position = {(n, c["index"]): i for i, (n, c) in enumerate(ordered)}
    candidates = [(name, cell) for name, cell in ordered if any(name.startswith(p) for p in lessons)]
    dependencies = _dependencies(ordered, names_in(traffic))
    if all_cells:
        chosen = candidates
    else:
        chosen, spent = [], 0.0
        per_cell = jitter[1] + sum(reading) / 2
        for name, cell in sorted(candidates, key=lambda nc: len(nc[1]["requests"]), reverse=True):
            cost = per_cell + _alone_s(cell)
            if spent + cost <= budget_s:
                chosen.append((name, cell))
                spent += cost
    chosen.sort(key=lambda nc: position[(nc[0], nc[1]["index"])])
    keys = {(n, c["index"]) for n, c in chosen}
    first = position[(chosen[0][0], chosen[0][1]["index"])]
    done: set[tuple[str, int]] = set()
    setup, words, at = [], [], 0.0
    draw = random.Random(seed)
    for name, cell in chosen:
        needed, todo = set(), [(name, cell["index"])]
        while todo:
            for dependency in dependencies.get(todo.pop(), ()):
                if dependency not in needed and dependency not in keys and dependency not in done:
                    needed.add(dependency)
                    todo.append(dependency)
        done |= needed
        needed_cells = [{"lesson": n, **c} for n, c in ordered if (n, c["index"]) in needed]
        setup += [c for c in needed_cells if position[(c["lesson"], c["index"])] < first]
        catch_up = [c for c in needed_cells if position[(c["lesson"], c["index"])] > first]
        words.append({"lesson": name, "at_s": round(at, 1), **cell, "catch_up": catch_up})
        at += jitter[1] + _alone_s(cell) + sum(_alone_s(c) for c in catch_up) + draw.uniform(*reading)
    return {"cells": words, "setup": setup, "length_s": round(at, 1)}


def _alone_s(cell: dict) -> float:
    return sum(r["ms"] for r in cell["requests"]) / 1000


def _dependencies(ordered: list[tuple[str, dict]], names: set[str]) -> dict[tuple[str, int], set[tuple[str, int]]]:
    """For each cell, the earlier cells it needs (found by an identity replay of the recording)."""
    ids, creator, writers, needs = IdMap({name: name for name in names}), {}, {}, {}
    for lesson, cell in ordered:
        key = (lesson, cell["index"])
        mine = needs.setdefault(key, set())
        for recorded in cell["requests"]:
            ids.used.clear()
            ids.request(recorded)
            mine.update(creator[i] for i in ids.used if creator.get(i, key) != key)
            for name in ids.used & names:
                mine.update(w for w in writers.get(name, ()) if w != key)
            for learnt in ids.learn(recorded.get("response"), recorded.get("response")):
                creator.setdefault(learnt, key)
            body = recorded.get("body")
            if recorded["method"] != "GET" and recorded["status"] < 400 and isinstance(body, dict) \
                    and body.get("name") in names:
                writers.setdefault(body["name"], []).append(key)
    return needs


def names_in(traffic: list[dict]) -> set[str]:
    """Experiment and registered-model names the lessons create."""
    names = set()
    for lesson in traffic:
        for cell in lesson["cells"]:
            for r in cell["requests"]:
                if r["path"].endswith(("/experiments/create", "/registered-models/create")) and "body" in r:
                    names.add(r["body"]["name"])
    return names


def settings() -> dict:
    return {"lessons": os.environ.get("REPLAY_LESSONS", DEFAULT_LESSONS).split(","),
            "budget_s": float(os.environ.get("REPLAY_BUDGET", "300")),
            "all_cells": os.environ.get("REPLAY_ALL_CELLS") == "1",
            "reading": _range("REPLAY_READING", "20-60"), "jitter": _range("REPLAY_JITTER", "0-5"),
            "seed": int(os.environ.get("REPLAY_SEED", "1"))}


# --- the learner -----------------------------------------------------------------------------------

PLAN = json.loads(Path(os.environ["REPLAY_PLAN"]).read_text()) if os.environ.get("REPLAY_PLAN") else plan(**settings())
ACCOUNTS = json.loads(open(os.environ["LEARNERS_FILE"]).read()) if os.environ.get("LEARNERS_FILE") else []
SUFFIX_NAMES = os.environ.get("REPLAY_SUFFIX_NAMES") == "1"
NAMES = names_in(load_traffic()) if SUFFIX_NAMES else set()
JITTER = _range("REPLAY_JITTER", "0-5")
SEED = int(os.environ.get("REPLAY_SEED", "1"))
START = float(os.environ.get("REPLAY_START") or time.time() + 10)
# A learner's number names its suffix: the run of one learner alone takes numbers apart from the room's.
NEXT_LEARNER = itertools.count(int(os.environ.get("REPLAY_FIRST_LEARNER", "0")))
RESULTS = {"latencies_ms": [], "failed": 0, "failures": {}, "cells": [], "setup_s": []}
running = [0]


@events.request.add_listener
def _collect(request_type, name, response_time, exception, context, **_):
    if request_type == "CELL" or context.get("phase") == "setup":
        return
    RESULTS["latencies_ms"].append(round(response_time, 1))
    if exception:
        RESULTS["failed"] += 1
        message = str(exception)[:160]
        RESULTS["failures"][message] = RESULTS["failures"].get(message, 0) + 1


@events.quitting.add_listener
def _write_results(environment, **_):
    if os.environ.get("REPLAY_RESULTS"):
        Path(os.environ["REPLAY_RESULTS"]).write_text(json.dumps(RESULTS))


def _stat_name(path: str) -> str:
    """Requests grouped by endpoint in Locust's table: ids and artifact paths left out."""
    artifacts = ARTIFACTS_PATH.match(path)
    if artifacts:
        return artifacts.group(1) + ("/…" if artifacts.group(2) else "")
    return re.sub(r"/(m-|tr-)?[0-9a-f]{32}\b", "/{id}", path)


class Learner(HttpUser):
    wait_time = constant(0)

    def on_start(self) -> None:
        self.number = next(NEXT_LEARNER)
        running[0] += 1
        if ACCOUNTS:
            user, password = ACCOUNTS[self.number % len(ACCOUNTS)]
            self.client.auth = (user, password)
            self.client.headers["X-MLFLOW-WORKSPACE"] = user
        self.ids = IdMap({name: f"{name}_l{self.number:03d}" for name in NAMES})
        self.draw = random.Random(SEED * 100_003 + self.number)

    def on_stop(self) -> None:
        running[0] -= 1
        if running[0] == 0 and self.environment.runner:
            gevent.spawn(self.environment.runner.quit)  # the room is done: end the run

    def send(self, recorded: dict, phase: str) -> None:
        path, query, body = self.ids.request(recorded)
        kwargs = {"params": query, "name": f"{recorded['method']} {_stat_name(recorded['path'])}",
                  "context": {"phase": phase}, "catch_response": True}
        if path.startswith(ARTIFACTS_API) and recorded["method"] == "PUT":
            kwargs["data"] = b"x" * recorded["request_bytes"]
        elif body is not None:
            kwargs["json"] = body
        with self.client.request(recorded["method"], path, **kwargs) as response:
            expected = recorded["status"]
            if response.status_code != expected and not (response.status_code < 400 and expected < 400):
                response.failure(f"{recorded['method']} {_stat_name(recorded['path'])}: "
                                 f"{response.status_code}, recorded {expected}")
                return
            response.success()
            if "response" in recorded and response.status_code < 400:
                try:
                    self.ids.learn(recorded["response"], response.json())
                except ValueError:
                    pass

    def run_cell(self, cell: dict, phase: str) -> float:
        started = time.time()
        for recorded in cell["requests"]:
            self.send(recorded, phase)
        return time.time() - started

    def follow_the_room(self) -> None:
        started = time.time()
        for cell in PLAN["setup"]:
            self.run_cell(cell, "setup")
        RESULTS["setup_s"].append(round(time.time() - started, 2))
        for cell in PLAN["cells"]:
            start_at = START + cell["at_s"] + self.draw.uniform(*JITTER)
            gevent.sleep(max(0.0, start_at - time.time()))
            late = time.time() - (START + cell["at_s"])
            for earlier in cell["catch_up"]:
                self.run_cell(earlier, "setup")
            seconds = self.run_cell(cell, "cell")
            name = f"{cell['lesson']}[{cell['index']}]"
            events.request.fire(request_type="CELL", name=name, response_time=seconds * 1000,
                                response_length=len(cell["requests"]), exception=None, context={})
            RESULTS["cells"].append({"learner": self.number, "cell": name, "requests": len(cell["requests"]),
                                     "seconds": round(seconds, 3), "late_s": round(late, 2)})

    @task
    def lessons(self) -> None:
        self.follow_the_room()
        raise StopUser()


if __name__ == "__main__":
    import sys

    chosen = plan(**settings())
    if "--json" in sys.argv:
        print(json.dumps(chosen))
    else:
        print(f"{len(chosen['cells'])} cells at a word over {chosen['length_s']:.0f} s, "
              f"{len(chosen['setup'])} setup cells first:")
        for cell in chosen["setup"]:
            print(f"  setup {cell['lesson']}[{cell['index']}] {len(cell['requests']):>4} requests  {cell['source']}")
        for cell in chosen["cells"]:
            for earlier in cell["catch_up"]:
                print(f"  catch up {earlier['lesson']}[{earlier['index']}] {len(earlier['requests']):>4} requests  "
                      f"{earlier['source']}")
            print(f"  {cell['at_s']:>5.0f} s {cell['lesson']}[{cell['index']}] {len(cell['requests']):>4} requests  "
                  f"{cell['source']}")
