"""The exercise graders of lessons 00-04, both ways (issue #26): for each exercise, correct
variants in styles the solutions do not use are accepted, and each known shortcut is refused
with a one-line message. Against the session's test lab: real MLflow and S3, real Spark;
each test makes its own runs (own experiments, own registered models), so no test depends on
another or on the lessons' state."""

from __future__ import annotations

import json
import os
import uuid

import numpy as np
import pytest

from lab_utils import grading
from lab_utils.grading import ExerciseCheckFailed

pytestmark = pytest.mark.usefixtures("lab")


def refused(check, *args, match: str):
    """The check fails with ExerciseCheckFailed, one line matching `match`, and prints no ✓."""
    with pytest.raises(ExerciseCheckFailed, match=match) as failure:
        check(*args)
    assert "\n" not in str(failure.value), str(failure.value)
    return str(failure.value)


def accepted(check, *args, capsys) -> str:
    """The check passes and prints exactly one line, its ✓ (what came before it is set aside)."""
    capsys.readouterr()
    check(*args)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("✓"), out
    return out


def rmse(y_true, y_pred) -> float:
    return float(np.sqrt(np.mean((np.asarray(y_true) - np.asarray(y_pred)) ** 2)))


@pytest.fixture
def mlflow_client(lab, monkeypatch):
    import mlflow

    monkeypatch.setenv("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")  # as lab_utils.connect() does

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    return mlflow.MlflowClient()


@pytest.fixture
def scratch_experiment(mlflow_client):
    """A new experiment of this test's own, made the active one."""
    import mlflow

    return mlflow.set_experiment(f"grading_test_{uuid.uuid4().hex[:10]}").experiment_id


# ---------------------------------------------------------------- the common helpers (no lab)

@pytest.mark.parametrize(("value", "message"), [
    (None, "got None"), (..., "got ..."), (42, "got an int"), ("not-an-id", "32 hex digits"),
    (["a" * 32], r"\[0\]"),
])
def test_require_run_id_names_what_it_got(value, message):
    refused(grading.require_run_id, value, match=message)


def test_require_run_id_takes_a_run_id_and_points_a_run_to_its_id(mlflow_client, scratch_experiment):
    import mlflow

    with mlflow.start_run() as run:
        pass
    assert grading.require_run_id(f" {run.info.run_id}\n") == run.info.run_id
    refused(grading.require_run_id, run, match=r"got an ActiveRun.*run\.info\.run_id")
    refused(grading.require_run_id, mlflow_client.get_run(run.info.run_id), match=r"got a Run.*run\.info\.run_id")
    row = mlflow.search_runs([scratch_experiment]).iloc[0]
    refused(grading.require_run_id, row, match=r'got a Series.*row\["run_id"\]')
    assert grading.require_run_id(row["run_id"]) == run.info.run_id


def test_comparisons_by_meaning():
    assert grading.same_number("1", 1.0) and grading.same_number(1, "1.0") and not grading.same_number("a", 1)
    assert not grading.same_number(True, 1) and not grading.same_number(None, 0)
    assert grading.same_name(" Exercise_1 ", "exercise_1") and not grading.same_name(None, "x")
    assert grading.set_difference(["predicted_price", "house_id"], ["house_id", "predicted_price"]) == ([], [])
    assert grading.set_difference(["house_id", "price"], ["house_id", "predicted_price"]) == (
        ["predicted_price"], ["price"])
    assert grading.require_version(3) == "3" and grading.require_version(" 3 ") == "3"
    refused(grading.require_version, None, match="got None")
    refused(grading.require_version, True, match="model version")
    flow_run = uuid.uuid4()
    assert grading.require_flow_run_id(flow_run) == str(flow_run) == grading.require_flow_run_id(str(flow_run))
    refused(grading.require_flow_run_id, "123", match="UUID")


def test_messages_follow_the_learners_language(monkeypatch):
    monkeypatch.setenv("LAB_LANG", "pt_BR")
    message = refused(grading.require_run_id, None, match="✗")
    assert "esperado" in message or "esperava" in message, message


# ---------------------------------------------------------------- lesson 00

def test_00_exercise_1_accepts_the_client_and_refuses_what_the_task_does_not_ask(mlflow_client, capsys):
    import mlflow

    from lab_utils.grading import lesson_00

    tour = mlflow.set_experiment("lab_tour").experiment_id
    # The client, not the fluent API; the name in another case; an int metric.
    run = mlflow_client.create_run(tour, run_name="My_First_Run")
    mlflow_client.set_tag(run.info.run_id, "owner", "grace")
    mlflow_client.log_metric(run.info.run_id, "coffee_cups", 2)
    mlflow_client.set_terminated(run.info.run_id)
    assert "grace" in accepted(lesson_00.check_exercise_1, run.info.run_id, capsys=capsys)

    refused(lesson_00.check_exercise_1, run, match="got a Run")
    refused(lesson_00.check_exercise_1, None, match="got None")
    other = mlflow.set_experiment(f"grading_test_{uuid.uuid4().hex[:10]}")
    with mlflow.start_run(run_name="my_first_run") as elsewhere:  # right name, wrong experiment
        mlflow.set_tag("owner", "grace")
        mlflow.log_metric("coffee_cups", 1)
    refused(lesson_00.check_exercise_1, elsewhere.info.run_id, match="experiment 'grading_test_.*lab_tour")
    mlflow.set_experiment(experiment_id=tour)
    with mlflow.start_run(run_name="first_run") as misnamed:
        mlflow.set_tag("owner", "grace")
        mlflow.log_metric("coffee_cups", 1)
    refused(lesson_00.check_exercise_1, misnamed.info.run_id, match="named 'first_run'")
    with mlflow.start_run(run_name="my_first_run") as no_owner:
        mlflow.set_tag("owner", " ")
        mlflow.log_metric("coffee_cups", 1)
    refused(lesson_00.check_exercise_1, no_owner.info.run_id, match="owner")
    for placeholder in ("…", "your name"):  # the hint's placeholder, copied as written
        with mlflow.start_run(run_name="my_first_run") as copied:
            mlflow.set_tag("owner", placeholder)
            mlflow.log_metric("coffee_cups", 1)
        refused(lesson_00.check_exercise_1, copied.info.run_id, match="a placeholder: put your own name")
    with mlflow.start_run(run_name="my_first_run") as no_metric:
        mlflow.set_tag("owner", "grace")
        mlflow.log_param("coffee_cups", 3)  # a param is not the metric asked for
    refused(lesson_00.check_exercise_1, no_metric.info.run_id, match="coffee_cups")
    assert "✓" not in capsys.readouterr().out
    # After those mistakes, the right run still passes: the id handed over decides.
    accepted(lesson_00.check_exercise_1, run.info.run_id, capsys=capsys)
    other_id = other.experiment_id
    mlflow_client.delete_experiment(other_id)


