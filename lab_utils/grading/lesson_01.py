"""Lesson 01's exercises: a measured run, choosing on validation, a logged figure."""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import (
    _client,
    as_number,
    best_runs,
    fail,
    get_run,
    param_value,
    passed,
    require_experiment,
    require_metric,
    require_params,
    require_run_name,
    same_number,
)

EXPERIMENT = "meu_experimento"
CANDIDATE_TAG = ("exercise", "choose_on_validation")


def _rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true, dtype=float) - np.asarray(y_pred, dtype=float)) ** 2)))


def check_exercise_1(exercise_1_run_id: object, X_train, y_train, X_test, y_test) -> None:
    """Exercise 1: run `exercise_1` in `meu_experimento`, params alpha=1.0 and l1_ratio=0.5, test `rmse`.

    Accepts: fluent or `MlflowClient` logging, `log_params` or `log_param` one by one, values as
    1, 1.0 or "1.0", names without case, a re-run (the id handed over decides). Refuses: not a
    run id, another run name or experiment, other parameter values, an `rmse` that is not this
    model's RMSE on the test houses (typed in, training or validation RMSE, another model).
    """
    from sklearn.linear_model import ElasticNet

    run = get_run(exercise_1_run_id)
    require_run_name(run, "exercise_1")
    require_experiment(run, EXPERIMENT)
    require_params(run, {"alpha": 1.0, "l1_ratio": 0.5})
    want = _rmse(y_test, ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train).predict(X_test))
    got = require_metric(run, "rmse")
    # Tight: the value the code computes passes (rounded to cents too); one typed in from a
    # printed, rounded figure (this message's included) does not.
    if not same_number(got, want, rel=1e-6, abs=1e-6):
        fail(_("run {run_id} has rmse {got:,.2f}, not the RMSE of ElasticNet(alpha=1.0, l1_ratio=0.5), trained on "
               "X_train, on the test houses (about {want:,.0f}): log the value your code computes, "
               "np.sqrt(mean_squared_error(y_test, model.predict(X_test))), not a number typed in")
             .format(run_id=run.info.run_id, got=got, want=want))
    passed(_("Exercise 1: run exercise_1 logged its parameters and test RMSE {rmse:,.0f} CAD").format(rmse=want))


def log_candidates(split, alphas=(0.01, 0.2, 2.0), l1_ratio: float = 0.5) -> list[str]:
    """The lesson's candidates for Exercise 2 (a cell of the lesson calls it): one run per alpha,
    tagged `exercise = choose_on_validation`, with `val_rmse` and `test_rmse`. Returns their ids."""
    import mlflow
    from sklearn.linear_model import ElasticNet

    ids = []
    for alpha in alphas:
        fitted = ElasticNet(alpha=alpha, l1_ratio=l1_ratio).fit(split.X_train, split.y_train)
        with mlflow.start_run(run_name=f"candidate_alpha_{alpha}") as run:
            mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
            mlflow.log_metrics({"val_rmse": _rmse(split.y_validation, fitted.predict(split.X_validation)),
                                "test_rmse": _rmse(split.y_test, fitted.predict(split.X_test))})
            mlflow.set_tag(*CANDIDATE_TAG)
        ids.append(run.info.run_id)
    return ids


def _true_val_rmse(run, split, cache: dict) -> float | None:
    """What the candidate's own params score on the validation houses (None without params)."""
    from sklearn.linear_model import ElasticNet

    alpha, l1_ratio = (as_number(param_value(run, k)) for k in ("alpha", "l1_ratio"))
    if alpha is None or l1_ratio is None:
        return None
    if (alpha, l1_ratio) not in cache:
        try:  # a hand-made run may hold values ElasticNet refuses (alpha=-1): it is no candidate
            fitted = ElasticNet(alpha=alpha, l1_ratio=l1_ratio).fit(split.X_train, split.y_train)
        except ValueError:
            cache[alpha, l1_ratio] = None
        else:
            cache[alpha, l1_ratio] = _rmse(split.y_validation, fitted.predict(split.X_validation))
    return cache[alpha, l1_ratio]


