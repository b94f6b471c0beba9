"""What lab_utils and `lab doctor` say, in the learner's language (LAB_LANG, gettext).

No lab runs here: the lab these tests ask about lives in a folder of their own, on ports where
nothing listens, so every check fails and says how to fix it.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from lab_utils import i18n
from lab_utils.exercises import ExerciseNotAttempted, attempted, not_attempted_note

ROOT = Path(__file__).resolve().parents[1]
CATALOGUE = ROOT / "lab_utils" / "locale" / "pt_BR" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"
TRANSLATED_SOURCES = [*sorted((ROOT / "lab_utils").rglob("*.py")), ROOT / "lab_stack" / "health.py",
                      ROOT / "lab_stack" / "own_prefect.py"]
# Ports below 1024 that no service of this machine uses: a connection is refused at once.
NOWHERE = {"LAB_MLFLOW_PORT": "1", "LAB_S3_PORT": "2", "LAB_PREFECT_PORT": "3"}


def _catalogue():
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="pt_BR", domain=i18n.DOMAIN)


def test_every_message_has_a_portuguese_translation():
    catalogue = _catalogue()
    extracted = {message for path in TRANSLATED_SOURCES
                 for _line, message, _comments, _context in extract_from_file(
                     "python", str(path), keywords={"_": None, "N_": None})}
    assert len(extracted) > 60, "the extractor found too few messages: are they still marked with _()?"
    untranslated = sorted(m for m in extracted if m not in catalogue or not catalogue[m].string)
    fuzzy = sorted(m for m in extracted if m in catalogue and catalogue[m].fuzzy)
    assert not untranslated, f"no pt_BR translation (see lab_utils/i18n.py for the commands): {untranslated}"
    assert not fuzzy, f"fuzzy pt_BR translations to review: {fuzzy}"


def test_the_committed_mo_is_the_compiled_po():
    compiled = io.BytesIO()
    write_mo(compiled, _catalogue())
    assert CATALOGUE.with_suffix(".mo").read_bytes() == compiled.getvalue(), (
        "the .mo is stale: `pybabel compile -D dataflow_lab -d lab_utils/locale -l pt_BR`")


@pytest.mark.parametrize(("setting", "expected"), [
    ("pt_BR", "pt_BR"), ("pt-BR", "pt_BR"), ("pt", "pt_BR"), ("en", "en"), ("fr", "en"), ("de_DE", "en"),
])
def test_lab_lang_chooses_the_language(monkeypatch, setting, expected):
    monkeypatch.setenv("LAB_LANG", setting)
    monkeypatch.setenv("LANG", "pt_BR.UTF-8" if expected == "en" else "en_US.UTF-8")  # LAB_LANG wins
    assert i18n.language() == expected


@pytest.fixture
def locale_only(monkeypatch):
    """LAB_LANG unset: the locale variables decide, as gettext reads them."""
    for name in ("LAB_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_without_lab_lang_the_locale_chooses(locale_only, monkeypatch):
    monkeypatch.setenv("LANG", "pt_BR.UTF-8")
    assert i18n.language() == "pt_BR"
    assert "ainda sem resposta" in not_attempted_note("Exercise 1")
    monkeypatch.setenv("LC_ALL", "C.UTF-8")  # LC_ALL comes before LANG
    assert i18n.language() == "en"
    assert "not attempted yet" in not_attempted_note("Exercise 1")
    monkeypatch.setenv("LANGUAGE", "pt_BR:en")  # and LANGUAGE before both
    assert i18n.language() == "pt_BR"


def test_without_any_setting_the_messages_are_english(locale_only):
    assert i18n.language() == "en"
    assert not_attempted_note("Exercise 1").startswith("· Exercise 1 not attempted yet")


def test_the_exercise_note_and_refusal_in_portuguese(monkeypatch, capsys):
    monkeypatch.setenv("LAB_LANG", "pt_BR")
    monkeypatch.delenv("LAB_REQUIRE_EXERCISES", raising=False)
    assert attempted(..., "Exercício 1") is False
    note = capsys.readouterr().out
    assert note == ("· Exercício 1 — ainda sem resposta: substitua o `...` acima pelo seu código e execute "
                    "a célula de novo. As soluções comentadas estão em solutions/pt-BR/.\n")
    monkeypatch.setenv("LAB_REQUIRE_EXERCISES", "1")
    with pytest.raises(ExerciseNotAttempted, match=r"^Exercise 2: a resposta ainda é `\.\.\.`$"):
        attempted(..., "Exercise 2")
    monkeypatch.setenv("LAB_LANG", "en")  # read again at the next message
    with pytest.raises(ExerciseNotAttempted, match=r"^Exercise 2: the answer is still `\.\.\.`$"):
        attempted(..., "Exercise 2")


@pytest.fixture
def lab_nowhere(monkeypatch, tmp_path):
    """A lab home that was never started, on ports where nothing answers; connect()'s changes to
    this process (its environment, the warnings' format) are undone afterwards."""
    saved = dict(os.environ)
    monkeypatch.setattr(warnings, "formatwarning", warnings.formatwarning)
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "lab"))
    for name, port in NOWHERE.items():
        monkeypatch.setenv(name, port)
    yield tmp_path / "lab"
    os.environ.clear()
    os.environ.update(saved)