# ---------------------------------------------------------------- lesson 01

@pytest.fixture(scope="module")
def houses_split():
    import lab_utils

    houses = lab_utils.load_house_prices()
    return lab_utils.split_house_prices(houses), lab_utils.split_train_validation_test(houses)


def test_01_exercise_1_compares_numbers_as_numbers_and_recomputes_the_test_rmse(mlflow_client, houses_split,
                                                                                 capsys):
    import mlflow
    from sklearn.linear_model import ElasticNet

    from lab_utils.grading import lesson_01

    (X_train, X_test, y_train, y_test), _ = houses_split
    experiment = mlflow.set_experiment("meu_experimento").experiment_id
    fitted = ElasticNet(alpha=1.0, l1_ratio=0.5).fit(X_train, y_train)
    test_rmse = rmse(y_test, fitted.predict(X_test))
    # The client, params one by one, alpha as "1" (not "1.0"), the name in another case.
    run = mlflow_client.create_run(experiment, run_name="Exercise_1")
    mlflow_client.log_param(run.info.run_id, "alpha", "1")
    mlflow_client.log_param(run.info.run_id, "l1_ratio", 0.5)
    mlflow_client.log_metric(run.info.run_id, "rmse", test_rmse)
    mlflow_client.set_terminated(run.info.run_id)
    accepted(lesson_01.check_exercise_1, run.info.run_id, X_train, y_train, X_test, y_test, capsys=capsys)

    def logged(name="exercise_1", params=None, value=test_rmse, experiment_name="meu_experimento"):
        mlflow.set_experiment(experiment_name)
        with mlflow.start_run(run_name=name) as r:
            mlflow.log_params(params or {"alpha": 1.0, "l1_ratio": 0.5})
            mlflow.log_metric("rmse", value)
        return r.info.run_id

    args = (X_train, y_train, X_test, y_test)
    refused(lesson_01.check_exercise_1, logged(value=0.876), *args, match="has rmse 0.88,")  # typed in
    # The figure a failure message (or a print) shows, typed in: refused; the computed value rounded to cents: fine.
    refused(lesson_01.check_exercise_1, logged(value=float(f"{test_rmse:.4g}")), *args, match="not a number typed in")
    refused(lesson_01.check_exercise_1, logged(value=round(test_rmse)), *args, match="not a number typed in")
    accepted(lesson_01.check_exercise_1, logged(value=round(test_rmse, 2)), *args, capsys=capsys)
    train_rmse = rmse(y_train, fitted.predict(X_train))
    refused(lesson_01.check_exercise_1, logged(value=train_rmse), *args, match="on the test houses")
    refused(lesson_01.check_exercise_1, logged(params={"alpha": 0.5, "l1_ratio": 0.5}), *args,
            match="alpha='0.5', expected 1.0")
    refused(lesson_01.check_exercise_1, logged(name="ex1"), *args, match="named 'ex1'")
    refused(lesson_01.check_exercise_1, logged(experiment_name="Default"), *args, match="experiment 'Default'")
    assert "✓" not in capsys.readouterr().out
    accepted(lesson_01.check_exercise_1, logged(), *args, capsys=capsys)  # a re-run after the mistakes


def test_01_exercise_2_chooses_on_validation_with_ties_and_refuses_test_or_highest(mlflow_client,
                                                                                   scratch_experiment,
                                                                                   houses_split, capsys):
    import mlflow

    from lab_utils.grading import lesson_01

    _, split = houses_split
    first = lesson_01.log_candidates(split)
    second = lesson_01.log_candidates(split)  # a second pass: every value is tied with the first's
    runs = {r.info.run_id: r for r in mlflow_client.search_runs([scratch_experiment])}
    by_val = sorted(first, key=lambda i: runs[i].data.metrics["val_rmse"])
    by_test = sorted(first, key=lambda i: runs[i].data.metrics["test_rmse"])
    assert by_val[0] != by_test[0], "the scenario must make the test RMSE choose differently"
    # The older of two tied runs, found with the client rather than search_runs' DataFrame.
    older = by_val[0]
    accepted(lesson_01.check_exercise_2, older, split, capsys=capsys)
    newer = second[first.index(older)]
    accepted(lesson_01.check_exercise_2, newer, split, capsys=capsys)
    refused(lesson_01.check_exercise_2, by_test[0], split, match="you chose on test_rmse")
    refused(lesson_01.check_exercise_2, by_val[-1], split, match="lowest among the candidates")
    # An invented candidate neither passes nor blocks the right answer.
    with mlflow.start_run(run_name="choice_alpha_0.2") as invented:
        mlflow.log_params({"alpha": 0.2, "l1_ratio": 0.5})
        mlflow.log_metrics({"val_rmse": 0.0, "test_rmse": 0.0})
        mlflow.set_tag("exercise", "choose_on_validation")
    refused(lesson_01.check_exercise_2, invented.info.run_id, split, match="not what its parameters score")
    with mlflow.start_run(run_name="choice_alpha_-1") as impossible:  # no ElasticNet takes alpha=-1
        mlflow.log_params({"alpha": -1, "l1_ratio": 0.5})
        mlflow.log_metrics({"val_rmse": 1.0, "test_rmse": 1.0})
        mlflow.set_tag("exercise", "choose_on_validation")
    refused(lesson_01.check_exercise_2, impossible.info.run_id, split, match="not what its parameters score")
    accepted(lesson_01.check_exercise_2, older, split, capsys=capsys)  # it does not crash the right answer's check
    with mlflow.start_run(run_name="not_a_candidate") as stranger:
        mlflow.log_metric("val_rmse", 1.0)
    refused(lesson_01.check_exercise_2, stranger.info.run_id, split, match="not one of the candidates")
    frame = mlflow.search_runs([scratch_experiment], "tags.exercise = 'choose_on_validation'")
    row = frame[frame.run_id == older].iloc[0]
    refused(lesson_01.check_exercise_2, row, split, match="got a Series")
    assert "✓" not in capsys.readouterr().out
    accepted(lesson_01.check_exercise_2, row["run_id"], split, capsys=capsys)


