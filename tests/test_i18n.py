"""What lab_utils and `lab doctor` say, in the learner's language (LAB_LANG, gettext).

No lab runs here: the lab these tests ask about lives in a folder of their own, on ports where
nothing listens, so every check fails and says how to fix it.
"""

from __future__ import annotations

import io
import os
import re
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
                      ROOT / "lab_stack" / "own_prefect.py", *sorted((ROOT / "projects").rglob("*.py")),
                      ROOT / "pipelines" / "retrain.py"]
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


# One verb per idea, and numbers as Brazilians read them (issue #29): MLflow's *log* is *logar*
# (never "registrar em log"), and 18,673 / 0.99 are written 18.673 / 0,99.
_EM_LOG = re.compile(r"\bregistr\w*(?:\W+\w+){0,3}?\W+em\s+log\b", re.IGNORECASE)
_ENGLISH_THOUSANDS = re.compile(r"(?<![\w.,])[1-9]\d{0,2}(?:,\d{3})+(?!\d)")
_ENGLISH_DECIMAL = re.compile(r"(?<![\w.=(/\-`'\"\[:])(?<!Python )(?<!MLflow )\d+\.\d{1,2}(?![\w.])")


def _portuguese_prose() -> dict[str, str]:
    """What a Portuguese reader reads in each pt-BR lesson: the markdown and comments (code spans
    and URLs left out) and the string literals; and each f-string format spec that would print a
    number the English way (`:,.0f`, `:.3f`: lab_utils.format_number writes them for the learner)."""
    import ast
    import tokenize

    import jupytext

    def prose(text: str) -> str:
        text = re.sub(r"```.*?```|`[^`\n]*`|https?://\S+", " ", text, flags=re.S)
        return re.sub(r"\s*\n#?\s*", " ", text)

    found = {}
    for path in sorted((ROOT / "lessons" / "pt-BR").glob("[0-9][0-9]_*.py")):
        chunks = []
        for cell in jupytext.read(path, fmt="py:percent").cells:
            if cell.cell_type == "markdown":
                chunks.append(prose(cell.source))
                continue
            code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line for line in cell.source.splitlines())
            tokens = tokenize.generate_tokens(io.StringIO(code).readline)
            chunks += [prose(token.string) for token in tokens if token.type == tokenize.COMMENT]
            for node in ast.walk(ast.parse(code)):
                if isinstance(node, ast.Constant) and isinstance(node.value, str):
                    chunks.append(prose(node.value))
                elif isinstance(node, ast.FormattedValue) and node.format_spec is not None:
                    spec = "".join(getattr(part, "value", "") for part in node.format_spec.values)
                    if "," in spec or re.search(r"\.[1-9]\d*[fe%]", spec):
                        chunks.append(f"[an f-string prints {{{ast.unparse(node.value)}:{spec}}}]")
        found[path.name] = "\n".join(chunks)
    return found


def test_the_portuguese_edition_logs_and_writes_numbers_the_brazilian_way():
    catalogue = _catalogue()
    texts = {**_portuguese_prose(),
             **{f"msgstr of {m.id!r}": m.string for m in catalogue if m.id and isinstance(m.string, str)}}
    em_log = [f"{where}: {hit.group()!r}" for where, text in texts.items() for hit in _EM_LOG.finditer(text)]
    assert not em_log, "MLflow's log is *logar* (modelo logado, logue a métrica), never \"registrar em log\":\n" \
        + "\n".join(em_log)
    english = [f"{where}: {hit.group()!r}" for where, text in texts.items()
               for hit in _ENGLISH_THOUSANDS.finditer(text)]
    english += [f"{where}: {hit.group()!r}" for where, text in texts.items()
                if where.startswith("msgstr") for hit in _ENGLISH_DECIMAL.finditer(text)]
    english += [f"{where}: {line}" for where, text in texts.items() for line in text.splitlines()
                if line.startswith("[an f-string prints")]
    assert not english, "Brazilian numbers in Portuguese (18.673 CAD, 0,99; lab_utils.format_number in a " \
        "lesson's f-string):\n" + "\n".join(english)


def test_portuguese_messages_format_their_numbers_the_brazilian_way(monkeypatch):
    monkeypatch.setenv("LAB_LANG", "pt_BR")
    message = i18n._Portuguese("rmse {rmse:,.0f} CAD, limite {limit:g}, alpha={alpha}, versão {version}")
    assert message.format(rmse=18672.68, limit=0.99, alpha=0.5, version="3") == \
        "rmse 18.673 CAD, limite 0,99, alpha=0.5, versão 3"
    assert (i18n.format_number(18672.68), i18n.format_number(0.8765, 3)) == ("18.673", "0,876")
    monkeypatch.setenv("LAB_LANG", "en")
    assert (i18n.format_number(18672.68), i18n.format_number(0.8765, 3)) == ("18,673", "0.876")


