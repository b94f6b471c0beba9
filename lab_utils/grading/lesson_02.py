"""Lesson 02's exercises: the best child of a search, and a tracked random search."""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import (
    as_number,
    best_runs,
    child_runs,
    fail,
    get_run,
    param_value,
    passed,
    require_metric,
    require_run_id,
    require_run_name,
)

RANDOM_GRID = {"alpha": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0], "l1_ratio": [0.1, 0.3, 0.5, 0.7, 0.9]}
N_ITER, RANDOM_STATE = 4, 0


def check_exercise_1(best_child_id: object, parent_id: object) -> None:
    """Exercise 1: the child of `grid_search_nested` (the run `parent_id`) with the lowest `cv_rmse`.

    Accepts any search route and any child sharing the lowest value (ties are equal answers).
    Refuses: not a run id, a run that is not a child of this parent (the parent itself, a child
    of an older pass, an Optuna trial), a child with a higher `cv_rmse` (the highest, the test score's best).
    """
    parent_id = require_run_id(parent_id)
    run = get_run(best_child_id)
    if run.data.tags.get("mlflow.parentRunId") != parent_id:
        fail(_("run {name} is not a child of this grid_search_nested run ({parent_id}): choose among "
               "the runs whose tags.mlflow.parentRunId is parent.info.run_id")
             .format(name=run.info.run_name, parent_id=parent_id))
    children = child_runs(parent_id, run.info.experiment_id)
    best = best_runs(children, "cv_rmse")
    if not best:
        fail(_("no child of {parent_id} has a metric cv_rmse: re-run the grid search cell").format(parent_id=parent_id))
    lowest = best[0].data.metrics["cv_rmse"]
    mine = require_metric(run, "cv_rmse")
    if run.info.run_id not in {r.info.run_id for r in best}:
        fail(_("{name} has cv_rmse {got:,.0f}; the lowest among the children is {best:,.0f}: "
               "order by metrics.cv_rmse ASC")
             .format(name=run.info.run_name, got=mine, best=lowest))
    passed(_("Exercise 1: {name} is the best child, cv_rmse {rmse:,.0f} CAD").format(name=run.info.run_name,
                                                                                      rmse=lowest))


def _on_the_grid(value: float, grid: list[float]) -> float:
    """The grid's value that `value` stands for (equal within float noise), else `value` itself."""
    return next((g for g in grid if np.isclose(value, g, rtol=1e-9, atol=1e-12)), value)


def _sampled_candidates() -> set[tuple[float, float]]:
    """The candidates `RandomizedSearchCV(n_iter=4, random_state=0)` draws from the grid."""
    from sklearn.model_selection import ParameterSampler

    return {(float(p["alpha"]), float(p["l1_ratio"]))
            for p in ParameterSampler(RANDOM_GRID, n_iter=N_ITER, random_state=RANDOM_STATE)}


def check_exercise_2(random_parent_id: object, X_train, y_train, cv_folds=5) -> None:
    """Exercise 2: parent `exercise_random_search` with one nested child per candidate of the search.

    Recomputes what the search logs: the children must be exactly the four candidates that
    `RandomizedSearchCV(..., n_iter=4, random_state=0)` draws from the grid, each with the
    cross-validated RMSE of ElasticNet with its params on `X_train` (cv=`cv_folds`) as
    `cv_rmse` — √(mean fold MSE) as the lesson logs it, or the mean of the fold RMSEs.
    Accepts any route that leaves those runs (fluent, client, a hand-walked ParameterSampler,
    autolog plus a cv_rmse per child, extra params or metrics, grid values with float noise such as
    np.arange's 0.30000000000000004). Refuses: not a run id, another
    parent name, a run with a parent of its own, missing/extra/duplicate children, values outside
    the grid, candidates that are not the search's, invented or test-set scores.
    """
    from sklearn.linear_model import ElasticNet
    from sklearn.model_selection import cross_val_score

    parent = get_run(random_parent_id)
    if parent.data.tags.get("mlflow.parentRunId"):
        fail(_("run {run_id} is itself a child run: hand over the parent's id").format(run_id=parent.info.run_id))
    require_run_name(parent, "exercise_random_search")
    children = child_runs(parent.info.run_id, parent.info.experiment_id)
    if not children:
        fail(_("the parent has no child runs: open one per candidate with mlflow.start_run(nested=True) "
               "inside the parent"))
    logged: dict[tuple[float, float], object] = {}
    for child in children:
        values = [as_number(param_value(child, k)) for k in RANDOM_GRID]
        if any(v is None for v in values):
            fail(_("child run {name} has no numeric params alpha and l1_ratio (it has {params})")
                 .format(name=child.info.run_name, params=sorted(child.data.params)))
        # Values by meaning: np.arange(0.1, 1.0, 0.2) gives 0.30000000000000004 for 0.3.
        values = [_on_the_grid(v, RANDOM_GRID[k]) for v, k in zip(values, RANDOM_GRID, strict=True)]
        key = (values[0], values[1])
        if values[0] not in RANDOM_GRID["alpha"] or values[1] not in RANDOM_GRID["l1_ratio"]:
            fail(_("child run {name} has alpha={alpha:g}, l1_ratio={l1_ratio:g}, which is not in the grid")
                 .format(name=child.info.run_name, alpha=key[0], l1_ratio=key[1]))
        if key in logged:
            fail(_("two child runs hold alpha={alpha:g}, l1_ratio={l1_ratio:g}: one child per candidate")
                 .format(alpha=key[0], l1_ratio=key[1]))
        logged[key] = child
    missing, extra = (sorted(_sampled_candidates() - set(logged)), sorted(set(logged) - _sampled_candidates()))
    if missing or extra:
        fail(_("the children are not the search's candidates (n_iter=4, random_state=0): "
               "missing {missing}, not drawn by the search {extra}; log search.cv_results_[\"params\"]")
             .format(missing=missing or "-", extra=extra or "-"))
    for (alpha, l1_ratio), child in sorted(logged.items()):
        got = require_metric(child, "cv_rmse")
        mse = -cross_val_score(ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=10_000), X_train, y_train,
                               cv=cv_folds, scoring="neg_mean_squared_error")
        accepted = (float(np.sqrt(mse.mean())), float(np.sqrt(mse).mean()))
        # Tight: the computed score passes (rounded to cents too); a rounded figure typed in
        # (this message's included) does not.
        if not any(np.isclose(got, want, rtol=1e-6) for want in accepted):
            fail(_("child {name} has cv_rmse {got:,.2f}; cross-validation of its params on the training "
                   "houses gives about {want:,.0f}: log √(-mean_test_score) from search.cv_results_, as "
                   "computed, not a number typed in")
                 .format(name=child.info.run_name, got=got, want=accepted[0]))
    passed(_("Exercise 2: the search's {count} candidates are nested under exercise_random_search, "
             "with their cross-validated RMSE").format(count=len(logged)))
