# %% [markdown]
# # 09 · Troubleshooting
#
# The DataFlow Lab page lists three problems learners meet: a **connection error**, an **error
# saving artifacts**, and **models that do not appear in the registry**. This lesson
# causes each one on purpose, shows the exact error, what `lab doctor` says about it,
# and the fix — so that when it happens for real you recognise it at once. It adds the
# two causes a doctor cannot see: a script with no tracking address, which logs to a file
# in its own folder without an error, and the DataFlow Lab page's own registration trap. The lesson
# leaves the lab healthy: its last cell runs the doctor.
#
# **You will learn** three checks that work on any MLflow install; to read MLflow's
# connection, storage and registry errors; to notice runs that never reached the server;
# to run `lab doctor` (in a terminal, or `lab_utils.run_checks` here); to fix each cause.
#
# **Time:** 30 minutes (about 18 to read, 2 to run the cells, 10 for the exercise).
# **Prerequisites:** 00–04.
#
# **On the map** (lesson 00): each arrow of the top half, broken on purpose.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
wrong_port = 5999  # a port where no tracking server listens

# %%
import os
import subprocess
import sys

import mlflow
from mlflow import MlflowClient

# Errors in this lesson are shown short: the exception and its message, without the
# library's stack of calls (`%xmode Context` brings the full traceback back).
# %xmode Minimal


def doctor_lines(*names, **kwargs):
    """The doctor's verdict on some checks, as `lab doctor` prints it."""
    for result in lab_utils.run_checks(lab, **kwargs):
        if result.name in names:
            print(result.line())


# %% [markdown]
# ## Three checks that work on any MLflow install
#
# `lab doctor` knows this lab. On another machine — a colleague's server, a cloud MLflow —
# three questions find most problems, each with a tool you have anywhere:
#
# 1. **Where is my code logging?** `mlflow.get_tracking_uri()` answers from inside Python.
#    It must be the server's address; anything starting with `sqlite:` or `file:` is a
#    local file (section 2).
# 2. **Does the server answer?** In a terminal, `curl http://localhost:5000/health` prints
#    `OK` when the tracking server is up.
# 3. **Can I reach the artifact store?** List the bucket with the same keys and address
#    MLflow uses: from Python with boto3, or in a terminal with the AWS command line,
#    `aws s3 ls s3://mlflow --endpoint-url http://localhost:9000`.

# %%
print("tracking URI:", mlflow.get_tracking_uri())

# %%
# !curl -s {lab.tracking_uri}/health

# %%
import boto3

# boto3 reads the keys from AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, as MLflow does.
s3 = boto3.client("s3", endpoint_url=os.environ["MLFLOW_S3_ENDPOINT_URL"])
listing = s3.list_objects_v2(Bucket=lab.bucket, Delimiter="/")
print(f"s3://{lab.bucket}/ holds", [prefix["Prefix"] for prefix in listing.get("CommonPrefixes", [])])

# %% [markdown]
# The lab's server stores each experiment's artifacts under a folder named by the
# experiment's id. `lab doctor` runs these checks and more, and says how to fix what fails.
#
# ## 1 · "Connection error": the tracking server cannot be reached
#
# A client pointed at the wrong address (a typo in the port, or a server that is not
# running) fails with a connection error; `curl` on that address says
# `Connection refused`. MLflow first retries with growing pauses (seven retries by default,
# about four minutes in all); here we allow one quick try to see the error at once.

# %%
os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = "3"
wrong_uri = f"http://127.0.0.1:{wrong_port}"

# %% tags=["raises-exception", "raises:MlflowException"]
MlflowClient(tracking_uri=wrong_uri).search_experiments()

# %% [markdown]
# The doctor, asked about the same address, names the problem and the fix:

# %%
doctor_lines("tracking server", "model registry", tracking_uri=wrong_uri)

# %% [markdown]
# **Fix:** start the lab (`make up`) if `lab status` shows the server down, and point the
# client at the lab's address: `lab_utils.connect()` in a notebook, `eval "$(lab env)"` in
# a shell, or `MLFLOW_TRACKING_URI=http://localhost:5000`.

