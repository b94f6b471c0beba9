"""Lesson 11's question-answering assistant: the FAQ, its TF-IDF search, and the two answer steps.

The lesson traces, versions and evaluates this app with MLflow; the MLflow calls it teaches
(`@mlflow.trace`, `mlflow.start_span`, the prompt registry, `mlflow.genai.evaluate`) stay in the
lesson's cells. What is here is the app's plain machinery, with no MLflow in it:

- `load_faq()`: the 40 question/answer passages of `data/lab_faq.csv` (see `data/README.md`);
- `FaqIndex`: TF-IDF retrieval over them (scikit-learn);
- `extract_answer()`: the default answer step, extractive — the sentence of the retrieved
  passages that shares the most weighted words with the question (deterministic, offline);
- `llm_settings()` / `chat_completion()`: the optional answer step, a real LLM behind an
  OpenAI-compatible endpoint (`LAB_LLM_BASE_URL`, optional `LAB_LLM_MODEL` and
  `LAB_LLM_API_KEY`), called over plain HTTP with httpx.

One setting of MLflow's, on import (`quiet_evaluation()`): the switches `lab_utils.connect()` sets
for runs also quiet `mlflow.genai.evaluate` — no "View evaluation results" button per evaluation
(MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT) and no progress bar (TQDM_DISABLE, which tqdm's notebook
bar ignores). Elsewhere, with neither set, evaluate shows both.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pandas as pd

from ..config import REPO_ROOT

FAQ_CSV = REPO_ROOT / "data" / "lab_faq.csv"
DEFAULT_LLM_MODEL = "llama3.2"
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def load_faq() -> pd.DataFrame:
    """The FAQ passages: columns faq_id, topic, question, answer (one row per passage)."""
    faq = pd.read_csv(FAQ_CSV, dtype=str)
    missing = {"faq_id", "topic", "question", "answer"} - set(faq.columns)
    if missing:
        raise ValueError(f"{FAQ_CSV.name} lacks the columns {sorted(missing)}")
    return faq


class FaqIndex:
    """TF-IDF search over the FAQ: each passage is its question and its answer, as one text."""

    def __init__(self, faq: pd.DataFrame, ngram_range: tuple[int, int] = (1, 2)):
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.faq = faq.reset_index(drop=True)
        self.vectorizer = TfidfVectorizer(stop_words="english", ngram_range=ngram_range, sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(self.faq["question"] + " " + self.faq["answer"])

    def search(self, question: str, k: int = 3) -> list[dict]:
        """The `k` passages most similar to `question`, best first: faq_id, text, score (cosine)."""
        scores = (self.matrix @ self.vectorizer.transform([question]).T).toarray().ravel()
        best = scores.argsort()[::-1][:k]
        return [{"faq_id": self.faq.at[i, "faq_id"], "text": self.faq.at[i, "answer"],
                 "score": round(float(scores[i]), 4)} for i in best]

    def sentence_scores(self, question: str, sentences: list[str]) -> list[float]:
        """How much each sentence shares the question's weighted words (cosine of TF-IDF vectors)."""
        if not sentences:
            return []
        vectors = self.vectorizer.transform(sentences)
        return [float(s) for s in (vectors @ self.vectorizer.transform([question]).T).toarray().ravel()]


def split_sentences(text: str) -> list[str]:
    """A passage's sentences (a sentence ends with . ! or ? followed by a capital or a digit)."""
    return [s.strip() for s in _SENTENCE_END.split(text.strip()) if s.strip()]


def extract_answer(index: FaqIndex, question: str, passages: list[str], max_sentences: int = 1) -> str:
    """The extractive answer: the `max_sentences` best-supported sentences of the passages, in
    the order they appear. Ties go to the earlier passage (retrieval ranks them)."""
    sentences = [s for passage in passages for s in split_sentences(passage)]
    if not sentences:
        return "I found nothing about that in the FAQ."
    scores = index.sentence_scores(question, sentences)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:max_sentences]
    return " ".join(sentences[i] for i in sorted(ranked))


@dataclass(frozen=True)
class LLMSettings:
    base_url: str  # e.g. http://localhost:11434/v1 (Ollama) or http://localhost:8000/v1 (vLLM)
    model: str
    api_key: str | None


def llm_settings() -> LLMSettings | None:
    """The LLM endpoint the learner set (`LAB_LLM_BASE_URL`, `LAB_LLM_MODEL`, `LAB_LLM_API_KEY`),
    or None: then the app answers extractively."""
    base_url = os.environ.get("LAB_LLM_BASE_URL", "").strip().rstrip("/")
    if not base_url:
        return None
    return LLMSettings(base_url, os.environ.get("LAB_LLM_MODEL", "").strip() or DEFAULT_LLM_MODEL,
                       os.environ.get("LAB_LLM_API_KEY") or None)


def chat_completion(settings: LLMSettings, messages: list[dict], timeout: float = 60.0) -> dict:
    """POST `messages` to `{base_url}/chat/completions` (the OpenAI chat API) and return the JSON
    reply: `reply["choices"][0]["message"]["content"]` is the answer, `reply.get("usage")` the tokens."""
    import httpx

    headers = {"Authorization": f"Bearer {settings.api_key}"} if settings.api_key else {}
    response = httpx.post(f"{settings.base_url}/chat/completions", headers=headers, timeout=timeout,
                          json={"model": settings.model, "messages": messages, "temperature": 0})
    response.raise_for_status()
    return response.json()


def _on(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes")


def quiet_evaluation() -> None:
    """Make `mlflow.genai.evaluate` follow the lab's switches for runs (see the module's docstring)."""
    try:
        from mlflow.genai.evaluation import base, harness
    except ImportError:  # an MLflow without GenAI evaluation: nothing to quiet
        return
    if _on("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"):
        base.display_evaluation_output = lambda run_id: None
    if _on("TQDM_DISABLE"):
        harness.tqdm = None  # MLflow's harness shows no bar without tqdm


quiet_evaluation()
