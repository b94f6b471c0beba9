"""How far each learner of a workshop has come, read from their MLflow workspace.

A lesson counts as done when the learner's workspace holds what the lesson's checkpoints
assert and no other lesson leaves behind, taken as late in the lesson (before its
exercises) as one request can read it: a learner who stopped halfway shows an empty cell.
The admin reads every workspace with one client: one search of experiments per learner,
then one request per lesson at most (none for a lesson whose experiment is not there yet).
"""

from __future__ import annotations

import os
from collections.abc import Callable

import requests

from .config import StackConfig
from .workshop import WorkshopError, _admin_client, learners

LESSONS = ("00", "01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11")
DONE, NOT_YET = "✓", "·"


class _Workspace:
    """One learner's workspace, as the admin's client reads it."""

    def __init__(self, client):
        self.client = client
        self.experiments = {e.name: e.experiment_id for e in client.search_experiments()}

    def finished_run(self, experiment: str, filter_string: str) -> bool:
        """A finished run of `experiment` that matches `filter_string`."""
        if experiment not in self.experiments:
            return False
        return bool(self.client.search_runs([self.experiments[experiment]],
                                            f"attributes.status = 'FINISHED' and {filter_string}", max_results=1))

    def logged_model(self, experiment: str, filter_string: str) -> bool:
        if experiment not in self.experiments:
            return False
        return bool(self.client.search_logged_models([self.experiments[experiment]], filter_string, max_results=1))

    def registered_model(self, experiment: str, name: str):
        """The registered model `name` (with its aliases and description), None if there is none
        (or no `experiment` yet, where the lesson logs the model it registers)."""
        if experiment not in self.experiments:
            return None
        found = self.client.search_registered_models(f"name = '{name}'", max_results=1)
        return found[0] if found else None


# Lesson 00: run `first_run` of experiment `lab_tour`, with param greeting=olá and metric answer=42.
def _lesson_00(workspace: _Workspace) -> bool:
    return workspace.finished_run(
        "lab_tour", "attributes.run_name = 'first_run' and params.greeting = 'olá' and metrics.answer = 42")


# Lesson 01: run `system_metrics_demo` of `meu_experimento` with its CPU samples (the last checkpoint).
def _lesson_01(workspace: _Workspace) -> bool:
    return workspace.finished_run(
        "meu_experimento", "attributes.run_name = 'system_metrics_demo' and metrics.fits > 0 "
                           "and metrics.`system/cpu_utilization_percentage` >= 0")


# Lesson 02: parent run `optuna_search` of `meu_experimento`, with the study's n_trials and best cv_rmse.
def _lesson_02(workspace: _Workspace) -> bool:
    return workspace.finished_run(
        "meu_experimento", "attributes.run_name = 'optuna_search' and params.n_trials IS NOT NULL "
                           "and metrics.cv_rmse > 0")


# Lesson 03 (Spark): run `spark_autolog` of `meu_experimento` with autolog's test metric rmse_test_raw.
def _lesson_03(workspace: _Workspace) -> bool:
    return workspace.finished_run("meu_experimento",
                                  "attributes.run_name = 'spark_autolog' and metrics.rmse_test_raw > 0")


# Lesson 04: registered model `previsao_precos_producao` (the copied version) with alias @champion.
def _lesson_04(workspace: _Workspace) -> bool:
    model = workspace.registered_model("meu_experimento", "previsao_precos_producao")
    return model is not None and "champion" in model.aliases


# Lesson 05: run `batch_scoring` of `meu_experimento` with metric houses_scored=20 (the new houses),
# the end of part 1; part 2 serves models and leaves nothing on the tracking server to read.
def _lesson_05(workspace: _Workspace) -> bool:
    return workspace.finished_run("meu_experimento",
                                  "attributes.run_name = 'batch_scoring' and metrics.houses_scored = 20")


# Lesson 06: a run of `projetos_mlflow` by the project's `validate` entry point, tagged validation_passed=true.
def _lesson_06(workspace: _Workspace) -> bool:
    return workspace.finished_run(
        "projetos_mlflow", "tags.`mlflow.project.entryPoint` = 'validate' and tags.validation_passed = 'true'")


