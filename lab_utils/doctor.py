"""`lab doctor`: one line per check, and for each failure the fix. The checks follow the seed's
troubleshooting list (tracking server, object store, keys, bucket, artifacts, registry) plus
Prefect, Java for Spark and the Python version."""

from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests
from botocore.exceptions import BotoCoreError, ClientError

from .clients import s3_client
from .config import LabConfig, LabConfigError
from .errors import LabError
from .i18n import N_, _

DOCTOR_EXPERIMENT = "_lab_doctor"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'✓' if self.ok else '✗'} {_(self.name)}: {self.detail}"
        return text if self.ok else text + "\n    " + _("fix: {fix}").format(fix=self.fix)


class CheckFailed(LabError):
    def __init__(self, detail: str, fix: str):
        super().__init__(detail)
        self.detail, self.fix = detail, fix


def _get(url: str, fix: str, shown: str | None = None, **options) -> requests.Response:
    """GET `url`; CheckFailed ("no answer from `shown`", `fix`) when nothing answers there."""
    try:
        return requests.get(url, **{"timeout": 3, **options})
    except requests.RequestException as error:
        raise CheckFailed(_("no answer from {url} ({error})").format(url=shown or url, error=type(error).__name__),
                          fix) from None


def _answered(response: requests.Response, fix: str) -> None:
    if not response.ok:
        raise CheckFailed(_("{url} answered HTTP {status}").format(url=response.url, status=response.status_code),
                          fix)


def check_python(config: LabConfig) -> str:
    """The Python running this check (a notebook's kernel: a learner may pick another one)."""
    from . import _SUPPORTED_PYTHONS

    version = ".".join(map(str, sys.version_info[:3]))
    oldest, newest = (".".join(map(str, v)) for v in (_SUPPORTED_PYTHONS[0], _SUPPORTED_PYTHONS[-1]))
    if sys.version_info[:2] not in _SUPPORTED_PYTHONS:
        raise CheckFailed(
            _("Python {version}: the lab runs on Python {oldest} to {newest}").format(
                version=version, oldest=oldest, newest=newest),
            _("use the lab's own Python: `make lab` builds .venv with the newest Python {oldest}–{newest} it "
              "finds (`make lab PYTHON=python3.12` chooses one), and its kernel is \"Python 3 (lab)\"").format(
                oldest=oldest, newest=newest))
    return f"Python {version}"


def check_tracking_server(config: LabConfig, tracking_uri: str) -> str:
    response = _get(f"{tracking_uri}/health", _("start the lab with `make up` (or `lab up`); if it is up, check "
                                                "that MLFLOW_TRACKING_URI is {uri} (`lab env` prints it)").format(
        uri=config.tracking_uri), shown=tracking_uri)
    _answered(response, _("see `lab logs mlflow`; `lab down && lab up` restarts it"))
    return _("{url} answers").format(url=tracking_uri)


