# %% [markdown]
# # 04 · The Model Registry
#
# A run holds a model; the **Model Registry** gives it a name, numbered versions and a
# place in your release process, so that code can ask for "the production price model"
# rather than a run id. This lesson runs the lab page's registry examples as written —
# registering, stage transitions, loading by version and by stage — then shows the way
# MLflow now recommends: aliases, tags and descriptions, and a promotion gate.
#
# **You will learn** `register_model`; versions; stages and why they are deprecated;
# aliases (`@champion`, `@challenger`); tags and descriptions on models and versions;
# `search_model_versions`; `copy_model_version` from development to production; a
# promotion gate that moves the champion alias only when the challenger is better.
#
# **Time:** 30 minutes. **Prerequisites:** 01 · Basic tracking.

# %%
import lab_utils

lab = lab_utils.connect()

# %% tags=["parameters"]
model_name = "previsao_precos"

# %%
import mlflow
import numpy as np
from mlflow import MlflowClient
from mlflow.models import infer_signature
from sklearn.linear_model import ElasticNet
from sklearn.metrics import mean_squared_error

X_train, X_test, y_train, y_test = lab_utils.split_house_prices()
mlflow.set_experiment("meu_experimento")
client = MlflowClient()


def train_and_log(alpha: float, l1_ratio: float, run_name: str):
    """Train an ElasticNet, log it as `model` with its validation RMSE; return the run."""
    with mlflow.start_run(run_name=run_name) as run:
        model = ElasticNet(alpha=alpha, l1_ratio=l1_ratio, max_iter=10_000).fit(X_train, y_train)
        mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
        mlflow.log_metric("validation_rmse", float(np.sqrt(mean_squared_error(y_test, model.predict(X_test)))))
        mlflow.sklearn.log_model(model, name="model", input_example=X_train.head(3),
                                 signature=infer_signature(X_train, model.predict(X_train)))
    return run


baseline_run = train_and_log(alpha=1.0, l1_ratio=0.1, run_name="registry_baseline")

# %% [markdown]
# ## The lab page's examples, as written
#
# ### Registering a model
# After a run that logged a model called `model` (the cell above), register it:

# %%
# Após treinar e rastrear o modelo com uma execução
run_id = mlflow.last_active_run().info.run_id
model_uri = f"runs:/{run_id}/model"
model_details = mlflow.register_model(model_uri, "previsao_precos")

# %%
print(f"{model_details.name} version {model_details.version}, from run {model_details.run_id[:8]}…")
print("in the UI:", lab_utils.model_url(lab, model_details.name, model_details.version))

# %% [markdown]
# The warning above is MLflow 3 at work: a model logged with `name="model"` is stored as a
# *logged model* (`models:/m-…`), and `register_model` follows the run's `model` to it.
#
# Each registration of the same name adds a version: 1 the first time you run this
# notebook, 2 the next, and so on. The examples below use version 1, which exists from
# your first run on.
#
# ### Stage transitions

# %%
from mlflow.tracking import MlflowClient

client = MlflowClient()

# Promover modelo para staging
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Staging"
)

# Promover modelo para produção
client.transition_model_version_stage(
    name="previsao_precos",
    version=1,
    stage="Production"
)

# %% [markdown]
# ### Loading a model from the registry

# %%
# Carregar modelo específico por versão
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/1")

# Carregar modelo de stage específico
model = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/Production")

# %% tags=["nbval-check-output"]
version_1 = client.get_model_version("previsao_precos", "1")
by_version = mlflow.pyfunc.load_model(model_uri="models:/previsao_precos/1")
print("version 1 stage:", version_1.current_stage)
print("same model by version and by stage:", np.allclose(model.predict(X_test), by_version.predict(X_test)))

# %% [markdown]
# ### Checkpoint

# %%
checked = lab_utils.assert_model_version("previsao_precos", version=1)
assert checked.current_stage == "Production", f"version 1 is in stage {checked.current_stage!r}"

