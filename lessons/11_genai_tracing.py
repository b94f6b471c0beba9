# %% [markdown]
# # 11 · Tracing and evaluating a GenAI app
#
# MLflow 3 is half GenAI: its UI opens in **GenAI** mode, and its documentation starts with
# tracing and evaluation. This lesson builds a small question-answering assistant over a
# FAQ about this lab, then does to it what lessons 01–05 did to the house-price models:
# records what every request did (a *trace*), finds the slow and failed ones, attaches
# judgements to them, keeps its prompt in a registry with an alias, links its traces to a
# version of the app, and chooses between two versions on an evaluation, not on one
# example. Everything runs offline, on the lab's tracking server.
#
# **You will learn** what GenAI mode and a trace are; to trace an app's steps with
# `@mlflow.trace` and `mlflow.start_span` (span types, attributes); to search traces for
# slow or failed requests, and read an exception off a span; to log feedback and
# expectations on a trace; to register, version and alias a prompt and load it by alias; to
# link traces to a version of the app with `mlflow.set_active_model`; to evaluate two
# versions with `mlflow.genai.evaluate`, built-in and code scorers on an evaluation data set;
# and when an LLM judge is needed.
#
# **Time:** 45 minutes (about 21 to read, 2 to run the cells, 22 for the three exercises).
# **Prerequisites:** 00–04 (experiments, runs, logged models, registry aliases).
#
# **On the map** (lesson 00): the same tracking server and stores; a trace is logged beside runs, a prompt is registered beside models.

# %%
import lab_utils

lab = lab_utils.connect(language="en")

# %% tags=["parameters"]
top_k = 3  # FAQ passages the retriever hands to the answer step

# %% [markdown]
# ## GenAI mode, traces and spans
#
# The MLflow UI has two modes, switched by the toggle at the top left: **Model training**
# (experiments, runs, models, the registry: lessons 01–10) and **GenAI**, the one it opens
# in. GenAI mode shows the same experiments through what a GenAI app leaves behind: in an
# experiment's left bar, **Traces**, **Evaluation runs**, **Prompts** and **Agent versions**.
#
# > **Trace** — the record of one request to an app, from the question it received to the
# > answer it gave: inputs, output, duration, status (OK or ERROR).
# >
# > **Span** — one step inside a trace (find passages, build the prompt, call the model),
# > with a name, a *type* (RETRIEVER, LLM, CHAIN, …), inputs, outputs, *attributes* (any
# > facts you add: the model used, how many passages) and its own duration. Spans nest:
# > the first one, the *root span*, is the request itself.
#
# Our assistant's trace, once it runs:
#
# ```text
# trace tr-…  (status OK, 12 ms)
# └── ask_faq            CHAIN      question → answer
#     ├── retrieve       RETRIEVER  question → 3 FAQ passages, with their scores
#     ├── build_prompt   PARSER     question + passages → prompt
#     └── extract_answer LLM        the answer step (chat_completion, CHAT_MODEL, with a real LLM)
# ```
#
# A trace is to a GenAI request what a run is to a training job; both live in an
# experiment, on the same tracking server.
#
# ## The app: an assistant over the lab's FAQ
#
# `data/lab_faq.csv` holds 40 short questions and answers about this lab and MLflow
# (`data/README.md` says where they come from). `lab_utils.genai` holds the app's plain
# machinery, with no MLflow in it: a TF-IDF search over the passages (scikit-learn), and
# two answer steps:
#
# - **extractive** (the default): the sentence of the retrieved passages that shares the
#   most weighted words with the question. Deterministic and offline: the outputs stored in
#   this notebook come from it.
# - **an LLM**, when you point the lab at an OpenAI-compatible endpoint before starting
#   JupyterLab: `LAB_LLM_BASE_URL` (e.g. `http://localhost:11434/v1` for a local Ollama),
#   optionally `LAB_LLM_MODEL` (default `llama3.2`) and `LAB_LLM_API_KEY`. It is called
#   over HTTP with `httpx`, which the lab already has; the `openai` package, and so
#   `mlflow.openai.autolog()`, are not installed, so the call gets a span we write ourselves.
#
# The next cell says which path runs here.

# %% tags=["nbval-check-output"]
import mlflow
from mlflow.entities import Document, SpanType

