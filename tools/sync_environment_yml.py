"""Write environment.yml (for conda users) from requirements.lock, so both hold the same pins.

    python tools/sync_environment_yml.py          # rewrite environment.yml
    python tools/sync_environment_yml.py --check  # exit 1 when it differs from the lock

The lock serves every supported Python on Linux and macOS, with environment markers where
a pin differs. A conda environment has one Python (CONDA_PYTHON), so each marker is
evaluated for it on every platform the lab runs on: a pin that holds everywhere is written
plain, one that holds nowhere is left out, and one that holds on some platforms only gets
a marker naming them, which pip evaluates when conda hands it the list.
"""

import sys
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
CONDA_PYTHON = "3.11"
PLATFORMS = {
    "linux-x86_64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    "linux-aarch64": {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
}


def _environment(platform: dict[str, str]) -> dict[str, str]:
    return {**platform, "os_name": "posix", "python_version": CONDA_PYTHON,
            "python_full_version": f"{CONDA_PYTHON}.0", "implementation_name": "cpython",
            "platform_python_implementation": "CPython"}


def conda_pins(lock_text: str) -> list[str]:
    """The lock's pins as the conda environment's pip installs them."""
    pins = []
    for line in lock_text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        requirement = Requirement(line)
        pin = f"{requirement.name}{requirement.specifier}"
        if requirement.marker is None:
            pins.append(pin)
            continue
        where = [name for name, p in PLATFORMS.items() if requirement.marker.evaluate(_environment(p))]
        if len(where) == len(PLATFORMS):
            pins.append(pin)
        elif where:
            pins.append(f"{pin}; {_platform_marker(where)}")
    return pins


def _platform_marker(names: list[str]) -> str:
    """A marker that holds on these platforms of PLATFORMS and on no other of them."""
    systems = sorted({PLATFORMS[n]["sys_platform"] for n in names})
    if all(n in names for n, p in PLATFORMS.items() if p["sys_platform"] in systems):
        return " or ".join(f'sys_platform == "{s}"' for s in systems)
    return " or ".join(f'(sys_platform == "{PLATFORMS[n]["sys_platform"]}" and '
                       f'platform_machine == "{PLATFORMS[n]["platform_machine"]}")' for n in names)


def render() -> str:
    pins = conda_pins((ROOT / "requirements.lock").read_text())
    lines = [
        "# Generated from requirements.lock by tools/sync_environment_yml.py: do not edit by hand.",
        "name: mlflow-lab",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        f"  - python={CONDA_PYTHON}",
        "  - pip",
        "  - openjdk=17",
        "  - pip:",
        *[f"      - {pin}" for pin in pins],
        "      - -e .",
    ]
    return "\n".join(lines) + "\n"


def main() -> int:
    target = ROOT / "environment.yml"
    if "--check" in sys.argv:
        if not target.exists() or target.read_text() != render():
            print("environment.yml differs from requirements.lock: run `make lock`")
            return 1
        return 0
    target.write_text(render())
    return 0


if __name__ == "__main__":
    sys.exit(main())
