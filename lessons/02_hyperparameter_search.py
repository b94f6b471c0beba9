# %% [markdown]
# # 02 · Hyperparameter search and comparing runs
#
# A grid search tries many parameter combinations; without tracking, all you keep is the
# winner. This lesson runs the DataFlow Lab page's GridSearchCV example as written, then improves
# it: one parent run for the search, one child run per candidate with its cross-validation
# scores, the chosen model scored once on test data, and the comparison drawn as plots —
# then lets MLflow's autologging do the same and compares the two, and runs the same
# search with Optuna, one child run per trial.
#
# **You will learn** nested runs; logging cross-validation results (mean and spread over
# the folds); training, CV and test metrics side by side; `mlflow.sklearn.autolog` for
# searches (`max_tuning_runs`); an Optuna study tracked in MLflow; comparing runs with
# `search_runs`, plots, and the UI's Compare view.
#
# **Time:** 40 minutes. **Prerequisites:** 01 · Basic tracking.
#
# **On the map** (lesson 00): runs (a parent and its child runs) in one experiment.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
cv_folds = 5
n_bootstrap = 1000  # resamples of the test houses for the interval
max_tuning_runs = 5  # child runs autolog keeps (the best ones)
n_trials = 10  # Optuna trials

# %%
import mlflow
import numpy as np
from sklearn.linear_model import ElasticNet

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
mlflow.set_experiment("meu_experimento")
model = ElasticNet(max_iter=10_000)

# %% [markdown]
# ## The DataFlow Lab page's example, as written
#
# `model`, `X_train` and `y_train` come from the cell above; the rest is the example.

# %%
from sklearn.model_selection import GridSearchCV
import mlflow.sklearn

# Definir grade de parâmetros
param_grid = {
    'alpha': [0.1, 0.5, 1.0],
    'l1_ratio': [0.1, 0.5, 0.9]
}

# Configurar grid search
grid_search = GridSearchCV(model, param_grid, cv=5, scoring='neg_mean_squared_error')

# Executar com rastreamento MLflow
with mlflow.start_run(run_name="grid_search"):
    grid_search.fit(X_train, y_train)

    # Registrar melhor modelo
    mlflow.log_params(grid_search.best_params_)
    mlflow.log_metric("best_score", grid_search.best_score_)
    mlflow.sklearn.log_model(grid_search.best_estimator_, "best_model")

# %% tags=["nbval-check-output"]
print("candidates tried:", len(grid_search.cv_results_["params"]))
print("best:", grid_search.best_params_)
print(f"best CV RMSE: {lab_utils.format_number(np.sqrt(-grid_search.best_score_))} CAD")

# %% [markdown]
# The `artifact_path` warning is the one lesson 01 explained: MLflow 3 wants `name=`. The
# cell is slow for the reason lesson 01 gave: `log_model` starts a second Python process to
# find the model's requirements (10 to 30 s, depending on how busy the machine is).
#
# The run keeps the winner, but the other eight candidates — and how close they came —
# are lost. `best_score` is a negative MSE (scikit-learn maximises scores), which reads
# badly on a dashboard; and nothing says how the model does on data it never saw.
#
# The search *chooses* with cross-validation: each candidate is trained on four fifths of
# `X_train` and scored on the fifth it did not see, five times over. The test houses
# (`X_test`) take no part in the choice, so we score the chosen model on them once, at
# the end: that score is an honest estimate because no decision has used it.
#
# ## One parent run, one child run per candidate
#
# `mlflow.start_run(nested=True)` inside an open run creates a child run. The UI shows
# children folded under their parent, and `tags.mlflow.parentRunId` finds them in a search.
#
# `cv_results_` holds each candidate's score on every fold (`split0_test_score`, …), as a
# negative MSE. `cv_rmse` is the square root of the mean fold MSE (the number
# `best_score_` ranks by); `cv_rmse_std` is the spread of the five per-fold RMSEs, which
# says how much the score depends on which houses fell in which fold. (The square root of
# `std_test_score` would not be that: it is the spread of the MSEs, in CAD².)
#
# The cell takes a while: nine child runs, then `log_model` finding its requirements.

# %%
import warnings

from sklearn.metrics import mean_squared_error, r2_score


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(mean_squared_error(y_true, y_pred)))


