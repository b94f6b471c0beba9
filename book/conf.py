"""Sphinx configuration of the course's book (`make site`): MyST-NB renders the learners' copies
with the outputs `make notebooks` stored (never executed here), sphinx-book-theme gives the
sidebar, the on-page contents, search and previous/next. tools/build_site.py stages each edition
(English, Português) into a source folder of its own and builds it with this file; DATAFLOW_BOOK_EDITION
says which edition is being built."""

from __future__ import annotations

import os

EDITION = os.environ.get("DATAFLOW_BOOK_EDITION", "en")
PORTUGUESE = EDITION == "pt-BR"

project = "DataFlow Lab · MLflow"
author = "DataFlow Lab"
copyright = "DataFlow Lab"
language = "pt_BR" if PORTUGUESE else "en"
html_search_language = "pt" if PORTUGUESE else "en"
html_title = "DataFlow Lab · MLflow"

extensions = ["myst_nb"]
nb_execution_mode = "off"  # the book shows the outputs a first pass through a new lab printed
nb_merge_streams = True
myst_enable_extensions = ["colon_fence"]
myst_heading_anchors = 3
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
templates_path = [os.path.join(os.path.dirname(__file__), "_templates")]
html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "article_header_end": ["language-switch.html", "article-header-buttons.html"],
    "use_download_button": False,
    "use_fullscreen_button": False,
}
html_static_path = [os.path.join(os.path.dirname(__file__), "_static")]
html_css_files = ["book.css"]
html_favicon = os.path.join(os.path.dirname(__file__), "_static", "favicon.svg")
html_context = {"default_mode": "light"}
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None

# The same page in the other edition: lessons live at notebooks/NN (English) and
# notebooks/pt-BR/NN (Portuguese); the English book is the site's root, the Portuguese book
# its pt-BR/ folder.
GUIDE = {"en": "docs/instructor_guide", "pt-BR": "docs/instructor_guide.pt-BR"}


def other_edition_page(pagename: str) -> str:
    if PORTUGUESE:
        if pagename.startswith("notebooks/pt-BR/"):
            return "notebooks/" + pagename.removeprefix("notebooks/pt-BR/")
        return GUIDE["en"] if pagename == GUIDE["pt-BR"] else pagename
    if pagename.startswith("notebooks/"):
        return "notebooks/pt-BR/" + pagename.removeprefix("notebooks/")
    return GUIDE["pt-BR"] if pagename == GUIDE["en"] else pagename


def add_language_switch(app, pagename, templatename, context, doctree):
    up = "../" * pagename.count("/")
    target = other_edition_page(pagename) + ".html"
    context["other_edition_url"] = up + ("../" + target if PORTUGUESE else "pt-BR/" + target)
    context["other_edition_label"] = "In English" if PORTUGUESE else "Em português"
    context["other_edition_lang"] = "en" if PORTUGUESE else "pt-BR"


def setup(app):
    app.connect("html-page-context", add_language_switch)
