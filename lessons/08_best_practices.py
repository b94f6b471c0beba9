# %% [markdown]
# # 08 · Comparing runs, and six good habits
#
# The lab page ends its tour with two things: how to compare runs in the MLflow UI, and six
# best practices. This lesson walks the UI's comparison step by step (the screenshots are
# taken from this lab by its browser tests), does the same comparison in code, and then
# shows each practice in a cell of its own, with a check that it really happened.
#
# **You will learn** the UI's Compare view; comparing runs with `search_runs`; naming
# experiments; logging every parameter; validation beside training metrics; logging
# diagnostic artifacts (confusion matrix, residuals); organising runs with tags;
# documenting registered models.
#
# **Time:** 30 minutes. **Prerequisites:** 01, 02 and 04.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
runs_to_compare = 3

# %% [markdown]
# ## Comparing runs in the UI
#
# 1. Open the MLflow UI at http://localhost:5000. The home page lists experiments; choose
#    **Experiments** in the left bar if you are elsewhere.
#
#    ![The experiments page](../docs/screenshots/01_experiments.png)
#
# 2. Click **meu_experimento**. Its runs table lists every run of lessons 01–04, with
#    parameters and metrics as columns.
#
#    ![The runs of meu_experimento](../docs/screenshots/02_runs.png)
#
# 3. Tick the checkboxes of the runs to compare, then click **Compare**.
#
#    ![Runs selected](../docs/screenshots/03_selected.png)
#
# 4. The comparison page shows the runs side by side: parameters, metrics, and plots of
#    one against the other.
#
#    ![The comparison page](../docs/screenshots/04_compare.png)
#
# ## The same comparison in code
#
# The UI is for looking; code is for deciding and for the record. Pick the best runs of
# lesson 02's search and lay their parameters and metrics side by side, as the Compare
# page does.

# %%
import mlflow

parent = mlflow.search_runs(experiment_names=["meu_experimento"],
                            filter_string="attributes.run_name = 'grid_search_nested'",
                            order_by=["attributes.start_time DESC"], max_results=1)
candidates = mlflow.search_runs(
    experiment_names=["meu_experimento"],
    filter_string=f"tags.mlflow.parentRunId = '{parent.run_id[0]}'",
    order_by=["metrics.cv_rmse ASC"], max_results=runs_to_compare,
)
side_by_side = (candidates.set_index("tags.mlflow.runName")
                [["params.alpha", "params.l1_ratio", "metrics.cv_rmse", "metrics.train_rmse"]].T)
side_by_side

# %% tags=["nbval-check-output"]
print(len(side_by_side.columns), "runs compared;", "best first:",
      list(candidates["metrics.cv_rmse"].round(0)) == sorted(candidates["metrics.cv_rmse"].round(0)))

# %% [markdown]
# ## 1 · Name experiments so they can be found
#
# A name that says *what* is being modelled and *how* beats `test2`. A description
# (the `mlflow.note.content` tag) and tags on the experiment say the rest.

# %%
experiment = mlflow.set_experiment("precos_casas_windsor/boas_praticas")
mlflow.set_experiment_tags({
    "mlflow.note.content": "Best-practice examples of lesson 08: house prices, Windsor 1987.",
    "team": "dataflow-lab", "data": "house_prices.csv",
})
print(experiment.name, experiment.experiment_id)

# %% [markdown]
# ## 2 · Log every parameter
#
# Not only the ones you tuned: the estimator's full configuration, the data (a hash of the
# file, so a changed file shows), the split and its seed. Reproducing a run needs them all.

# %%
import hashlib

from sklearn.ensemble import RandomForestRegressor

# MLflow saves scikit-learn models with skops, which refuses to load types it was not told
# to trust: tree ensembles need their tree class named.
TREE_TYPES = ["sklearn.tree._tree.Tree"]

from lab_utils.data import HOUSE_PRICES_CSV

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
forest = RandomForestRegressor(n_estimators=100, max_depth=8, random_state=lab_utils.SEED)
data_hash = hashlib.sha256(HOUSE_PRICES_CSV.read_bytes()).hexdigest()[:12]

run = mlflow.start_run(run_name="random_forest_well_logged")
mlflow.log_params(forest.get_params())
mlflow.log_params({"data_sha256": data_hash, "test_size": 0.25, "split_seed": lab_utils.SEED,
                   "n_train": len(X_train), "n_test": len(X_test)})
print(len(forest.get_params()) + 5, "parameters logged")

# %% [markdown]
# ## 3 · Validation metrics beside training metrics
#
# A training score alone hides overfitting: a forest can nearly memorise its training
# houses. Log both, with names that say which is which.

# %%
import numpy as np
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

forest.fit(X_train, y_train)
for split, X, y in (("train", X_train, y_train), ("validation", X_test, y_test)):
    predictions = forest.predict(X)
    mlflow.log_metrics({f"{split}_rmse": float(np.sqrt(mean_squared_error(y, predictions))),
                        f"{split}_mae": mean_absolute_error(y, predictions),
                        f"{split}_r2": r2_score(y, predictions)})
