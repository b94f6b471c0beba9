"""What a notebook calls first: configure the MLflow and Prefect clients, check the lab."""

from __future__ import annotations

import os
import sys
import warnings

from .config import LabConfig, LabConfigError, load_config
from .doctor import (
    CheckFailed,
    check_prefect,
    check_python,
    check_s3_keys,
    check_sign_in,
    check_tracking_server,
    run_checks,
)
from .errors import LabError
from .i18n import _

BIN_DIR = os.path.dirname(sys.executable)


class LabNotReady(LabError):
    """The lab a notebook needs is not up; the message carries the doctor's report."""


def connect(check: bool = True, language: str | None = None) -> LabConfig:
    """Point MLflow, Prefect and boto3 at the lab (MLFLOW_TRACKING_URI, PREFECT_API_URL,
    MLFLOW_S3_ENDPOINT_URL, the store's keys) and fail fast if it is not healthy. `language` (`en`,
    `pt_BR`: the notebook's edition) is the lab's language whatever the locale; LAB_LANG still wins.
    Unless set, it turns off MLflow's "🏃 View run … at: <url>" lines (a lesson prints its one link with
    run_url()) and progress bars (artifacts', tqdm's), on elsewhere; warnings lose the raising library's path."""
    if language and not os.environ.get("LAB_LANG"):
        os.environ["LAB_LANG"] = language
    config = load_config()
    try:
        check_python(config)  # a learner may pick another kernel
    except CheckFailed as failure:
        raise LabNotReady(f"{failure.detail}; {failure.fix}") from None
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    os.environ.setdefault("TQDM_DISABLE", "1")  # read when tqdm is first imported (mlflow.genai.evaluate's bar)
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    warnings.formatwarning = _short_warning
    # Commands a lesson runs (`mlflow`, `python`) come from the lab's environment, even when
    # JupyterLab was started without it on PATH.
    if BIN_DIR not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = f"{BIN_DIR}{os.pathsep}{os.environ.get('PATH', '')}"
    if check:
        try:
            check_tracking_server(config, config.tracking_uri)
            if config.workshop:
                check_sign_in(config, config.tracking_uri)
            check_s3_keys(config)
            check_prefect(config)
        except (CheckFailed, LabConfigError):
            report = "\n".join(r.line() for r in run_checks(config) if not r.ok)
            raise LabNotReady(_("The lab is not ready. `lab doctor` says:\n{report}\n\nStart it with `make up` "
                                "in a terminal at the repository root, then re-run this cell.").format(
                report=report)) from None
    os.environ.update(config.client_environment())
    return config


def _short_warning(message, category, *_args, **_kwargs) -> str:
    return f"{category.__name__}: {message}\n"


def run_url(config: LabConfig, run) -> str:
    """The run's page in the MLflow UI."""
    return f"{config.tracking_uri}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"


def model_url(config: LabConfig, name: str, version: str | int | None = None) -> str:
    base = f"{config.tracking_uri}/#/models/{name}"
    return f"{base}/versions/{version}" if version is not None else base
