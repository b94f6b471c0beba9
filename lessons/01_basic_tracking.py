# %% [markdown]
# # 01 · Basic tracking
#
# Every experiment you run leaves questions behind: which parameters gave that score? which
# data? where is the model file? MLflow Tracking answers them by recording each *run*:
# its parameters, metrics, tags and artifacts, on a server you can query later. This
# lesson starts from the DataFlow Lab page's basic example (lesson 00 says what that page
# is), runs it as written, and then takes it apart one call at a time on real data: house
# prices in Windsor, Canada.
#
# **You will learn** to create experiments and runs; log parameters, metrics (with steps),
# tags, figures, dictionaries, text and files; record the data sets a run used; log a
# scikit-learn model with a signature and an input example, and find it as a *logged model*
# with its own metrics; compare autologging with manual logging, and say what autolog
# cannot know; and read runs back with `MlflowClient` and `mlflow.search_runs`.
# *Optional, at the end:* log many metrics without waiting on the network, record a run's
# CPU and memory use, and keep a training loop's checkpoints as logged models.
#
# **Time:** 40 minutes for the core path (up to and including the exercises); the optional
# final part, *Logging at scale*, takes 10 more. **Prerequisites:** 00 · Welcome.
#
# **On the map** (lesson 00): experiments, runs and logged models, through the tracking server to both stores.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
n_metric_points = 300  # points logged by the logging-speed comparison
epochs = 30  # training-curve length

# %% [markdown]
# ## The data
#
# 546 houses sold in 1987, with their price (CAD) and 11 features (`data/README.md` has
# the source and units). `split_house_prices` splits them the same way in every lesson:
# 75% to train on, 25% *test* houses to measure the model on.

# %% tags=["nbval-check-output"]
houses = lab_utils.load_house_prices()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices(houses)
print(houses.shape, X_train.shape, X_test.shape)
print(list(houses.columns))

# %% [markdown]
# ## The DataFlow Lab page's example, as written
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
# `name=` (the positional `"modelo"` is deprecated). It is also slow (half a minute on a
# busy machine): `log_model` starts a second Python process that loads the model to find
# which packages it imports, and records them as the model's requirements.
# (On a first run, the INFO line above it is the one lesson 00 explained: MLflow creates
# the experiment `meu_experimento`.) Two more things are off: the metrics
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

print(f"rmse {lab_utils.format_number(rmse)} CAD")
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
# training and the validation error are logged at every epoch: the error on houses the
# model never trained on, not the training error, tells you whether it generalises.
#
# A curve like this is read to *decide* (when to stop training), so it is drawn on
# **validation** houses, taken out of the training set by `split_train_validation_test`,
# and not on the test houses: those stay untouched by any decision, so that their score
# stays an honest estimate. (Its test set is exactly the one of `split_house_prices`.) The
# lesson's optional part takes this loop further: checkpoints, and stopping early.

# %%
import matplotlib.pyplot as plt
from sklearn.linear_model import SGDRegressor
from sklearn.preprocessing import StandardScaler

split = lab_utils.split_train_validation_test(houses)  # train / validation / test
scaler = StandardScaler().fit(split.X_train)
X_fit_scaled, X_val_scaled = scaler.transform(split.X_train), scaler.transform(split.X_validation)
sgd = SGDRegressor(learning_rate="constant", eta0=0.001, random_state=lab_utils.SEED)

with mlflow.start_run(run_name="sgd_training_curve") as curve_run:
    mlflow.log_params({"eta0": 0.001, "epochs": epochs, "scaler": "standard"})
    history = []
    for epoch in range(epochs):
        sgd.partial_fit(X_fit_scaled, split.y_train)
        train_rmse = float(np.sqrt(mean_squared_error(split.y_train, sgd.predict(X_fit_scaled))))
        val_rmse = float(np.sqrt(mean_squared_error(split.y_validation, sgd.predict(X_val_scaled))))
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
# ## Data sets: what a run trained and was scored on
#
# A run's parameters say *how* a model was trained, not *on what*. `mlflow.data.from_pandas`
# describes a DataFrame as a data set: a name, a **digest** (a fingerprint of its content:
# change one price and it changes), its schema and a profile (the number of rows).
# `mlflow.log_input` records it on the run, with a *context* saying what it was used for.
# The rows themselves are not uploaded: the run holds the description.
#
# Inferring the schema, MLflow warns that it holds integer columns (our features are
# counts, stored as integers): an integer column cannot hold a missing value, so a model
# whose signature says "integer" refuses a row with one. The house data has none; lesson 05
# shows what this means at prediction time. (`lab_utils.connect()` has warnings print
# without the path of the library file that raised them.)