metrics = mlflow.get_run(run.info.run_id).data.metrics
print(f"train RMSE {metrics['train_rmse']:,.0f} vs validation RMSE {metrics['validation_rmse']:,.0f}")

# %% [markdown]
# ## 4 · Save the artifacts that explain the model
#
# Numbers say *how good*; plots say *where it fails*. A residual plot for the price
# model, and a confusion matrix for the expensive-or-not question (price above the median).

# %%
import matplotlib.pyplot as plt
from sklearn.metrics import ConfusionMatrixDisplay

validation_predictions = forest.predict(X_test)
figure, ax = plt.subplots(figsize=(5, 3.5))
ax.scatter(validation_predictions, y_test - validation_predictions, s=10, alpha=0.6)
ax.axhline(0, color="grey", lw=1)
ax.set(xlabel="predicted price (CAD)", ylabel="residual (CAD)", title="Validation residuals")
mlflow.log_figure(figure, "diagnostics/residuals.png")

median = float(lab_utils.load_house_prices()["price"].median())
matrix = ConfusionMatrixDisplay.from_predictions(y_test > median, validation_predictions > median,
                                                 display_labels=["not expensive", "expensive"])
mlflow.log_figure(matrix.figure_, "diagnostics/confusion_matrix.png")
plt.show()

# %% [markdown]
# ## 5 · Tags organise runs
#
# Tags are free-form: use them for what you will filter on later — the model family,
# the purpose of the run, whether it is a candidate for production.

# %%
mlflow.set_tags({"model_family": "random_forest", "purpose": "best-practices-demo",
                 "candidate": "true", "dataset": "windsor_house_prices"})
mlflow.sklearn.log_model(forest, name="model", input_example=X_train.head(3),
                         skops_trusted_types=TREE_TYPES)
mlflow.end_run()

candidates = mlflow.search_runs(experiment_names=["precos_casas_windsor/boas_praticas"],
                                filter_string="tags.candidate = 'true' and tags.model_family = 'random_forest'")
print(len(candidates), "candidate random-forest run(s)")

# %% [markdown]
# ### Checkpoint: practices 2–5 on the server

# %%
checked = lab_utils.assert_run_logged(
    run.info.run_id,
    params={"max_depth": 8, "data_sha256": data_hash, "split_seed": lab_utils.SEED},
    metrics=["train_rmse", "validation_rmse", "validation_r2"],
    tags={"candidate": "true", "model_family": "random_forest"},
    artifacts=["diagnostics/residuals.png", "diagnostics/confusion_matrix.png"])
assert len(checked.data.params) >= 20, f"only {len(checked.data.params)} params"

# %% [markdown]
# ## 6 · Document registered models
#
# The registry is read by people who did not train the model. Say what it predicts, from
# what data, how it was validated, and what each version changed.

# %%
from mlflow import MlflowClient

client = MlflowClient()
version = mlflow.register_model(f"runs:/{run.info.run_id}/model", "previsao_precos_floresta")
client.update_registered_model(
    "previsao_precos_floresta",
    description="Random forest predicting house sale prices (CAD) in Windsor, Canada (1987 data). "
                "Input: the 11 features of data/house_prices.csv. Validated on a 25% hold-out split.",
)
client.update_model_version(
    "previsao_precos_floresta", version.version,
    description=f"100 trees, depth 8; validation RMSE {metrics['validation_rmse']:,.0f} CAD.",
)

# %%
registered = client.get_registered_model("previsao_precos_floresta")
described = client.get_model_version("previsao_precos_floresta", version.version)
assert "Windsor" in registered.description and "RMSE" in described.description
print("✓ model and version documented")

# %% [markdown]
# ## Exercise
#
# Pick the run with the lowest `validation_rmse` in `precos_casas_windsor/boas_praticas`
# and tag it `reviewed = yes`. Put its run id in `reviewed_run_id`.

# %% tags=["exercise"]
reviewed_run_id = ...  # your code here

# %% tags=["solution"]
best = mlflow.search_runs(experiment_names=["precos_casas_windsor/boas_praticas"],
                          order_by=["metrics.validation_rmse ASC"], max_results=1)
reviewed_run_id = best.run_id[0]
client.set_tag(reviewed_run_id, "reviewed", "yes")

# %% tags=["check-exercise"]
if lab_utils.attempted(reviewed_run_id, "Exercise"):
    all_runs = client.search_runs([experiment.experiment_id], order_by=["metrics.validation_rmse ASC"])
    assert reviewed_run_id == all_runs[0].info.run_id, "that is not the run with the lowest validation_rmse"
    lab_utils.assert_run_logged(reviewed_run_id, tags={"reviewed": "yes"})

# %% [markdown]
# ## Summary
#
# | practice | in code |
# | --- | --- |
# | descriptive experiment names | `set_experiment("precos_casas_windsor/boas_praticas")`, a description |
# | every parameter | `log_params(model.get_params())`, data hash, split and seed |
# | validation metrics | `train_*` and `validation_*` side by side |
# | important artifacts | `log_figure`: residuals, confusion matrix |
# | tags | `set_tags` for what you will filter on |
# | documented models | descriptions on the registered model and each version |
#
# Next: **09 · Troubleshooting**.
