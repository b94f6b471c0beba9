# %% [markdown]
# # 06 · MLflow Projects
#
# A notebook is a fine place to explore and a poor thing to hand over: "run cells 3 to 17,
# but change alpha first" is not reproducible. An **MLflow Project** is a folder with an
# `MLproject` file that names its entry points, their parameters and the command to run,
# so that anyone — a colleague, a scheduler, CI — runs it the same way with `mlflow run`,
# and every run records where its code came from.
#
# **You will learn** the `MLproject` file and its parameter types; running a project from
# the command line and from Python; what a project run records (source, entry point,
# parameters, git commit) and what it does not; what happens to a parameter of the wrong
# type; reproducing a past run from the commit it recorded.
#
# **Time:** 30 minutes. **Prerequisites:** 01 · Basic tracking.
#
# **On the map** (lesson 00): runs started from a project, on the same server.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
experiment_name = "projetos_mlflow"

# %% [markdown]
# ## The project
#
# `projects/house_prices/` in this repository holds the project: two Python scripts and
# the `MLproject` file that describes them.

# %%
project = lab_utils.REPO_ROOT / "projects" / "house_prices"
print((project / "MLproject").read_text())

# Errors in this lesson are shown short: the exception and its message, without the
# library's stack of calls (`%xmode Context` brings the full traceback back).
# %xmode Minimal

# %% [markdown]
# Each entry point declares its parameters with a type and a default; `{alpha}` in the
# command is replaced by the value given with `-P`. The documented types are `string`,
# `float`, `path` and `uri` (a parameter without a type is a `string`). MLflow acts on two
# of them: a `path` is made absolute (a remote one is downloaded first) and a `uri` must
# look like one. `string` and `float` document intent: MLflow passes the value through
# unchecked, as a section below shows.
#
# `train` fits on the training set and logs its score on the **validation** set; `validate`
# is a gate — it passes a trained run only if its validation RMSE is low enough, and
# scores a model that passed on the **test** set, once. A decision (pass or not) reads
# validation data, so the test score stays an honest estimate of the model you ship.
#
# `python_env.yaml` describes the environment for a run that builds a fresh one
# (`--env-manager virtualenv` or `uv`). It names no Python version: MLflow then uses the
# Python that runs `mlflow run`, so the file works with each Python the lab supports
# (3.10 to 3.13). With `--env-manager local`, as here, the project runs in the lab's own
# environment and the file is not used.

# %%
print((project / "python_env.yaml").read_text())

# %% [markdown]
# ## Running it from the command line
#
# `MLFLOW_LOGGING_LEVEL=WARNING` keeps MLflow's own progress lines out of the output (one
# of them names a temporary folder of this machine); what remains is the script's output.
# Each project run starts new Python processes that import MLflow and scikit-learn, then
# fits and logs a model: about 10 seconds each on an idle machine, more on a busy one.

# %%
# !MLFLOW_LOGGING_LEVEL=WARNING mlflow run {project} -e train -P alpha=0.3 -P l1_ratio=0.5 --env-manager local --experiment-name {experiment_name}

# %% [markdown]
# `mlflow run` created a run, logged the parameters, ran the command with
# `MLFLOW_RUN_ID` set, and the script's `mlflow.start_run()` joined that run. Let's find it
# and read what it recorded about its origin.

# %%
import mlflow

cli_run = mlflow.search_runs(experiment_names=[experiment_name], filter_string="params.alpha = '0.3'",
                             order_by=["attributes.start_time DESC"], max_results=1, output_format="list")[0]
tags = cli_run.data.tags
# The source is a file URI of this repository plus the project's folder: show the folder only.
source = tags["mlflow.source.name"].replace(lab_utils.REPO_ROOT.as_uri(), "file://<repository>")
not_set = {"mlflow.project.env": "(not set: with --env-manager local MLflow builds no environment)",
           "mlflow.source.git.commit": "(not recorded: the project is not in a git checkout)"}
print(f"{'mlflow.source.name':<28} {source}")
for key in ("mlflow.project.entryPoint", "mlflow.source.type", "mlflow.project.env",
            "mlflow.source.git.commit"):
    print(f"{key:<28} {tags.get(key, not_set.get(key, '(not recorded)'))}")