from lab_utils import genai as faq_app

# In Jupyter, MLflow shows each cell's traces below it, as a frame of the UI. We read them from
# the server instead; delete this line to see them inline.
mlflow.tracing.disable_notebook_display()
faq = faq_app.load_faq()
index = faq_app.FaqIndex(faq)
llm = faq_app.llm_settings()
print(f"{len(faq)} FAQ passages, topics {sorted(faq['topic'].unique())}")
print("answer step:", f"an LLM, {llm.model} at {llm.base_url}" if llm else "extractive (LAB_LLM_BASE_URL is not set)")

# %% [markdown]
# ## Tracing the app: `@mlflow.trace` and `mlflow.start_span`
#
# `@mlflow.trace` turns every call of a function into a span: its arguments become the
# span's inputs, its return value the outputs, an exception its error. Called inside
# another traced function, the span nests under it. `mlflow.start_span` traces a block of
# code instead of a whole function; inside it, `span.set_inputs`, `span.set_outputs` and
# `span.set_attribute(s)` say what the block did. `span_type` tells the UI how to show a
# span: a RETRIEVER span's `Document` outputs are drawn as passages, an LLM span's as a
# model call.

# %%
experiment = mlflow.set_experiment("faq_assistant")

PROMPT = ("Answer the question using only the FAQ passages below, in one or two sentences.\n\n"
          "Passages:\n{{passages}}\n\nQuestion: {{question}}")


@mlflow.trace(span_type=SpanType.RETRIEVER)
def retrieve(question: str, k: int = top_k) -> list[Document]:
    if not question.strip():
        raise ValueError("the question is empty")
    return [Document(page_content=hit["text"], metadata={"doc_uri": hit["faq_id"], "score": hit["score"]})
            for hit in index.search(question, k)]


def generate(question: str, passages: list[str], template: str = PROMPT, max_sentences: int = 1) -> str:
    with mlflow.start_span(name="build_prompt", span_type=SpanType.PARSER) as span:
        span.set_inputs({"question": question, "passages": len(passages)})
        prompt = template.replace("{{passages}}", "\n".join(passages)).replace("{{question}}", question)
        span.set_outputs({"prompt": prompt})
    if llm is None:
        with mlflow.start_span(name="extract_answer", span_type=SpanType.LLM) as span:
            span.set_inputs({"question": question, "passages": passages})
            span.set_attributes({"answer_step": "extractive", "max_sentences": max_sentences})
            answer = faq_app.extract_answer(index, question, passages, max_sentences)
            span.set_outputs(answer)
    else:
        with mlflow.start_span(name="chat_completion", span_type=SpanType.CHAT_MODEL) as span:
            messages = [{"role": "user", "content": prompt}]
            span.set_inputs({"model": llm.model, "messages": messages})
            span.set_attributes({"answer_step": "llm", "model": llm.model, "base_url": llm.base_url})
            reply = faq_app.chat_completion(llm, messages)
            answer = reply["choices"][0]["message"]["content"]
            span.set_outputs(reply)
    return answer


@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    passages = [doc.page_content for doc in retrieve(question)]
    return generate(question, passages)


print(ask_faq("Which port does Prefect use?"))
trace_id = mlflow.get_last_active_trace_id()

# %% [markdown]
# ### Checkpoint: the trace on the server
#
# Spans are sent to the server in the background, so that tracing does not slow the app;
# `flush=True` waits until they are there. The trace holds the four spans, nested as drawn.

# %% tags=["nbval-check-output"]
trace = mlflow.get_trace(trace_id, flush=True)
by_id = {span.span_id: span for span in trace.data.spans}
for span in trace.data.spans:
    parent = by_id[span.parent_id].name if span.parent_id else "(root)"
    print(f"{span.name:<15} {span.span_type:<10} parent {parent}")
assert trace.info.state == "OK" and [s.name for s in trace.data.spans][0] == "ask_faq", "not the app's trace"
print("retrieved:", [doc["metadata"]["doc_uri"] for doc in trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs])

