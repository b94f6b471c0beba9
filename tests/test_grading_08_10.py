"""The graders of lessons 08, 09 and 10 (both parts), both ways, against the test lab (real MLflow,
S3 and Prefect): for each exercise a correct answer in a style the solution does not use is
accepted, and each known shortcut is refused with its one-line message.

Every test works in experiments and registered models of its own (a fresh suffix per session), so
it depends neither on the lessons nor on other modules' state on the lab, nor on test order.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid

import numpy as np
import pytest
import requests

SUFFIX = uuid.uuid4().hex[:8]
TREE_TYPES = ["sklearn.tree._tree.Tree"]


def _rmse(y, predictions) -> float:
    from sklearn.metrics import mean_squared_error

    return float(np.sqrt(mean_squared_error(y, predictions)))


@pytest.fixture(scope="module")
def split(lab):
    import lab_utils

    return lab_utils.split_train_validation_test()


@pytest.fixture(scope="module")
def requirements(lab):
    import mlflow

    return mlflow.sklearn.get_default_pip_requirements(include_skops=True)


def refused(match: str):
    from lab_utils.grading import ExerciseCheckFailed

    return pytest.raises(ExerciseCheckFailed, match=match)


def accepted(capsys, check, *args, **kwargs) -> str:
    check(*args, **kwargs)
    out = capsys.readouterr().out
    assert out.count("✓") == 1, out
    return out


# ---------------------------------------------------------------- lesson 08

EXPERIMENT_08 = f"boas_praticas_test_{SUFFIX}"
SPLIT_PARAMS = {"test_size": 0.25, "validation_size": 0.25, "split_seed": 42}


def _datasets(split):
    import mlflow

    train = mlflow.data.from_pandas(split.X_train.assign(price=split.y_train), source="data/house_prices.csv",
                                    targets="price", name="house_prices_train")
    validation = mlflow.data.from_pandas(split.X_validation.assign(price=split.y_validation),
                                         source="data/house_prices.csv", targets="price",
                                         name="house_prices_validation")
    return train, validation


def _log_forest(split, depth: int, run_name: str, *, on_test: bool = False, with_client: bool = False,
                contexts: tuple[str, str] = ("training", "validation"), n_jobs: int | None = None,
                validation_rmse: float | None = None):
    """A candidate logged the way practices 2, 3 and 5 log (fluent API, or MlflowClient)."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.ensemble import RandomForestRegressor

    experiment = mlflow.set_experiment(EXPERIMENT_08)
    forest = RandomForestRegressor(n_estimators=100, max_depth=depth, random_state=42,
                                   n_jobs=n_jobs).fit(split.X_train, split.y_train)
    train, validation = _datasets(split)
    X_scored, y_scored = (split.X_test, split.y_test) if on_test else (split.X_validation, split.y_validation)
    metrics = {"train_rmse": _rmse(split.y_train, forest.predict(split.X_train)),
               "validation_rmse": _rmse(y_scored, forest.predict(X_scored)) if validation_rmse is None
               else validation_rmse}
    tags = {"candidate": "true", "model_family": "random_forest"}
    if with_client:  # another style: the client, max_depth as 4.0, a tag in another case
        client = MlflowClient()
        run = client.create_run(experiment.experiment_id, run_name=run_name)
        for key, value in {**forest.get_params(), **SPLIT_PARAMS}.items():
            client.log_param(run.info.run_id, key, float(value) if key == "max_depth" else value)
        # The same houses wrapped another way: the features only, without the price.
        train = mlflow.data.from_pandas(split.X_train, name="X_train")
        validation = mlflow.data.from_pandas(split.X_validation, name="X_validation")
        client.log_inputs(run.info.run_id, datasets=[
            mlflow.entities.DatasetInput(train._to_mlflow_entity(),
                                         [mlflow.entities.InputTag("mlflow.data.context", "training")]),
            mlflow.entities.DatasetInput(validation._to_mlflow_entity(),
                                         [mlflow.entities.InputTag("mlflow.data.context", "validation")])])
        for key, value in metrics.items():
            client.log_metric(run.info.run_id, key, value)
        client.set_tag(run.info.run_id, "candidate", "True")
        client.set_tag(run.info.run_id, "model_family", "random_forest")
        client.set_terminated(run.info.run_id)
        return run.info.run_id, forest
    with mlflow.start_run(run_name=run_name) as run:
        mlflow.log_params(forest.get_params())
        mlflow.log_params(SPLIT_PARAMS)
        mlflow.log_input(train, context=contexts[0])
        mlflow.log_input(validation, context=contexts[1])
        mlflow.log_metrics(metrics)
        mlflow.set_tags(tags)
    return run.info.run_id, forest


