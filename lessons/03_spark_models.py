# %% [markdown]
# # 03 · Spark models
#
# When data outgrows one machine, models move to Spark. MLflow tracks Spark MLlib models
# the same way: parameters, metrics, and the model itself, which can then be reloaded as
# a Spark model, as a plain Python function on pandas, or as a Spark UDF that scores a
# whole DataFrame in parallel. This lesson runs the DataFlow Lab page's PySpark example as written,
# then builds the version you would keep: a pipeline trained, tracked, reloaded and scored
# — locally, or on the lab's Spark cluster with one parameter.
#
# **You will learn** Spark ML pipelines and evaluators; `mlflow.spark.log_model` (and how
# to make it faster); loading a Spark model as `pyfunc`; scoring with `spark_udf`;
# what `mlflow.pyspark.ml.autolog` records and what it cannot know; comparing Spark and
# scikit-learn runs from the server.
#
# **Time:** 45 minutes. **Prerequisites:** 01 · Basic tracking (02 for the comparison).
# Spark needs Java 17 or newer; `lab doctor` checks it.
#
# **On the map** (lesson 00): runs and logged models, made with Spark instead of scikit-learn.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
spark_master = ""  # "" runs Spark inside this notebook (local[*]); or e.g. "spark://127.0.0.1:7077"
num_trees = 20
max_depth = 5

# %% [markdown]
# ## A Spark session sized for a laptop
#
# > **JVM** — the Java Virtual Machine, the program that runs Java (and Scala) code. Spark
# > is written in Scala, so it runs in a JVM; PySpark is the Python side that sends it
# > work. Starting a Spark session starts a JVM, which is why Spark needs Java installed.
#
# `lab_utils.spark_session` checks Java first, binds Spark to 127.0.0.1, turns the UI
# off and uses 4 shuffle partitions instead of 200 (our data has 546 rows). Its JVMs use
# Java's quick compiler only and one garbage-collector thread, settings for small, short
# jobs (`lab_utils/spark_conf/spark-defaults.conf`). To use the lab's standalone cluster
# instead, run `lab spark up` in a terminal and set `spark_master` above to its URL. The
# next cell is the slowest of the lesson's first steps: it starts the JVM and loads Spark.

# %%
import logging

from lab_utils.spark import house_prices_spark_frames, spark_session

spark = spark_session("lesson-03-spark-models", master=spark_master or None)
train_data, test_data = house_prices_spark_frames(spark)
# mlflow.spark reports, at INFO level, each temporary folder it copies a model through.
logging.getLogger("mlflow.spark").setLevel(logging.WARNING)
print("Spark", spark.version, "master", spark.sparkContext.master)

# %% [markdown]
# The lines on stderr come from the JVM as it starts, before our settings apply: Java
# notes that Spark uses its *incubating* vector module (fast vector maths, still marked
# experimental in Java), Spark names its default logging setup, and Hadoop (Spark's file
# system layer) finds no native library for this platform and uses its Java code instead.
# None of them needs action.

# %% tags=["nbval-check-output"]
print(train_data.count(), "training rows,", test_data.count(), "test rows")
train_data.select("features", "label").show(3, truncate=False)

# %% [markdown]
# ## The DataFlow Lab page's example, as written
#
# Its last cell takes a while (the Spark session is already up): we will see why.

# %%
import mlflow

experiment = mlflow.set_experiment("meu_experimento")

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
# It works — noisily, and slowly.
#
# **The Java `ERROR`** above, with its long stack trace, says
# `No FileSystem for scheme "mlflow-artifacts"`. `mlflow.spark.log_model` first asks Spark
# to save the model straight to the run's artifact URI. Spark writes through Hadoop, which
# knows no `mlflow-artifacts:` scheme, so that save fails and Spark's ML instrumentation
# logs the error. MLflow then falls back: it saves the model to a temporary folder and
# uploads it through the tracking server. The model is logged; the error is harmless, and
# it would come back at every Spark `log_model` on this lab. Having seen it once, we raise
# Spark's log level to `FATAL` so that errors Spark logs and recovers from are not printed.
# A Spark job that really fails still raises a Python exception.
#
# **The time.** The run holds three small log calls and `log_model`, so its duration on
# the server is about what `log_model` took:

# %%
spark.sparkContext.setLogLevel("FATAL")

page_run = mlflow.last_active_run()
page_seconds = (page_run.info.end_time - page_run.info.start_time) / 1000
print(f"the page's run lasted {lab_utils.format_number(page_seconds, 1)} s")

