"""Lesson 04's exercises: document the champion, and use it by its alias."""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import _client, fail, get_run, passed, require_run_name, require_version


def _champion(model_name: str):
    from mlflow.exceptions import MlflowException

    try:
        return _client().get_model_version_by_alias(model_name, "champion")
    except MlflowException:
        fail(_("{name} has no @champion alias: re-run the lesson's gate cells").format(name=model_name))


def check_exercise_1(described_version: object, model_name: str) -> None:
    """Exercise 1: the `@champion` version of `model_name`, described with the word champion, tag `reviewed_by`.

    Accepts the version as "3" or 3, the word in any case, the tag set through the client or the
    fluent API. Refuses: not a version number (a `ModelVersion`, `None`), a version that is not
    `@champion`, a description without the word, an empty or missing `reviewed_by`.
    """
    version = require_version(described_version)
    current = _champion(model_name)
    if version != str(current.version):
        fail(_("@champion is version {current}, not {version}: read it with client.get_model_version_by_alias")
             .format(current=current.version, version=version))
    if "champion" not in (current.description or "").casefold():
        fail(_("the description of version {version} on the server lacks the word champion: "
               "client.update_model_version(..., description=...)").format(version=current.version))
    reviewer = (current.tags.get("reviewed_by") or "").strip()
    if not reviewer:
        fail(_("version {version} has no reviewed_by tag with your name: client.set_model_version_tag")
             .format(version=current.version))
    passed(_("Exercise 1: version {version} described and reviewed by {reviewer}").format(version=current.version,
                                                                                        reviewer=reviewer))


def check_exercise_2(check_run_id: object, model_name: str, X_test) -> None:
    """Exercise 2: run `champion_check` with tag `model_version` and `predictions.json` of the champion's prices.

    Accepts the tag as the version number ("3"), the predictions as a list of numbers (logged with
    `log_dict`, or a JSON file via `log_artifact`), and a check re-run after the alias moved on to a
    version registered later (the tag then names the champion of that time). Refuses: not a run
    id, another name, a tag that is not the champion's version, prices that are not that
    version's prices for `X_test.head()`, no `predictions.json`.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    run = get_run(check_run_id)
    require_run_name(run, "champion_check")
    tagged = run.data.tags.get("model_version")
    if tagged is None:
        fail(_("the run has no tag model_version: mlflow.set_tag(\"model_version\", …) inside the run"))
    tagged = str(tagged).strip()
    current = _champion(model_name)
    if tagged != str(current.version):
        try:
            tagged_version = _client().get_model_version(model_name, tagged)
        except MlflowException:
            tagged_version = None
        # The alias may have moved on since (a newer version registered after this run): then accept.
        moved_later = tagged_version is not None and int(current.creation_timestamp) > int(run.info.start_time)
        if not moved_later:
            fail(_("tag model_version is {tagged!r}; @champion is version {current}: "
                   "read it with client.get_model_version_by_alias").format(tagged=tagged, current=current.version))
    try:
        recorded = mlflow.artifacts.load_dict(f"{run.info.artifact_uri}/predictions.json")["predictions"]
        recorded = np.asarray(recorded, dtype=float).ravel()
    except Exception:
        fail(_("no predictions.json with a 'predictions' list of numbers in the run: "
               "mlflow.log_dict({\"predictions\": [...]}, \"predictions.json\")"))
    expected = np.asarray(mlflow.pyfunc.load_model(f"models:/{model_name}/{tagged}").predict(X_test.head()),
                          dtype=float).ravel()
    if recorded.shape != expected.shape or not np.allclose(recorded, expected):
        fail(_("predictions.json does not hold version {version}'s prices for the first five test houses")
             .format(version=tagged))
    passed(_("Exercise 2: the run recorded version {version}'s prices for five test houses").format(version=tagged))