# %% [markdown]
# In the UI, switch to **GenAI**, open the experiment `faq_assistant` and its **Traces** tab:
# one row per request, with its question, answer, duration and status. Click one to see its
# spans as a tree, each with its inputs, outputs and attributes.
#
# ![The Traces tab](../docs/screenshots/11_traces.png)
#
# (Taken by `make notebooks` after every lesson ran, exercises included: your list is shorter.)
#
# ## Finding slow and failed requests: `mlflow.search_traces`
#
# Let's send the app the requests of a short day, one of them empty by mistake. The empty
# question raises inside `retrieve`; `@mlflow.trace` records the exception on that span
# and on the root span, and lets it go on to the caller.

# %%
questions = ["Where are artifacts stored?", "How do I stop the lab without losing data?",
             "What is an alias in the registry?", "How do I find slow requests?",
             "Which address does the MLflow tracking server use?", "   ", "What is a span?"]
for question in questions:
    try:
        ask_faq(question)
    except ValueError as error:
        print(f"{question!r} failed: {error}")

# %% [markdown]
# `mlflow.search_traces` searches traces the way `search_runs` searches runs:
# `trace.status`, `trace.execution_time_ms`, `trace.name`, `span.name`, `span.type`, tags and
# assessments can be filtered on, and `order_by` sorts. With `return_type="list"` it returns
# `Trace` objects, with their spans.

# %% tags=["nbval-ignore-output"]
slowest = mlflow.search_traces(locations=[experiment.experiment_id], filter_string="trace.status = 'OK'",
                               order_by=["execution_time_ms DESC"], max_results=3, return_type="list", flush=True)
for found in slowest:
    print(f"{found.info.execution_duration:>5} ms  {found.data.spans[0].inputs['question']}")
failed = mlflow.search_traces(locations=[experiment.experiment_id], filter_string="trace.status = 'ERROR'",
                              return_type="list")
print(len(failed), "failed request(s)")

# %% [markdown]
# ### Checkpoint: the exception is on the span where it happened
#
# A failed span has status ERROR and an `exception` event with the exception's type and
# message (and stack trace). Here the failing span is `retrieve`, not the answer step.

# %% tags=["nbval-check-output"]
errored = [span for span in failed[0].data.spans if span.status.status_code == "ERROR"]
for span in errored:
    event = next(e for e in span.events if e.name == "exception")
    print(f"{span.name:<9} {event.attributes['exception.type']}: {event.attributes['exception.message']}")
assert "retrieve" in {span.name for span in errored}, "the failure is not recorded on the retrieve span"

# %% [markdown]
# ## Judging a trace: feedback and expectations
#
# A trace says what the app did, not whether it was right. Two kinds of *assessment* can be
# attached to it:
#
# - an **expectation** (`mlflow.log_expectation`): the ground truth for that input, e.g.
#   the fact a right answer must contain;
# - **feedback** (`mlflow.log_feedback`): a judgement of the output, from a person (a
#   thumbs-up in a chat window), from code, or from an LLM judge; a value and a rationale.
#
# The question about aliases retrieved a passage about the *prompt* registry rather than
# the one about the Model Registry. A user says so; a rule checks the answer against the
# expected fact, and the trace carries both.

# %%
from mlflow.entities import AssessmentSource

alias_trace = mlflow.search_traces(locations=[experiment.experiment_id], return_type="list",
                                   filter_string="trace.status = 'OK'", order_by=["timestamp_ms DESC"],
                                   max_results=50)
alias_trace = next(t for t in alias_trace if t.data.spans[0].inputs["question"] == "What is an alias in the registry?")
answer = alias_trace.data.spans[0].outputs
mlflow.log_expectation(trace_id=alias_trace.info.trace_id, name="expected_fact", value="movable name")
mlflow.log_feedback(trace_id=alias_trace.info.trace_id, name="user_thumbs_up", value=False,
                    source=AssessmentSource(source_type="HUMAN", source_id="learner"),
                    rationale="this answers about prompts, not about registered models")
mlflow.log_feedback(trace_id=alias_trace.info.trace_id, name="contains_fact", value="movable name" in answer.lower(),
                    source=AssessmentSource(source_type="CODE", source_id="expected_fact rule"))
print("answer:", answer)

# %% [markdown]
# ### Checkpoint: the assessments are on the trace

