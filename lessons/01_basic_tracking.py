# %% [markdown]
# # 01 · Basic tracking
#
# Every experiment you run leaves questions behind: which parameters gave that score? which
# data? where is the model file? MLflow Tracking answers them by recording each *run*:
# its parameters, metrics, tags and artifacts, on a server you can query later. This
# lesson starts from the lab page's basic example, runs it as written, and then takes it
# apart one call at a time on real data: house prices in Windsor, Canada.
#
# **You will learn** to create experiments and runs; log parameters, metrics (with steps),
# tags, figures, dictionaries, text and files; log a scikit-learn model with a signature
# and an input example; compare autologging with manual logging; read runs back with
# `MlflowClient` and `mlflow.search_runs`; and log many metrics without waiting on the network.
#
# **Time:** 35 minutes. **Prerequisites:** 00 · Welcome.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
n_metric_points = 1000  # points logged by the logging-speed comparison
epochs = 30  # training-curve length

# %% [markdown]
# ## The data
#
# 546 houses sold in 1987, with their price (CAD) and 11 features (`data/README.md` has
# the source and units). `split_house_prices` splits them the same way in every lesson.

# %% tags=["nbval-check-output"]
houses = lab_utils.load_house_prices()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices(houses)
print(houses.shape, X_train.shape, X_test.shape)
print(list(houses.columns))

# %% [markdown]
# ## The lab page's example, as written
#
# The example logs a model called `model`, so we train one first: an `ElasticNet` (linear
# regression with L1 and L2 penalties) with the parameters the example records.

# %%
from sklearn.linear_model import ElasticNet

model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)

# %%
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

# %% [markdown]
# It works, and it shows a warning: in MLflow 3 the model's artifact path is the keyword
# `name=` (the positional `"modelo"` is deprecated). Two more things are off: the metrics
# are typed in by hand rather than measured, and the run has no name. Let's fix all three.
#
# ## Experiments and runs
#
# `set_experiment` creates the experiment if needed and makes it the active one.
# `start_run` opens a run; as a context manager it ends the run (FINISHED, or FAILED on an
# exception) when the block ends. A run name and a description make it findable later.

# %%
import numpy as np
from sklearn.metrics import mean_squared_error, r2_score

experiment = mlflow.set_experiment("meu_experimento")
print("experiment id:", experiment.experiment_id)

params = {"alpha": 0.5, "l1_ratio": 0.1}
with mlflow.start_run(run_name="elasticnet_measured",
                      description="ElasticNet on house prices, metrics measured on the test split") as run:
    mlflow.log_params(params)
    model = ElasticNet(**params).fit(X_train, y_train)
    predictions = model.predict(X_test)
    rmse = float(np.sqrt(mean_squared_error(y_test, predictions)))
    mlflow.log_metrics({"rmse": rmse, "r2": r2_score(y_test, predictions)})
    mlflow.set_tags({"dataset": "windsor_house_prices", "model_family": "linear"})

print(f"rmse {rmse:,.0f} CAD")
print("in the UI:", lab_utils.run_url(lab, run))

# %% [markdown]
# ### Checkpoint
# The server has the run, with its parameters, metrics and tags.

# %%
checked = lab_utils.assert_run_logged(run.info.run_id, params=params, metrics={"rmse": rmse},
                                      tags={"dataset": "windsor_house_prices"})

# %% [markdown]
# ## Metrics over time: steps
#
# A metric logged several times with a `step` becomes a curve in the UI. Here a linear
# model is trained by stochastic gradient descent one epoch at a time, and both the
# training and the validation error are logged at every epoch: validation metrics, not
# only training ones, are what tell you whether a model generalises.

# %%
import matplotlib.pyplot as plt
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

scaler = StandardScaler().fit(X_train)
X_train_scaled, X_test_scaled = scaler.transform(X_train), scaler.transform(X_test)
sgd = SGDRegressor(learning_rate="constant", eta0=0.001, random_state=lab_utils.SEED)

