"""Lesson 11's GenAI app and checks, against the session's test lab (real MLflow, no mocks).

- The LLM path: the lesson's own app cells run with LAB_LLM_BASE_URL pointing at a local
  stand-in of an OpenAI-compatible server (tests/llm_stand_in.py, a test double), and the
  trace on the server shows the chat_completion span and what the stand-in answered.
- The graders of lab_utils/grading/lesson_11.py, both ways: a correct variant the solution does
  not use is accepted, each known shortcut refused with its one-line message. They use an
  experiment and a prompt of their own, so that a lesson run on the same lab is not disturbed.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import jupytext
import pytest

from tests.llm_stand_in import StandIn

ROOT = Path(__file__).resolve().parents[1]
LESSON = ROOT / "lessons" / "11_genai_tracing.py"
EXPERIMENT = "faq_assistant_grading_test"
QUESTION = "  Which   port does   Prefect use? "


def _lesson_app_cells() -> list[str]:
    """The lesson's code cells up to the one that defines the app (setup, parameters, import, app)."""
    cells = [c.source for c in jupytext.read(LESSON, fmt="py:percent").cells if c.cell_type == "code"]
    last = next(i for i, source in enumerate(cells) if "def generate(" in source)
    return cells[: last + 1]


def test_the_llm_path_against_the_stand_in(lab, monkeypatch, capsys):
    import mlflow

    port = int(os.environ.get("LAB_MLFLOW_PORT", "5000")) + 150  # in this slot's port range
    with StandIn(port, api_key="test-key") as stand_in:
        monkeypatch.setenv("LAB_LLM_BASE_URL", stand_in.base_url + "/")
        monkeypatch.setenv("LAB_LLM_MODEL", "stand-in-model")
        monkeypatch.setenv("LAB_LLM_API_KEY", "test-key")
        namespace: dict = {}
        for source in _lesson_app_cells():
            exec(compile(source, str(LESSON), "exec"), namespace)  # noqa: S102 (the lesson's own cells)
        printed = capsys.readouterr().out
        trace_id = mlflow.get_last_active_trace_id()
    assert "answer step: an LLM, stand-in-model at " + stand_in.base_url in printed, printed
    assert len(stand_in.requests) == 1 and stand_in.requests[0]["model"] == "stand-in-model"
    sent = stand_in.requests[0]["messages"][-1]["content"]
    assert "Question: Which port does Prefect use?" in sent and "4200" in sent, sent
    trace = mlflow.get_trace(trace_id, flush=True)
    spans = {span.name: span for span in trace.data.spans}
    assert set(spans) == {"ask_faq", "retrieve", "build_prompt", "chat_completion"}, sorted(spans)
    chat = spans["chat_completion"]
    assert str(chat.span_type) == "CHAT_MODEL" and chat.attributes["answer_step"] == "llm"
    assert chat.attributes["model"] == "stand-in-model"
    assert chat.outputs["usage"]["total_tokens"] > 0
    assert trace.data.spans[0].outputs.startswith("stand-in answer: "), trace.data.spans[0].outputs


def test_the_extractive_path_is_deterministic():
    from lab_utils import genai as faq_app

    faq = faq_app.load_faq()
    index = faq_app.FaqIndex(faq)
    assert len(faq) >= 30 and faq["faq_id"].is_unique
    hits = index.search("Which port does Prefect use?", 3)
    assert hits[0]["faq_id"] == "faq-09"
    answer = faq_app.extract_answer(index, "Which port does Prefect use?", [h["text"] for h in hits])
    assert "4200" in answer and answer == faq_app.extract_answer(
        index, "Which port does Prefect use?", [h["text"] for h in hits])
    assert faq_app.llm_settings() is None or os.environ.get("LAB_LLM_BASE_URL")


# ---------------------------------------------------------------- the graders, both ways

