# %% [markdown]
# # 05 · MLflow Models: what a model is made of, and serving it
#
# An MLflow Model is a folder with a description file (`MLmodel`) that says how to load
# it in several "flavors", what input it expects (its signature), an example of that
# input, and the packages it needs. That contract is what lets the same model be loaded
# in a notebook, scored in batch, or served over REST without code changes. This lesson
# opens a model in the bucket, breaks its signature on purpose, wraps preprocessing into
# a custom model, serves the champion of lesson 04 over HTTP, and evaluates it.
#
# **You will learn** the files of a logged model; flavors; signature enforcement;
# custom `pyfunc` models; `mlflow models serve` and its REST input formats;
# `mlflow.models.evaluate`; batch scoring a file.
#
# **Time:** 35 minutes. **Prerequisites:** 04 · The Model Registry (it creates `previsao_precos@champion`).

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
model_name = "previsao_precos"
explainability_rows = 100  # rows SHAP uses to explain the model in `evaluate`

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient

client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")

# %% [markdown]
# ## Anatomy of a logged model
#
# The champion version points at a logged model. Let's list its files in the bucket with
# boto3 and read its `MLmodel` file, exactly as the server stored them.

# %%
import yaml

logged_model = client.get_logged_model(champion.model_id or champion.source.split("/")[-1])
prefix = lab_utils.bucket_prefix(lab, logged_model.artifact_location)
s3 = lab_utils.s3_client(lab)
files = sorted(item["Key"].removeprefix(prefix)
               for item in s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"])
mlmodel = yaml.safe_load(s3.get_object(Bucket=lab.bucket, Key=prefix + "MLmodel")["Body"].read())
print(f"s3://{lab.bucket}/{prefix}")
for name in files:
    print("  ", name)

# %% tags=["nbval-check-output"]
print("flavors:", sorted(mlmodel["flavors"]))
print("loader of the python_function flavor:", mlmodel["flavors"]["python_function"]["loader_module"])
print("signature inputs:", [column["name"] for column in yaml.safe_load(mlmodel["signature"]["inputs"])])
print("requirements:", [line.split("==")[0] for line in
                        s3.get_object(Bucket=lab.bucket, Key=prefix + "requirements.txt")["Body"]
                        .read().decode().split()])

# %% [markdown]
# - **flavors**: `sklearn` (load the original estimator with `mlflow.sklearn.load_model`)
#   and `python_function` (the generic `pyfunc` interface every tool understands);
# - **signature**: the input columns and types, and the output;
# - **input_example.json** / **serving_input_example.json**: real rows, and the same rows
#   as a REST request body;
# - **requirements.txt**, **conda.yaml**, **python_env.yaml**: what to install to load it.
#
# ## Signature enforcement
#
# A `pyfunc` model checks its input against the signature before predicting. A missing
# column is refused with a message that names it (this cell is expected to fail):

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
# That is what the "integer column(s)" warning at logging time was about: if a column may
# ever hold missing values (which pandas stores as floats), declare it as a float when you
# log the model.

# %% tags=["raises-exception", "raises:MlflowException"]
model.predict(X_test.head(2).astype({"bedrooms": "float64"}))

# %% [markdown]
# ## A custom model: preprocessing and model together
#
# Real inputs rarely arrive clean: here new listings come with `yes`/`no` answers and a
# lot size in square metres. A custom `pyfunc` model carries that preprocessing with the
# estimator, so every consumer gets the same behaviour. Subclass
# `mlflow.pyfunc.PythonModel` and implement `predict`.

# %%
import pandas as pd
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet

SQFT_PER_M2 = 10.7639


class ListingPriceModel(mlflow.pyfunc.PythonModel):
    """Prices raw listings: yes/no answers and lot sizes in m², as they come from the form."""

    def __init__(self, estimator, yes_no_columns):
        self.estimator = estimator
        self.yes_no_columns = list(yes_no_columns)

    def predict(self, context, model_input: pd.DataFrame, params=None):
        frame = model_input.copy()
        for column in self.yes_no_columns:
            frame[column] = (frame[column].str.lower() == "yes").astype("int64")
        frame["lotsize"] = frame.pop("lotsize_m2") * SQFT_PER_M2
        return self.estimator.predict(frame[self.estimator.feature_names_in_])


yes_no = ["driveway", "recroom", "fullbase", "gashw", "airco", "prefarea"]
estimator = ElasticNet(alpha=0.1, l1_ratio=0.9, max_iter=10_000).fit(X_train, y_train)


def as_listing(frame: pd.DataFrame) -> pd.DataFrame:
    """The raw form of houses: yes/no strings and m²."""
    raw = frame.copy()
    raw[yes_no] = raw[yes_no].replace({1: "yes", 0: "no"})
    raw.insert(0, "lotsize_m2", (raw.pop("lotsize") / SQFT_PER_M2).round(1))
    return raw


listings = as_listing(X_test)
custom = ListingPriceModel(estimator, yes_no)
mlflow.set_experiment("meu_experimento")
with mlflow.start_run(run_name="custom_pyfunc") as custom_run:
    custom_info = mlflow.pyfunc.log_model(
        name="model", python_model=custom, input_example=listings.head(3),
        signature=infer_signature(listings, custom.predict(None, listings)),
        pip_requirements=["scikit-learn", "pandas"],
    )
custom_version = mlflow.register_model(custom_info.model_uri, "previsao_precos_anuncios")

# %% [markdown]
# ### Checkpoint
# The custom model is registered, loads back, and prices raw listings like the estimator
# prices clean rows.

# %%
lab_utils.assert_model_version("previsao_precos_anuncios", version=custom_version.version)
reloaded = mlflow.pyfunc.load_model(f"models:/previsao_precos_anuncios/{custom_version.version}")
assert np.allclose(reloaded.predict(listings.head(5)), estimator.predict(X_test.head(5)), rtol=1e-3)
print("✓ raw listings priced like clean rows")

# %% [markdown]
# ## Serving over REST
#
# `mlflow models serve` starts an HTTP server for any MLflow model: `GET /ping` for health,
# `POST /invocations` to predict. `--env-manager local` uses this environment instead of
# building a new one. `lab_utils.ModelServer` runs that command in the background on a free
# port and stops it when asked (or when the notebook's kernel ends).

# %%
server = lab_utils.ModelServer(f"models:/{model_name}@champion").start()

# %% [markdown]
# The endpoint takes JSON in several shapes: `dataframe_split` (columns + rows),
# `dataframe_records` (one object per row), or `inputs`.

# %%
import requests

houses = X_test.head(3)
for body in (
    {"dataframe_split": houses.to_dict(orient="split", index=False)},
    {"dataframe_records": houses.to_dict(orient="records")},
    {"inputs": houses.to_dict(orient="list")},
):
    response = requests.post(f"{server.url}/invocations", json=body, timeout=30)
    print(list(body)[0], "→", response.status_code, np.round(response.json()["predictions"], -2))

# %% [markdown]
# A malformed request gets an HTTP 400 with the reason: here, a missing column.

# %%
bad = requests.post(f"{server.url}/invocations",
                    json={"dataframe_records": [{"lotsize": 5000, "bedrooms": 3}]}, timeout=30)
print(bad.status_code, bad.json()["error_code"])
print(bad.json()["message"][-160:])

# %% [markdown]
# ### Checkpoint
# The served model answers like the one loaded from the registry.

# %%
served = requests.post(f"{server.url}/invocations",
                       json={"dataframe_split": X_test.to_dict(orient="split", index=False)}, timeout=30)
assert served.status_code == 200 and bad.status_code == 400
assert np.allclose(served.json()["predictions"], model.predict(X_test))
print(f"✓ {len(X_test)} predictions over REST match the registry model")

# %%
server.stop()
assert lab_utils.port_is_free(server.port), f"port {server.port} is still in use"

# %% [markdown]
# ## Evaluating a model
#
# `mlflow.models.evaluate` scores a model on labelled data and logs the metrics (and,
# for regressors, SHAP explanation plots) to the active run.

# %%
evaluation_data = X_test.assign(price=y_test)
with mlflow.start_run(run_name="evaluate_champion") as evaluation_run:
    mlflow.set_tag("model_version", champion.version)
    result = mlflow.models.evaluate(
        f"models:/{model_name}@champion", evaluation_data, targets="price", model_type="regressor",
        evaluator_config={"explainability_nsamples": explainability_rows},
    )
print({k: round(float(v), 3) for k, v in result.metrics.items()
       if k in ("root_mean_squared_error", "mean_absolute_error", "r2_score")})
print("plots:", sorted(result.artifacts))

# %%
checked = lab_utils.assert_run_logged(evaluation_run.info.run_id,
                                      metrics=["root_mean_squared_error", "r2_score"])

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
# ## Exercises
#
# ### Exercise 1
# Call the model server's REST API yourself: start a `ModelServer` for version 1 of
# `previsao_precos`, get the prediction for `X_test.head(1)` with a `dataframe_records`
# body, stop the server, and put the predicted price (a float) in `rest_prediction`.

# %% tags=["exercise"]
rest_prediction = ...  # your code here

# %% tags=["solution"]
version_1_server = lab_utils.ModelServer(f"models:/{model_name}/1").start()
try:
    answer = requests.post(f"{version_1_server.url}/invocations", timeout=30,
                           json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
    rest_prediction = answer.json()["predictions"][0]
finally:
    version_1_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(rest_prediction, "Exercise 1"):
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}/1").predict(X_test.head(1))[0]
    assert abs(rest_prediction - expected) < 1e-6, f"{rest_prediction} is not version 1's prediction"
    print("✓ Exercise 1")

# %% [markdown]
# ### Exercise 2
# Price the listing below with the custom model of this lesson (registered as
# `previsao_precos_anuncios`, its latest version). Put the price in `listing_price`.

# %%
listing = pd.DataFrame([{"lotsize_m2": 450.0, "bedrooms": 3, "bathrms": 1, "stories": 2, "garagepl": 1,
                         "driveway": "yes", "recroom": "no", "fullbase": "yes", "gashw": "no",
                         "airco": "yes", "prefarea": "no"}])

# %% tags=["exercise"]
listing_price = ...  # your code here

# %% tags=["solution"]
listing_price = float(mlflow.pyfunc.load_model(
    f"models:/previsao_precos_anuncios/{custom_version.version}").predict(listing)[0])

# %% tags=["check-exercise"]
if lab_utils.attempted(listing_price, "Exercise 2"):
    expected = custom.predict(None, listing)[0]
    assert abs(listing_price - expected) < 1, f"{listing_price:,.0f} is not the custom model's price"
    print(f"✓ Exercise 2: {listing_price:,.0f} CAD")

# %% [markdown]
# ## Summary
#
# - A logged model is files in the bucket: `MLmodel` (flavors, signature), examples, requirements.
# - The signature protects predictions from malformed input, in Python and over REST.
# - A custom `pyfunc` ships preprocessing with the model.
# - `mlflow models serve` serves any model; `/invocations` takes `dataframe_split`,
#   `dataframe_records` or `inputs`.
# - `mlflow.models.evaluate` logs metrics and plots; batch scoring is `load_model` + `predict`.
#
# Next: **06 · MLflow Projects**: packaging training code so anyone can re-run it.