def _exercise_3_run(figure, how: str = "log_figure", tmp_path=None, **save) -> str:
    """A run `exercise_3` that logs `figure` at plots/price_histogram.png: with log_figure (and
    its save_kwargs), or saved with savefig and logged with log_artifact."""
    import mlflow

    with mlflow.start_run(run_name="exercise_3") as run:
        if how == "log_figure":
            mlflow.log_figure(figure, "plots/price_histogram.png", save_kwargs=save or None)
        else:
            path = tmp_path / uuid.uuid4().hex / "price_histogram.png"
            path.parent.mkdir()
            figure.savefig(path, **save)
            mlflow.log_artifact(str(path), artifact_path="plots")
    return run.info.run_id


def test_01_exercise_3_accepts_a_saved_figure_and_refuses_what_is_not_a_chart(mlflow_client, scratch_experiment,
                                                                            tmp_path, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import mlflow
    from PIL import Image

    import lab_utils
    from lab_utils.grading import lesson_01

    figure, ax = plt.subplots(figsize=(4, 3))
    ax.hist(lab_utils.load_house_prices()["price"], bins=20)
    saved = _exercise_3_run(figure, "savefig", tmp_path)  # savefig + log_artifact, not log_figure
    accepted(lesson_01.check_exercise_3, saved, figure, capsys=capsys)

    fake = tmp_path / "fake" / "price_histogram.png"
    fake.parent.mkdir()
    fake.write_text("a histogram")
    blank = tmp_path / "blank" / "price_histogram.png"
    blank.parent.mkdir()
    Image.new("RGB", (400, 300), "white").save(blank)
    for path, match in ((fake, "not an image"), (blank, "blank")):
        with mlflow.start_run(run_name="exercise_3") as run:
            mlflow.log_artifact(str(path), artifact_path="plots")
        refused(lesson_01.check_exercise_3, run.info.run_id, figure, match=match)
    # The histogram drawn on another figure (DataFrame.hist makes its own), the empty one logged.
    empty, _ = plt.subplots(figsize=(4, 3))
    plt.close(lab_utils.load_house_prices().hist("price")[0][0].figure)
    refused(lesson_01.check_exercise_3, _exercise_3_run(empty), empty, match="axes are empty")
    with mlflow.start_run(run_name="exercise_3") as elsewhere:
        mlflow.log_figure(figure, "price_histogram.png")  # at the root, not in plots/
    refused(lesson_01.check_exercise_3, elsewhere.info.run_id, figure, match="no artifact plots/price_histogram.png")
    with mlflow.start_run(run_name="histogram") as named:
        mlflow.log_figure(figure, "plots/price_histogram.png")
    refused(lesson_01.check_exercise_3, named.info.run_id, figure, match="task asks for 'exercise_3'")
    refused(lesson_01.check_exercise_3, None, figure, match="got None")
    # What is handed over as the figure: not the figure, nothing, the path of the artifact.
    for wrong, got in ((None, "got None"), (..., r"got \.\.\."), ("plots/price_histogram.png", "got the text"),
                       (list(ax.get_lines()), "got a list")):
        refused(lesson_01.check_exercise_3, saved, wrong, match=f"{got}.*put the matplotlib figure you logged in `figure`")
    assert "✓" not in capsys.readouterr().out
    plt.close("all")


def test_01_exercise_3_reads_what_the_chart_shows(mlflow_client, scratch_experiment, tmp_path, capsys):
    """Exercise 3 reads the bars of the figure handed over and counts the prices in their bins:
    every way of drawing the prices' histogram passes, a chart of something else does not, and
    the logged image must be that figure (at any dpi, tight or not)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    import lab_utils
    from lab_utils.grading import lesson_01

    houses = lab_utils.load_house_prices()
    prices = houses["price"]
    _, _, y_train, _ = lab_utils.split_house_prices(houses)
    counts, edges = np.histogram(prices, bins=25)

    def on_axes(draw):
        """A small new figure with `draw(ax)` on it: returns what `draw` returns if that is an Axes
        (pandas), else the figure."""
        figure, ax = plt.subplots(figsize=(3.2, 2.4))
        drawn = draw(ax)
        return drawn if isinstance(drawn, matplotlib.axes.Axes) else figure

    def hist(data=prices, **options):
        return lambda: on_axes(lambda ax: ax.hist(data, **options))

    good = {  # how it is drawn (returns what is handed over), how it is logged
        "ax.hist, 30 bins": (hist(bins=30), {}),
        "histtype step, dpi 72": (hist(bins=30, histtype="step"), {"dpi": 72}),
        "stepfilled, tight": (hist(histtype="stepfilled"), {"bbox_inches": "tight"}),
        "density, dpi 200": (hist(bins=30, density=True), {"dpi": 200}),
        "log, bins auto": (hist(bins="auto", log=True), {}),
        "rwidth 0.8, tight dpi 150": (hist(rwidth=0.8), {"bbox_inches": "tight", "dpi": 150}),
        "horizontal": (hist(bins=20, orientation="horizontal"), {}),
        "in thousands": (hist(prices / 1000, bins=30), {}),
        "the training split": (hist(y_train, bins=30), {}),
        "train and test stacked": (hist([y_train, prices.drop(y_train.index)], bins=30, stacked=True), {}),
        "pandas .plot.hist(), an Axes": (lambda: on_axes(lambda ax: prices.plot.hist(ax=ax)), {}),
        "DataFrame.hist, an array of Axes": (lambda: houses.hist("price", figsize=(3.2, 2.4)), {}),
        "ax.stairs": (lambda: on_axes(lambda ax: ax.stairs(counts, edges)), {}),
        "bars from np.histogram": (
            lambda: on_axes(lambda ax: ax.bar(edges[:-1], counts, width=np.diff(edges), align="edge")), {}),
        "fill_between steps (seaborn's element='step')": (
            lambda: on_axes(lambda ax: ax.fill_between(edges, np.append(counts, counts[-1]), step="post")), {}),
    }
    for name, (draw, save) in good.items():
        handed = draw()
        figure = lesson_01._figure_and_axes(handed)[0]
        how = "savefig" if "tight" in save else "log_figure"
        try:
            accepted(lesson_01.check_exercise_3, _exercise_3_run(figure, how, tmp_path, **save), handed,
                     capsys=capsys)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
        plt.close("all")

    histogram = hist(bins=30)

    def line():
        return on_axes(lambda ax: ax.plot(prices.to_numpy()))

    lotsize = hist(houses["lotsize"], bins=30)
    bad = {  # handed over, logged (None: the same), the refusal
        "a line plot of the prices": (line, None, r"no histogram \(no bars\)"),
        "a scatter": (lambda: on_axes(lambda ax: ax.scatter(houses["lotsize"], prices)), None,
                      r"no histogram \(no bars\)"),
        "an empty figure, and logged": (lambda: on_axes(lambda ax: ax.set_xlabel("price")), None,
                                       r"no histogram \(no bars\)|axes are empty"),
        "a closed figure's stand-in (plt.gcf() after plt.show())": (
            lambda: on_axes(lambda ax: None), histogram, r"not the figure in `figure`: hand over the figure you logged"),
        "every column's histogram (houses.hist())": (
            lambda: houses.hist(figsize=(6, 5)), None, "charts with bars and 1 of them counts"),
        "a chart of 120x80 pixels": (lambda: plt.subplots(figsize=(3, 2), dpi=40)[1].hist(prices, bins=30)[2][0]
                                     .axes.figure, None, "too small to read: draw a larger figure"),
        "bars at their numbers, not at the prices": (
            lambda: on_axes(lambda ax: ax.bar(range(30), np.histogram(prices, 30)[0])), None,
            "between each bar's edges on the x axis"),
        "bars of the bedrooms' counts": (
            lambda: on_axes(lambda ax: houses["bedrooms"].value_counts().sort_index().plot.bar(ax=ax)), None,
            r"bars do not count houses\[\"price\"\].*heights are not"),
        "mean price per bedrooms": (
            lambda: on_axes(lambda ax: houses.groupby("bedrooms")["price"].mean().plot.bar(ax=ax)), None,
            r"bars do not count houses\[\"price\"\].*heights are not"),
        "the histogram of lotsize": (lotsize, None, "bars do not count.*run from 1,650 to 16,200"),
        "half the houses": (hist(prices[:273], bins=30), None, "bars do not count"),
        "the prices' logarithm": (hist(np.log(prices), bins=30), None, "bars do not count"),
        "three bars": (hist(bins=3), None, "has 3 bars, too few"),
        "a line logged, the histogram handed over": (histogram, line, "not the figure in `figure`"),
        "lotsize logged, the histogram handed over": (histogram, lotsize, "not the figure in `figure`"),
        "bins 10 logged, bins 30 handed over": (histogram, hist(bins=10), "not the figure in `figure`"),
    }
    for name, (hand_over, log, match) in bad.items():
        handed = hand_over()
        logged = lesson_01._figure_and_axes(handed if log is None else log())[0]
        try:
            message = refused(lesson_01.check_exercise_3, _exercise_3_run(logged), handed, match=match)
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
        assert any(fix in message for fix in ("ax.hist", "hand over the figure", "houses.hist(", "figsize")), (name, message)
        plt.close("all")
    assert "✓" not in capsys.readouterr().out


# ---------------------------------------------------------------- lesson 02

def test_02_exercise_1_accepts_any_tied_best_child_of_this_parent(mlflow_client, scratch_experiment, capsys):
    import mlflow

    from lab_utils.grading import lesson_02

    def search(scores):
        with mlflow.start_run(run_name="grid_search_nested") as parent:
            children = []
            for i, score in enumerate(scores):
                with mlflow.start_run(run_name=f"candidate_{i}", nested=True) as child:
                    mlflow.log_params({"alpha": i, "l1_ratio": 0.5})
                    mlflow.log_metric("cv_rmse", score)
                children.append(child.info.run_id)
        return parent.info.run_id, children

    old_parent, old_children = search([10.0, 5.0, 7.0])
    parent, children = search([9.0, 6.0, 6.0, 8.0])
    for tied in children[1:3]:
        accepted(lesson_02.check_exercise_1, tied, parent, capsys=capsys)
    refused(lesson_02.check_exercise_1, children[0], parent, match="lowest among the children is 6")
    refused(lesson_02.check_exercise_1, children[0], parent, match="has cv_rmse 9")
    refused(lesson_02.check_exercise_1, old_children[1], parent,
            match="not a child of this grid_search_nested run .*: choose among")  # an older pass
    refused(lesson_02.check_exercise_1, parent, parent, match="not a child of this grid_search_nested run")
    frame = mlflow.search_runs([scratch_experiment], f"tags.mlflow.parentRunId = '{parent}'",
                               order_by=["metrics.cv_rmse ASC"], max_results=1)
    refused(lesson_02.check_exercise_1, frame, parent, match="got a DataFrame")
    assert "✓" not in capsys.readouterr().out
    accepted(lesson_02.check_exercise_1, old_children[1], old_parent, capsys=capsys)


def _search_children(mlflow_client, experiment_id, name, candidates, scores, parent_of_parent=None):
    """A parent run and a child per candidate, logged with the client (no fluent API)."""
    tags = {"mlflow.parentRunId": parent_of_parent} if parent_of_parent else None
    parent = mlflow_client.create_run(experiment_id, run_name=name, tags=tags)
    for i, (candidate, score) in enumerate(zip(candidates, scores, strict=True)):
        child = mlflow_client.create_run(experiment_id, run_name=f"trial_{i}",
                                         tags={"mlflow.parentRunId": parent.info.run_id})
        for key, value in candidate.items():
            mlflow_client.log_param(child.info.run_id, key, value)
        mlflow_client.log_param(child.info.run_id, "max_iter", 10_000)  # extra params are fine
        mlflow_client.log_metric(child.info.run_id, "cv_rmse", score)
        mlflow_client.set_terminated(child.info.run_id)
    mlflow_client.set_terminated(parent.info.run_id)
    return parent.info.run_id


def test_02_exercise_2_recomputes_what_the_search_logs(mlflow_client, scratch_experiment, houses_split, capsys):
    import mlflow
    from sklearn.linear_model import ElasticNet
    from sklearn.model_selection import ParameterSampler, RandomizedSearchCV, cross_val_score

    from lab_utils.grading import lesson_02

    (X_train, _, y_train, _), _ = houses_split
    grid = lesson_02.RANDOM_GRID
    # The solution's route: RandomizedSearchCV, fluent nested runs.
    search = RandomizedSearchCV(ElasticNet(max_iter=10_000), grid, n_iter=4, random_state=0, cv=5,
                                scoring="neg_mean_squared_error")
    with mlflow.start_run(run_name="exercise_random_search") as parent:
        search.fit(X_train, y_train)
        for i, candidate in enumerate(search.cv_results_["params"]):
            with mlflow.start_run(run_name=f"random_{i}", nested=True):
                mlflow.log_params(candidate)
                mlflow.log_metric("cv_rmse", float(np.sqrt(-search.cv_results_["mean_test_score"][i])))
    accepted(lesson_02.check_exercise_2, parent.info.run_id, X_train, y_train, 5, capsys=capsys)
    # A hand-walked ParameterSampler with the client, in reverse order, cv_rmse as the mean of fold RMSEs.
    walked = list(ParameterSampler(grid, n_iter=4, random_state=0))[::-1]
    fold_means = [float(np.sqrt(-cross_val_score(ElasticNet(max_iter=10_000, **c), X_train, y_train, cv=5,
                                                  scoring="neg_mean_squared_error")).mean()) for c in walked]
    by_hand = _search_children(mlflow_client, scratch_experiment, "Exercise_Random_Search",
                               [{k: str(v) for k, v in c.items()} for c in walked], fold_means)
    accepted(lesson_02.check_exercise_2, by_hand, X_train, y_train, 5, capsys=capsys)

    right = [float(np.sqrt(-search.cv_results_["mean_test_score"][i])) for i in range(4)]
    params = search.cv_results_["params"]
    # Four hand-made children with invented values, no search.
    invented = _search_children(mlflow_client, scratch_experiment, "exercise_random_search",
                                [{"alpha": 99, "l1_ratio": 0.5}] * 1 + params[1:], [0.0, *right[1:]])
    refused(lesson_02.check_exercise_2, invented, X_train, y_train, 5, match="alpha=99.*not in the grid")
    # The right candidates with invented scores.
    zeros = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", params, [0.0] * 4)
    refused(lesson_02.check_exercise_2, zeros, X_train, y_train, 5, match="has cv_rmse 0.00; cross-validation")
    # The scores a failure message shows (whole CAD), typed in: refused; computed and rounded to cents: fine.
    typed = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", params,
                             [float(round(v)) for v in right])
    refused(lesson_02.check_exercise_2, typed, X_train, y_train, 5, match="not a number typed in")
    cents = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", params,
                             [round(v, 2) for v in right])
    accepted(lesson_02.check_exercise_2, cents, X_train, y_train, 5, capsys=capsys)
    # The grid written with np.arange: its 0.30000000000000004 is the grid's 0.3.
    noisy_grid = {"alpha": grid["alpha"], "l1_ratio": [float(v) for v in np.arange(0.1, 1.0, 0.2)]}
    noisy = list(ParameterSampler(noisy_grid, n_iter=4, random_state=0))
    assert any(c["l1_ratio"] not in grid["l1_ratio"] for c in noisy), "the scenario must hold float noise"
    arange = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", noisy, right)
    accepted(lesson_02.check_exercise_2, arange, X_train, y_train, 5, capsys=capsys)
    # Another draw of the grid (random_state=1), and only three children.
    other = list(ParameterSampler(grid, n_iter=4, random_state=1))
    drawn = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", other, right)
    refused(lesson_02.check_exercise_2, drawn, X_train, y_train, 5, match="not the search's candidates")
    three = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", params[:3], right[:3])
    refused(lesson_02.check_exercise_2, three, X_train, y_train, 5, match=r"missing \[\(")
    twice = _search_children(mlflow_client, scratch_experiment, "exercise_random_search",
                             [params[0], *params[:3]], [right[0], *right[:3]])
    refused(lesson_02.check_exercise_2, twice, X_train, y_train, 5, match="two child runs hold")
    empty = _search_children(mlflow_client, scratch_experiment, "exercise_random_search", [], [])
    refused(lesson_02.check_exercise_2, empty, X_train, y_train, 5, match="no child runs")
    named = _search_children(mlflow_client, scratch_experiment, "random_search", params, right)
    refused(lesson_02.check_exercise_2, named, X_train, y_train, 5, match="named 'random_search'")
    child = mlflow_client.search_runs([scratch_experiment], f"tags.mlflow.parentRunId = '{parent.info.run_id}'")[0]
    refused(lesson_02.check_exercise_2, child.info.run_id, X_train, y_train, 5, match="itself a child run")
    refused(lesson_02.check_exercise_2, parent, X_train, y_train, 5, match="got an ActiveRun")
    assert "✓" not in capsys.readouterr().out


# ---------------------------------------------------------------- lesson 03 (Spark)

@pytest.fixture(scope="module")
def spark():
    from lab_utils.spark import spark_session

    session = spark_session("grading_tests", master="local[1]", shuffle_partitions=1)
    yield session
    session.stop()


def test_the_labs_spark_jvms_start_with_the_small_machine_options(spark):
    """lab_utils.spark_session's driver JVM, and the executors it asks for, run with the quick
    compiler only and one GC thread (lab_utils/spark_conf/spark-defaults.conf)."""
    options = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC"
    conf = spark.sparkContext.getConf()
    assert conf.get("spark.executor.defaultJavaOptions", "") == options, conf.get("spark.executor.defaultJavaOptions")
    runtime = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    arguments = list(runtime.getInputArguments())
    assert set(options.split()) <= set(arguments), arguments


def test_03_exercise_1_reads_the_logged_forest(spark, mlflow_client, scratch_experiment, houses_split, capsys):
    import mlflow
    import mlflow.spark
    import pyspark
    from pyspark.ml import Pipeline
    from pyspark.ml.evaluation import RegressionEvaluator
    from pyspark.ml.feature import VectorAssembler
    from pyspark.ml.regression import RandomForestRegressor

    from lab_utils import FEATURES
    from lab_utils.grading import lesson_03

    (X_train, X_test, y_train, y_test), _ = houses_split
    train_raw = spark.createDataFrame(X_train.assign(label=y_train.astype(float)))
    test_raw = spark.createDataFrame(X_test.assign(label=y_test.astype(float)))
    evaluator = RegressionEvaluator(labelCol="label", metricName="rmse")
    requirements = [f"pyspark=={pyspark.__version__}", f"mlflow=={mlflow.__version__}"]

    def forest(trees, depth):
        return Pipeline(stages=[VectorAssembler(inputCols=FEATURES, outputCol="features"),
                                RandomForestRegressor(labelCol="label", numTrees=trees, maxDepth=depth,
                                                      seed=7)]).fit(train_raw)

    deeper = forest(50, 8)
    test_rmse = evaluator.evaluate(deeper.transform(test_raw))
    # Params as strings through the client, the model path as a keyword (not positional).
    with mlflow.start_run(run_name="exercise_spark_deeper") as run:
        mlflow_client.log_param(run.info.run_id, "numTrees", "50")
        mlflow_client.log_param(run.info.run_id, "maxDepth", "8")
        mlflow.log_metric("rmse", test_rmse)
        mlflow.spark.log_model(deeper, artifact_path="model", pip_requirements=requirements)
    accepted(lesson_03.check_exercise_1, run.info.run_id, test_raw, evaluator, 20_000.0, capsys=capsys)

    shallow = forest(3, 2)
    with mlflow.start_run(run_name="exercise_spark_deeper") as claims:  # says 50 trees, logs 3
        mlflow.log_params({"numTrees": 50, "maxDepth": 8})
        mlflow.log_metric("rmse", evaluator.evaluate(shallow.transform(test_raw)))
        mlflow.spark.log_model(shallow, "model", pip_requirements=requirements)
    refused(lesson_03.check_exercise_1, claims.info.run_id, test_raw, evaluator, match="3 trees of depth 2")
    with mlflow.start_run(run_name="exercise_spark_deeper") as typed:  # the right forest, its rmse typed in
        mlflow.log_params({"numTrees": 50, "maxDepth": 8})
        mlflow.log_metric("rmse", float(round(test_rmse)))  # the whole CAD a print (or a message) shows
        mlflow.spark.log_model(deeper, "model", pip_requirements=requirements)
    refused(lesson_03.check_exercise_1, typed.info.run_id, test_raw, evaluator,
            match="not the logged model's RMSE .*not a number typed in")
    with mlflow.start_run(run_name="exercise_spark_deeper") as no_model:
        mlflow.log_params({"numTrees": 50, "maxDepth": 8})
        mlflow.log_metric("rmse", test_rmse)
    refused(lesson_03.check_exercise_1, no_model.info.run_id, test_raw, evaluator, match="no Spark model")
    with mlflow.start_run(run_name="exercise_spark_deeper") as bare:  # the forest without its VectorAssembler
        mlflow.log_params({"numTrees": 50, "maxDepth": 8})
        mlflow.log_metric("rmse", test_rmse)
        mlflow.spark.log_model(deeper.stages[-1], "model", pip_requirements=requirements)
    refused(lesson_03.check_exercise_1, bare.info.run_id, test_raw, evaluator, match="not the forest alone")
    with mlflow.start_run(run_name="exercise_spark_deeper") as other_values:
        mlflow.log_params({"numTrees": 20, "maxDepth": 8})
    refused(lesson_03.check_exercise_1, other_values.info.run_id, test_raw, evaluator,
            match="numTrees='20', expected 50")
    assert "✓" not in capsys.readouterr().out


@pytest.fixture(scope="module")
def price_model(lab):
    """A stand-in for lesson 01's ElasticNet: a logged scikit-learn model and its runs:/ URI."""
    import mlflow
    from sklearn.linear_model import ElasticNet

    import lab_utils

    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    mlflow.set_experiment(f"grading_test_{uuid.uuid4().hex[:10]}")
    X_train, _, y_train, _ = lab_utils.split_house_prices()
    with mlflow.start_run(run_name="price_model") as run:
        mlflow.sklearn.log_model(ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train), name="model",
                                 pip_requirements=["scikit-learn"])
    return f"runs:/{run.info.run_id}/model"


