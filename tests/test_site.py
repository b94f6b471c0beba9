"""The course's book (`make site`), built as a fork's Pages would build it and read in a real browser.

The build itself fails on any Sphinx warning (a broken link, a missing image). The book is then
served over HTTP and walked in headless Chromium (Debian's, through Playwright): the landing
page, full-text search, the sidebar to every lesson, the language switch both ways, a plot and
a screenshot that really load, and no console error anywhere on the way.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import screenshots

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"
LESSONS = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))

pytestmark = pytest.mark.skipif(not screenshots.CHROMIUM.exists() and not shutil.which("chromium")
                                and not os.environ.get("CI"), reason="Chromium is not installed (make test installs it)")


@pytest.fixture(scope="module")
def book():
    """`make site`'s build, timed, served on a loopback port for the module."""
    started = time.monotonic()
    result = subprocess.run([sys.executable, "tools/build_site.py"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, f"the book does not build cleanly:\n{result.stdout[-3000:]}{result.stderr[-6000:]}"
    print(f"book built in {time.monotonic() - started:.0f} s")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    handler.log_message = lambda *_args: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def browser():
    with screenshots.browser() as launched:
        yield launched


@pytest.fixture()
def page(browser):
    """A page that records every console error and failed request; the test ends with none."""
    with screenshots.new_page(browser) as page:
        problems: list[str] = []
        page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
        page.on("response", lambda response: problems.append(f"{response.status} {response.url}")
                if response.status >= 400 else None)
        page.problems = problems
        yield page
        assert not problems, f"console errors or failed requests: {problems}"


def test_the_landing_page_is_the_readmes_two_commands_with_every_lesson(book, page):
    page.goto(f"{book}/index.html")
    assert "DataFlow Lab" in page.title()
    body = page.inner_text("article")
    assert "Two commands" in body and "make lab" in body and "make test" in body
    sidebar = {link.split("#")[0] for link in page.eval_on_selector_all(
        "nav.bd-links a", "links => links.map(a => a.getAttribute('href'))")}
    missing = [stem for stem in LESSONS if f"notebooks/{stem}.html" not in sidebar]
    assert not missing, f"lessons missing from the sidebar: {missing}"
    assert "docs/instructor_guide.html" in sidebar
    assert not any("solutions" in link for link in sidebar), "the solutions are not part of the book"


def test_the_sidebar_reaches_every_lesson_with_its_contents_and_run_it_yourself_hint(book, page):
    for edition, prefix in (("en", ""), ("pt-BR", "pt-BR/")):
        for stem in LESSONS:
            folder = "notebooks/" if edition == "en" else "notebooks/pt-BR/"
            response = page.goto(f"{book}/{prefix}{folder}{stem}.html")
            assert response.ok, f"{prefix}{folder}{stem}.html: {response.status}"
            hint = page.inner_text("article blockquote")
            assert f"{folder}{stem}.ipynb" in hint, f"{stem} ({edition}) has no 'run it yourself' hint: {hint!r}"
            assert page.locator("#pst-page-navigation-heading-2, .bd-toc-nav").count() > 0, "no on-page contents"


def test_searching_alias_finds_the_model_registry_lesson(book, page):
    page.goto(f"{book}/search.html?q=alias")
    page.wait_for_selector("ul.search li a", timeout=20_000)
    found = page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.getAttribute('href'))")
    assert any("04_model_registry" in link for link in found), found
    page.goto(f"{book}/pt-BR/search.html?q=alias")
    page.wait_for_selector("ul.search li a", timeout=20_000)
    found = page.eval_on_selector_all("ul.search li a", "links => links.map(a => a.getAttribute('href'))")
    assert any("04_model_registry" in link for link in found), found


def test_the_language_switch_goes_both_ways_on_a_lesson(book, page):
    page.goto(f"{book}/notebooks/04_model_registry.html")
    page.click("a.language-switch")
    page.wait_for_load_state()
    assert page.url.endswith("/pt-BR/notebooks/pt-BR/04_model_registry.html"), page.url
    assert "O registro de modelos" in page.inner_text("h1")
    page.click("a.language-switch")
    page.wait_for_load_state()
    assert page.url.endswith("/notebooks/04_model_registry.html") and "/pt-BR/" not in page.url, page.url
    assert "Model Registry" in page.inner_text("h1")


def test_a_plot_and_a_screenshot_render(book, page):
    def loaded_images(url: str, selector: str) -> list[int]:
        page.goto(url)
        page.wait_for_load_state("networkidle")
        return page.eval_on_selector_all(selector, "images => images.map(i => i.complete ? i.naturalWidth : 0)")

    plots = loaded_images(f"{book}/notebooks/01_basic_tracking.html", "div.cell_output img")
    assert plots and all(width > 0 for width in plots), f"plots of lesson 01: {plots}"
    shots = loaded_images(f"{book}/notebooks/08_best_practices.html", "article img[src*='screenshot'], "
                          "article img[src*='01_experiments']")
    assert shots and all(width > 0 for width in shots), f"screenshots of lesson 08: {shots}"