grid_search = GridSearchCV(model, param_grid, cv=cv_folds, scoring="neg_mean_squared_error",
                           return_train_score=True)

with mlflow.start_run(run_name="grid_search_nested",
                      description="ElasticNet grid search: one child run per candidate") as parent:
    grid_search.fit(X_train, y_train)
    results = grid_search.cv_results_
    for i, candidate in enumerate(results["params"]):
        with mlflow.start_run(run_name=f"candidate_{i}", nested=True):
            mlflow.log_params(candidate)
            # One RMSE per fold, from the fold's negative MSE: their spread is cv_rmse_std.
            fold_rmse = np.sqrt(-np.array([results[f"split{k}_test_score"][i]
                                           for k in range(grid_search.n_splits_)]))
            mlflow.log_metrics({
                "cv_rmse": float(np.sqrt(-results["mean_test_score"][i])),  # √(mean fold MSE), as best_score_
                "cv_rmse_std": float(fold_rmse.std()),  # spread of the per-fold RMSE
                "train_rmse": float(np.sqrt(-results["mean_train_score"][i])),
                "rank": int(results["rank_test_score"][i]),
            })

    best = grid_search.best_estimator_
    mlflow.log_params({f"best_{k}": v for k, v in grid_search.best_params_.items()})
    mlflow.log_params({"cv_folds": cv_folds, "grid_size": len(results["params"])})
    # Training, cross-validation (the choice) and test (reported once, after it) side by side.
    mlflow.log_metrics({
        "train_rmse": rmse(y_train, best.predict(X_train)),
        "cv_rmse": float(np.sqrt(-grid_search.best_score_)),
        "test_rmse": rmse(y_test, best.predict(X_test)),
        "test_r2": r2_score(y_test, best.predict(X_test)),
    })
    with warnings.catch_warnings():  # the integer-columns hint, explained in lesson 01
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        best_info = mlflow.sklearn.log_model(best, name="best_model", input_example=X_train.head(3))

print("parent run:", lab_utils.run_url(lab, parent))

# %% [markdown]
# ### Checkpoint
# The parent holds the three kinds of metric and the model; it has one child per candidate.

# %%
from mlflow import MlflowClient

client = MlflowClient()
checked = lab_utils.assert_run_logged(
    parent.info.run_id, metrics=["train_rmse", "cv_rmse", "test_rmse"],
    params={"grid_size": 9})