def test_03_exercise_2_compares_columns_as_a_set_and_says_what_is_missing(spark, price_model, mlflow_client,
                                                                         scratch_experiment, tmp_path, capsys):
    import mlflow

    import lab_utils
    from lab_utils.grading import lesson_03

    houses = lab_utils.load_new_houses()
    prices = np.asarray(mlflow.pyfunc.load_model(price_model).predict(houses), dtype=float)
    frame = houses.reset_index()[["house_id"]].assign(predicted_price=prices)

    def written(pandas_frame, name="exercise_spark_batch", spark_writes=True, success_by_hand=False):
        path = tmp_path / uuid.uuid4().hex / "priced"
        if spark_writes:
            data = spark.createDataFrame(pandas_frame).coalesce(1)
            data.write.mode("overwrite").parquet(str(path))
            data.write.mode("overwrite").parquet(str(path))  # a re-run of the same cell, as the hint says
        else:
            path.mkdir(parents=True)
            pandas_frame.to_parquet(path / "part-00000.parquet")
            if success_by_hand:
                (path / "_SUCCESS").touch()
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_artifacts(str(path), artifact_path="priced")
        return run.info.run_id

    reordered = frame[["predicted_price", "house_id"]].sample(frac=1.0, random_state=1)  # other column and row order
    accepted(lesson_03.check_exercise_2, written(reordered), price_model, capsys=capsys)
    message = refused(lesson_03.check_exercise_2, written(frame[["house_id"]]), price_model,
                      match=r"missing \['predicted_price'\], extra -")
    assert "exactly the columns" in message
    refused(lesson_03.check_exercise_2, written(frame.assign(price=1.0)), price_model, match=r"extra \['price'\]")
    refused(lesson_03.check_exercise_2, written(frame.assign(predicted_price=prices * 1.1)), price_model,
            match="not lesson 01's ElasticNet prices")
    refused(lesson_03.check_exercise_2, written(frame.head(5)), price_model, match="missing")
    refused(lesson_03.check_exercise_2, written(frame, spark_writes=False), price_model, match="_SUCCESS")
    refused(lesson_03.check_exercise_2, written(frame, spark_writes=False, success_by_hand=True), price_model,
            match="not written by Spark")
    refused(lesson_03.check_exercise_2, written(frame, name="batch"), price_model, match="named 'batch'")
    message = refused(lesson_03.check_exercise_2, spark.createDataFrame(frame), price_model, match="got a DataFrame")
    assert "iloc" not in message, message  # a Spark DataFrame holds no run id to point to
    assert "✓" not in capsys.readouterr().out


