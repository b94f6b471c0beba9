"""One learner's logging pattern over MLflow's REST API, for Locust (used by workshop_load.py).

Per iteration: create a run, 10 params one call each, 30 metric points one call each, a
small artifact (proxied upload), 3 tags, a search, end the run.

With LEARNERS_FILE (a JSON list of [name, password]), each simulated learner signs in
as one account and works in its own workspace, as on a workshop lab.
"""

import itertools
import json
import os
import time
import uuid

from locust import HttpUser, constant, task

API = "/api/2.0/mlflow"
ACCOUNTS = json.loads(open(os.environ["LEARNERS_FILE"]).read()) if os.environ.get("LEARNERS_FILE") else []
NEXT_ACCOUNT = itertools.count()


class Learner(HttpUser):
    wait_time = constant(1)

    def on_start(self) -> None:
        if ACCOUNTS:
            user, password = ACCOUNTS[next(NEXT_ACCOUNT) % len(ACCOUNTS)]
            self.client.auth = (user, password)
            self.client.headers["X-MLFLOW-WORKSPACE"] = user
        name = f"learner_{uuid.uuid4().hex[:8]}"
        response = self.client.post(f"{API}/experiments/create", json={"name": name}, name="experiments/create")
        self.experiment_id = response.json()["experiment_id"]

    @task
    def lesson_pattern(self) -> None:
        run = self.client.post(f"{API}/runs/create", name="runs/create",
                               json={"experiment_id": self.experiment_id,
                                     "start_time": int(time.time() * 1000)}).json()["run"]["info"]
        run_id = run["run_id"]
        for i in range(10):
            self.client.post(f"{API}/runs/log-parameter", name="runs/log-parameter",
                             json={"run_id": run_id, "key": f"param_{i}", "value": str(i)})
        for step in range(30):
            self.client.post(f"{API}/runs/log-metric", name="runs/log-metric",
                             json={"run_id": run_id, "key": "loss", "value": 1.0 / (step + 1),
                                   "timestamp": int(time.time() * 1000), "step": step})
        path = run["artifact_uri"].removeprefix("mlflow-artifacts:/").lstrip("/")
        self.client.put(f"/api/2.0/mlflow-artifacts/artifacts/{path}/notes.txt", data=b"x" * 2048,
                        name="artifacts/upload")
        for key in ("owner", "lesson", "purpose"):
            self.client.post(f"{API}/runs/set-tag", name="runs/set-tag",
                             json={"run_id": run_id, "key": key, "value": "workshop"})
        self.client.post(f"{API}/runs/search", name="runs/search",
                         json={"experiment_ids": [self.experiment_id], "max_results": 10})
        self.client.post(f"{API}/runs/update", name="runs/update",
                         json={"run_id": run_id, "status": "FINISHED", "end_time": int(time.time() * 1000)})