# %% [markdown]
# `mlflow.project.env` names the environment MLflow built for the run (`virtualenv`, `uv`,
# `conda` or `docker`); `--env-manager local` builds none, so the tag is absent. The git
# commit is the `HEAD` of the checkout the project sits in. Changes not committed yet are
# **not** in that commit, and MLflow does not say whether there were any: commit before a
# run you may need to reproduce. This cell asks git:

# %%
import subprocess

uncommitted = subprocess.run(["git", "-C", str(lab_utils.REPO_ROOT), "status", "--porcelain", "--",
                              "projects/house_prices", "lab_utils"],
                             capture_output=True, text=True, check=True).stdout.split("\n")
uncommitted = [line[3:] for line in uncommitted if line]
print("uncommitted changes to the project or lab_utils:", uncommitted or "none")

# %% [markdown]
# ### Checkpoint
# The run holds its parameters, metrics, model, and the project's provenance.

# %%
checked = lab_utils.assert_run_logged(
    cli_run.info.run_id, params={"alpha": "0.3", "l1_ratio": "0.5"},
    metrics=["validation_rmse", "validation_r2"],
    tags={"mlflow.project.entryPoint": "train", "mlflow.source.type": "PROJECT"})
if (lab_utils.REPO_ROOT / ".git").exists():
    assert "mlflow.source.git.commit" in tags, "no git commit recorded"

# %% [markdown]
# ## Running it from Python
#
# `mlflow.projects.run` does the same from code and returns the submitted run. Its log
# lines show the command it ran; the one that names a temporary folder is turned off here.

# %%
import logging

# "Created directory /tmp/... for downloading remote URIs": only `path` parameters use it.
logging.getLogger("mlflow.projects.utils").setLevel(logging.WARNING)

submitted = mlflow.projects.run(
    str(project), entry_point="train", parameters={"alpha": 0.8, "l1_ratio": 0.2},
    env_manager="local", experiment_name=experiment_name,
)
print(submitted.run_id, submitted.get_status())

# %% [markdown]
# The second entry point validates a trained run against a maximum validation RMSE. Its
# verdict is a tag, `validation_passed` (`true` or `false`), and a model that passed also
# gets its test RMSE. The run ends FINISHED either way: rejecting a model is the gate doing
# its job, a decision, not an error. A FAILED run (the command exits non-zero and
# `mlflow.projects.run` raises `ExecutionException`) means the validation could not be
# done — a run id that does not exist, a model that does not load, a parameter of the
# wrong type, as the next section shows. Keep the two apart: a scheduler that reads exit
# codes retries failures and alerts on them, and a rejection hidden among crashes is lost.

# %%
validation = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": submitted.run_id, "max_rmse": 16000},
    env_manager="local", experiment_name=experiment_name,
)
validated = mlflow.get_run(validation.run_id)

# %% tags=["nbval-check-output"]
print("status:", validated.info.status, "· passed:", validated.data.tags["validation_passed"])
print({key: round(value) for key, value in sorted(validated.data.metrics.items())})

# %%
checked = lab_utils.assert_run_logged(submitted.run_id, params={"alpha": "0.8"}, metrics=["validation_rmse"])
checked = lab_utils.assert_run_logged(validation.run_id, metrics=["validation_rmse", "test_rmse"],
                                      tags={"validated_run_id": submitted.run_id, "validation_passed": "true"})

# %% [markdown]
# The validation and test RMSEs above can differ by thousands of CAD, and that alone is no
# alarm: they are measured on 103 validation and 137 test houses, and lesson 02's bootstrap showed
# a test RMSE's 95% interval several thousand CAD wide. Add the small optimism of a number
# that took part in a decision (the gate read the validation RMSE), and a gap of that size
# is within what two draws of houses can give; to know it for this model, bootstrap its own
# test RMSE as lesson 02 did. The `max_rmse` gate itself is a line with no margin: a
# model just under it and one just over it are, on this data, the same model.