# Lesson 07 (Prefect): run `retreino-C2.0` of `pipeline_treinamento`, logged by flow retreinar-modelo:
# the deployment's run (C=2.0); the flow's other runs (C=1.0, 0.5) can come from outside the lesson.
def _lesson_07(workspace: _Workspace) -> bool:
    return workspace.finished_run(
        "pipeline_treinamento", "attributes.run_name = 'retreino-C2.0' and params.C = '2.0' "
                                "and tags.`prefect.flow_name` = 'retreinar-modelo'")


# Lesson 08: registered model `previsao_precos_floresta`, documented (its description names Windsor).
def _lesson_08(workspace: _Workspace) -> bool:
    model = workspace.registered_model("precos_casas_windsor/boas_praticas", "previsao_precos_floresta")
    return model is not None and "Windsor" in (model.description or "")


# Lesson 09: logged model `modelo` of `meu_experimento` registered as a version of `previsao_precos`
# (MLflow tags a logged model with the versions made from it; lesson 01's `modelo` is never registered).
def _lesson_09(workspace: _Workspace) -> bool:
    return workspace.logged_model(
        "meu_experimento", "name = 'modelo' and tags.`mlflow.modelVersions` LIKE '%\"previsao_precos\"%'")


# Lesson 10: a run of `capstone` trained with learning_rate=0.2 (Milestone 4's promoted champion)
# that the last cell of part 2 scored on the test houses (metric test_rmse): both parts done.
def _lesson_10(workspace: _Workspace) -> bool:
    return workspace.finished_run("capstone", "params.learning_rate = '0.2' and metrics.test_rmse > 0")


# Lesson 11: evaluation run `evaluate_faq_assistant-v2` of `faq_assistant` with the scorers' means,
# the second of the two versions' evaluations (the last thing the lesson logs before its exercises).
def _lesson_11(workspace: _Workspace) -> bool:
    return workspace.finished_run("faq_assistant", "attributes.run_name = 'evaluate_faq_assistant-v2' "
                                                   "and metrics.`contains_fact/mean` >= 0")


EVIDENCE: dict[str, Callable[[_Workspace], bool]] = {
    "00": _lesson_00, "01": _lesson_01, "02": _lesson_02, "03": _lesson_03, "04": _lesson_04, "05": _lesson_05,
    "06": _lesson_06, "07": _lesson_07, "08": _lesson_08, "09": _lesson_09, "10": _lesson_10,
    "11": _lesson_11,
}


def read_progress(config: StackConfig) -> dict[str, dict[str, bool]]:
    """For each learner of the roster, which lessons their workspace shows as done."""
    if not config.workshop:
        raise WorkshopError("This lab is not a workshop lab: start it with `lab up --workshop`.")
    try:
        requests.get(f"{config.tracking_uri}/health", timeout=5).raise_for_status()
    except requests.RequestException:
        raise WorkshopError(f"the workshop's tracking server at {config.tracking_uri} does not answer: "
                            "start it with `lab up --workshop` (`lab status` shows what is down).") from None
    import mlflow
    from mlflow.exceptions import MlflowException

    client = _admin_client(config)
    previous = os.environ.get("MLFLOW_WORKSPACE")
    progress = {}
    try:
        for name in sorted(learners(config)):
            mlflow.set_workspace(name)
            workspace = _Workspace(client)
            progress[name] = {lesson: EVIDENCE[lesson](workspace) for lesson in LESSONS}
    except (MlflowException, requests.RequestException) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise WorkshopError(f"reading {name}'s workspace failed ({detail}): is the workshop lab up? "
                            "`lab status` tells.") from None
    finally:
        mlflow.set_workspace(previous)
    return progress


