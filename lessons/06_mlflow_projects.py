# %% [markdown]
# # 06 · MLflow Projects
#
# A notebook is a fine place to explore and a poor thing to hand over: "run cells 3 to 17,
# but change alpha first" is not reproducible. An **MLflow Project** is a folder with an
# `MLproject` file that names its entry points, their typed parameters and the command
# to run, so that anyone — a colleague, a scheduler, CI — runs it the same way with
# `mlflow run`, and every run records where its code came from.
#
# **You will learn** the `MLproject` file; running a project from the command line and
# from Python; what a project run records (source, entry point, parameters, git commit);
# what happens to a parameter of the wrong type; reproducing a past run from its recorded parameters.
#
# **Time:** 25 minutes. **Prerequisites:** 01 · Basic tracking.

# %%
import lab_utils

lab = lab_utils.connect()

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

# %% [markdown]
# Each entry point declares its parameters with a type (`float`, `int`, `string`, `path`,
# `uri`) and a default; `{alpha}` in the command is replaced by the value given with `-P`.
# `python_env.yaml` describes the environment; with `--env-manager local` the project runs
# in the lab's own environment instead of building a new one.
#
# ## Running it from the command line

# %%
# !mlflow run {project} -e train -P alpha=0.3 -P l1_ratio=0.5 --env-manager local --experiment-name {experiment_name}

# %% [markdown]
# `mlflow run` created a run, logged the parameters, ran the command with
# `MLFLOW_RUN_ID` set, and the script's `mlflow.start_run()` joined that run. Let's find it.

# %%
import mlflow

cli_run = mlflow.search_runs(experiment_names=[experiment_name], filter_string="params.alpha = '0.3'",
                             order_by=["attributes.start_time DESC"], max_results=1, output_format="list")[0]
tags = cli_run.data.tags
for key in ("mlflow.source.name", "mlflow.project.entryPoint", "mlflow.source.type",
            "mlflow.project.env", "mlflow.source.git.commit"):
    print(f"{key:<28} {tags.get(key, '(not recorded: the project is not in a git checkout)')}")

# %% [markdown]
# ### Checkpoint
# The run holds its parameters, metrics, model, and the project's provenance.

# %%
checked = lab_utils.assert_run_logged(
    cli_run.info.run_id, params={"alpha": "0.3", "l1_ratio": "0.5"}, metrics=["rmse", "r2"],
    tags={"mlflow.project.entryPoint": "train", "mlflow.source.type": "PROJECT"})
if (lab_utils.REPO_ROOT / ".git").exists():
    assert "mlflow.source.git.commit" in tags, "no git commit recorded"

# %% [markdown]
# ## Running it from Python
#
# `mlflow.projects.run` does the same from code and returns the submitted run.

# %%
submitted = mlflow.projects.run(
    str(project), entry_point="train", parameters={"alpha": 0.8, "l1_ratio": 0.2},
    env_manager="local", experiment_name=experiment_name,
)
print(submitted.run_id, submitted.get_status())

# %% [markdown]
# The second entry point validates a trained run against a maximum RMSE; its exit code
# says whether the model passed.

# %%
validation = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": submitted.run_id, "max_rmse": 25000},
    env_manager="local", experiment_name=experiment_name,
)
validated = mlflow.get_run(validation.run_id)
print(validated.data.tags["validation_passed"], round(validated.data.metrics["validated_rmse"]))

# %%
checked = lab_utils.assert_run_logged(submitted.run_id, params={"alpha": "0.8"}, metrics=["rmse"])
checked = lab_utils.assert_run_logged(validation.run_id, tags={"validated_run_id": submitted.run_id,
                                                               "validation_passed": "true"})

# %% [markdown]
# ## A parameter of the wrong type
#
# `alpha` is declared `float` in `MLproject`, but MLflow hands the value to the command as
# given: `train.py`'s own argument parser (`type=float`) refuses it, the run is recorded as
# FAILED, and `mlflow.projects.run` raises an `ExecutionException` (this cell is expected to
# fail; the parser's message is in the output above the error). Declare types in both
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
# Everything needed to re-run is on the server: the project, the entry point, the
# parameters (and the git commit, to check out the same code). Re-run the CLI run from
# its record and compare.

# %%
record = mlflow.get_run(cli_run.info.run_id)
again = mlflow.projects.run(
    record.data.tags["mlflow.source.name"], entry_point=record.data.tags["mlflow.project.entryPoint"],
    parameters=record.data.params, env_manager="local", experiment_name=experiment_name,
)
reproduced = mlflow.get_run(again.run_id)

# %% tags=["nbval-check-output"]
for key in ("rmse", "r2"):
    print(f"{key}: original {record.data.metrics[key]:.4f}  reproduced {reproduced.data.metrics[key]:.4f}")
assert record.data.params == reproduced.data.params
assert abs(record.data.metrics["rmse"] - reproduced.data.metrics["rmse"]) < 1e-6

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Run the `train` entry point from Python with `alpha=0.05` and `l1_ratio=0.95`, then the
# `validate` entry point on that run with `max_rmse=16000`. Put the validation run's id in
# `exercise_validation_id`.

# %% tags=["exercise"]
exercise_validation_id = ...  # your code here

# %% tags=["solution"]
trained = mlflow.projects.run(str(project), entry_point="train",
                              parameters={"alpha": 0.05, "l1_ratio": 0.95},
                              env_manager="local", experiment_name=experiment_name)
exercise_validation_id = mlflow.projects.run(
    str(project), entry_point="validate", parameters={"run_id": trained.run_id, "max_rmse": 16000},
    env_manager="local", experiment_name=experiment_name, synchronous=True,
).run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_validation_id, "Exercise 1"):
    run = lab_utils.assert_run_logged(exercise_validation_id, tags=["validated_run_id"],
                                      metrics=["validated_rmse"])
    trained_run = mlflow.get_run(run.data.tags["validated_run_id"])
    assert trained_run.data.params.get("alpha") == "0.05", "the validated run was not trained with alpha=0.05"
    print(f"✓ Exercise 1: validation_passed={run.data.tags['validation_passed']}")

# %% [markdown]
# ## Summary
#
# - `MLproject` names entry points, typed parameters and commands; `mlflow run` and
#   `mlflow.projects.run` execute them and log a run with its provenance.
# - A wrong value fails the run (recorded as FAILED) and raises `ExecutionException`.
# - The server's record (source, entry point, parameters, commit) is enough to reproduce.
#
# Next: **07 · Prefect pipelines**: the same training inside an orchestrated flow.
