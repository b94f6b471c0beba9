"""The exercise graders' common helpers (issue #26; /work/shared/STYLE.md, "A fair check").

A grader reads the servers (MLflow, the bucket, Prefect) for the state the learner's work left,
compares by meaning, judges this attempt (scoped by the id handed over or by time), and says in
ONE line, in the learner's language, what is wrong and what to do. It prints exactly one "✓ …"
line (`passed`), and only when every check passed.

API (stable: add, don't rename):
- `ExerciseCheckFailed`, `fail(message)`, `passed(message)`
- validators of what is handed over: `require_run_id`, `require_version`, `require_flow_run_id`,
  `require_text`, `describe_type`
- quiet reads: `get_run`, `get_experiment_name`, `child_runs`, `runs_since`, `artifact_paths`,
  `now_ms`
- comparisons by meaning: `as_number`, `same_number`, `same_name`, `set_difference`,
  `param_value`, `require_params`, `require_metric`, `require_run_name`, `require_experiment`,
  `require_child_of`
- ties: `best_runs`, `require_one_of_best`
"""

from __future__ import annotations

import math
import re
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence

from ..i18n import _

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


class ExerciseCheckFailed(AssertionError):
    """An exercise's answer is not right yet; the message (one line) says what to do."""


def fail(message: str) -> None:
    """Raise `ExerciseCheckFailed` with `message` (already through `_()`) on one line."""
    line = " ".join(str(message).split())
    raise ExerciseCheckFailed(_("✗ {message}").format(message=line))


def passed(message: str) -> None:
    """Print the grader's only success line (call it last, once every check passed)."""
    print(_("✓ {message}").format(message=message))


# ---------------------------------------------------------------- what the learner hands over

def describe_type(value: object) -> str:
    """A short, learner-readable name of what `value` is (`None`, `a Run`, `a DataFrame`, …)."""
    if value is None:
        return "None"
    if value is Ellipsis:
        return "..."
    name = type(value).__name__
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "…"
        return _("the text {value!r}").format(value=shown)
    article = _("an {type}") if name[:1].lower() in "aeiou" else _("a {type}")
    return article.format(type=name)


def _run_id_hint(value: object) -> str | None:
    """Where the run id is inside a value that holds one (a Run, ActiveRun, RunInfo, a row)."""
    name = type(value).__name__
    if name in ("Run", "ActiveRun"):
        return "run.info.run_id"
    if name == "RunInfo":
        return "info.run_id"
    if name == "Series":
        return 'row["run_id"]'
    if name == "DataFrame" and type(value).__module__.startswith("pandas"):  # not a Spark DataFrame
        return 'runs.iloc[0]["run_id"]'
    if name in ("list", "tuple"):
        return "[0]"
    return None


def require_run_id(value: object, what: str | None = None) -> str:
    """`value` as a run id (32 lowercase hex digits), or a one-line failure saying what was expected.

    Accepts a str (surrounding blanks ignored) and a numpy/pandas string scalar. Refuses a `Run`,
    `ActiveRun`, `RunInfo`, a DataFrame row or frame, `None`, and any other text.
    """
    what = what or _("a run id")
    if isinstance(value, str) or type(value).__name__ in ("str_", "StringDtype"):
        text = str(value).strip()
        if _RUN_ID.match(text):
            return text
        fail(_("expected {what} (32 hex digits, such as run.info.run_id), got {got}")
             .format(what=what, got=describe_type(value)))
    hint = _run_id_hint(value)
    if hint:
        fail(_("expected {what} (a string), got {got}: hand over its id, e.g. {hint}")
             .format(what=what, got=describe_type(value), hint=hint))
    fail(_("expected {what} (a string such as run.info.run_id), got {got}")
         .format(what=what, got=describe_type(value)))


def require_version(value: object, what: str | None = None) -> str:
    """A registered model version number as the registry writes it ("3"); accepts 3 and "3"."""
    from numbers import Integral

    what = what or _("a model version number")
    if isinstance(value, bool):
        pass
    elif isinstance(value, Integral) and value > 0:  # also numpy's int64, read from a DataFrame
        return str(int(value))
    elif isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
        return str(int(value.strip()))
    elif isinstance(value, float) and value.is_integer() and value > 0:
        return str(int(value))
    if type(value).__name__ == "ModelVersion":
        fail(_("expected {what}, got a ModelVersion: hand over its .version").format(what=what))
    fail(_("expected {what} (such as \"3\"), got {got}").format(what=what, got=describe_type(value)))