with mlflow.start_run(run_name="sgd_training_curve") as curve_run:
    mlflow.log_params({"eta0": 0.001, "epochs": epochs, "scaler": "standard"})
    history = []
    for epoch in range(epochs):
        sgd.partial_fit(X_train_scaled, y_train)
        train_rmse = float(np.sqrt(mean_squared_error(y_train, sgd.predict(X_train_scaled))))
        val_rmse = float(np.sqrt(mean_squared_error(y_test, sgd.predict(X_test_scaled))))
        mlflow.log_metrics({"train_rmse": train_rmse, "val_rmse": val_rmse}, step=epoch)
        history.append((train_rmse, val_rmse))

    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.plot([h[0] for h in history], label="train")
    ax.plot([h[1] for h in history], label="validation")
    ax.set(xlabel="epoch", ylabel="RMSE (CAD)", title="SGD training curve")
    ax.legend()
    mlflow.log_figure(figure, "training_curve.png")
plt.show()

# %% [markdown]
# The server keeps every point, not just the last one:

# %% tags=["nbval-check-output"]
from mlflow import MlflowClient

client = MlflowClient()
points = client.get_metric_history(curve_run.info.run_id, "val_rmse")
print(len(points), "points, steps", points[0].step, "to", points[-1].step)

# %% [markdown]
# ## Artifacts: figures, dictionaries, text, files
#
# Anything worth keeping beside the numbers is an artifact: a residual plot, the
# feature list, a note, a data file. The server stores them in bucket `mlflow`.

# %%
import json
import tempfile
from pathlib import Path

with mlflow.start_run(run_id=run.info.run_id):  # re-open the measured run to add to it
    residuals = y_test - predictions
    figure, ax = plt.subplots(figsize=(6, 3.5))
    ax.scatter(predictions, residuals, s=10, alpha=0.6)
    ax.axhline(0, color="grey", lw=1)
    ax.set(xlabel="predicted price (CAD)", ylabel="residual (CAD)", title="Residuals")
    mlflow.log_figure(figure, "plots/residuals.png")
    plt.close(figure)

    mlflow.log_dict({"features": list(X_train.columns), "target": "price"}, "schema/features.json")
    mlflow.log_text("Prices in CAD, 1987. Split: 75/25, seed 42.\n", "notes/README.txt")

    with tempfile.TemporaryDirectory() as tmp:
        coefficients = Path(tmp) / "coefficients.json"
        coefficients.write_text(json.dumps(dict(zip(X_train.columns, model.coef_.round(2).tolist())), indent=2))
        mlflow.log_artifact(str(coefficients), artifact_path="model_details")

# %% [markdown]
# ### Checkpoint
# The four artifacts are listed by the server, and the plot is an object in the bucket.

# %%
checked = lab_utils.assert_run_logged(run.info.run_id, artifacts=[
    "plots/residuals.png", "schema/features.json", "notes/README.txt", "model_details/coefficients.json"])
keys = lab_utils.assert_in_bucket(lab, checked, "plots/residuals.png")

# %% [markdown]
# ## Logging a model properly
#
# A model artifact is more useful with a **signature** (the columns and types it takes and
# returns: MLflow checks inputs against it when serving) and an **input example** (a few
# real rows, stored beside the model). `infer_signature` reads both off real data.
#
# In MLflow 3 a logged model is an entity of its own, with an id (`m-…`), its own URI
# `models:/m-…`, and the run-relative URI `runs:/<run id>/<name>` still works.

# %%
from mlflow.models import infer_signature

signature = infer_signature(X_train, model.predict(X_train))
with mlflow.start_run(run_id=run.info.run_id):
    model_info = mlflow.sklearn.log_model(
        model, name="model", signature=signature, input_example=X_train.head(3)
    )

print("logged model:", model_info.model_uri)
print("run-relative:", f"runs:/{run.info.run_id}/model")
print(signature)

