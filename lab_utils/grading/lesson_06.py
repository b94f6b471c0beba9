"""Lesson 06's exercise: the project's `train` then `validate` entry points, read back from MLflow."""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import as_number, fail, get_experiment_name, get_run, param_value, passed, same_name, same_number


def _project_entry_point(run) -> str | None:
    tags = run.data.tags
    return tags.get("mlflow.project.entryPoint") if tags.get("mlflow.source.type") == "PROJECT" else None


def check_exercise_1(exercise_validation_id: object, experiment_name: str = "projetos_mlflow",
                     alpha: float = 0.05, l1_ratio: float = 0.95, max_rmse: float = 15000) -> None:
    """Exercise 1: a `validate` run (max_rmse 15000) of a `train` run (alpha 0.05, l1_ratio 0.95).

    Reads both runs from the server; recomputes the validation RMSE by fitting the same
    ElasticNet on the lab's training houses, so the logged scores and the verdict must be what
    the project computes. Accepts `mlflow.projects.run` and the `mlflow run` CLI, numbers written
    any way (`0.05`, `"5e-2"`, `15000.0`), a verdict either way, a re-run (the id handed over
    decides), a run of `synchronous=False` once it finished. Refuses: not a run id (a
    `SubmittedRun`, `None`), the train run's id, runs not started by the project (no `run_id`
    param beside its `validated_run_id` tag), another experiment, a run not finished yet, other
    parameters, invented scores (validation or test) or verdict.
    """
    from sklearn.linear_model import ElasticNet
    from sklearn.metrics import mean_squared_error

    from ..data import split_train_validation_test

    if type(exercise_validation_id).__name__ in ("SubmittedRun", "LocalSubmittedRun"):
        fail(_("expected a run id (a string), got a SubmittedRun: hand over its .run_id"))
    run = get_run(exercise_validation_id, _("the validate run's id"))
    entry_point = _project_entry_point(run)
    if entry_point == "train":
        fail(_("that is the train run: hand over the id of the validate run (the second mlflow.projects.run)"))
    if entry_point == "validate" and run.info.status in ("RUNNING", "SCHEDULED"):
        fail(_("the validate run is still {status}: wait for it (submitted.wait(), or synchronous=True) and run "
               "this check again").format(status=run.info.status))
    if entry_point == "validate" and run.info.status != "FINISHED":
        fail(_("the validate run is {status}: its output says why; run it again").format(status=run.info.status))
    # `mlflow run` logs the entry point's parameters on the run, the script tags the run it validated.
    if entry_point != "validate" or run.data.params.get("run_id", "").strip() != run.data.tags.get("validated_run_id"):
        fail(_("run {run_id} was not started by the project's validate entry point: run it with "
               "mlflow.projects.run(..., entry_point=\"validate\") or mlflow run -e validate")
             .format(run_id=run.info.run_id))
    experiment = get_experiment_name(run)
    if not same_name(experiment, experiment_name):
        fail(_("the run is in experiment {got!r}, the task asks for {want!r}: pass experiment_name={want!r} to "
               "mlflow.projects.run (--experiment-name with mlflow run)").format(got=experiment, want=experiment_name))
    if not same_number(run.data.params.get("max_rmse"), max_rmse):
        fail(_("validate ran with max_rmse={got}, the task asks for {want:g}")
             .format(got=run.data.params.get("max_rmse"), want=max_rmse))
    trained_id = run.data.tags.get("validated_run_id")
    trained = get_run(trained_id, _("the validated run's id"))
    if _project_entry_point(trained) != "train":
        fail(_("the validated run {run_id} was not started by the project's train entry point")
             .format(run_id=trained.info.run_id))
    got = {name: param_value(trained, name) for name in ("alpha", "l1_ratio")}
    if not (same_number(got["alpha"], alpha) and same_number(got["l1_ratio"], l1_ratio)):
        fail(_("the validated run was trained with alpha={alpha}, l1_ratio={l1_ratio}; the task asks for "
               "alpha={want_alpha:g}, l1_ratio={want_l1:g}")
             .format(alpha=got["alpha"], l1_ratio=got["l1_ratio"], want_alpha=alpha, want_l1=l1_ratio))
    # What the project computes for those parameters: the logged scores and verdict must agree.
    split = split_train_validation_test()
    max_iter = int(as_number(trained.data.params.get("max_iter", 10000)) or 10000)
    model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=max_iter).fit(split.X_train, split.y_train)
    rmse = float(np.sqrt(mean_squared_error(split.y_validation, model.predict(split.X_validation))))
    for scored in (trained, run):
        logged = scored.data.metrics.get("validation_rmse")
        if not same_number(logged, rmse, rel=1e-6):
            fail(_("run {run_id} has validation_rmse {got}, not the {want:,.1f} the project computes: "
                   "run the project's entry points instead of logging scores by hand")
                 .format(run_id=scored.info.run_id, got=logged, want=rmse))
    if "test_rmse" in run.data.metrics:
        test_rmse = float(np.sqrt(mean_squared_error(split.y_test, model.predict(split.X_test))))
        if not same_number(run.data.metrics["test_rmse"], test_rmse, rel=1e-6):
            fail(_("run {run_id} has test_rmse {got}, not the {want:,.1f} the project computes: run the project's "
                   "entry points instead of logging scores by hand")
                 .format(run_id=run.info.run_id, got=run.data.metrics["test_rmse"], want=test_rmse))
    verdict = run.data.tags.get("validation_passed", "").strip().lower()
    if verdict != str(rmse <= max_rmse).lower() or ("test_rmse" in run.data.metrics) != (rmse <= max_rmse):
        fail(_("the validate run's verdict (validation_passed={got!r}) does not match its validation RMSE "
               "{rmse:,.0f} against max_rmse {limit:g}").format(got=verdict, rmse=rmse, limit=max_rmse))
    passed(_("Exercise 1: validate read the train run (alpha={alpha:g}, l1_ratio={l1_ratio:g}): validation RMSE "
             "{rmse:,.0f}, validation_passed={verdict}").format(alpha=alpha, l1_ratio=l1_ratio, rmse=rmse,
                                                                verdict=verdict))
