"""Lesson 10 part 1's milestones: a tracked search, and a documented champion.

The graders read the tracking server and the registry, and recompute what the search must have
logged on the lesson's seeded split (the same houses every time): the candidates' CV errors, the
best model's validation RMSE, the logged model's prices. A number typed by hand, a score measured
on the wrong houses or a model logged without what the task asks is refused with what to change.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import product

import numpy as np

from ..i18n import _
from . import (
    as_number,
    child_runs,
    fail,
    get_experiment_name,
    get_run,
    param_value,
    passed,
    require_run_id,
    require_version,
    same_name,
    same_number,
)

GRID = {"n_estimators": [50, 100], "max_depth": [2, 3]}
# Part 2 finds the search by its exact run name (and the experiment by its exact name): a name that differs
# only in case would pass here and leave part 2 without a champion, so these two are compared exactly.
RUN_NAME = "capstone_search"
# A score logged rounded to the CAD (or to cents) is the same score: numbers within 1 CAD are the same.
CAD = 1.0
# Ways to name the error in a description: RMSE, in any case, spelled out, or REQM (pt).
_RMSE_WORDS = ("rmse", "reqm", "root mean squared error", "root-mean-square error", "root mean square error",
               "raiz do erro quadrático médio")
# Lesson 02 taught the parent's best parameters as `best_<param>`; both spellings are documented.
VARIANTS = {name: [f"best_{name}", f"best_params_{name}", f"best_params.{name}"] for name in GRID}


def _split():
    import lab_utils

    return lab_utils.split_train_validation_test()


def _rmse(y, predictions) -> float:
    from sklearn.metrics import mean_squared_error

    return float(np.sqrt(mean_squared_error(y, predictions)))


def _gbr(n_estimators: int, max_depth: int, split):
    from sklearn.ensemble import GradientBoostingRegressor

    return GradientBoostingRegressor(random_state=42, n_estimators=n_estimators,
                                     max_depth=max_depth).fit(split.X_train, split.y_train)


@lru_cache(maxsize=1)
def _cv_rmses() -> dict[tuple[int, int], float]:
    """The 5-fold CV RMSE of each candidate on the seeded training houses (the same every time: computed once)."""
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import GridSearchCV

    split = _split()
    search = GridSearchCV(GradientBoostingRegressor(random_state=42), GRID, cv=5,
                          scoring="neg_mean_squared_error").fit(split.X_train, split.y_train)
    return {(p["n_estimators"], p["max_depth"]): float(np.sqrt(-score))
            for p, score in zip(search.cv_results_["params"], search.cv_results_["mean_test_score"], strict=True)}


@lru_cache(maxsize=1)
def _holdout_rmses() -> dict[tuple[int, int], dict[str, float]]:
    """Each candidate fitted on X_train and scored on other houses: what a `cv_rmse` must NOT be."""
    split = _split()
    scores = {}
    for candidate in product(*GRID.values()):
        model = _gbr(*candidate, split)
        scores[candidate] = {"X_validation": _rmse(split.y_validation, model.predict(split.X_validation)),
                             "X_test": _rmse(split.y_test, model.predict(split.X_test)),
                             "X_train": _rmse(split.y_train, model.predict(split.X_train))}
    return scores


def _require_exact_names(run, experiment_name: str) -> None:
    got = run.info.run_name
    if got != RUN_NAME:
        fail((_("the run is named {got!r}: part 2 finds the search by its exact name, {want!r} (case included): "
                "start it with run_name={want!r}") if same_name(got, RUN_NAME) else
              _("the run is named {got!r}, the task asks for {want!r}: start it with run_name={want!r}"))
             .format(got=got, want=RUN_NAME))
    got = get_experiment_name(run)
    if got != experiment_name:
        fail((_("the run is in experiment {got!r}: part 2 reads the experiment by its exact name, {want!r} (case "
                "included): call mlflow.set_experiment({want!r}) before starting it") if same_name(got, experiment_name)
              else _("the run is in experiment {got!r}, the task asks for {want!r}: call "
                     "mlflow.set_experiment({want!r}) before starting it"))
             .format(got=got, want=experiment_name))


def _candidate(run) -> tuple[int, int] | None:
    values = [as_number(param_value(run, name)) for name in GRID]
    return None if None in values else (int(values[0]), int(values[1]))


def _logged_model(run):
    import mlflow

    logged = mlflow.search_logged_models(experiment_ids=[run.info.experiment_id],
                                         filter_string=f"source_run_id = '{run.info.run_id}'", output_format="list")
    return next((m for m in logged if m.name == "model"), None), [m.name for m in logged]


def _requirements(model) -> list[str]:
    from pathlib import Path

    import mlflow

    path = mlflow.artifacts.download_artifacts(artifact_uri=f"{model.artifact_location.rstrip('/')}/requirements.txt")
    lines = [line.split("#")[0].strip() for line in Path(path).read_text().splitlines()]
    return [line for line in lines if line and not line.startswith("-")]


def check_milestone_1(search_run_id: object, experiment_name: str = "capstone") -> None:
    """The search's parent run: named `capstone_search`, 4 nested candidates, best params, model, validation RMSE.

    Accepts: any API; child runs that log only the two grid parameters or every estimator
    parameter; parameters on the parent as `n_estimators` or `best_n_estimators` (lesson 02's
    spelling), as "100" or 100.0; scores rounded to the CAD; a CV computed by `GridSearchCV` or by hand (within 15% of
    the 5-fold CV error, so a shuffled KFold counts); a re-run child (duplicates of a candidate).
    Refuses: not a run id; another name or experiment (compared exactly: part 2 finds the search by
    them); candidates missing or outside the grid; `cv_rmse` invented, in CAD² (no square root) or
    measured on held-out houses instead of by CV (X_validation, X_test); parent parameters that are not the best
    child's; a `validation_rmse` measured on the test (or training) houses or typed; no model
    named `model`, a logged model that is not the best estimator, no input example, unpinned
    requirements.
    """
    import mlflow

    run = get_run(search_run_id, _("the search's parent run id"))
    _require_exact_names(run, experiment_name)
    children = child_runs(run.info.run_id, run.info.experiment_id)
    if not children:
        fail(_("run {run_id} has no child runs: start one mlflow.start_run(nested=True) per candidate inside it")
             .format(run_id=run.info.run_id))
    grid = set(product(*GRID.values()))
    found: dict[tuple[int, int], list[float]] = {}
    for child in children:
        candidate = _candidate(child)
        if candidate is None:
            fail(_("child run {name} has no params n_estimators and max_depth: log each candidate's parameters")
                 .format(name=child.info.run_name))
        if candidate not in grid:
            fail(_("child run {name} has n_estimators={n}, max_depth={d}: not a candidate of the grid {grid}")
                 .format(name=child.info.run_name, n=candidate[0], d=candidate[1], grid=GRID))
        if "cv_rmse" not in child.data.metrics:
            fail(_("child run {name} has no metric cv_rmse").format(name=child.info.run_name))
        found.setdefault(candidate, []).append(child.data.metrics["cv_rmse"])
    missing = sorted(grid - set(found))
    if missing:
        fail(_("no child run for the candidates {missing} (n_estimators, max_depth): one child run per candidate")
             .format(missing=missing))
    split = _split()
    cv = _cv_rmses()
    holdout = _holdout_rmses()
    for candidate, values in sorted(found.items()):
        for value in values:
            houses = next((k for k, v in holdout[candidate].items() if same_number(value, v, rel=1e-6, abs=CAD)), None)
            if houses:
                fail(_("the child run of n_estimators={n}, max_depth={d} has as cv_rmse its RMSE on {houses}: "
                       "compute it by 5-fold cross-validation on X_train (GridSearchCV(..., cv=5) or "
                       "cross_val_score)").format(n=candidate[0], d=candidate[1], houses=houses))
            if same_number(value, cv[candidate] ** 2, rel=0.3):
                fail(_("cv_rmse {value:,.0f} is a squared error (CAD²): log the square root, sqrt(-mean_test_score)")
                     .format(value=value))
            if not same_number(value, cv[candidate], rel=0.15):
                fail(_("the child run of n_estimators={n}, max_depth={d} has cv_rmse {value:,.0f}; its 5-fold CV "
                       "error on X_train is about {want:,.0f}: log what the search computed")
                     .format(n=candidate[0], d=candidate[1], value=value, want=cv[candidate]))
    best = min(found, key=lambda c: min(found[c]))
    chosen = []
    for name in GRID:
        value = param_value(run, name, VARIANTS[name])
        if value is None:
            fail(_("the parent run has no param {name} (nor best_{name}): log the best parameters on it")
                 .format(name=name))
        chosen.append(value)
    if not all(same_number(got, want) for got, want in zip(chosen, best, strict=True)):
        fail(_("the parent's parameters are n_estimators={n}, max_depth={d}; the child with the lowest cv_rmse has "
               "n_estimators={bn}, max_depth={bd}").format(n=chosen[0], d=chosen[1], bn=best[0], bd=best[1]))
    best_model = _gbr(*best, split)
    want = _rmse(split.y_validation, best_model.predict(split.X_validation))
    got = run.data.metrics.get("validation_rmse")
    if got is None:
        fail(_("the parent run has no metric validation_rmse: log the best model's RMSE on X_validation"))
    if not same_number(got, want, rel=1e-6, abs=CAD):
        elsewhere = {"X_test": _rmse(split.y_test, best_model.predict(split.X_test)),
                     "X_train": _rmse(split.y_train, best_model.predict(split.X_train))}
        houses = next((k for k, v in elsewhere.items() if same_number(got, v, rel=1e-6, abs=CAD)), None)
        fail((_("validation_rmse {got:,.0f} is the best model's RMSE on {houses}: compute it on X_validation "
                "({want:,.0f})") if houses else
              _("validation_rmse is {got:,.0f}; the best model's RMSE on X_validation is {want:,.0f}"))
             .format(got=got, houses=houses, want=want))
    model, names = _logged_model(run)
    if model is None:
        fail(_("run {run_id} logged no model named `model` (it logged {names}): log_model(..., name=\"model\")")
             .format(run_id=run.info.run_id, names=names))
    info = mlflow.models.get_model_info(model.model_uri)
    if info.saved_input_example_info is None:
        fail(_("the logged model has no input example: log_model(..., input_example=X_train.head(3))"))
    requirements = _requirements(model)
    loose = [line for line in requirements if "==" not in line]
    if loose or not any(line.lower().startswith("scikit-learn==") for line in requirements):
        fail(_("the logged model's requirements are not pinned ({loose}): log_model(..., "
               "pip_requirements=REQUIREMENTS)").format(loose=loose or requirements))
    try:
        prices = mlflow.pyfunc.load_model(model.model_uri).predict(split.X_validation)
    except Exception as error:  # noqa: BLE001 - a model that cannot be loaded fails in one line
        fail(_("the logged model cannot be loaded ({error}): log it with skops_trusted_types=TREE_TYPES")
             .format(error=type(error).__name__))
    if not same_number(_rmse(split.y_validation, np.ravel(prices)), want, rel=1e-6, abs=CAD):
        fail(_("the logged model is not the best estimator: log search.best_estimator_ (or the best candidate "
               "refitted on X_train)"))
    passed(_("Milestone 1: search tracked (4 candidates), best model logged, validation RMSE {rmse:,.0f} CAD")
           .format(rmse=want))


_NUMBER = re.compile(r"\d[\d.,\u00a0 ]*\d|\d")


def _numbers(text: str) -> list[float]:
    """Every number the text may mean: 14,926 · 14.926 (pt) · 14926.1 · 14 926 · 14.9k."""
    found = []
    for match in _NUMBER.finditer(text):
        raw = match.group().replace("\u00a0", " ").strip(" .,")
        factor = 1000 if re.match(r"\s*(k|mil)\b", text[match.end():], re.IGNORECASE) else 1
        for candidate in (raw.replace(",", "").replace(" ", ""),
                          raw.replace(".", "").replace(" ", "").replace(",", "."),
                          raw.replace(" ", "").replace(",", ".")):
            number = as_number(candidate)
            if number is not None:
                found.append(number * factor)
    return found


def check_milestone_2(champion_version: object, search_run_id: object, model_name: str = "capstone_precos",
                      alias: str = "champion") -> None:
    """`champion_version` of `model_name`: from the search run, described with its validation RMSE, `@champion`.

    Accepts: "3", 3 or 3.0; a description in any case and language that gives the validation RMSE
    (14,926 · 14.926 · 14926.1 · 14.9k, within 1%) and says it was measured on validation houses
    ("validation", "validação"), naming the error RMSE in any case, spelled out or as REQM; a version
    registered from `runs:/…/model` or the logged model's URI, fluent or client API; re-run after part 2
    moved `@champion` to a retrained version.
    Refuses: not a version number (a ModelVersion, None); a version from another run, or one whose
    source holds no model (`client.create_model_version` with a `runs:/` source in MLflow 3); a description
    without the number or without saying it is a validation score (e.g. only "RMSE"); the alias
    elsewhere (or missing).
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    version = require_version(champion_version, _("the version number"))
    search_run_id = require_run_id(search_run_id, _("the search's parent run id"))
    client = MlflowClient()
    try:
        registered = client.get_model_version(model_name, version)
    except MlflowException:
        fail(_("{name} has no version {version}: register the search's model as {name}")
             .format(name=model_name, version=version))
    if registered.run_id != search_run_id:
        fail(_("version {version} of {name} comes from run {run_id}, not from the search run: register the model "
               "that capstone_search logged").format(version=version, name=model_name, run_id=registered.run_id))
    try:
        mlflow.pyfunc.load_model(f"models:/{model_name}/{version}")  # what part 2 serves
    except Exception:  # noqa: BLE001 - a version whose source holds no model fails in one line
        fail(_("version {version} of {name} holds no model (its source {source} has no MLmodel): register the "
               "logged model with mlflow.register_model(<its model_uri>, {name!r})")
             .format(version=version, name=model_name, source=registered.source))
    rmse = client.get_run(search_run_id).data.metrics.get("validation_rmse")
    text = registered.description or ""
    if rmse is None:
        fail(_("the search run has no validation_rmse: complete Milestone 1 first"))
    if not any(word in text.casefold() for word in _RMSE_WORDS):
        fail(_("the description of version {version} does not mention its RMSE: say \"validation RMSE {rmse:,.0f} "
               "CAD\" (client.update_model_version(..., description=...))").format(version=version, rmse=rmse))
    if not any(same_number(n, rmse, rel=0.01) for n in _numbers(text)):
        fail(_("the description of version {version} does not give the validation RMSE, {rmse:,.0f} CAD: put the "
               "number in it").format(version=version, rmse=rmse))
    if "valid" not in text.casefold():
        fail(_("the description of version {version} does not say the RMSE was measured on the validation houses")
             .format(version=version))
    try:
        current = client.get_model_version_by_alias(model_name, alias)
    except MlflowException:
        fail(_("{name} has no alias @{alias}: client.set_registered_model_alias({name!r}, {alias!r}, {version!r})")
             .format(name=model_name, alias=alias, version=version))
    if current.version != version:
        later_retrain = int(current.version) > int(version) and \
            not same_name(client.get_run(current.run_id).info.run_name, RUN_NAME)
        if not later_retrain:  # part 2's flow may have moved the alias since: that is later work, not a mistake
            fail(_("@{alias} is version {got} of {name}, not version {version}: "
                   "client.set_registered_model_alias({name!r}, {alias!r}, {version!r})")
                 .format(alias=alias, got=current.version, name=model_name, version=version))
    passed(_("Milestone 2: version {version} registered, documented (validation RMSE {rmse:,.0f} CAD) and @{alias}")
           .format(version=version, rmse=rmse, alias=alias))

