"""Every Python example of the lab's MLflow page runs as written against the lab.

The examples are copied verbatim from the page (its Portuguese names kept); each test
supplies only the names an example leaves undefined (`model`, `X_train`, `treinar`, …).
The PySpark example is run by lesson 03 itself, a cell as written (the last test here says
so), in both of its passes (tests/test_notebooks.py): local and on the Spark cluster; a third
run here would start a JVM for nothing new.
"""

from __future__ import annotations

import textwrap

import pytest

BASIC_EXAMPLE = '''
import mlflow

# Iniciar experimento
mlflow.set_experiment("meu_experimento")

# Iniciar execução
with mlflow.start_run():
    # Parâmetros do modelo
    mlflow.log_param("alpha", 0.5)
    mlflow.log_param("l1_ratio", 0.1)
    
    # Métrica do modelo
    mlflow.log_metric("rmse", 0.876)
    mlflow.log_metric("r2", 0.923)
    
    # Artefato (como o modelo)
    mlflow.sklearn.log_model(model, "modelo")
'''

GRID_SEARCH_EXAMPLE = '''
from sklearn.model_selection import GridSearchCV
import mlflow.sklearn

# Definir grade de parâmetros
param_grid = {
    'alpha': [0.1, 0.5, 1.0],
    'l1_ratio': [0.1, 0.5, 0.9]
}

# Configurar grid search
grid_search = GridSearchCV(model, param_grid, cv=5, scoring='neg_mean_squared_error')

# Executar com rastreamento MLflow
with mlflow.start_run(run_name="grid_search"):
    grid_search.fit(X_train, y_train)
    
    # Registrar melhor modelo
    mlflow.log_params(grid_search.best_params_)
    mlflow.log_metric("best_score", grid_search.best_score_)
    mlflow.sklearn.log_model(grid_search.best_estimator_, "best_model")
'''

PYSPARK_EXAMPLE = '''
from pyspark.ml.regression import RandomForestRegressor
from pyspark.ml.evaluation import RegressionEvaluator
import mlflow.spark

# Treinar modelo
rf = RandomForestRegressor(labelCol="label", featuresCol="features")
model = rf.fit(train_data)

# Avaliar modelo
predictions = model.transform(test_data)
rmse = RegressionEvaluator(labelCol="label").evaluate(predictions)

# Registrar modelo com MLflow
with mlflow.start_run():
    mlflow.log_param("numTrees", rf.getNumTrees())
    mlflow.log_param("maxDepth", rf.getMaxDepth())
    mlflow.log_metric("rmse", rmse)
    mlflow.spark.log_model(model, "spark_model")
'''

REGISTER_EXAMPLE = '''
# Após treinar e rastrear o modelo com uma execução
run_id = mlflow.last_active_run().info.run_id
model_uri = f"runs:/{run_id}/model"
model_details = mlflow.register_model(model_uri, "previsao_precos")
'''

STAGES_EXAMPLE = '''
from mlflow.tracking import MlflowClient

client = MlflowClient()

# Promover modelo para staging
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Staging"
)

# Promover modelo para produção
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Production"
)
'''

LOAD_EXAMPLE = '''
# Carregar modelo específico por versão
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/1")

# Carregar modelo de stage específico
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/Production")
'''

PREFECT_EXAMPLE = '''
from prefect import flow, task
import mlflow

@task
def treinar_modelo(params):
    with mlflow.start_run() as run:
        # Registrar parâmetros
        mlflow.log_params(params)
        
        # Treinar modelo
        model = treinar(params)
        
        # Registrar métricas
        metrics = avaliar(model)
        mlflow.log_metrics(metrics)
        
        # Registrar modelo
        mlflow.sklearn.log_model(model, "model")
        
        return run.info.run_id, metrics

@flow
def pipeline_treinamento(params):
    run_id, metrics = treinar_modelo(params)
    
    # Registrar modelo se performance for boa
    if metrics["accuracy"] > 0.8:
        model_uri = f"runs:/{run_id}/model"
        mlflow.register_model(model_uri, "modelo_producao")
        
    return metrics
'''


def run_example(source: str, namespace: dict) -> dict:
    exec(compile(textwrap.dedent(source), "<seed example>", "exec"), namespace)
    return namespace


@pytest.fixture()
def house_data(lab):
    from lab_utils.data import split_house_prices

    return split_house_prices()