# %% tags=["nbval-check-output"]
judged = mlflow.get_trace(alias_trace.info.trace_id)
for assessment in judged.info.assessments:
    print(f"{type(assessment).__name__:<11} {assessment.name:<15} {assessment.value!s:<13} "
          f"by {assessment.source.source_type}")
assert {"expected_fact", "user_thumbs_up", "contains_fact"} <= {a.name for a in judged.info.assessments}

# %% [markdown]
# In the UI, the trace's page lists them beside its spans, and the Traces table gets a column
# per assessment. `search_traces` filters on them too: `feedback.user_thumbs_up = 'false'`.
#
# ## The prompt registry
#
# The prompt is part of the app, and changes more often than its code. The **prompt
# registry** keeps prompts the way the Model Registry keeps models: a name, numbered
# versions (each immutable, with a commit message), and aliases. `{{question}}` and
# `{{passages}}` are the template's variables; a loaded prompt's `format(question=..., passages=...)`
# fills them in (the app's `generate` replaces them itself, so that it also takes a plain string).
# (Registering waits until the server has written the version: the INFO line says so.)

# %%
template_v1 = ("Answer the question using only the FAQ passages below, in one or two sentences.\n\n"
               "Passages:\n{{passages}}\n\nQuestion: {{question}}")
existing = mlflow.genai.search_prompts(filter_string="name = 'faq_answer'")
if existing:  # a re-run: version 1 is there already, and stays the same
    prompt_v1 = mlflow.genai.load_prompt("prompts:/faq_answer/1")
else:
    prompt_v1 = mlflow.genai.register_prompt(name="faq_answer", template=template_v1,
                                             commit_message="first version: one or two sentences")
    mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=prompt_v1.version)
print(prompt_v1.uri, "variables", sorted(prompt_v1.variables))

# %% [markdown]
# The app now loads its prompt **by alias** on every request: moving `production` to
# another version changes what the app uses, with no change to its code. A prompt loaded
# inside a trace is linked to it: the trace records which version answered. (On the
# extractive path the prompt is built and traced, but the answer step does not read it: a new
# prompt changes what a real LLM is asked, not the extractive answers.)

# %%
app_config = {"top_k": top_k, "max_sentences": 1, "prompt_uri": "prompts:/faq_answer@production"}


@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    prompt = mlflow.genai.load_prompt(app_config["prompt_uri"])
    passages = [doc.page_content for doc in retrieve(question, k=app_config["top_k"])]
    return generate(question, passages, prompt.template, app_config["max_sentences"])


print(ask_faq("How do I check that the lab is healthy?"))
prompt_trace = mlflow.get_trace(mlflow.get_last_active_trace_id(), flush=True)

# %% [markdown]
# ### Checkpoint: the alias, and the prompt version the trace used

# %% tags=["nbval-check-output"]
import json

from mlflow import MlflowClient

client = MlflowClient()
production = client.get_prompt_version_by_alias("faq_answer", "production")
linked = json.loads(prompt_trace.info.tags["mlflow.linkedPrompts"])
print("production ->", f"version {production.version}; the trace used", linked)
assert {"name": "faq_answer", "version": str(production.version)} in linked, "the trace did not use @production"

# %% [markdown]
# ## Versions of the app: `mlflow.set_active_model`
#
# An app is more than a file of weights: code, prompt, settings. MLflow 3 gives it a
# **logged model** like lesson 01's, with no files needed: `mlflow.set_active_model(name=…)`
# finds or creates the logged model of that name and links every trace made afterwards
# to it. `mlflow.log_model_params` records the version's settings on it. Two versions:
#
# - `faq_assistant-v1`: one passage, one sentence — short answers;
# - `faq_assistant-v2`: `top_k` passages, two sentences — more context, longer answers.
#
# Which is better? Not something one example can tell: that is what evaluation is for.

# %%
versions = {"faq_assistant-v1": {"top_k": 1, "max_sentences": 1},
            "faq_assistant-v2": {"top_k": top_k, "max_sentences": 2}}
models = {}
for name, settings in versions.items():
    models[name] = mlflow.set_active_model(name=name)
    if not mlflow.get_logged_model(models[name].model_id).params:  # a re-run finds them there already
        mlflow.log_model_params({key: str(value) for key, value in settings.items()}, model_id=models[name].model_id)
    app_config.update(settings)
    print(f"{name}: {ask_faq('Where does the lab keep run metadata?')}")