# %%
for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT"):
    del os.environ[name]
experiments = MlflowClient(tracking_uri=lab.tracking_uri).search_experiments()
print(f"✓ {len(experiments)} experiments on the lab's tracking server")

# %% [markdown]
# ## 2 · No error at all: the runs went to a file in your folder
#
# A frequent surprise has no error message at all. A script or a new notebook that never sets
# a tracking address still logs — to a local store. With no `MLFLOW_TRACKING_URI` and no
# `mlflow.set_tracking_uri(...)`, MLflow 3 uses `sqlite:///mlflow.db`: a database file
# `mlflow.db` in the **current folder**, and an `mlruns/` folder beside it for the
# artifacts once a run logs one. (If the folder already holds an `mlruns/` with the runs of
# an older MLflow, it keeps using those files instead.)
# The runs are real, and nowhere near the server: the UI never shows them.
#
# We run the DataFlow Lab page's first example that way, in a separate Python process started in
# an empty temporary folder with `MLFLOW_TRACKING_URI` removed from its environment — as a
# script on a machine where it was never set. (This notebook stays pointed at the lab.)

# %%
import re
import tempfile
import time

seed_example = """
import os
import mlflow

print("tracking URI:", mlflow.get_tracking_uri().replace(os.getcwd(), "<this folder>"))

# Iniciar experimento
mlflow.set_experiment("meu_experimento")

# Iniciar execução
with mlflow.start_run() as run:
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("rmse", 0.876)
print("run id:", run.info.run_id)
"""
# No MLFLOW_TRACKING_URI (nor a workshop's account and workspace, which go with it).
no_address = {k: v for k, v in os.environ.items()
              if not k.startswith("MLFLOW_TRACKING_") and k != "MLFLOW_WORKSPACE"}
started = time.monotonic()  # a new database: MLflow creates its tables first, most of this cell's time
with tempfile.TemporaryDirectory() as folder:
    local = subprocess.run([sys.executable, "-c", seed_example], cwd=folder, env=no_address,
                           capture_output=True, text=True)
    created = sorted(os.listdir(folder))
print(f"exit code {local.returncode}, {time.monotonic() - started:.0f} s; the temporary folder is deleted")

# %% [markdown]
# Exit code 0: nothing failed. What the script printed, the files it left in its folder,
# and what MLflow said on stderr (its log lines, without their time stamps):