@pytest.fixture(scope="module")
def app(lab):
    """A small app of the lesson's shape in an experiment of this module, and its prompt."""
    import mlflow
    from mlflow.entities import Document, SpanType

    from lab_utils import genai as faq_app

    mlflow.set_experiment(EXPERIMENT)
    index = faq_app.FaqIndex(faq_app.load_faq())
    prompt = f"faq_answer_test_{uuid.uuid4().hex[:8]}"
    mlflow.genai.register_prompt(name=prompt, template="Answer: {{passages}} Q: {{question}}")
    mlflow.genai.set_prompt_alias(prompt, alias="production", version=1)

    @mlflow.trace(span_type=SpanType.RETRIEVER)
    def retrieve(question: str, k: int = 3):
        return [Document(page_content=h["text"], metadata={"doc_uri": h["faq_id"], "score": h["score"]})
                for h in index.search(question, k)]

    def answer(question: str, docs) -> str:
        return faq_app.extract_answer(index, question, [d.page_content for d in docs])

    class App:
        pass

    app = App()
    app.index, app.prompt, app.retrieve, app.answer = index, prompt, retrieve, answer
    app.mlflow, app.SpanType = mlflow, SpanType
    return app


def _fails(check, *args, match: str, **kwargs):
    from lab_utils.grading import ExerciseCheckFailed

    with pytest.raises(ExerciseCheckFailed, match=match) as raised:
        check(*args, **kwargs)
    assert "\n" not in str(raised.value)


def _last_trace_id(app) -> str:
    return app.mlflow.get_last_active_trace_id()


def test_exercise_1_accepts_a_decorated_span_with_the_attribute_as_text(app, capsys):
    from lab_utils.grading import lesson_11

    mlflow, SpanType = app.mlflow, app.SpanType

    @mlflow.trace(name="Clean_Question", span_type=SpanType.PARSER)
    def clean(question: str) -> str:
        cleaned = " ".join(question.split())
        mlflow.get_current_active_span().set_attribute("removed_chars", str(len(question) - len(cleaned)))
        return cleaned

    @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
    def ask_faq(question: str) -> str:
        cleaned = clean(question)
        return app.answer(cleaned, app.retrieve(cleaned))

    ask_faq(QUESTION)
    lesson_11.check_exercise_1(_last_trace_id(app), experiment=EXPERIMENT)
    assert capsys.readouterr().out.startswith("✓ Exercise 1")


@pytest.mark.parametrize("shortcut, match", [
    ("no_attribute", "has no attribute 'removed_chars'"),
    ("wrong_value", "removes 7 characters"),
    ("wrong_name", "no span named 'clean_question'"),
    ("wrong_type", "the task asks for PARSER"),
    ("own_trace", "root span of trace"),
    ("raw_question_retrieved", "did not get the cleaned question"),
    ("no_blanks", "has no extra blanks"),
])
def test_exercise_1_refuses(app, shortcut, match):
    from lab_utils.grading import lesson_11

    mlflow, SpanType = app.mlflow, app.SpanType
    question = "Which port does Prefect use?" if shortcut == "no_blanks" else QUESTION

    def clean_span(q: str) -> str:
        cleaned = " ".join(q.split())
        name = "clean_q" if shortcut == "wrong_name" else "clean_question"
        kind = SpanType.UNKNOWN if shortcut == "wrong_type" else SpanType.PARSER
        with mlflow.start_span(name=name, span_type=kind) as span:
            if shortcut != "no_attribute":
                span.set_attribute("removed_chars", 3 if shortcut == "wrong_value" else len(q) - len(cleaned))
        return cleaned

    if shortcut == "own_trace":  # the span traced on its own, outside any request
        clean_span(question)
    else:
        @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
        def ask_faq(q: str) -> str:
            cleaned = clean_span(q)
            asked = q if shortcut == "raw_question_retrieved" else cleaned
            return app.answer(cleaned, app.retrieve(asked))

        ask_faq(question)
    _fails(lesson_11.check_exercise_1, _last_trace_id(app), experiment=EXPERIMENT, match=match)


def test_exercise_1_refuses_a_trace_object_and_another_experiment(app):
    from lab_utils.grading import lesson_11

    mlflow = app.mlflow
    trace = mlflow.get_trace(_last_trace_id(app), flush=True)
    _fails(lesson_11.check_exercise_1, trace, experiment=EXPERIMENT, match="trace.info.trace_id")
    _fails(lesson_11.check_exercise_1, trace.info.trace_id, experiment="faq_assistant_elsewhere",
           match="is not in experiment")


def _ask_with_prompt(app, uri: str) -> str:
    mlflow, SpanType = app.mlflow, app.SpanType

    @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
    def ask_faq(question: str) -> str:
        mlflow.genai.load_prompt(uri)
        return app.answer(question, app.retrieve(question))

    ask_faq("What is a trace?")
    return _last_trace_id(app)


