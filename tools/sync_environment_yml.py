"""Write environment.yml (for conda users) from requirements.lock, so both hold the same pins.

    python tools/sync_environment_yml.py          # rewrite environment.yml
    python tools/sync_environment_yml.py --check  # exit 1 when it differs from the lock
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def render() -> str:
    pins = [line.strip() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if line.strip() and not line.lstrip().startswith("#")]
    lines = [
        "# Generated from requirements.lock by tools/sync_environment_yml.py: do not edit by hand.",
        "name: mlflow-lab",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
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
