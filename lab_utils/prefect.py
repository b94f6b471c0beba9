"""Reading the lab's Prefect server back, and serving a deployment from a notebook."""

from __future__ import annotations

import sys
from pathlib import Path

from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterId
from prefect.client.schemas.sorting import FlowRunSort

from .config import load_config
from .i18n import _
from .processes import BackgroundProcess


def latest_flow_run(flow_name: str):
    """The most recent run of a flow that has started, as the Prefect server has it.

    Runs a schedule created for later have no start time yet: they are not "the latest".
    """
    from prefect.client.schemas.filters import FlowRunFilterStartTime

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_filter=FlowFilter(name=FlowFilterName(any_=[flow_name])),
                                     flow_run_filter=FlowRunFilter(start_time=FlowRunFilterStartTime(is_null_=False)),
                                     sort=FlowRunSort.START_TIME_DESC, limit=1)
    if not runs:
        raise LookupError(f"no run of flow {flow_name!r} on the Prefect server")
    return runs[0]


def flow_run_artifacts(flow_run_id: str) -> list:
    """The artifacts (links, markdown, tables) a flow run created."""
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

    with get_client(sync_client=True) as client:
        return client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))


def task_run_states(flow_run_id: str) -> dict[str, str]:
    """`{task name: state name}` for the task runs of a flow run (e.g. `Completed`, `Cached`)."""
    with get_client(sync_client=True) as client:
        task_runs = client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return {run.name.rsplit("-", 1)[0]: run.state.name for run in task_runs}


class DeploymentServer:
    """`python <script>` serving a deployment (`flow.serve`), until `stop()` or kernel exit."""

    def __init__(self, script: str | Path, deployment: str):
        self.deployment = deployment
        script = Path(script).resolve()
        self.process = BackgroundProcess(
            [sys.executable, str(script)], load_config().logs_dir / f"deployment-{script.stem}.log",
            self._registered, f"the deployment server {script.name}",
            # The runner asks the server for due runs every 10 s by default; a run triggered
            # from the notebook should not wait that long to start.
            environment={"PREFECT_RUNNER_POLL_FREQUENCY": "1"})

    def _registered(self) -> bool:
        with get_client(sync_client=True) as client:
            try:
                deployment = client.read_deployment_by_name(self.deployment)
            except Exception:
                return False
            # Served deployments report READY once the serving process polls for work.
            return getattr(deployment.status, "value", deployment.status) == "READY"

    def start(self, timeout: float = 120) -> DeploymentServer:
        self.process.start(timeout)
        print(_("serving deployment {deployment}").format(deployment=self.deployment))
        return self

    def stop(self) -> None:
        self.process.stop()
        print(_("deployment server stopped (running: {running})").format(
            running=_("True") if self.process.running else _("False")))