# %% [markdown]
# What makes it slow is `log_model` working out which pip packages the model needs: with no
# `pip_requirements`, MLflow loads the saved model again in a new Python process to see
# what it imports, and loading a Spark model there starts a *second* JVM. Passing
# `pip_requirements` skips that step; the next section times `log_model` with them, so
# you can compare the two numbers printed.
#
# Two more things to notice:
#
# - Unlike `mlflow.sklearn.log_model`, `mlflow.spark.log_model` in this MLflow version still
#   takes the artifact path positionally (`name=` raises a `TypeError`).
# - The model expects a `features` vector column: whoever uses it must rebuild that vector.
#
# ## A pipeline, tracked the way you would keep it
#
# A `Pipeline` carries the `VectorAssembler` with the forest, so the logged model takes
# the 11 plain columns. We log parameters, the test RMSE and R² (on the same test houses
# as lessons 01 and 02), the feature importances, and the model with explicit requirements
# and an input example. Fitting and saving a Spark model still takes a while: the cell
# prints how long `log_model` took.
#
# From the input example, MLflow infers a signature with *integer* columns and warns that
# an integer column cannot hold a missing value: a client sending `NaN` for, say,
# `bedrooms` would be refused. Our houses have no missing values, so we silence that one
# warning here; lesson 05 shows what integer columns mean at prediction time.

# %%
import time
import warnings

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
spark_requirements = [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]

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
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        mlflow.spark.log_model(pipeline_model, "model", pip_requirements=spark_requirements,
                               input_example=test_raw.drop("label").limit(3).toPandas())
    log_model_seconds = time.perf_counter() - start
    mlflow.log_metric("log_model_seconds", log_model_seconds)

print(f"log_model took {lab_utils.format_number(log_model_seconds, 1)} s with explicit requirements "
      f"(the page's run: {lab_utils.format_number(page_seconds, 1)} s)")
print(f"test RMSE {lab_utils.format_number(spark_rmse)} CAD, R² {lab_utils.format_number(spark_r2, 3)}")
print("the run in the UI:", lab_utils.run_url(lab, spark_run))

# %% [markdown]
# ### Checkpoint

# %%
from mlflow import MlflowClient

client = MlflowClient()
checked = lab_utils.assert_run_logged(
    spark_run.info.run_id, params={"numTrees": num_trees, "maxDepth": max_depth},
    metrics={"rmse": spark_rmse}, artifacts=["feature_importances.json", "model"])
spark_logged_models = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], output_format="list",
    filter_string=f"source_run_id = '{spark_run.info.run_id}'")
print("logged models of the run:", len(spark_logged_models))

# %% [markdown]
# Note where the model went: into the run's artifacts (`model/`), and no *logged model*
# was created. In this MLflow version `mlflow.spark.log_model` still stores a Spark model
# the MLflow 2 way, as files of the run, so `runs:/<run id>/model` is its address and
# `mlflow.search_logged_models` does not list it. The scikit-learn models that lesson 01
# logged with `name=` are logged models.

# %% [markdown]
# ## Loading it back
#
# > **Flavor** — one of the ways a logged model can be loaded. The `MLmodel` file lists
# > them: here `spark` (back as a Spark `PipelineModel`) and `python_function`, or
# > *pyfunc* (a generic `predict(pandas DataFrame)` that any Python code, or a model
# > server, can call).
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
# MLflow warns that `env_manager="local"` scores with this notebook's packages instead of
# recreating the environment the model was logged with (`"virtualenv"`, `"uv"` or
# `"conda"` would build that environment first). Here they are the same environment:
# lesson 01 logged the model from this lab's kernel, so `local` is right, and fast.
#
# ### Checkpoint
# The loaders agree with each other, and the UDF agrees with the scikit-learn model.

# %% tags=["nbval-check-output"]
sklearn_predictions = np.asarray(mlflow.pyfunc.load_model(sklearn_uri).predict(houses[FEATURES].head(5)))
udf_predictions = [row.predicted_price for row in batch.limit(5).collect()]
assert np.allclose(pandas_predictions, spark_predictions), "pyfunc and Spark model disagree"
assert np.allclose(sklearn_predictions, udf_predictions), "the UDF disagrees with the model"
print(f"✓ pyfunc = Spark model; spark_udf = scikit-learn model; {batch.count()} houses scored")

# %% [markdown]
# ## Autologging Spark ML
#
# `mlflow.pyspark.ml.autolog()` patches `fit` for Spark ML estimators, and, while it is
# on, `transform` and `evaluate` too: an evaluator called on the predictions of a model it
# saw being fitted is logged as a metric of that model's run. Let's keep the fitted model
# and evaluate it on the test houses before switching autolog off. (`silent=True` keeps
# autolog's own log messages out of the output.)
#
# By default autolog also logs the model, through `mlflow.spark.log_model` *without*
# `pip_requirements`: the slow requirement inference of the page's example, at every
# `fit`. We pass `log_models=False` to keep this cell quick.

