"""Checks of lesson 11 · Tracing and evaluating a GenAI app (traces, prompts, evaluation runs)."""

from __future__ import annotations

import json
import re

from ..i18n import _
from . import fail, passed, require_run_id, require_text

APP_SPAN = "ask_faq"
EXPERIMENT = "faq_assistant"
PROMPT = "faq_answer"
ALIAS = "production"
EVAL_DATASET = "faq_eval"
_TRACE_ID = re.compile(r"^tr-[0-9a-f]{32}$")


def require_trace_id(value: object, what: str | None = None) -> str:
    """A trace id (`tr-` and 32 hex digits); a `Trace`, `TraceInfo` or DataFrame gets a hint."""
    what = what or _("a trace id")
    name = type(value).__name__
    if name in ("Trace", "TraceInfo", "DataFrame", "Series", "list"):
        hint = {"Trace": "trace.info.trace_id", "TraceInfo": "info.trace_id", "DataFrame": 'traces.iloc[0]["trace_id"]',
                "Series": 'row["trace_id"]', "list": "traces[0].info.trace_id"}[name]
        fail(_("expected {what} (a string), got a {type}: hand over its id, e.g. {hint}")
             .format(what=what, type=name, hint=hint))
    text = require_text(value, what)
    if not _TRACE_ID.match(text):
        fail(_("expected {what} such as 'tr-…' (32 hex digits after tr-), got {got!r}").format(what=what, got=text))
    return text


def get_trace(trace_id: object):
    """The trace as the server has it (spans included), or a one-line failure."""
    import mlflow

    trace_id = require_trace_id(trace_id)
    trace = mlflow.get_trace(trace_id, silent=True, flush=True)
    if trace is None:
        fail(_("trace {trace_id} is not on the tracking server: re-run the cell that makes it").format(trace_id=trace_id))
    return trace


def _app_trace(trace_id: object, experiment: str = EXPERIMENT):
    """A finished (OK) trace of the app, in experiment faq_assistant, whose root span is ask_faq."""
    from mlflow import MlflowClient

    trace = get_trace(trace_id)
    experiment_id = getattr(trace.info.trace_location.mlflow_experiment, "experiment_id", None)
    if experiment_id is None or MlflowClient().get_experiment(experiment_id).name != experiment:
        fail(_("trace {trace_id} is not in experiment {experiment!r}: call mlflow.set_experiment({experiment!r}) first")
             .format(trace_id=trace.info.trace_id, experiment=experiment))
    root = next((s for s in trace.data.spans if s.parent_id is None), None)
    if root is None or root.name != APP_SPAN:
        fail(_("the root span of trace {trace_id} is {got!r}, not {want!r}: hand over the trace of an ask_faq request")
             .format(trace_id=trace.info.trace_id, got=getattr(root, "name", None), want=APP_SPAN))
    if str(trace.info.state) != "OK":
        fail(_("trace {trace_id} ended with status {state}: hand over a request that succeeded")
             .format(trace_id=trace.info.trace_id, state=trace.info.state))
    return trace, root


def _question(root) -> str:
    inputs = root.inputs
    if isinstance(inputs, dict):
        inputs = inputs.get("question", next(iter(inputs.values())) if len(inputs) == 1 else None)
    return inputs if isinstance(inputs, str) else ""


def _faq_index():
    from lab_utils import genai as faq_app

    return faq_app.FaqIndex(faq_app.load_faq())


def _doc_ids(outputs) -> list | None:
    """The FAQ ids of a RETRIEVER span's documents (None when its outputs are not documents with ids)."""
    if not isinstance(outputs, list) or not outputs:
        return None
    ids = [((doc.get("metadata") or {}).get("doc_uri") if isinstance(doc, dict) else None) for doc in outputs]
    return None if None in ids else ids


# One sentence asked for, in English or Portuguese ("one sentence", "a single short sentence", "uma frase");
# "one or two sentences" (version 1) is not.
_ONE_SENTENCE = re.compile(r"\b(one|single|a|1|uma|única)\s+(\w+\s+){0,2}(sentence|frase)\b|\bfrase\s+única\b"
                           r"|\bone-sentence\b", re.IGNORECASE)