# %% [markdown]
# ## Evaluating: a data set, scorers, `mlflow.genai.evaluate`
#
# An **evaluation data set** holds questions (`inputs`) and what a right answer needs
# (`expectations`): here the fact it must contain and the FAQ passage it should come from.
# `mlflow.genai.datasets` keeps it on the tracking server, in the experiment, so every
# evaluation reads the same rows (a list of dicts or a DataFrame works too, kept only in
# your notebook). `merge_records` adds rows, and updates those whose inputs it has already.

# %%
import pandas as pd

from mlflow.genai import datasets

eval_rows = [
    ("Which port does Prefect use?", "4200", "faq-09"),
    ("Where are the artifacts kept?", "SeaweedFS", "faq-03"),
    ("What does an alias do in the model registry?", "movable name", "faq-24"),
    ("How do I check the lab's health?", "lab doctor", "faq-06"),
    ("What happens if I forget to set MLFLOW_TRACKING_URI?", "mlflow.db", "faq-08"),
    ("How can I log a thousand metrics fast?", "log_batch", "faq-17"),
    ("Which Java do I need for Spark?", "Java 17", "faq-11"),
    ("How do I trace only a block of code?", "start_span", "faq-32"),
    ("Which filter finds failed traces?", "trace.status = 'ERROR'", "faq-33"),
    ("How do I get rid of the data of the lab?", "lab reset", "faq-05"),
    ("What do I run before a script can reach the tracking server?", "lab env", "faq-07"),
    ("Why are stages deprecated?", "aliases", "faq-25"),
]
records = [{"inputs": {"question": q}, "expectations": {"expected_fact": fact, "expected_faq_id": faq_id}}
           for q, fact, faq_id in eval_rows]
found = datasets.search_datasets(experiment_ids=[experiment.experiment_id], filter_string="name = 'faq_eval'")
eval_dataset = found[0] if found else datasets.create_dataset(name="faq_eval", experiment_id=experiment.experiment_id)
eval_dataset.merge_records(records)
print(eval_dataset.dataset_id, len(eval_dataset.to_df()), "rows")

# %% [markdown]
# A **scorer** judges one row: it receives the row's `inputs`, the app's `outputs`, the
# `expectations` and the whole `trace`, and returns a value (a bool, a number, a
# `Feedback` with a rationale). Two kinds:
#
# - **code scorers**, plain Python decorated with `@scorer`: ours check that the retriever
#   found the expected passage (read from the RETRIEVER span), that the answer contains the
#   expected fact, and the request's latency;
# - **built-in scorers**: most are *LLM judges* (next section), but a few are plain rules,
#   such as `ResponseLength` and `RegexMatch`, and need no model.

# %%
from mlflow.entities import Feedback
from mlflow.genai.scorers import ResponseLength, scorer


@scorer
def retrieval_hit(trace, expectations) -> bool:
    retrieved = trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs
    return expectations["expected_faq_id"] in [doc["metadata"]["doc_uri"] for doc in retrieved]


@scorer
def contains_fact(outputs, expectations) -> bool:
    return expectations["expected_fact"].lower() in str(outputs).lower()


@scorer
def latency_ms(trace) -> Feedback:
    return Feedback(value=trace.info.execution_duration, rationale="the request's duration, in ms")


scorers = [retrieval_hit, contains_fact, latency_ms, ResponseLength(max_length=200)]

# %% [markdown]
# `mlflow.genai.evaluate` calls the app (`predict_fn`) on every row, with the row's inputs
# as keyword arguments, traces each call, applies the scorers, attaches their results to
# the traces as feedback, and logs the means as metrics of an **evaluation run**. With
# `model_id`, the run and its traces are linked to that version of the app. (It prints
# INFO lines about the active model and tracing. Outside the lab it also shows a progress bar
# and a button linking to the results; the lab turns those off, as `connect()` turns off the
# runs' links, and the checkpoint prints one link to both evaluations.) Each evaluation
# takes a few seconds.

# %%
def evaluate_version(name: str):
    app_config.update(versions[name])
    mlflow.set_active_model(model_id=models[name].model_id)
    with mlflow.start_run(run_name=f"evaluate_{name}"):
        return mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=scorers,
                                     model_id=models[name].model_id)


