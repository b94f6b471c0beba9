"""The UI steps the lessons teach, done in a real browser (headless Chromium) against the lab.

Each test creates what it looks at through the API, then walks the UI the way lesson 08
tells a learner to (tools/screenshots.py), and reads the page. Its screenshots land in
build/screenshots/; docs/screenshots/, which the lessons show, come from `make notebooks`'
first pass (the lessons' own runs).
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest
import screenshots

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "build" / "screenshots"
shoot = screenshots.saver(SHOTS)

# Skipped on a machine without Chromium, never in CI: there a missing browser is a failure.
pytestmark = pytest.mark.skipif(not screenshots.CHROMIUM.exists() and not shutil.which("chromium")
                                and not os.environ.get("CI"), reason="Chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def browser():
    with screenshots.browser() as launched:
        yield launched


@pytest.fixture()
def page(browser):
    with screenshots.new_page(browser) as page:
        yield page


@pytest.fixture(scope="module")
def compared_runs(lab):
    import mlflow

    mlflow.set_experiment("meu_experimento")
    prefix = f"ui_compare_{uuid.uuid4().hex[:6]}"  # unique, so a re-run on the same lab finds only these
    runs = {}
    for name, alpha, l1_ratio, rmse in ((f"{prefix}_a", 0.1, 0.9, 15872.0), (f"{prefix}_b", 0.5, 0.5, 16693.0),
                                        (f"{prefix}_c", 1.0, 0.1, 18377.0)):
        with mlflow.start_run(run_name=name) as run:
            mlflow.log_params({"alpha": alpha, "l1_ratio": l1_ratio})
            mlflow.log_metric("rmse", rmse)
        runs[name] = run.info.run_id
    return runs


def test_compare_runs_in_the_mlflow_ui(lab, page, compared_runs):
    prefix = next(iter(compared_runs))[:-2]
    text = screenshots.compare_runs(page, lab.tracking_uri, "meu_experimento",
                                    f"attributes.run_name LIKE '{prefix}_%'", list(compared_runs), shoot)
    for run_name in compared_runs:
        assert run_name in text, f"{run_name} is not on the comparison page"
    for value in ("0.1", "0.5", "1.0", "15872", "18377"):
        assert value in text, f"{value} is not on the comparison page"


def test_registered_model_versions_and_alias_in_the_ui(lab, page):
    import mlflow
    from mlflow import MlflowClient
    from sklearn.dummy import DummyRegressor

    mlflow.set_experiment("meu_experimento")
    with mlflow.start_run(run_name="ui_registry"):
        info = mlflow.sklearn.log_model(DummyRegressor().fit([[0]], [1.0]), name="model",
                                        pip_requirements=["scikit-learn"])
    version = mlflow.register_model(info.model_uri, "previsao_precos").version
    # Its own alias: the lessons' @champion is left where they put it.
    MlflowClient().set_registered_model_alias("previsao_precos", "ui_check", version)

    text = screenshots.registered_model(page, lab.tracking_uri, "previsao_precos", "ui_check", shoot)
    assert "previsao_precos" in text and "Versions" in text


def test_flow_runs_in_the_prefect_ui(lab, page):
    from prefect import flow

    @flow(name="ui-test-flow")
    def ui_test_flow() -> int:
        return 42

    state = ui_test_flow(return_state=True)
    from prefect.runtime import flow_run  # noqa: F401  (imported for its side effects on settings)

    flow_run_id = state.state_details.flow_run_id
    screenshots.flow_run(page, lab.prefect_ui_url, str(flow_run_id), "ui-test-flow", shoot)

    page.goto(f"{lab.prefect_ui_url}/runs")
    page.get_by_text("ui-test-flow").first.wait_for()
    assert "ui-test-flow" in page.inner_text("body")


@pytest.mark.parametrize(("language", "run_all"), [("en", "Run All"), ("pt_BR", "Executar todos")])
def test_jupyterlab_greets_a_new_learner_in_their_language_without_asking_about_jupyter_news(
        lab, page, language, run_all):
    """The lab may be offline: JupyterLab is started with the lab's settings overrides
    (lab_stack/jupyterlab_settings/overrides.json, `fetchNews: "false"`), so a new learner is not
    asked "Would you like to get notified about official Jupyter news?" and nothing fetches it.
    A learner who chose Portuguese (`LAB_LANG=pt_BR make lab`) gets JupyterLab's own menus in
    Portuguese (its language pack), everyone else English."""
    import subprocess
    import sys

    import requests

    from lab_stack import stack
    from lab_stack.services.jupyterlab import jupyter_token

    started = subprocess.run([str(Path(sys.executable).parent / "lab"), "up", "--jupyter"],
                             capture_output=True, text=True, timeout=300, env={**os.environ, "LAB_LANG": language})
    try:
        assert started.returncode == 0, started.stderr
        token = jupyter_token(lab)
        base = f"http://{lab.host}:{lab.jupyter_port}"
        served = requests.get(f"{base}/lab/api/settings/@jupyterlab/apputils-extension:notification",
                              params={"token": token}, timeout=30)
        assert served.ok, served.text[:300]
        fetch_news = served.json()["schema"]["properties"]["fetchNews"]
        assert fetch_news.get("default") == "false", f"JupyterLab serves fetchNews {fetch_news}"
        # What a new learner sees: a fresh browser (no settings of its own) on the lab's JupyterLab.
        page.goto(f"{base}/lab/tree/notebooks?token={token}")
        page.locator(".jp-DirListing-item").first.wait_for(timeout=120_000)
        prompt = page.get_by_text("Would you like to get notified about official Jupyter news?")
        page.wait_for_timeout(5_000)  # the prompt, when on, shows within a second of the page
        shoot(page, f"jupyterlab_first_page_{language}")
        assert prompt.count() == 0, "JupyterLab asks a new learner about Jupyter news"
        # The Run menu (the fourth; JupyterLab 4.6 leaves the menu bar's own titles in English):
        # its commands in the learner's language.
        page.locator(".lm-MenuBar-item").nth(3).click()
        commands = page.locator(".lm-Menu-itemLabel").all_inner_texts()
        assert run_all in commands, f"JupyterLab's Run menu for LAB_LANG={language}: {commands}"
    finally:
        stack.stop_group(lab, "jupyter")
