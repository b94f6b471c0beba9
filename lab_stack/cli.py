"""The `lab` command: bring the lab up and down, look at it, diagnose it."""

from __future__ import annotations

import os
import sys

import click

from lab_utils.errors import LabError

from . import stack
from .config import load_config
from .secrets import WORKSHOP_ADMIN, server_environment


def _fail(message: str) -> None:
    click.secho(message, fg="red", err=True)
    sys.exit(1)


class _LabCommands(click.Group):
    """The lab's own errors (bad settings, a service that will not start) print as one line."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except LabError as error:
            _fail(f"lab {ctx.invoked_subcommand or ''}: {error}".replace(" :", ":"))


@click.group(cls=_LabCommands)
def main() -> None:
    """The DataFlow Lab's MLflow stack: object store, MLflow, Prefect, JupyterLab, Spark."""


def _print_status(rows: list[dict]) -> None:
    for row in rows:
        mark = "✓" if row["healthy"] else ("·" if row["optional"] and row["state"] == "STOPPED" else "✗")
        click.echo(f"{mark} {row['service']:<13} {row['state']:<9} {row['url']}")


@main.command()
@click.option("--jupyter", is_flag=True, help="Also start JupyterLab.")
@click.option("--workshop", is_flag=True,
              help="A lab for a room: PostgreSQL, accounts (basic auth), a workspace per learner.")
def up(jupyter: bool, workshop: bool) -> None:
    """Start the lab; returns when every service is healthy (safe to run again)."""
    config = load_config(workshop=True if workshop else None)
    groups = ("core", "jupyter") if jupyter else ("core",)
    stack.up(config, groups)
    click.echo(f"Lab up (LAB_HOME={config.home}):")
    _print_status([r for r in stack.status(config) if r["service"] not in ("spark-master", "spark-worker")
                   or r["state"] != "STOPPED"])
    if not config.workshop and not stack.is_loopback_host(config.host):
        click.secho(f"\nLAB_EXPOSE=1: reachable by anyone on the network at {config.host}, without sign-in: "
                    f"MLflow :{config.mlflow_port}, Prefect :{config.prefect_port}, S3 :{config.s3_port} (keys)"
                    f"{f', JupyterLab :{config.jupyter_port} (token)' if jupyter else ''}.", fg="yellow")
    if jupyter:
        from .services.jupyterlab import jupyter_token

        token = jupyter_token(config)
        click.echo(f"\nJupyterLab: {config.jupyter_url}?token={token}   (lessons in notebooks/)")
        click.echo(f"Em português: {config.jupyter_url}/tree/notebooks/pt-BR?token={token}   "
                   "(as lições em notebooks/pt-BR/)")
    click.echo(f"MLflow UI:  {config.tracking_uri}\n"
               + ("" if config.workshop else f"Prefect UI: {config.prefect_ui_url}\n")
               + f"S3:         {config.s3_endpoint_url} (bucket {config.bucket})")
    if config.workshop:
        # The password is not printed: start-up output ends up on projected screens and in logs.
        click.echo(f"\nWorkshop lab: sign in to the MLflow UI as {WORKSHOP_ADMIN}; the password is in "
                   f"{config.secrets_dir / 'mlflow-admin-password'}\n"
                   "Add learners with `lab users import roster.csv`; give each the output of "
                   "`lab users env NAME`.")


@main.command()
def down() -> None:
    """Stop every service of the lab (its data stays under LAB_HOME)."""
    config = load_config()
    if stack.down(config):
        click.echo(f"Lab stopped; data kept in {config.home}.")
    else:
        click.echo(f"The lab at {config.home} was not running.")