# %%
train_data = mlflow.data.from_pandas(X_train.assign(price=y_train), targets="price", name="windsor_train")
test_data = mlflow.data.from_pandas(X_test.assign(price=y_test), targets="price", name="windsor_test")

with mlflow.start_run(run_id=run.info.run_id):
    mlflow.log_input(train_data, context="training")
    mlflow.log_input(test_data, context="testing")

# %% [markdown]
# ### Checkpoint
# The server lists both data sets among the run's inputs, with their context. The digests
# are the same on every machine that loads the same houses: comparing them is how you
# tell that two runs used the same data. (The UI's runs table shows them in its
# **Dataset** column.)

# %% tags=["nbval-check-output"]
inputs = client.get_run(run.info.run_id).inputs.dataset_inputs
for item in sorted(inputs, key=lambda i: i.dataset.name):
    context = {tag.key: tag.value for tag in item.tags}["mlflow.data.context"]
    print(f"{item.dataset.name:<14} {context:<9} digest {item.dataset.digest}  {item.dataset.profile}")
assert {i.dataset.name for i in inputs} == {"windsor_train", "windsor_test"}, "a data set is missing"

# %% [markdown]
# ## Logging a model properly
#
# A model artifact is more useful with a **signature** and an **input example** (a few
# real rows, stored beside the model). `infer_signature` reads both off real data.
#
# > **Signature** — the names and types of the columns a model takes and returns. MLflow
# > checks a request against it before the model sees it.
#
# In MLflow 3, `log_model(name=...)` creates a **logged model**: an entity of its own,
# with an id (`m-…`), its own URI `models:/m-…`, and a link to the run that logged it (the
# run-relative URI `runs:/<run id>/<name>` still works). Metrics can be linked to it:
# `log_model` links the metrics the run already holds, and
# `log_metrics(..., model_id=..., dataset=...)` says "this model scored this, on that data".

# %%
import warnings

from mlflow.models import infer_signature

with warnings.catch_warnings():  # the integer-columns hint again, explained above
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
    signature = infer_signature(X_train, model.predict(X_train))
    with mlflow.start_run(run_id=run.info.run_id):
        model_info = mlflow.sklearn.log_model(
            model, name="model", signature=signature, input_example=X_train.head(3)
        )
        # The same test scores as above, now linked to the model and to the test data set.
        mlflow.log_metrics({"rmse": rmse, "r2": r2_score(y_test, predictions)},
                           model_id=model_info.model_id, dataset=test_data)

print("logged model:", model_info.model_uri)
print("run-relative:", f"runs:/{run.info.run_id}/model")
print(signature)

# %% [markdown]
# `log_model` took a while again, finding the model's requirements (lesson 05 shows how to
# give them yourself). Linking a metric to a model logs it again on the run:
# the run's `rmse` history now holds the same value more than once at step 0.
#
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
# ### Checkpoint: the logged model and its metrics
#
# `mlflow.search_logged_models` searches models the way `search_runs` searches runs, with
# filters on their metrics, and `datasets=` to count only metrics measured on a given data
# set. Give the data set's name *and* digest: through a tracking server, MLflow 3.17
# matches a name given without its digest to nothing. In the UI, open the experiment and
# choose **Models** (under **Runs** in the menu on the left): the same list, each logged
# model with its source run and its linked metrics.

# %% tags=["nbval-check-output"]
found = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id], filter_string="metrics.rmse < 20000",
    datasets=[{"dataset_name": test_data.name, "dataset_digest": test_data.digest}], output_format="list")
logged_model = next((m for m in found if m.model_id == model_info.model_id), None)
assert logged_model is not None, "the logged model is not found with its rmse on windsor_test"
assert logged_model.source_run_id == run.info.run_id, "the logged model is not linked to its run"
print("logged model:", logged_model.name, "· logged by run elasticnet_measured")
for metric in sorted(logged_model.metrics, key=lambda m: m.key):
    if metric.dataset_name == test_data.name:
        print(f"  {metric.key:<5} {lab_utils.format_number(metric.value, 2):>10}  on {metric.dataset_name}")

