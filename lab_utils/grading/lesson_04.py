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

    Accepts the version as "3", 3 or a numpy integer, the word in any case or in Portuguese
    (campeão, as the pt-BR edition asks), the tag's key in any case, the changes made through the
    client or the REST API. Refuses: not a version number (a `ModelVersion`, `None`), a version that is not
    `@champion`, a description without the word, an empty or missing `reviewed_by`.
    """
    version = require_version(described_version)
    current = _champion(model_name)
    if version != str(current.version):
        fail(_("@champion is version {current}, not {version}: read it with client.get_model_version_by_alias")
             .format(current=current.version, version=version))
    if not any(word in (current.description or "").casefold() for word in ("champion", "campeão", "campeao")):
        fail(_("the description of version {version} on the server lacks the word champion: "
               "client.update_model_version(..., description=...)").format(version=current.version))
    # The tag's key compared without case ("Reviewed_By" is the same tag to a reader).
    reviewer = next((str(value).strip() for key, value in current.tags.items()
                     if key.strip().casefold() == "reviewed_by" and str(value).strip()), "")
    if not reviewer:
        fail(_("version {version} has no reviewed_by tag with your name: client.set_model_version_tag")
             .format(version=current.version))
    passed(_("Exercise 1: version {version} described and reviewed by {reviewer}").format(version=current.version,
                                                                                        reviewer=reviewer))


def check_exercise_2(check_run_id: object, model_name: str, X_test) -> None:
    """Exercise 2: run `champion_check` with tag `model_version` and `predictions.json` of the champion's prices.

    Accepts the tag as the version number ("3"), the predictions as a list of numbers (logged with
    `log_dict`, or a JSON file via `log_artifact`; rounded to whole CAD or not), the model loaded
    in any flavor (pyfunc or `mlflow.sklearn.load_model`), the tag's key in any case, and a check
    re-run after the alias moved on to a version registered later, when the tagged version was the
    champion of that time (the same model as today's champion, or tagged `replaced_by` a later
    version, as the lesson's gate does). Refuses: not a run id, another name, a tag that is not
    the champion's version (a version loaded by number or by stage, even after a later
    promotion), prices that are not that version's prices for `X_test.head()`, no
    `predictions.json`.
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    run = get_run(check_run_id)
    require_run_name(run, "champion_check")
    tagged = next((value for key, value in run.data.tags.items() if key.strip().casefold() == "model_version"), None)
    if tagged is None:
        fail(_("the run has no tag model_version: mlflow.set_tag(\"model_version\", …) inside the run"))
    tagged = str(tagged).strip()
    current = _champion(model_name)
    if tagged != str(current.version):
        try:
            tagged_version = _client().get_model_version(model_name, tagged)
        except MlflowException:
            tagged_version = None
        # The alias may have moved on since (a newer version registered after this run). Accept the
        # earlier answer only when the tagged version was the champion then: the same model as today's
        # (a re-run of lesson 04 registers the same prices again), or replaced later by the gate
        # (its `replaced_by` tag names a version registered after this run). A version loaded by
        # number or stage (`models:/…/Production`) that never held the alias stays refused.
        moved_later = tagged_version is not None and int(current.creation_timestamp) > int(run.info.start_time)
        if moved_later:
            successor = str(tagged_version.tags.get("replaced_by", "")).strip()
            try:
                replaced_later = successor.isdigit() and int(
                    _client().get_model_version(model_name, successor).creation_timestamp) > int(run.info.start_time)
            except MlflowException:
                replaced_later = False
            same_model = np.allclose(
                np.asarray(mlflow.pyfunc.load_model(f"models:/{model_name}/{tagged}").predict(X_test.head()), float),
                np.asarray(mlflow.pyfunc.load_model(f"models:/{model_name}/{current.version}").predict(X_test.head()),
                           float), rtol=1e-6, atol=1.0)
            moved_later = replaced_later or same_model
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
    # Prices rounded to whole CAD are the same prices; another version's differ by far more.
    if recorded.shape != expected.shape or not np.allclose(recorded, expected, rtol=1e-6, atol=1.0):
        fail(_("predictions.json does not hold version {version}'s prices for the first five test houses")
             .format(version=tagged))
    passed(_("Exercise 2: the run recorded version {version}'s prices for five test houses").format(version=tagged))
