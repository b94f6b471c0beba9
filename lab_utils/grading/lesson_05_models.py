"""Lesson 05 part 1's exercise: the champion's estimator logged again with a float `bedrooms`."""

from __future__ import annotations

import numpy as np

from ..i18n import _
from . import describe_type, fail, passed


def model_uri_of(value: object, what: str) -> str:
    """The model URI behind what a learner hands over for a logged model.

    Accepts a `ModelInfo` (what `log_model` returns), a `LoggedModel`, a logged model id
    (`m-…`), a `models:/…` or `runs:/…` URI and a registered `ModelVersion`. Refuses `None`, a `Run`, a local folder, a
    loaded model, with one line that says what to hand over.
    """
    name = type(value).__name__
    if name == "ModelInfo" and isinstance(getattr(value, "model_uri", None), str):
        return value.model_uri
    if name == "LoggedModel" and getattr(value, "model_id", None):
        return f"models:/{value.model_id}"
    if name == "ModelVersion" and getattr(value, "name", None) and getattr(value, "version", None):
        return f"models:/{value.name}/{value.version}"  # registered: the version names its logged model
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("m-") and "/" not in text:
            return f"models:/{text}"
        if text.startswith(("models:/", "runs:/")):
            return text
    if name in ("PyFuncModel", "Pipeline") or hasattr(value, "predict"):
        fail(_("expected {what}, got {got}, a model loaded in memory: hand over the ModelInfo that "
               "log_model returned (it names the model on the server)").format(what=what, got=describe_type(value)))
    fail(_("expected {what} (the ModelInfo that log_model returns, or a models:/… URI), got {got}")
         .format(what=what, got=describe_type(value)))


def _input_columns(signature) -> dict[str, str] | None:
    """`{column: type}` of a signature's inputs, or None when it declares no named columns."""
    if signature is None or signature.inputs is None or not signature.inputs.has_input_names():
        return None
    return {column["name"]: column["type"] for column in signature.inputs.to_dict()}


def check_exercise_1(float_info: object, model_name: str, champion_version: object, X_test) -> None:
    """Exercise 1: a logged model whose signature declares `bedrooms` as `double`, the other
    columns as the champion declares them, and that prices houses as the champion does.

    Reads the `MLmodel` file stored on the server (`mlflow.models.get_model_info`), not the
    object in the kernel, and prices float rows (including a fractional bedroom count, which
    only a float column takes) with the stored model.
    Accepts: the signature inferred from a float example, `infer_signature`, a hand-built
    `ModelSignature`/`Schema`, `log_model` of any flavor whose pyfunc prices like the champion,
    the ModelInfo, a LoggedModel, an `m-…` id, a model URI or the `ModelVersion` it was
    registered as; the types compared by column name.
    Refuses: not a logged model (None, a Run, a loaded model); no signature; `bedrooms` still
    `long` (or a 32-bit `float`, which refuses float64 rows); other columns changed (every column
    `double`); a signature in another column order than the champion's (the estimator then
    receives its columns in that order and cannot predict: the message says so); a model that
    is not the champion's; the champion's own logged model (its signature
    changed in place with `set_signature`).
    """
    import mlflow
    from mlflow.exceptions import MlflowException

    uri = model_uri_of(float_info, _("a logged model"))
    try:
        stored = mlflow.models.get_model_info(uri)
    except (MlflowException, OSError) as error:
        fail(_("no model at {uri} on the server ({error}): hand over the ModelInfo of a model you logged")
             .format(uri=uri, error=str(error).splitlines()[0][:120]))
    champion_uri = f"models:/{model_name}/{champion_version}"
    champion = mlflow.models.get_model_info(champion_uri)
    if stored.model_id and stored.model_id == champion.model_id:
        # Its signature changed in place (mlflow.models.set_signature) changes the served champion itself.
        fail(_("that is the champion's own logged model ({model_id}): log its estimator again as a new "
               "model, and leave the champion as it is").format(model_id=stored.model_id))
    expected = _input_columns(champion.signature) or {}
    declared = _input_columns(stored.signature)
    if declared is None:
        fail(_("the model stored at {uri} has no signature with named columns: log it with an input_example "
               "(or a signature) whose bedrooms column is a float").format(uri=uri))
    wanted = {**expected, "bedrooms": "double"}
    if declared.get("bedrooms") != "double":
        fail(_("the stored signature declares bedrooms as {got!r}: it should be 'double' "
               "(give log_model an example whose bedrooms column is float64)").format(got=declared.get("bedrooms")))
    wrong = {name: declared.get(name) for name in sorted(wanted.keys() | declared.keys())
             if declared.get(name) != wanted.get(name)}
    if wrong:
        fail(_("the other columns should stay as the champion declares them ({want}); yours declares {wrong}")
             .format(want={name: wanted[name] for name in wrong if name in wanted}, wrong=wrong))
    # Float rows, one of them with a fractional bedroom count: the champion's long column would refuse them.
    rows = X_test.head(5).astype({"bedrooms": "float64"})
    rows.iloc[0, rows.columns.get_loc("bedrooms")] = 2.5
    try:
        prices = np.asarray(mlflow.pyfunc.load_model(uri).predict(rows), dtype=float).ravel()
    except Exception as error:  # noqa: BLE001 - whatever the model raises, the learner reads one line
        if expected and list(declared) != list(expected):
            # The signature's order is the order the estimator receives: another order breaks it.
            fail(_("your model cannot price houses: its signature lists the columns in another order than "
                   "the champion's, and a model receives them in its signature's order; keep {order}")
                 .format(order=list(expected)))
        fail(_("your model cannot price houses with float bedrooms: {error}")
             .format(error=(str(error).splitlines() or [type(error).__name__])[0][:160]))
    reference = np.asarray(mlflow.sklearn.load_model(champion_uri).predict(rows), dtype=float).ravel()
    if prices.shape != reference.shape or not np.allclose(prices, reference, rtol=1e-6):
        fail(_("your model does not price houses like the champion (version {version}): log the champion's "
               "estimator, not a new one").format(version=champion_version))
    passed(_("Exercise 1: the stored model takes float bedrooms and prices a house with 2.5 bedrooms at "
             "{price:,.0f} CAD, as the champion does").format(price=float(prices[0])))