def _review(split, run_id: str, model) -> None:
    from mlflow import MlflowClient

    client = MlflowClient()
    client.set_tag(run_id, "reviewed", "yes")
    client.log_metric(run_id, "test_rmse", _rmse(split.y_test, model.predict(split.X_test)))


def test_08_recovers_from_a_test_rmse_on_the_loser_and_accepts_the_client_style(lab, split, capsys):
    from lab_utils.grading import lesson_08

    forest_id, forest = _log_forest(split, 8, "random_forest_well_logged")
    shallow_id, shallow = _log_forest(split, 4, "random_forest_shallow")
    _review(split, forest_id, forest)
    _review(split, shallow_id, shallow)  # the shortcut: both scored on the test houses
    with refused(r"random_forest_shallow lost on validation_rmse but has the tag reviewed"):
        lesson_08.check_exercise(forest_id, EXPERIMENT_08)
    from mlflow import MlflowClient

    MlflowClient().delete_tag(shallow_id, "reviewed")  # what the message says
    with refused(r"lost on validation_rmse but has a test_rmse: .*run your answer again"):
        lesson_08.check_exercise(forest_id, EXPERIMENT_08)
    with refused(r"has validation_rmse .* has the lower .*: choose it"):
        lesson_08.check_exercise(shallow_id, EXPERIMENT_08)
    time.sleep(0.01)
    # The way out: the answer again, in another style (client API, max_depth logged as 4.0, "True").
    _log_forest(split, 4, "my_depth_4", with_client=True)
    out = accepted(capsys, lesson_08.check_exercise, f" {forest_id} ", EXPERIMENT_08)
    assert "depth 8" in out


def test_08_an_earlier_invented_score_neither_blocks_nor_passes(lab, split, capsys):
    from lab_utils.grading import lesson_08

    forest_id, forest = _log_forest(split, 8, "random_forest_well_logged")
    invented_id, invented = _log_forest(split, 4, "random_forest_shallow", validation_rmse=0.0)
    with refused(r"the max_depth 4 run's validation_rmse is 0; the max_depth=4 forest scores"):
        lesson_08.check_exercise(invented_id, EXPERIMENT_08)
    time.sleep(0.01)
    # The answer again, in other styles: n_jobs=-1 (the same forest), autolog's dataset contexts.
    _log_forest(split, 4, "random_forest_shallow", n_jobs=-1, contexts=("train", "eval"))
    _review(split, forest_id, forest)
    out = accepted(capsys, lesson_08.check_exercise, forest_id, EXPERIMENT_08)
    assert "depth 8" in out
    # The earlier run with the invented score, reviewed and tested, is no candidate.
    _review(split, invented_id, invented)
    with refused(r"is an earlier max_depth 4 run whose validation_rmse is not the forest's score"):
        lesson_08.check_exercise(invented_id, EXPERIMENT_08)


def test_08_refuses_a_validation_score_on_test_houses_and_wrong_types(lab, split):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_08

    forest_id, forest = _log_forest(split, 8, "random_forest_well_logged")
    _log_forest(split, 4, "random_forest_shallow", on_test=True)
    _review(split, forest_id, forest)
    with refused(r"validation_rmse is its RMSE on the test houses: compute it on X_validation"):
        lesson_08.check_exercise(forest_id, EXPERIMENT_08)
    with refused(r"expected the chosen run's id \(a string\), got a Run: hand over its id, e.g. run.info.run_id"):
        lesson_08.check_exercise(MlflowClient().get_run(forest_id), EXPERIMENT_08)
    with refused(r"expected the chosen run's id .*got None"):
        lesson_08.check_exercise(None, EXPERIMENT_08)


