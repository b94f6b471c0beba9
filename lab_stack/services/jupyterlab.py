"""JupyterLab, where the lessons run: started by `make lab` (`lab up --jupyter`)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
from pathlib import Path

from lab_utils.config import LOOPBACK, REPO_ROOT

from ..config import StackConfig
from ..secrets import private_secret, server_environment
from .service import BIN, Service, http_ok

JUPYTERLAB_SETTINGS = REPO_ROOT / "lab_stack" / "jupyterlab_settings"
# JupyterLab's own menus in Portuguese (jupyterlab-language-pack-pt-BR, in the lock) for a learner
# who chose Portuguese (LAB_LANG=pt_BR, or a Portuguese locale) at `lab up --jupyter`. JupyterLab
# takes its language from the user's settings (jupyterlab_server's get_current_locale), not from a
# default, so the lab keeps user settings of its own under LAB_HOME (never ~/.jupyter).
TRANSLATION_SETTINGS = Path("@jupyterlab") / "translation-extension" / "plugin.jupyterlab-settings"


def settings_dirs(config: StackConfig) -> tuple[Path, Path]:
    """JupyterLab's app settings (the lab's overrides.json) and the lab's user settings, where the
    language is written when LAB_LANG chooses it, or at the first start (the locale then decides);
    a language picked later in JupyterLab's menu stays until LAB_LANG says otherwise."""
    from lab_utils.i18n import ENGLISH, PORTUGUESE, language

    user = config.home / "jupyterlab-user-settings"
    translation = user / TRANSLATION_SETTINGS
    if os.environ.get("LAB_LANG") or not translation.exists():
        translation.parent.mkdir(parents=True, exist_ok=True)
        locale = "pt_BR" if language() == PORTUGUESE else ENGLISH
        translation.write_text(json.dumps({"locale": locale}) + "\n")
    return JUPYTERLAB_SETTINGS, user


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
            *(f"--LabApp.{name}={folder}" for name, folder in zip(
                ("app_settings_dir", "user_settings_dir"), settings_dirs(config), strict=True)),
            # Its terminals: the user's shell, not a login shell (which jupyter_server starts when it has
            # no tty, as under supervisord): Debian's /etc/profile would reset PATH and drop the lab's
            # commands that the environment below puts on it (lesson 05's `mlflow models serve`).
            "--ServerApp.terminado_settings=" + json.dumps(
                {"shell_command": [os.environ.get("SHELL") or shutil.which("bash") or "/bin/sh"]}),
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
            # A JupyterLab terminal has the lab's commands (`mlflow models serve`, with its uvicorn;
            # `lab doctor`), as `eval "$(lab env)"` gives a shell: lessons 00, 05 and 09 use one.
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        },
        autostart=False,
        group="jupyter",
    )