# ---------------------------------------------------------------- lesson 04

@pytest.fixture
def registered(mlflow_client, scratch_experiment, houses_split):
    """A registered model of this test's own: version 1 (alpha 1) and version 2 (alpha 0.1) @champion."""
    import mlflow
    from sklearn.linear_model import ElasticNet

    (X_train, _, y_train, _), _ = houses_split
    name = f"grading_test_{uuid.uuid4().hex[:10]}"

    def register(alpha):
        with mlflow.start_run():
            info = mlflow.sklearn.log_model(ElasticNet(alpha=alpha, l1_ratio=0.9).fit(X_train, y_train),
                                            name="model", pip_requirements=["scikit-learn"])
        return mlflow.register_model(info.model_uri, name).version

    register(1.0)
    mlflow_client.set_registered_model_alias(name, "champion", register(0.1))
    yield name, register
    mlflow_client.delete_registered_model(name)


def test_04_exercise_1_takes_the_version_as_a_number_and_reads_the_registry(registered, mlflow_client, capsys):
    from lab_utils.grading import lesson_04

    name, _ = registered
    mlflow_client.update_model_version(name, "2", description="The current CHAMPION.")
    refused(lesson_04.check_exercise_1, 2, name, match="reviewed_by")
    mlflow_client.set_model_version_tag(name, "2", "reviewed_by", "grace")
    accepted(lesson_04.check_exercise_1, 2, name, capsys=capsys)  # an int, not the registry's "2"
    accepted(lesson_04.check_exercise_1, "2", name, capsys=capsys)
    refused(lesson_04.check_exercise_1, mlflow_client.get_model_version(name, "2"), name, match="got a ModelVersion")
    refused(lesson_04.check_exercise_1, None, name, match="got None")
    mlflow_client.update_model_version(name, "1", description="champion")
    mlflow_client.set_model_version_tag(name, "1", "reviewed_by", "grace")
    refused(lesson_04.check_exercise_1, "1", name, match="@champion is version 2, not 1")
    mlflow_client.update_model_version(name, "2", description="the best model")
    refused(lesson_04.check_exercise_1, "2", name, match="lacks the word champion")
    assert "✓" not in capsys.readouterr().out
    mlflow_client.update_model_version(name, "2", description="Campeão atual: ElasticNet alpha=0.1")  # pt-BR
    accepted(lesson_04.check_exercise_1, "2", name, capsys=capsys)