def test_08_refuses_a_wrong_test_rmse(lab, split):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_08

    forest_id, _ = _log_forest(split, 8, "random_forest_well_logged")
    _log_forest(split, 4, "random_forest_shallow")
    MlflowClient().set_tag(forest_id, "reviewed", "yes")
    MlflowClient().log_metric(forest_id, "test_rmse", 15079.15)  # its validation RMSE, typed
    with refused(r"the chosen run's test_rmse is 15,079; the depth-8 forest's RMSE on X_test is"):
        lesson_08.check_exercise(forest_id, EXPERIMENT_08)


# ---------------------------------------------------------------- lesson 09

MODEL_09 = f"previsao_precos_test_{SUFFIX}"


@pytest.fixture(scope="module")
def champion_09(lab, requirements):
    """Two versions of a model; @champion on the second."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.linear_model import ElasticNet

    import lab_utils

    X_train, _, y_train, _ = lab_utils.split_house_prices()
    mlflow.set_experiment(f"troubleshooting_test_{SUFFIX}")
    for alpha in (0.5, 5.0):
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(ElasticNet(alpha=alpha, l1_ratio=0.1).fit(X_train, y_train), name="modelo",
                                            pip_requirements=requirements)
        version = mlflow.register_model(info.model_uri, MODEL_09)
    MlflowClient().set_registered_model_alias(MODEL_09, "champion", version.version)
    return version


def test_09_accepts_any_loading_route(lab, champion_09, capsys):
    import mlflow

    from lab_utils.grading import lesson_09

    uri = f"models:/{MODEL_09}/{champion_09.version}"
    accepted(capsys, lesson_09.check_exercise, uri, mlflow.sklearn.load_model(uri), MODEL_09)
    accepted(capsys, lesson_09.check_exercise, f" {uri}/ ", mlflow.pyfunc.load_model(uri), MODEL_09)
    accepted(capsys, lesson_09.check_exercise, uri, mlflow.pyfunc.load_model(f"runs:/{champion_09.run_id}/modelo"),
             MODEL_09)


def test_09_refuses_the_alias_another_version_and_another_model(lab, champion_09):
    import mlflow

    from lab_utils.grading import lesson_09

    uri = f"models:/{MODEL_09}/{champion_09.version}"
    with refused(r"loads by the alias: use the version's number"):
        lesson_09.check_exercise(f"models:/{MODEL_09}@champion", mlflow.pyfunc.load_model(uri), MODEL_09)
    with refused(rf"is version 1; @champion points to version {champion_09.version}"):
        lesson_09.check_exercise(f"models:/{MODEL_09}/1", mlflow.pyfunc.load_model(uri), MODEL_09)
    with refused(r"fixed_model prices houses differently from version"):
        lesson_09.check_exercise(uri, mlflow.pyfunc.load_model(f"models:/{MODEL_09}/1"), MODEL_09)
    with refused(r"load the model with champion_uri into fixed_model too"):
        lesson_09.check_exercise(uri, ..., MODEL_09)
    with refused(r"fixed_model should be the loaded model .*got the text"):
        lesson_09.check_exercise(uri, uri, MODEL_09)
    with refused(r"champion_uri should be a model URI .*got None"):
        lesson_09.check_exercise(None, None, MODEL_09)


# ---------------------------------------------------------------- lesson 10, part 1

EXPERIMENT_10 = f"capstone_test_{SUFFIX}"
MODEL_10 = f"capstone_precos_test_{SUFFIX}"


@pytest.fixture(scope="module")
def grid_search(split):
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import GridSearchCV

    return GridSearchCV(GradientBoostingRegressor(random_state=42), {"n_estimators": [50, 100], "max_depth": [2, 3]},
                        cv=5, scoring="neg_mean_squared_error").fit(split.X_train, split.y_train)


def _log_search(split, search, requirements, *, prefixed=True, every_param=True, on_test=False, cv_scale=1.0,
                model="full"):
    """A search parent run in lesson 02's style (best_<param>, children with every estimator param)."""
    import mlflow

    mlflow.set_experiment(EXPERIMENT_10)
    with mlflow.start_run(run_name="capstone_search") as parent:
        for i, candidate in enumerate(search.cv_results_["params"]):
            with mlflow.start_run(run_name=f"candidate_{i}", nested=True):
                params = search.estimator.get_params() | candidate if every_param else candidate
                mlflow.log_params(params)
                mlflow.log_metric("cv_rmse", cv_scale * float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
        mlflow.log_params({f"best_{k}" if prefixed else k: v for k, v in search.best_params_.items()})
        X, y = (split.X_test, split.y_test) if on_test else (split.X_validation, split.y_validation)
        mlflow.log_metric("validation_rmse", _rmse(y, search.best_estimator_.predict(X)))
        if model == "full":
            mlflow.sklearn.log_model(search.best_estimator_, name="model", input_example=split.X_train.head(3),
                                     skops_trusted_types=TREE_TYPES, pip_requirements=requirements)
        elif model == "no_example":
            mlflow.sklearn.log_model(search.best_estimator_, name="model", skops_trusted_types=TREE_TYPES,
                                     pip_requirements=requirements)
        elif model == "unpinned":
            mlflow.sklearn.log_model(search.best_estimator_, name="model", input_example=split.X_train.head(3),
                                     skops_trusted_types=TREE_TYPES, pip_requirements=["scikit-learn", "skops"])
    return parent.info.run_id


@pytest.fixture(scope="module")
def search_run_10(lab, split, grid_search, requirements):
    return _log_search(split, grid_search, requirements)


def test_10_m1_accepts_lesson_02_names_and_children_with_every_param(lab, search_run_10, capsys):
    from lab_utils.grading import lesson_10

    out = accepted(capsys, lesson_10.check_milestone_1, search_run_10, EXPERIMENT_10)
    assert "Milestone 1" in out


def test_10_m1_refuses_shortcuts(lab, split, grid_search, requirements, search_run_10):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_10

    on_test = _log_search(split, grid_search, requirements, prefixed=False, every_param=False, on_test=True,
                          model=None)
    with refused(r"validation_rmse .* is the best model's RMSE on X_test: compute it on X_validation"):
        lesson_10.check_milestone_1(on_test, EXPERIMENT_10)
    invented = _log_search(split, grid_search, requirements, cv_scale=0.5, model=None)
    with refused(r"has cv_rmse .*its 5-fold CV error on X_train is about"):
        lesson_10.check_milestone_1(invented, EXPERIMENT_10)
    with refused(r"the logged model has no input example"):
        lesson_10.check_milestone_1(_log_search(split, grid_search, requirements, model="no_example"), EXPERIMENT_10)
    with refused(r"requirements are not pinned"):
        lesson_10.check_milestone_1(_log_search(split, grid_search, requirements, model="unpinned"), EXPERIMENT_10)
    with refused(r"got a Run: hand over its id"):
        lesson_10.check_milestone_1(MlflowClient().get_run(search_run_10), EXPERIMENT_10)


@pytest.fixture(scope="module")
def champion_10(lab, search_run_10):
    import mlflow
    from mlflow import MlflowClient

    client = MlflowClient()
    version = mlflow.register_model(f"runs:/{search_run_10}/model", MODEL_10)
    client.set_registered_model_alias(MODEL_10, "champion", version.version)
    return version


def test_10_m2_compares_the_description_by_meaning(lab, search_run_10, champion_10, capsys):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_10

    client = MlflowClient()
    rmse = client.get_run(search_run_10).data.metrics["validation_rmse"]
    pt = f"{rmse:,.0f}".replace(",", ".")
    client.update_model_version(MODEL_10, champion_10.version, description=f"rmse de validação: {pt} CAD")
    accepted(capsys, lesson_10.check_milestone_2, int(champion_10.version), search_run_10, MODEL_10)
    client.update_model_version(MODEL_10, champion_10.version, description=f"Validation rmse ≈ {rmse / 1000:.1f}k")
    accepted(capsys, lesson_10.check_milestone_2, champion_10.version, search_run_10, MODEL_10)
    client.update_model_version(MODEL_10, champion_10.version, description="RMSE")
    with refused(r"does not give the validation RMSE, .* put the number in it"):
        lesson_10.check_milestone_2(champion_10.version, search_run_10, MODEL_10)
    client.update_model_version(MODEL_10, champion_10.version, description=f"RMSE {rmse:,.0f} CAD")
    with refused(r"does not say the RMSE was measured on the validation houses"):
        lesson_10.check_milestone_2(champion_10.version, search_run_10, MODEL_10)
    client.update_model_version(MODEL_10, champion_10.version, description=f"validation RMSE {rmse:,.0f} CAD")
    with refused(r"got a ModelVersion: hand over its .version"):
        lesson_10.check_milestone_2(champion_10, search_run_10, MODEL_10)


# ---------------------------------------------------------------- lesson 10, part 2: Milestone 3

def _serve_by_hand(model_uri: str, port: int) -> subprocess.Popen:
    """`mlflow models serve` started by hand (not lab_utils.ModelServer): no log file of the lab."""
    command = [sys.executable, "-m", "mlflow", "models", "serve", "-m", model_uri, "--env-manager", "local",
               "--host", "127.0.0.1", "--port", str(port)]
    env = {**os.environ, "PATH": f"{os.path.dirname(sys.executable)}:{os.environ['PATH']}"}
    server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/ping", timeout=1).ok:
                return server
        except requests.RequestException:
            time.sleep(0.5)
    server.kill()
    raise RuntimeError("the model server did not start")


def _stop(server: subprocess.Popen) -> None:
    import signal

    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    time.sleep(1)


@pytest.fixture(scope="module")
def served_10(lab, champion_10):
    """A response of a hand-started server (raw JSON `data=`, columns and keys in another order), then stopped."""
    import httpx

    import lab_utils
    from lab_utils.serving import free_port

    houses = lab_utils.load_new_houses()
    port = free_port()
    server = _serve_by_hand(f"models:/{MODEL_10}@champion", port)
    try:
        split = houses[houses.columns[::-1]].to_dict(orient="split", index=False)
        body = json.dumps({"dataframe_split": {"data": split["data"], "columns": split["columns"]}})
        url = f"http://127.0.0.1:{port}/invocations"
        response = requests.post(url, data=body, headers={"Content-Type": "application/json"}, timeout=60)
        running = {"response": response,
                   "records": requests.post(url, json={"dataframe_records": houses.to_dict(orient="records")}, timeout=60),
                   "five": requests.post(url, json={"dataframe_split": houses.head(5).to_dict(orient="split",
                                                                                              index=False)}, timeout=60),
                   "httpx": httpx.post(url, json={"dataframe_split": houses.to_dict(orient="split", index=False)},
                                       timeout=60)}
        from lab_utils.grading import lesson_10_production

        with refused(r"still runs: stop it"):
            lesson_10_production.check_milestone_3(response, MODEL_10, EXPERIMENT_10)
    finally:
        _stop(server)
    return running


def test_10_m3_accepts_a_hand_started_server_and_a_raw_body(lab, served_10, capsys):
    from lab_utils.grading import lesson_10_production

    accepted(capsys, lesson_10_production.check_milestone_3, served_10["response"], MODEL_10, EXPERIMENT_10)


def test_10_m3_refuses_shortcuts(lab, served_10):
    from lab_utils.grading import lesson_10_production

    with refused(r"the task asks for a dataframe_split body"):
        lesson_10_production.check_milestone_3(served_10["records"], MODEL_10, EXPERIMENT_10)
    with refused(r"not the twenty houses"):
        lesson_10_production.check_milestone_3(served_10["five"], MODEL_10, EXPERIMENT_10)
    with refused(r"looks like response.json\(\)"):
        lesson_10_production.check_milestone_3(served_10["response"].json(), MODEL_10, EXPERIMENT_10)
    with refused(r"got None"):
        lesson_10_production.check_milestone_3(None, MODEL_10, EXPERIMENT_10)


# ---------------------------------------------------------------- lesson 10, part 2: Milestone 4

def _flows(split, requirements, *, gate="validation", register_worse=True, result="bool", scored_on="validation",
           persist=True):
    """A `retreinar_capstone` flow, written in another style than the solution (client API, no task,
    Prefect's default name), with the known mistakes as options."""
    import mlflow
    from mlflow import MlflowClient
    from prefect import flow
    from sklearn.ensemble import GradientBoostingRegressor

    client = MlflowClient()

    def retreinar_capstone(learning_rate: float) -> bool:
        mlflow.set_experiment(EXPERIMENT_10)
        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
                                          random_state=42).fit(split.X_train, split.y_train)
        X, y = (split.X_test, split.y_test) if scored_on == "test" else (split.X_validation, split.y_validation)
        rmse = _rmse(y, model.predict(X))
        with mlflow.start_run(run_name=f"retrain_{learning_rate}"):
            mlflow.log_params({"learning_rate": learning_rate})
            mlflow.log_metric("validation_rmse", rmse)
            info = mlflow.sklearn.log_model(model, name="model", skops_trusted_types=TREE_TYPES,
                                            pip_requirements=requirements)
        current = client.get_model_version_by_alias(MODEL_10, "champion")
        if gate == "test":
            champion_model = mlflow.pyfunc.load_model(f"models:/{MODEL_10}/{current.version}")
            better = _rmse(split.y_test, model.predict(split.X_test)) < _rmse(split.y_test,
                                                                              champion_model.predict(split.X_test))
        else:
            better = rmse < client.get_run(current.run_id).data.metrics["validation_rmse"]
        if not better and not register_worse:
            return False if result == "bool" else None
        version = mlflow.register_model(info.model_uri, MODEL_10).version
        if better:
            client.set_registered_model_alias(MODEL_10, "champion", version)
        return better if result == "bool" else None

    return retreinar_capstone if result == "plain" else flow(persist_result=persist)(retreinar_capstone)