# %% [markdown]
# ## Why stages are deprecated, and what replaces them
#
# Each call above printed a `FutureWarning`: stages are deprecated since MLflow 2.9 and
# will be removed. A version has only one stage, the four stage names are fixed, and a
# transition says nothing about *why*. Their replacement is three simpler tools:
#
# - **aliases**: named, movable pointers to one version (`@champion`, `@challenger`),
#   loaded as `models:/previsao_precos@champion`; as many as you need;
# - **tags**: key-value facts on a model or a version (`validation_status=approved`);
# - **descriptions**: free text on a model and on each version (the page's best practice 6).
#
# ## Aliases, tags and descriptions

# %%
client.update_registered_model(
    model_name,
    description="Predicts the sale price (CAD) of a house in Windsor, Canada, from 11 features. "
                "Trained on the Anglin & Gençay (1996) data set.",
)
client.set_registered_model_tag(model_name, "task", "regression")
client.set_registered_model_tag(model_name, "owner", "dataflow-lab")

baseline = mlflow.register_model(f"runs:/{baseline_run.info.run_id}/model", model_name)
client.update_model_version(model_name, baseline.version,
                            description="Baseline: ElasticNet alpha=1.0, l1_ratio=0.1")
client.set_model_version_tag(model_name, baseline.version, "validation_status", "approved")
client.set_registered_model_alias(model_name, "champion", baseline.version)

champion = mlflow.pyfunc.load_model(f"models:/{model_name}@champion")
print(f"@champion is version {baseline.version}")

# %% [markdown]
# ### Checkpoint

# %%
checked = lab_utils.assert_model_version(model_name, alias="champion")
assert checked.version == baseline.version
assert client.get_registered_model(model_name).description.startswith("Predicts the sale price")

# %% [markdown]
# ## A promotion gate
#
# A new model (the *challenger*) should replace the champion only when it is better on the
# validation data. The alias moves; the old champion keeps its version, its history and a
# tag that says when it was replaced. Code that loads `@champion` picks up the change with
# no edit.

# %%
challenger_run = train_and_log(alpha=0.1, l1_ratio=0.9, run_name="registry_challenger")
challenger = mlflow.register_model(f"runs:/{challenger_run.info.run_id}/model", model_name)
client.set_registered_model_alias(model_name, "challenger", challenger.version)


def validation_rmse(uri: str) -> float:
    return float(np.sqrt(mean_squared_error(y_test, mlflow.pyfunc.load_model(uri).predict(X_test))))


def promote_if_better(name: str) -> bool:
    """Move @champion to @challenger when the challenger's validation RMSE is lower."""
    champion_rmse = validation_rmse(f"models:/{name}@champion")
    challenger_rmse = validation_rmse(f"models:/{name}@challenger")
    print(f"champion {champion_rmse:,.0f} CAD · challenger {challenger_rmse:,.0f} CAD")
    if challenger_rmse >= champion_rmse:
        print("the champion stays")
        return False
    old = client.get_model_version_by_alias(name, "champion")
    new = client.get_model_version_by_alias(name, "challenger")
    client.set_model_version_tag(name, old.version, "replaced_by", new.version)
    client.set_model_version_tag(name, new.version, "validation_status", "approved")
    client.set_registered_model_alias(name, "champion", new.version)
    client.delete_registered_model_alias(name, "challenger")
    print(f"@champion moved from version {old.version} to version {new.version}")
    return True


promoted = promote_if_better(model_name)

# %% [markdown]
# ### Checkpoint
# The alias moved to the challenger's version; the old champion is still there, tagged.

# %%
now_champion = lab_utils.assert_model_version(model_name, alias="champion")
assert promoted and now_champion.version == challenger.version
old_champion = client.get_model_version(model_name, baseline.version)
assert old_champion.tags.get("replaced_by") == challenger.version
print(f"✓ version {baseline.version} kept, tagged replaced_by={old_champion.tags['replaced_by']}")

