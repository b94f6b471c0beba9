# %% [markdown]
# # 05 · MLflow Models, part 1: what a model is made of
#
# An MLflow Model is a folder with a description file (`MLmodel`) that says how to load
# it in several flavors, what input it expects (its signature), an example of that
# input, and the packages it needs. That contract is what lets the same model be loaded
# in a notebook, scored in batch, served over REST or packed into a container image
# without code changes. This part opens a model in the bucket, breaks its signature on
# purpose, wraps preprocessing around the champion of lesson 04 as a model written in
# code, evaluates the champion and scores a file in batch. Part 2 serves these models
# over HTTP and writes a container image's Dockerfile.
#
# **You will learn** the files of a logged model; flavors; signature enforcement;
# logged models and `mlflow.search_logged_models`; custom `pyfunc` models written as
# code (models from code) with pinned requirements; `mlflow.models.evaluate`; batch
# scoring a file.
#
# **Time:** 35 minutes (about 22 to read, 2 to run the cells, 10 for the exercise).
# **Prerequisites:** 04 · The Model Registry (it creates `previsao_precos@champion`).
#
# **On the map** (lesson 00): a logged model's files in the bucket, and what loads them.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
model_name = "previsao_precos"
explainability_rows = 100  # test rows whose predictions SHAP explains

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient

client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")

# Errors in this lesson are shown short: the exception and its message, without the
# library's stack of calls (`%xmode Context` brings the full traceback back).
# %xmode Minimal

# %% [markdown]
# ## Anatomy of a logged model
#
# The champion version points at a **logged model**: since MLflow 3, `log_model(name=...)`
# creates a model entity of its own (an id `m-…`, its files, its metrics, the run it came
# from), listed in the experiment's **Models** tab. Let's list its files in the bucket
# with boto3 and read its `MLmodel` file, exactly as the server stored them.

# %%
import yaml

# The version's source is `models:/m-…`: the id of the logged model it was registered from.
logged_model = client.get_logged_model(champion.model_id or champion.source.removeprefix("models:/"))
prefix = lab_utils.bucket_prefix(lab, logged_model.artifact_location)
s3 = lab_utils.s3_client(lab)
files = sorted(item["Key"].removeprefix(prefix)
               for item in s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"])
mlmodel = yaml.safe_load(s3.get_object(Bucket=lab.bucket, Key=prefix + "MLmodel")["Body"].read())
print(f"s3://{lab.bucket}/{prefix}")
for name in files:
    print("  ", name)

# %% [markdown]
# > **skops** — a file format for scikit-learn models (`model.skops` above). Unlike
# > Python's pickle, it records the type of every object it stores and refuses, when
# > loading, types that are not on a trusted list. Outside Databricks, MLflow 3 saves
# > scikit-learn models with skops by default. It is safer than pickle, not a sandbox:
# > load models only from sources you trust.

# %% tags=["nbval-check-output"]
print("flavors:", sorted(mlmodel["flavors"]))
print("loader of the python_function flavor:", mlmodel["flavors"]["python_function"]["loader_module"])
print("serialization of the sklearn flavor:", mlmodel["flavors"]["sklearn"]["serialization_format"])
print("signature inputs:", [column["name"] for column in yaml.safe_load(mlmodel["signature"]["inputs"])])
print("requirements:", [line.split("==")[0] for line in
                        s3.get_object(Bucket=lab.bucket, Key=prefix + "requirements.txt")["Body"]
                        .read().decode().split()])

# %% [markdown]
# > **Flavor** — one way to load a saved model. `sklearn` gives back the original
# > scikit-learn estimator (`mlflow.sklearn.load_model`); `python_function` (`pyfunc`)
# > gives a generic object with a `predict` method that every MLflow tool (serving,
# > batch scoring, `evaluate`) understands, whatever library trained the model.
#
# > **Signature** — the model's declared input and output: column names and types. A
# > `pyfunc` model checks every input against it before predicting.
#
# Besides `MLmodel` (flavors, signature), the folder holds **input_example.json** and
# **serving_input_example.json** (real rows, and the same rows as a REST request body),
# and **requirements.txt**, **conda.yaml**, **python_env.yaml** (what to install to load it).
#
# Lesson 04 did not list the requirements: MLflow *inferred* them. It loads the model in a
# new Python process, records every module imported while loading it and predicting on the
# input example, and names the installed packages that provide them. That is a heuristic,
# and the list above shows its edges: `pytest` and `rich` are there because skops, to build
# its list of trusted types, asks scikit-learn for all its estimators, which imports
# scikit-learn's test helpers (they use `pytest`), and scikit-learn imports its progress-bar
# callback (it uses `rich`) — each only when that package is installed, as in the lab's environment
# (`pytest` runs the lab's tests, `rich` comes with Prefect). `psutil` comes from MLflow's
# own tracing. None of the three is needed to predict; in another environment the list
# differs. When the list matters — a serving image, a colleague's machine — state it with
# `pip_requirements`, as the custom model below does.
#
# ### Checkpoint
# The logged model is a server-side entity: `mlflow.search_logged_models` finds it by the
# run it came from, with its name and status.

# %%
found = mlflow.search_logged_models(experiment_ids=[logged_model.experiment_id],
                                    filter_string=f"source_run_id = '{logged_model.source_run_id}'",
                                    output_format="list")
assert logged_model.model_id in {m.model_id for m in found}, "the champion's logged model is not found"
print(f"✓ the champion is logged model {logged_model.name!r} ({logged_model.status}) "
      f"of run {logged_model.source_run_id[:8]}…")

# %% [markdown]
# ## Signature enforcement
#
# A missing column is refused with a message that names it (this cell is expected to fail):

# %%
model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
print(model.metadata.get_input_schema())

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.drop(columns=["lotsize"]).head(2))