def _reset_champion(champion_10) -> None:
    from mlflow import MlflowClient

    MlflowClient().set_registered_model_alias(MODEL_10, "champion", champion_10.version)


@pytest.fixture(scope="module")
def m4_done(lab, split, requirements, champion_10, served_10):
    _reset_champion(champion_10)
    retrain = _flows(split, requirements)
    return (retrain(learning_rate=0.2), retrain(learning_rate=0.1))


def test_10_m4_accepts_a_flow_in_another_style_and_m3_passes_again_after_it(lab, m4_done, served_10, capsys):
    from lab_utils.grading import lesson_10_production

    assert m4_done == (True, False)
    accepted(capsys, lesson_10_production.check_milestone_4, m4_done, MODEL_10, EXPERIMENT_10)
    accepted(capsys, lesson_10_production.check_milestone_4, [np.bool_(True), np.bool_(False)], MODEL_10, EXPERIMENT_10)
    # Milestone 3's answer, checked again after Milestone 4 moved @champion.
    accepted(capsys, lesson_10_production.check_milestone_3, served_10["response"], MODEL_10, EXPERIMENT_10)
    with refused(r"promotions is \[True, True\], but the flow runs returned \[True, False\]"):
        lesson_10_production.check_milestone_4([True, True], MODEL_10, EXPERIMENT_10)
    with refused(r"promotions should be a list of the two results"):
        lesson_10_production.check_milestone_4(True, MODEL_10, EXPERIMENT_10)


