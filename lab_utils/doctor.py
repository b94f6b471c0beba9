"""`lab doctor`: one line per check, and for each failure the fix.

The checks follow the seed's troubleshooting list: connection errors (is the
tracking server up?), errors saving artifacts (object store, keys, bucket),
models missing from the registry (does the registry answer?), plus Prefect,
Java for Spark and the Python version.
"""

from __future__ import annotations

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

DOCTOR_EXPERIMENT = "_lab_doctor"


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        text = f"{'✓' if self.ok else '✗'} {self.name}: {self.detail}"
        return text if self.ok else f"{text}\n    fix: {self.fix}"


class CheckFailed(LabError):
    def __init__(self, detail: str, fix: str):
        super().__init__(detail)
        self.detail, self.fix = detail, fix


def check_python(config: LabConfig) -> str:
    """The Python running this check (a notebook's kernel: a learner may pick another one)."""
    from . import _SUPPORTED_PYTHONS

    version = ".".join(map(str, sys.version_info[:3]))
    oldest, newest = (".".join(map(str, v)) for v in (_SUPPORTED_PYTHONS[0], _SUPPORTED_PYTHONS[-1]))
    if sys.version_info[:2] not in _SUPPORTED_PYTHONS:
        raise CheckFailed(
            f"Python {version}: the lab runs on Python {oldest} to {newest}",
            f"use the lab's own Python: `make lab` builds .venv with the newest Python {oldest}–{newest} it "
            "finds (`make lab PYTHON=python3.12` chooses one), and its kernel is \"Python 3 (lab)\"",
        )
    return f"Python {version}"


def check_tracking_server(config: LabConfig, tracking_uri: str) -> str:
    try:
        response = requests.get(f"{tracking_uri}/health", timeout=3)
    except requests.RequestException as error:
        fix = ("start the lab with `make up` (or `lab up`); if it is up, check that "
               f"MLFLOW_TRACKING_URI is {config.tracking_uri} (`lab env` prints it)")
        raise CheckFailed(f"no answer from {tracking_uri} ({type(error).__name__})", fix) from None
    if not response.ok:
        raise CheckFailed(f"{tracking_uri}/health answered HTTP {response.status_code}",
                          "see `lab logs mlflow`; `lab down && lab up` restarts it")
    return f"{tracking_uri} answers"


def check_sign_in(config: LabConfig, tracking_uri: str) -> str:
    """A workshop server refuses anonymous requests: are this environment's credentials accepted?"""
    import os

    user = os.environ.get("MLFLOW_TRACKING_USERNAME")
    password = os.environ.get("MLFLOW_TRACKING_PASSWORD", "")
    fix = ("set MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD to your account: the "
           "instructor's `lab users env NAME` prints them, with LAB_USER")
    if not user:
        raise CheckFailed("no MLflow account in the environment", fix)
    response = requests.get(f"{tracking_uri}/api/2.0/mlflow/experiments/search", params={"max_results": 1},
                            auth=(user, password), timeout=5)
    if response.status_code == 401:
        raise CheckFailed(f"the server refused user {user!r} (HTTP 401: wrong name or password)", fix)
    return f"signed in as {user}" + (f" (workspace {config.user})" if config.user else "")


def check_object_store(config: LabConfig) -> str:
    url = config.s3_endpoint_url
    try:
        requests.get(url, timeout=3)
    except requests.RequestException:
        fix = ("check LAB_S3_ENDPOINT_URL and that your S3 store is running" if config.uses_external_s3
               else "start the lab with `make up`; `lab logs objectstore` shows why it stopped")
        raise CheckFailed(f"no answer from {url}", fix) from None
    return f"{url} answers"


def check_s3_keys(config: LabConfig) -> str:
    try:
        s3_client(config).list_buckets()
    except LabConfigError as error:
        raise CheckFailed("no keys", str(error)) from None
    except ClientError as error:
        code = error.response["Error"]["Code"]
        where = ("LAB_S3_ACCESS_KEY / LAB_S3_SECRET_KEY" if config.uses_external_s3
                 else f"{config.credentials_path}")
        raise CheckFailed(
            f"the object store refused the keys ({code})",
            f"the keys in {where} do not match the store's; set the right ones "
            "(for the lab's own store: `lab reset` regenerates both sides)",
        ) from None
    except BotoCoreError as error:
        raise CheckFailed(str(error), "check the object store line above") from None
    return "keys accepted"


def check_bucket(config: LabConfig) -> str:
    try:
        s3_client(config).head_bucket(Bucket=config.bucket)
    except ClientError as error:
        raise CheckFailed(
            f"bucket {config.bucket!r} not found ({error.response['Error']['Code']})",
            f"`lab up` creates it; or create bucket {config.bucket!r} in your store "
            f"(aws s3 mb s3://{config.bucket} --endpoint-url {config.s3_endpoint_url})",
        ) from None
    except (BotoCoreError, LabConfigError) as error:
        raise CheckFailed(str(error), "fix the object store lines above first") from None
    return f"bucket {config.bucket!r} present"


