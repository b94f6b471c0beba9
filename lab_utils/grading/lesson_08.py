"""Lesson 08's exercise: a second, shallower candidate, the choice on validation, the test score once.

The grader reads the tracking server. The candidates are the lesson's own forest (the newest
`random_forest_well_logged` run with `max_depth` 8 in the experiment) and every `max_depth` 4
run started after it whose `validation_rmse` is the depth-4 forest's true score; the newest
`max_depth` 4 run is this attempt's. An earlier attempt
neither blocks nor passes this one: a `test_rmse` logged before this attempt's run started is
not counted against it, and every message about a stray tag or metric says how to undo it.
"""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import (
    as_number,
    best_runs,
    fail,
    get_run,
    param_value,
    passed,
    require_run_id,
    same_name,
    same_number,
)

EXPERIMENT = "precos_casas_windsor/boas_praticas"
FOREST_RUN_NAME = "random_forest_well_logged"
# A dataset's context as the lesson logs it, or as other code names it (sklearn autolog: train, eval).
CONTEXTS = {"training": {"training", "train"}, "validation": {"validation", "valid", "val", "eval", "evaluation"}}
# Parameters that do not change the fitted forest (how many cores, how much it prints).
SAME_FOREST_ANY_VALUE = {"n_jobs", "verbose"}


def _rmse(y, predictions) -> float:
    from sklearn.metrics import mean_squared_error

    return float(np.sqrt(mean_squared_error(y, predictions)))


def _forest(depth: int):
    from sklearn.ensemble import RandomForestRegressor

    import lab_utils

    split = lab_utils.split_train_validation_test()
    model = RandomForestRegressor(n_estimators=100, max_depth=depth, random_state=lab_utils.SEED)
    return model.fit(split.X_train, split.y_train), split


def _datasets(run) -> dict[str, tuple[str, int | None]]:
    """{context: (digest, rows)} of the datasets logged on the run."""
    import json

    found = {}
    for dataset_input in run.inputs.dataset_inputs if run.inputs else []:
        context = {t.key: t.value for t in dataset_input.tags}.get("mlflow.data.context", "")
        try:
            rows = json.loads(dataset_input.dataset.profile or "{}").get("num_rows")
        except ValueError:
            rows = None
        found[context] = (dataset_input.dataset.digest, rows)
    return found


def _logged_after(run_id: str, metric: str, since_ms: int) -> bool:
    from mlflow import MlflowClient

    return any(m.timestamp >= since_ms for m in MlflowClient().get_metric_history(run_id, metric))