results = {"faq_assistant-v1": evaluate_version("faq_assistant-v1")}

# %%
results["faq_assistant-v2"] = evaluate_version("faq_assistant-v2")

# %% [markdown]
# ### Checkpoint: two evaluation runs, their metrics, and the traces of each version
#
# `traces` counts every trace linked to a version: the twelve of its evaluation, plus the one
# request sent after `set_active_model` above. (The INFO line about testing the first sample
# is a check `evaluate` runs with tracing off: it leaves no trace.)

# %%
rows = []
for name, result in results.items():
    metrics = client.get_run(result.run_id).data.metrics
    traces = mlflow.search_traces(locations=[experiment.experiment_id], model_id=models[name].model_id,
                                  return_type="list", flush=True)
    rows.append({"version": name, **{k: round(metrics[f"{k}/mean"], 2) for k in
                 ("retrieval_hit", "contains_fact", "response_length", "latency_ms")}, "traces": len(traces)})
comparison = pd.DataFrame(rows).set_index("version")
assert all(comparison["traces"] >= len(eval_rows)), "a version's evaluation traces are missing"
print("in the UI:", f"{lab.tracking_uri}/#/experiments/{experiment.experiment_id}/evaluation-runs")
comparison

# %% [markdown]
# ## Choosing a version
#
# The rule we decide by, set before looking: the version whose answers contain the expected
# fact most often wins, by more than one row — with twelve rows one row is 8 points, and a
# one-row lead is what chance gives (lesson 02's yardstick), so it counts as a tie. In a tie,
# retrieval hits decide, and if they tie too the version listed first (v1) stays.
# Length and latency are watched, not ranked on: `response_length` is the share of answers
# of at most 200 characters, and the latency measured inside `evaluate` is not a lone
# request's: requests run side by side, and while the evaluation run is active each
# `load_prompt` also links the prompt to it, one more server call per request. One example could have
# gone either way; twelve show only a large difference: a real evaluation set needs more.

# %% tags=["nbval-check-output"]
# A lead of one row (8 points of twelve; rounding aside) is a tie: retrieval hits decide.
tie = 1.5 / len(eval_rows)
leaders = comparison[comparison["contains_fact"] >= comparison["contains_fact"].max() - tie]
chosen = leaders.sort_values("retrieval_hit", ascending=False, kind="stable").index[0]
print("chosen:", chosen)
mlflow.set_logged_model_tags(models[chosen].model_id, {"chosen_by": "faq_eval: contains_fact (by over one row), retrieval_hit"})

# %% [markdown]
# Read the result with the same yardstick. v2 won the tie-break by one retrieval hit (12 of 12
# against 11), itself a one-row difference, and its answers run long (5 of 12 over 200
# characters) where all of v1's fit. Twelve rows cannot separate these two versions: the
# evaluation says neither is clearly better. The rule was fixed before looking and is kept —
# changing it after seeing the result is what it is there to prevent — so the tag records v2;
# a team would grow the evaluation set before switching versions.
#
# In the UI (GenAI mode), the experiment's **Evaluation runs** page lists the two runs; open one
# to see each question with its answer, its trace and every scorer's verdict, or select
# both to compare them row by row. **Agent versions** (the experiment's logged models)
# shows `faq_assistant-v1` and `-v2` with their parameters and their linked traces.
#
# ## LLM judges: when a rule cannot say
#
# "Contains the expected fact" is a rule that code can check. "Is the answer *correct*?",
# "is it *grounded* in the passages?", "is it *relevant* to the question?", "is it *safe*?"
# are judgements of meaning. MLflow's built-in `Correctness`, `RetrievalGroundedness`,
# `RelevanceToQuery`, `Safety` and `Guidelines` scorers, and judges you write with
# `mlflow.genai.judges.make_judge`, ask an LLM to decide and to say why. They need a model
# (`model="openai:/gpt-4o-mini"`, or a local one behind an OpenAI-compatible endpoint),
# cost a call per row, and are themselves imperfect: check them against a few rows judged
# by people first. This lab is offline, so we do not run them here.
#
# ## How it connects to the earlier lessons
#
# | GenAI | what it reuses |
# | --- | --- |
# | trace, in experiment `faq_assistant` | the tracking server and experiments of lesson 01 |
# | app version = logged model with params | lesson 01's logged models (`m-…`), without files |
# | evaluation run with metrics | a run, compared as lesson 02 compares runs |
# | prompt versions and `@production` | the registry's versions and aliases of lesson 04 |
# | choose on the evaluation set | lesson 10's gate: decide on held-out data, not on one example |
#
# ## Exercises
#
# ### Exercise 1
# Add a step to the app that cleans the question before retrieval: remove the blanks at
# both ends and collapse runs of blanks into one (`" ".join(question.split())`). Trace it as
# a span named `clean_question`, of type `PARSER`, inside the `ask_faq` request, with the
# attribute `removed_chars`: how many characters cleaning removed. The retriever must get
# the cleaned question. Ask the app `"  Which   port does   Prefect use? "`, find the trace
# with `mlflow.search_traces`, and put its id in `exercise_1_trace_id`.