def check_exercise_2(best_run_id: object, split) -> None:
    """Exercise 2: the candidate (tag `exercise = choose_on_validation`) with the lowest `val_rmse`.

    Accepts: any search (`search_runs` with order_by, a DataFrame sort, `MlflowClient.search_runs`,
    min over the runs), any of the runs sharing the lowest value (a re-run of the lesson logs the
    candidates again: ties are equal answers). Only candidates whose `val_rmse` is what their
    params really score on the validation houses count, so a hand-made run with an invented
    score neither blocks nor passes the answer. Refuses: not a run id, a run that is not a
    candidate, the lowest *test* RMSE, the highest validation RMSE.
    """
    run = get_run(best_run_id)
    if run.data.tags.get(CANDIDATE_TAG[0]) != CANDIDATE_TAG[1]:
        fail(_("run {run_id} is not one of the candidates: search the runs tagged exercise = choose_on_validation")
             .format(run_id=run.info.run_id))
    cache: dict = {}
    mine = require_metric(run, "val_rmse")
    true_value = _true_val_rmse(run, split, cache)
    if true_value is None or not np.isclose(mine, true_value, rtol=1e-6):
        fail(_("run {run_id}'s val_rmse is not what its parameters score on the validation houses: "
               "choose among the candidates the lesson logged").format(run_id=run.info.run_id))
    tagged = _client().search_runs([run.info.experiment_id],
                                   f"tags.{CANDIDATE_TAG[0]} = '{CANDIDATE_TAG[1]}'", max_results=5000)
    genuine = [r for r in tagged if "val_rmse" in r.data.metrics
               and (v := _true_val_rmse(r, split, cache)) is not None
               and np.isclose(r.data.metrics["val_rmse"], v, rtol=1e-6)]
    best = best_runs(genuine, "val_rmse")
    lowest = best[0].data.metrics["val_rmse"]
    if run.info.run_id not in {r.info.run_id for r in best}:
        test_best = {r.info.run_id for r in best_runs(genuine, "test_rmse")}
        hint = (_("you chose on test_rmse; choose on val_rmse: the test houses stay out of every choice")
                if run.info.run_id in test_best else
                _("order by metrics.val_rmse ASC (lowest first)"))
        fail(_("run {run_id} has val_rmse {got:,.0f}; the lowest among the candidates is {best:,.0f}: {hint}")
             .format(run_id=run.info.run_id, got=mine, best=lowest, hint=hint))
    passed(_("Exercise 2: {name} has the lowest validation RMSE, {rmse:,.0f} CAD")
           .format(name=run.info.run_name, rmse=lowest))


def _inside_the_axes(image) -> float | None:
    """The share of drawn pixels inside a chart's frame (its four spines), or None when no frame
    is found (styles without spines or with a shaded axes background are not judged).

    An empty `plt.subplots()` figure gives 0.0 (its ticks and labels are outside the frame); a
    histogram, a line, a grid give more. The margin skips tick marks drawn inwards."""
    px = np.asarray(image.convert("RGB")).astype(int)
    colors, counts = np.unique(px.reshape(-1, 3), axis=0, return_counts=True)
    ink = np.abs(px - colors[counts.argmax()]).sum(axis=2) > 30
    rows, cols = np.flatnonzero(ink.mean(axis=1) > 0.4), np.flatnonzero(ink.mean(axis=0) > 0.4)
    margin = 8
    if len(rows) < 2 or len(cols) < 2 or rows[-1] - rows[0] <= 4 * margin or cols[-1] - cols[0] <= 4 * margin:
        return None
    return float(ink[rows[0] + margin:rows[-1] - margin + 1, cols[0] + margin:cols[-1] - margin + 1].mean())


def check_exercise_3(exercise_3_run_id: object) -> None:
    """Exercise 3: run `exercise_3` with a real PNG chart at `plots/price_histogram.png`.

    Accepts `mlflow.log_figure`, or a figure saved with `savefig` and logged with
    `log_artifact(..., artifact_path="plots")`, or the client's equivalents. Refuses: not a run
    id, another name, no such artifact, a file that is not an image, a tiny or blank image, a
    figure whose axes are empty (the histogram drawn on another figure, e.g. by DataFrame.hist).
    """
    import mlflow

    run = get_run(exercise_3_run_id)
    require_run_name(run, "exercise_3")
    names = {f.path for f in _client().list_artifacts(run.info.run_id, "plots")}
    if "plots/price_histogram.png" not in names:
        fail(_("the run has no artifact plots/price_histogram.png (found {names}): "
               "mlflow.log_figure(figure, \"plots/price_histogram.png\")").format(names=sorted(names) or "nothing"))
    try:  # the file on the server must be an image, not any file named .png
        image = mlflow.artifacts.load_image(f"runs:/{run.info.run_id}/plots/price_histogram.png")
    except Exception:
        fail(_("plots/price_histogram.png on the server is not an image: log the figure with mlflow.log_figure"))
    pixels = np.asarray(image.convert("RGB")).reshape(-1, 3)
    if image.format != "PNG" or min(image.size) < 100:
        fail(_("plots/price_histogram.png is a {format} image of {size} pixels: log the matplotlib figure as PNG")
             .format(format=image.format, size=image.size))
    if len(np.unique(pixels, axis=0)) <= 2:
        fail(_("the image is blank: draw the histogram before logging it"))
    if (inside := _inside_the_axes(image)) is not None and inside < 1e-4:
        fail(_("the chart's axes are empty: draw the histogram on the figure you log, e.g. "
               "figure, ax = plt.subplots(); ax.hist(houses[\"price\"], bins=30)"))
    passed(_("Exercise 3: a {width}x{height} PNG chart is in the run").format(width=image.size[0],
                                                                            height=image.size[1]))
