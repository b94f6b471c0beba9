# %% [markdown]
# # 05 · MLflow Models, part 2: serving a model
#
# Part 1 opened a logged model and registered `previsao_precos_anuncios`, a model written
# as code that prices raw listings. Any MLflow model can be served over HTTP with one
# command, and the same server packs into a container image. This part serves the
# champion of lesson 04 over REST, sends it each input format and a malformed request,
# writes its Dockerfile, and, in the exercises, serves a version and an alias of your
# choice.
#
# **You will learn** `mlflow models serve` and its REST input formats; what a malformed
# request gets back; `mlflow models generate-dockerfile` and `build-docker`; serving a
# registered version or alias.
#
# **Time:** 30 minutes (about 10 to read, 3 to run the cells, 17 for the two exercises,
# each of which starts a model server).
# **Prerequisites:** 04 · The Model Registry and 05 · MLflow Models, part 1 (it registers
# `previsao_precos_anuncios`).
#
# **On the map** (lesson 00): the model server, loading `models:/name@alias`.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% [markdown]
# Nothing of part 1's notebook is needed: the registry has both models, and the data
# split is the same every time (it is seeded).

# %%
import mlflow
import numpy as np
import pandas as pd
from mlflow import MlflowClient

model_name = "previsao_precos"
client = MlflowClient()
X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
champion = lab_utils.assert_model_version(model_name, alias="champion")
custom_version = lab_utils.assert_model_version("previsao_precos_anuncios")  # the latest version part 1 registered
model = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")

# %% [markdown]
# ## Serving over REST
#
# `mlflow models serve` starts an HTTP server for any MLflow model: `GET /ping` for health,
# `POST /invocations` to predict. `--env-manager local` uses this environment instead of
# building a new one. `lab_utils.ModelServer` runs that command in the background and
# stops it when asked (or when the notebook's kernel ends); we give it the first free port
# from 5001 up.
#
# Starting takes from about 8 seconds to half a minute, more on a busy machine: the command starts a Python process
# that imports MLflow, asks the registry where `@champion` is and downloads it from the
# bucket, then starts the web server (uvicorn), a second Python process that imports
# MLflow and loads the model again before it answers `/ping`. All of it competes for the
# machine's processor with whatever else runs.

# %%
import requests

port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
server = lab_utils.ModelServer(f"models:/{model_name}@champion", port=port).start()

# %% [markdown]
# The endpoint takes JSON in several shapes: `dataframe_split` (columns + rows),
# `dataframe_records` (one object per row), or `inputs`.

# %%
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
# ## A model as a container image
#
# The same server runs in a container. `mlflow models generate-dockerfile` writes a
# folder with the model and a `Dockerfile` whose image serves it on port 8080. This
# machine has no Docker engine, so we generate the folder and read the file:

# %%
import tempfile
from pathlib import Path

image_folder = Path(tempfile.mkdtemp()) / "champion-image"
# !MLFLOW_LOGGING_LEVEL=WARNING mlflow models generate-dockerfile -m models:/{model_name}@champion -d {image_folder}

# %%
print(sorted(str(path.relative_to(image_folder)) for path in image_folder.iterdir()))
print((image_folder / "Dockerfile").read_text())

# %% [markdown]
# Reading it: a Python base image; the model copied into `/opt/ml/model`; its
# requirements and MLflow installed; and an entry point that starts the same scoring
# server as `mlflow models serve` on port 8080. With a Docker engine, one command builds
# the image (and another runs it):
#
# ```bash
# mlflow models build-docker -m models:/previsao_precos@champion -n previsao-precos
# docker run -p 5001:8080 previsao-precos     # then POST to http://localhost:5001/invocations
# ```

# %%
import shutil

assert (image_folder / "Dockerfile").exists() and (image_folder / "model_dir").is_dir()
shutil.rmtree(image_folder.parent)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Call the model server's REST API yourself: serve version 1 of `previsao_precos` (a
# `ModelServer` as above, or `mlflow models serve` in a terminal), `POST` `X_test.head(1)`
# to its `/invocations` as a `dataframe_records` body, stop the server, and put the
# `requests.Response` you got in `rest_response`. The check reads the request you sent and
# the server's answer, and compares that answer with version 1 in the registry (the
# champion prices this house differently). (Starting the server takes up to half a
# minute, as above.)