def test_connect_refuses_in_the_learners_language(lab_nowhere, monkeypatch):
    import lab_utils

    monkeypatch.setenv("LAB_LANG", "pt_BR")
    with pytest.raises(lab_utils.LabNotReady) as refusal:
        lab_utils.connect()
    portuguese = str(refusal.value)
    assert portuguese.startswith("O laboratório não está pronto. `lab doctor` diz:\n")
    assert "✗ servidor de rastreamento: sem resposta de http://127.0.0.1:1" in portuguese
    assert "correção: inicie o laboratório com `make up` (ou `lab up`)" in portuguese
    assert "✗ chaves do armazenamento de objetos: não verificado: a linha de armazenamento de objetos falhou" \
        in portuguese
    assert portuguese.endswith("Inicie-o com `make up` em um terminal na raiz do repositório e depois "
                               "execute esta célula de novo.")
    assert "fix:" not in portuguese and "no answer" not in portuguese

    monkeypatch.setenv("LAB_LANG", "en")
    with pytest.raises(lab_utils.LabNotReady) as refusal:
        lab_utils.connect()
    english = str(refusal.value)
    assert english.startswith("The lab is not ready. `lab doctor` says:\n")
    assert "✗ tracking server: no answer from http://127.0.0.1:1" in english
    assert "fix: start the lab with `make up` (or `lab up`)" in english
    assert "correção" not in english