def progress_table(progress: dict[str, dict[str, bool]]) -> str:
    """One row per learner, one column per lesson (✓ done, · not yet), the count last; totals below."""
    if not progress:
        return "No learners yet: add them with `lab users import roster.csv`."
    everyone = f"{len(progress)} learner{'s' if len(progress) > 1 else ''}"
    width = max(len("learner"), len(everyone), *(len(name) for name in progress))
    lines = [f"{'learner':<{width}}  " + " ".join(LESSONS) + "  done"]
    for name, done in progress.items():
        cells = " ".join(f"{DONE if done[lesson] else NOT_YET:>2}" for lesson in LESSONS)
        lines.append(f"{name:<{width}}  {cells}  {sum(done.values()):>4}")
    totals = " ".join(f"{sum(done[lesson] for done in progress.values()):>2}" for lesson in LESSONS)
    lines.append(f"{everyone:<{width}}  {totals}")
    return "\n".join(lines)


# --- who is using what -------------------------------------------------------------------

# A learner above any of these is marked in `lab users usage` (the lessons stay far below:
# ~150 runs, ~20,000 metric values and ~100 MB of artifacts for all eleven).
HEAVY = {"runs": 500, "metrics": 100_000, "artifact_mb": 500}


def read_usage(config: StackConfig) -> dict[str, dict[str, float]]:
    """Runs, metric values and artifact MB per learner, read as the admin: the tracking
    database (PostgreSQL) and the bucket's `workspaces/NAME/` folders (the object store's keys)."""
    from .services.objectstore import store_endpoint
    from .services.postgres import connect_postgres

    if not config.workshop:
        raise WorkshopError("This lab is not a workshop lab: start it with `lab up --workshop`.")
    names = sorted(learners(config))
    usage = {name: {"runs": 0, "metrics": 0, "artifact_mb": 0.0} for name in names}
    try:
        with connect_postgres(config, "mlflow") as db:
            for column, query in (
                ("runs", "SELECT e.workspace, count(*) FROM runs r JOIN experiments e "
                         "ON r.experiment_id = e.experiment_id GROUP BY e.workspace"),
                ("metrics", "SELECT e.workspace, count(*) FROM metrics m JOIN runs r ON m.run_uuid = r.run_uuid "
                            "JOIN experiments e ON r.experiment_id = e.experiment_id GROUP BY e.workspace"),
            ):
                for workspace, count in db.execute(query):
                    if workspace in usage:
                        usage[workspace][column] = count
    except Exception as error:
        raise WorkshopError(f"reading the tracking database failed ({type(error).__name__}): is the workshop "
                            "lab up? `lab status` tells.") from None
    import boto3

    creds = config.s3_credentials()
    s3 = boto3.client("s3", endpoint_url=store_endpoint(config), aws_access_key_id=creds.access_key,
                      aws_secret_access_key=creds.secret_key, region_name="us-east-1")
    for name in names:
        size = 0
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=config.bucket, Prefix=f"workspaces/{name}/"):
            size += sum(item["Size"] for item in page.get("Contents", []))
        usage[name]["artifact_mb"] = size / 2**20
    return usage


def usage_table(usage: dict[str, dict[str, float]]) -> str:
    """One row per learner: runs, metric values, artifact MB; `!` marks a figure above HEAVY."""
    if not usage:
        return "No learners yet: add them with `lab users import roster.csv`."
    width = max(len("learner"), *(len(name) for name in usage))

    def cell(value: float, column: str, size: int, fmt: str) -> str:
        return f"{format(value, fmt):>{size}}{'!' if value > HEAVY[column] else ' '}"

    lines = [f"{'learner':<{width}}  {'runs':>7}  {'metrics':>10}  {'artifacts MB':>13}"]
    for name, row in usage.items():
        lines.append(f"{name:<{width}}  {cell(row['runs'], 'runs', 6, ',d')}  "
                     f"{cell(row['metrics'], 'metrics', 9, ',d')}  {cell(row['artifact_mb'], 'artifact_mb', 12, ',.1f')}")
    lines.append(f"{'total':<{width}}  {sum(r['runs'] for r in usage.values()):>6,d}   "
                 f"{sum(r['metrics'] for r in usage.values()):>9,d}   {sum(r['artifact_mb'] for r in usage.values()):>12,.1f}")
    if any(row[column] > limit for row in usage.values() for column, limit in HEAVY.items()):
        lines.append(f"! above {HEAVY['runs']} runs, {HEAVY['metrics']:,} metric values or {HEAVY['artifact_mb']} MB "
                     "of artifacts: more than the lessons make.")
    return "\n".join(lines)
