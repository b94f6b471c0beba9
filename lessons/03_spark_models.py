# %% [markdown]
# # 03 · Spark models
#
# When data outgrows one machine, models move to Spark. MLflow tracks Spark MLlib models
# the same way: parameters, metrics, and the model itself, which can then be reloaded as
# a Spark model, as a plain Python function on pandas, or as a Spark UDF that scores a
# whole DataFrame in parallel. This lesson runs the lab page's PySpark example as written,
# then builds the version you would keep: a pipeline trained, tracked, reloaded and scored
# — locally, or on the lab's Spark cluster with one parameter.
#
# **You will learn** Spark ML pipelines and evaluators; `mlflow.spark.log_model` (and how
# to make it fast); loading a Spark model as `pyfunc`; scoring with `spark_udf`;
# `mlflow.pyspark.ml.autolog`; comparing Spark and scikit-learn runs from the server.
#
# **Time:** 30 minutes. **Prerequisites:** 01 · Basic tracking (02 for the comparison).
# Spark needs Java 17 or newer; `lab doctor` checks it.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
spark_master = ""  # "" runs Spark inside this notebook (local[*]); or e.g. "spark://127.0.0.1:7077"
num_trees = 20
max_depth = 5

# %% [markdown]
# ## A Spark session sized for a laptop
#
# `lab_utils.spark_session` checks Java first, binds Spark to 127.0.0.1, turns the UI
# off and uses 4 shuffle partitions instead of 200 (our data has 546 rows). To use the
# lab's standalone cluster instead, run `lab spark up` in a terminal and set
# `spark_master` above to its URL.

# %%
from lab_utils.spark import house_prices_spark_frames, spark_session

spark = spark_session("lesson-03-spark-models", master=spark_master or None)
train_data, test_data = house_prices_spark_frames(spark)
print("Spark", spark.version, "master", spark.sparkContext.master)

# %% tags=["nbval-check-output"]
print(train_data.count(), "training rows,", test_data.count(), "test rows")
train_data.select("features", "label").show(3, truncate=False)

# %% [markdown]
# ## The lab page's example, as written

# %%
import mlflow

mlflow.set_experiment("meu_experimento")

# %%
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

# %% [markdown]
# It works — slowly, and noisily:
#
# - `log_model` spent most of its time working out which pip packages the model needs: it
#   starts a *second* JVM to load the model back. Passing `pip_requirements` skips that
#   (about 1.7 s instead of 20+ s here).
# - Spark printed a Java `ERROR` about `No FileSystem for scheme "mlflow-artifacts"`: Spark
#   first tries to write the model straight to the artifact URI, cannot, and falls back to
#   a local folder that MLflow then uploads. It is harmless.
# - Unlike `mlflow.sklearn.log_model`, `mlflow.spark.log_model` in this MLflow version still
#   takes the artifact path positionally (`name=` raises a `TypeError`).
# - The model expects a `features` vector column: whoever uses it must rebuild that vector.
#
# ## A pipeline, tracked the way you would keep it
#
# A `Pipeline` carries the `VectorAssembler` with the forest, so the logged model takes
# the 11 plain columns. We log parameters, validation RMSE and R², the feature importances,
# and the model with explicit requirements and an input example.

# %%
import time

import pyspark
from pyspark.ml import Pipeline
from pyspark.ml.feature import VectorAssembler

from lab_utils.data import FEATURES

train_raw = train_data.drop("features")
test_raw = test_data.drop("features")
pipeline = Pipeline(stages=[
    VectorAssembler(inputCols=FEATURES, outputCol="features"),
    RandomForestRegressor(labelCol="label", numTrees=num_trees, maxDepth=max_depth, seed=42),
])

