"""What the DataFlow Lab's notebooks import: configuration, `connect()`, checkpoints, data, helpers.

The machinery that runs the lab (services, supervisor, workshop accounts, backups, the
`lab` command) is the `lab_stack` package; nothing here imports it.

Notebooks use `import lab_utils` and then, for example, `lab_utils.connect()`.
Names load on first use so that the `lab` command starts fast; `dir(lab_utils)` lists
them all, loaded or not, so `lab_utils.<TAB>` in JupyterLab offers them.
"""

from importlib import import_module as _import_module

# The Pythons the lab runs on. The Makefile (SUPPORTED_PYTHONS), pyproject.toml
# (requires-python) and README.md say the same; tests/test_repository.py checks that they do.
_SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))

_EXPORTS = {
    "connect": "notebook", "run_url": "notebook", "experiment_url": "notebook", "model_url": "notebook",
    "LabNotReady": "notebook",
    "load_config": "config", "LabConfig": "config", "REPO_ROOT": "config",
    "load_house_prices": "data", "load_new_houses": "data", "split_house_prices": "data", "split_train_validation_test": "data",
    "expensive_house_labels": "data",
    "FEATURES": "data", "TARGET": "data", "SEED": "data",
    "assert_run_logged": "checkpoints", "assert_in_bucket": "checkpoints",
    "assert_model_in_bucket": "checkpoints", "bucket_prefix": "checkpoints",
    "assert_model_version": "checkpoints", "bucket_keys": "checkpoints", "run_bucket_prefix": "checkpoints",
    "CheckpointFailed": "checkpoints",
    "attempted": "exercises",
    "run_checks": "doctor",
    "ModelServer": "serving", "port_is_free": "serving",
    "s3_client": "clients",
    "service_status": "doctor", "LabError": "errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'lab_utils' has no attribute {name!r}")
    value = getattr(_import_module(f".{_EXPORTS[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public names, loaded or not, with what the module holds already (its submodules)."""
    return sorted(set(__all__) | set(globals()))