def test_04_exercise_2_checks_the_champions_prices_and_survives_a_later_promotion(registered, mlflow_client,
                                                                                 houses_split, tmp_path, capsys):
    import mlflow

    from lab_utils.grading import lesson_04

    name, register = registered
    (_, X_test, _, _), _ = houses_split

    def prices(version):
        return mlflow.pyfunc.load_model(f"models:/{name}/{version}").predict(X_test.head()).tolist()

    def check_run(tag, predictions, run_name="champion_check"):
        path = tmp_path / uuid.uuid4().hex / "predictions.json"
        path.parent.mkdir()
        path.write_text(json.dumps({"predictions": predictions}))
        with mlflow.start_run(run_name=run_name) as run:
            mlflow.set_tag("model_version", tag)
            mlflow.log_artifact(str(path))  # a JSON file, not log_dict
        return run.info.run_id

    right = check_run(2, prices(2))  # the tag given as an int
    accepted(lesson_04.check_exercise_2, right, name, X_test, capsys=capsys)
    refused(lesson_04.check_exercise_2, check_run("1", prices(1)), name, X_test, match="@champion is version 2")
    refused(lesson_04.check_exercise_2, check_run("2", prices(1)), name, X_test, match="does not hold version 2")
    refused(lesson_04.check_exercise_2, check_run("2", prices(2), "check"), name, X_test, match="named 'check'")
    with mlflow.start_run(run_name="champion_check") as empty:
        mlflow.set_tag("model_version", "2")
    refused(lesson_04.check_exercise_2, empty.info.run_id, name, X_test, match="no predictions.json")
    assert "✓" not in capsys.readouterr().out
    # Later work promotes a newer version through the lesson's gate (which tags the old champion
    # replaced_by): the check, re-run, still accepts the earlier answer.
    stage_shortcut = check_run("1", prices(1))  # version 1 loaded by number (or stage), never the champion
    newer = register(0.5)
    mlflow_client.set_model_version_tag(name, "2", "replaced_by", newer)
    mlflow_client.set_registered_model_alias(name, "champion", newer)
    accepted(lesson_04.check_exercise_2, right, name, X_test, capsys=capsys)
    refused(lesson_04.check_exercise_2, stage_shortcut, name, X_test, match="@champion is version 3")


