"""Lesson 10 part 2's milestones: the champion served over REST, and a flow that retrains and promotes.

Milestone 3 is judged by what was served (the request sent, the server's answer, the model those
prices come from), whichever way the server was started. Milestone 4 reads Prefect's API and the
registry: the two latest runs of the flow `retreinar-capstone` are this attempt, and each must
have registered its own version while it ran (a plain function leaves no flow run, so an earlier
attempt's flow runs cannot stand in for it); what each flow run returned is read back from its
persisted result, so a list typed by hand cannot pass for the flow's answer. The scenario is one
where a gate on test RMSE decides differently from a gate on validation RMSE.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

import numpy as np

from ..i18n import _
from . import as_number, describe_type, fail, passed, same_number
from .lesson_05_serving import answered_predictions, body_rows, require_response, same_rows, sent_body

FLOW_NAME = "retreinar-capstone"  # Prefect's name for the function retreinar_capstone; "Retreinar Capstone" too
CAD = 1.0  # a validation RMSE logged rounded to the CAD is the same score
LEARNING_RATES = (0.2, 0.1)  # better than the champion; then better than part 1's, worse than the new one


def _rmse(y, predictions) -> float:
    from sklearn.metrics import mean_squared_error

    return float(np.sqrt(mean_squared_error(y, predictions)))


def _search_version(model_name: str, experiment_name: str):
    """Part 1's champion: the newest version of `model_name` registered from a `capstone_search` run."""
    from mlflow import MlflowClient

    client = MlflowClient()
    experiment = client.get_experiment_by_name(experiment_name)
    ids = {r.info.run_id for r in client.search_runs([experiment.experiment_id],
                                                     "attributes.run_name = 'capstone_search'")} if experiment else set()
    versions = [v for v in client.search_model_versions(f"name = '{model_name}'") if v.run_id in ids]
    if not versions:
        fail(_("no version of {name} comes from a capstone_search run: complete part 1 first").format(name=model_name))
    return max(versions, key=lambda v: int(v.version))


def check_milestone_3(served_response: object, model_name: str = "capstone_precos",
                      experiment_name: str = "capstone") -> None:
    """The Response of a `dataframe_split` POST of the twenty new houses, priced by the champion, server stopped.

    Accepts: any server (`lab_utils.ModelServer`, `mlflow models serve` by hand, any port), a
    `requests` or `httpx` response, `json=` or a raw JSON `data=` body with its keys and columns in any order; the prices of part 1's
    champion or of the version `@champion` points to now (so the check passes again after
    Milestone 4 moved the alias).
    Refuses: not a Response (None, `response.json()`), or one built by hand (no server's headers);
    another method or path; an HTTP error;
    another body format or other houses; prices of another model; a server still running.
    """
    import mlflow

    import lab_utils

    response = require_response(served_response, _("the server's response"))
    headers = {key.lower() for key in getattr(response, "headers", {}) or {}}
    if not headers & {"date", "server"}:
        fail(_("that response was not received from a server (it has no Date or Server header): hand over what "
               "requests.post returned"))
    body = sent_body(response)
    if "dataframe_split" not in body:
        fail(_("the request's body has {keys}: the task asks for a dataframe_split body "
               "(DataFrame.to_dict(orient=\"split\", index=False))").format(keys=sorted(body)))
    houses = lab_utils.load_new_houses()
    if not same_rows(body_rows(body, "dataframe_split"), houses.reset_index(drop=True)):
        fail(_("the rows you sent are not the twenty houses of lab_utils.load_new_houses()"))
    prices = np.asarray(answered_predictions(response))
    candidates = {f"models:/{model_name}@champion", f"models:/{model_name}/{_search_version(model_name, experiment_name).version}"}
    if not any(len(prices) == len(houses) and np.allclose(prices, np.ravel(mlflow.pyfunc.load_model(uri).predict(houses)),
                                                          rtol=1e-6) for uri in sorted(candidates)):
        fail(_("the server's prices are not those of models:/{name}@champion: serve that model").format(name=model_name))
    address = urlparse(str(response.url))
    if address.hostname in ("127.0.0.1", "localhost") and address.port and not lab_utils.port_is_free(address.port):
        fail(_("the model server at {netloc} still runs: stop it (server.stop(), in a finally:)")
             .format(netloc=address.netloc))
    passed(_("Milestone 3: twenty houses priced over REST by the champion"))


def _same_flow_name(name: str) -> bool:
    """`retreinar-capstone`, whatever its case and separators (`retreinar_capstone`, `Retreinar Capstone`)."""
    return re.sub(r"[\s_-]+", "-", name.strip().casefold()) == FLOW_NAME


