"""Build the executed lessons into a static HTML book: build/site/index.html.

For reading before running: every lesson (learners' copy, with the outputs stored by
`make notebooks`), its plots and the UI screenshots, with previous / contents / next links.
"""

from __future__ import annotations

import html
import re
import shutil
import sys
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"


def main() -> int:
    shutil.rmtree(SITE, ignore_errors=True)
    (SITE / "notebooks").mkdir(parents=True)
    shutil.copytree(ROOT / "docs", SITE / "docs")
    exporter = HTMLExporter(template_name="lab")
    entries = []
    for path in sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")):
        notebook = nbformat.read(path, as_version=4)
        body, _ = exporter.from_notebook_node(notebook)
        # Links between lessons point at the HTML pages; "Contents" at the book's index.
        body = re.sub(r'href="([0-9]{2}_[\w]+)\.ipynb"', r'href="\1.html"', body)
        body = body.replace('href="../README.md#lessons"', 'href="../index.html"')
        (SITE / "notebooks" / f"{path.stem}.html").write_text(body)
        title = next((c.source.splitlines()[0].lstrip("# ") for c in notebook.cells
                      if c.cell_type == "markdown"), path.stem)
        entries.append((path.stem, title))
    items = "\n".join(f'<li><a href="notebooks/{stem}.html">{html.escape(title)}</a></li>'
                      for stem, title in entries)
    (SITE / "index.html").write_text(
        "<!doctype html><html><head><meta charset='utf-8'><title>DataFlow Lab · MLflow</title></head>"
        "<body style='font-family:sans-serif;max-width:50em;margin:2em auto'>"
        "<h1>DataFlow Lab · MLflow</h1><p>The lessons, executed against the lab. "
        "To run them yourself: <code>make lab</code>.</p>"
        f"<ol start='0'>{items}</ol></body></html>\n")
    print(f"{len(entries)} lessons written to {SITE / 'index.html'}")
    return 0 if entries else 1


if __name__ == "__main__":
    sys.exit(main())