# --- No English of the lab's or the lessons' own on a Portuguese learner's screen (issue #29) ---
# The English words the lab and the lessons could print: the catalogue's msgids and the string
# literals of the English lessons, less every word the Portuguese translations use too (code
# identifiers, names, loanwords such as *stack*). One of them in a Portuguese notebook's outputs is
# English left behind, unless it is in a line another program printed or in the allow-lists below.
import ast as _ast  # noqa: E402
import functools as _functools  # noqa: E402
import json as _json  # noqa: E402
import re as _re  # noqa: E402

# Lines other programs print, kept as they print them: MLflow's and Spark's logs, the registry's
# console notes, Python warnings, argparse, a library's exception quoted by the lesson.
THIRD_PARTY_LINES = [_re.compile(p) for p in (
    r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d (DEBUG|INFO|WARNING|ERROR) ",  # MLflow's logging
    r"^(stderr: )?(DEBUG|INFO|WARNING|ERROR) mlflow\.",  # the same, time stamp taken off (lesson 09)
    r"^\d\d/\d\d/\d\d \d\d:\d\d:\d\d (INFO|WARN|ERROR) ",  # Spark's log4j
    r"^\s+at \S+\(", r"^\s*\.\.\. \d+ more$",  # a Java stack trace
    r"^(WARNING: Using incubator modules|Using Spark's default log4j|Setting default log level|To adjust "
    r"logging level|only showing top \d+ rows)",
    r"^(Successfully registered model|Registered model '.*' already exists|Created version '|Copied version ')",
    r"^\w*(Warning|Error|Exception): ",  # a warning or exception of a library, as Python prints it
    r"^\w+(\.\w+)+: ",  # the same, module-qualified (botocore.exceptions.NoCredentialsError: …)
    r"^usage: \S+\.py ", r"^\S+\.py: error: ",  # argparse, refusing `--alpha 'a lot'` (lesson 06)
    r"^\d{3} [A-Z_]+$",  # an HTTP status and MLflow's error code (lesson 05)
    r"^Exception reporting mode: ",  # IPython's %xmode
    r"^(\$ |curl )",  # a command line, as typed
    r"^<Figure size \d+x\d+ with \d+ Axes>$", r"^<[\w.]+ object>$",  # reprs Jupyter shows for a figure
    r"^Evaluating: ",  # mlflow.genai.evaluate's progress
    r"^(inputs|outputs|params): ?$", r"^\s+\[?'\w+': \w+ \((required|optional)\)",  # a signature's repr
    r"^\s+\[Tensor\(",
    r"Error: Model is missing inputs \[",  # the model server's answer to a bad request (lesson 05)
    r": Metric \w+ .* check failed: ",  # mlflow.validate_evaluation_results refusing a model (lesson 04)
)]
# Errors a lesson shows on purpose come from MLflow or Python; the lab's own are read.
LAB_ERRORS = {"CheckpointFailed", "ExerciseCheckFailed", "ExerciseNotAttempted", "LabNotReady", "LabError",
              "LabConfigError", "DataError", "CheckFailed", "BackgroundProcessError", "SparkUnavailable"}
# Outputs that are files or code listings, printed on purpose (their comments are code), by the
# start of the output: a notebook's stem -> starts.
LISTINGS = {
    "05_mlflow_models": ['"""A model from code'],  # models/listing_price_model.py
    "05_model_serving": ["['Dockerfile', 'model_dir']"],  # the Dockerfile MLflow generates
    "06_mlflow_projects": ["name: house_prices", "# No `python:` version"],  # MLproject, python_env.yaml
    "07_prefect_pipelines": ["@task", "@flow"],  # the flow's tasks, as inspect.getsource shows them
}
# Words that are names or identifiers here, not English prose: Python's constants, MLflow's and
# Prefect's states, names of things the learner reads in the UI, span types.
ALLOWED_WORDS = {
    "true", "false", "none", "finished", "failed", "running", "completed", "cached", "ready", "production",
    "staging", "archived", "approved", "human", "code", "chain", "retriever", "parser", "llm", "expectation",
    "feedback", "windsor", "canada", "python", "java", "spark", "mlflow", "prefect", "optuna", "faq", "ms",
    "async", "fit", "vs", "ada",  # log_metric's asynchronous logging, the method, "versus", a reviewer's name
    "master", "sklearn",  # Spark's master, a flavor
}
# A notebook's own: MLflow's dataset contexts as the server has them (lessons 01 and 08)
ALLOWED_IN = {"01_basic_tracking": {"training", "testing"}, "08_best_practices": {"training", "validation"},
              "05_model_serving": {"inputs"}}  # and the REST API's payload key `inputs`