def _flow_runs(limit: int = 2) -> list:
    """The latest runs (newest first) of the flow, that started."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowFilter,
        FlowFilterName,
        FlowRunFilter,
        FlowRunFilterStartTime,
    )
    from prefect.client.schemas.sorting import FlowRunSort

    with get_client(sync_client=True) as client:
        names = [f.name for f in client.read_flows(limit=200) if _same_flow_name(f.name)]
        if not names:
            return []
        return client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=names)),
                                     flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
                                     sort=FlowRunSort.START_TIME_DESC, limit=limit)


_NO_RESULT = object()


def _returned(flow_run) -> object:
    """What the flow run returned, read from its persisted result (`_NO_RESULT` when none was kept)."""
    from prefect._internal.result_records import ResultRecordMetadata
    from prefect.results import ResultStore, resolve_result_storage

    data = flow_run.state.data if flow_run.state else None
    if not isinstance(data, ResultRecordMetadata):
        return _NO_RESULT
    storage = resolve_result_storage(data.storage_block_id, _sync=True) if data.storage_block_id else None
    try:
        return ResultStore(result_storage=storage, serializer=data.serializer).read(data.storage_key).result
    except Exception:  # noqa: BLE001 - a result that cannot be read back counts as none kept
        return _NO_RESULT


def _learning_rate(flow_run) -> float | None:
    parameters = flow_run.parameters or {}
    if "learning_rate" in parameters:
        return as_number(parameters["learning_rate"])
    numbers = [as_number(v) for v in parameters.values() if as_number(v) is not None]
    return numbers[0] if len(numbers) == 1 else None


def _window(flow_run) -> tuple[float, float]:
    end = flow_run.end_time or flow_run.start_time
    return flow_run.start_time.timestamp() * 1000 - 250, end.timestamp() * 1000 + 250


def check_milestone_4(promotions: object, model_name: str = "capstone_precos", experiment_name: str = "capstone",
                      learning_rates: tuple[float, float] = LEARNING_RATES) -> None:
    """Two runs of the flow `retreinar-capstone` (0.2, then 0.1), each registering a version; the gate right.

    Accepts: any flow body (tasks or not, client or fluent API, sync or async), `promotions` as a list
    or tuple of bools (numpy bools too), the flow named `retreinar-capstone` (Prefect's default for the
    function `retreinar_capstone`) in any case and with `_`, `-` or blanks; scores rounded to the CAD;
    a re-run (the two latest flow runs are the attempt).
    Refuses: not a list of two; a plain function (versions registered outside any flow run, even when
    an earlier attempt's flow runs exist); flow runs in another order or with other learning rates; a
    flow run that failed or registered no version (says so, not "the order"); a `validation_rmse`
    measured on the test houses; a gate that promotes the 0.1 model (as one deciding on test RMSE
    does here) or does not promote the 0.2 one; a flow that returned None or not what the registry
    shows, and `promotions` that are not what the flow returned.
    """
    from mlflow import MlflowClient

    import lab_utils

    if type(promotions).__name__ in ("State", "PrefectFuture", "PrefectConcurrentFuture"):
        fail(_("promotions should hold what the flow returned, got {got}: call the flow itself, "
               "retreinar_capstone(learning_rate=...)").format(got=describe_type(promotions)))
    if not isinstance(promotions, list | tuple) or len(promotions) != 2:
        fail(_("promotions should be a list of the two results, [first, second], got {got}")
             .format(got=describe_type(promotions)))
    client = MlflowClient()
    flow_runs = list(reversed(_flow_runs()))  # oldest first
    if len(flow_runs) < 2:
        fail(_("Prefect has {count} run(s) of the flow retreinar-capstone: decorate retreinar_capstone with @flow "
               "and call it twice").format(count=len(flow_runs)))
    search = _search_version(model_name, experiment_name)
    retrained = sorted((v for v in client.search_model_versions(f"name = '{model_name}'")
                        if int(v.version) > int(search.version)), key=lambda v: int(v.version))
    last_end = _window(flow_runs[-1])[1]
    outside = [v.version for v in retrained if v.creation_timestamp > last_end]
    if outside:
        fail(_("version {versions} of {name} was registered after the last run of the flow retreinar-capstone, "
               "outside any flow run: make retreinar_capstone a Prefect @flow and call it")
             .format(versions=", ".join(outside), name=model_name))
    got_rates = [_learning_rate(r) for r in flow_runs]
    if not all(same_number(g, w) for g, w in zip(got_rates, learning_rates, strict=True)):
        fail(_("the two latest runs of the flow retreinar-capstone have learning_rate {got}: run it with {first}, "
               "then {second}").format(got=got_rates, first=learning_rates[0], second=learning_rates[1]))
    for flow_run in flow_runs:
        if flow_run.state_type is None or flow_run.state_type.value != "COMPLETED":
            fail(_("the flow run {name} (learning_rate {rate}) ended {state}: read its logs in the Prefect UI")
                 .format(name=flow_run.name, rate=_learning_rate(flow_run),
                         state=flow_run.state_name or flow_run.state_type))
    split = lab_utils.split_train_validation_test()
    versions = []
    for flow_run, rate in zip(flow_runs, learning_rates, strict=True):
        start, end = _window(flow_run)
        inside = [v for v in retrained if start <= v.creation_timestamp <= end]
        if not inside:
            fail(_("the flow run with learning_rate {rate} registered no version of {name}: register every retrained "
                   "model (mlflow.register_model), even one the gate does not promote").format(rate=rate, name=model_name))
        version = inside[-1]
        run = client.get_run(version.run_id)
        if not same_number(run.data.params.get("learning_rate"), rate):
            fail(_("version {version} (registered by the flow run with learning_rate {rate}) comes from a run with "
                   "learning_rate {got!r}: log the parameter learning_rate").format(
                       version=version.version, rate=rate, got=run.data.params.get("learning_rate")))
        from sklearn.ensemble import GradientBoostingRegressor

        model = GradientBoostingRegressor(n_estimators=100, max_depth=2, learning_rate=rate,
                                          random_state=42).fit(split.X_train, split.y_train)
        want = _rmse(split.y_validation, model.predict(split.X_validation))
        got = run.data.metrics.get("validation_rmse")
        if got is None:
            fail(_("the run of version {version} has no metric validation_rmse").format(version=version.version))
        if not same_number(got, want, rel=1e-6, abs=CAD):
            on_test = same_number(got, _rmse(split.y_test, model.predict(split.X_test)), rel=1e-6, abs=CAD)
            fail((_("the validation_rmse of the learning_rate {rate} model is its RMSE on the test houses: the gate "
                    "decides on X_validation") if on_test else
                  _("the validation_rmse of the learning_rate {rate} model is {got:,.0f}; GradientBoostingRegressor("
                    "n_estimators=100, max_depth=2, learning_rate={rate}, random_state=42) scores {want:,.0f} on "
                    "X_validation")).format(rate=rate, got=got, want=want))
        versions.append((version, got))
    (better, better_rmse), (worse, worse_rmse) = versions
    champion = client.get_model_version_by_alias(model_name, "champion")
    if champion.version == worse.version:
        fail(_("the gate let a worse model in: @champion moved to the learning_rate {rate} version (validation RMSE "
               "{worse:,.0f}, the champion's {better:,.0f}): compare the validation RMSE (not the test RMSE) with the current champion's")
             .format(rate=learning_rates[1], worse=worse_rmse, better=better_rmse))
    if champion.version != better.version:
        if champion.version == search.version:
            fail(_("the better model (learning_rate {rate}, validation RMSE {rmse:,.0f}) was not promoted: move "
                   "@champion when the new validation RMSE is lower").format(rate=learning_rates[0], rmse=better_rmse))
        fail(_("@champion is version {version}, from an earlier attempt: run the cell that reads part 1's champion "
               "(it points @champion back at the search's model), then the flow twice again")
             .format(version=champion.version))
    returned = [_returned(r) for r in flow_runs]
    if any(value is _NO_RESULT for value in returned):
        fail(_("the flow runs kept no result, so the check cannot read what they returned: run the notebook's first "
               "cell (it turns on PREFECT_RESULTS_PERSIST_BY_DEFAULT) before the flow, or use @flow(persist_result=True)"))
    for value, rate, want in zip(returned, learning_rates, (True, False), strict=True):
        if not isinstance(value, bool | np.bool_) or bool(value) != want:
            fail(_("the flow run with learning_rate {rate} returned {got!r}; it {did}: return True when it promoted, "
                   "False otherwise").format(rate=rate, got=value,
                                             did=_("promoted") if want else _("did not promote")))
    if not all(isinstance(p, bool | np.bool_) for p in promotions):
        fail(_("promotions should hold the flow's two results, True or False, got [{got}]: put what "
               "retreinar_capstone(learning_rate=...) returned in it")
             .format(got=", ".join(describe_type(p) for p in promotions)))
    if [bool(p) for p in promotions] != [True, False]:
        fail(_("promotions is {got!r}, but the flow runs returned [True, False]: put the flow's results in it")
             .format(got=list(promotions)))
    passed(_("Milestone 4: {first} promoted (validation RMSE {better:,.0f}), {second} kept out "
             "(validation RMSE {worse:,.0f})").format(first=learning_rates[0], second=learning_rates[1],
                                                      better=better_rmse, worse=worse_rmse))

