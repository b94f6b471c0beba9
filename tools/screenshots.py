"""The UI steps the lessons teach, walked in a real browser (Debian's headless Chromium).

`make notebooks` calls `take_lesson_screenshots` on its first-pass lab, after the lessons
ran, so docs/screenshots/ shows the lessons' own runs (lesson 02's `candidate_*`, lesson
04's `previsao_precos@champion`, lesson 07's flow run) as a learner's lab shows them.
tests/test_ui.py walks the same steps on runs it makes itself and reads the pages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

# Debian's Chromium; CHROMIUM_PATH names another Chromium-based browser (a GitHub runner's Chrome).
CHROMIUM = Path(os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium")
# Headless Chromium here: no sandbox as root, no background network traffic to the outside.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROW_CHECKBOX = '[aria-label^="Press Space to toggle row selection"]'
# The button on a parent run's name that shows its child runs.
EXPAND_CHILD_RUNS = 'button[data-component-id*="runnamecellrenderer"]'
Shoot = Callable[[object, str], None]


@contextmanager
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def new_page(launched) -> Iterator[object]:
    context = launched.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(30_000)
    try:
        yield page
    finally:
        context.close()


def close_assistant(page) -> None:
    """The MLflow Assistant side panel opens by itself; close it so the page is seen whole."""
    try:
        page.get_by_role("button", name="Close", exact=True).first.click(timeout=5_000)
    except Exception:
        pass  # not shown in this version or this layout


def saver(folder: Path) -> Shoot:
    def shoot(page, name: str) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(folder / f"{name}.png"))
    return shoot


def compare_runs(page, tracking_uri: str, experiment: str, run_filter: str, run_names: list[str],
                 shoot: Shoot, narrow_filter: str | None = None) -> str:
    """Lesson 08's steps: experiments page, the experiment's runs filtered by `run_filter`,
    then (with `narrow_filter`) narrowed to `run_names`, those ticked, Compare. Returns the
    comparison page's text."""
    page.goto(tracking_uri)
    close_assistant(page)
    page.get_by_text("Model training", exact=True).click()
    page.get_by_role("link", name="Experiments", exact=True).click()
    page.get_by_role("link", name=experiment, exact=True).wait_for()
    shoot(page, "01_experiments")

    page.get_by_role("link", name=experiment, exact=True).click()
    search = page.get_by_placeholder(re.compile("metrics.rmse"))
    search.fill(run_filter)
    search.press("Enter")
    show_child_runs(page, run_names)
    shoot(page, "02_runs")
    if narrow_filter:
        search.fill(narrow_filter)
        search.press("Enter")
        show_child_runs(page, run_names)

    for name in run_names:
        row = page.locator('[role="row"]').filter(has=page.get_by_role("link", name=name, exact=True))
        row.locator(ROW_CHECKBOX).check()
    compare = page.get_by_role("button", name=re.compile("^Compare"))
    compare.wait_for()
    shoot(page, "03_selected")
    compare.click()
    page.get_by_text("l1_ratio").first.wait_for()
    page.wait_for_timeout(1500)  # let the plots draw before the screenshot
    shoot(page, "04_compare")
    return page.inner_text("body")


def show_child_runs(page, run_names: list[str]) -> None:
    """Wait for the runs named; nested runs sit under their parent's row, folded: unfold it."""
    first = page.get_by_role("link", name=run_names[0], exact=True).first
    try:
        first.wait_for(timeout=5_000)
    except Exception:
        page.locator(EXPAND_CHILD_RUNS).first.click()
    for name in run_names:
        page.get_by_role("link", name=name, exact=True).first.wait_for()


def registered_model(page, tracking_uri: str, name: str, alias: str, shoot: Shoot) -> str:
    page.goto(f"{tracking_uri}/#/models/{name}")
    close_assistant(page)
    page.get_by_text(f"@ {alias}").first.wait_for()
    shoot(page, "05_registered_model")
    return page.inner_text("body")


def flow_run(page, prefect_ui_url: str, flow_run_id: str, flow_name: str, shoot: Shoot) -> str:
    page.goto(f"{prefect_ui_url}/runs/flow-run/{flow_run_id}")
    page.get_by_text(flow_name).first.wait_for()
    page.get_by_text("Completed").first.wait_for()
    shoot(page, "06_prefect_flow_run")
    return page.inner_text("body")


def traces(page, tracking_uri: str, experiment_id: str, shoot: Shoot) -> str:
    """Lesson 11's Traces tab (GenAI mode): one row per request of the FAQ assistant."""
    page.goto(f"{tracking_uri}/#/experiments/{experiment_id}/traces")
    # A request's input in the Input column (drawn across several elements: read the page's text).
    page.wait_for_function("""document.body.innerText.includes('{"question": ')""", timeout=60_000)
    try:  # a one-time tip about the AI "detect issues" button covers the table
        page.get_by_role("button", name="Got it", exact=True).first.click(timeout=5_000)
    except Exception:
        pass
    for _ in range(2):  # the tip's own close button, then the assistant's side panel
        close_assistant(page)
    shoot(page, "11_traces")
    return page.inner_text("body")


def take_lesson_screenshots(config, folder: Path) -> None:
    """docs/screenshots/ from a lab the lessons ran on: the three best of lesson 02's
    candidates compared, lesson 04's champion, the last flow run of lesson 07 (`retreinar-modelo`,
    not a later lesson's flow), lesson 11's traces."""
    import asyncio

    from mlflow import MlflowClient
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterState,
        FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    client = MlflowClient()
    experiment = client.get_experiment_by_name("meu_experimento")
    best = client.search_runs([experiment.experiment_id], "attributes.run_name LIKE 'candidate_%'",
                              order_by=["metrics.cv_rmse ASC"], max_results=3)
    if len(best) < 3:
        raise RuntimeError("lesson 02's candidate_* runs are not on this lab: run the lessons first")

    async def last_completed_flow_run():
        async with get_client() as prefect:
            runs = await prefect.read_flow_runs(
                flow_filter=FlowFilter(name=FlowFilterName(any_=["retreinar-modelo"])),
                flow_run_filter=FlowRunFilter(state=FlowRunFilterState(type=FlowRunFilterStateType(any_=["COMPLETED"]))),
                sort=FlowRunSort.START_TIME_DESC, limit=1)
            flow = await prefect.read_flow(runs[0].flow_id)
            return runs[0].id, flow.name

    run_id, flow_name = asyncio.run(last_completed_flow_run())
    faq_assistant = client.get_experiment_by_name("faq_assistant")
    if faq_assistant is None:
        raise RuntimeError("lesson 11's experiment faq_assistant is not on this lab: run the lessons first")
    # Lesson 08's filter shows the nine candidates; the three best are then narrowed to (the
    # candidates up to the third's score) and ticked.
    third = best[-1].data.metrics["cv_rmse"]
    candidates = "attributes.run_name LIKE 'candidate_%'"
    shoot = saver(folder)
    with browser() as launched:
        with new_page(launched) as page:
            compare_runs(page, config.tracking_uri, "meu_experimento", candidates, [r.info.run_name for r in best],
                         shoot, narrow_filter=f"{candidates} AND metrics.cv_rmse <= {third + 0.5:.1f}")
        with new_page(launched) as page:
            registered_model(page, config.tracking_uri, "previsao_precos", "champion", shoot)
        with new_page(launched) as page:
            flow_run(page, config.prefect_ui_url, str(run_id), flow_name, shoot)
        with new_page(launched) as page:
            traces(page, config.tracking_uri, faq_assistant.experiment_id, shoot)