def test_10_m4_refuses_shortcuts(lab, split, requirements, champion_10, m4_done):
    from lab_utils.grading import lesson_10_production

    check = lesson_10_production.check_milestone_4
    # A plain function, while the previous attempt's flow runs are still the latest.
    _reset_champion(champion_10)
    plain = _flows(split, requirements, result="plain")
    typed = [plain(learning_rate=0.2), plain(learning_rate=0.1)]
    with refused(r"outside any flow run: make retreinar_capstone a Prefect @flow"):
        check(typed, MODEL_10, EXPERIMENT_10)
    # A flow returning None, with the list typed by hand.
    _reset_champion(champion_10)
    silent = _flows(split, requirements, result="none")
    silent(learning_rate=0.2), silent(learning_rate=0.1)
    with refused(r"the flow run with learning_rate 0.2 returned None; it promoted"):
        check([True, False], MODEL_10, EXPERIMENT_10)
    # A gate that decides on the test houses: here it promotes 0.1.
    _reset_champion(champion_10)
    on_test = _flows(split, requirements, gate="test")
    with refused(r"the gate let a worse model in"):
        check([on_test(learning_rate=0.2), on_test(learning_rate=0.1)], MODEL_10, EXPERIMENT_10)
    # The worse model never registered: said so, not blamed on the order.
    _reset_champion(champion_10)
    unregistered = _flows(split, requirements, register_worse=False)
    with refused(r"the flow run with learning_rate 0.1 registered no version"):
        check([unregistered(learning_rate=0.2), unregistered(learning_rate=0.1)], MODEL_10, EXPERIMENT_10)
    # A validation_rmse measured on the test houses.
    _reset_champion(champion_10)
    scored_on_test = _flows(split, requirements, scored_on="test")
    with refused(r"is its RMSE on the test houses: the gate decides on X_validation"):
        check([scored_on_test(learning_rate=0.2), scored_on_test(learning_rate=0.1)], MODEL_10, EXPERIMENT_10)
    # The flow runs' results not kept: the check cannot read what they returned, and says how to fix it.
    _reset_champion(champion_10)
    forgetful = _flows(split, requirements, persist=False)
    with refused(r"the flow runs kept no result"):
        check([forgetful(learning_rate=0.2), forgetful(learning_rate=0.1)], MODEL_10, EXPERIMENT_10)
    # The runs in the other order.
    _reset_champion(champion_10)
    right = _flows(split, requirements)
    with refused(r"have learning_rate \[0.1, 0.2\]: run it with 0.2, then 0.1"):
        check([right(learning_rate=0.1), right(learning_rate=0.2)], MODEL_10, EXPERIMENT_10)