# %% [markdown]
# A value that cannot be converted to the declared type is refused too:

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).assign(bedrooms="three"))

# %% [markdown]
# A safe conversion is accepted: 32-bit integers widen to the declared 64-bit `long`:

# %% tags=["nbval-check-output"]
print(model.predict(X_test.head(2).astype({"bedrooms": "int32"})).round(-2))

# %% [markdown]
# but floats are refused for an integer column, even whole ones: `3.0` bedrooms fails.
# That is what MLflow's "integer column(s)" hint at logging time is about: pandas stores
# a column with missing values as floats, so if a column may ever have missing values,
# declare it as a float when you log the model. The house data has none, so its integer
# columns are right.

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).astype({"bedrooms": "float64"}))

# %% [markdown]
# ## A custom model written as code
#
# Real inputs rarely arrive clean: here new listings come with `yes`/`no` answers and a
# lot size in square metres. A custom `pyfunc` model carries that preprocessing with the
# estimator, so every consumer gets the same behaviour: subclass
# `mlflow.pyfunc.PythonModel` and implement `predict`.
#
# How to log it: passing an *instance* (`python_model=ListingPriceModel()`) makes MLflow
# pickle it with cloudpickle, and MLflow warns that unpickling can run arbitrary code and
# recommends **models from code**: pass the *path of a Python file* that defines the
# model and calls `mlflow.models.set_model(...)`. MLflow stores the file itself, readable
# and reviewable, and runs it to load the model. Here is ours:

# %%
model_code = lab_utils.REPO_ROOT / "projects" / "listing_model" / "listing_price_model.py"
print(model_code.read_text())

# %% [markdown]
# The estimator reaches the model as an **artifact**: `artifacts={"estimator": uri}` makes
# MLflow copy the champion into the new model at logging time, and `load_context` loads it.
# Requirements are pinned to the versions installed here (`importlib.metadata`): an
# unpinned `scikit-learn` would install whatever is newest the day someone rebuilds the
# environment, which is not the environment the model was tested in.
#
# MLflow infers the signature from `input_example` by running the model on it. It would
# print the integer-columns hint explained above (as a `UserWarning`); the form's counts
# are integers on purpose, so the cell silences that one hint.

# %%
import warnings
from importlib.metadata import version

import pandas as pd

SQFT_PER_M2 = 10.7639
yes_no = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]


def as_listing(frame: pd.DataFrame) -> pd.DataFrame:
    """The raw form of houses: yes/no strings and m²."""
    raw = frame.copy()
    raw[yes_no] = raw[yes_no].replace({1: "yes", 0: "no"})
    raw.insert(0, "lotsize_m2", (raw.pop("lotsize") / SQFT_PER_M2).round(1))
    return raw


listings = as_listing(X_test)
pinned = [f"{package}=={version(package)}" for package in ("mlflow", "scikit-learn", "pandas", "skops")]
mlflow.set_experiment("meu_experimento")
INTEGER_HINT = "Hint: Inferred schema contains integer column"
with mlflow.start_run(run_name="custom_pyfunc") as custom_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    custom_info = mlflow.pyfunc.log_model(
        name="model", python_model=str(model_code),
        artifacts={"estimator": f"models:/{model_name}/{champion.version}"},
        input_example=listings.head(3), pip_requirements=pinned,
    )
