"""What lab_utils says, in the learner's language (LAB_LANG, else the locale): gettext, catalogue in
lab_utils/locale/. Messages are English in the code, placeholders named: `_("… {port}").format(port=…)`;
after changing one, update the catalogue and translate what `pybabel update` marks:

    pybabel extract -k N_ -o build/dataflow_lab.pot lab_utils lab_stack/health.py lab_stack/own_prefect.py projects pipelines
    pybabel update -D dataflow_lab -i build/dataflow_lab.pot -d lab_utils/locale -l pt_BR
    pybabel compile -D dataflow_lab -d lab_utils/locale -l pt_BR
"""

from __future__ import annotations

import gettext
import numbers
import os
import string
from functools import cache
from pathlib import Path

DOMAIN = "dataflow_lab"
LOCALE_DIR = Path(__file__).with_name("locale")
PORTUGUESE, ENGLISH = "pt_BR", "en"
_BRAZILIAN = str.maketrans(",.", ".,")  # 18,673.5 → 18.673,5


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


class _Portuguese(str):
    """A Portuguese message: `.format` writes its numbers as Brazilians read them (18.673 CAD,
    0,99), except a value written as code (`alpha={alpha}` keeps `alpha=0.5`)."""

    def format(self, *args: object, **kwargs: object) -> str:
        formatter, parts = string.Formatter(), []
        for literal, field, spec, conversion in formatter.parse(self):
            parts.append(literal)
            if field is not None:
                value = formatter.convert_field(formatter.get_field(field, args, kwargs)[0], conversion)
                text = formatter.format_field(value, formatter.vformat(spec or "", args, kwargs))
                number = isinstance(value, numbers.Real) and not isinstance(value, bool)
                parts.append(text.translate(_BRAZILIAN) if number and not literal.endswith("=") else text)
        return "".join(parts)


def _(message: str) -> str:
    """`message` in the learner's language (as written when the catalogue lacks it)."""
    translated = _catalogue(language()).gettext(message)
    return _Portuguese(translated) if language() == PORTUGUESE else translated


def format_number(value: float, decimals: int = 0) -> str:
    """`value` rounded to `decimals` places, as the learner's language writes it: 18,673.5 in
    English, 18.673,5 in Portuguese (a lesson's printed CAD, seconds, scores)."""
    text = f"{value:,.{decimals}f}"
    return text.translate(_BRAZILIAN) if language() == PORTUGUESE else text


def N_(message: str) -> str:
    """Marks a name for the catalogue; it is translated where it is shown, with `_(name)`."""
    return message