def test_messages_are_in_portuguese_for_a_portuguese_learner(lab, monkeypatch):
    from lab_utils.grading import lesson_09

    monkeypatch.setenv("LAB_LANG", "pt_BR")
    with refused(r"carrega pelo alias: use o número da versão"):
        lesson_09.check_exercise(f"models:/{MODEL_09}@champion", None, MODEL_09)


# ---------------------------------------------------------------- lesson 10: an independent review's cases

MODEL_10_REVIEW = f"capstone_precos_review_{SUFFIX}"


def _search_by_hand(split, requirements, *, cv="cross_val_score", run_name="capstone_search", log_model=True):
    """A search walked by hand with the client API (ParameterGrid, cross_val_score), children logging every
    estimator parameter, the best parameters un-prefixed and the validation RMSE rounded to the CAD."""
    import mlflow
    from mlflow import MlflowClient
    from sklearn.ensemble import GradientBoostingRegressor
    from sklearn.model_selection import ParameterGrid, cross_val_score

    client = MlflowClient()
    experiment = mlflow.set_experiment(EXPERIMENT_10)
    parent = client.create_run(experiment.experiment_id, run_name=run_name).info.run_id
    scores = {}
    for params in ParameterGrid({"n_estimators": [50, 100], "max_depth": [2, 3]}):
        estimator = GradientBoostingRegressor(random_state=42, **params)
        if cv == "validation":  # the shortcut: no CV, each candidate scored on the validation houses
            score = _rmse(split.y_validation, estimator.fit(split.X_train, split.y_train).predict(split.X_validation))
        else:
            score = float(np.sqrt(-cross_val_score(estimator, split.X_train, split.y_train, cv=5,
                                                   scoring="neg_mean_squared_error").mean()))
        scores[(params["n_estimators"], params["max_depth"])] = score
        child = client.create_run(experiment.experiment_id, tags={"mlflow.parentRunId": parent}).info.run_id
        client.log_batch(child, params=[mlflow.entities.Param(k, str(v)) for k, v in estimator.get_params().items()],
                         metrics=[mlflow.entities.Metric("cv_rmse", score, 0, 0)])
        client.set_terminated(child)
    n_estimators, max_depth = min(scores, key=scores.get)
    client.log_param(parent, "n_estimators", n_estimators)
    client.log_param(parent, "max_depth", max_depth)
    best = GradientBoostingRegressor(random_state=42, n_estimators=n_estimators, max_depth=max_depth).fit(
        split.X_train, split.y_train)
    client.log_metric(parent, "validation_rmse", round(_rmse(split.y_validation, best.predict(split.X_validation))))
    if log_model:
        with mlflow.start_run(run_id=parent):
            mlflow.sklearn.log_model(best, name="model", input_example=split.X_train.head(3),
                                     skops_trusted_types=TREE_TYPES, pip_requirements=requirements)
    client.set_terminated(parent)
    return parent


