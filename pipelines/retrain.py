"""A Prefect flow that retrains the house-price classifier, tracks it in MLflow and
registers it when it passes the accuracy gate; served as a scheduled deployment.

    python pipelines/retrain.py   # serve the deployment `retreinar-modelo/semanal` until stopped
"""

from __future__ import annotations

import os
from datetime import timedelta

import mlflow
import pandas as pd
from prefect import flow, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import INPUTS, TASK_SOURCE
from prefect.runtime import flow_run
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from lab_utils.data import FEATURES, SEED, expensive_house_labels, load_house_prices

EXPERIMENT = "pipeline_treinamento"
MODEL_NAME = "modelo_producao"
# On a workshop lab every learner serves their own deployment on the one Prefect server.
DEPLOYMENT = f"semanal-{os.environ['LAB_USER']}" if os.environ.get("LAB_USER") else "semanal"


@task(retries=3, retry_delay_seconds=1, cache_policy=INPUTS + TASK_SOURCE, cache_expiration=timedelta(hours=1),
      persist_result=True)
def carregar_dados(test_size: float = 0.25) -> dict[str, pd.DataFrame | pd.Series]:
    """Load and split the data; retried on failure, cached for an hour per `test_size`."""
    houses = load_house_prices()
    labels = expensive_house_labels(houses)
    X_train, X_test, y_train, y_test = train_test_split(
        houses[FEATURES], labels, test_size=test_size, random_state=SEED, stratify=labels)
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}


@task
def treinar_e_registrar(dados: dict, C: float) -> tuple[str, float]:
    """Train, log to MLflow with links to this flow run, and return (run id, accuracy)."""
    mlflow.set_experiment(EXPERIMENT)
    with mlflow.start_run(run_name=f"retreino-C{C}") as run:
        mlflow.set_tags({"prefect.flow_run_id": str(flow_run.id), "prefect.flow_run_url": flow_run.ui_url or "",
                         "prefect.flow_name": flow_run.flow_name})
        mlflow.log_param("C", C)
        model = make_pipeline(StandardScaler(), LogisticRegression(C=C)).fit(dados["X_train"], dados["y_train"])
        accuracy = accuracy_score(dados["y_test"], model.predict(dados["X_test"]))
        mlflow.log_metric("accuracy", accuracy)
        mlflow.sklearn.log_model(model, name="model", input_example=dados["X_train"].head(3))
    run_url = f"{mlflow.get_tracking_uri()}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    create_link_artifact(key="mlflow-run", link=run_url, link_text="MLflow run",
                         description=f"MLflow run of this retraining (accuracy {accuracy:.3f})")
    return run.info.run_id, accuracy


@flow(name="retreinar-modelo", log_prints=True)
def retreinar_modelo(C: float = 1.0, limiar_acuracia: float = 0.8) -> dict:
    """Retrain; register `modelo_producao` when accuracy beats the threshold."""
    dados = carregar_dados()
    run_id, accuracy = treinar_e_registrar(dados, C)
    registered = None
    if accuracy > limiar_acuracia:
        registered = mlflow.register_model(f"runs:/{run_id}/model", MODEL_NAME).version
    print(f"accuracy {accuracy:.3f}; registered version: {registered}")
    return {"run_id": run_id, "accuracy": accuracy, "registered_version": registered}


if __name__ == "__main__":
    import lab_utils

    lab_utils.connect()
    retreinar_modelo.serve(name=DEPLOYMENT, cron="0 3 * * 1", parameters={"C": 1.0})