# %% [markdown]
# ## A parameter of the wrong type
#
# `alpha` is declared `float` in `MLproject`, but MLflow checks only that every parameter
# without a default has a value, and hands the value to the command as given:
# `train.py`'s own argument parser (`type=float`) refuses it, the run is recorded as
# FAILED, and `mlflow.projects.run` raises an `ExecutionException` (this cell is expected
# to fail; the parser's message is in the output above the error). Declare types in both
# places: `MLproject` documents them, the script enforces them.

# %% tags=["raises-exception", "raises:ExecutionException"]
mlflow.projects.run(str(project), entry_point="train", parameters={"alpha": "a lot"},
                    env_manager="local", experiment_name=experiment_name)

# %% [markdown]
# An unknown entry point is refused the same way, with the list of the ones that exist:

# %% tags=["raises-exception", "raises:ExecutionException"]
mlflow.projects.run(str(project), entry_point="deploy", env_manager="local", experiment_name=experiment_name)

# %% [markdown]
# ## Reproducing a past run
#
# The server holds the project's folder, the entry point, the parameters and the commit
# the checkout was at. Re-running `mlflow.source.name` would run *today's* files, which
# may have changed since. To run the recorded code, clone the repository into a
# temporary folder, check out the recorded commit, and run the project there.
# `train.py` imports `lab_utils`, so `PYTHONPATH` points at the clone's copy of it too.
#
# For a project on a git server, `mlflow run <git URL> --version <commit>` does the clone
# and checkout for you. Do not pass `version=` with a local folder: MLflow would check
# the commit out in your own working copy. The environment stays today's
# (`--env-manager local`); pinning it is what `python_env.yaml` and a fresh environment are for.

# %%
import os
import shutil
import tempfile

import numpy as np

record = mlflow.get_run(cli_run.info.run_id)
commit = record.data.tags["mlflow.source.git.commit"]
folder = record.data.tags["mlflow.source.name"].partition("#")[2]  # projects/house_prices
checkout = tempfile.mkdtemp(prefix="reproduce-")
try:
    subprocess.run(["git", "clone", "--quiet", str(lab_utils.REPO_ROOT), checkout], check=True)
    subprocess.run(["git", "-C", checkout, "checkout", "--quiet", commit], check=True)
    os.environ["PYTHONPATH"] = checkout
    again = mlflow.projects.run(os.path.join(checkout, folder),
                                entry_point=record.data.tags["mlflow.project.entryPoint"],
                                parameters=record.data.params, env_manager="local",
                                experiment_name=experiment_name)
finally:
    os.environ.pop("PYTHONPATH", None)
    shutil.rmtree(checkout, ignore_errors=True)
reproduced = mlflow.get_run(again.run_id)
print("reproduced from commit", reproduced.data.tags["mlflow.source.git.commit"][:12])

# %% [markdown]
# ### Checkpoint
# The new run ran the recorded commit with the recorded parameters, and got the same scores.

# %% tags=["nbval-check-output"]
assert reproduced.data.tags["mlflow.source.git.commit"] == commit
assert record.data.params == reproduced.data.params
for key in ("validation_rmse", "validation_r2"):
    print(f"{key}: original {lab_utils.format_number(record.data.metrics[key], 4)}  "
          f"reproduced {lab_utils.format_number(reproduced.data.metrics.get(key, float('nan')), 4)}")
assert abs(record.data.metrics["validation_rmse"] - reproduced.data.metrics.get("validation_rmse", np.nan)) < 1e-6, (
    "the recorded commit does not give the original scores: was the project changed without a commit "
    f"when the original run ran? Uncommitted now: {uncommitted or 'none'}")