# %% [markdown]
# ## Autologging against manual logging
#
# `mlflow.sklearn.autolog()` patches scikit-learn so that `fit` logs the parameters (all of
# them, defaults included), *training* metrics (`training_*`, computed on the data given to
# `fit`), the training data set (context `train`) and the model. While it is on, it also
# captures metrics computed *after* `fit` on that model's predictions: `model.score(...)`,
# or a `sklearn.metrics` function called through the module. It names them
# `<metric>_<variable>` after the variable you passed to `predict`, logs that data set too
# (context `eval`), and links these metrics to the model it logged.
#
# Two details from its documentation: a metric function imported by name *before*
# `autolog()` (like `mean_squared_error` at the top of this lesson) is not patched, hence
# `sklearn.metrics.mean_squared_error` below; and a metric computed on a copy or a slice
# of the predictions is not seen.

# %%
import sklearn.metrics

mlflow.sklearn.autolog(log_input_examples=True, silent=True)
with mlflow.start_run(run_name="elasticnet_autolog") as auto_run:
    auto_model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
    auto_predictions = auto_model.predict(X_test)                 # X_test is logged as "eval" data
    sklearn.metrics.mean_squared_error(y_test, auto_predictions)  # -> mean_squared_error_X_test
    auto_model.score(X_test, y_test)                              # -> ElasticNet_score_X_test (R²)
mlflow.sklearn.autolog(disable=True)

auto = client.get_run(auto_run.info.run_id)
manual = client.get_run(run.info.run_id)
print(f"autolog: {len(auto.data.params)} params, metrics {sorted(auto.data.metrics)}")
print("         data sets:", sorted({t.value for d in auto.inputs.dataset_inputs for t in d.tags
                                    if t.key == "mlflow.data.context"}))
print(f"manual:  {len(manual.data.params)} params, metrics {sorted(manual.data.metrics)}")

# %% [markdown]
# ### Checkpoint
# The post-training metrics are on the server, and linked to the model autolog logged.

# %% tags=["nbval-check-output"]
assert {"mean_squared_error_X_test", "ElasticNet_score_X_test"} <= set(auto.data.metrics), \
    f"no post-training metrics among {sorted(auto.data.metrics)}"
auto_model_id = auto.outputs.model_outputs[0].model_id
linked = {m.key for m in mlflow.get_logged_model(auto_model_id).metrics}
print("linked to the autologged model:", sorted(linked & {"mean_squared_error_X_test", "ElasticNet_score_X_test"}))

# %% [markdown]
# What autolog **cannot know**:
#
# - *Which data is held out.* It hears of a data set only when you call `predict` or `score`
#   on its model while it is on; it names the metric after your variable (`X_test`) and
#   tags every such data set `eval`, whether it holds validation or test houses.
# - *Metrics it did not see computed*: the RMSE we take with `np.sqrt` of an MSE, functions
#   imported before `autolog()`, metrics on copies or slices, metrics of other libraries.
# - *Meaning*: which metric decides, and why a split exists.
#
# So use both: autolog for completeness, and explicit, well-named calls for what only you
# know (`rmse` on the test houses, `val_rmse` on the validation houses).
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
# ## Exercises
#
# ### Exercise 1
# Train `ElasticNet(alpha=1.0, l1_ratio=0.5)` on `X_train`, and log a run named
# `exercise_1` in `meu_experimento` with both parameters and its `rmse` on the test houses
# (`X_test`, `y_test`). Put the run id in `exercise_1_run_id`.

# %% tags=["exercise"]
exercise_1_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Inside `mlflow.start_run(run_name="exercise_1")`: `mlflow.log_params(...)`, fit the model,
# then `mlflow.log_metric("rmse", ...)` with `np.sqrt(mean_squared_error(y_test, ...))`.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="exercise_1") as ex1:
    mlflow.log_params({"alpha": 1.0, "l1_ratio": 0.5})
    ex1_model = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train)
    mlflow.log_metric("rmse", float(np.sqrt(mean_squared_error(y_test, ex1_model.predict(X_test)))))
exercise_1_run_id = ex1.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_1_run_id, "Exercise 1"):
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_1(exercise_1_run_id, X_train, y_train, X_test, y_test)

