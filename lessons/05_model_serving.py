# %% [markdown]
# # 05 · MLflow Models, part 2: serving a model
#
# Part 1 opened a logged model and registered `previsao_precos_anuncios`, a model written
# as code that prices raw listings. Any MLflow model can be served over HTTP with one
# command, and the same server packs into a container image. This part serves the
# champion of lesson 04 over REST, after checking its example request, sends it each input
# format and a malformed request, writes its Dockerfile, and, in the exercises, serves a
# version and an alias of your choice, the last one from a terminal.
#
# **You will learn** checking a request before serving (`mlflow.models.predict`);
# `mlflow models serve` and its REST input formats; what a malformed request gets back;
# `mlflow models generate-dockerfile` and `build-docker`, and the nginx in front of the
# image's server; serving a registered version or alias; a server run and called by hand
# from a terminal (`curl`).
#
# **Time:** 40 minutes (about 12 to read, 3 to run the cells, 25 for the three exercises,
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
# ## Before serving: the model's own example request
#
# Part 1 showed that a logged model carries `serving_input_example.json`: its input example
# written as the body of a REST request. Before starting a server, check that the model
# answers that body: `mlflow.models.predict` reads it with the scoring server's own parser
# and predicts. With `env_manager="local"` it runs in this environment; `"uv"` or
# `"virtualenv"` would first build the model's own environment from its `requirements.txt`
# (the stronger check before a deployment; it needs the package index, and the lab works
# offline). Its two INFO lines name the backend that predicts (the `python_function`
# flavor's) and recommend `uv` as the faster way to build such an environment. MLflow 3.13
# deprecated the older `mlflow.models.validate_serving_input`, which did the same in the
# notebook's process.

# %%
import json
import tempfile
from pathlib import Path

check_folder = Path(tempfile.mkdtemp())
example_file = Path(mlflow.artifacts.download_artifacts(
    f"models:/{model_name}@champion/serving_input_example.json", dst_path=str(check_folder)))
serving_input = json.loads(example_file.read_text())
print(json.dumps(serving_input))
mlflow.models.predict(f"models:/{model_name}@champion", input_path=str(example_file), content_type="json",
                      env_manager="local", output_path=str(check_folder / "predictions.json"))
checked_prices = json.loads((check_folder / "predictions.json").read_text())["predictions"]
print("prices of the example houses:", np.round(checked_prices, -2))

# %% [markdown]
# ### Checkpoint
# The example request is answered, with the prices the registry's model gives those houses.

# %%
example_rows = pd.DataFrame(**serving_input["dataframe_split"])
assert np.allclose(checked_prices, model.predict(example_rows))
print(f"✓ the champion answers its own example request: {len(checked_prices)} houses priced")

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
#
# Inside that container, port 8080 is not the scoring server itself: the entry point starts
# **nginx** on 8080 and the scoring server (uvicorn, one worker per processor unless
# `MLFLOW_MODELS_WORKERS` says otherwise) on port 8000 behind it. nginx passes on only
# `/ping` and `/invocations` (any other path gets a 404), accepts request bodies up to
# 100 MB, and writes each request to the container's log. A platform that already puts its
# own proxy in front (Google Cloud Run, a Kubernetes ingress) can skip it with
# `docker run -e DISABLE_NGINX=true …`; uvicorn then serves alone, on port 8000 and, unless
# `UVICORN_HOST=0.0.0.0` is set too, on the container's loopback only (MLflow's help shows
# `-p 5001:8080` with that setting; in MLflow 3.17 nothing listens on 8080 then). This is
# read from MLflow's source (`mlflow/models/container/__init__.py` and the `nginx.conf`
# beside it), not run: this machine has no Docker engine.

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
# ### Exercise 3 (in a terminal)
# Run a model server the way you would on a machine without a notebook. In JupyterLab, open a
# terminal (**File → New → Terminal**: it has the lab's commands and settings) and start the
# server with the command the cell below prints (a free port is chosen for you):
# `mlflow models serve -m models:/previsao_precos@champion --env-manager local -p <port>`.
# When it prints `Uvicorn running on http://127.0.0.1:<port>`, open a second terminal and
# price a house by hand with the `curl` command printed below. Leave the server running, put
# its port (a number) in `terminal_port`, and run the check: it sends the test houses to that
# port itself and compares the answers with `@champion` in the registry. Then stop the
# server with **Ctrl+C** in its terminal. (In a shell outside JupyterLab, run
# `source .venv/bin/activate` and `eval "$(lab env)"` in the repository's folder first.)