children = client.search_runs([parent.info.experiment_id],
                              f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
assert len(children) == 9, f"{len(children)} child runs on the server, expected 9"
assert all({"alpha", "l1_ratio"} <= set(c.data.params) and "cv_rmse" in c.data.metrics for c in children)
print(f"✓ {len(children)} child runs, each with its parameters and CV scores")
best_model_files = lab_utils.assert_model_in_bucket(lab, best_info.model_id)

# %% [markdown]
# ## Comparing the candidates
#
# `mlflow.search_runs` returns the children as a DataFrame: from there, any plot. A heatmap
# of the CV error over the grid shows the landscape; a line per `l1_ratio` shows the
# effect of `alpha`. Both are logged on the parent run, where the next reader will look.

# %%
import matplotlib.pyplot as plt

candidates = mlflow.search_runs([parent.info.experiment_id],
                                filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'")
candidates["alpha"] = candidates["params.alpha"].astype(float)
candidates["l1_ratio"] = candidates["params.l1_ratio"].astype(float)
landscape = candidates.pivot_table(index="l1_ratio", columns="alpha", values="metrics.cv_rmse")

heatmap, ax = plt.subplots(figsize=(5, 3.5))
image = ax.imshow(landscape.values, cmap="viridis_r")
ax.set_xticks(range(len(landscape.columns)), landscape.columns)
ax.set_yticks(range(len(landscape.index)), landscape.index)
ax.set(xlabel="alpha", ylabel="l1_ratio", title="CV RMSE over the grid (CAD)")
for (row, col), value in np.ndenumerate(landscape.values):
    ax.text(col, row, lab_utils.format_number(value), ha="center", va="center", color="white", fontsize=8)
heatmap.colorbar(image)

lines, ax = plt.subplots(figsize=(5, 3.5))
for l1_ratio, group in candidates.sort_values("alpha").groupby("l1_ratio"):
    ax.plot(group["alpha"], group["metrics.cv_rmse"], marker="o", label=f"l1_ratio={l1_ratio}")
ax.set(xlabel="alpha", ylabel="CV RMSE (CAD)", title="CV error against alpha")
ax.legend()

with mlflow.start_run(run_id=parent.info.run_id):
    mlflow.log_figure(heatmap, "comparison/cv_rmse_heatmap.png")
    mlflow.log_figure(lines, "comparison/cv_rmse_by_alpha.png")
plt.show()

# %% tags=["nbval-check-output"]
print(landscape.round(0).astype(int).to_string())

# %% [markdown]
# ## How noisy is one score?
#
# The heatmap ranks nine candidates, but a ranking is only as good as the scores under it,
# and every score is a measurement on a sample of houses. Three habits tell signal from noise:
#
# - **The fold spread.** Each candidate's `cv_rmse_std` is how much its RMSE moved from one
#   fold of houses to the next. Two candidates whose CV scores differ by much less than that
#   spread are tied, as far as this data can tell.
# - **An interval on the test score.** Resampling the test houses with replacement (a
#   *bootstrap*) and recomputing the RMSE each time shows how much the one test score would
#   move on another draw of houses: report the interval, not only the number.
# - **A gate with a margin.** A challenger replaces the champion only when it is better by
#   more than the noise — say, by more than the fold spread — not by any amount at all.
#
# One more sign to read: when the best value of a parameter sits at the **edge of the grid**,
# the search has not bracketed the optimum; widen the grid in that direction before trusting it.

# %%
ranked = candidates.sort_values("metrics.cv_rmse")
best_run, runner_up = ranked.iloc[0], ranked.iloc[1]
gap = runner_up["metrics.cv_rmse"] - best_run["metrics.cv_rmse"]
print(f"best candidate: CV RMSE {lab_utils.format_number(best_run['metrics.cv_rmse'])} CAD, spread across folds "
      f"{lab_utils.format_number(best_run['metrics.cv_rmse_std'])}; the runner-up is {lab_utils.format_number(gap)} CAD behind")

errors = (y_test.to_numpy() - best.predict(X_test)) ** 2
resampled = np.random.default_rng(lab_utils.SEED).integers(0, len(errors), (n_bootstrap, len(errors)))
bootstrap_rmse = np.sqrt(errors[resampled].mean(axis=1))
low, high = np.percentile(bootstrap_rmse, [2.5, 97.5])
print(f"test RMSE {lab_utils.format_number(rmse(y_test, best.predict(X_test)))} CAD; 95% bootstrap interval "
      f"{lab_utils.format_number(low)}–{lab_utils.format_number(high)} over {len(errors)} test houses")

for name, values in param_grid.items():
    chosen = grid_search.best_params_[name]
    where = "at the low edge" if chosen == min(values) else "at the high edge" if chosen == max(values) else "inside"
    print(f"best {name} = {chosen}: {where} of the grid {values}")

# %% [markdown]
# Read the three lines together: the winner's lead over the runner-up is small next to the
# fold spread, so the top candidates are practically tied on this data; the test score is
# honest but not precise — its interval is thousands of CAD wide; and a best value at an
# edge of the grid says the search should look further that way. Lessons 04, 07 and 10 gate
# promotions on validation scores: keep this box in mind when a model passes a threshold by
# less than these spreads.

# %% [markdown]
# ## Comparing in the UI
#
# 1. Open the MLflow UI at http://localhost:5000, switch the toggle at the top left from
#    **GenAI** to **Model training**, and choose **Experiments**. (GenAI mode shows traces
#    and prompts of GenAI apps, lesson 11's subject; runs and their comparison are in Model training.)
# 2. Click **meu_experimento**. The runs table lists `grid_search_nested`; its nine
#    `candidate_*` children unfold under it. To see only them, type
#    `attributes.run_name LIKE 'candidate_%'` in the search box and press Enter.
# 3. Tick the checkboxes of the runs you want to compare (for example three candidates):
#    a **Compare** button appears above the table.
# 4. Click **Compare**: a page with a parallel-coordinates plot of `alpha`, `l1_ratio` and
#    the metrics, scatter and contour plots, and the runs' parameters and metrics side by side.
#
# Lesson 08 shows screenshots of each step, taken from this lab.
#
# ## Let MLflow do it: autolog for searches
#
# `mlflow.sklearn.autolog` knows `GridSearchCV`: it opens a parent run, logs the best
# parameters and model, the full `cv_results` as a CSV artifact, and child runs for the
# `max_tuning_runs` best candidates. As in lesson 01, a score computed on the fitted
# search while autolog is on is logged too, named after the variable it was given. The
# cell is the slowest of the lesson: autolog logs two models (the search and its best
# estimator), and each `log_model` works out its requirements.

# %%
mlflow.sklearn.autolog(max_tuning_runs=max_tuning_runs, log_input_examples=True, silent=True)
with mlflow.start_run(run_name="grid_search_autolog") as auto_parent:
    auto_search = GridSearchCV(model, param_grid, cv=cv_folds, scoring="neg_mean_squared_error")
    auto_search.fit(X_train, y_train)
    auto_search.score(X_test, y_test)  # -> GridSearchCV_score_X_test, a negative MSE
mlflow.sklearn.autolog(disable=True)

auto_children = client.search_runs([auto_parent.info.experiment_id],
                                   f"tags.mlflow.parentRunId = '{auto_parent.info.run_id}'")
auto_files = [f.path for f in client.list_artifacts(auto_parent.info.run_id)]
auto_metrics = client.get_run(auto_parent.info.run_id).data.metrics
print(f"autolog: {len(auto_children)} child runs, artifacts {sorted(auto_files)}")
print("         metrics on X_test:", sorted(k for k in auto_metrics if k.endswith("X_test")))
print(f"by hand: {len(children)} child runs, plus the test score and comparison plots")

# %% [markdown]
# | | by hand | autolog |
# | --- | --- | --- |
# | child runs | every candidate | the `max_tuning_runs` best |
# | CV results | as metrics per child | `cv_results.csv` artifact, plus child metrics |
# | test score | yes, named as you choose (`test_rmse`) | only if you score the fitted search while autolog is on: `search.score(X_test, y_test)` → `GridSearchCV_score_X_test` (a negative MSE here), named after your variable, not its role |
# | code | ~20 lines | one call |
#
# Autolog cannot know that `X_test` holds test houses, nor that the choice was made on
# CV: it names the score after the variable and tags that data set `eval`.
#
# ### Checkpoint

# %%
assert len(auto_children) == min(max_tuning_runs, 9), f"{len(auto_children)} autolog child runs"
assert "cv_results.csv" in auto_files, f"no cv_results.csv among {auto_files}"
assert "GridSearchCV_score_X_test" in auto_metrics, f"no test score among {sorted(auto_metrics)}"
print(f"✓ autolog made {len(auto_children)} child runs, cv_results.csv and GridSearchCV_score_X_test")

# %% [markdown]
# ## The same search with Optuna
#
# A grid tries every combination it is given, however bad its neighbours scored. Optuna
# searches ranges instead: each *trial* asks a sampler for parameters (here TPE, which
# proposes values near the trials that scored well so far), scores them, and reports back.
# Ten trials over `alpha` from 0.01 to 2 (on a log scale) and `l1_ratio` from 0.1 to 0.9,
# scored with the same 5-fold CV as the grid. MLflow sees plain Python: the objective
# opens one child run per trial inside the study's parent run.

# %% tags=["nbval-check-output"]
import optuna
from sklearn.model_selection import cross_val_score

optuna.logging.set_verbosity(optuna.logging.WARNING)  # no log line per trial


def objective(trial: optuna.Trial) -> float:
    params = {"alpha": trial.suggest_float("alpha", 0.01, 2.0, log=True),
              "l1_ratio": trial.suggest_float("l1_ratio", 0.1, 0.9)}
    with mlflow.start_run(run_name=f"trial_{trial.number}", nested=True):
        mlflow.log_params(params)
        scores = cross_val_score(ElasticNet(max_iter=10_000, **params), X_train, y_train,
                                 cv=cv_folds, scoring="neg_mean_squared_error")
        cv_rmse = float(np.sqrt(-scores.mean()))
        mlflow.log_metrics({"cv_rmse": cv_rmse, "cv_rmse_std": float(np.sqrt(-scores).std())})
    return cv_rmse


study = optuna.create_study(direction="minimize", sampler=optuna.samplers.TPESampler(seed=lab_utils.SEED))
with mlflow.start_run(run_name="optuna_search") as optuna_parent:
    study.optimize(objective, n_trials=n_trials)
    mlflow.log_params({f"best_{k}": v for k, v in study.best_params.items()} | {"n_trials": n_trials})
    mlflow.log_metric("cv_rmse", study.best_value)

grid_best = float(np.sqrt(-grid_search.best_score_))
print(f"GridSearchCV: {len(results['params'])} candidates, best CV RMSE {lab_utils.format_number(grid_best)} CAD "
      f"with {grid_search.best_params_}")
print(f"Optuna:       {n_trials} trials,     best CV RMSE {lab_utils.format_number(study.best_value)} CAD with "
      + str({k: round(v, 3) for k, v in study.best_params.items()}))

# %% [markdown]
# ### Checkpoint
# One child run per trial on the server, and the best child's `cv_rmse` is the study's best.

# %%
trials = client.search_runs([optuna_parent.info.experiment_id],
                            f"tags.mlflow.parentRunId = '{optuna_parent.info.run_id}'",
                            order_by=["metrics.cv_rmse ASC"])
assert len(trials) == n_trials, f"{len(trials)} trial runs on the server, expected {n_trials}"
assert abs(trials[0].data.metrics["cv_rmse"] - study.best_value) < 1e-6, "the best trial run disagrees with the study"
print(f"✓ {len(trials)} trial runs; the best is {trials[0].info.run_name}")

# %% [markdown]
# Both searches chose with CV on the training houses only, so their CV scores compare
# fairly; the test houses stayed out of both. Optuna's trials are not confined to the
# grid's values, so its best can fall between them (compare the two lines above). It pays
# off most when the space is large or continuous and each trial is expensive, because it
# spends its trials where the good scores are.

# %% [markdown]
# > **Where things stand in practice.** The nested runs above are how you *read* a search.
# > MLflow also ships an Optuna storage, `mlflow.optuna.MlflowStorage(experiment_id=...)`:
# > handed to `optuna.create_study(storage=...)`, it keeps the study itself — every trial's
# > parameters, values and state — as runs on the tracking server, written in batches, so a
# > study outlives the notebook and `optuna.load_study` picks it up again, from any machine that
# > reaches the server; `mlflow.pyspark.optuna` runs one study's trials on Spark workers through
# > it. Use it when a search is long or shared; nested runs like the ones above are enough for a
# > search that fits in one sitting. (Source: `mlflow/optuna/storage.py` in MLflow 3, and
# > Optuna's "RDB / storage" guide.)

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# With `mlflow.search_runs` on the children of `parent` (the `grid_search_nested` run),
# find the child run with the lowest `cv_rmse`. Put its **run id** in `best_child_id`.

# %% tags=["exercise"]
best_child_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `mlflow.search_runs([experiment id], filter_string="tags.mlflow.parentRunId = '...'",
# order_by=["metrics.cv_rmse ASC"], max_results=1)` returns a DataFrame with a `run_id` column.
#
# </details>

# %% tags=["solution"]
best_row = mlflow.search_runs(
    [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.cv_rmse ASC"], max_results=1,
).iloc[0]
best_child_id = best_row["run_id"]

# %% tags=["check-exercise"]
if lab_utils.attempted(best_child_id, "Exercise 1"):
    from lab_utils.grading import lesson_02
    lesson_02.check_exercise_1(best_child_id, parent.info.run_id)

# %% [markdown]
# ### Exercise 2
# Run a `RandomizedSearchCV` over `alpha` in `[0.05, 0.1, 0.2, 0.5, 1.0, 2.0]` and `l1_ratio`
# in `[0.1, 0.3, 0.5, 0.7, 0.9]` with `n_iter=4`, `random_state=0` (on `model`, with
# `cv=cv_folds` and `scoring="neg_mean_squared_error"`, as the grid search above), as a parent
# run named `exercise_random_search` with one nested child run per candidate holding its
# params and `cv_rmse` (√ of minus its `mean_test_score`, as above). Put the parent's run id
# in `random_parent_id`.

# %% tags=["exercise"]
random_parent_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Fit the `RandomizedSearchCV` inside `mlflow.start_run(run_name="exercise_random_search")`,
# then loop over `search.cv_results_["params"]` with `mlflow.start_run(nested=True)`
# and `mlflow.log_params` / `mlflow.log_metric` in each.
#
# </details>

# %% tags=["solution"]
from sklearn.model_selection import RandomizedSearchCV

search = RandomizedSearchCV(model, {"alpha": [0.05, 0.1, 0.2, 0.5, 1.0, 2.0],
                                    "l1_ratio": [0.1, 0.3, 0.5, 0.7, 0.9]},
                            n_iter=4, random_state=0, cv=cv_folds, scoring="neg_mean_squared_error")
with mlflow.start_run(run_name="exercise_random_search") as random_parent:
    search.fit(X_train, y_train)
    for i, candidate in enumerate(search.cv_results_["params"]):
        with mlflow.start_run(run_name=f"random_{i}", nested=True):
            mlflow.log_params(candidate)
            mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
random_parent_id = random_parent.info.run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(random_parent_id, "Exercise 2"):
    from lab_utils.grading import lesson_02
    lesson_02.check_exercise_2(random_parent_id, X_train, y_train, cv_folds)

# %% [markdown]
# ## Summary
#
# - Track a search as a parent run with a child per candidate; log CV scores as readable
#   RMSE, with their spread over the folds (from `split{k}_test_score`).
# - Choose on cross-validation; score the chosen model on the test houses once, after the
#   choice, beside its training and CV scores.
# - `search_runs` + pandas + matplotlib compare runs in code; log the plots on the parent.
# - Autolog handles `GridSearchCV` in one call, keeping the `max_tuning_runs` best children;
#   it logs a test score only if you score the search while it is on, named after your variable.
# - An Optuna study is tracked the same way: a parent run, and a nested run per trial
#   opened in the objective.
#
# ## Further reading
#
# - [MLflow documentation](https://mlflow.org/docs/latest/)
# - [Tracking](https://mlflow.org/docs/latest/ml/tracking/)
# - [Models](https://mlflow.org/docs/latest/ml/model/)
# - [Model Registry](https://mlflow.org/docs/latest/ml/model-registry/)
# - [Searching runs](https://mlflow.org/docs/latest/ml/search/search-runs) — the filter
#   language used for `tags.mlflow.parentRunId`
# - [`mlflow.sklearn.autolog`](https://mlflow.org/docs/latest/python_api/mlflow.sklearn.html#mlflow.sklearn.autolog):
#   parameter search and `max_tuning_runs`
# - [scikit-learn: tuning the hyper-parameters of an estimator](https://scikit-learn.org/stable/modules/grid_search.html)
# - [Optuna documentation](https://optuna.readthedocs.io/)
#
# ## Check your understanding
#
# 1. Why is `cv_rmse_std` computed from the per-fold scores rather than as
#    `sqrt(std_test_score)`?
# 2. The search chose its candidate on CV. Why is the test score logged only for the chosen
#    model, and only once?
# 3. What does `max_tuning_runs=5` change, and what is kept of the other four candidates?
# 4. Autolog logged `GridSearchCV_score_X_test`. Why is it negative, and what does autolog
#    not know about it?
# 5. How does Optuna choose the next trial's parameters, unlike a grid?

# %% [markdown] tags=["solution"]
# 1. `std_test_score` is the spread of the per-fold negative MSEs, in CAD²; its square root
#    is not the spread of the fold RMSEs (6,008 against 1,115 CAD for one candidate here).
#    Take the RMSE of each fold first, then their standard deviation.
# 2. A score used to choose is optimistic. The test houses took no part in the choice, so
#    one score on them is an honest estimate; scoring many models on them and keeping the
#    best would make the test set a validation set.
# 3. Autolog opens child runs only for the 5 best-ranked candidates; every candidate's
#    scores remain in the parent's `cv_results.csv` artifact.
# 4. The search scores with `neg_mean_squared_error`, so `score` returns a negative MSE.
#    Autolog knows the variable was named `X_test`, not that it holds test houses nor that
#    the choice was made on CV.
# 5. Its sampler (TPE here) proposes values near the trials that scored well so far, over
#    continuous ranges; a grid tries every listed combination regardless of the results.

# %% [markdown]
# Next: **03 · Spark models**, the same ideas with Spark MLlib.