# %% tags=["exercise"]
exercise_1_trace_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# Inside a new `ask_faq`: `with mlflow.start_span(name="clean_question",
# span_type=SpanType.PARSER) as span:` then `span.set_attribute("removed_chars", ...)`;
# then `mlflow.search_traces(locations=[...], filter_string="span.name = 'clean_question'",
# return_type="list", flush=True)`.
#
# </details>

# %% tags=["solution"]
@mlflow.trace(name="ask_faq", span_type=SpanType.CHAIN)
def ask_faq(question: str) -> str:
    with mlflow.start_span(name="clean_question", span_type=SpanType.PARSER) as span:
        cleaned = " ".join(question.split())
        span.set_inputs(question)
        span.set_outputs(cleaned)
        span.set_attribute("removed_chars", len(question) - len(cleaned))
    prompt = mlflow.genai.load_prompt(app_config["prompt_uri"])
    passages = [doc.page_content for doc in retrieve(cleaned, k=app_config["top_k"])]
    return generate(cleaned, passages, prompt.template, app_config["max_sentences"])


ask_faq("  Which   port does   Prefect use? ")
exercise_1_trace_id = mlflow.search_traces(
    locations=[experiment.experiment_id], filter_string="span.name = 'clean_question'",
    order_by=["timestamp_ms DESC"], max_results=1, return_type="list", flush=True)[0].info.trace_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_1_trace_id, "Exercise 1"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_1(exercise_1_trace_id)

# %% [markdown]
# ### Exercise 2
# Register a new version of the prompt `faq_answer` that asks for **one** sentence (keep
# both variables, `{{question}}` and `{{passages}}`), move the alias `production` to it, and
# show that the app picks it up: ask `ask_faq` any question and put the id of that
# request's trace in `exercise_2_trace_id`.

# %% tags=["exercise"]
exercise_2_trace_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `mlflow.genai.register_prompt(name="faq_answer", template=...)` returns the new version;
# `mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=...)` moves the
# alias; then `ask_faq(...)` and `mlflow.get_last_active_trace_id()`.
#
# </details>

# %% tags=["solution"]
prompt_v2 = mlflow.genai.register_prompt(
    name="faq_answer", commit_message="one sentence",
    template="Answer the question in one sentence, using only these FAQ passages:\n{{passages}}\n\n"
             "Question: {{question}}")
mlflow.genai.set_prompt_alias("faq_answer", alias="production", version=prompt_v2.version)
ask_faq("What is a trace?")
exercise_2_trace_id = mlflow.get_last_active_trace_id()

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_2_trace_id, "Exercise 2"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_2(exercise_2_trace_id)

# %% [markdown]
# ### Exercise 3
# Write a code scorer named `top_score` that returns the best retrieval score of a request
# (the highest `score` in the metadata of the RETRIEVER span's documents), evaluate any
# version of the app with it on `eval_dataset`, and put the evaluation's run id in
# `exercise_3_run_id`.

# %% tags=["exercise"]
exercise_3_run_id = ...  # your code here

# %% [markdown]
# <details><summary>Hint</summary>
#
# `@scorer` on `def top_score(trace) -> float:` reading
# `trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs`; then
# `mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=[top_score]).run_id`.
#
# </details>