_MORE_SENTENCES = re.compile(r"\b(two|2|duas)\s+(sentences|frases)\b", re.IGNORECASE)


def check_exercise_1(trace_id: object, experiment: str = EXPERIMENT) -> None:
    """A request's trace with a `clean_question` span (type PARSER) under the ask_faq root, whose
    attribute `removed_chars` is the number of characters that collapsing blanks removed from the
    question the request received, and whose retriever got the cleaned question.

    Accepts the span made with `mlflow.start_span` or a decorated function (`@mlflow.trace(
    name=..., span_type=...)` with the attribute set through `mlflow.get_current_active_span()`),
    the name in any case, the attribute as a number or numeric text, an ask_faq with more arguments
    than the question. Refuses: a trace id in the wrong form, a trace elsewhere than faq_assistant or
    not rooted at ask_faq (a span traced on its own), no such span, another span type, no or a wrong
    attribute, a question without extra blanks, a retriever that got the raw question, a trace typed
    by hand (RETRIEVER spans without the passages the FAQ search finds for the cleaned question)."""
    trace, root = _app_trace(trace_id, experiment)
    spans = [s for s in trace.data.spans if s.name.casefold() == "clean_question"]
    if not spans:
        fail(_("trace {trace_id} has no span named 'clean_question' (its spans: {names})")
             .format(trace_id=trace.info.trace_id, names=[s.name for s in trace.data.spans]))
    span = spans[0]
    if str(span.span_type).upper() != "PARSER":
        fail(_("the span clean_question has type {got}, the task asks for PARSER: span_type=SpanType.PARSER")
             .format(got=span.span_type))
    question = _question(root)
    cleaned = " ".join(question.split())
    removed = len(question) - len(cleaned)
    if removed == 0:
        fail(_("the request's question {question!r} has no extra blanks: ask the question of the task, "
               "with its blanks").format(question=question))
    value = (span.attributes or {}).get("removed_chars")
    if value is None:
        fail(_("the span clean_question has no attribute 'removed_chars': span.set_attribute('removed_chars', ...)"))
    from . import same_number

    if not same_number(value, removed):
        fail(_("removed_chars is {got!r}, but cleaning {question!r} removes {want} characters")
             .format(got=value, question=question, want=removed))
    retrievers = [s for s in trace.data.spans if str(s.span_type).upper() == "RETRIEVER"]
    got = [s.inputs.get("question") if isinstance(s.inputs, dict) else s.inputs for s in retrievers]
    if not retrievers or any(" ".join(str(g).split()) != str(g) for g in got):
        fail(_("the retriever did not get the cleaned question (it got {got!r}): pass the cleaned text to retrieve")
             .format(got=got))
    # The app's own retrieval, not spans typed by hand: the passages are those the FAQ search finds.
    index = _faq_index()
    for retriever in retrievers:
        ids = _doc_ids(retriever.outputs)
        want = [hit["faq_id"] for hit in index.search(cleaned, len(ids))] if ids else None
        if ids is None or ids != want:
            fail(_("the RETRIEVER span of trace {trace_id} holds {got}, not the FAQ passages the app's search finds "
                   "for the cleaned question ({want}): hand over a request the app made, ask_faq(...)")
                 .format(trace_id=trace.info.trace_id, got=ids or _("no documents"), want=want or "faq-…"))
    passed(_("Exercise 1: clean_question removed {removed} characters in request {trace_id}")
           .format(removed=removed, trace_id=trace.info.trace_id))


def _prompt_versions(name: str) -> dict[int, object]:
    from mlflow import MlflowClient

    client = MlflowClient()
    versions = {}
    for number in range(1, 1000):
        try:
            versions[number] = client.get_prompt_version(name, number)
        except Exception:  # the registry answers "not found" past the last version
            break
    return versions