# %% tags=["exercise"]
rest_response = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `lab_utils.ModelServer("models:/previsao_precos/1", port=...).start()` gives a server
# with a `.url`; `requests.post(f"{server.url}/invocations", json={"dataframe_records": ...})`
# with `DataFrame.to_dict(orient="records")`; then `server.stop()`.
#
# </details>

# %% tags=["solution"]
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
version_1_server = lab_utils.ModelServer(f"models:/{model_name}/1", port=port).start()
try:
    rest_response = requests.post(f"{version_1_server.url}/invocations", timeout=30,
                                  json={"dataframe_records": X_test.head(1).to_dict(orient="records")})
finally:
    version_1_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(rest_response, "Exercise 1"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_1(rest_response, X_test, model_name)

# %% [markdown]
# ### Exercise 2
# Give the custom model of part 1 the alias `champion` in the registry
# (`previsao_precos_anuncios`, version `custom_version` read above), serve
# `models:/previsao_precos_anuncios@champion`, price the `listing` below over REST, stop
# the server, and put the `requests.Response` in `listing_response`. The check reads the
# alias in the registry and compares the server's answer with that version's price.

# %%
listing = pd.DataFrame([{"lotsize_m2": 450.0, "bedrooms": 3, "bathrms": 1, "stories": 2, "garagepl": 1,
                         "driveway": "yes", "recroom": "no", "fullbase": "yes", "gashw": "no",
                         "airco": "yes", "prefarea": "no"}])

# %% tags=["exercise"]
listing_response = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `client.set_registered_model_alias(name, "champion", version)`, then the same
# `ModelServer` / `requests.post` steps as in Exercise 1, with the listing as the body.
#
# </details>

# %% tags=["solution"]
client.set_registered_model_alias("previsao_precos_anuncios", "champion", custom_version.version)
port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
listing_server = lab_utils.ModelServer("models:/previsao_precos_anuncios@champion", port=port).start()
try:
    listing_response = requests.post(f"{listing_server.url}/invocations", timeout=30,
                                     json={"dataframe_split": listing.to_dict(orient="split", index=False)})
finally:
    listing_server.stop()

# %% tags=["check-exercise"]
if lab_utils.attempted(listing_response, "Exercise 2"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_2(listing_response, listing, custom_version.version)

# %% [markdown]
# ## Summary
#
# - `mlflow models serve` serves any model; `/invocations` takes `dataframe_split`,
#   `dataframe_records` or `inputs`; `/ping` says whether it is up.
# - The signature protects the served model too: a malformed request gets an HTTP 400
#   that names what is wrong.
# - `generate-dockerfile` / `build-docker` put the same server in a container image.
# - A server is started for a model URI: a version (`models:/name/1`) or an alias
#   (`models:/name@champion`), resolved when it starts.
#
# ## Further reading
#
# - MLflow documentation: https://mlflow.org/docs/latest/
# - Models (flavors, signatures, input examples): https://mlflow.org/docs/latest/ml/model/
# - Model Registry: https://mlflow.org/docs/latest/ml/model-registry/
# - Serving (`mlflow models serve`, containers): https://mlflow.org/docs/latest/ml/deployment/
#
# ## Check your understanding
#
# 1. Which two processes start when `mlflow models serve` runs with `--env-manager local`,
#    and why does that take seconds?
# 2. A client posts a row without the `lotsize` column. What does the server answer, and
#    where does the rule it applies come from?
# 3. You move `@champion` to another version while a server for
#    `models:/previsao_precos@champion` runs. Which version answers its requests?
# 4. What does `generate-dockerfile` produce, and what does the image do when it runs?

# %% [markdown] tags=["solution"]
# 1. The `mlflow models serve` command (imports MLflow, resolves the registry URI,
#    downloads the model) and uvicorn's scoring server (imports MLflow, loads the model);
#    each Python start-up imports large libraries.
# 2. An HTTP 400 whose message names the missing column: the server checks every request
#    against the model's signature, stored in its `MLmodel` file.
# 3. The old one: the server resolved the alias and downloaded that version when it
#    started. Restart it (or roll out a new container) to serve the new champion.
# 4. A folder with the model (`model_dir`) and a `Dockerfile`; the image installs the
#    model's requirements and serves it with the same scoring server on port 8080.

# %% [markdown]
# Next: **06 · MLflow Projects**: packaging training code so anyone can re-run it.
