"""Lesson 09's exercise: the version `@champion` points to, loaded by its number.

The grader asks the registry where the alias points, and judges the loaded model by what it
does: its prices for a few houses must be that version's. Any loading route counts
(`mlflow.pyfunc.load_model`, `mlflow.sklearn.load_model`, a `runs:/` or `models:/m-…` URI of
the same model): the state is judged, not the object's type.
"""

from __future__ import annotations

import re

import numpy as np

from ..i18n import _
from . import describe_type, fail, passed

_BY_NUMBER = re.compile(r"^models:/(?P<name>[^/@]+)/(?P<version>\d+)/?$")


def check_exercise(champion_uri: object, fixed_model: object, model_name: str = "previsao_precos",
                   alias: str = "champion") -> None:
    """`champion_uri` is `models:/<model_name>/<n>` with n the version `@champion` points to; `fixed_model`
    is that version's model, loaded in any way.

    Accepts: a trailing "/" or surrounding blanks in the URI; a pyfunc model, a scikit-learn
    estimator (`mlflow.sklearn.load_model`), any object with `.predict` that prices like the version.
    Refuses: not a string; a URI by alias (`@champion`) or by stage; another model's name; another
    version's number; `fixed_model` left as `...`, or a model that prices differently from that version.
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    import lab_utils

    if not isinstance(champion_uri, str):
        fail(_("champion_uri should be a model URI such as \"models:/{name}/3\", got {got}")
             .format(name=model_name, got=describe_type(champion_uri)))
    uri = champion_uri.strip()
    if "@" in uri:
        fail(_("{uri} loads by the alias: use the version's number, models:/{name}/<version>")
             .format(uri=uri, name=model_name))
    match = _BY_NUMBER.match(uri)
    if not match:
        fail(_("{uri} is not a URI by version number: write models:/{name}/<version>").format(uri=uri, name=model_name))
    if match["name"] != model_name:
        fail(_("{uri} names the model {got!r}: the task asks for {name!r}").format(uri=uri, got=match["name"],
                                                                                   name=model_name))
    try:
        expected = MlflowClient().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        fail(_("{name} has no alias @{alias}: lesson 04 sets it; run lesson 04 first").format(name=model_name,
                                                                                                alias=alias))
    if str(int(match["version"])) != expected.version:
        fail(_("{uri} is version {got}; @{alias} points to version {version}: ask the registry "
               "(get_model_version_by_alias)").format(uri=uri, got=int(match["version"]), alias=alias,
                                                      version=expected.version))
    if fixed_model is Ellipsis or fixed_model is None:
        fail(_("load the model with champion_uri into fixed_model too (mlflow.pyfunc.load_model(champion_uri))"))
    if not callable(getattr(fixed_model, "predict", None)):
        fail(_("fixed_model should be the loaded model (mlflow.pyfunc.load_model(champion_uri)), got {got}")
             .format(got=describe_type(fixed_model)))
    houses = lab_utils.split_house_prices()[1].head(5)
    want = np.ravel(mlflow.pyfunc.load_model(f"models:/{model_name}/{expected.version}").predict(houses))
    try:
        got = np.ravel(np.asarray(fixed_model.predict(houses), dtype=float))
    except Exception as error:  # noqa: BLE001 - whatever the learner's object raises, say it in one line
        fail(_("fixed_model.predict failed on five houses ({error}): load it with mlflow.pyfunc.load_model(champion_uri)")
             .format(error=type(error).__name__))
    if got.shape != want.shape or not np.allclose(got, want, rtol=1e-6):
        fail(_("fixed_model prices houses differently from version {version}: load it from champion_uri")
             .format(version=expected.version))
    passed(_("Exercise: @{alias} is version {version}, loaded by its number").format(alias=alias,
                                                                                    version=expected.version))