# %% [markdown]
# The model's files are not inside the run's artifacts: MLflow 3 stores a logged model
# under `<experiment id>/models/<model id>/artifacts/` in the bucket, and links it to the run.

# %%
model_files = lab_utils.assert_model_in_bucket(lab, model_info.model_id)
for key in model_files:
    print(key)

# %% tags=["nbval-check-output"]
reloaded_by_id = mlflow.pyfunc.load_model(model_info.model_uri)
reloaded_by_run = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
same = np.allclose(reloaded_by_id.predict(X_test.head()), reloaded_by_run.predict(X_test.head()))
print("both URIs load the same model:", same)
print("inputs:", reloaded_by_id.metadata.get_input_schema().input_names())

# %% [markdown]
# ## Autologging against manual logging
#
# `mlflow.sklearn.autolog()` patches `fit` to log parameters (all of them, defaults
# included), training metrics and the model, with no logging code. It does not know
# about your test split: validation metrics are still yours to log.

# %%
mlflow.sklearn.autolog(log_input_examples=True, silent=True)
with mlflow.start_run(run_name="elasticnet_autolog") as auto_run:
    ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
mlflow.sklearn.autolog(disable=True)

auto = client.get_run(auto_run.info.run_id).data
manual = client.get_run(run.info.run_id).data
print(f"autolog: {len(auto.params)} params, metrics {sorted(auto.metrics)}")
print(f"manual:  {len(manual.params)} params, metrics {sorted(manual.metrics)}")

# %% [markdown]
# Autolog records more parameters but only *training* metrics; the manual run holds the
# validation metrics that matter. In practice, use both: autolog for completeness, manual
# calls for what only you know.
#
# ## Reading runs back
#
# `mlflow.search_runs` returns runs as a pandas DataFrame, with a filter language over
# params, metrics, tags and attributes.

# %%
runs = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string="tags.dataset = 'windsor_house_prices' and metrics.rmse > 0",
    order_by=["metrics.rmse ASC"],
)
runs[["run_id", "tags.mlflow.runName", "params.alpha", "metrics.rmse", "metrics.r2"]].head()

# %% [markdown]
# ## Logging efficiently
#
# Each `log_metric` call is an HTTP request. Logging a thousand points one by one pays a
# thousand round trips; `MlflowClient.log_batch` sends up to 1,000 metrics in one request,
# and asynchronous logging (`synchronous=False`) returns at once while a background thread
# sends the points. With `MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS` set, that thread also
# groups queued points into batches. Let's measure on this lab.

# %%
import os
import time

from mlflow.entities import Metric

os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"  # read when the async queue starts
values = np.random.default_rng(0).random(n_metric_points)
with mlflow.start_run(run_name="logging_speed") as speed_run:
    run_id = speed_run.info.run_id

    start = time.perf_counter()
    for step, value in enumerate(values):
        mlflow.log_metric("one_by_one", value, step=step)
    one_by_one = time.perf_counter() - start

    start = time.perf_counter()
    now = int(time.time() * 1000)
    batch = [Metric("batched", float(v), now, step) for step, v in enumerate(values)]
    for chunk in range(0, len(batch), 1000):  # the REST API takes up to 1000 metrics a call
        client.log_batch(run_id, metrics=batch[chunk:chunk + 1000])
    batched = time.perf_counter() - start

    start = time.perf_counter()
    for step, value in enumerate(values):
        mlflow.log_metric("async", value, step=step, synchronous=False)
    async_returned = time.perf_counter() - start
    mlflow.flush_async_logging()  # wait until the server has every point
    async_stored = time.perf_counter() - start

print(f"{n_metric_points} points: one call each {one_by_one:.2f} s · log_batch {batched:.2f} s · "
      f"async {async_returned:.2f} s to return, {async_stored:.2f} s until stored")
print(f"log_batch is {one_by_one / batched:.0f}x faster than one call per point, "
      f"buffered async {one_by_one / async_stored:.0f}x")