def check_sign_in(config: LabConfig, tracking_uri: str) -> str:
    """A workshop server refuses anonymous requests: are this environment's credentials accepted?"""
    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    fix = _("set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to your account: the "
            "instructor's `lab users env NAME` prints them, with LAB_USER")
    if not user:
        raise CheckFailed(_("no MLflow account in the environment"), fix)
    response = requests.get(f"{tracking_uri}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                            auth=(user, os.environ.get("MLFLOW_TRACKING_PASSWORD", "")), timeout=5)
    if response.status_code == 401:
        raise CheckFailed(_("the server refused user {user!r} (HTTP 401: wrong name or password)").format(
            user=user), fix)
    if config.user:
        return _("signed in as {user} (workspace {workspace})").format(user=user, workspace=config.user)
    return _("signed in as {user}").format(user=user)


def check_object_store(config: LabConfig) -> str:
    _get(config.s3_endpoint_url,
         _("check LAB_S3_ENDPOINT_URL and that your S3 store is running") if config.uses_external_s3
         else _("start the lab with `make up`; `lab logs objectstore` shows why it stopped"))
    return _("{url} answers").format(url=config.s3_endpoint_url)


def check_s3_keys(config: LabConfig) -> str:
    try:
        s3_client(config).list_buckets()
    except LabConfigError as error:
        raise CheckFailed(_("no keys"), str(error)) from None
    except ClientError as error:
        where = "LAB_S3_ACCESS_KEY / LAB_S3_SECRET_KEY" if config.uses_external_s3 else config.credentials_path
        raise CheckFailed(
            _("the object store refused the keys ({code})").format(code=error.response["Error"]["Code"]),
            _("the keys in {where} do not match the store's; set the right ones "
              "(for the lab's own store: `lab reset` regenerates both sides)").format(where=where)) from None
    except BotoCoreError as error:
        raise CheckFailed(str(error), _("check the object store line above")) from None
    return _("keys accepted")


def check_bucket(config: LabConfig) -> str:
    bucket = config.bucket
    try:
        s3_client(config).head_bucket(Bucket=bucket)
    except ClientError as error:
        raise CheckFailed(
            _("bucket {bucket!r} not found ({code})").format(bucket=bucket, code=error.response["Error"]["Code"]),
            _("`lab up` creates it; or create bucket {bucket!r} in your store "
              "(aws s3 mb s3://{bucket} --endpoint-url {endpoint})").format(
                bucket=bucket, endpoint=config.s3_endpoint_url)) from None
    except (BotoCoreError, LabConfigError) as error:
        raise CheckFailed(str(error), _("fix the object store lines above first")) from None
    return _("bucket {bucket!r} present").format(bucket=bucket)


def check_artifact_round_trip(config: LabConfig, tracking_uri: str) -> str:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        experiment = client.get_experiment_by_name(DOCTOR_EXPERIMENT)
        experiment_id = experiment.experiment_id if experiment else client.create_experiment(DOCTOR_EXPERIMENT)
        run = client.create_run(experiment_id, run_name="doctor-round-trip")
        token = uuid.uuid4().hex
        client.log_text(run.info.run_id, token, "doctor/check.txt")
        with tempfile.TemporaryDirectory() as tmp:
            back = Path(client.download_artifacts(run.info.run_id, "doctor/check.txt", tmp)).read_text()
        client.delete_run(run.info.run_id)
    except Exception as error:
        raise CheckFailed(
            _("the server could not store an artifact ({error})").format(error=str(error).splitlines()[0][:200]),
            _("the MLflow server cannot write to the object store: fix the lines above, then "
              "`lab down && lab up` so the server picks up the keys; `lab logs mlflow` has the details"),
        ) from None
    if back != token:
        raise CheckFailed(_("the artifact read back differs"), _("see `lab logs mlflow`"))
    return _("artifact written and read back through {url}").format(url=tracking_uri)


def check_registry(config: LabConfig, tracking_uri: str) -> str:
    from mlflow import MlflowClient

    try:
        models = MlflowClient(tracking_uri, registry_uri=tracking_uri).search_registered_models(max_results=100)
    except Exception as error:
        raise CheckFailed(_("the registry did not answer ({error})").format(error=str(error).splitlines()[0][:160]),
                          _("see `lab logs mlflow`")) from None
    return _("registry answers ({count} registered model(s))").format(count=len(models))


def check_prefect(config: LabConfig) -> str:
    if config.workshop:  # Prefect is this machine's own (lab_stack.own_prefect): started, in its own process, if it is not running
        started = subprocess.run([sys.executable, "-m", "lab_stack.own_prefect", "start"], capture_output=True, text=True)
        if started.returncode != 0:  # its last line says why
            raise CheckFailed(_("your own Prefect server at {url} did not start").format(url=config.prefect_ui_url),
                              ([""] + (started.stderr or started.stdout).strip().splitlines())[-1])
    # /health answers anyone; /admin/version asks for the auth string of a server that has one, as flows do.
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    response = _get(f"{config.prefect_api_url}/admin/version",
                    _("start the lab with `make up`; `lab logs prefect` shows why it stopped"),
                    shown=config.prefect_api_url, timeout=10,  # a Prefect just started answers slowly at first
                    headers={"Authorization": f"Basic {base64.b64encode(auth.encode()).decode()}"} if auth else {})
    if response.status_code == 401:
        raise CheckFailed(_("{url} refused the request (HTTP 401)").format(url=config.prefect_api_url),
                          _("set PREFECT_API_AUTH_STRING: the instructor's `lab users env NAME` prints it"))
    _answered(response, _("see `lab logs prefect`"))
    return _("{url} answers (Prefect {version})").format(url=config.prefect_api_url, version=response.json())


def java_major_version() -> int | None:
    """The major version of the `java` on PATH (or JAVA_HOME), None when there is none."""
    java = os.path.join(os.environ["JAVA_HOME"], "bin", "java") if os.environ.get("JAVA_HOME") else shutil.which("java")
    if not java or not os.path.exists(java):
        return None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', subprocess.run([java, "-version"], capture_output=True,
                                                                   text=True).stderr)
    if not match:
        return None
    return int(match.group(2)) if match.group(1) == "1" else int(match.group(1))


