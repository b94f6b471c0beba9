# %% [markdown]
# # 09 · Troubleshooting
#
# The lab page lists three problems learners meet: a **connection error**, an **error
# saving artifacts**, and **models that do not appear in the registry**. This lesson
# causes each one on purpose, shows the exact error, what `lab doctor` says about it,
# and the fix — so that when it happens for real you recognise it at once. The lesson
# leaves the lab healthy: its last cell runs the doctor.
#
# **You will learn** to read MLflow's connection, storage and registry errors; to run
# `lab doctor` (in a terminal, or `lab_utils.run_checks` here); to fix each cause.
#
# **Time:** 20 minutes. **Prerequisites:** 00–04.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
wrong_port = 5999  # a port where no tracking server listens

# %%
import os

import mlflow
from mlflow import MlflowClient


def doctor_lines(*names, **kwargs):
    """The doctor's verdict on some checks, as `lab doctor` prints it."""
    for result in lab_utils.run_checks(lab, **kwargs):
        if result.name in names:
            print(result.line())


# %% [markdown]
# ## 1 · "Connection error": the tracking server cannot be reached
#
# A client pointed at the wrong address (a typo in the port, or a server that is not
# running) fails with a connection error. MLflow retries with back-off first (seven tries
# by default, over a minute); here we allow one quick try to see the error at once.

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
print(f"✓ {len(experiments)} experiments on {lab.tracking_uri}")

# %% [markdown]
# ## 2 · "Error saving artifacts": wrong or missing object-store keys
#
# The lab's server proxies artifacts, so notebooks need no keys. But an experiment can be
# created with an `s3://` artifact location: then the *client* writes to the object
# store directly, and needs the keys itself. We run that client as a separate Python
# process with the keys removed from its environment — as on a machine where they were
# never set. (A separate process, because MLflow caches its S3 client for the life of a
# process: after fixing keys, restart the kernel.)
#
# On a workshop lab, read this section through: the server keeps the store's keys and
# decides where artifacts go, so there is no `s3://` experiment to break (its cells say so).

# %%
import subprocess
import sys

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

# %%
if direct_to_s3:
    assert failed.returncode != 0 and "NoCredentialsError" in failed.stderr, failed.stderr[-300:]
    assert fixed.returncode == 0, fixed.stderr[-300:]
    stored = lab_utils.bucket_keys(lab, "direct-to-s3/")
    assert any(key.endswith("/note.txt") for key in stored), stored
    print(f"✓ without keys: NoCredentialsError; with them: the note is in s3://{lab.bucket}/direct-to-s3/")

# %% [markdown]
# ## 3 · "The model does not appear in the registry"
#
# Most often the name or the version is not what you think. The registry answers with
# `RESOURCE_DOES_NOT_EXIST`:

# %% tags=["raises-exception", "raises:RestException"]
mlflow.pyfunc.load_model("models:/previsao_preco/1")  # the name lacks its final "s"

# %% tags=["raises-exception", "raises:RestException"]
mlflow.pyfunc.load_model("models:/previsao_precos/999")

# %% [markdown]
# The doctor confirms the registry itself answers — so the problem is the name:

# %%
doctor_lines("model registry")

# %% [markdown]
# **Fix:** look the names and versions up instead of guessing; and check that
# `register_model` actually ran (it prints `Created version …`) against the same server.

# %%
client = MlflowClient()
for model in client.search_registered_models(filter_string="name LIKE 'previsao%'"):
    latest = max(int(v.version) for v in client.search_model_versions(f"name = '{model.name}'"))
    print(f"{model.name}: versions 1…{latest}, aliases {model.aliases}")

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
# points to, and load the model with that version number (not the alias). Put the loaded
# model in `fixed_model`.

# %% tags=["exercise"]
fixed_model = ...  # your code here

# %% tags=["solution"]
champion_version = client.get_model_version_by_alias("previsao_precos", "champion").version
fixed_model = mlflow.pyfunc.load_model(f"models:/previsao_precos/{champion_version}")

# %% tags=["check-exercise"]
if lab_utils.attempted(fixed_model, "Exercise"):
    expected = client.get_model_version_by_alias("previsao_precos", "champion")
    assert fixed_model.metadata.model_id == expected.model_id or fixed_model.metadata.run_id == expected.run_id
    print("✓ Exercise: the champion, loaded by its version number")

# %% [markdown]
# ## Summary
#
# | symptom | likely cause | `lab doctor` line | fix |
# | --- | --- | --- | --- |
# | connection refused / max retries | server down or wrong URI | ✗ tracking server | `make up`; `lab_utils.connect()` or `lab env` |
# | `NoCredentialsError`, `SignatureDoesNotMatch` | missing or wrong S3 keys | ✗ object store keys | the lab's keys; prefer proxied artifacts |
# | `RESOURCE_DOES_NOT_EXIST` | wrong model name or version | ✓ model registry (so: the name) | `search_registered_models` |
#
# Next: **10 · Capstone**.