DOCTOR_SAYS = {
    "pt_BR": ["✗ servidor de rastreamento: sem resposta de http://127.0.0.1:1",
              "    correção: inicie o laboratório com `make up` (ou `lab up`)",
              "✗ armazenamento de objetos: sem resposta de http://127.0.0.1:2",
              "✗ ida e volta de artefato: não verificado: a linha de servidor de rastreamento falhou",
              "    correção: corrija primeiro a linha de servidor de rastreamento",
              "✗ servidor do Prefect: sem resposta de http://127.0.0.1:3/api",
              "✓ supervisor: nenhum processo deste laboratório roda sem supervisão",
              "✓ espaço em disco: ",
              "✓ banco de metadados: ainda não há banco de dados (o primeiro `lab up` o cria)"],
    "en": ["✗ tracking server: no answer from http://127.0.0.1:1",
           "    fix: start the lab with `make up` (or `lab up`)",
           "✗ object store: no answer from http://127.0.0.1:2",
           "✗ artifact round trip: not checked: tracking server failed",
           "    fix: fix the tracking server line first",
           "✗ prefect server: no answer from http://127.0.0.1:3/api",
           "✓ supervisor: no process of this lab runs unsupervised",
           "✓ disk space: ",
           "✓ metadata database: no database yet (the first `lab up` creates it)"],
}


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_lab_doctor_speaks_the_learners_language(tmp_path, language):
    """`lab doctor` on a stopped lab: the notebook's checks and the machine's own (health.py)."""
    home = tmp_path / "lab"
    home.mkdir()
    (home / ".dataflow-lab").write_text("A DataFlow Lab home: `lab reset` deletes this folder.\n")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LAB_")}
    environment.update(NOWHERE, LAB_HOME=str(home), LAB_LANG=language)
    result = subprocess.run([str(Path(sys.executable).with_name("lab")), "doctor"], capture_output=True,
                            text=True, env=environment, timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    missing = [line for line in DOCTOR_SAYS[language] if line not in result.stdout]
    assert not missing, f"{missing} not in:\n{result.stdout}"
    other = "en" if language == "pt_BR" else "pt_BR"
    assert not [line for line in DOCTOR_SAYS[other] if line.strip() in result.stdout], result.stdout


def test_the_portuguese_notebooks_store_the_portuguese_note(monkeypatch):
    """The learners' copy of the pt-BR edition stores what its kernel prints under LAB_LANG=pt_BR,
    whatever language the building process speaks."""
    import build_notebooks

    monkeypatch.setenv("LAB_LANG", "en")
    sources = build_notebooks.lesson_sources("pt-BR")
    source = next(s for s in sources if s.name.startswith("01_"))
    notebook = build_notebooks.build(source, sources, "notebooks")
    notes = ["".join(o.text for o in c.outputs) for c in notebook.cells
             if build_notebooks.CHECK_TAG in c.metadata.get("tags", [])]
    assert notes and all("ainda sem resposta" in note for note in notes), notes
    assert os.environ["LAB_LANG"] == "en", "building a notebook changed the builder's language"
    monkeypatch.setenv("LAB_LANG", "pt_BR")
    english = build_notebooks.lesson_sources("")
    notebook = build_notebooks.build(english[1], english, "notebooks")
    assert all("not attempted yet" in "".join(o.text for o in c.outputs) for c in notebook.cells
               if build_notebooks.CHECK_TAG in c.metadata.get("tags", []))


def test_lessons_run_in_english_unless_told(monkeypatch):
    from harness import lesson_environment

    monkeypatch.setenv("LAB_LANG", "pt_BR")
    assert lesson_environment()["LAB_LANG"] == "en"
    assert lesson_environment(language="pt_BR")["LAB_LANG"] == "pt_BR"


@pytest.mark.parametrize(("edition", "machine_locale", "note", "checkpoint"), [
    ("pt-BR", "C.UTF-8", "ainda sem resposta", "✓ a execução"),
    ("", "pt_BR.UTF-8", "not attempted yet", "✓ run"),
], ids=["portuguese-lesson-english-machine", "english-lesson-portuguese-machine"])
def test_each_edition_speaks_its_own_language_whatever_the_machines_locale(
        lab, locale_only, tmp_path, edition, machine_locale, note, checkpoint):
    """A lesson names its language in `connect(language=…)`: with no LAB_LANG, the machine's locale
    does not decide what its notes and checkpoint lines say, nor where they point."""
    import nbformat
    from build_notebooks import build, lesson_sources
    from harness import execute_lesson

    locale_only.setenv("LANG", machine_locale)
    locale_only.delenv("LAB_REQUIRE_EXERCISES", raising=False)
    sources = lesson_sources(edition)
    welcome = next(s for s in sources if s.stem.startswith("00_"))
    learners = tmp_path / f"{welcome.stem}.ipynb"
    nbformat.write(build(welcome, sources, "notebooks"), learners)
    executed = execute_lesson(learners, learners, cwd=ROOT / "notebooks" / edition)
    printed = "".join(o.get("text", "") for c in executed.cells if c.cell_type == "code" for o in c.outputs)
    assert note in printed and checkpoint in printed, printed[-2000:]
    if edition == "pt-BR":
        assert "solutions/pt-BR/" in printed and "not attempted yet" not in printed, printed[-2000:]