# %% tags=["solution"]
@scorer
def top_score(trace) -> float:
    retrieved = trace.search_spans(span_type=SpanType.RETRIEVER)[0].outputs
    return max(doc["metadata"]["score"] for doc in retrieved)


exercise_3_run_id = mlflow.genai.evaluate(data=eval_dataset, predict_fn=ask_faq, scorers=[top_score]).run_id

# %% tags=["check-exercise"]
if lab_utils.attempted(exercise_3_run_id, "Exercise 3"):
    from lab_utils.grading import lesson_11
    lesson_11.check_exercise_3(exercise_3_run_id)

# %% [markdown]
# ## Summary
#
# - A **trace** records one request to a GenAI app; its **spans** are the steps, nested,
#   each with a type, inputs, outputs, attributes, duration and status. The UI shows them in
#   GenAI mode, in the experiment's Traces tab.
# - `@mlflow.trace` traces a function, `mlflow.start_span` a block; an exception is recorded
#   on the span where it happened. `mlflow.search_traces` finds slow (`order_by`
#   `execution_time_ms`) and failed (`trace.status = 'ERROR'`) requests.
# - `mlflow.log_expectation` records the truth for an input, `mlflow.log_feedback` a
#   judgement of an output, from a person, code or an LLM.
# - The prompt registry versions prompts and moves aliases; an app that loads
#   `prompts:/name@alias` follows the alias, and each trace records the version it used.
# - `mlflow.set_active_model` links traces to a version of the app (a logged model).
# - `mlflow.genai.evaluate` runs an app over an evaluation data set with scorers, and logs an
#   evaluation run; choose between versions on it, by a rule set before looking.
#   Code scorers and rule-based built-ins run offline; LLM judges need a model.
#
# ## Further reading
#
# - [MLflow for GenAI](https://mlflow.org/docs/latest/genai/)
# - [Tracing](https://mlflow.org/docs/latest/genai/tracing/) and
#   [manual tracing](https://mlflow.org/docs/latest/genai/tracing/app-instrumentation/manual-tracing/)
# - [Searching traces](https://mlflow.org/docs/latest/genai/tracing/search-traces/)
# - [Collecting feedback](https://mlflow.org/docs/latest/genai/tracing/collect-user-feedback/)
# - [Prompt registry](https://mlflow.org/docs/latest/genai/prompt-registry/)
# - [Version tracking of GenAI apps](https://mlflow.org/docs/latest/genai/version-tracking/)
# - [Evaluation and scorers](https://mlflow.org/docs/latest/genai/eval-monitor/)
#
# ## Check your understanding
#
# 1. What is the difference between a trace and a span, and which span is the root of our
#    app's traces?
# 2. The empty question failed. Which spans have status ERROR, and why is knowing the span
#    more useful than knowing the request failed?
# 3. What is the difference between an expectation and feedback on a trace?
# 4. Why does the app load `prompts:/faq_answer@production` rather than version 1, and how
#    can you tell afterwards which version answered a given request?
# 5. Why choose between the two versions on the evaluation set rather than on the
#    question you tried by hand? What would an LLM judge add, and what would it cost?

# %% [markdown] tags=["solution"]
# 1. A trace is one whole request; a span is one step of it (retrieve, build the prompt,
#    answer). Spans nest; the root span is `ask_faq`, the request itself.
# 2. `retrieve`, where the exception was raised, and `ask_faq`, which it went through. The
#    failing span says which step to fix (and its inputs show why), where "the request
#    failed" says only that something did.
# 3. An expectation is the truth for an input (what a right answer contains), written
#    before or without looking at the output; feedback judges an output that the app gave
#    (a thumbs-up, a scorer's verdict), with a value, a source and a rationale.
# 4. Moving the alias changes the prompt the app uses without changing or redeploying its
#    code (and moving it back undoes the change). Each trace is linked to the prompt version
#    loaded during the request: its `mlflow.linkedPrompts` tag, shown in the UI.
# 5. One question can go either way by chance; a fixed set of questions with expectations,
#    scored the same way for both versions, measures how often each is right. An LLM judge
#    can judge meaning (correctness, groundedness) that a rule cannot, at the cost of a
#    model call per row, and with errors of its own to check.

# %% [markdown]
# Previous: **10 · Capstone, part 2**. This is the last lesson of the course.