# %% tags=["nbval-check-output"]
local_run_id = re.search(r"run id: (\w+)", local.stdout).group(1)
print(local.stdout.splitlines()[0])
print("files created in the folder:", created)
for line in local.stderr.strip().splitlines():
    print("stderr:", re.sub(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d ", "", line))

# %% [markdown]
# **How to notice:** `mlflow.get_tracking_uri()` starts with `sqlite:` (or `file:`) instead
# of `http://`; MLflow logs `Creating initial MLflow database tables...` the first time —
# it just made a new database (that is most of the seconds the cell above took); an
# `mlflow.db` file (and, once a file is logged, an `mlruns/` folder) appears where you ran
# the code; and the run is not in the UI.
#
# **Fix:** set the address before the first MLflow call — `export
# MLFLOW_TRACKING_URI=http://localhost:5000` in the shell that runs the script (`eval "$(lab
# env)"` sets it for this lab), or `mlflow.set_tracking_uri("http://localhost:5000")` at the
# top of the script — and run it again. Runs already in a stray `mlflow.db` stay there.
#
# ### Checkpoint: the run is not on the lab

# %% tags=["nbval-check-output"]
from mlflow.exceptions import MlflowException

assert local.returncode == 0, local.stderr[-300:]
assert "mlflow.db" in created, created
try:
    MlflowClient().get_run(local_run_id)
    raise AssertionError("the run is on the lab's server: was MLFLOW_TRACKING_URI removed?")
except MlflowException:
    print("✓ the run went to ./mlflow.db of its folder; the lab's server has never heard of it")

# %% [markdown]
# ## 3 · "Error saving artifacts": wrong or missing object-store keys
#
# > **Proxy** — a program that passes requests on to another one. The lab's tracking
# > server proxies artifacts: clients send files to the server, and the server writes them
# > to the object store with its own keys.
#
# Because the lab's server proxies artifacts, notebooks need no keys. But an experiment
# can be created with an `s3://` artifact location: then the *client* writes to the
# object store directly, and needs the keys itself. We run that client as a separate
# Python process with the keys removed from its environment — as on a machine where they
# were never set. (A separate process, because MLflow caches its S3 client, keys included,
# for up to five minutes: after fixing keys in a notebook, restart the kernel.)
#
# On a workshop lab, read this section through: the server keeps the store's keys and
# decides where artifacts go, so there is no `s3://` experiment to break (its cells say so).

# %%
direct_to_s3 = not lab.workshop  # a workshop server refuses experiments' own artifact locations
experiment_name = "direct_to_s3"
if direct_to_s3 and mlflow.get_experiment_by_name(experiment_name) is None:
    mlflow.create_experiment(experiment_name, artifact_location=f"s3://{lab.bucket}/direct-to-s3")

client_code = f"""
import mlflow
mlflow.set_experiment("{experiment_name}")
with mlflow.start_run(run_name="direct_write"):
    mlflow.log_text("written by the client itself", "note.txt")
print("artifact stored")
"""
no_keys = {k: v for k, v in os.environ.items() if k not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")}
no_keys["AWS_SHARED_CREDENTIALS_FILE"] = os.devnull  # no fallback to a personal ~/.aws file
if direct_to_s3:
    failed = subprocess.run([sys.executable, "-c", client_code], env=no_keys, capture_output=True, text=True)
    print("exit code", failed.returncode)
    print(failed.stderr.strip().splitlines()[-1])
else:
    print("workshop lab: nothing written directly to the store here")

# %% [markdown]
# With keys that are wrong rather than missing, the store refuses the signature. The
# doctor checks the keys the lab would use; given a wrong secret it says:

# %%
saved_key = os.environ["AWS_ACCESS_KEY_ID"]
os.environ.update({"LAB_S3_ENDPOINT_URL": lab.s3_endpoint_url,
                   "LAB_S3_ACCESS_KEY": saved_key, "LAB_S3_SECRET_KEY": "wrong-secret"})
wrong_keys_lab = lab_utils.load_config()
for result in lab_utils.run_checks(wrong_keys_lab):
    if result.name in ("object store keys", "artifact bucket"):
        print(result.line())
for name in ("LAB_S3_ENDPOINT_URL", "LAB_S3_ACCESS_KEY", "LAB_S3_SECRET_KEY"):
    del os.environ[name]

# %% [markdown]
# **Fix:** give the client the store's keys (`lab_utils.connect()` and `lab env` provide
# them), or — better — keep experiments on the server's proxied artifact store
# (`mlflow-artifacts:/`, the lab's default), so clients never need keys. If the *server*
# logs the error, its keys are wrong: `lab logs mlflow`, then `lab down && lab up`.

# %%
if direct_to_s3:
    fixed = subprocess.run([sys.executable, "-c", client_code], env=dict(os.environ), capture_output=True, text=True)
    print("exit code", fixed.returncode, "·", fixed.stdout.strip().splitlines()[-1])

# %% [markdown]
# ### Checkpoint

# %% tags=["nbval-check-output"]
if direct_to_s3:
    assert failed.returncode != 0 and "NoCredentialsError" in failed.stderr, failed.stderr[-300:]
    assert fixed.returncode == 0, fixed.stderr[-300:]
    stored = lab_utils.bucket_keys(lab, "direct-to-s3/")
    assert any(key.endswith("/note.txt") for key in stored), stored
    print(f"✓ without keys: NoCredentialsError; with them: the note is in s3://{lab.bucket}/direct-to-s3/")

# %% [markdown]
# ## 4 · "The model does not appear in the registry"
#
# Most often the name or the version is not what you think. The registry answers with
# `RESOURCE_DOES_NOT_EXIST` (on a workshop's server, which signs you in, with
# `PERMISSION_DENIED`: it checks your permission on a model before it looks the model up):

# %% tags=["raises-exception", "raises:RestException", "raises:MlflowException"]
mlflow.pyfunc.load_model("models:/previsao_preco/1")  # the name lacks its final "s"

# %% tags=["raises-exception", "raises:RestException", "raises:MlflowException"]
mlflow.pyfunc.load_model("models:/previsao_precos/999")

# %% [markdown]
# The doctor confirms the registry itself answers — so the problem is the name:

# %%
doctor_lines("model registry")

# %% [markdown]
# **Fix:** look the names and versions up instead of guessing; and check that
# `register_model` actually ran (it prints `Created version …`) against the same server.
#
# > **Alias** — a name you give to one version of a registered model, like a bookmark
# > (`champion` below). Moving the alias to another version changes what
# > `models:/previsao_precos@champion` loads, without changing any code.

# %%
client = MlflowClient()
for model in client.search_registered_models(filter_string="name LIKE 'previsao%'"):
    latest = max(int(v.version) for v in client.search_model_versions(f"name = '{model.name}'"))
    print(f"{model.name}: versions 1…{latest}")
# The aliases lesson 04 set (other models' aliases depend on the exercises you did):
print(f"previsao_precos aliases: {client.get_registered_model('previsao_precos').aliases}")

# %% [markdown]
# ### The DataFlow Lab page's own trap: logged as `"modelo"`, registered as `model`
#
# The DataFlow Lab page's first example logs its model under the name `"modelo"`; its registry
# example registers `runs:/<run id>/model`. Run one after the other, as a learner would,
# and the second fails. The model, as the first example logs it (with the keyword
# `name=`, as lesson 01 explains):

# %%
from sklearn.linear_model import ElasticNet

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
model = ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)
mlflow.set_experiment("meu_experimento")
with mlflow.start_run(run_name="modelo_and_model") as modelo_run:
    # Requirements named (pinned to the versions installed here): MLflow skips inferring
    # them, which would load the model again in a separate Python process.
    model_info = mlflow.sklearn.log_model(
        model, name="modelo", pip_requirements=mlflow.sklearn.get_default_pip_requirements(include_skops=True))
run_id = modelo_run.info.run_id

# %% [markdown]
# And the registry example, as written:

# %% tags=["raises-exception", "raises:MlflowException"]
# Após treinar e rastrear o modelo com uma execução
model_uri = f"runs:/{run_id}/model"
model_details = mlflow.register_model(model_uri, "previsao_precos")

# %% [markdown]
# *Unable to find a logged_model with artifact_path model*: ask the server which models the
# run logged, and under which names.

# %% tags=["nbval-check-output"]
logged_by_run = mlflow.search_logged_models(experiment_ids=[modelo_run.info.experiment_id],
                                            filter_string=f"source_run_id = '{run_id}'", output_format="list")
print("models logged by the run:", [logged_model.name for logged_model in logged_by_run])

# %% [markdown]
# The run has a model called `modelo` and none called `model`. Note the order of what
# `register_model` did: it created (or, here, found) the registered model **before** it
# looked for the model. With a new name, the name now shows in the registry with no
# version — a model that "does not appear" in the registry, in another guise.
#
# **Fix:** register what you logged. `log_model` returns it: `model_info.model_uri` is the
# logged model's own address, `models:/m-…`, and cannot disagree with the name you gave.
# (`runs:/<run id>/modelo`, with the name that was logged, works too.)

# %%
model_details = mlflow.register_model(model_info.model_uri, "previsao_precos")

# %% [markdown]
# ### Checkpoint: the version comes from the model logged as `modelo`

# %% tags=["nbval-check-output"]
registered = client.get_model_version("previsao_precos", model_details.version)
assert registered.source == model_info.model_uri, f"the version's source is {registered.source}"
assert registered.run_id == run_id, "the version does not come from the run that logged 'modelo'"
print("✓ previsao_precos has a version whose source is the model logged as", repr(model_info.name))

# %% [markdown]
# ## The lab is healthy again
#
# Every check passes: nothing this lesson broke was left broken.

# %%
results = lab_utils.run_checks(lab)
for result in results:
    print(result.line())
assert all(result.ok for result in results), "the lab is not healthy: see the ✗ lines"

# %% [markdown]
# ## Exercise
#
# Find out, with the registry, which version of `previsao_precos` the alias `champion`
# points to. Put the URI that loads that version by its **number** (not the alias) in
# `champion_uri`, and load the model with it into `fixed_model`.

# %% tags=["exercise"]
champion_uri = ...  # your code here
fixed_model = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `MlflowClient().get_model_version_by_alias("previsao_precos", "champion")` returns the
# version the alias points to; its `.version` goes into `models:/previsao_precos/<version>`,
# which `mlflow.pyfunc.load_model` loads.
#
# </details>

# %% tags=["solution"]
champion_version = client.get_model_version_by_alias("previsao_precos", "champion").version
champion_uri = f"models:/previsao_precos/{champion_version}"
fixed_model = mlflow.pyfunc.load_model(champion_uri)

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_uri, "Exercise"):
    from lab_utils.grading import lesson_09
    lesson_09.check_exercise(champion_uri, fixed_model)

# %% [markdown]
# ## Summary
#
# | symptom | likely cause | `lab doctor` line | check anywhere | fix |
# | --- | --- | --- | --- | --- |
# | connection refused / max retries | server down or wrong URI | ✗ tracking server | `curl …/health` | `make up`; `lab_utils.connect()` or `lab env` |
# | no error, runs missing from the UI | no tracking address: `./mlflow.db` | (nothing: the lab is fine) | `mlflow.get_tracking_uri()` | `MLFLOW_TRACKING_URI` or `set_tracking_uri` first |
# | `NoCredentialsError`, `SignatureDoesNotMatch` | missing or wrong S3 keys | ✗ object store keys | boto3 or `aws s3 ls --endpoint-url` | the lab's keys; prefer proxied artifacts |
# | `RESOURCE_DOES_NOT_EXIST` | wrong model name or version | ✓ model registry (so: the name) | `search_registered_models` | look names up |
# | `Unable to find a logged_model with artifact_path model` | registered under another name than logged | ✓ model registry | `search_logged_models` of the run | register `model_info.model_uri` |
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/) — where runs are recorded, and
#   the tracking URI
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Backend stores](https://mlflow.org/docs/latest/self-hosting/architecture/backend-store/) —
#   SQLite `mlflow.db` in the current folder as the default
# - [Artifact stores](https://mlflow.org/docs/latest/self-hosting/architecture/artifact-store/) —
#   proxied artifacts and the S3 variables
#
# ## Check your understanding
#
# 1. A colleague's training script "works" but its runs are not in the UI. What do you ask
#    them to print, and what answer confirms the cause?
# 2. `lab doctor` shows only ✓ lines, yet `register_model` fails. Which two causes of this
#    lesson fit, and how do you tell them apart?
# 3. Why do notebooks of this lab need no object-store keys to log artifacts, and when does
#    a client need them after all?
# 4. After a failed `register_model`, the name is in the registry with no version. Why?

# %% [markdown] tags=["solution"]
# 1. `mlflow.get_tracking_uri()`: an answer starting with `sqlite:` (or `file:`) means the
#    runs went to a local `mlflow.db` (or `mlruns/`) in the folder the script ran from; an
#    `mlflow.db` file there confirms it.
# 2. A wrong model name or version (`RESOURCE_DOES_NOT_EXIST`: look the names up), or a
#    `runs:/…/<name>` whose name is not the one the model was logged under (*Unable to find
#    a logged_model*: register `model_info.model_uri`). The message tells them apart.
# 3. The tracking server proxies artifacts (`mlflow-artifacts:/`): it writes to the store
#    with its own keys. A client needs keys when an experiment's artifact location is an
#    `s3://` address, because it then writes to the store itself.
# 4. `register_model` creates the registered model first, then looks for the model's
#    files; when that second step fails, the first is not undone.

# %% [markdown]
# Next: **10 · Capstone**.