def test_exercise_2_both_ways(app, monkeypatch, capsys):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_11

    monkeypatch.setenv("MLFLOW_ALIAS_PROMPT_CACHE_TTL_SECONDS", "0")  # see the alias move at once
    client, name = MlflowClient(), app.prompt
    alias_uri = f"prompts:/{name}@production"
    # A copy of version 1, with the alias moved: refused.
    client.register_prompt(name=name, template="Answer: {{passages}} Q: {{question}}")
    client.set_prompt_alias(name, "production", 2)
    _fails(lesson_11.check_exercise_2, _ask_with_prompt(app, alias_uri), experiment=EXPERIMENT, prompt=name,
           match="same template as version 1")
    # A new template without {{passages}}: refused.
    client.register_prompt(name=name, template="In one sentence: {{question}}")
    client.set_prompt_alias(name, "production", 3)
    _fails(lesson_11.check_exercise_2, _ask_with_prompt(app, alias_uri), experiment=EXPERIMENT, prompt=name,
           match="lost the variable")
    # Version 4 registered, alias left on version 1: refused.
    client.register_prompt(name=name, template="One sentence only. {{passages}} Q: {{question}}")
    client.set_prompt_alias(name, "production", 1)
    stale = _ask_with_prompt(app, alias_uri)
    _fails(lesson_11.check_exercise_2, stale, experiment=EXPERIMENT, prompt=name, match="still points to version 1")
    # The alias moved (with the client), but the trace handed over is from before: refused.
    client.set_prompt_alias(name, "production", 4)
    _fails(lesson_11.check_exercise_2, stale, experiment=EXPERIMENT, prompt=name, match="ask the app again")
    # A request that loaded version 4 by number is accepted too: the trace used the alias's version.
    lesson_11.check_exercise_2(_ask_with_prompt(app, alias_uri), experiment=EXPERIMENT, prompt=name)
    assert capsys.readouterr().out.startswith("✓ Exercise 2: @production is version 4")


ROWS = [{"inputs": {"question": q}} for q in
        ("Which port does Prefect use?", "What is a span?", "How do I stop the lab without losing data?")]


def _evaluate(app, scorer_fn) -> str:
    mlflow, SpanType = app.mlflow, app.SpanType

    @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
    def ask_faq(question: str) -> str:
        return app.answer(question, app.retrieve(question))

    return mlflow.genai.evaluate(data=ROWS, predict_fn=ask_faq, scorers=[scorer_fn]).run_id


def test_exercise_3_accepts_a_feedback_returning_scorer_on_a_list(app, monkeypatch, capsys):
    from mlflow.entities import Feedback
    from mlflow.genai.scorers import scorer

    from lab_utils.grading import lesson_11

    monkeypatch.setenv("TQDM_DISABLE", "1")

    @scorer(name="top_score")
    def best(trace) -> Feedback:
        docs = trace.search_spans(span_type="RETRIEVER")[0].outputs
        return Feedback(value=sorted(d["metadata"]["score"] for d in docs)[-1], rationale="best cosine")

    lesson_11.check_exercise_3(_evaluate(app, best), experiment=EXPERIMENT)
    assert capsys.readouterr().out.strip().splitlines()[-1].startswith("✓ Exercise 3")


def test_exercise_3_refuses_a_constant_scorer_and_a_hand_logged_metric(app, monkeypatch):
    from mlflow.genai.scorers import scorer

    from lab_utils.grading import lesson_11

    monkeypatch.setenv("TQDM_DISABLE", "1")

    @scorer
    def top_score(outputs) -> float:
        return 0.5

    _fails(lesson_11.check_exercise_3, _evaluate(app, top_score), experiment=EXPERIMENT,
           match="whose best retrieval score is")
    mlflow = app.mlflow
    with mlflow.start_run() as run:
        mlflow.log_metric("top_score/mean", 0.4)
    _fails(lesson_11.check_exercise_3, run.info.run_id, experiment=EXPERIMENT, match="is not an evaluation")
    _fails(lesson_11.check_exercise_3, run, experiment=EXPERIMENT, match="run.info.run_id")



# ---------------------------------------------------------------- an independent review's cases