# ---------------------------------------------------------------- lesson 04: an independent reviewer's variants

def _rest(method: str, path: str, body: dict) -> dict:
    """The tracking server's REST API by hand, as `curl` would call it (no MLflow client)."""
    import requests

    answer = requests.request(method, f"{os.environ['MLFLOW_TRACKING_URI']}/api/2.0/mlflow/{path}", json=body,
                              timeout=30)
    assert answer.ok, answer.text
    return answer.json()


def test_04_exercise_1_accepts_the_rest_api_a_numpy_version_and_a_tag_key_in_another_case(registered, mlflow_client,
                                                                                          capsys):
    import pandas as pd

    from lab_utils.grading import lesson_04

    name, _ = registered
    # The alias moved to version 1, the description and the tag set through REST, not the client.
    _rest("POST", "registered-models/alias", {"name": name, "alias": "champion", "version": "1"})
    _rest("PATCH", "model-versions/update", {"name": name, "version": "1", "description": "our Champion since today"})
    _rest("POST", "model-versions/set-tag", {"name": name, "version": "1", "key": "Reviewed_By", "value": "Katherine"})
    versions = pd.DataFrame([{"version": int(v.version)} for v in mlflow_client.search_model_versions(
        f"name = '{name}'")])
    described = versions["version"].min()  # a numpy int64, read from a DataFrame
    assert type(described).__name__ == "int64"
    accepted(lesson_04.check_exercise_1, described, name, capsys=capsys)
    accepted(lesson_04.check_exercise_1, 1.0, name, capsys=capsys)


