# %% [markdown]
# # 00 · Welcome to the MLflow lab
#
# This lab runs the whole MLflow life cycle on your machine: a tracking server with its
# UI at http://localhost:5000, metadata in a SQLite database, artifacts in an S3 object
# store (bucket `mlflow`), and a Prefect server for pipelines. In this first notebook you
# tour the lab, log your first run, and find its artifact in the bucket with your own eyes.
#
# **You will learn** what each service of the lab does and where each piece of data lands;
# how a notebook connects to the lab; how to log a run and check it on the server.
#
# **Time:** 10 minutes. **Prerequisites:** none; start the lab with `make lab`.

# %% [markdown]
# ## Connect to the lab
#
# `lab_utils.connect()` points the MLflow, Prefect and S3 clients at the lab (it sets
# `MLFLOW_TRACKING_URI` and friends from the lab's configuration) and checks that every
# service answers. When something is down it stops here with `lab doctor`'s report and the fix.

# %%
import lab_utils

lab = lab_utils.connect()
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
# Notebooks never talk to the bucket to log artifacts: the MLflow server *proxies* them
# (`--artifacts-destination s3://mlflow`), so a client needs only the tracking URI. The
# S3 keys are used below only to look inside the bucket.

# %% [markdown]
# ## Your first run
#
# A *run* is one execution of your code: the parameters it used, the metrics it scored and
# the files (artifacts) it produced. Runs are grouped in *experiments*.

# %%
import mlflow

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

# %%
lab_utils.assert_run_logged(
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

# %% tags=["solution"]
with mlflow.start_run(run_name="my_first_run") as my_run:
    mlflow.set_tag("owner", "ada")
    mlflow.log_metric("coffee_cups", 3)
my_run_id = my_run.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(my_run_id, "Exercise 1"):
    checked = lab_utils.assert_run_logged(my_run_id, tags=["owner"], metrics=["coffee_cups"])
    assert checked.info.run_name == "my_first_run", f"the run is named {checked.info.run_name!r}"

# %% [markdown]
# ## Summary
#
# - `lab_utils.connect()` configures the clients and checks the lab; `lab doctor` in a terminal
#   checks it too and says how to fix what is broken.
# - Runs live on the tracking server (metadata in SQLite), artifacts in bucket `mlflow`.
# - A checkpoint reads back from the server; trust what the server says, not your variables.
#
# Next: **01 · Basic tracking**, the seed's first example taken apart.