def check_exercise_2(trace_id: object, experiment: str = EXPERIMENT, prompt: str = PROMPT) -> None:
    """The alias `production` of prompt faq_answer points to a version after 1, whose template
    differs from version 1's and keeps both variables, and the handed-over ask_faq request used
    that very version (its `mlflow.linkedPrompts`).

    Accepts any route (fluent `mlflow.genai.*`, `MlflowClient`; a prompt loaded with
    `MlflowClient().load_prompt`, which links nothing, when a span holds the prompt built from the
    template), English or Portuguese ("one sentence", "uma frase"), any number of earlier tries (the
    version the alias points to now is the one judged). Refuses: a new version registered but the
    alias left on version 1, a copy of version 1 or a template that does not ask for one sentence, a
    template that lost a variable, a trace of a request made before the alias moved (or that did not
    load the prompt)."""
    import mlflow

    trace, _root = _app_trace(trace_id, experiment)
    try:
        production = mlflow.MlflowClient().get_prompt_version_by_alias(prompt, ALIAS)
    except Exception:
        fail(_("prompt {prompt!r} has no alias {alias!r}: run the lesson's prompt registry section first")
             .format(prompt=prompt, alias=ALIAS))
    versions = _prompt_versions(prompt)
    if int(production.version) == 1:
        latest = max(versions) if versions else 1
        fail(_("@{alias} still points to version 1 (the latest is {latest}): move it with "
               "mlflow.genai.set_prompt_alias").format(alias=ALIAS, latest=latest))
    first = versions.get(1)
    if first is not None and " ".join(production.template.split()) == " ".join(first.template.split()):
        fail(_("version {version} has the same template as version 1: register one that asks for one sentence")
             .format(version=production.version))
    missing = {"question", "passages"} - set(production.variables)
    if missing:
        fail(_("version {version} lost the variable(s) {missing}: keep {{{{question}}}} and {{{{passages}}}}")
             .format(version=production.version, missing=sorted(missing)))
    template = production.template if isinstance(production.template, str) else json.dumps(production.template)
    if not _ONE_SENTENCE.search(template) or _MORE_SENTENCES.search(template):
        fail(_("version {version}'s template does not ask for one sentence: register one that does "
               "(\"... in one sentence ...\")").format(version=production.version))
    linked = json.loads(trace.info.tags.get("mlflow.linkedPrompts", "[]"))
    used = sorted(int(p["version"]) for p in linked if p.get("name") == prompt)
    if not used and _used_template(trace, template):
        used = [int(production.version)]  # loaded without the link (MlflowClient().load_prompt): the prompt shows it
    if not used:
        fail(_("request {trace_id} is not linked to any version of {prompt}: load the prompt with "
               "mlflow.genai.load_prompt('prompts:/{prompt}@{alias}') inside the request (the lesson's ask_faq does)")
             .format(trace_id=trace.info.trace_id, prompt=prompt, alias=ALIAS))
    if int(production.version) not in used:
        fail(_("request {trace_id} used faq_answer version(s) {used}, not version {version} that @{alias} points "
               "to: ask the app again after moving the alias").format(
                   trace_id=trace.info.trace_id, used=used or "none", version=production.version, alias=ALIAS))
    passed(_("Exercise 2: @{alias} is version {version}, and the app used it").format(
        alias=ALIAS, version=production.version))


def _used_template(trace, template: str) -> bool:
    """A span of the trace holds the prompt built from `template` (its fixed text, without the variables)."""
    pieces = [" ".join(p.split()) for p in re.split(r"\{\{\s*\w+\s*\}\}", template) if len(p.strip()) >= 12]
    if not pieces:
        return False
    for span in trace.data.spans:
        text = " ".join(json.dumps([span.inputs, span.outputs], ensure_ascii=False).replace("\\n", " ").split())
        if all(piece in text for piece in pieces):
            return True
    return False


def _top_score(trace) -> float | None:
    scores = []
    for span in trace.data.spans:
        if str(span.span_type).upper() != "RETRIEVER" or not isinstance(span.outputs, list):
            continue
        for doc in span.outputs:
            score = (doc.get("metadata") or {}).get("score") if isinstance(doc, dict) else None
            if score is not None:
                scores.append(float(score))
    return max(scores) if scores else None