def test_basic_example(house_data):
    from mlflow import MlflowClient
    from sklearn.linear_model import ElasticNet

    X_train, _, y_train, _ = house_data
    ns = run_example(BASIC_EXAMPLE, {"model": ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)})
    run = MlflowClient().get_run(ns["mlflow"].last_active_run().info.run_id)
    assert run.data.params == {"alpha": "0.5", "l1_ratio": "0.1"}
    assert run.data.metrics == {"rmse": 0.876, "r2": 0.923}
    assert ns["mlflow"].sklearn.load_model(f"runs:/{run.info.run_id}/modelo").predict(X_train[:2]).shape == (2,)


def test_grid_search_example(house_data):
    from mlflow import MlflowClient
    from sklearn.linear_model import ElasticNet

    X_train, _, y_train, _ = house_data
    ns = run_example(GRID_SEARCH_EXAMPLE, {"model": ElasticNet(max_iter=5000), "X_train": X_train,
                                           "y_train": y_train})
    run = MlflowClient().get_run(ns["mlflow"].last_active_run().info.run_id)
    assert run.info.run_name == "grid_search"
    assert set(run.data.params) == {"alpha", "l1_ratio"}
    assert run.data.metrics["best_score"] < 0  # negative MSE


def test_registry_examples(house_data):
    import mlflow
    from sklearn.linear_model import ElasticNet

    X_train, X_test, y_train, _ = house_data
    mlflow.set_experiment("meu_experimento")
    with mlflow.start_run():  # the run the example's first comment speaks of
        mlflow.sklearn.log_model(ElasticNet(alpha=0.5).fit(X_train, y_train), name="model",
                                 input_example=X_train[:3])
    ns = run_example(REGISTER_EXAMPLE, {"mlflow": mlflow})
    assert int(ns["model_details"].version) >= 1
    ns = run_example(STAGES_EXAMPLE, ns)
    assert ns["client"].get_model_version("previsao_precos", "1").current_stage == "Production"
    ns = run_example(LOAD_EXAMPLE, ns)
    assert ns["model"].predict(X_test[:4]).shape == (4,)


def test_prefect_example(house_data):
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from lab_utils.data import FEATURES, SEED, expensive_house_labels, load_house_prices

    frame = load_house_prices()
    X_train, X_test, y_train, y_test = train_test_split(
        frame[FEATURES], expensive_house_labels(frame), test_size=0.25, random_state=SEED,
        stratify=expensive_house_labels(frame))

    def treinar(params):
        return make_pipeline(StandardScaler(), LogisticRegression(**params)).fit(X_train, y_train)

    def avaliar(model):
        return {"accuracy": accuracy_score(y_test, model.predict(X_test))}

    mlflow.set_experiment("pipeline_treinamento")
    client = MlflowClient()
    before = len(client.search_model_versions("name='modelo_producao'"))
    ns = run_example(PREFECT_EXAMPLE, {"treinar": treinar, "avaliar": avaliar})
    metrics = ns["pipeline_treinamento"]({"C": 1.0})
    assert metrics["accuracy"] > 0.8
    assert len(client.search_model_versions("name='modelo_producao'")) == before + 1


def _normalized(code: str) -> str:
    """Blank lines and trailing spaces aside, and a `;` at a line's end (Jupyter's "do not
    display the result"), the code as written."""
    return "\n".join(line.rstrip().removesuffix(";") for line in textwrap.dedent(code).splitlines()
                     if line.strip())


@pytest.mark.parametrize(("example", "lesson"), [
    (BASIC_EXAMPLE, "01_basic_tracking"), (GRID_SEARCH_EXAMPLE, "02_hyperparameter_search"),
    (PYSPARK_EXAMPLE, "03_spark_models"), (REGISTER_EXAMPLE, "04_model_registry"),
    (STAGES_EXAMPLE, "04_model_registry"), (LOAD_EXAMPLE, "04_model_registry"),
    (PREFECT_EXAMPLE, "07_prefect_pipelines"),
], ids=["basic", "grid_search", "pyspark", "register", "stages", "load", "prefect"])
def test_lessons_teach_the_examples_as_written(example: str, lesson: str):
    import nbformat

    from lab_utils.config import REPO_ROOT

    notebook = nbformat.read(REPO_ROOT / "notebooks" / f"{lesson}.ipynb", as_version=4)
    cells = [_normalized(c.source) for c in notebook.cells if c.cell_type == "code"]
    assert _normalized(example) in cells, f"{lesson} does not show the page's example as written"
