"""The DataFlow Lab MLflow curriculum: lab stack, configuration and notebook helpers.

Notebooks use `import lab_utils` and then, for example, `lab_utils.connect()`.
Names load on first use so that the `lab` command starts fast.
"""

from importlib import import_module

_EXPORTS = {
    "connect": "notebook", "run_url": "notebook", "experiment_url": "notebook", "model_url": "notebook",
    "LabNotReady": "notebook",
    "load_config": "config", "LabConfig": "config", "REPO_ROOT": "config",
    "load_house_prices": "data", "load_new_houses": "data", "split_house_prices": "data", "expensive_house_labels": "data",
    "FEATURES": "data", "TARGET": "data", "SEED": "data",
    "assert_run_logged": "checkpoints", "assert_in_bucket": "checkpoints",
    "assert_model_in_bucket": "checkpoints", "bucket_prefix": "checkpoints",
    "assert_model_version": "checkpoints", "bucket_keys": "checkpoints", "run_bucket_prefix": "checkpoints",
    "CheckpointFailed": "checkpoints",
    "attempted": "exercises",
    "run_checks": "doctor",
    "ModelServer": "serving", "port_is_free": "serving",
    "s3_client": "services",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lab_utils' has no attribute {name!r}")
    value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value