# %%
mlflow.pyspark.ml.autolog(log_models=False, silent=True)
with mlflow.start_run(run_name="spark_autolog") as auto_run:
    start = time.perf_counter()
    auto_model = pipeline.fit(train_raw)
    autolog_fit = time.perf_counter() - start
    evaluator.evaluate(auto_model.transform(test_raw))
mlflow.pyspark.ml.autolog(disable=True)

start = time.perf_counter()
pipeline.fit(train_raw)
plain_fit = time.perf_counter() - start
print(f"fit with autolog {lab_utils.format_number(autolog_fit, 1)} s, without {lab_utils.format_number(plain_fit, 1)} s")

# %% [markdown]
# ### Checkpoint
# What the server holds for the autologged run: parameters, metrics, data sets (each with
# its context) and artifacts.

# %% tags=["nbval-check-output"]
auto = client.get_run(auto_run.info.run_id)
contexts = sorted(t.value for d in auto.inputs.dataset_inputs for t in d.tags if t.key == "mlflow.data.context")
auto_artifacts = [a.path for a in client.list_artifacts(auto_run.info.run_id)]
print(f"params: {len(auto.data.params)} (e.g. {sorted(auto.data.params)[:2]})")
print("metrics:", sorted(auto.data.metrics))
print("data sets (context):", contexts)
print("run artifacts:", auto_artifacts)
assert "rmse_test_raw" in auto.data.metrics and contexts == ["eval", "train"], (
    "autolog did not record what this section expects")

# %% [markdown]
# Autolog recorded every parameter of every stage, the training DataFrame (context
# `train`), two JSON files describing the estimator and the metric calls, and — because
# we evaluated the fitted model while it was on —
# `rmse_test_raw`, with the evaluated DataFrame as `eval` data. It built that name from
# the evaluator's metric and *our variable's name*: it knows we evaluated a DataFrame
# called `test_raw`, not that these are held-out houses, nor which metric decides. An
# evaluator called after `autolog(disable=True)`, or a metric computed another way (numpy
# on collected predictions), is not recorded. Its cost is the logging at each `fit`, as
# printed above, and more with `log_models=True`.
#
# ## Spark against scikit-learn, from the server
#
# Lessons 01 and 02 logged scikit-learn models scored on the same test houses. One search
# gathers this lesson's runs and theirs; each run's test RMSE is under the name its lesson
# gave it. The table is in the lessons' order, not ranked: a test score reports how a chosen
# model does, it does not choose among models (lesson 02 chose on validation).

# %%
import pandas as pd

runs = mlflow.search_runs(experiment_names=["meu_experimento"], filter_string="attributes.status = 'FINISHED'",
                          order_by=["attributes.start_time DESC"])
this_lesson = {page_run.info.run_id: "03 the page's Spark forest (defaults)",
               spark_run.info.run_id: f"03 spark_random_forest ({num_trees} trees, depth {max_depth})",
               auto_run.info.run_id: "03 spark_autolog (same pipeline)"}
earlier = {"elasticnet_measured": "01 elasticnet_measured (scikit-learn)",
           "grid_search_nested": "02 grid_search_nested, best (scikit-learn)"}
latest = runs.drop_duplicates("tags.mlflow.runName")  # the newest run of each name
rows = pd.concat([runs[runs.run_id.isin(list(this_lesson))].assign(model=lambda r: r.run_id.map(this_lesson)),
                  latest[latest["tags.mlflow.runName"].isin(earlier)]
                  .assign(model=lambda r: r["tags.mlflow.runName"].map(earlier))])
names = [c for c in ("metrics.rmse", "metrics.rmse_test_raw", "metrics.test_rmse", "metrics.validation_rmse")
         if c in rows]
comparison = (rows.set_index("model")[names].bfill(axis=1).iloc[:, 0]
              .rename("test RMSE (CAD)").rename_axis("model").round(0).to_frame())
comparison

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Train the same pipeline with `numTrees=50` and `maxDepth=8`. Log a run named
# `exercise_spark_deeper` with both parameters, its test `rmse`, and the fitted pipeline as
# the model `model` (with `pip_requirements`). Put the run id in `deeper_run_id`. How does
# its test RMSE compare with `spark_rmse`? (To *choose* between the two you would compare
# on validation houses, as lesson 04 does; here we only report.)

# %% tags=["exercise"]
deeper_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Build a `Pipeline` like `pipeline` with `RandomForestRegressor(..., numTrees=50,
# maxDepth=8, seed=42)`, then inside `mlflow.start_run(run_name=...)` use
# `mlflow.log_params`, `mlflow.log_metric` (`evaluator.evaluate` on the test predictions)
# and `mlflow.spark.log_model(model, "model", pip_requirements=spark_requirements)`.
#
# </details>

