# %% [markdown]
# # 02 · Hyperparameter search and comparing runs
#
# A grid search tries many parameter combinations; without tracking, all you keep is the
# winner. This lesson runs the lab page's GridSearchCV example as written, then improves
# it: one parent run for the search, one child run per candidate with its cross-validation
# scores, the best model scored on held-out data, and the comparison drawn as plots —
# then lets MLflow's autologging do the same and compares the two.
#
# **You will learn** nested runs; logging cross-validation results; training, CV and
# validation metrics side by side; `mlflow.sklearn.autolog` for searches
# (`max_tuning_runs`); comparing runs with `search_runs`, plots, and the UI's Compare view.
#
# **Time:** 30 minutes. **Prerequisites:** 01 · Basic tracking.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
cv_folds = 5
max_tuning_runs = 5  # child runs autolog keeps (the best ones)

# %%
import mlflow
import numpy as np
from sklearn.linear_model import ElasticNet

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
mlflow.set_experiment("meu_experimento")
model = ElasticNet(max_iter=10_000)

# %% [markdown]
# ## The lab page's example, as written
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
print(f"best CV RMSE: {np.sqrt(-grid_search.best_score_):,.0f} CAD")

# %% [markdown]
# The run keeps the winner, but the other eight candidates — and how close they came —
# are lost. `best_score` is a negative MSE (scikit-learn maximises scores), which reads
# badly on a dashboard; and nothing says how the model does on data it never saw.
#
# ## One parent run, one child run per candidate
#
# `mlflow.start_run(nested=True)` inside an open run creates a child run. The UI shows
# children folded under their parent, and `tags.mlflow.parentRunId` finds them in a search.

# %%
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
            mlflow.log_metrics({
                "cv_rmse": float(np.sqrt(-results["mean_test_score"][i])),
                "cv_rmse_std": float(np.sqrt(results["std_test_score"][i])),
                "train_rmse": float(np.sqrt(-results["mean_train_score"][i])),
                "rank": int(results["rank_test_score"][i]),
            })

    best = grid_search.best_estimator_
    mlflow.log_params({f"best_{k}": v for k, v in grid_search.best_params_.items()})
    mlflow.log_params({"cv_folds": cv_folds, "grid_size": len(results["params"])})
    # Training, cross-validation and held-out validation side by side.
    mlflow.log_metrics({
        "train_rmse": rmse(y_train, best.predict(X_train)),
        "cv_rmse": float(np.sqrt(-grid_search.best_score_)),
        "validation_rmse": rmse(y_test, best.predict(X_test)),
        "validation_r2": r2_score(y_test, best.predict(X_test)),
    })
    best_info = mlflow.sklearn.log_model(best, name="best_model", input_example=X_train.head(3))

print("parent run:", lab_utils.run_url(lab, parent))

# %% [markdown]
# ### Checkpoint
# The parent holds the three kinds of metric and the model; it has one child per candidate.

# %%
from mlflow import MlflowClient

client = MlflowClient()
checked = lab_utils.assert_run_logged(
    parent.info.run_id, metrics=["train_rmse", "cv_rmse", "validation_rmse"],
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
    ax.text(col, row, f"{value:,.0f}", ha="center", va="center", color="white", fontsize=8)
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
# ## Comparing in the UI
#
# 1. Open the MLflow UI at http://localhost:5000, switch the toggle at the top left from
#    **GenAI** to **Model training**, and choose **Experiments**.
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
# `max_tuning_runs` best candidates.

# %%
mlflow.sklearn.autolog(max_tuning_runs=max_tuning_runs, log_input_examples=True, silent=True)
with mlflow.start_run(run_name="grid_search_autolog") as auto_parent:
    GridSearchCV(model, param_grid, cv=cv_folds, scoring="neg_mean_squared_error").fit(X_train, y_train)
mlflow.sklearn.autolog(disable=True)

auto_children = client.search_runs([auto_parent.info.experiment_id],
                                   f"tags.mlflow.parentRunId = '{auto_parent.info.run_id}'")
auto_files = [f.path for f in client.list_artifacts(auto_parent.info.run_id)]
print(f"autolog: {len(auto_children)} child runs, artifacts {sorted(auto_files)}")
print(f"by hand: {len(children)} child runs, plus validation metrics and comparison plots")

# %% [markdown]
# | | by hand | autolog |
# | --- | --- | --- |
# | child runs | every candidate | the `max_tuning_runs` best |
# | CV results | as metrics per child | `cv_results.csv` artifact, plus child metrics |
# | held-out validation | yes, you log it | no: autolog cannot know your test split |
# | code | ~20 lines | one call |
#
# ### Checkpoint

# %%
assert len(auto_children) == min(max_tuning_runs, 9), f"{len(auto_children)} autolog child runs"
assert "cv_results.csv" in auto_files, f"no cv_results.csv among {auto_files}"
print(f"✓ autolog made {len(auto_children)} child runs and cv_results.csv")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Using only `mlflow.search_runs` on the children of `parent`, find the candidate with the
# lowest `cv_rmse`. Put its parameters in `best_from_server` as a dict of floats,
# e.g. `{"alpha": 0.1, "l1_ratio": 0.9}`.

# %% tags=["exercise"]
best_from_server = ...  # your code here

# %% tags=["solution"]
best_row = mlflow.search_runs(
    [parent.info.experiment_id], filter_string=f"tags.mlflow.parentRunId = '{parent.info.run_id}'",
    order_by=["metrics.cv_rmse ASC"], max_results=1,
).iloc[0]
best_from_server = {"alpha": float(best_row["params.alpha"]), "l1_ratio": float(best_row["params.l1_ratio"])}

# %% tags=["check-exercise"]
if lab_utils.attempted(best_from_server, "Exercise 1"):
    assert best_from_server == grid_search.best_params_, \
        f"{best_from_server} is not the best candidate {grid_search.best_params_}"
    print("✓ Exercise 1: the server agrees with GridSearchCV")

# %% [markdown]
# ### Exercise 2
# Run a `RandomizedSearchCV` over `alpha` in `[0.05, 0.1, 0.2, 0.5, 1.0, 2.0]` and `l1_ratio`
# in `[0.1, 0.3, 0.5, 0.7, 0.9]` with `n_iter=4`, `random_state=0`, as a parent run named
# `exercise_random_search` with one nested child run per candidate holding its params and
# `cv_rmse`. Put the parent's run id in `random_parent_id`.

# %% tags=["exercise"]
random_parent_id = ...  # your code here

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
    run = lab_utils.assert_run_logged(random_parent_id)
    assert run.info.run_name == "exercise_random_search", f"the parent is named {run.info.run_name!r}"
    kids = client.search_runs([run.info.experiment_id], f"tags.mlflow.parentRunId = '{random_parent_id}'")
    assert len(kids) == 4, f"{len(kids)} child runs, expected 4"
    assert all("cv_rmse" in k.data.metrics and "alpha" in k.data.params for k in kids)
    print("✓ Exercise 2: four nested candidates")

# %% [markdown]
# ## Summary
#
# - Track a search as a parent run with a child per candidate; log CV scores as readable
#   RMSE, and the best model's **validation** score beside its training and CV scores.
# - `search_runs` + pandas + matplotlib compare runs in code; log the plots on the parent.
# - Autolog handles `GridSearchCV` in one call, keeping the `max_tuning_runs` best children.
#
# Next: **03 · Spark models**, the same ideas with Spark MLlib.
