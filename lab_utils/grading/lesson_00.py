"""Lesson 00's exercise: a first run, read back from the server."""

from __future__ import annotations

from ..i18n import _
from . import as_number, fail, get_run, passed, require_experiment, require_run_name

# What a hint's placeholder, copied as written, leaves in the tag instead of a name.
PLACEHOLDERS = {"your name", "your_name", "<your name>", "name", "owner", "seu nome", "seu_nome", "<seu nome>",
                "nome"}


def check_exercise_1(my_run_id: object) -> None:
    """Exercise 1: a run named `my_first_run` in experiment `lab_tour`, tag `owner`, metric `coffee_cups`.

    Accepts any route that leaves that run (fluent, `MlflowClient.create_run`/`log_metric`, the
    REST API), names compared without case, the metric as any number, a re-run (the id handed
    over decides). Refuses: not a run id (a `Run`, `None`), another run name or experiment, an
    empty `owner` or a placeholder copied as written ("…", "your name"), no `coffee_cups`.
    """
    run = get_run(my_run_id)
    require_run_name(run, "my_first_run")
    require_experiment(run, "lab_tour")
    owner = run.data.tags.get("owner", "")
    if not owner.strip():
        fail(_("the run has no tag 'owner' with your name: mlflow.set_tag(\"owner\", \"…\") inside the run"))
    if not owner.strip(" .…<>\"'") or owner.strip().casefold() in PLACEHOLDERS:
        fail(_("the run's tag 'owner' is {got!r}, a placeholder: put your own name in it, "
               "e.g. mlflow.set_tag(\"owner\", \"Ada\")").format(got=owner))
    if "coffee_cups" not in run.data.metrics or as_number(run.data.metrics["coffee_cups"]) is None:
        fail(_("the run has no metric 'coffee_cups': mlflow.log_metric(\"coffee_cups\", …) inside the run"))
    passed(_("Exercise 1: run my_first_run of {owner} is on the server with {cups:g} coffee cups")
           .format(owner=owner.strip(), cups=run.data.metrics["coffee_cups"]))
