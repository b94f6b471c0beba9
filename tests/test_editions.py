"""The Portuguese (Brazil) edition of every lesson is the same program as the English one.

`lessons/pt-BR/NN_topic.py` holds the lesson's prose in Portuguese beside the same code: the
same cells in the same order with the same tags, and code that differs only in comments and
string literals (the messages it prints). Names, calls and values are the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[1]
ENGLISH = sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py"))
PORTUGUESE = ROOT / "lessons" / "pt-BR"


def program(code: str) -> tuple[list[str], str]:
    """A code cell as a program: its IPython magics as written, and its Python with every
    string (f-strings included) emptied and comments gone."""
    magics = [line.strip() for line in code.splitlines() if line.lstrip().startswith(("%", "!"))]
    python = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in code.splitlines())

    class EmptyStrings(ast.NodeTransformer):
        def visit_JoinedStr(self, node):
            return ast.copy_location(ast.Constant(""), node)

        def visit_Constant(self, node):
            return ast.copy_location(ast.Constant(""), node) if isinstance(node.value, str) else node

    tree = EmptyStrings().visit(ast.parse(python))
    return magics, ast.dump(tree, annotate_fields=False)


def cells(path: Path):
    notebook = jupytext.read(path, fmt="py:percent")
    return [(c.cell_type, sorted(c.metadata.get("tags", [])), c.source) for c in notebook.cells]


def test_every_lesson_has_both_editions():
    english = [p.name for p in ENGLISH]
    portuguese = sorted(p.name for p in PORTUGUESE.glob("[0-9][0-9]_*.py"))
    assert portuguese == english, f"only in English: {sorted(set(english) - set(portuguese))}; " \
                                  f"only in Portuguese: {sorted(set(portuguese) - set(english))}"


@pytest.mark.parametrize("lesson", ENGLISH, ids=[p.stem for p in ENGLISH])
def test_both_editions_are_one_program(lesson: Path):
    translated = PORTUGUESE / lesson.name
    if not translated.exists():
        pytest.fail(f"no Portuguese edition of {lesson.name}")
    english, portuguese = cells(lesson), cells(translated)
    assert [(t, tags) for t, tags, _ in english] == [(t, tags) for t, tags, _ in portuguese], \
        f"{lesson.name}: the two editions' cells differ in number, kind or tags"
    for number, ((kind, _, en), (_, _, pt)) in enumerate(zip(english, portuguese, strict=True)):
        if kind == "code":
            assert program(en) == program(pt), f"{lesson.name}, cell {number}: the code differs\n--- en\n{en}\n--- pt-BR\n{pt}"
