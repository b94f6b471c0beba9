"""Build the executed lessons into a static HTML book: build/site/index.html (English) and
build/site/pt-BR/index.html (Português), each lesson page with a link to the same lesson in
the other language.

For reading before running: every lesson (learners' copy, with the outputs stored by
`make notebooks`), its plots and the UI screenshots, with previous / contents / next links.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"

# edition folder -> (language tag, the book's title line, the link to the other edition)
EDITIONS = {
    "": ("en", "The lessons, executed against the lab. To run them yourself: <code>make lab</code>.",
         "pt-BR", "Em português"),
    "pt-BR": ("pt-BR", "As lições, executadas no laboratório. Para rodá-las você mesmo: <code>make lab</code>.",
              "", "In English"),
}


def build_edition(edition: str, exporter: HTMLExporter) -> int:
    language, intro, other, other_label = EDITIONS[edition]
    book, other_book = SITE / edition, SITE / other
    (book / "notebooks").mkdir(parents=True, exist_ok=True)
    entries = []
    for path in sorted((ROOT / "notebooks" / edition).glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        body, _ = exporter.from_notebook_node(notebook)
        # Links between lessons point at the HTML pages; "Contents" at the book's index.
        body = re.sub(r'href="([0-9]{2}_[\w]+)\.ipynb"', r'href="\1.html"', body)
        body = re.sub(r'href="(\.\./)+README(\.pt-BR)?\.md#[^"]*"', 'href="../index.html"', body)
        switch = (f'<p style="text-align:right;margin:1em 2em" lang="{EDITIONS[other][0]}">'
                  f'<a href="{html.escape(_relative(book / "notebooks", other_book / "notebooks"))}{path.stem}.html">'
                  f'{other_label}</a></p>')
        body = re.sub(r"(<body[^>]*>)", lambda m, switch=switch: m.group(1) + switch, body, count=1)
        body = body.replace("<html>", f'<html lang="{language}">', 1)
        (book / "notebooks" / f"{path.stem}.html").write_text(body)
        title = next((c.source.splitlines()[0].lstrip("# ") for c in notebook.cells
                      if c.cell_type == "markdown"), path.stem)
        entries.append((path.stem, title))
    items = "\n".join(f'<li><a href="notebooks/{stem}.html">{html.escape(title)}</a></li>'
                      for stem, title in entries)
    (book / "index.html").write_text(
        f"<!doctype html><html lang='{language}'><head><meta charset='utf-8'><title>DataFlow Lab · MLflow</title>"
        "</head><body style='font-family:sans-serif;max-width:50em;margin:2em auto'>"
        f"<p style='text-align:right'><a href='{_relative(book, other_book)}index.html'>{other_label}</a></p>"
        f"<h1>DataFlow Lab · MLflow</h1><p>{intro}</p>"
        f"<ol start='0'>{items}</ol></body></html>\n")
    return len(entries)


def _relative(source: Path, target: Path) -> str:
    """The link from a page in folder `source` to folder `target`, ending with '/' (or '')."""
    link = os.path.relpath(target, source)
    return "" if link == "." else link + "/"


def main() -> int:
    shutil.rmtree(SITE, ignore_errors=True)
    SITE.mkdir(parents=True)
    shutil.copytree(ROOT / "docs", SITE / "docs")
    exporter = HTMLExporter(template_name="lab")
    counts = {edition or "en": build_edition(edition, exporter) for edition in EDITIONS}
    print(f"lessons written: {counts} -> {SITE / 'index.html'}, {SITE / 'pt-BR' / 'index.html'}")
    return 0 if all(counts.values()) and len(set(counts.values())) == 1 else 1


if __name__ == "__main__":
    sys.exit(main())
