"""What the DataFlow Lab's notebooks import: configuration, `connect()`, checkpoints, data, helpers.

The machinery that runs the lab is `lab_stack`; nothing here imports it. Names load on first
use (`lab_utils.connect()`), so the `lab` command starts fast; `dir(lab_utils)` lists them all.
"""

from importlib import import_module as _import_module

# The Pythons the lab runs on. The Makefile (SUPPORTED_PYTHONS), pyproject.toml
# (requires-python) and README.md say the same; tests/test_repository.py checks that they do.
_SUPPORTED_PYTHONS = ((3, 10), (3, 11), (3, 12), (3, 13))

_EXPORTS = {name: module for module, names in {
    "notebook": "connect run_url model_url LabNotReady",
    "config": "load_config LabConfig REPO_ROOT",
    "data": "load_house_prices load_new_houses split_house_prices split_train_validation_test "
            "expensive_house_labels FEATURES TARGET SEED",
    "checkpoints": "assert_run_logged assert_in_bucket assert_model_in_bucket assert_model_version "
                   "bucket_prefix bucket_keys CheckpointFailed",
    "exercises": "attempted", "doctor": "run_checks service_status", "serving": "ModelServer port_is_free",
    "clients": "s3_client", "errors": "LabError", "i18n": "format_number",
}.items() for name in names.split()}

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
