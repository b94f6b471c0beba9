"""The lab's own error type: every error it raises on purpose says what to do."""

from __future__ import annotations


class LabError(RuntimeError):
    """Something about the lab is wrong; the message names the fix.

    The `lab` command prints these as one line; anything else is unexpected and keeps
    its traceback.
    """