# %% [markdown]
# ## Finding versions
#
# `search_model_versions` filters on name, run id and tags; the registered model knows
# which version each alias points to.

# %%
import pandas as pd

versions = client.search_model_versions(f"name = '{model_name}'", order_by=["version_number DESC"],
                                        max_results=10)
aliases = client.get_registered_model(model_name).aliases  # {"champion": "3", ...}
pd.DataFrame([{"version": v.version, "aliases": [a for a, n in aliases.items() if n == v.version],
               "stage": v.current_stage, "status": v.tags.get("validation_status", ""),
               "run": v.run_id[:8]} for v in versions])

# %% [markdown]
# ## Archiving, and development against production
#
# A version is never deleted by a promotion. To retire one, tag it (and, with stages,
# move it to `Archived`). Many teams keep two registered models: a development one that
# every candidate lands in, and a production one that receives only approved versions by
# **copy**. `copy_model_version` copies the files and records where they came from.

# %%
client.set_model_version_tag(model_name, baseline.version, "archived", "true")

dev_name = "previsao_precos_dev"
dev_version = mlflow.register_model(f"runs:/{challenger_run.info.run_id}/model", dev_name)
production_name = "previsao_precos_producao"
copied = client.copy_model_version(f"models:/{dev_name}/{dev_version.version}", production_name)
client.set_registered_model_alias(production_name, "champion", copied.version)
print(f"{dev_name} v{dev_version.version} copied to {production_name} v{copied.version}")
print("source of the copy:", copied.source)

# %%
checked = lab_utils.assert_model_version(production_name, alias="champion")

# %% [markdown]
# ## Exercises
#
# ### Exercise 1
# Add a description to the current `@champion` version of `previsao_precos` that contains
# the word `champion`, and a version tag `reviewed_by` with your name. Put the version
# number (a string) in `described_version`.

# %% tags=["exercise"]
described_version = ...  # your code here

# %% tags=["solution"]
described_version = client.get_model_version_by_alias(model_name, "champion").version
client.update_model_version(model_name, described_version,
                            description="Current champion: ElasticNet alpha=0.1, l1_ratio=0.9")
client.set_model_version_tag(model_name, described_version, "reviewed_by", "ada")

# %% tags=["check-exercise"]
if lab_utils.attempted(described_version, "Exercise 1"):
    version = client.get_model_version(model_name, described_version)
    assert "champion" in version.aliases, f"version {described_version} is not @champion"
    assert "champion" in (version.description or "").lower(), "the description lacks the word champion"
    assert "reviewed_by" in version.tags, "no reviewed_by tag on the version"
    print("✓ Exercise 1")

# %% [markdown]
# ### Exercise 2
# Load the champion **by its alias** and predict the price of the first five test houses
# (`X_test.head()`); put the predictions in `champion_predictions`.

# %% tags=["exercise"]
champion_predictions = ...  # your code here

# %% tags=["solution"]
champion_predictions = mlflow.pyfunc.load_model(f"models:/{model_name}@champion").predict(X_test.head())

# %% tags=["check-exercise"]
if lab_utils.attempted(champion_predictions, "Exercise 2"):
    champion_version = client.get_model_version_by_alias(model_name, "champion")
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}/{champion_version.version}").predict(X_test.head())
    assert np.allclose(champion_predictions, expected), "these are not the champion's predictions"
    print("✓ Exercise 2")

# %% [markdown]
# ## Summary
#
# - `register_model` turns a logged model into a numbered version of a named model.
# - Stages still work but are deprecated: use aliases to point at versions, tags to record
#   facts, descriptions to document.
# - Load `models:/name/3`, `models:/name@champion` — never a run id in production code.
# - Promote through a gate that compares on validation data; keep the old version.
#
# Next: **05 · MLflow Models**: what a logged model is made of, and serving it over REST.