def _words(text: str) -> set[str]:
    """Lower-case words of prose: quoted values, `my_first_run`, `models:/x@y`, URLs, CamelCase and
    ACRONYMS are identifiers and names, and one letter is no word."""
    words = set()
    for token in _re.sub(r"'[^'\n]*'|\"[^\"\n]*\"|`[^`\n]*`", " ", text).split():
        token = token.strip("'\"`.,;:()[]{}<>!?*…")
        if _re.fullmatch(r"[A-Za-zÀ-ÿ]+(-[A-Za-zÀ-ÿ]+)*", token) and not _re.search(r".[A-Z]", token):
            words.update(part.lower() for part in token.split("-") if len(part) > 1)
    return words


@_functools.cache
def _english_vocabulary() -> frozenset[str]:
    import jupytext

    catalogue = _catalogue()
    english, portuguese = set(), set()
    for message in catalogue:
        if message.id and message.string:
            english |= _words(_re.sub(r"\{[^}]*\}", " ", message.id))
            portuguese |= _words(_re.sub(r"\{[^}]*\}", " ", message.string))
    for lesson in sorted((ROOT / "lessons").glob("[0-9][0-9]_*.py")):
        for cell in jupytext.read(lesson, fmt="py:percent").cells:
            if cell.cell_type != "code":
                continue
            code = "\n".join("pass" if line.lstrip().startswith(("%", "!")) else line
                             for line in cell.source.splitlines())
            for node in _ast.walk(_ast.parse(code)):
                if isinstance(node, _ast.Constant) and isinstance(node.value, str):
                    english |= _words(node.value)
    for lesson in sorted((ROOT / "lessons" / "pt-BR").glob("[0-9][0-9]_*.py")):
        for cell in jupytext.read(lesson, fmt="py:percent").cells:
            if cell.cell_type == "markdown":  # its Portuguese prose: no code, glosses, links or Names
                prose = _re.sub(r"```.*?```|`[^`]*`|\([^)]*\)|\b[A-Z]\w*", " ", cell.source, flags=_re.S)
                portuguese |= _words(prose)
    columns = set()  # the data sets' columns are names
    for table in (ROOT / "data").glob("*.csv"):
        columns |= set(_re.findall(r"[a-z]+", table.read_text().splitlines()[0].lower()))
    return frozenset(english - portuguese - columns - ALLOWED_WORDS)


@_functools.cache
def _faq_words() -> frozenset[str]:
    """Lesson 11's FAQ is English data in both editions (data/README.pt-BR.md says so)."""
    return frozenset(w.lower() for w in _re.findall(r"[A-Za-z]+", (ROOT / "data" / "lab_faq.csv").read_text()))


def _printed(output: dict) -> str:
    if output.get("output_type") == "error":
        return f"{output['ename']}: {output['evalue']}" if output.get("ename") in LAB_ERRORS else ""
    if "text" in output:
        return "".join(output["text"])
    data = output.get("data", {})
    return "".join(data.get("text/plain", ""))  # a DataFrame's headers are in its text too


def english_left(notebook: Path) -> list[str]:
    """`cell N: word: line` for each English word of the lab's or the lessons' own strings that a
    notebook's outputs show, outside third-party lines, listings and the allowed words."""
    vocabulary = _english_vocabulary()
    cells = _json.loads(notebook.read_text())["cells"]
    found = []
    for number, cell in enumerate(cells):
        for output in cell.get("outputs", []):
            text = _printed(output)
            if any(text.startswith(start) for start in LISTINGS.get(notebook.stem, [])):
                continue
            for line in text.splitlines():
                if any(pattern.search(line) for pattern in THIRD_PARTY_LINES):
                    continue
                allowed = ALLOWED_IN.get(notebook.stem, set()) | (_faq_words() if notebook.stem.startswith("11_") else set())
                for word in sorted(_words(line) & vocabulary - allowed):
                    found.append(f"{notebook.stem} cell {number}: {word}: {line.strip()[:120]}")
    return found