custom_version = mlflow.register_model(custom_info.model_uri, "previsao_precos_anuncios")

# %% [markdown]
# ### Checkpoint
# The custom model is registered, the server lists it as a logged model of this run, its
# requirements in the bucket are pinned, and it prices raw listings like the champion
# prices clean rows.

# %%
lab_utils.assert_model_version("previsao_precos_anuncios", version=custom_version.version)
[custom_logged] = mlflow.search_logged_models(filter_string=f"source_run_id = '{custom_run.info.run_id}'",
                                              output_format="list")
assert custom_logged.model_id == custom_info.model_id
requirements = s3.get_object(Bucket=lab.bucket, Key=lab_utils.bucket_prefix(lab, custom_logged.artifact_location)
                             + "requirements.txt")["Body"].read().decode().split()
assert all("==" in line for line in requirements), f"unpinned requirements: {requirements}"
reloaded = mlflow.pyfunc.load_model(f"models:/previsao_precos_anuncios/{custom_version.version}")
assert np.allclose(reloaded.predict(listings.head(5)), model.predict(X_test.head(5)), rtol=1e-3)
print("✓ raw listings priced like clean rows; requirements in the bucket:", requirements)

# %% [markdown]
# ## Evaluating a model
#
# `mlflow.models.evaluate` scores a model on labelled data and logs the metrics to the
# active run. It reads the test set: the champion was chosen already (lesson 04 reported its
# test RMSE once), so this is a fuller report of the same score on data no decision has seen,
# not a new choice.
#
# > **SHAP** — a way to explain predictions: for each row, how much each feature pushed
# > the prediction above or below the average prediction (its "SHAP value"). Ranking
# > features by their average effect shows what moves prices most.
#
# `evaluate` can add SHAP plots itself (`log_model_explainability`, on by default). For a
# regressor it uses SHAP's generic permutation explainer, which re-predicts every row many
# times: slow, and SHAP prints a progress bar when it takes over 10 seconds. A linear
# model has an exact and fast explainer, so we turn that option off and call SHAP
# ourselves below. (`evaluate` also infers a schema from the data and would print the
# integer-columns hint again: silenced, as above. Its INFO lines say that it turns
# MLflow's tracing on while it runs; nothing to do about them.)

# %%
evaluation_data = X_test.assign(price=y_test)
with mlflow.start_run(run_name="evaluate_champion") as evaluation_run, warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    mlflow.set_tag("model_version", champion.version)
    result = mlflow.models.evaluate(
        f"models:/{model_name}@champion", evaluation_data, targets="price", model_type="regressor",
        evaluator_config={"log_model_explainability": False},
    )
print({k: round(float(v), 3) for k, v in result.metrics.items()
       if k in ("root_mean_squared_error", "mean_absolute_error", "r2_score")})

# %% [markdown]
# `shap.LinearExplainer` explains the champion's scikit-learn estimator (its `sklearn`
# flavor) against the training data as background; `client.log_figure` stores the plot in
# the evaluation run (the `with` block has ended, so the call names the run).

# %%
import matplotlib.pyplot as plt
import shap

estimator = mlflow.sklearn.load_model(f"models:/{model_name}@champion")
explanation = shap.LinearExplainer(estimator, X_train)(X_test.head(explainability_rows))
figure = plt.figure()
shap.plots.bar(explanation, show=False)
client.log_figure(evaluation_run.info.run_id, figure, "shap/feature_importance.png")
plt.close(figure)
importance = pd.Series(np.abs(explanation.values).mean(axis=0), index=X_test.columns)
print("mean |SHAP value| (CAD):", importance.sort_values(ascending=False).round(-2).head(4).to_dict())
print("in the UI:", lab_utils.run_url(lab, evaluation_run))

# %%
checked = lab_utils.assert_run_logged(evaluation_run.info.run_id,
                                      metrics=["root_mean_squared_error", "r2_score"],
                                      artifacts=["shap/feature_importance.png"])

# %% [markdown]
# ## Batch scoring a file
#
# `data/new_houses.csv` holds twenty listings without a price. Load the champion once,
# score the file, and keep the predictions as an artifact of a scoring run.

