"""Build the course's book (`make site`): build/site/ in English, build/site/pt-BR/ in Portuguese.

Sphinx with MyST-NB and sphinx-book-theme (book/conf.py) renders every lesson's learners' copy
with the outputs `make notebooks` stored (nothing is executed here), the README's "Two
commands" as the landing page and the instructor's guide, with a sidebar, an on-page table of
contents, full-text search, previous/next and a language switch on every page. Solutions are
not in the book. This script only stages each edition's sources into build/book-src/EDITION/
(the repository's own relative layout, so the lessons' links to docs/screenshots/ resolve) and
runs Sphinx on them; every Sphinx warning fails the build.

    python tools/build_site.py
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "build" / "site"
STAGE = ROOT / "build" / "book-src"

# edition -> (README, its "Two commands" heading, lessons caption, guide caption, guide, run-it hint)
EDITIONS = {
    "en": ("README.md", "## Two commands", "Lessons", "For instructors", "docs/instructor_guide.md",
           "**Run it yourself:** `make lab` (README, \"Two commands\"), then open `{path}` in JupyterLab "
           "and run it from the top. This page shows what a first pass through a new lab prints."),
    "pt-BR": ("README.pt-BR.md", "## Dois comandos", "Lições", "Para instrutores", "docs/instructor_guide.pt-BR.md",
              "**Rode você mesmo:** `make lab` (README, \"Dois comandos\") e abra `{path}` no JupyterLab; "
              "execute do início. Esta página mostra o que uma primeira passada num laboratório novo imprime."),
}
NAVIGATION_TAG = "navigation"  # the notebooks' own previous/contents/next lines: the book has its own


def lessons(edition: str) -> list[Path]:
    folder = ROOT / "notebooks" / ("" if edition == "en" else edition)
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def landing_page(edition: str, lesson_pages: list[str]) -> str:
    """The README's title, its opening paragraph and its "Two commands" section, then the contents."""
    readme, two_commands, lessons_caption, guide_caption, guide, _hint = EDITIONS[edition]
    text = (ROOT / readme).read_text()
    title = text.index("\n# ") + 1 if not text.startswith("# ") else 0
    opening = text[title:text.index("\n## ", title)].strip()
    # The README's link to the other edition's README: the book's language switch does that.
    # and its badges (CI, Pages, Codespaces: links to the repository's pages on GitHub).
    opening = "\n".join(line for line in opening.splitlines()
                         if "(README" not in line and not line.startswith("[!["))
    start = text.index(two_commands)
    section = text[start:text.index("\n## ", start + 1)].strip()
    guide_page = Path(guide).with_suffix("").as_posix()
    return "\n\n".join([
        opening, section,
        f"```{{toctree}}\n:caption: {lessons_caption}\n:maxdepth: 1\n\n" + "\n".join(lesson_pages) + "\n```",
        f"```{{toctree}}\n:caption: {guide_caption}\n:maxdepth: 1\n\n{guide_page}\n```",
    ]) + "\n"


def stage(edition: str) -> Path:
    """build/book-src/EDITION: index.md, the learners' copies under notebooks/, docs/."""
    source = STAGE / edition
    shutil.rmtree(source, ignore_errors=True)
    hint = EDITIONS[edition][5]
    pages = []
    for path in lessons(edition):
        relative = path.relative_to(ROOT)
        notebook = nbformat.read(path, as_version=4)
        notebook.cells = [c for c in notebook.cells if NAVIGATION_TAG not in c.metadata.get("tags", [])]
        notebook.metadata.setdefault("language_info", {})["pygments_lexer"] = "ipython3"  # `!` commands
        notebook.cells.insert(1, nbformat.v4.new_markdown_cell(
            "> " + hint.format(path=relative.as_posix()), metadata={"tags": ["run-it-yourself"]}))
        (source / relative).parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook, source / relative)
        pages.append(relative.with_suffix("").as_posix())
    guide = ROOT / EDITIONS[edition][4]
    (source / "docs").mkdir(parents=True, exist_ok=True)
    shutil.copytree(ROOT / "docs" / "screenshots", source / "docs" / "screenshots")
    for drawing in (ROOT / "docs").glob("*.svg"):  # lesson 00's concept map
        shutil.copy(drawing, source / "docs" / drawing.name)
    # Links from the guide to the repository's files (README, benchmarks/) are not pages of the book.
    (source / guide.relative_to(ROOT)).write_text(_unlink_repository_files(guide.read_text()))
    (source / "index.md").write_text(landing_page(edition, pages))
    return source


def _unlink_repository_files(markdown: str) -> str:
    """`[text](../README.md#x)` -> `text` (as code where it names a file): the book holds no such page."""
    def replace(match: re.Match) -> str:
        text, target = match.group(1), match.group(2)
        if target.startswith(("http://", "https://", "#", "screenshots/")):
            return match.group(0)
        return text
    return re.sub(r"(?<!!)\[([^\]]+)\]\(([^)\s]+)\)", replace, markdown)


def build(edition: str) -> int:
    from sphinx.cmd.build import build_main

    source = stage(edition)
    out = SITE if edition == "en" else SITE / edition
    os.environ["DATAFLOW_BOOK_EDITION"] = edition
    return build_main(["-q", "-W", "--keep-going", "-b", "html", "-c", str(ROOT / "book"),
                       "-d", str(STAGE / f".doctrees-{edition}"), str(source), str(out)])


def main() -> int:
    shutil.rmtree(SITE, ignore_errors=True)
    status = 0
    for edition in EDITIONS:
        status = build(edition) or status
    if status == 0:
        counts = {edition: len(lessons(edition)) for edition in EDITIONS}
        print(f"book: {counts} lessons -> {SITE / 'index.html'}, {SITE / 'pt-BR' / 'index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