# %%
free_port = next(p for p in range(5001, 5100) if lab_utils.port_is_free(p))
one_house = json.dumps({"dataframe_records": X_test.head(1).to_dict(orient="records")})
print(f"mlflow models serve -m models:/{model_name}@champion --env-manager local -p {free_port}")
print(f"curl -s http://127.0.0.1:{free_port}/invocations -H 'Content-Type: application/json' -d '{one_house}'")

# %% tags=["exercise"]
terminal_port = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `terminal_port` is the number after `-p`. While the server runs, its terminal prints a line
# per request (`"POST /invocations HTTP/1.1" 200 OK`); `curl` prints the answer,
# `{"predictions": [...]}`.
#
# </details>

# %% tags=["solution"]
# What the two terminals do, run from the notebook: the server in the background, then curl.
terminal_server = lab_utils.ModelServer(f"models:/{model_name}@champion", port=free_port).start()
# !curl -s http://127.0.0.1:{free_port}/invocations -H 'Content-Type: application/json' -d '{one_house}'
terminal_port = terminal_server.port

# %% tags=["check-exercise"]
if lab_utils.attempted(terminal_port, "Exercise 3"):
    from lab_utils.grading import lesson_05_serving
    lesson_05_serving.check_exercise_3(terminal_port, X_test, model_name)

# %% tags=["solution"]
terminal_server.stop()  # Ctrl+C in the server's terminal

# %% [markdown]
# ## Summary
#
# - `mlflow.models.predict` answers the model's `serving_input_example.json` as a server
#   would: check it before serving.
# - `mlflow models serve` serves any model; `/invocations` takes `dataframe_split`,
#   `dataframe_records` or `inputs`; `/ping` says whether it is up. From a terminal,
#   `curl` calls it as any client does.
# - The signature protects the served model too: a malformed request gets an HTTP 400
#   that names what is wrong.
# - `generate-dockerfile` / `build-docker` put the same server in a container image, behind
#   nginx on port 8080 (`DISABLE_NGINX=true` leaves uvicorn alone, on port 8000).
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
# 5. A colleague runs the image with `-e DISABLE_NGINX=true -p 5001:8080` and gets no
#    answer. Why, and what would they change?

# %% [markdown] tags=["solution"]
# 1. The `mlflow models serve` command (imports MLflow, resolves the registry URI,
#    downloads the model) and uvicorn's scoring server (imports MLflow, loads the model);
#    each Python start-up imports large libraries.
# 2. An HTTP 400 whose message names the missing column: the server checks every request
#    against the model's signature, stored in its `MLmodel` file.
# 3. The old one: the server resolved the alias and downloaded that version when it
#    started. Restart it (or roll out a new container) to serve the new champion.
# 4. A folder with the model (`model_dir`) and a `Dockerfile`; the image installs the
#    model's requirements and serves it with the same scoring server, behind nginx on port 8080.
# 5. Without nginx nothing listens on 8080: uvicorn serves alone on port 8000, on the
#    container's loopback. Publish 8000 and let uvicorn listen on every address:
#    `-e DISABLE_NGINX=true -e UVICORN_HOST=0.0.0.0 -p 5001:8000` (or keep nginx).

# %% [markdown]
# Next: **06 · MLflow Projects**: packaging training code so anyone can re-run it.
