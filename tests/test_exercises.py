"""`attempted()`, the gate of every exercise check: a note while the answer is `...`, the check once it is not."""

from __future__ import annotations

import pytest

from lab_utils.exercises import ExerciseNotAttempted, attempted


def test_a_placeholder_is_not_attempted_and_gets_one_note(monkeypatch, capsys):
    monkeypatch.delenv("LAB_REQUIRE_EXERCISES", raising=False)
    assert attempted(..., "Exercise 1") is False
    out = capsys.readouterr().out
    assert out.count("not attempted yet") == 1 and "Exercise 1" in out


@pytest.mark.parametrize("answer", [0, None, "", [], "abc123", 3.5])
def test_any_answer_but_the_placeholder_is_attempted(monkeypatch, capsys, answer):
    monkeypatch.delenv("LAB_REQUIRE_EXERCISES", raising=False)
    assert attempted(answer, "Exercise 1") is True
    assert capsys.readouterr().out == ""


def test_ci_requires_every_exercise_answered(monkeypatch):
    monkeypatch.setenv("LAB_REQUIRE_EXERCISES", "1")
    with pytest.raises(ExerciseNotAttempted, match="Exercise 2: the answer is still `...`"):
        attempted(..., "Exercise 2")
    assert attempted(42, "Exercise 2") is True