def test_04_exercise_1_refuses_the_registered_models_description_and_tag_instead_of_the_versions(
        registered, mlflow_client):
    from lab_utils.grading import lesson_04

    name, _ = registered
    mlflow_client.update_registered_model(name, description="champion of the house prices")  # the model, not v2
    mlflow_client.set_registered_model_tag(name, "reviewed_by", "ada")
    refused(lesson_04.check_exercise_1, "2", name, match="lacks the word champion")
    mlflow_client.update_model_version(name, "2", description="champion")
    refused(lesson_04.check_exercise_1, "2", name, match="no reviewed_by tag")
    mlflow_client.set_model_version_tag(name, "2", "reviewed_by", "   ")
    refused(lesson_04.check_exercise_1, "2", name, match="no reviewed_by tag")
    refused(lesson_04.check_exercise_1, "v2", name, match="expected a model version number")


def test_04_exercise_2_accepts_the_client_the_sklearn_flavor_and_whole_cad(registered, mlflow_client, houses_split,
                                                                          scratch_experiment, capsys):
    import mlflow

    from lab_utils.grading import lesson_04

    name, _ = registered
    (_, X_test, _, _), _ = houses_split
    estimator = mlflow.sklearn.load_model(f"models:/{name}@champion")  # the sklearn flavor, not pyfunc
    version = mlflow_client.get_model_version_by_alias(name, "champion").version
    run = mlflow_client.create_run(scratch_experiment, run_name="Champion_Check")  # MlflowClient only, no fluent run
    mlflow_client.set_tag(run.info.run_id, "Model_Version", version)
    mlflow_client.log_dict(run.info.run_id, {"predictions": [round(p) for p in estimator.predict(X_test.head())]},
                           "predictions.json")
    mlflow_client.set_terminated(run.info.run_id)
    accepted(lesson_04.check_exercise_2, run.info.run_id, name, X_test, capsys=capsys)
    # The same run handed over as the Run object: one line that says where its id is.
    refused(lesson_04.check_exercise_2, mlflow_client.get_run(run.info.run_id), name, X_test,
            match="got a Run: hand over its id")


def test_04_exercise_2_refuses_prices_rounded_away_and_a_stale_champion_object(registered, mlflow_client,
                                                                              houses_split):
    import mlflow

    from lab_utils.grading import lesson_04

    name, register = registered
    (_, X_test, _, _), _ = houses_split
    stale = mlflow.pyfunc.load_model(f"models:/{name}@champion")  # loaded before the alias moves
    mlflow_client.set_registered_model_alias(name, "champion", register(5.0))
    version = mlflow_client.get_model_version_by_alias(name, "champion").version
    with mlflow.start_run(run_name="champion_check") as stale_run:
        mlflow.set_tag("model_version", version)
        mlflow.log_dict({"predictions": stale.predict(X_test.head()).tolist()}, "predictions.json")
    refused(lesson_04.check_exercise_2, stale_run.info.run_id, name, X_test, match=f"does not hold version {version}")
    champion = mlflow.pyfunc.load_model(f"models:/{name}@champion")
    with mlflow.start_run(run_name="champion_check") as rounded_run:
        mlflow.set_tag("model_version", version)
        mlflow.log_dict({"predictions": np.round(champion.predict(X_test.head()), -3).tolist()}, "predictions.json")
    refused(lesson_04.check_exercise_2, rounded_run.info.run_id, name, X_test, match="does not hold version")