def check_exercise(reviewed_run_id: object, experiment_name: str = EXPERIMENT) -> None:
    """The chosen run: the lower `validation_rmse` of the lesson's forest and the `max_depth` 4 forest.

    Accepts: any API (fluent, `MlflowClient`, autolog), params logged as "4" or 4.0, `n_jobs` and
    `verbose` of any value, dataset contexts `train`/`eval` as well as `training`/`validation`, any
    run name for the depth-4 run, tag values in any case, a re-run of the exercise (the newest
    depth-4 run is this attempt; an earlier depth-4 run with the same score is an equal answer; an
    earlier one with a wrong score is no candidate, so it neither wins nor blocks).
    Refuses: not a run id; a depth-4 run without every parameter, the two datasets, the tags, or
    with a `validation_rmse`/`train_rmse` that is not the depth-4 forest's on those houses (e.g.
    computed on the test houses); the run that lost on validation; a `test_rmse` that is not the
    chosen forest's on `X_test`; `reviewed` or a `test_rmse` (logged in this attempt) on the loser.
    """
    from mlflow import MlflowClient

    reviewed_run_id = require_run_id(reviewed_run_id, _("the chosen run's id"))
    chosen = get_run(reviewed_run_id)
    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    if experiment is None or chosen.info.experiment_id != experiment.experiment_id:
        fail(_("run {run_id} is not in the experiment {experiment}: the two candidates are logged there")
             .format(run_id=reviewed_run_id, experiment=experiment_name))
    forests = [r for r in client.search_runs([experiment.experiment_id], f"attributes.run_name = '{FOREST_RUN_NAME}'",
                                             order_by=["attributes.start_time DESC"], max_results=50)
               if same_number(param_value(r, "max_depth"), 8)]
    if not forests:
        fail(_("no run {name} with max_depth 8 in {experiment}: run the lesson's cells from section 2 first")
             .format(name=FOREST_RUN_NAME, experiment=experiment_name))
    forest = forests[0]
    since = forest.info.start_time
    later = client.search_runs([experiment.experiment_id], f"attributes.start_time >= {since}", max_results=1000)
    shallow_runs = sorted((r for r in later if same_number(param_value(r, "max_depth"), 4)),
                          key=lambda r: r.info.start_time)
    if not shallow_runs:
        fail(_("no run with max_depth 4 in {experiment} since the lesson's forest: log the max_depth=4 "
               "forest there first").format(experiment=experiment_name))
    shallow = shallow_runs[-1]  # this attempt's
    name = shallow.info.run_name
    for key, value in (("candidate", "true"), ("model_family", "random_forest")):
        if not same_name(shallow.data.tags.get(key), value):
            fail(_("the max_depth 4 run {name} has no tag {key} = {value}: mlflow.set_tag({key!r}, {value!r})")
                 .format(name=name, key=key, value=value))
    missing = sorted(set(forest.data.params) - set(shallow.data.params))
    if missing:
        fail(_("the max_depth 4 run {name} lacks the params {missing}: log every parameter, as practice 2 "
               "does (log_params(model.get_params()) and split_params)").format(name=name, missing=missing))
    for key, value in forest.data.params.items():
        if key == "max_depth" or key in SAME_FOREST_ANY_VALUE:
            continue
        got = shallow.data.params[key]
        same = same_number(got, value) if as_number(value) is not None else got.strip() == value.strip()
        if not same:
            fail(_("the max_depth 4 run {name} has {key}={got!r}, the lesson's forest {value!r}: the same forest, "
                   "only max_depth=4").format(name=name, key=key, got=got, value=value))
    datasets, wanted = _datasets(shallow), _datasets(forest)
    for context in ("training", "validation"):
        # The lesson's dataset (same digest), or the same houses wrapped another way (e.g. without the price),
        # under the lesson's context or another usual name (autolog's `train` and `eval`).
        want = wanted.get(context)
        found = [got for name, got in datasets.items() if name.strip().casefold() in CONTEXTS[context]]
        if want is None or not any(got[0] == want[0] or got[1] == want[1] for got in found):
            fail(_("the max_depth 4 run {name} has no {context} dataset of the lesson's houses: "
                   "mlflow.log_input({variable}, context={context!r})")
                 .format(name=name, context=context, variable=f"{context.replace('training', 'train')}_data"))
    model, split = _forest(4)
    for metric, X, y in (("train_rmse", split.X_train, split.y_train),
                         ("validation_rmse", split.X_validation, split.y_validation)):
        want = _rmse(y, model.predict(X))
        got = shallow.data.metrics.get(metric)
        if got is None:
            fail(_("the max_depth 4 run {name} has no metric {metric}").format(name=name, metric=metric))
        if not same_number(got, want, rel=1e-6, abs=0.01):
            on_test = same_number(got, _rmse(split.y_test, model.predict(split.X_test)), rel=1e-6, abs=0.01)
            fail((_("the max_depth 4 run's {metric} is its RMSE on the test houses: compute it on {houses}")
                  if on_test else
                  _("the max_depth 4 run's {metric} is {got:,.0f}; the max_depth=4 forest scores {want:,.0f} on {houses}"))
                 .format(metric=metric, got=got, want=want,
                         houses="X_train" if metric == "train_rmse" else "X_validation"))
    # The candidates: the lesson's forest and every depth-4 run with the depth-4 forest's true score (an
    # earlier attempt's invented or test-house score neither wins the comparison nor blocks this one).
    true_score = _rmse(split.y_validation, model.predict(split.X_validation))
    scored_right = [r for r in shallow_runs
                    if same_number(r.data.metrics.get("validation_rmse"), true_score, rel=1e-6, abs=0.01)]
    candidates = [forest, *scored_right]
    best = best_runs(candidates, "validation_rmse", rel=1e-9, abs=1e-6)
    best_ids = {r.info.run_id for r in best}
    if reviewed_run_id in {r.info.run_id for r in shallow_runs} - {r.info.run_id for r in scored_right}:
        fail(_("run {name} is an earlier max_depth 4 run whose validation_rmse is not the forest's score on "
               "X_validation: choose between the lesson's forest and your latest max_depth 4 run")
             .format(name=chosen.info.run_name))
    if reviewed_run_id not in {r.info.run_id for r in candidates}:
        fail(_("run {run_id} is neither the lesson's forest nor a max_depth 4 run: hand over the one you chose")
             .format(run_id=reviewed_run_id))
    if reviewed_run_id not in best_ids:
        winner = best[0]
        fail(_("run {chosen} has validation_rmse {got:,.0f}; {winner} has the lower {best:,.0f}: choose it")
             .format(chosen=chosen.info.run_name, got=chosen.data.metrics["validation_rmse"],
                     winner=winner.info.run_name, best=winner.data.metrics["validation_rmse"]))
    if not same_name(chosen.data.tags.get("reviewed"), "yes"):
        fail(_("the chosen run {name} has no tag reviewed = yes: mlflow.set_tag('reviewed', 'yes') in "
               "mlflow.start_run(run_id=...)").format(name=chosen.info.run_name))
    depth = int(as_number(param_value(chosen, "max_depth")))
    chosen_model = model if depth == 4 else _forest(depth)[0]
    want = _rmse(split.y_test, chosen_model.predict(split.X_test))
    got = chosen.data.metrics.get("test_rmse")
    if got is None:
        fail(_("the chosen run {name} has no metric test_rmse: log its RMSE on X_test, y_test")
             .format(name=chosen.info.run_name))
    if not same_number(got, want, rel=1e-6, abs=0.01):
        fail(_("the chosen run's test_rmse is {got:,.0f}; the depth-{depth} forest's RMSE on X_test is {want:,.0f}")
             .format(got=got, depth=depth, want=want))
    # On no other: the loser of this attempt's comparison (the lesson's forest or this attempt's run).
    for other in (forest, shallow):
        if other.info.run_id in best_ids:
            continue
        if same_name(other.data.tags.get("reviewed"), "yes"):
            fail(_("run {name} lost on validation_rmse but has the tag reviewed = yes: remove it with "
                   "MlflowClient().delete_tag({run_id!r}, 'reviewed')").format(name=other.info.run_name,
                                                                             run_id=other.info.run_id))
        if "test_rmse" in other.data.metrics and _logged_after(other.info.run_id, "test_rmse", shallow.info.start_time):
            fail(_("run {name} lost on validation_rmse but has a test_rmse: the test houses are scored once, "
                   "for the chosen run only; run your answer again (a new max_depth 4 run) without it")
                 .format(name=other.info.run_name))
    passed(_("Exercise: depth {depth} chosen on validation; its test RMSE, {rmse:,.0f} CAD, reported once")
           .format(depth=depth, rmse=want))