@main.command()
def status() -> None:
    """Each service, its URL, and whether it is healthy."""
    config = load_config()
    rows = stack.status(config)
    _print_status(rows)
    if any(r["state"] == "UNSUPERVISED" for r in rows):
        click.echo("supervisord is not running, but services of this lab are (it crashed or was killed): "
                   "`lab down` stops them, `lab up` starts the lab again under supervision.")
    workers_died = False
    if config.workshop:  # uvicorn replaces a dead worker at once: only its log tells
        from lab_utils.doctor import CheckFailed

        from .health import check_mlflow_workers

        try:
            check_mlflow_workers(config)
        except CheckFailed as failure:
            workers_died = True
            click.echo(f"✗ {'mlflow':<13} {failure.detail} ({failure.fix})")
    if workers_died or not all(r["healthy"] for r in rows if not r["optional"]):
        sys.exit(1)


@main.command()
@click.argument("service")
@click.option("-n", "--lines", default=40, show_default=True)
def logs(service: str, lines: int) -> None:
    """The last lines of a service's log (objectstore, mlflow, prefect, jupyterlab, spark-master, ...)."""
    click.echo(stack.log_tail(load_config(), service, lines))


@main.command()
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def reset(yes: bool) -> None:
    """Stop the lab and DELETE everything under LAB_HOME: runs, models, artifacts, keys."""
    config = load_config()
    if not yes:
        click.confirm(f"Delete {config.home} and every run, model and artifact in it?", abort=True)
    stack.reset(config)
    click.echo(f"Deleted {config.home}.")


@main.command()
def env() -> None:
    """Print `export` lines for a shell: eval "$(lab env)"."""
    import shlex

    from .services import BIN

    for name, value in server_environment(load_config()).items():
        click.echo(f"export {name}={shlex.quote(value)}")
    # Commands the lessons run from a shell (`mlflow models serve` needs uvicorn) are the lab's.
    click.echo(f'export PATH={shlex.quote(str(BIN))}:"$PATH"')


@main.command()
def doctor() -> None:
    """Check the lab the way a notebook sees it; print the fix for anything broken."""
    from lab_utils.doctor import run_checks

    config = load_config()
    from .health import local_checks

    # On a workshop's server, the checks sign in as its admin.
    for name, value in server_environment(config).items():
        if name.startswith(("MLFLOW_TRACKING_", "PREFECT_API_AUTH")):
            os.environ.setdefault(name, value)
    results = run_checks(config, extra=local_checks(config))
    for result in results:
        click.echo(result.line())
    if not all(r.ok for r in results):
        sys.exit(1)


@main.command("export")
@click.argument("archive", type=click.Path(dir_okay=False))
def export_(archive: str) -> None:
    """Back up the running lab (metadata and artifacts) into a .tar.gz archive."""
    from pathlib import Path

    from .backup import export_lab

    manifest = export_lab(load_config(), Path(archive))
    click.echo(f"Exported the {manifest['mode']} lab to {archive}: metadata and {manifest['objects']} "
               "object(s). It holds credentials: keep it private.")


@main.command("import")
@click.argument("archive", type=click.Path(exists=True, dir_okay=False))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def import_(archive: str, yes: bool) -> None:
    """Restore an export into the running lab, replacing its runs, models and accounts."""
    from pathlib import Path

    from .backup import import_lab

    config = load_config()
    if not yes:
        click.confirm(f"Replace every run and model of the lab at {config.home} with {archive}?", abort=True)
    manifest = import_lab(config, Path(archive))
    click.echo(f"Imported {archive} (exported {manifest['created']}): metadata and {manifest['objects']} object(s).")


@main.group()
def users() -> None:
    """Learner accounts of a workshop lab (`lab up --workshop`)."""


def _add_learners(names: list[str]) -> None:
    from .workshop import add_learners

    config = load_config()
    try:
        new = add_learners(config, names)
    except LabError:
        raise
    except Exception as error:  # the server's refusal, or no server at all
        _fail(f"lab users: {error}\nIs the workshop lab up? `lab status` tells.")
    for name in names:
        click.echo(f"{'+' if name in new else '='} {name}{'' if name in new else ' (already there)'}")
    click.echo(f"{len(new)} learner(s) added; passwords in {config.secrets_dir / 'learners.json'}.")


