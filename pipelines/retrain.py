"""A Prefect flow that retrains the house-price classifier, tracks it in MLflow and
registers it when it passes the accuracy gate; served as a scheduled deployment.

    python pipelines/retrain.py   # serve the deployment `retreinar-modelo/semanal` until stopped

Train / validation / test: the gate chooses on validation accuracy, scored by MLflow's own
`mlflow.models.evaluate` and judged by `mlflow.validate_evaluation_results`; the test accuracy
is computed once, after the choice, for the model that was registered.
"""

from __future__ import annotations

import logging
import os
from contextlib import contextmanager
from datetime import timedelta

import mlflow
import pandas as pd
from mlflow import MlflowClient
from mlflow.models import MetricThreshold
from mlflow.models.evaluation import EvaluationResult
from mlflow.models.evaluation.validation import ModelValidationFailedException
from prefect import flow, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.runtime import flow_run
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from lab_utils.data import FEATURES, expensive_house_labels, load_house_prices, split_train_validation_test
from lab_utils.i18n import _

EXPERIMENT = "pipeline_treinamento"
MODEL_NAME = "modelo_producao"
# On a workshop lab every learner serves their own deployment on their own Prefect server;
# the name stays per learner (lab_stack.own_prefect).
DEPLOYMENT = f"semanal-{os.environ['LAB_USER']}" if os.environ.get("LAB_USER") else "semanal"
# The model's requirements, pinned: without them `log_model` infers them by loading the
# model in a new Python process, the slowest step of this flow.
REQUIREMENTS = mlflow.sklearn.get_default_pip_requirements(include_skops=True)


@task(retries=3, retry_delay_seconds=1, cache_policy=INPUTS + TASK_SOURCE, cache_expiration=timedelta(hours=1),
      persist_result=True)
def carregar_dados(validation_size: float = 0.2) -> dict[str, pd.DataFrame | pd.Series]:
    """Load and split the data (train / validation / test); retried on failure, cached for an hour."""
    houses = load_house_prices()
    # Float features and True/False labels: the model's inferred schema has no integer
    # column, so `log_model` has no integer-schema warning to give (lesson 05 explains it).
    houses[FEATURES] = houses[FEATURES].astype(float)
    labels = expensive_house_labels(houses).astype(bool)
    split = split_train_validation_test(houses, validation_size=validation_size)
    return {"X_train": split.X_train, "X_validation": split.X_validation, "X_test": split.X_test,
            "y_train": labels.loc[split.X_train.index], "y_validation": labels.loc[split.X_validation.index],
            "y_test": labels.loc[split.X_test.index]}


@task
def treinar_e_registrar(dados: dict, C: float) -> tuple[str, Pipeline, str]:
    """Train, log to MLflow with links to this flow run; return (run id, model, model URI)."""
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=f"retreino-C{C}") as run:
        mlflow.set_tags({"prefect.flow_run_id": str(flow_run.id), "prefect.flow_run_url": flow_run.ui_url or "",
                         "prefect.flow_name": flow_run.flow_name})
        mlflow.log_param("C", C)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C)).fit(dados["X_train"], dados["y_train"])
        logged = mlflow.sklearn.log_model(model, name="model", input_example=dados["X_train"].head(3),
                                          pip_requirements=REQUIREMENTS)
    run_url = f"{mlflow.get_tracking_uri()}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    create_link_artifact(key="mlflow-run", link=run_url, link_text=_("MLflow run"),
                         description=_("MLflow run of this retraining (C={C})").format(C=C))
    return run.info.run_id, model, logged.model_uri


@contextmanager
def _evaluate_quietly():
    """`evaluate` says at INFO that it links its metrics to the logged model (the "active model") and
    turns tracing on while it runs: no news in a scheduled flow. Keep its warnings. It also leaves a
    matplotlib figure open, which a notebook would show, empty: close the figures it opened."""
    import matplotlib.pyplot as plt

    loggers = [logging.getLogger(name) for name in ("mlflow.models.evaluation", "mlflow.tracking.fluent")]
    levels = [logger.level for logger in loggers]
    figures = set(plt.get_fignums())
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
        for number in set(plt.get_fignums()) - figures:
            plt.close(number)


@task
def avaliar_na_validacao(dados: dict, run_id: str, model_uri: str) -> EvaluationResult:
    """Score the logged model on the validation houses with `mlflow.models.evaluate`.

    Its metrics (`validation_accuracy_score`, `validation_f1_score`, …) and plots (ROC curve,
    confusion matrix, …) go to the training run, and the metrics to the logged model too, tied
    to the data set named `validation`."""
    validation = mlflow.data.from_pandas(dados["X_validation"].assign(caro=dados["y_validation"]),
                                         targets="caro", name="validation")
    with mlflow.start_run(run_id=run_id), _evaluate_quietly():
        return mlflow.models.evaluate(model_uri, validation, model_type="classifier",
                                      evaluator_config={"metric_prefix": "validation_",
                                                        "log_model_explainability": False})


@task
def reportar_teste(dados: dict, model: Pipeline, run_id: str) -> float:
    """The test accuracy of the model the gate chose: computed once, after the choice, and logged."""
    accuracy = accuracy_score(dados["y_test"], model.predict(dados["X_test"]))
    MlflowClient().log_metric(run_id, "test_accuracy", accuracy)
    return accuracy


@flow(name="retreinar-modelo", log_prints=True)
def retreinar_modelo(C: float = 1.0, limiar_acuracia: float = 0.8) -> dict:
    """Retrain; register `modelo_producao` when the validation accuracy reaches the threshold."""
    dados = carregar_dados()
    run_id, model, model_uri = treinar_e_registrar(dados, C)
    evaluation = avaliar_na_validacao(dados, run_id, model_uri)
    accuracy = evaluation.metrics["validation_accuracy_score"]
    gate = {"validation_accuracy_score": MetricThreshold(threshold=limiar_acuracia, greater_is_better=True)}
    registered, test_accuracy = None, None
    try:
        mlflow.validate_evaluation_results(gate, evaluation)  # raises when the model misses the threshold
    except ModelValidationFailedException as refused:
        print(_("not registered: {reason}").format(reason=refused.message))
    else:
        registered = mlflow.register_model(model_uri, MODEL_NAME).version
        test_accuracy = reportar_teste(dados, model, run_id)
    print(_("validation accuracy {accuracy:.3f}; registered version: {registered}")
          .format(accuracy=accuracy, registered=registered))
    return {"run_id": run_id, "validation_accuracy": accuracy, "registered_version": registered,
            "test_accuracy": test_accuracy}


if __name__ == "__main__":
    import lab_utils

    lab_utils.connect()
    retreinar_modelo.serve(name=DEPLOYMENT, cron="0 3 * * 1", parameters={"C": 1.0})