# %%
new_houses = lab_utils.load_new_houses()
priced = new_houses.assign(predicted_price=model.predict(new_houses).round(-2))
with mlflow.start_run(run_name="batch_scoring") as scoring_run:
    mlflow.set_tags({"model": f"{model_name}@champion", "model_version": champion.version})
    mlflow.log_table(priced.reset_index(), "predictions/new_houses.json")
    mlflow.log_metric("houses_scored", len(priced))
priced.head()

# %%
checked = lab_utils.assert_run_logged(scoring_run.info.run_id, metrics={"houses_scored": 20},
                                      artifacts=["predictions/new_houses.json"])

# %% [markdown]
# ## Exercise
#
# ### Exercise 1
# The champion refuses `3.0` bedrooms: its signature declares `bedrooms` as `long`.
# Suppose a web form sends that column as floats. Log the champion's scikit-learn
# estimator again (`estimator`, loaded above for SHAP) as a new logged model whose
# signature declares `bedrooms` as a float (`double`) and keeps the other columns as the
# champion has them, and put the `ModelInfo` that `log_model` returns in `float_info`. The
# check reads the signature from the `MLmodel` file stored on the server and prices float
# bedrooms (`3.0`, even `2.5`) with your model.

# %% tags=["exercise"]
float_info = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `mlflow.sklearn.log_model(estimator, name="model", input_example=...)` infers the
# signature from the example: give it rows of `X_test` whose `bedrooms` column is
# `float64` (`DataFrame.astype`). Silence the integer-columns hint as the custom-model cell
# does.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="float_bedrooms"), warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=INTEGER_HINT, category=UserWarning)
    float_info = mlflow.sklearn.log_model(estimator, name="model",
                                          input_example=X_test.head(3).astype({"bedrooms": "float64"}))

# %% tags=["check-exercise"]
if lab_utils.attempted(float_info, "Exercise 1"):
    from lab_utils.grading import lesson_05_models
    lesson_05_models.check_exercise_1(float_info, model_name, champion.version, X_test)

# %% [markdown]
# ## Summary
#
# - A logged model is an entity on the server (`search_logged_models`) and files in the
#   bucket: `MLmodel` (flavors, signature), examples, pinned requirements.
# - The signature protects predictions from malformed input; declare a column that may
#   have missing values as a float.
# - A custom `pyfunc` ships preprocessing with the model; log it from code (a file and
#   `set_model`), not as a pickled object.
# - `mlflow.models.evaluate` logs metrics; SHAP explains predictions, `log_figure` keeps the
#   plot; batch scoring is `load_model` + `predict`.
#
# ## Further reading
#
# - MLflow documentation: https://mlflow.org/docs/latest/
# - Tracking: https://mlflow.org/docs/latest/ml/tracking/
# - Models (flavors, signatures, input examples): https://mlflow.org/docs/latest/ml/model/
# - Model Registry: https://mlflow.org/docs/latest/ml/model-registry/
# - Models from code: https://mlflow.org/docs/latest/ml/model/models-from-code/
# - Model signatures: https://mlflow.org/docs/latest/ml/model/signatures/
# - Evaluation: https://mlflow.org/docs/latest/ml/evaluation/
#
# ## Check your understanding
#
# 1. A column may have missing values in production. What type should it have in the
#    signature, and what happens at prediction time if it is declared `long`?
# 2. Why does MLflow recommend logging a custom `pyfunc` from a code file rather than
#    passing an instance?
# 3. What goes wrong, months later, with `pip_requirements=["scikit-learn", "pandas"]`?
# 4. This lesson loads the champion in two flavors. Which one does SHAP's
#    `LinearExplainer` get, which one scores the file, and why?

# %% [markdown] tags=["solution"]
# 1. `double` (a float): pandas stores a column with missing values as floats, and a `long`
#    column refuses floats, even whole ones, with an `MlflowException`.
# 2. An instance is pickled with cloudpickle: unpickling can run arbitrary code, and the
#    pickle depends on the Python and library versions that made it. A code file is
#    stored as readable source and run to build the model.
# 3. A rebuild installs the newest versions, not the ones the model was tested with; the
#    model may fail to load or predict differently. Pin `==` the versions you tested.
# 4. `LinearExplainer` gets the `sklearn` flavor: it needs the estimator itself (its
#    coefficients). Scoring uses the `python_function` flavor: it checks every input
#    against the signature, and the same code would score a model of any library.

# %% [markdown]
# Next: **05 · MLflow Models, part 2**: serving a model over REST and as a container image.