# %% [markdown]
# ### Exercise 2
# To *choose* a model, compare the candidates on the validation houses; the test houses
# stay out of every choice. The cell below logs three candidates to `meu_experimento`:
# `ElasticNet` with `alpha` 0.01, 0.2 and 2.0 (`l1_ratio=0.5`), trained on `split.X_train`,
# each tagged `exercise = choose_on_validation`, with its RMSE on the validation houses
# (`val_rmse`) and, as a report would show it, on the test houses (`test_rmse`). With
# `mlflow.search_runs`, find the candidate to keep: the run tagged
# `exercise = choose_on_validation` with the **lowest** `val_rmse`. Put its run id in
# `best_run_id`. (Each pass through the lesson logs the candidates again; a run that shares
# the lowest value is as good an answer as another. Every candidate carries `test_rmse` here
# only so that a choice made on it shows; a project logs the test score once, for the model it
# keeps, as lesson 08 explains.)

# %%
# The candidates to choose from: trained on the training houses, scored on the other two sets.
for alpha in [0.01, 0.2, 2.0]:
    candidate = ElasticNet(alpha=alpha, l1_ratio=0.5).fit(split.X_train, split.y_train)
    with mlflow.start_run(run_name=f"choice_alpha_{alpha}"):
        mlflow.log_params({"alpha": alpha, "l1_ratio": 0.5})
        mlflow.log_metrics({
            "val_rmse": float(np.sqrt(mean_squared_error(split.y_validation, candidate.predict(split.X_validation)))),
            "test_rmse": float(np.sqrt(mean_squared_error(split.y_test, candidate.predict(split.X_test)))),
        })
        mlflow.set_tag("exercise", "choose_on_validation")

# %% tags=["exercise"]
best_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `mlflow.search_runs(experiment_names=["meu_experimento"],
# filter_string="tags.exercise = 'choose_on_validation'", order_by=["metrics.val_rmse ASC"],
# max_results=1)` returns a DataFrame with a `run_id` column.
#
# </details>

# %% tags=["solution"]
best_run_id = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string="tags.exercise = 'choose_on_validation'",
    order_by=["metrics.val_rmse ASC"], max_results=1,
).loc[0, "run_id"]

# %% tags=["check-exercise"]
if lab_utils.attempted(best_run_id, "Exercise 2"):
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_2(best_run_id, split)

# %% [markdown]
# ### Exercise 3
# Log a run named `exercise_3` with a figure `plots/price_histogram.png` showing the
# histogram of `houses["price"]` (a matplotlib figure, not a file you name `.png`). Put its
# run id in `exercise_3_run_id` and the figure in `figure`: the check reads from the figure
# what the chart shows, and compares it with the image on the server.

# %% tags=["exercise"]
figure = ...  # your code here
exercise_3_run_id = ...

# %% [markdown]
# <details><summary>Hint</summary>
#
# Draw it with `figure, ax = plt.subplots()` and `ax.hist(...)`, then log it with
# `mlflow.log_figure(figure, "plots/price_histogram.png")` inside the run.
#
# </details>

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
    from lab_utils.grading import lesson_01
    lesson_01.check_exercise_3(exercise_3_run_id, figure)

# %% [markdown]
# ## Optional part · Logging at scale
#
# The core of the lesson ends with the exercises above. What follows is optional (about 10
# minutes), and no later lesson depends on it: what changes when a run logs a lot — many
# points (batches and asynchronous logging), the machine's load (system metrics), and a
# training loop that keeps checkpoints and stops early.
#
# ## Logging efficiently (optional)
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

os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = "1"  # the logging thread re-reads it before each batch
if lab.workshop and n_metric_points > 30:
    # A room's learners share one server: each sends a tenth of the points.
    room_points, n_metric_points = n_metric_points, 30
    print(f"In a workshop: {n_metric_points} points each, not {room_points}: the room shares one server, and the comparison shows the same")
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

print(f"{n_metric_points} points: one call each {lab_utils.format_number(one_by_one, 2)} s · log_batch {lab_utils.format_number(batched, 2)} s · "
      f"async {lab_utils.format_number(async_returned, 2)} s to return, {lab_utils.format_number(async_stored, 2)} s until stored")
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
# ## System metrics: what the run cost the machine (optional)
#
# `mlflow.start_run(log_system_metrics=True)` starts a background monitor that samples the
# machine's CPU, memory, disk and network use (and GPUs, when there are any) and logs them
# as metrics named `system/…`. By default it samples every 10 seconds; for this short demo
# we sample every second. MLflow notes on stderr when the monitor starts and stops, and
# that this machine has no GPU to measure. The run below trains the same model over and
# over for three seconds.