def test_the_english_finder_finds_what_the_lab_printed_and_passes_what_others_did(tmp_path):
    def notebook(*texts, name="05_model_serving"):
        cells = [{"cell_type": "code", "source": "", "metadata": {},
                  "outputs": [{"output_type": "stream", "name": "stdout", "text": text} for text in texts]}]
        path = tmp_path / f"{name}.ipynb"
        path.write_text(_json.dumps({"cells": cells}))
        return path

    found = english_left(notebook("serving models:/previsao_precos@champion at http://127.0.0.1:5001\n"))
    assert [line.split(": ")[1] for line in found] == ["at", "serving"], found
    assert english_left(notebook("model server stopped; port 5001 is free: True\n")), "the lab's own message"
    assert not english_left(notebook(
        "servindo models:/previsao_precos@champion em http://127.0.0.1:5001\n",
        "2026/12/07 06:40:00 INFO mlflow.store.model_registry.abstract_store: Waiting up to 300 seconds\n",
        "Successfully registered model 'previsao_precos'.\n",
        "✓ a execução 31679ffe… está no servidor com o que esta seção logou\n",
        "['Dockerfile', 'model_dir']\n# Build an image that can serve mlflow models.\n"))


def _portuguese_notebooks() -> list[Path]:
    """The committed Portuguese notebooks; I18N_SCAN=folder[:folder…] scans others instead
    (build/try/<lab>/notebooks/pt-BR after `tools/try_lessons.py NN --edition pt-BR --learners`)."""
    folders = os.environ.get("I18N_SCAN")
    roots = [Path(f) for f in folders.split(":")] if folders else [ROOT / "notebooks" / "pt-BR",
                                                                   ROOT / "solutions" / "pt-BR"]
    return sorted(p for root in roots for p in root.glob("[0-9][0-9]_*.ipynb"))


def test_the_portuguese_notebooks_show_no_english_of_the_labs_own():
    notebooks = _portuguese_notebooks()
    assert notebooks, "no Portuguese notebook to read"
    found = [line for notebook in notebooks for line in english_left(notebook)]
    assert not found, "English in the Portuguese notebooks' outputs (translate it, or allow it here " \
                      "if it is a name, a code identifier or another program's line):\n" + "\n".join(found)


@pytest.mark.parametrize(("kind", "noun"), [("param", "o parâmetro"), ("metric", "a métrica"), ("tag", "a tag")])
def test_a_checkpoint_names_each_kind_with_its_own_article(monkeypatch, kind, noun):
    from lab_utils.checkpoints import DIFFERENT, MISSING

    monkeypatch.setenv("LAB_LANG", "pt_BR")
    missing = i18n._(MISSING[kind]).format(run_id="abc", key="rmse", logged=[])
    assert missing == f"a execução abc não tem {noun} 'rmse' (ela tem [])", missing
    assert f"tem {noun} rmse=1" in i18n._(DIFFERENT[kind]).format(run_id="abc", key="rmse", got=1, want=2)
    monkeypatch.setenv("LAB_LANG", "en")
    assert i18n._(MISSING[kind]).format(run_id="abc", key="rmse", logged=[]) == f"run abc has no {kind} 'rmse' (it has [])"


@pytest.mark.parametrize("language", ["pt_BR", "en"])
def test_the_servers_a_lesson_starts_speak_the_learners_language(monkeypatch, language):
    """ModelServer, DeploymentServer and service_status: what lessons 00, 05, 07 and 10 print."""
    import inspect

    from lab_utils import doctor, prefect, serving

    monkeypatch.setenv("LAB_LANG", language)
    said = {i18n._(m) for m in ("serving {model_uri} at {url}", "model server stopped; port {port} is free: {free}",
                                "serving deployment {deployment}", "deployment server stopped (running: {running})",
                                "MLflow tracking server", "S3 object store", "Prefect server", "True")}
    english = language == "en"
    assert ("servindo {model_uri} em {url}" in said) is not english and ("sim" in said) is not english
    for module in (serving, prefect, doctor):  # each message is printed through _(), not as an f-string
        source = inspect.getsource(module)
        assert 'print(f"serving' not in source and 'print(f"model server' not in source
        assert 'print(f"deployment server' not in source and '"service": "MLflow' not in source


def test_the_data_dictionary_has_a_portuguese_edition_the_portuguese_pages_point_at():
    english, portuguese = ((ROOT / "data" / name).read_text() for name in ("README.md", "README.pt-BR.md"))
    for table in sorted((ROOT / "data").glob("*.csv")):
        assert f"## `{table.name}`" in english and f"## `{table.name}`" in portuguese, table.name
    columns = (ROOT / "data" / "house_prices.csv").read_text().splitlines()[0].split(",")
    assert [c for c in columns if f"| `{c}` |" not in portuguese] == []
    assert "data/README.pt-BR.md" in (ROOT / "README.pt-BR.md").read_text()
    assert "data/README.pt-BR.md" in (ROOT / "lessons" / "pt-BR" / "01_basic_tracking.py").read_text()
    assert "[README.pt-BR.md](README.pt-BR.md)" in english and "[README.md](README.md)" in portuguese