def require_flow_run_id(value: object, what: str | None = None) -> str:
    """A Prefect flow run id (a UUID, as a str or `uuid.UUID`) as a string."""
    what = what or _("a flow run id")
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        try:
            return str(uuid.UUID(value.strip()))
        except ValueError:
            pass
    name = type(value).__name__
    if name == "FlowRun":
        fail(_("expected {what}, got a FlowRun: hand over its .id").format(what=what))
    if name == "State":
        fail(_("expected {what}, got a State: hand over state.state_details.flow_run_id").format(what=what))
    fail(_("expected {what} (a UUID such as flow_run.id), got {got}").format(what=what, got=describe_type(value)))


def require_text(value: object, what: str) -> str:
    """A non-empty string (stripped), else a one-line failure."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    fail(_("expected {what} (a non-empty string), got {got}").format(what=what, got=describe_type(value)))


# ---------------------------------------------------------------- quiet reads of the servers

def _client():
    from mlflow import MlflowClient

    return MlflowClient()


def now_ms() -> int:
    """Now, in the milliseconds MLflow uses for start times (to scope an attempt by time)."""
    return int(time.time() * 1000)


def get_run(run_id: object, what: str | None = None):
    """The run as the server has it (no print), after `require_run_id`; fails in one line if absent."""
    from mlflow.exceptions import MlflowException

    run_id = require_run_id(run_id, what)
    try:
        run = _client().get_run(run_id)
    except MlflowException:
        fail(_("run {run_id} is not on the tracking server: re-run the cell that logs it")
             .format(run_id=run_id))
    if run.info.lifecycle_stage == "deleted":
        fail(_("run {run_id} is deleted: hand over a run that is not").format(run_id=run_id))
    return run


def get_experiment_name(run) -> str:
    """The name of the run's experiment."""
    return _client().get_experiment(run.info.experiment_id).name


def child_runs(parent_id: str, experiment_id: str | None = None) -> list:
    """The runs whose `mlflow.parentRunId` tag is `parent_id` (active ones only)."""
    client = _client()
    if experiment_id is None:
        experiment_id = client.get_run(parent_id).info.experiment_id
    return client.search_runs([experiment_id], f"tags.mlflow.parentRunId = '{parent_id}'", max_results=5000)


def runs_since(experiment_ids: Sequence[str], since_ms: int, filter_string: str = "") -> list:
    """Active runs of the experiments started at or after `since_ms` (attempt scoping by time)."""
    scope = f"attributes.start_time >= {int(since_ms)}"
    return _client().search_runs(list(experiment_ids), f"{filter_string} and {scope}" if filter_string else scope,
                                 max_results=5000)


def artifact_paths(run_id: str, path: str | None = None) -> list[str]:
    """Every file under `path` of the run's artifacts (recursively), as paths relative to the root."""
    client = _client()
    found: list[str] = []
    for item in client.list_artifacts(run_id, path):
        found += artifact_paths(run_id, item.path) if item.is_dir else [item.path]
    return found


# ---------------------------------------------------------------- comparisons by meaning

def as_number(value: object) -> float | None:
    """`value` as a float ("1", 1, 1.0, " 1e0 " all give 1.0), or None when it is no number."""
    if isinstance(value, bool):
        return None
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def same_number(got: object, want: object, rel: float = 1e-9, abs: float = 1e-9) -> bool:  # noqa: A002
    """True when both are numbers and close (math.isclose with `rel` and `abs`)."""
    a, b = as_number(got), as_number(want)
    return a is not None and b is not None and math.isclose(a, b, rel_tol=rel, abs_tol=abs)


def same_name(got: object, want: str) -> bool:
    """Names compared where case and surrounding blanks do not matter."""
    return isinstance(got, str) and got.strip().casefold() == want.strip().casefold()


def set_difference(got: Iterable, want: Iterable) -> tuple[list, list]:
    """(missing, extra): what `want` has that `got` lacks, and what `got` has beyond `want`, sorted."""
    got_set, want_set = set(got), set(want)
    return sorted(want_set - got_set, key=str), sorted(got_set - want_set, key=str)


def param_value(run, name: str, variants: Iterable[str] = ()) -> str | None:
    """The run's param `name`, or the first documented variant present (`best_alpha` for `alpha`).

    Keys match exactly first, then without case, then as the last dotted part of a key
    (autolog's `RandomForestRegressor_1a2b.numTrees`) when only one key matches that way.
    """
    params = run.data.params
    for key in (name, *variants):
        if key in params:
            return params[key]
    for key in (name, *variants):
        folded = key.casefold()
        same = [k for k in params if k.casefold() == folded]
        dotted = [k for k in params if k.casefold().rsplit(".", 1)[-1] == folded]
        for found in (same, dotted):
            if len(found) == 1:
                return params[found[0]]
    return None


