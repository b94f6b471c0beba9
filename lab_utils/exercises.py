"""Exercises: a learner's answer starts as `...`; its check runs once they replace it."""

from __future__ import annotations

import os

from .i18n import _


class ExerciseNotAttempted(AssertionError):
    """Raised instead of a gentle note when LAB_REQUIRE_EXERCISES=1 (the solutions run in CI)."""


def attempted(answer: object, exercise: str) -> bool:
    """False (with a note) while `answer` is still the `...` placeholder; True once it is filled in."""
    if answer is not Ellipsis:
        return True
    if os.environ.get("LAB_REQUIRE_EXERCISES") == "1":
        raise ExerciseNotAttempted(_("{exercise}: the answer is still `...`").format(exercise=exercise))
    print(not_attempted_note(exercise))
    return False


def not_attempted_note(exercise: str) -> str:
    return _("· {exercise} not attempted yet: replace the `...` above with your code and re-run. "
             "Worked solutions are in the solutions/ folder.").format(exercise=exercise)
