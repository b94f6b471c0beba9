"""The layout says what the code is: `lab_utils` is what notebooks import, `lab_stack` runs the lab.

- `lab_utils` never imports the machinery (the supervisor, PostgreSQL drivers, the CLI);
- no module of the project imports itself back through others (no import cycle);
- every error the lab raises on purpose is a `LabError`, which the `lab` command prints
  as one line; anything else is unexpected and keeps its traceback.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("lab_utils", "lab_stack")
MACHINERY = ("lab_stack", "supervisor", "psycopg", "click", "xmlrpc")
# Loaded at run time by importing every notebook helper (click alone comes with MLflow itself).
LOADED_MACHINERY = ("lab_stack", "supervisor", "psycopg")


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _imports(module: str, path: Path) -> set[str]:
    """Every module `module` imports, wherever the import statement sits (functions too)."""
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names |= {f"{base}.{alias.name}" for alias in node.names}
    return names


def test_lab_utils_imports_none_of_the_machinery():
    offenders = []
    for module, path in _modules().items():
        if module.split(".")[0] != "lab_utils":
            continue
        for name in _imports(module, path):
            if name.split(".")[0] in MACHINERY:
                offenders.append(f"{module} imports {name}")
    assert not offenders, offenders


def test_importing_every_notebook_helper_loads_no_machinery():
    code = ("import sys, lab_utils\n"
            "for name in lab_utils.__all__: getattr(lab_utils, name)\n"
            f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({LOADED_MACHINERY!r})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]", result.stdout


def test_no_import_cycle():
    modules = _modules()
    graph = {m: {n for n in _imports(m, p) if n in modules and n != m} for m, p in modules.items()}
    cycles, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for target in graph[node]:
            if state.get(target) == "open":
                cycles.append(stack[stack.index(target):] + [target])
            elif target not in state:
                visit(target)
        stack.pop()
        state[node] = "done"

    for module in graph:
        if module not in state:
            visit(module)
    assert not cycles, " / ".join(" → ".join(c) for c in cycles)


def _error_classes() -> list[type]:
    classes = []
    for module in _modules():
        if module.endswith("proxy"):
            continue
        loaded = importlib.import_module(module)
        for _, value in inspect.getmembers(loaded, inspect.isclass):
            if issubclass(value, BaseException) and value.__module__ == module:
                classes.append(value)
    return classes


def test_every_error_of_the_lab_is_a_lab_error():
    from lab_utils.errors import LabError

    classes = _error_classes()
    assert len(classes) >= 8, classes
    # Checkpoints and exercise checks are assertions: a notebook cell fails on them, as it should.
    stray = [c.__qualname__ for c in classes if not issubclass(c, (LabError, AssertionError))]
    assert not stray, f"errors outside LabError: {stray}"


def test_the_cli_prints_a_lab_error_as_one_line_and_keeps_the_traceback_of_the_unexpected(monkeypatch):
    from click.testing import CliRunner

    from lab_stack import cli, stack
    from lab_utils.errors import LabError

    def refuse(*_args, **_kwargs):
        raise LabError("the lab refuses: do this instead")

    monkeypatch.setattr(stack, "status", refuse)
    result = CliRunner().invoke(cli.main, ["status"])
    assert result.exit_code == 1
    assert result.output.strip() == "lab status: the lab refuses: do this instead"

    def crash(*_args, **_kwargs):
        raise KeyError("a bug")

    monkeypatch.setattr(stack, "status", crash)
    result = CliRunner().invoke(cli.main, ["status"])
    assert isinstance(result.exception, KeyError), result.output


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_what_it_is(package):
    doc = importlib.import_module(package).__doc__ or ""
    assert len(doc.split()) > 8, f"{package} has no docstring that says what it holds"


def test_lab_utils_stays_small():
    lines = sum(len(p.read_text().splitlines()) for p in (ROOT / "lab_utils").glob("*.py"))
    # A ratchet: 1,235 until a workshop learner's own Prefect (lab_stack.own_prefect) needed the
    # doctor to start it, and connect() turned tqdm's bars off; 1,241 until the Portuguese edition
    # printed numbers as Brazilians read them (i18n.format_number) and each checkpoint's message
    # got its own article. The graders (lab_utils/grading/) and lesson 11's app (lab_utils/genai/)
    # are packages of their own, not counted here. 1,279 until Spark's JVMs took the lab's options
    # for small jobs (lab_utils/spark_conf).
    assert lines <= 1281, f"lab_utils has {lines} lines: machinery belongs in lab_stack"


def test_test_and_benchmark_labs_listen_below_the_kernels_client_ports():
    """Above 32767 the kernel hands out client ports (net.ipv4.ip_local_port_range): a lab's port
    there can be taken by chance. The object store derives ports up to its S3 port + 10004."""
    import re

    from lab_stack.config import HIGHEST_DERIVED_S3_PORT

    setting = re.compile(r'"(LAB_[A-Z0-9_]*PORT)":\s*"(\d+)"')
    too_high = []
    for path in sorted([*ROOT.glob("tests/*.py"), *ROOT.glob("benchmarks/*.py")]):
        for name, value in setting.findall(path.read_text()):
            highest = int(value) + (HIGHEST_DERIVED_S3_PORT if name == "LAB_S3_PORT" else 0)
            if 32767 < highest <= 65535:  # above 65535: a setting the lab refuses, on purpose
                too_high.append(f"{path.relative_to(ROOT)}: {name}={value} (highest port {highest})")
    from conftest import TEST_LAB  # this run's own test lab

    s3 = int(TEST_LAB["LAB_S3_PORT"]) + HIGHEST_DERIVED_S3_PORT
    ports = [int(v) for k, v in TEST_LAB.items() if k.endswith("_PORT")] + [s3]
    too_high += [f"tests/conftest.py: the test lab's port {port}" for port in ports if port > 32767]
    assert not too_high, "\n".join(too_high)
