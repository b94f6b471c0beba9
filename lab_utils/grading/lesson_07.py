"""Lesson 07's exercises: a strict gate run as a Prefect flow, found again on the Prefect server.

Both read the flow run the learner's answer names (never "the latest run"), from Prefect's API,
and the MLflow run that flow run tagged, from MLflow's.
"""

from __future__ import annotations

import re
import uuid

from ..i18n import _
from . import describe_type, fail, get_run, passed, require_flow_run_id, same_number

FLOW_NAME = "retreinar-modelo"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


def _read_flow_run(flow_run_id: str):
    """(flow run, its flow's name) from the Prefect server, or a one-line failure."""
    from prefect.client.orchestration import get_client
    from prefect.exceptions import ObjectNotFound

    try:
        with get_client(sync_client=True) as prefect_client:
            flow_run = prefect_client.read_flow_run(uuid.UUID(flow_run_id))
            flow_name = prefect_client.read_flow(flow_run.flow_id).name
    except ObjectNotFound:
        fail(_("{id} is not the id of a flow run on the Prefect server").format(id=flow_run_id))
    return flow_run, flow_name


def _require_completed(flow_run) -> None:
    """The flow run is COMPLETED; one still to run says to wait, one that ended otherwise to run again."""
    state = getattr(flow_run.state_type, "value", None)
    if state == "COMPLETED":
        return
    if state in (None, "SCHEDULED", "PENDING", "RUNNING", "PAUSED", "CANCELLING"):
        fail(_("flow run {name} is {state}, not finished yet: wait for it (run_deployment waits unless "
               "timeout=0) and run this check again").format(name=flow_run.name, state=state or "SCHEDULED"))
    fail(_("flow run {name} is {state}: run the flow again").format(name=flow_run.name, state=state))