# %%
mlflow.set_system_metrics_sampling_interval(1)  # seconds between samples (default 10)
mlflow.set_system_metrics_samples_before_logging(1)  # log each sample as it is taken
with mlflow.start_run(run_name="system_metrics_demo", log_system_metrics=True) as system_run:
    start = time.perf_counter()
    fits = 0
    while time.perf_counter() - start < 3:
        ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
        fits += 1
    mlflow.log_metric("fits", fits)

# %% [markdown]
# ### Checkpoint
# The server holds a `system/…` curve, one point per sample. In the UI, the run's
# **System metrics** tab draws them.

# %%
system = sorted(k for k in client.get_run(system_run.info.run_id).data.metrics if k.startswith("system/"))
cpu = client.get_metric_history(system_run.info.run_id, "system/cpu_utilization_percentage")
assert cpu, f"no CPU samples on the server; system metrics logged: {system}"
print(f"{len(system)} system metrics, e.g. {system[:3]}")
print(f"CPU use: {len(cpu)} samples, last {cpu[-1].value:.0f}%")

# %% [markdown]
# ## A training loop's checkpoints (optional)
#
# The SGD curve of "Metrics over time" trained for a fixed number of epochs, and its
# validation error stopped improving long before the end. A real training loop keeps
# **checkpoints** (the model as it was every few epochs), stops when validation has not
# improved for a while (**early stopping**, after a *patience*), and keeps the best
# checkpoint, not the last one. MLflow 3 has a piece for each:
#
# - `mlflow.sklearn.log_model(..., name="checkpoint", step=epoch)` logs a checkpoint as a
#   logged model of its own (`m-…`), an output of the run at that step;
# - `mlflow.log_metric("val_rmse", ..., step=epoch, model_id=..., dataset=...)` links the
#   validation score to that checkpoint, measured on the validation data set;
# - `mlflow.search_logged_models(..., order_by=[{"field_name": "metrics.val_rmse", ...}])`
#   finds the run's best checkpoint, and its `models:/m-…` URI loads it.
#
# A checkpoint here is the scaler and a copy of the model at that epoch (a `Pipeline`), so
# it takes the houses' own columns. Its requirements are given (`pip_requirements`) so that
# `log_model` does not spend seconds finding them at every checkpoint. `log_model(step=...)`
# also links to the new model the metrics the run already holds at that step: logging
# `val_rmse` *after* the checkpoint links it once, with its data set.

# %%
import copy

import sklearn
from sklearn.pipeline import make_pipeline

max_epochs, checkpoint_every, patience = 100, 5, 2  # patience: checkpoints without improvement
with warnings.catch_warnings():  # the integer-columns hint again, explained above
    warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
    validation_data = mlflow.data.from_pandas(split.X_validation.assign(price=split.y_validation),
                                              targets="price", name="windsor_validation")
    validation_data.schema  # infer the (lazy) schema now, while the hint is silenced
requirements = [f"scikit-learn=={sklearn.__version__}"]
sgd = SGDRegressor(learning_rate="constant", eta0=0.001, random_state=lab_utils.SEED)

with mlflow.start_run(run_name="sgd_checkpoints") as checkpoint_run:
    mlflow.log_params({"eta0": 0.001, "max_epochs": max_epochs, "checkpoint_every": checkpoint_every,
                       "patience": patience})
    best_rmse, waited, saved = float("inf"), 0, []  # saved: (epoch, val_rmse) of each checkpoint
    for epoch in range(max_epochs):
        sgd.partial_fit(X_fit_scaled, split.y_train)
        val_rmse = float(np.sqrt(mean_squared_error(split.y_validation, sgd.predict(X_val_scaled))))
        checkpoint_id = None
        if (epoch + 1) % checkpoint_every == 0:
            checkpoint = mlflow.sklearn.log_model(make_pipeline(scaler, copy.deepcopy(sgd)), name="checkpoint",
                                                  step=epoch, signature=signature, pip_requirements=requirements)
            checkpoint_id = checkpoint.model_id
            saved.append((epoch, val_rmse))
        # On the run at every epoch, and linked to the checkpoint when one was just saved.
        mlflow.log_metric("val_rmse", val_rmse, step=epoch, model_id=checkpoint_id, dataset=validation_data)
        if checkpoint_id is None:
            continue
        if val_rmse < best_rmse:
            best_rmse, waited = val_rmse, 0
        else:
            waited += 1
            if waited == patience:  # no better checkpoint for `patience` checkpoints in a row
                break
    mlflow.log_metric("stopped_epoch", epoch)