# %% [markdown]
# > **Where things stand in practice.** A project gives a run a reproducible entry point:
# > typed parameters, an environment, the git commit, and backends that run it elsewhere
# > (local, Databricks, a Kubernetes Job: MLflow's "MLflow Projects" docs). A container image
# > and an orchestrator give the same guarantees — the image pins the environment, the
# > orchestrator passes the parameters, schedules, retries and keeps the history (Prefect's
# > deployments in lesson 07; Airflow, Kubernetes Jobs) — and MLflow then keeps only the
# > tracking and the registry; lesson 05 part 2 builds such an image for serving. Projects stay
# > handy for handing someone a one-command reproduction of a run, as this lesson does, and
# > for the `mlflow run` of a repository you do not own.

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Run the project's `train` entry point with `alpha=0.05` and `l1_ratio=0.95`, then its
# `validate` entry point on that run with `max_rmse=15000`, both in the lesson's experiment
# (`experiment_name`), from Python or with `mlflow run`. Put the validation run's id in
# `exercise_validation_id`. The check reads both runs and recomputes the validation RMSE
# and the verdict.

# %% tags=["exercise"]
exercise_validation_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Call `mlflow.projects.run(str(project), entry_point=..., parameters={...}, env_manager="local",
# experiment_name=experiment_name)` twice; the first call returns a `SubmittedRun` whose
# `run_id` is the `run_id` parameter of `validate`.
#
# </details>

# %% tags=["solution"]
trained = mlflow.projects.run(str(project), entry_point="train",
                              parameters={"alpha": 0.05, "l1_ratio": 0.95},
                              env_manager="local", experiment_name=experiment_name)
exercise_validation_id = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": trained.run_id, "max_rmse": 15000},
    env_manager="local", experiment_name=experiment_name,
).run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_validation_id, "Exercise 1"):
    from lab_utils.grading import lesson_06
    lesson_06.check_exercise_1(exercise_validation_id, experiment_name)

# %% [markdown]
# ## Summary
#
# - `MLproject` names entry points, parameters (documented types `string`, `float`, `path`,
#   `uri`) and commands; `mlflow run` and `mlflow.projects.run` execute them and log a run
#   with its provenance.
# - MLflow does not check a `float`: the script must; a wrong value fails the run (recorded
#   as FAILED) and raises `ExecutionException`.
# - A gate's verdict is a tag on a FINISHED run (`validation_passed=false` for a rejected
#   model); FAILED means the gate itself could not run.
# - The record (folder, entry point, parameters, commit) lets you re-run the same code from
#   a checkout of the commit; uncommitted changes are not in it, and the environment is
#   up to you.
#
# ## Further reading
#
# - MLflow documentation: https://mlflow.org/docs/latest/
# - Tracking: https://mlflow.org/docs/latest/ml/tracking/
# - Models: https://mlflow.org/docs/latest/ml/model/
# - Model Registry: https://mlflow.org/docs/latest/ml/model-registry/
# - MLflow Projects (the `MLproject` file, parameters, environments, `mlflow run`):
#   https://mlflow.org/docs/latest/ml/projects/
# - `mlflow.projects.run`: https://mlflow.org/docs/latest/api_reference/python_api/mlflow.projects.html
# - The `mlflow run` command: https://mlflow.org/docs/latest/api_reference/cli.html
#
# ## Check your understanding
#
# 1. `MLproject` declares `alpha` as `float`. What does MLflow do when you pass `-P alpha=abc`,
#    and what stops the run?
# 2. A run shows no `mlflow.project.env` tag but has a `mlflow.source.git.commit`. Why?
# 3. You edited `train.py`, did not commit, and ran the project. What does the recorded
#    commit let you reproduce?
# 4. Why does `validate` gate on the validation set and score the test set only afterwards?

# %% [markdown] tags=["solution"]
# 1. Nothing: MLflow checks only that parameters without a default have a value, and
#    substitutes `abc` into the command. `train.py`'s `argparse` (`type=float`) refuses it;
#    the run is FAILED and `mlflow.projects.run` raises `ExecutionException`.
# 2. The project ran with `--env-manager local`: MLflow built no environment, so it sets
#    no `mlflow.project.env`; the commit is the `HEAD` of the git checkout the project is in.
# 3. Only the code as it was at that commit, without your edit: MLflow records `HEAD` and
#    does not record uncommitted changes. Commit before a run you may need to reproduce.
# 4. Passing the gate is a decision; a score used to decide is optimistic for the chosen
#    model. The test set, seen by no decision, gives an honest estimate, reported once.

# %% [markdown]
# Next: **07 · Prefect pipelines**: the same training inside an orchestrated flow.
