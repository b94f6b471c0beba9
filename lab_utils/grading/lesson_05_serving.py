"""Lesson 05 part 2's exercises: a model server's answers, judged by what was served.

Any server counts (`lab_utils.ModelServer`, `mlflow models serve` started by hand in a terminal
or a cell, a container): Exercises 1-2 read the request the learner sent and the answer the
server gave (the `requests.Response`, or an `httpx.Response`), parsed as JSON; Exercise 3 asks
the server on the port the learner names itself. Each compares the answer with the registry's
model and, when it differs, says which version's answer it is. No log file, process or helper
decides.
"""

from __future__ import annotations

import json
from urllib.parse import urlparse

import numpy as np
import pandas as pd

from ..i18n import _
from . import as_number, describe_type, fail, passed, require_version

BODY_FORMATS = ("dataframe_split", "dataframe_records", "inputs", "instances")


def _is_response(value: object) -> bool:
    """A `requests.Response` or an `httpx.Response` (anything shaped like one) that has its request."""
    if type(value).__name__ != "Response" or not all(hasattr(value, a) for a in ("status_code", "json", "url")):
        return False
    try:
        return value.request is not None
    except RuntimeError:  # an httpx.Response built by hand has no request
        return False


def require_response(value: object, what: str) -> object:
    """A `requests.Response` (or `httpx.Response`) of a POST to a model server's `/invocations`, answered 200."""
    if not _is_response(value):
        hint = ""
        if isinstance(value, dict | list):
            hint = _(": that looks like response.json(); hand over the response itself")
        fail(_("expected {what} (the requests.Response that requests.post returned), got {got}{hint}")
             .format(what=what, got=describe_type(value), hint=hint))
    sent = value.request
    path = urlparse(str(value.url)).path
    if sent.method != "POST" or path.rstrip("/") != "/invocations":
        fail(_("that response answers {method} {path}: POST to the server's /invocations")
             .format(method=getattr(sent, "method", "?"), path=path or "/"))
    if value.status_code != 200:
        try:
            reason = str(value.json().get("message", ""))[-160:]
        except (ValueError, AttributeError):
            reason = value.text[:160]
        fail(_("the server answered HTTP {status}: {reason}").format(status=value.status_code,
                                                                      reason=" ".join(reason.split())))
    return value


def sent_body(response) -> dict:
    """The JSON body of the request behind `response`, parsed (key order and spacing do not matter)."""
    request = response.request
    body = request.body if hasattr(request, "body") else getattr(request, "content", None)  # requests / httpx
    try:
        parsed = json.loads(body.decode() if isinstance(body, bytes) else body or "")
    except (ValueError, UnicodeDecodeError, AttributeError, TypeError):
        fail(_("the request's body is not JSON: send it with requests.post(url, json={...})"))
    if not isinstance(parsed, dict):
        fail(_("the request's body should be a JSON object with one of the keys {formats}")
             .format(formats=", ".join(BODY_FORMATS)))
    return parsed


def body_rows(body: dict, key: str) -> pd.DataFrame | None:
    """The rows that `body[key]` holds, as a DataFrame (None when they cannot be read)."""
    payload = body.get(key)
    try:
        if key == "dataframe_split" and isinstance(payload, dict):
            return pd.DataFrame(payload.get("data"), columns=payload.get("columns"))
        if isinstance(payload, list):
            return pd.DataFrame(payload)
        if isinstance(payload, dict):
            return pd.DataFrame(payload)
    except (ValueError, TypeError):
        return None
    return None


def _same_value(got: object, want: object) -> bool:
    if as_number(want) is not None and not isinstance(want, str):
        return as_number(got) is not None and abs(as_number(got) - as_number(want)) <= 1e-9 * max(1, abs(as_number(want)))
    return str(got) == str(want)


def same_rows(got: pd.DataFrame | None, want: pd.DataFrame) -> bool:
    """Same columns (any order) and the same values row by row (3 and 3.0 are the same number)."""
    if got is None or set(got.columns) != set(want.columns) or len(got) != len(want):
        return False
    want = want.reset_index(drop=True)
    got = got.reset_index(drop=True)
    return all(_same_value(got.at[i, column], want.at[i, column]) for i in range(len(want)) for column in want.columns)


def answered_predictions(response) -> list[float]:
    """The `predictions` of the server's JSON answer, as floats."""
    try:
        answer = response.json()
    except ValueError:
        fail(_("the server's answer is not JSON: is that URL a model server's /invocations?"))
    predictions = answer.get("predictions") if isinstance(answer, dict) else answer
    if isinstance(predictions, dict):  # a model with named outputs
        predictions = next(iter(predictions.values()), None)
    values = [as_number(p[0] if isinstance(p, list) and p else p) for p in predictions or []]
    if not values or None in values:
        fail(_("the server's answer holds no predictions: {answer}").format(answer=str(answer)[:120]))
    return values


def _close(got, want) -> bool:
    got, want = np.asarray(got, dtype=float).ravel(), np.asarray(want, dtype=float).ravel()
    return got.shape == want.shape and bool(np.allclose(got, want, rtol=1e-6, atol=1e-6))