def check_artifact_round_trip(config: LabConfig, tracking_uri: str) -> str:
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri)
    try:
        experiment = client.get_experiment_by_name(DOCTOR_EXPERIMENT)
        experiment_id = (experiment.experiment_id if experiment
                         else client.create_experiment(DOCTOR_EXPERIMENT))
        run = client.create_run(experiment_id, run_name="doctor-round-trip")
        token = uuid.uuid4().hex
        client.log_text(run.info.run_id, token, "doctor/check.txt")
        with tempfile.TemporaryDirectory() as tmp:
            back = Path(client.download_artifacts(run.info.run_id, "doctor/check.txt", tmp)).read_text()
        client.delete_run(run.info.run_id)
    except Exception as error:
        message = str(error).splitlines()[0][:200]
        raise CheckFailed(
            f"the server could not store an artifact ({message})",
            "the MLflow server cannot write to the object store: fix the lines above, then "
            "`lab down && lab up` so the server picks up the keys; `lab logs mlflow` has the details",
        ) from None
    if back != token:
        raise CheckFailed("the artifact read back differs", "see `lab logs mlflow`")
    return f"artifact written and read back through {tracking_uri}"


def check_registry(config: LabConfig, tracking_uri: str) -> str:
    from mlflow import MlflowClient

    try:
        models = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri).search_registered_models(
            max_results=100
        )
    except Exception as error:
        raise CheckFailed(f"the registry did not answer ({str(error).splitlines()[0][:160]})",
                          "see `lab logs mlflow`") from None
    return f"registry answers ({len(models)} registered model(s))"


def check_prefect(config: LabConfig) -> str:
    import base64
    import os

    # /health answers anyone; /admin/version asks for a workshop's auth string, as flows do.
    url = f"{config.prefect_api_url}/admin/version"
    auth = os.environ.get("PREFECT_API_AUTH_STRING")
    headers = {"Authorization": f"Basic {base64.b64encode(auth.encode()).decode()}"} if auth else {}
    try:
        response = requests.get(url, timeout=3, headers=headers)
    except requests.RequestException:
        raise CheckFailed(f"no answer from {config.prefect_api_url}",
                          "start the lab with `make up`; `lab logs prefect` shows why it stopped") from None
    if response.status_code == 401:
        raise CheckFailed(f"{config.prefect_api_url} refused the request (HTTP 401)",
                          "set PREFECT_API_AUTH_STRING: the instructor's `lab users env NAME` prints it")
    if not response.ok:
        raise CheckFailed(f"{url} answered HTTP {response.status_code}", "see `lab logs prefect`")
    return f"{config.prefect_api_url} answers (Prefect {response.json()})"


def java_major_version() -> int | None:
    """The major version of the `java` on PATH (or JAVA_HOME), None when there is none."""
    import os

    java = shutil.which("java")
    if os.environ.get("JAVA_HOME"):
        java = os.path.join(os.environ["JAVA_HOME"], "bin", "java")
    if not java or not os.path.exists(java):
        return None
    output = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2)) if major == 1 else major


def java_install_hint() -> str:
    """How to install Java 17 on this platform."""
    if sys.platform == "darwin":
        return ("`brew install openjdk@17`, then set JAVA_HOME to "
                "\"$(brew --prefix openjdk@17)/libexec/openjdk.jdk/Contents/Home\"")
    return "`sudo apt-get install openjdk-17-jre-headless` (other Linux: your package manager's OpenJDK 17), or set JAVA_HOME"


def check_java(config: LabConfig) -> str:
    major = java_major_version()
    if major is None:
        raise CheckFailed("no Java found", f"Spark needs Java 17 or newer: {java_install_hint()}")
    if major < 17:
        raise CheckFailed(f"Java {major}", f"Spark 4 needs Java 17 or newer: {java_install_hint()}")
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
        {"service": "MLflow tracking server", "url": config.tracking_uri,
         "answering": answers(f"{config.tracking_uri}/health")},
        {"service": "S3 object store", "url": config.s3_endpoint_url, "answering": answers(config.s3_endpoint_url)},
        {"service": "Prefect server", "url": config.prefect_ui_url,
         "answering": answers(f"{config.prefect_api_url}/health")},
    ]


def run_checks(config: LabConfig, tracking_uri: str | None = None, extra: list[Check] = ()) -> list[CheckResult]:
    """Run every check in order; a check whose prerequisite failed is reported as skipped.

    `extra` checks (the `lab` command's own, on the machine that runs the lab) come after
    the Python check; one named like a check below takes its place.
    """
    import os

    uri = tracking_uri or config.tracking_uri
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    account = "tracking server"
    checks: list[Check] = [("tracking server", lambda: check_tracking_server(config, uri), None)]
    if config.workshop:
        checks.append(("sign-in", lambda: check_sign_in(config, uri), "tracking server"))
        account = "sign-in"
    checks += [
        ("object store", lambda: check_object_store(config), None),
        ("object store keys", lambda: check_s3_keys(config), "object store"),
        ("artifact bucket", lambda: check_bucket(config), "object store keys"),
        ("artifact round trip", lambda: check_artifact_round_trip(config, uri), account),
        ("model registry", lambda: check_registry(config, uri), account),
        ("prefect server", lambda: check_prefect(config), None),
        ("java for spark", lambda: check_java(config), None),
    ]
    replacing = {check[0]: check for check in extra}
    checks = [("python", lambda: check_python(config), None),
              *(c for c in extra if c[0] not in {name for name, _, _ in checks}),
              *(replacing.get(c[0], c) for c in checks)]
    results: dict[str, CheckResult] = {}
    for name, check, needs in checks:
        if needs and not results[needs].ok:
            results[name] = CheckResult(name, False, f"not checked: {needs} failed",
                                        f"fix the {needs} line first")
            continue
        try:
            results[name] = CheckResult(name, True, check())
        except CheckFailed as failure:
            results[name] = CheckResult(name, False, failure.detail, failure.fix)
    return list(results.values())