def test_exercise_1_accepts_an_app_with_more_arguments_and_refuses_a_trace_typed_by_hand(app, capsys):
    from mlflow.entities import Document

    from lab_utils.grading import lesson_11

    mlflow, SpanType = app.mlflow, app.SpanType
    cleaned = " ".join(QUESTION.split())

    @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
    def ask_faq(question: str, k: int = 3) -> str:
        with mlflow.start_span(name="clean_question", span_type="PARSER") as span:
            clean = " ".join(question.split())
            span.set_attributes({"removed_chars": len(question) - len(clean)})
        return app.answer(clean, app.retrieve(clean, k))

    ask_faq(QUESTION, k=2)
    lesson_11.check_exercise_1(_last_trace_id(app), experiment=EXPERIMENT)
    assert capsys.readouterr().out.startswith("✓ Exercise 1")
    # The spans typed by hand, no app: a RETRIEVER span with invented passages (or none).
    for documents in ([Document(page_content="4200", metadata={"doc_uri": "faq-01", "score": 1.0})], None):
        with mlflow.start_span("ask_faq", span_type=SpanType.CHAIN) as root:
            root.set_inputs({"question": QUESTION})
            with mlflow.start_span("clean_question", span_type=SpanType.PARSER) as span:
                span.set_attribute("removed_chars", len(QUESTION) - len(cleaned))
            with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as retriever:
                retriever.set_inputs({"question": cleaned})
                if documents:
                    retriever.set_outputs(documents)
            root.set_outputs("The Prefect server listens on port 4200.")
        _fails(lesson_11.check_exercise_1, _last_trace_id(app), experiment=EXPERIMENT,
               match="not the FAQ passages the app's search finds")


def test_exercise_2_refuses_a_template_not_asking_one_sentence_and_accepts_a_client_loaded_prompt(app, capsys):
    from mlflow import MlflowClient

    from lab_utils.grading import lesson_11

    mlflow, SpanType = app.mlflow, app.SpanType
    client, name = MlflowClient(), f"faq_answer_review_{uuid.uuid4().hex[:8]}"
    first = "Answer the question using only the FAQ passages below, in one or two sentences.\n{{passages}}\n{{question}}"
    client.register_prompt(name=name, template=first)

    @mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
    def ask_faq(question: str) -> str:
        prompt = client.load_prompt(f"prompts:/{name}@production")  # the client links no prompt to the trace
        docs = app.retrieve(question)
        with mlflow.start_span(name="build_prompt", span_type=SpanType.PARSER) as span:
            span.set_outputs({"prompt": prompt.format(question=question,
                                                      passages="\n".join(d.page_content for d in docs))})
        return app.answer(question, docs)

    client.register_prompt(name=name, template=first.replace("below,", "below!"))
    client.set_prompt_alias(name, "production", 2)
    ask_faq("What is a trace?")
    _fails(lesson_11.check_exercise_2, _last_trace_id(app), experiment=EXPERIMENT, prompt=name,
           match="does not ask for one sentence")
    client.register_prompt(name=name, template="Responda em uma frase, só com estes trechos:\n{{ passages }}\n"
                                               "Pergunta: {{question}}")
    client.set_prompt_alias(name, "production", 3)
    ask_faq("What is a trace?")
    lesson_11.check_exercise_2(_last_trace_id(app), experiment=EXPERIMENT, prompt=name)
    assert capsys.readouterr().out.startswith("✓ Exercise 2: @production is version 3")


def test_exercise_3_refuses_an_evaluation_that_left_out_questions_of_the_data_set(app, monkeypatch):
    from mlflow.genai import datasets
    from mlflow.genai.scorers import scorer

    from lab_utils.grading import lesson_11

    monkeypatch.setenv("TQDM_DISABLE", "1")
    mlflow = app.mlflow
    experiment = f"{EXPERIMENT}_dataset_{uuid.uuid4().hex[:8]}"
    experiment_id = mlflow.set_experiment(experiment).experiment_id
    try:
        dataset = datasets.create_dataset(name="faq_eval", experiment_id=experiment_id)
        dataset.merge_records(ROWS + [{"inputs": {"question": "Which Java do I need for Spark?"}}])

        @scorer
        def top_score(trace) -> float:
            return max(d["metadata"]["score"] for d in trace.search_spans(span_type="RETRIEVER")[0].outputs)

        _fails(lesson_11.check_exercise_3, _evaluate(app, top_score), experiment=experiment,
               match="did not evaluate 1 question")
    finally:
        mlflow.set_experiment(EXPERIMENT)
