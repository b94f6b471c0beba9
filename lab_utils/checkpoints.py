"""Checkpoints: assert that what a lesson created is really on the server and in the bucket.

Each helper reads the lab back (never the notebook's own variables) and fails
with a message that says what is missing and which cell to re-run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

from .clients import s3_client
from .config import LabConfig
from .i18n import N_, _


class CheckpointFailed(AssertionError):
    """What the lesson says it created is not on the server."""


def _fail(message: str) -> None:
    raise CheckpointFailed(_("✗ Checkpoint failed: {message}").format(message=message))


# One message per kind: each language puts its own article and noun ("a métrica", "o parâmetro").
MISSING = {"param": N_("run {run_id} has no param {key!r} (it has {logged})"),
           "metric": N_("run {run_id} has no metric {key!r} (it has {logged})"),
           "tag": N_("run {run_id} has no tag {key!r} (it has {logged})")}
DIFFERENT = {"param": N_("run {run_id} has param {key}={got!r}, expected {want!r}"),
             "metric": N_("run {run_id} has metric {key}={got!r}, expected {want!r}"),
             "tag": N_("run {run_id} has tag {key}={got!r}, expected {want!r}")}


def assert_run_logged(
    run_id: str,
    params: Mapping[str, object] | Iterable[str] = (),
    metrics: Mapping[str, float] | Iterable[str] = (),
    artifacts: Iterable[str] = (),
    tags: Mapping[str, str] | Iterable[str] = (),
    tolerance: float = 1e-9,
):
    """Read the run back from the tracking server and check its params, metrics, tags and artifacts.

    Mappings check values, plain iterables check only that the keys exist.
    Returns the run as the server has it.
    """
    client = MlflowClient()
    try:
        run = client.get_run(run_id)
    except MlflowException:
        _fail(_("run {run_id!r} is not on the tracking server {server}: re-run the cell that starts it")
              .format(run_id=run_id, server=client.tracking_uri))
    logged = {"param": run.data.params, "metric": run.data.metrics, "tag": run.data.tags}
    for kind, expected in (("param", params), ("metric", metrics), ("tag", tags)):
        for key in expected:
            if key not in logged[kind]:
                _fail(_(MISSING[kind]).format(run_id=run_id, key=key, logged=sorted(logged[kind])))
            if isinstance(expected, Mapping):
                want, got = expected[key], logged[kind][key]
                same = abs(float(got) - float(want)) <= tolerance if kind == "metric" else str(got) == str(want)
                if not same:
                    _fail(_(DIFFERENT[kind]).format(run_id=run_id, key=key, got=got, want=want))
    for path in artifacts:
        parent = path.rsplit("/", 1)[0] if "/" in path else None
        names = {f.path for f in client.list_artifacts(run_id, parent)}
        if path not in names:
            _fail(_("run {run_id} has no artifact {path!r} (found {names})")
                  .format(run_id=run_id, path=path, names=sorted(names)))
    print(_("✓ run {run}… is on the server with what this section logged").format(run=run_id[:8]))
    return run


def bucket_keys(config: LabConfig, prefix: str) -> list[str]:
    """Every object key under `prefix` in the lab's artifact bucket."""
    client = s3_client(config)
    keys: list[str] = []
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=config.bucket, Prefix=prefix):
        keys += [item["Key"] for item in page.get("Contents", [])]
    return keys


def bucket_prefix(config: LabConfig, artifact_uri: str) -> str:
    """The bucket key prefix behind an artifact URI of the lab (proxied or direct S3)."""
    for scheme in ("mlflow-artifacts:/", f"s3://{config.bucket}/"):
        if artifact_uri.startswith(scheme):
            return artifact_uri[len(scheme):].lstrip("/").rstrip("/") + "/"
    raise ValueError(f"{artifact_uri} is not stored in bucket {config.bucket!r}")


def _assert_objects(config: LabConfig, prefix: str) -> list[str]:
    keys = bucket_keys(config, prefix)
    if not keys:
        _fail(_("nothing in s3://{bucket}/{prefix} — the artifact did not reach the object store")
              .format(bucket=config.bucket, prefix=prefix))
    print(_("✓ {count} object(s) in s3://{bucket}/{prefix}").format(count=len(keys), bucket=config.bucket,
                                                                   prefix=prefix))
    return keys


def assert_in_bucket(config: LabConfig, run, path: str) -> list[str]:
    """Check, with boto3 and the lab's keys, that a run's artifact is an object in the bucket."""
    return _assert_objects(config, bucket_prefix(config, run.info.artifact_uri) + path)


def assert_model_in_bucket(config: LabConfig, model_id: str) -> list[str]:
    """Check that a logged model's files (`MLmodel` first) are objects in the bucket.

    In MLflow 3 a model logged with `name=` is stored beside the runs, under
    `<experiment>/models/<model id>/artifacts/`, not inside the run's artifacts.
    """
    model = MlflowClient().get_logged_model(model_id)
    keys = _assert_objects(config, bucket_prefix(config, model.artifact_location))
    if not any(key.endswith("/MLmodel") for key in keys):
        _fail(_("model {model_id} has files in the bucket but no MLmodel file").format(model_id=model_id))
    return keys


def assert_model_version(name: str, version: int | str | None = None, alias: str | None = None):
    """Check that a registered model (and a version or alias of it) is in the registry."""
    client = MlflowClient()
    try:
        client.get_registered_model(name)
    except MlflowException:
        _fail(_("no registered model {name!r} in the registry: re-run the cell that registers it").format(name=name))
    try:
        if alias is not None:
            mv = client.get_model_version_by_alias(name, alias)
        elif version is not None:
            mv = client.get_model_version(name, str(version))
        else:
            mv = max(client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version))
    except MlflowException:
        _fail((_("model {name!r} has no alias {alias}") if alias else _("model {name!r} has no version {version}"))
              .format(name=name, alias=alias, version=version))
    print((_("✓ {name} version {version} is in the registry as @{alias}") if alias
           else _("✓ {name} version {version} is in the registry")).format(name=name, version=mv.version, alias=alias))
    return mv