def test_10_review_m1_m2_accept_a_search_by_hand_and_refuse_its_shortcuts(lab, split, requirements, capsys):
    import mlflow
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_10

    by_hand = _search_by_hand(split, requirements)
    accepted(capsys, lesson_10.check_milestone_1, by_hand, EXPERIMENT_10)
    with refused(r"has as cv_rmse its RMSE on X_validation: compute it by 5-fold cross-validation"):
        lesson_10.check_milestone_1(_search_by_hand(split, requirements, cv="validation", log_model=False),
                                    EXPERIMENT_10)
    with refused(r"part 2 finds the search by its exact name, 'capstone_search'"):
        lesson_10.check_milestone_1(_search_by_hand(split, requirements, run_name="Capstone_Search",
                                                    log_model=False), EXPERIMENT_10)
    # Milestone 2: a version registered with the client from a runs:/ source holds no model in MLflow 3.
    client = MlflowClient()
    client.create_registered_model(MODEL_10_REVIEW)
    empty = client.create_model_version(MODEL_10_REVIEW, f"runs:/{by_hand}/model", run_id=by_hand)
    rmse = client.get_run(by_hand).data.metrics["validation_rmse"]
    pt = f"{rmse:,.0f}".replace(",", ".")
    client.update_model_version(MODEL_10_REVIEW, empty.version, description=f"REQM de validação: {pt} CAD")
    client.set_registered_model_alias(MODEL_10_REVIEW, "champion", empty.version)
    with refused(r"holds no model .*mlflow.register_model"):
        lesson_10.check_milestone_2(empty.version, by_hand, MODEL_10_REVIEW)
    version = mlflow.register_model(f"runs:/{by_hand}/model", MODEL_10_REVIEW).version
    client.update_model_version(MODEL_10_REVIEW, version, description=f"REQM de validação: {pt} CAD")
    client.set_registered_model_alias(MODEL_10_REVIEW, "champion", version)
    accepted(capsys, lesson_10.check_milestone_2, version, by_hand, MODEL_10_REVIEW)