def java_install_hint() -> str:
    """How to install Java 17 on this platform."""
    if sys.platform == "darwin":
        return _("`brew install openjdk@17`, then set JAVA_HOME to "
                 "\"$(brew --prefix openjdk@17)/libexec/openjdk.jdk/Contents/Home\"")
    return _("`sudo apt-get install openjdk-17-jre-headless` (other Linux: your package manager's "
             "OpenJDK 17), or set JAVA_HOME")


def check_java(config: LabConfig) -> str:
    major = java_major_version()
    if major is None or major < 17:
        raise CheckFailed(_("no Java found") if major is None else f"Java {major}",
                          _("Spark needs Java 17 or newer: {hint}").format(hint=java_install_hint()))
    return f"Java {major}"


Check = tuple[str, Callable[[], str], "str | None"]


def service_status(config: LabConfig) -> list[dict]:
    """Each service a notebook uses, its address, and whether it answers there."""
    def answers(url: str) -> bool:
        try:
            requests.get(url, timeout=3)
        except requests.RequestException:
            return False
        return True

    return [
        {"service": _("MLflow tracking server"), "url": config.tracking_uri,
         "answering": answers(f"{config.tracking_uri}/health")},
        {"service": _("S3 object store"), "url": config.s3_endpoint_url, "answering": answers(config.s3_endpoint_url)},
        {"service": _("Prefect server"), "url": config.prefect_ui_url,
         "answering": answers(f"{config.prefect_api_url}/health")},
    ]


def run_checks(config: LabConfig, tracking_uri: str | None = None, extra: list[Check] = ()) -> list[CheckResult]:
    """Run every check in order; a check whose prerequisite failed is reported as skipped.

    `extra` checks (the `lab` command's own, on the machine that runs the lab) come after
    the Python check; one named like a check below takes its place.
    """
    uri = tracking_uri or config.tracking_uri
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    account = "sign-in" if config.workshop else "tracking server"
    checks: list[Check] = [
        (N_("tracking server"), lambda: check_tracking_server(config, uri), None),
        *([(N_("sign-in"), lambda: check_sign_in(config, uri), "tracking server")] if config.workshop else []),
        (N_("object store"), lambda: check_object_store(config), None),
        (N_("object store keys"), lambda: check_s3_keys(config), "object store"),
        (N_("artifact bucket"), lambda: check_bucket(config), "object store keys"),
        (N_("artifact round trip"), lambda: check_artifact_round_trip(config, uri), account),
        (N_("model registry"), lambda: check_registry(config, uri), account),
        (N_("prefect server"), lambda: check_prefect(config), None),
        (N_("java for spark"), lambda: check_java(config), None),
    ]
    replacing = {check[0]: check for check in extra}
    checks = [(N_("python"), lambda: check_python(config), None),
              *(c for c in extra if c[0] not in {check[0] for check in checks}),
              *(replacing.get(c[0], c) for c in checks)]
    results: dict[str, CheckResult] = {}
    for name, check, needs in checks:
        if needs and not results[needs].ok:
            results[name] = CheckResult(name, False, _("not checked: {check} failed").format(check=_(needs)),
                                        _("fix the {check} line first").format(check=_(needs)))
            continue
        try:
            results[name] = CheckResult(name, True, check())
        except CheckFailed as failure:
            results[name] = CheckResult(name, False, failure.detail, failure.fix)
    return list(results.values())
