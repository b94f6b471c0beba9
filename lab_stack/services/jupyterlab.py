"""JupyterLab, where the lessons run: started by `make lab` (`lab up --jupyter`)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

from lab_utils.config import LOOPBACK, REPO_ROOT

from ..config import StackConfig
from ..secrets import private_secret, server_environment
from .service import BIN, Service, http_ok

JUPYTERLAB_SETTINGS = REPO_ROOT / "lab_stack" / "jupyterlab_settings"
# JupyterLab's own menus in Portuguese (jupyterlab-language-pack-pt-BR, in the lock) when the
# learner chose Portuguese, LAB_LANG=pt_BR (or a Portuguese locale) at `lab up --jupyter`.
TRANSLATION_PLUGIN = "@jupyterlab/translation-extension:plugin"


def settings_dir(config: StackConfig) -> Path:
    """The lab's overrides.json (lab_stack/jupyterlab_settings/) with the learner's language,
    written under LAB_HOME at each start: JupyterLab reads its defaults from there."""
    from lab_utils.i18n import PORTUGUESE, language

    overrides = json.loads((JUPYTERLAB_SETTINGS / "overrides.json").read_text())
    if language() == PORTUGUESE:
        overrides[TRANSLATION_PLUGIN] = {"locale": "pt_BR"}
    folder = config.home / "jupyterlab-settings"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "overrides.json").write_text(json.dumps(overrides, indent=2) + "\n")
    return folder


def jupyter_host(config: StackConfig) -> str:
    """A workshop's JupyterLab is the instructor's, on the server: loopback, never the room."""
    return LOOPBACK if config.workshop else config.host


def jupyter_token(config: StackConfig) -> str:
    """The JupyterLab token, generated once and kept under LAB_HOME (owner-only)."""
    return private_secret(config, "jupyter-token", lambda: secrets.token_hex(24))


def jupyterlab_service(config: StackConfig) -> Service:
    return Service(
        name="jupyterlab",
        command=[
            str(BIN / "jupyter-lab"), "--no-browser",
            f"--ip={jupyter_host(config)}", f"--port={config.jupyter_port}",
            f"--ServerApp.root_dir={REPO_ROOT}",
            "--ServerApp.default_url=/lab/tree/notebooks",
            # The lab's defaults for JupyterLab's settings (overrides.json): no "Jupyter news"
            # prompt, and no request for news, on a lab that may well be offline; the language.
            f"--LabApp.app_settings_dir={settings_dir(config)}",
            # JupyterLab refuses to run as root (containers, CI machines) unless told to.
            *(["--allow-root"] if os.geteuid() == 0 else []),
        ],
        url=config.jupyter_url,
        health=lambda c: http_ok(f"http://{jupyter_host(c)}:{c.jupyter_port}/api", "version"),
        ports=(config.jupyter_port,),
        port_variable="LAB_JUPYTER_PORT",
        host=jupyter_host(config),
        environment={
            # The token is kept: JupyterLab runs code, so it is never left open.
            "JUPYTER_TOKEN": jupyter_token(config),
            **server_environment(config),
        },
        autostart=False,
        group="jupyter",
    )