def test_10_review_m3_accepts_httpx_and_refuses_a_response_built_by_hand(lab, served_10, capsys):
    from lab_utils.grading import lesson_10_production

    accepted(capsys, lesson_10_production.check_milestone_3, served_10["httpx"], MODEL_10, EXPERIMENT_10)
    real = served_10["response"]
    fake = requests.Response()  # the champion's prices, typed into a Response without any server
    fake.status_code, fake.url, fake.request, fake._content = 200, real.url, real.request, real.content
    with refused(r"was not received from a server"):
        lesson_10_production.check_milestone_3(fake, MODEL_10, EXPERIMENT_10)


def test_10_review_m4_accepts_an_async_flow_named_in_another_case(lab, split, requirements, champion_10, capsys):
    import asyncio

    import mlflow
    from mlflow import MlflowClient
    from prefect import flow, task
    from sklearn.ensemble import GradientBoostingRegressor

    from lab_utils.grading import lesson_10_production

    client = MlflowClient()

    @task
    def fit(learning_rate: float):
        return GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=learning_rate,
                                         random_state=42).fit(split.X_train, split.y_train)

    @flow(name="Retreinar Capstone", persist_result=True)
    async def retrain(learning_rate: float) -> bool:
        mlflow.set_experiment(EXPERIMENT_10)
        model = fit(learning_rate)
        rmse = round(_rmse(split.y_validation, model.predict(split.X_validation)), 2)
        with mlflow.start_run() as run:
            mlflow.log_param("learning_rate", learning_rate)
            mlflow.log_metric("validation_rmse", rmse)
            info = mlflow.sklearn.log_model(model, name="model", skops_trusted_types=TREE_TYPES,
                                            pip_requirements=requirements)
        version = client.create_model_version(MODEL_10, info.model_uri, run_id=run.info.run_id,
                                              model_id=info.model_id).version
        champion = client.get_model_version_by_alias(MODEL_10, "champion")
        if rmse < client.get_run(champion.run_id).data.metrics["validation_rmse"]:
            client.set_registered_model_alias(MODEL_10, "champion", version)
            return True
        return False

    _reset_champion(champion_10)
    promotions = [asyncio.run(retrain(learning_rate=0.2)), asyncio.run(retrain(learning_rate=0.1))]
    accepted(capsys, lesson_10_production.check_milestone_4, promotions, MODEL_10, EXPERIMENT_10)
    runs = lesson_10_production._flow_runs()
    with refused(r"should hold the flow's two results, True or False, got \[a FlowRun, a FlowRun\]"):
        lesson_10_production.check_milestone_4(runs, MODEL_10, EXPERIMENT_10)