def _eval_questions(experiment_id: str, name: str = EVAL_DATASET) -> set[str]:
    """The questions of the experiment's evaluation data set `faq_eval` (empty when there is none)."""
    from mlflow.genai import datasets

    try:
        found = datasets.search_datasets(experiment_ids=[experiment_id], filter_string=f"name = '{name}'")
    except Exception:  # noqa: BLE001 - no data set to compare with: the other checks still apply
        return set()
    questions = set()
    for dataset in found:
        for inputs in dataset.to_df()["inputs"]:
            question = inputs.get("question") if isinstance(inputs, dict) else None
            if isinstance(question, str):
                questions.add(" ".join(question.split()))
    return questions


def check_exercise_3(run_id: object, experiment: str = EXPERIMENT) -> None:
    """An evaluation run (mlflow.genai.evaluate) in faq_assistant with a `top_score/mean` metric
    whose every row (trace) carries a `top_score` feedback equal to the best retrieval score of
    that trace's RETRIEVER span, on at least 3 rows.

    Accepts any scorer implementation (`@scorer`, a `Scorer` subclass, returning a float or a
    `Feedback`), any version of the app, `eval_dataset` or the same rows as a list or DataFrame,
    inside a run of one's own. Refuses: a run id in the wrong form, a run outside faq_assistant, a run
    that is not an evaluation (a metric logged by hand), an evaluation without the scorer, a scorer
    whose values are not the traces' retrieval scores (a constant, the latency, the mean score), an
    evaluation that left out questions of the experiment's `faq_eval` data set."""
    import mlflow
    from mlflow import MlflowClient

    from . import get_run, same_number

    run_id = require_run_id(run_id, _("an evaluation run id"))
    run = get_run(run_id)
    if MlflowClient().get_experiment(run.info.experiment_id).name != experiment:
        fail(_("run {run_id} is not in experiment {experiment!r}").format(run_id=run_id, experiment=experiment))
    if run.data.tags.get("mlflow.runType") != "genai_evaluate":
        fail(_("run {run_id} is not an evaluation run (mlflow.genai.evaluate tags its run mlflow.runType = "
               "genai_evaluate): evaluate with mlflow.genai.evaluate(data=eval_dataset, ...)").format(run_id=run_id))
    if "top_score/mean" not in run.data.metrics:
        fail(_("run {run_id} has no metric 'top_score/mean' (it has {logged}): evaluate with a scorer named "
               "top_score").format(run_id=run_id, logged=sorted(run.data.metrics)))
    traces = mlflow.search_traces(locations=[run.info.experiment_id], run_id=run_id, return_type="list", flush=True)
    rows = 0
    for trace in traces:
        verdicts = [a for a in trace.info.assessments if a.name == "top_score" and hasattr(a, "feedback")]
        if not verdicts:
            continue
        rows += 1
        want, got = _top_score(trace), verdicts[-1].value
        if want is None or not same_number(got, want, rel=1e-6, abs=1e-6):
            fail(_("top_score gave {got!r} for request {trace_id}, whose best retrieval score is {want!r}: "
                   "return the highest score of the RETRIEVER span's documents")
                 .format(got=got, trace_id=trace.info.trace_id, want=want))
    if rows < 3:
        fail(_("run {run_id} is not an evaluation with top_score on its rows ({rows} scored trace(s)): "
               "use mlflow.genai.evaluate(data=eval_dataset, ...)").format(run_id=run_id, rows=rows))
    wanted = _eval_questions(run.info.experiment_id)
    asked = {" ".join(q.split()) for q in (_question(t.data.spans[0]) for t in traces if t.data.spans) if q}
    left_out = sorted(wanted - asked)
    if left_out:
        fail(_("run {run_id} did not evaluate {count} question(s) of eval_dataset (e.g. {example!r}): evaluate on "
               "all of it, mlflow.genai.evaluate(data=eval_dataset, ...)")
             .format(run_id=run_id, count=len(left_out), example=left_out[0]))
    passed(_("Exercise 3: top_score matches the retrieval scores of the {rows} requests of run {run_id}")
           .format(rows=rows, run_id=run_id))