def require_params(run, expected: Mapping[str, object], variants: Mapping[str, Iterable[str]] | None = None,
                   rel: float = 1e-9) -> None:
    """Each expected param is logged with that value: numbers as numbers, other values as names."""
    variants = variants or {}
    for name, want in expected.items():
        got = param_value(run, name, variants.get(name, ()))
        if got is None:
            fail(_("run {run_id} has no param {name!r} (it has {logged})")
                 .format(run_id=run.info.run_id, name=name, logged=sorted(run.data.params)))
        if as_number(want) is not None:
            ok = same_number(got, want, rel=rel)
        else:
            ok = same_name(got, str(want))
        if not ok:
            fail(_("run {run_id} has param {name}={got!r}, expected {want!r}")
                 .format(run_id=run.info.run_id, name=name, got=got, want=want))


def require_metric(run, name: str, want: float | None = None, rel: float = 1e-6, abs: float = 1e-6,  # noqa: A002
                   why: str | None = None) -> float:
    """The run's metric `name` (it must exist); when `want` is given, it must be close to it."""
    metrics = run.data.metrics
    if name not in metrics:
        fail(_("run {run_id} has no metric {name!r} (it has {logged})")
             .format(run_id=run.info.run_id, name=name, logged=sorted(metrics)))
    got = metrics[name]
    if want is not None and not same_number(got, want, rel=rel, abs=abs):
        fail(_("run {run_id} has metric {name}={got:,.4g}, expected {want:,.4g}{why}")
             .format(run_id=run.info.run_id, name=name, got=got, want=want, why=f" ({why})" if why else ""))
    return got


def require_run_name(run, expected: str) -> None:
    """The run is named `expected` (case and surrounding blanks do not matter)."""
    if not same_name(run.info.run_name, expected):
        fail(_("the run is named {got!r}, the task asks for {want!r}: start it with run_name={want!r}")
             .format(got=run.info.run_name, want=expected))


def require_experiment(run, expected: str) -> None:
    """The run belongs to experiment `expected` (case and surrounding blanks do not matter)."""
    name = get_experiment_name(run)
    if not same_name(name, expected):
        fail(_("the run is in experiment {got!r}, the task asks for {want!r}: call "
               "mlflow.set_experiment({want!r}) before starting it")
             .format(got=name, want=expected))


def require_child_of(run, parent_id: str) -> None:
    """The run's `mlflow.parentRunId` tag is `parent_id`."""
    if run.data.tags.get("mlflow.parentRunId") != parent_id:
        fail(_("run {run_id} is not a child run of {parent_id}: start it with nested=True inside the parent")
             .format(run_id=run.info.run_id, parent_id=parent_id))


# ---------------------------------------------------------------- ties

def best_runs(runs: Iterable, metric: str, lowest: bool = True, rel: float = 1e-9, abs: float = 1e-9) -> list:  # noqa: A002
    """Every run sharing the best value of `metric` (ties are equal answers); runs without it are skipped."""
    scored = [r for r in runs if metric in r.data.metrics]
    if not scored:
        return []
    values = [r.data.metrics[metric] for r in scored]
    best = min(values) if lowest else max(values)
    return [r for r in scored if math.isclose(r.data.metrics[metric], best, rel_tol=rel, abs_tol=abs)]


def require_one_of_best(run_id: str, runs: Iterable, metric: str, lowest: bool = True) -> list:
    """`run_id` is one of the runs sharing the best `metric`; returns those runs."""
    runs = list(runs)
    best = best_runs(runs, metric, lowest=lowest)
    if not best:
        fail(_("no run here has a metric {metric!r}").format(metric=metric))
    if run_id in {r.info.run_id for r in best}:
        return best
    mine = next((r for r in runs if r.info.run_id == run_id), None)
    value = best[0].data.metrics[metric]
    if mine is None:
        fail(_("run {run_id} is not one of the runs to choose from").format(run_id=run_id))
    if metric not in mine.data.metrics:
        fail(_("run {run_id} has no metric {metric!r}").format(run_id=run_id, metric=metric))
    fail((_("run {run_id} has {metric} {got:,.4g}; the lowest is {best:,.4g}") if lowest
          else _("run {run_id} has {metric} {got:,.4g}; the highest is {best:,.4g}"))
         .format(run_id=run_id, metric=metric, got=mine.data.metrics[metric], best=value))
