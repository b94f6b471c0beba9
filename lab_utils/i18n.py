"""What lab_utils says, in the learner's language (LAB_LANG, else the locale): gettext, catalogue in
lab_utils/locale/. Messages are English in the code, placeholders named: `_("… {port}").format(port=…)`;
after changing one, update the catalogue and translate what `pybabel update` marks:

    pybabel extract -k N_ -o build/dataflow_lab.pot lab_utils lab_stack/health.py lab_stack/own_prefect.py
    pybabel update -D dataflow_lab -i build/dataflow_lab.pot -d lab_utils/locale -l pt_BR
    pybabel compile -D dataflow_lab -d lab_utils/locale -l pt_BR
"""

from __future__ import annotations

import gettext
import os
from functools import cache
from pathlib import Path

DOMAIN = "dataflow_lab"
LOCALE_DIR = Path(__file__).with_name("locale")
PORTUGUESE, ENGLISH = "pt_BR", "en"


def language() -> str:
    """`pt_BR` or `en`: LAB_LANG (`pt_BR`, `pt-BR`, `pt`; else English), unset the locale variables
    as gettext reads them; read each time (a test may change it)."""
    setting = os.environ.get("LAB_LANG")
    if setting:
        return PORTUGUESE if setting.strip().replace("-", "_").lower() in ("pt_br", "pt") else ENGLISH
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        if os.environ.get(variable):
            first = os.environ[variable].split(":")[0]  # LANGUAGE may list several
            return PORTUGUESE if first.split(".")[0].split("_")[0].lower() == "pt" else ENGLISH
    return ENGLISH


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def _(message: str) -> str:
    """`message` in the learner's language (as written when the catalogue lacks it)."""
    return _catalogue(language()).gettext(message)


def N_(message: str) -> str:
    """Marks a name for the catalogue; it is translated where it is shown, with `_(name)`."""
    return message