with mlflow.start_run(run_name="spark_random_forest") as spark_run:
    mlflow.set_tags({"dataset": "windsor_house_prices", "model_family": "spark_random_forest"})
    mlflow.log_params({"numTrees": num_trees, "maxDepth": max_depth, "spark_master": spark.sparkContext.master})
    start = time.perf_counter()
    pipeline_model = pipeline.fit(train_raw)
    mlflow.log_metric("fit_seconds", time.perf_counter() - start)
    scored = pipeline_model.transform(test_raw)
    evaluator = RegressionEvaluator(labelCol="label", predictionCol="prediction")
    spark_rmse = evaluator.evaluate(scored, {evaluator.metricName: "rmse"})
    spark_r2 = evaluator.evaluate(scored, {evaluator.metricName: "r2"})
    mlflow.log_metrics({"rmse": spark_rmse, "r2": spark_r2})
    importances = pipeline_model.stages[-1].featureImportances.toArray()
    mlflow.log_dict(dict(zip(FEATURES, importances.round(4).tolist())), "feature_importances.json")

    start = time.perf_counter()
    mlflow.spark.log_model(
        pipeline_model, "model",
        pip_requirements=[f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"],
        input_example=test_raw.drop("label").limit(3).toPandas(),
    )
    print(f"log_model took {time.perf_counter() - start:.1f} s with explicit requirements")

print(f"validation RMSE {spark_rmse:,.0f} CAD, R² {spark_r2:.3f}")

# %% [markdown]
# ### Checkpoint

# %%
checked = lab_utils.assert_run_logged(
    spark_run.info.run_id, params={"numTrees": num_trees, "maxDepth": max_depth},
    metrics={"rmse": spark_rmse}, artifacts=["feature_importances.json"])

# %% [markdown]
# ## Loading it back
#
# As a **Spark model** for Spark jobs, and as a **pyfunc** on a pandas DataFrame — any
# Python code can use it that way, without writing Spark code.

# %%
import numpy as np

model_uri = f"runs:/{spark_run.info.run_id}/model"
as_spark = mlflow.spark.load_model(model_uri)
as_pyfunc = mlflow.pyfunc.load_model(model_uri)

houses = lab_utils.load_house_prices()
all_houses = spark.createDataFrame(houses)
pandas_predictions = np.asarray(as_pyfunc.predict(houses[FEATURES].head(5)))
spark_predictions = [row.prediction for row in as_spark.transform(all_houses.limit(5)).collect()]
print("pyfunc on pandas:  ", pandas_predictions.round(-2))
print("Spark model:       ", np.round(spark_predictions, -2))

# %% [markdown]
# ## Scoring a Spark DataFrame with any MLflow model: `spark_udf`
#
# The other way round: a model trained *without* Spark (say, lesson 01's scikit-learn
# ElasticNet) can score a large Spark DataFrame in parallel. `mlflow.pyfunc.spark_udf`
# wraps it as a Spark user-defined function; each Spark worker loads the model once.
# (A Spark model needs no UDF: `transform` already runs on the cluster.)

# %%
from pyspark.sql.functions import struct

sklearn_run = mlflow.search_runs(experiment_names=["meu_experimento"],
                                 filter_string="attributes.run_name = 'elasticnet_measured'",
                                 order_by=["attributes.start_time DESC"], max_results=1)
sklearn_uri = f"runs:/{sklearn_run.run_id[0]}/model"
score = mlflow.pyfunc.spark_udf(spark, sklearn_uri, result_type="double", env_manager="local")
batch = all_houses.withColumn("predicted_price", score(struct(*FEATURES)))
batch.select("price", "predicted_price").show(5)

# %% [markdown]
# ### Checkpoint
# The loaders agree with each other, and the UDF agrees with the scikit-learn model.

# %%
sklearn_predictions = np.asarray(mlflow.pyfunc.load_model(sklearn_uri).predict(houses[FEATURES].head(5)))
udf_predictions = [row.predicted_price for row in batch.limit(5).collect()]
assert np.allclose(pandas_predictions, spark_predictions), "pyfunc and Spark model disagree"
assert np.allclose(sklearn_predictions, udf_predictions), "the UDF disagrees with the model"
print(f"✓ pyfunc = Spark model; spark_udf = scikit-learn model; {batch.count()} houses scored")

# %% [markdown]
# ## Autologging Spark ML
#
# `mlflow.pyspark.ml.autolog()` patches `fit` for Spark ML estimators. Let's see what it
# records, and what it costs.

# %%
mlflow.pyspark.ml.autolog(log_models=True, silent=True)
with mlflow.start_run(run_name="spark_autolog") as auto_run:
    start = time.perf_counter()
    pipeline.fit(train_raw)
    autolog_fit = time.perf_counter() - start
mlflow.pyspark.ml.autolog(disable=True)

start = time.perf_counter()
pipeline.fit(train_raw)
plain_fit = time.perf_counter() - start

from mlflow import MlflowClient

client = MlflowClient()
auto = client.get_run(auto_run.info.run_id)
print(f"params logged: {len(auto.data.params)} (e.g. {sorted(auto.data.params)[:3]})")
print(f"metrics logged: {sorted(auto.data.metrics) or 'none'}")
print(f"fit with autolog {autolog_fit:.1f} s, without {plain_fit:.1f} s ({autolog_fit / plain_fit:.1f}x)")

# %% [markdown]
# Autolog records every parameter of every stage and the model, but no metric: it cannot
# know which data is your validation set. Its cost is logging at each `fit` — noticeable
# when fits are quick, as here.
#
# ## Spark against scikit-learn, from the server
#
# Lessons 01 and 02 logged scikit-learn models on the same test houses. One search
# gathers them all; tags and metric names do the rest.

# %%
import pandas as pd

runs = mlflow.search_runs(experiment_names=["meu_experimento"],
                          filter_string="attributes.status = 'FINISHED'")
runs["validation RMSE"] = runs.get("metrics.validation_rmse", pd.Series(dtype=float)).fillna(
    runs.get("metrics.rmse", pd.Series(dtype=float)))
comparison = (runs[runs["validation RMSE"] > 1000]  # the page's example logs a made-up 0.876
              .sort_values("start_time").groupby("tags.mlflow.runName").last()
              [["validation RMSE"]].sort_values("validation RMSE"))
comparison.round(0)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Train the same pipeline with `numTrees=50` and `maxDepth=8`, log a run named
# `exercise_spark_deeper` with both parameters and its validation `rmse`. Put the run id in
# `deeper_run_id`. Is it better than the 20 × 5 forest?

# %% tags=["exercise"]
deeper_run_id = ...  # your code here

# %% tags=["solution"]
deeper = Pipeline(stages=[
    VectorAssembler(inputCols=FEATURES, outputCol="features"),
    RandomForestRegressor(labelCol="label", numTrees=50, maxDepth=8, seed=42),
]).fit(train_raw)
with mlflow.start_run(run_name="exercise_spark_deeper") as deeper_run:
    mlflow.log_params({"numTrees": 50, "maxDepth": 8})
    mlflow.log_metric("rmse", evaluator.evaluate(deeper.transform(test_raw), {evaluator.metricName: "rmse"}))
deeper_run_id = deeper_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(deeper_run_id, "Exercise 1"):
    run = lab_utils.assert_run_logged(deeper_run_id, params={"numTrees": 50, "maxDepth": 8}, metrics=["rmse"])
    assert run.info.run_name == "exercise_spark_deeper"
    better = run.data.metrics["rmse"] < spark_rmse
    print(f"✓ Exercise 1: {run.data.metrics['rmse']:,.0f} CAD, {'better' if better else 'not better'} "
          f"than {spark_rmse:,.0f}")

# %% [markdown]
# ### Exercise 2
# Score `data/new_houses.csv` (`lab_utils.load_new_houses()`) with the Spark UDF `score`
# (lesson 01's ElasticNet) and put a pandas DataFrame with the columns `house_id` and
# `predicted_price` in `priced`.

# %% tags=["exercise"]
priced = ...  # your code here

# %% tags=["solution"]
new_houses = spark.createDataFrame(lab_utils.load_new_houses().reset_index())
priced = (new_houses.withColumn("predicted_price", score(struct(*FEATURES)))
          .select("house_id", "predicted_price").toPandas())

# %% tags=["check-exercise"]
if lab_utils.attempted(priced, "Exercise 2"):
    expected = np.asarray(mlflow.pyfunc.load_model(sklearn_uri).predict(lab_utils.load_new_houses()))
    assert list(priced.columns) == ["house_id", "predicted_price"] and len(priced) == 20
    assert np.allclose(priced.sort_values("house_id")["predicted_price"], expected)
    print("✓ Exercise 2: 20 new houses priced by Spark")

# %%
spark.stop()

# %% [markdown]
# ## Summary
#
# - MLflow tracks Spark ML like scikit-learn: params, metrics, the model.
# - Log a `Pipeline`, not a bare estimator, so consumers pass plain columns; pass
#   `pip_requirements` to `mlflow.spark.log_model` to skip the slow inference.
# - Load Spark models as Spark models or as pyfunc (pandas in, no Spark code needed);
#   score Spark DataFrames with any Python model through `spark_udf`.
# - The same lesson runs on a cluster: `lab spark up`, then `spark_master="spark://…"`.
#
# Next: **04 · The Model Registry**.