def _validation_accuracy(C: float) -> float:  # noqa: N803
    """The validation accuracy `retreinar_modelo` computes for `C` (same data, split and model)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from ..data import FEATURES, expensive_house_labels, load_house_prices, split_train_validation_test

    houses = load_house_prices()
    houses[FEATURES] = houses[FEATURES].astype(float)
    labels = expensive_house_labels(houses).astype(bool)
    split = split_train_validation_test(houses, validation_size=0.2)
    model = make_pipeline(StandardScaler(), LogisticRegression(C=C)).fit(split.X_train, labels.loc[split.X_train.index])
    return float(accuracy_score(labels.loc[split.X_validation.index], model.predict(split.X_validation)))


def _mlflow_run_of(flow_run_id: str, experiment_name: str):
    """The MLflow run a flow run of `retreinar_modelo` tagged with its id, or None."""
    import mlflow

    runs = mlflow.search_runs(experiment_names=[experiment_name], output_format="list",
                              filter_string=f"tags.`prefect.flow_run_id` = '{flow_run_id}'")
    return runs[0] if runs else None


def flow_run_id_of(answer: object, what: str) -> tuple[str, str | None]:
    """(flow run id, MLflow run id or None) behind what a learner hands over for a flow run of retrain.

    Accepts the flow's result (a dict with `run_id`), a `FlowRun` (`run_deployment`), a `State`
    (`return_state=True`), a flow run id (str or UUID) and the MLflow run id the flow logged.
    """
    if isinstance(answer, dict):
        mlflow_run_id = answer.get("run_id")
        if not isinstance(mlflow_run_id, str):
            fail(_("expected {what}; that dict has no 'run_id': hand over what retreinar_modelo returned")
                 .format(what=what))
        run = get_run(mlflow_run_id)
        flow_run_id = run.data.tags.get("prefect.flow_run_id")
        if not flow_run_id:
            fail(_("MLflow run {run_id} was not logged by a Prefect flow run (no tag prefect.flow_run_id): "
                   "run retrain.retreinar_modelo").format(run_id=mlflow_run_id))
        try:
            flow_run_id = str(uuid.UUID(flow_run_id))
        except ValueError:  # `retreinar_modelo.fn(...)`: the tasks ran, but in no flow run ("None")
            fail(_("MLflow run {run_id} was logged outside any flow run (its tag prefect.flow_run_id is {tag!r}): "
                   "call retrain.retreinar_modelo(...) itself, not .fn").format(run_id=mlflow_run_id, tag=flow_run_id))
        return flow_run_id, mlflow_run_id
    name = type(answer).__name__
    if name == "FlowRun":
        return str(answer.id), None
    if name == "State" and getattr(getattr(answer, "state_details", None), "flow_run_id", None):
        return str(answer.state_details.flow_run_id), None
    if isinstance(answer, str) and _RUN_ID.match(answer.strip()):
        return flow_run_id_of({"run_id": answer.strip()}, what)
    if isinstance(answer, str | uuid.UUID):
        return require_flow_run_id(answer, what), None
    fail(_("expected {what} (what retreinar_modelo returned, a FlowRun or a flow run id), got {got}")
         .format(what=what, got=describe_type(answer)))


def check_exercise_1(strict_result: object, C: float = 0.1, threshold: float = 0.99,  # noqa: N803
                     experiment_name: str = "pipeline_treinamento", model_name: str = "modelo_producao") -> None:
    """Exercise 1: `retreinar_modelo` with C=0.1 and a 0.99 threshold: tracked, refused, not registered.

    Reads the flow run from Prefect (state, parameters) and its MLflow run (param, metrics, no
    version in the registry). Accepts the flow called directly, through a deployment
    (`run_deployment`/`arun_deployment`, `prefect deployment run`), `return_state=True`; the
    answer as the result dict, a FlowRun, a State or an id; "0.99" and 0.99.
    Refuses: not a flow run (None, a typed dict of another run, `retreinar_modelo.fn(...)`), another
    flow, a flow of one's own under the same name (its accuracy is not the one the flow computes),
    a flow run not finished yet (says to wait) or that did not complete, other parameters (the
    default 0.8 threshold registers a version), a run that has a test score or a version in the
    registry.
    """
    from mlflow import MlflowClient

    flow_run_id, mlflow_run_id = flow_run_id_of(strict_result, _("the flow's result"))
    flow_run, flow_name = _read_flow_run(flow_run_id)
    if flow_name != FLOW_NAME:
        fail(_("that is a run of the flow {got!r}, not of {want}").format(got=flow_name, want=FLOW_NAME))
    parameters = flow_run.parameters
    if not (same_number(parameters.get("limiar_acuracia", 0.8), threshold) and same_number(parameters.get("C", 1.0), C)):
        fail(_("that flow run had parameters {got}: run retreinar_modelo with C={C:g} and limiar_acuracia={limit:g}")
             .format(got=parameters, C=C, limit=threshold))
    _require_completed(flow_run)
    run = get_run(mlflow_run_id) if mlflow_run_id else _mlflow_run_of(flow_run_id, experiment_name)
    if run is None or run.data.tags.get("prefect.flow_run_id") != flow_run_id:
        fail(_("no MLflow run in {experiment} is tagged with flow run {name}: run retrain.retreinar_modelo")
             .format(experiment=experiment_name, name=flow_run.name))
    # The flow's `mlflow.models.evaluate` logs it with the prefix `validation_`.
    accuracy = run.data.metrics.get("validation_accuracy_score")
    if accuracy is None:
        fail(_("MLflow run {run_id} has no metric 'validation_accuracy_score': the flow scores the model with "
               "mlflow.models.evaluate").format(run_id=run.info.run_id))
    if not same_number(accuracy, _validation_accuracy(C), rel=1e-6, abs=1e-6):
        fail(_("MLflow run {run_id} has validation_accuracy_score {got:.3f}, not the {want:.3f} the flow computes "
               "for C={C:g}: run retrain.retreinar_modelo instead of a flow of your own")
             .format(run_id=run.info.run_id, got=accuracy, want=_validation_accuracy(C), C=C))
    if MlflowClient().search_model_versions(f"run_id = '{run.info.run_id}'"):
        fail(_("a version of run {run_id} is in the registry: the {limit:g} gate should have refused it")
             .format(run_id=run.info.run_id, limit=threshold))
    if "test_accuracy" in run.data.metrics:
        fail(_("run {run_id} has a test_accuracy: a refused model gets no test score")
             .format(run_id=run.info.run_id))
    passed(_("Exercise 1: flow run {name} tracked validation accuracy {accuracy:.3f}, refused by the {limit:g} "
             "gate, not registered").format(name=flow_run.name, accuracy=accuracy, limit=threshold))


def check_exercise_2(strict_flow_run_id: object, strict_result: object = ..., threshold: float = 0.99) -> None:
    """Exercise 2: the id of Exercise 1's flow run, found on the Prefect server.

    Reads that flow run from Prefect's API. When Exercise 1 is answered, the id must be the flow
    run behind its answer (an older run with the same threshold is another attempt); otherwise
    any completed run of retreinar-modelo with that threshold. Accepts a str or UUID id found with
    the sync or async client, the REST API or the MLflow run's `prefect.flow_run_id` tag.
    Refuses: not an id (a FlowRun, None, the MLflow run's id), an unknown id, another flow's run,
    the latest run when it is not Exercise 1's (another threshold), an earlier attempt's run, a
    later 0.99 run than Exercise 1's, a run not finished yet.
    """
    if isinstance(strict_flow_run_id, str) and _RUN_ID.match(strict_flow_run_id.strip()):
        fail(_("{id} is an MLflow run id: the flow run's id is a UUID such as flow_run.id, found on the Prefect "
               "server (or in the MLflow run's tag prefect.flow_run_id)").format(id=strict_flow_run_id.strip()))
    answer_id = require_flow_run_id(strict_flow_run_id, _("a flow run id"))
    flow_run, flow_name = _read_flow_run(answer_id)
    if flow_name != FLOW_NAME:
        fail(_("that is a run of the flow {got!r}, not of {want}").format(got=flow_name, want=FLOW_NAME))
    if not same_number(flow_run.parameters.get("limiar_acuracia", 0.8), threshold):
        fail(_("that run had parameters {got}: Exercise 1's had limiar_acuracia={limit:g}; read each run's "
               ".parameters").format(got=flow_run.parameters, limit=threshold))
    _require_completed(flow_run)
    if strict_result is not Ellipsis:
        try:
            exercise_1_id = flow_run_id_of(strict_result, _("the flow's result"))[0]
            exercise_1_run, _flow = _read_flow_run(exercise_1_id)
        except AssertionError:
            exercise_1_run = None  # Exercise 1 is not right yet: its own check says why
        if (exercise_1_run is not None and str(exercise_1_run.id) != answer_id
                and same_number(exercise_1_run.parameters.get("limiar_acuracia"), threshold)):
            if flow_run.start_time and exercise_1_run.start_time and flow_run.start_time > exercise_1_run.start_time:
                fail(_("flow run {name} started after Exercise 1's ({wanted}): hand over the run behind strict_result, "
                       "or answer Exercise 1 again with that run").format(name=flow_run.name,
                                                                         wanted=exercise_1_run.name))
            fail(_("flow run {name} is an earlier run with limiar_acuracia={limit:g}; Exercise 1's is {wanted}, "
                   "the most recent one: sort by start time").format(name=flow_run.name, limit=threshold,
                                                                     wanted=exercise_1_run.name))
    passed(_("Exercise 2: the Prefect server has flow run {name} of {flow} with limiar_acuracia={limit:g}: "
             "{state}").format(name=flow_run.name, flow=FLOW_NAME, limit=threshold,
                               state=flow_run.state_type.value))