print(f"stopped at epoch {epoch} of {max_epochs}; checkpoints at epochs {[e for e, _ in saved]}")

# %% [markdown]
# The last checkpoint is not the best one: choose on the server, by the metric linked to
# each checkpoint. `order_by` names the data set (name *and* digest, as with `datasets=`
# above) so that only scores on the validation houses count.

# %%
[best_checkpoint] = mlflow.search_logged_models(
    experiment_ids=[experiment.experiment_id],
    filter_string=f"source_run_id = '{checkpoint_run.info.run_id}'",
    order_by=[{"field_name": "metrics.val_rmse", "ascending": True,
               "dataset_name": validation_data.name, "dataset_digest": validation_data.digest}],
    max_results=1, output_format="list")
best_score = next(m for m in best_checkpoint.metrics if m.key == "val_rmse")
restored = mlflow.sklearn.load_model(best_checkpoint.model_uri)
restored_rmse = float(np.sqrt(mean_squared_error(split.y_validation, restored.predict(split.X_validation))))
print(f"best checkpoint: epoch {best_score.step}, val_rmse {lab_utils.format_number(best_score.value)} CAD on {best_score.dataset_name}")
print(f"loaded from {best_checkpoint.model_uri[:12]}…, it scores {lab_utils.format_number(restored_rmse)} CAD again")

# %% [markdown]
# ### Checkpoint
# The server holds one logged model per checkpoint, each an output of the run at its epoch,
# and the one chosen is the epoch with the lowest validation error; training stopped
# before `max_epochs`.

# %%
on_server = mlflow.search_logged_models(experiment_ids=[experiment.experiment_id], output_format="list",
                                        filter_string=f"source_run_id = '{checkpoint_run.info.run_id}'")
steps = sorted(o.step for o in client.get_run(checkpoint_run.info.run_id).outputs.model_outputs)
assert len(on_server) == len(saved), f"{len(on_server)} checkpoints on the server, {len(saved)} saved"
assert steps == [e for e, _ in saved], f"the run's model outputs are at steps {steps}"
best_epoch, best_value = min(saved, key=lambda s: s[1])
assert best_score.step == best_epoch and np.isclose(best_score.value, best_value), \
    f"the chosen checkpoint is epoch {best_score.step}, the best is epoch {best_epoch}"
assert np.isclose(restored_rmse, best_value), "the loaded checkpoint does not score what was logged"
assert epoch < max_epochs - 1, "training did not stop early"
print(f"✓ {len(on_server)} checkpoints, the best at epoch {best_epoch} ({lab_utils.format_number(best_value)} CAD), "
      f"stopped at epoch {epoch}")

# %% [markdown]
# **The same pieces in PyTorch and Keras.** `mlflow.pytorch.autolog()` (PyTorch Lightning)
# logs each epoch's metrics linked to one logged model, the final one. Its checkpoints
# (`checkpoint=True` by default, with `checkpoint_monitor="val_loss"`, `checkpoint_mode="min"`,
# `checkpoint_save_best_only=True`, `checkpoint_save_freq="epoch"`) are *files of the run*,
# not logged models: by default one `checkpoints/latest_checkpoint.pth` (with
# `latest_checkpoint_metrics.json`), overwritten whenever the monitored metric improves, which
# `mlflow.pytorch.load_checkpoint(ModelClass, run_id)` loads. With
# `checkpoint_save_best_only=False` every epoch keeps its own `checkpoints/epoch_<n>/`, and
# `load_checkpoint(ModelClass, run_id, epoch=n)` loads that one. With Lightning's
# `EarlyStopping` callback, autolog logs its `monitor`, `patience` and `min_delta` as
# parameters and `stopped_epoch` as a metric. `mlflow.tensorflow.autolog()` (tf.keras) has
# the same `checkpoint_*` parameters and `mlflow.tensorflow.load_checkpoint`;
# `mlflow.keras.autolog()` (Keras 3) has none, so there a loop like the one above, or a Keras
# callback that calls `log_model(..., step=epoch)`, keeps them. Real loops also ask for a
# minimum improvement (`min_delta`) before they reset the patience.