@users.command("add")
@click.argument("names", nargs=-1, required=True)
def users_add(names: tuple[str, ...]) -> None:
    """Create learner accounts (and a workspace for each)."""
    _add_learners(list(names))


@users.command("import")
@click.argument("roster", type=click.Path(exists=True, dir_okay=False))
def users_import(roster: str) -> None:
    """Create an account per row of a CSV roster with a `name` column."""
    from pathlib import Path

    from .workshop import read_roster

    _add_learners(read_roster(Path(roster)))


@users.command("list")
def users_list() -> None:
    """The learners of this workshop lab."""
    from .workshop import learners

    for name in sorted(learners(load_config())):
        click.echo(name)


@users.command("progress")
@click.option("--watch", "interval", type=click.FloatRange(min=1), is_flag=False, flag_value=10.0, default=None,
              metavar="[SECONDS]", help="Redraw the table every SECONDS (10 if not given) until Ctrl-C.")
def users_progress(interval: float | None) -> None:
    """Which lessons each learner has done, read from their workspaces on the server."""
    import time

    from .progress import progress_table, read_progress

    config = load_config()
    # A server that stops answering is reported at once, not after MLflow's minutes of retries.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "10")
    if interval is None:
        click.echo(progress_table(read_progress(config)))
        return
    try:
        while True:
            table = progress_table(read_progress(config))  # read first: the old table stays up meanwhile
            click.clear()
            click.echo(f"{table}\n\n{time.strftime('%H:%M:%S')} · every {interval:g} s · Ctrl-C ends")
            time.sleep(interval)
    except KeyboardInterrupt:
        click.echo()


# The first line of an env file `lab users env -o` writes: it overwrites only a file that starts so.
ENV_FILE_MARK = "# lab users env "


@users.command("env")
@click.argument("name")
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None,
              help="Write the lines into this file, readable by you only (0600), instead of printing them.")
def users_env(name: str, output: str | None) -> None:
    """The `export` lines a learner loads: `lab users env NAME -o NAME.env`, then `source NAME.env`."""
    import shlex
    from pathlib import Path

    from .secrets import write_private
    from .workshop import learner_environment

    environment = learner_environment(load_config(), name)
    lines = [f"export {key}={shlex.quote(value)}" for key, value in environment.items()]
    if output is None:
        click.echo("\n".join(lines))
        return
    path = Path(output)
    if path.exists() or path.is_symlink():
        try:
            ours = path.is_file() and not path.is_symlink() and path.read_text().startswith(ENV_FILE_MARK)
        except (OSError, UnicodeDecodeError):
            ours = False
        if not ours:
            _fail(f"lab users env: {output} exists and is not an env file this command wrote: "
                  "nothing written. Choose another name, or move that file away first.")
    # It holds the learner's password, the read keys and Prefect's string: readable by its owner only.
    write_private(path, "\n".join([f"{ENV_FILE_MARK}{name}: the learner's secrets, keep it private (0600)",
                                   *lines, ""]))
    click.echo(f"Wrote {output} (readable by you only): give it to {name} privately; they run `source {path.name}`.")


@users.command("usage")
def users_usage() -> None:
    """Who is using what: runs, metric values and artifact MB per learner."""
    from .progress import read_usage, usage_table

    click.echo(usage_table(read_usage(load_config())))


@main.group()
def spark() -> None:
    """A Spark standalone cluster (one master, one worker) for lesson 03."""


@spark.command("up")
def spark_up() -> None:
    """Start the Spark master and worker; returns when the worker has joined."""
    config = load_config()
    stack.up(config, ("core", "spark"))
    click.echo(f"Spark master {config.spark_master_url} (UI {config.spark_ui_url})")


@spark.command("down")
def spark_down() -> None:
    """Stop the Spark master and worker."""
    stack.stop_group(load_config(), "spark")
    click.echo("Spark cluster stopped.")


if __name__ == "__main__":
    main()