def _versions_answering(model_name: str, rows: pd.DataFrame, answers, skip: str | None = None) -> list[str]:
    """The versions of `model_name` (but `skip`) that predict `answers` for `rows`: which model was served."""
    import mlflow
    from mlflow import MlflowClient

    found = []
    for mv in sorted(MlflowClient().search_model_versions(f"name = '{model_name}'"), key=lambda v: int(v.version)):
        if mv.version == skip:
            continue
        try:
            theirs = mlflow.pyfunc.load_model(f"models:/{model_name}/{mv.version}").predict(rows)
        except Exception:  # noqa: BLE001 - a version that cannot price these rows is not the one served
            continue
        if _close(answers, theirs):
            found.append(mv.version)
    return found


def _versions_predicting(model_name: str, rows: pd.DataFrame, price: float, skip: str) -> list[str]:
    """The other versions of `model_name` whose prediction for the first row is `price`."""
    return _versions_answering(model_name, rows.head(1), [price], skip=skip)


def check_exercise_1(rest_response: object, X_test: pd.DataFrame, model_name: str = "previsao_precos",
                     version: object = 1) -> None:
    """Exercise 1: a `dataframe_records` POST of `X_test.head(1)` answered by a server of version 1.

    Judges the request sent (its JSON parsed: key order, spacing, `json=` or a raw `data=` body
    do not matter; 3 and 3.0 are the same number) and the server's answer compared with version 1
    in the registry (the champion, another version, predicts another price for that house).
    Accepts any server: `lab_utils.ModelServer`, `mlflow models serve` by hand, any port.
    Refuses: not a Response (None, `response.json()`), a GET or another path, an HTTP error, another
    body format or other rows, an answer that is not version 1's (says which version's it is).
    """
    import mlflow

    version = require_version(version)
    response = require_response(rest_response, _("the server's response"))
    body = sent_body(response)
    if "dataframe_records" not in body:
        fail(_("the request's body has {keys}: the task asks for a dataframe_records body "
               "(DataFrame.to_dict(orient=\"records\"))").format(keys=sorted(body)))
    wanted = X_test.head(1)
    if not same_rows(body_rows(body, "dataframe_records"), wanted):
        fail(_("the dataframe_records you sent are not the row of X_test.head(1)"))
    price = answered_predictions(response)[0]
    expected = float(np.ravel(mlflow.pyfunc.load_model(f"models:/{model_name}/{version}").predict(wanted))[0])
    if abs(price - expected) > 1e-6 * max(1.0, abs(expected)):
        others = _versions_predicting(model_name, wanted, price, skip=version)
        fail((_("the server answered {price:,.0f}, the price of version {others}: serve models:/{name}/{version}")
              if others else
              _("the server answered {price:,.0f}, not version {version}'s price: serve models:/{name}/{version}"))
             .format(price=price, others=", ".join(others), name=model_name, version=version))
    passed(_("Exercise 1: the model server at {address} answered {price:,.0f}, version {version}'s price")
           .format(address=urlparse(str(response.url)).netloc, price=price, version=version))


def check_exercise_2(listing_response: object, listing: pd.DataFrame, custom_version: object,
                     model_name: str = "previsao_precos_anuncios", alias: str = "champion") -> None:
    """Exercise 2: `@champion` of the custom model is `custom_version`, and a server of it priced `listing`.

    Reads the alias from the registry and compares the server's answer with the aliased version's
    prediction. Accepts any server and any body format (`dataframe_split`, `dataframe_records`,
    `inputs`), columns in any order. Refuses: not a Response, no alias or the alias on another
    version, another row than the listing, an HTTP error (e.g. the listing sent to the clean-rows
    champion), an answer that is not the aliased model's.
    """
    import mlflow
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    if type(custom_version).__name__ == "ModelVersion":
        custom_version = custom_version.version
    custom_version = require_version(custom_version)
    if not _is_response(listing_response):
        require_response(listing_response, _("the server's response"))  # says what was handed over
    # The alias first: an alias on a wrong version (say, the clean-rows model registered under this
    # name) is what to fix, before the HTTP 400 its server gives the listing.
    try:
        aliased = MlflowClient().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        fail(_("{name} has no alias @{alias}: client.set_registered_model_alias({name!r}, {alias!r}, {version!r})")
             .format(name=model_name, alias=alias, version=custom_version))
    if aliased.version != custom_version:
        fail(_("@{alias} is version {got} of {name}, not version {version}, the one part 1 registered")
             .format(alias=alias, got=aliased.version, name=model_name, version=custom_version))
    response = require_response(listing_response, _("the server's response"))
    body = sent_body(response)
    keys = [key for key in BODY_FORMATS if key in body]
    if not keys:
        fail(_("the request's body has {keys}: send the listing as {formats}")
             .format(keys=sorted(body), formats=", ".join(BODY_FORMATS[:3])))
    if not same_rows(body_rows(body, keys[0]), listing):
        fail(_("the rows you sent are not the listing: send the listing DataFrame as it is"))
    price = answered_predictions(response)[0]
    expected = float(np.ravel(mlflow.pyfunc.load_model(f"models:/{model_name}@{alias}").predict(listing))[0])
    if abs(price - expected) > 1e-6 * max(1.0, abs(expected)):
        fail(_("the server answered {price:,.0f}, not the price of models:/{name}@{alias} ({expected:,.0f}): "
               "serve that model").format(price=price, name=model_name, alias=alias, expected=expected))
    passed(_("Exercise 2: the model server priced the listing at {price:,.0f} CAD, as {name}@{alias} does")
           .format(price=price, name=model_name, alias=alias))