# %% [markdown]
# ## Summary
#
# - A run records parameters, metrics (with steps), tags and artifacts; name and describe it.
# - Log metrics on held-out data, not just training ones: validation houses for what you
#   decide on, test houses for the final score.
# - `mlflow.data.from_pandas` + `mlflow.log_input` record which data a run used (name,
#   digest, context).
# - `log_model(name=...)` creates a logged model (`models:/m-…`) with a signature and an
#   input example; `log_metrics(..., model_id=..., dataset=...)` links metrics to it, and
#   `mlflow.search_logged_models` (or the experiment's Models page) finds it.
# - Autolog logs parameters, training metrics, data sets, and `sklearn.metrics` computed on
#   its model while it is on; it cannot tell which data is held out, so name the metrics
#   you decide on yourself.
# - Read back with `MlflowClient` and `mlflow.search_runs`; checkpoints trust the server.
# - *Optional part:* batch or asynchronous logging avoids one network round trip per point;
#   `log_system_metrics=True` records CPU, memory, disk and network use as `system/…`
#   metrics; `log_model(..., step=epoch)` keeps a training loop's checkpoints as logged
#   models, `log_metric(..., model_id=...)` scores each, and `search_logged_models` picks
#   the best one after an early stop.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Dataset tracking](https://mlflow.org/docs/latest/ml/dataset)
# - [Searching logged models](https://mlflow.org/docs/latest/ml/search/search-models)
# - [`mlflow.sklearn.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.sklearn.html#mlflow.sklearn.autolog):
#   post-training metrics and their limits
# - [`mlflow.system_metrics`](https://mlflow.org/docs/latest/python_api/mlflow.system_metrics.html)
# - [`mlflow.pytorch.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.pytorch.html#mlflow.pytorch.autolog):
#   its `checkpoint_*` parameters and `load_checkpoint`
#
# ## Check your understanding
#
# 1. The DataFlow Lab page's example logs `rmse = 0.876`. What is wrong with that number, and what
#    did the measured run do instead?
# 2. Why is the SGD training curve drawn on validation houses and not on the test houses?
# 3. Autolog logged `mean_squared_error_X_test`. What does it know about `X_test`, and
#    what does it not know?
# 4. Two runs used a data set named `windsor_train`. How do you tell whether it held the
#    same rows in both?
# 5. Where are a logged model's files, and how do you find the model that scored best on
#    `windsor_test` without knowing its run?
# 6. (Optional part.) Training stopped at a later epoch than the checkpoint it kept. Why
#    keep the best checkpoint rather than the last, and why must its score be a validation
#    score?

# %% [markdown] tags=["solution"]
# 1. It is typed in by hand, not measured (and an RMSE of 0.876 CAD on house prices is
#    impossible). The measured run computed RMSE and R² from the model's predictions on the
#    test houses.
# 2. We read the curve to decide when to stop training. A score used to decide is
#    optimistic; the test houses must stay out of every decision to give an honest final score.
# 3. It knows we called `predict`/`score` on its model with a variable named `X_test`, and
#    logs that data set as `eval`. It does not know whether those rows are validation or
#    test data, nor which metric matters for the decision.
# 4. Compare the data sets' digests (`run.inputs.dataset_inputs[...].dataset.digest`): the
#    digest is a fingerprint of the content, the name is only a label.
# 5. In the bucket under `<experiment id>/models/<model id>/artifacts/`, linked to the run.
#    `mlflow.search_logged_models(..., filter_string="metrics.rmse > 0", datasets=[{"dataset_name":
#    "windsor_test", "dataset_digest": ...}], order_by=[{"field_name": "metrics.rmse",
#    "ascending": True}])`, or the experiment's **Models** page in the UI.
# 6. Early stopping waits `patience` checkpoints without improvement before it stops, so
#    the last checkpoints are by definition no better than the best one. The choice among
#    checkpoints is a decision: made on test houses, it would spend them, and their score
#    would no longer be an honest estimate.

# %% [markdown]
# Next: **02 · Hyperparameter search**, the DataFlow Lab page's GridSearchCV example and nested runs.