# %% tags=["solution"]
deeper = Pipeline(stages=[
    VectorAssembler(inputCols=FEATURES, outputCol="features"),
    RandomForestRegressor(labelCol="label", numTrees=50, maxDepth=8, seed=42),
]).fit(train_raw)
with mlflow.start_run(run_name="exercise_spark_deeper") as deeper_run:
    mlflow.log_params({"numTrees": 50, "maxDepth": 8})
    mlflow.log_metric("rmse", evaluator.evaluate(deeper.transform(test_raw), {evaluator.metricName: "rmse"}))
    mlflow.spark.log_model(deeper, "model", pip_requirements=spark_requirements)
deeper_run_id = deeper_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(deeper_run_id, "Exercise 1"):
    from lab_utils.grading import lesson_03
    lesson_03.check_exercise_1(deeper_run_id, test_raw, evaluator, spark_rmse)

# %% [markdown]
# ### Exercise 2
# Price the listings of `data/new_houses.csv` (`lab_utils.load_new_houses()`) with the Spark
# UDF `score` (lesson 01's ElasticNet), keeping the columns `house_id` and
# `predicted_price`. Write the result with Spark as Parquet into a temporary folder, and
# log that folder as the artifact `priced` of a run named `exercise_spark_batch`. Put the
# run id in `batch_run_id`.

# %% tags=["exercise"]
batch_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `spark.createDataFrame(lab_utils.load_new_houses().reset_index())`, then
# `.withColumn("predicted_price", score(struct(*FEATURES)))`, `.select(...)`,
# `.write.mode("overwrite").parquet(path)` with `path = os.path.join(folder, "priced")`, a new
# folder inside a `tempfile.TemporaryDirectory()` (Spark refuses to write into a folder that
# exists: `PATH_ALREADY_EXISTS`), and `mlflow.log_artifacts(path, artifact_path="priced")`
# inside the run.
#
# </details>

# %% tags=["solution"]
import os
import tempfile

new_houses = spark.createDataFrame(lab_utils.load_new_houses().reset_index())
priced = new_houses.withColumn("predicted_price", score(struct(*FEATURES))).select("house_id", "predicted_price")
with tempfile.TemporaryDirectory() as folder, mlflow.start_run(run_name="exercise_spark_batch") as batch_run:
    priced.write.mode("overwrite").parquet(os.path.join(folder, "priced"))
    mlflow.log_artifacts(os.path.join(folder, "priced"), artifact_path="priced")
batch_run_id = batch_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(batch_run_id, "Exercise 2"):
    from lab_utils.grading import lesson_03
    lesson_03.check_exercise_2(batch_run_id, sklearn_uri)

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
# - Autolog records parameters, data sets, the model (unless `log_models=False`), and
#   metrics of evaluators it sees while on; it cannot know which data is held out.
# - A Spark model is stored as files of its run (`runs:/<run id>/model`), not as a
#   logged model.
# - The same lesson runs on a cluster: `lab spark up`, then `spark_master="spark://…"`.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [`mlflow.spark`](https://mlflow.org/docs/latest/python_api/mlflow.spark.html) — logging,
#   loading, and `pip_requirements`
# - [`mlflow.pyspark.ml.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.pyspark.ml.html)
#   — what it logs, and how post-training metrics are named
# - [Automatic logging](https://mlflow.org/docs/latest/ml/tracking/autolog)
#
# ## Check your understanding
#
# 1. Why was `log_model` in the page's example slower than in the pipeline section, and
#    what does `pip_requirements` change?
# 2. What does the `No FileSystem for scheme "mlflow-artifacts"` error mean for the model
#    that was logged?
# 3. You have a scikit-learn model in the registry and a billion rows in a Spark
#    DataFrame. Which MLflow function lets Spark score them, and where does the model run?
# 4. Autolog logged `rmse_test_raw`. What does it know about `test_raw`, and what does it
#    not know?

# %% [markdown] tags=["solution"]
# 1. Without `pip_requirements`, MLflow loads the saved model in a new Python process to see
#    what it imports, and for a Spark model that starts a second JVM. With
#    `pip_requirements`, the list is taken as given and that step is skipped.
# 2. Nothing bad: Spark could not write directly to the `mlflow-artifacts:` URI, so MLflow
#    saved the model locally and uploaded it through the tracking server. The model is in
#    the run.
# 3. `mlflow.pyfunc.spark_udf`: each Spark worker loads the model once and scores its
#    share of the rows in parallel.
# 4. Only that an evaluator was called on predictions made from a DataFrame held in a
#    variable named `test_raw` (logged as `eval` data). It does not know that those are
#    held-out houses, nor which metric you decide on.
#
# Next: **04 · The Model Registry**.