def server_url(value: object) -> str:
    """The base URL of the model server a learner names: a port (5002, "5002"), a URL
    ("http://127.0.0.1:5002", "localhost:5002/invocations"), or an object that knows it (a
    `lab_utils.ModelServer`, a Response of a request to the server). Refuses None, a bool, a port
    out of range, other text."""
    from numbers import Integral

    if _is_response(value):
        value = str(value.url)
    elif not isinstance(value, str | Integral) and isinstance(getattr(value, "url", None), str):
        value = value.url
    if isinstance(value, Integral) and not isinstance(value, bool) and 0 < int(value) < 65536:
        return f"http://127.0.0.1:{int(value)}"
    if isinstance(value, str):
        text = value.strip()
        if text.isdigit() and 0 < int(text) < 65536:
            return f"http://127.0.0.1:{int(text)}"
        parsed = urlparse(text if "://" in text else f"http://{text}")
        try:
            port = parsed.port
        except ValueError:
            port = None
        if parsed.hostname and port:
            return f"{parsed.scheme}://{parsed.hostname}:{port}"
    fail(_("expected the port your model server listens on (a number such as 5002, the -p of "
           "mlflow models serve), got {got}").format(got=describe_type(value)))


def check_exercise_3(terminal_port: object, X_test: pd.DataFrame, model_name: str = "previsao_precos",
                     alias: str = "champion") -> None:
    """Exercise 3: a model server the learner started in a terminal, still running, serves `models:/name@alias`.

    The check asks the server itself: `GET /ping`, then a `POST /invocations` of every test house,
    and compares the answers with the registry's `@alias` version (loaded here), house by house;
    when they differ it names the version of `model_name` that answers so (a server started
    before the alias moved, or on another version). Accepts any server on that port (`mlflow models
    serve` in a terminal, `lab_utils.ModelServer`, a container), started with the alias, the
    version number or the logged model's URI, and the port as a number, a string or a URL.
    Refuses: not a port (None, a bool, other text); nothing answering there (a server stopped,
    another port); a server that refuses the test houses (the listing model) or answers like
    another version.
    """
    import mlflow
    import requests
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    url = server_url(terminal_port)
    port = urlparse(url).port
    command = f"mlflow models serve -m models:/{model_name}@{alias} --env-manager local -p {port}"
    try:
        ping = requests.get(f"{url}/ping", timeout=5)
    except requests.RequestException:
        fail(_("nothing answers on port {port}: start `{command}` in a terminal, wait for \"Uvicorn running\", "
               "and leave it running while this check runs").format(port=port, command=command))
    if ping.status_code != 200:
        fail(_("port {port} answers GET /ping with HTTP {status}: is that a model server? Start `{command}`")
             .format(port=port, status=ping.status_code, command=command))
    try:
        aliased = MlflowClient().get_model_version_by_alias(model_name, alias)
    except MlflowException:
        fail(_("{name} has no alias @{alias}: re-run lesson 04").format(name=model_name, alias=alias))
    rows = X_test.reset_index(drop=True)
    try:
        answer = requests.post(f"{url}/invocations", timeout=60,
                               json={"dataframe_split": rows.to_dict(orient="split", index=False)})
    except requests.RequestException as error:
        fail(_("the server on port {port} did not answer a POST to /invocations ({error})")
             .format(port=port, error=type(error).__name__))
    if answer.status_code != 200:
        fail(_("the server on port {port} refuses the test houses (HTTP {status}): it does not serve "
               "models:/{name}@{alias}; stop it (Ctrl+C) and start `{command}`")
             .format(port=port, status=answer.status_code, name=model_name, alias=alias, command=command))
    served = answered_predictions(answer)
    expected = mlflow.pyfunc.load_model(f"models:/{model_name}/{aliased.version}").predict(rows)
    if not _close(served, expected):
        others = _versions_answering(model_name, rows, served, skip=aliased.version)
        fail((_("the server on port {port} answers like version {others} of {name}, and @{alias} is version "
                "{version}: stop it (Ctrl+C) and start `{command}`") if others else
              _("the server on port {port} does not answer like models:/{name}@{alias} (version {version}): "
                "stop it (Ctrl+C) and start `{command}`"))
             .format(port=port, others=", ".join(others), name=model_name, alias=alias, version=aliased.version,
                     command=command))
    passed(_("Exercise 3: the server on port {port} priced {count} test houses as {name}@{alias} "
             "(version {version}) does").format(port=port, count=len(rows), name=model_name, alias=alias,
                                               version=aliased.version))