# %% [markdown]
# ### Checkpoint
# All three ways stored every point.

# %%
for key in ("one_by_one", "batched", "async"):
    stored = len(client.get_metric_history(run_id, key))
    assert stored == n_metric_points, f"{key}: {stored} of {n_metric_points} points on the server"
print(f"✓ {n_metric_points} points stored for each of the three ways")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Train `ElasticNet(alpha=1.0, l1_ratio=0.5)` on `X_train`, and log a run named
# `exercise_1` in `meu_experimento` with both parameters and its **validation** `rmse` on
# `X_test`. Put the run id in `exercise_1_run_id`.

# %% tags=["exercise"]
exercise_1_run_id = ...  # your code here

# %% tags=["solution"]
with mlflow.start_run(run_name="exercise_1") as ex1:
    mlflow.log_params({"alpha": 1.0, "l1_ratio": 0.5})
    ex1_model = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train)
    mlflow.log_metric("rmse", float(np.sqrt(mean_squared_error(y_test, ex1_model.predict(X_test)))))
exercise_1_run_id = ex1.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_1_run_id, "Exercise 1"):
    expected = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train).predict(X_test)
    lab_utils.assert_run_logged(
        exercise_1_run_id, params={"alpha": 1.0, "l1_ratio": 0.5},
        metrics={"rmse": float(np.sqrt(mean_squared_error(y_test, expected)))}, tolerance=1e-3)

# %% [markdown]
# ### Exercise 2
# With `mlflow.search_runs`, find the run of `meu_experimento` with the **lowest** `rmse`
# among runs tagged `dataset = windsor_house_prices`, and put its run id in `best_run_id`.

# %% tags=["exercise"]
best_run_id = ...  # your code here

# %% tags=["solution"]
best_run_id = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string="tags.dataset = 'windsor_house_prices'",
    order_by=["metrics.rmse ASC"], max_results=1,
).loc[0, "run_id"]

# %% tags=["check-exercise"]
if lab_utils.attempted(best_run_id, "Exercise 2"):
    tagged = [r for r in client.search_runs([experiment.experiment_id], "tags.dataset = 'windsor_house_prices'")
              if "rmse" in r.data.metrics]
    assert best_run_id == min(tagged, key=lambda r: r.data.metrics["rmse"]).info.run_id, \
        "that is not the run with the lowest rmse"
    print("✓ Exercise 2")

# %% [markdown]
# ### Exercise 3
# Log a run named `exercise_3` with a figure `plots/price_histogram.png` showing the
# histogram of `houses["price"]`. Put its run id in `exercise_3_run_id`.

# %% tags=["exercise"]
exercise_3_run_id = ...  # your code here

# %% tags=["solution"]
with mlflow.start_run(run_name="exercise_3") as ex3:
    figure, ax = plt.subplots()
    ax.hist(houses["price"], bins=30)
    ax.set(xlabel="price (CAD)", ylabel="houses")
    mlflow.log_figure(figure, "plots/price_histogram.png")
    plt.close(figure)
exercise_3_run_id = ex3.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_3_run_id, "Exercise 3"):
    checked = lab_utils.assert_run_logged(exercise_3_run_id, artifacts=["plots/price_histogram.png"])
    lab_utils.assert_in_bucket(lab, checked, "plots/price_histogram.png")

# %% [markdown]
# ## Summary
#
# - A run records parameters, metrics (with steps), tags and artifacts; name and describe it.
# - Log validation metrics, not just training ones; log models with `name=`, a signature
#   and an input example.
# - Autolog is thorough but blind to your validation data; combine it with manual calls.
# - Read back with `MlflowClient` and `mlflow.search_runs`; checkpoints trust the server.
# - Batch or asynchronous logging avoids one network round trip per point.
#
# Next: **02 · Hyperparameter search**, the lab page's GridSearchCV example and nested runs.
