"""Running a lesson notebook end to end (papermill), as CI and `make notebooks` do."""

from __future__ import annotations

import os
import re
from contextlib import contextmanager
from pathlib import Path

import nbformat
import papermill
from papermill.execute import remove_error_markers
from tenacity import retry, retry_if_exception, stop_after_attempt

EXPECTED_ERROR_TAG = "raises-exception"
# A cell that must raise names what: `raises:MlflowException` beside `raises-exception`.
EXPECTED_NAME_PREFIX = "raises:"
# MLflow state a parent process may carry (`mlflow.set_experiment` exports the experiment id
# so that child processes inherit it): a lesson starts as in a fresh kernel, without it.
INHERITED_MLFLOW_STATE = ("MLFLOW_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_RUN_ID")


def lesson_environment(language: str = "en") -> dict[str, str]:
    """The environment a lesson's kernel gets: this process's, less inherited MLflow state, with
    lab_utils speaking `language` (LAB_LANG: `en`, or `pt_BR` for the Portuguese edition)."""
    environment = {k: v for k, v in os.environ.items() if k not in INHERITED_MLFLOW_STATE}
    return {**environment, "LAB_LANG": language}


@contextmanager
def kernel_environment(**settings: str | None):
    """Inside the block, this process's environment (which the kernels papermill starts inherit)
    has `settings` (None: unset), as it was after it: `kernel_environment(LAB_LANG="pt_BR",
    LAB_REQUIRE_EXERCISES=None)` is a learner's untouched Portuguese pass."""
    saved = {name: os.environ.get(name) for name in settings}
    try:
        for name, value in settings.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _fresh_mlflow_state():
    saved = {k: os.environ.pop(k) for k in INHERITED_MLFLOW_STATE if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


class ProcessWatch:
    """What a block of code leaves running, found in the kernel's own process tree.

    While the watch is on, this process is the "child subreaper" of everything it starts
    (Linux's PR_SET_CHILD_SUBREAPER): a process orphaned by a lesson's kernel is re-parented
    here, not to init or to some other subreaper of the machine, so it cannot hide.
    """

    _PR_SET_CHILD_SUBREAPER = 36

    def __enter__(self) -> ProcessWatch:
        import threading

        import psutil

        self.before = {p.pid for p in psutil.Process().children(recursive=True)}
        self._subreaper(True)
        self._stopped = threading.Event()
        self._reaper = threading.Thread(target=self._reap_adopted, daemon=True)
        self._reaper.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stopped.set()
        self._reaper.join()
        self._subreaper(False)
        self._reap()

    def _reap_adopted(self) -> None:
        """Reap adopted orphans as they exit, as init would. Until reaped, a dead process is a
        zombie that still counts as a member of its process group: a lesson stopping a server's
        group would wait for it (20 s for each model server, before this). Only processes first
        seen as a grandchild are reaped here; this process's own children are its Popen
        objects' to wait for."""
        import psutil

        me = os.getpid()
        first_parent: dict[int, int] = {}  # each process of the machine: its parent when first seen
        below: set[int] = set()  # the processes first seen under this one
        while not self._stopped.wait(0.1):
            # Only a process not seen before is read for its parent, and only those below this
            # one again: reading every process of the machine ten times a second cost a pytest
            # worker ~5 % of a core.
            running = set(psutil.pids())
            for pid in sorted(running - first_parent.keys()):  # parents before their children
                try:
                    first_parent[pid] = psutil.Process(pid).ppid()
                except psutil.NoSuchProcess:
                    continue
                if first_parent[pid] == me or first_parent[pid] in below:
                    below.add(pid)
            for pid in first_parent.keys() - running:
                del first_parent[pid]
                below.discard(pid)
            for pid in below:
                if first_parent[pid] == me:
                    continue
                try:
                    process = psutil.Process(pid)
                    if process.ppid() == me and process.status() == psutil.STATUS_ZOMBIE:
                        os.waitpid(pid, os.WNOHANG)
                except (psutil.NoSuchProcess, ChildProcessError):
                    continue

    def _subreaper(self, on: bool) -> None:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(self._PR_SET_CHILD_SUBREAPER, int(on), 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_CHILD_SUBREAPER) failed")

    def _reap(self) -> None:
        """Collect adopted processes that have exited (else they stay as zombies)."""
        import psutil

        for child in psutil.Process().children():
            if child.pid not in self.before:
                try:
                    if child.status() == psutil.STATUS_ZOMBIE:
                        os.waitpid(child.pid, os.WNOHANG)
                except (psutil.NoSuchProcess, ChildProcessError):
                    pass

    def left_running(self, grace_s: float = 1.0) -> list[str]:
        """The command lines of processes started inside the block and still running."""
        import time

        import psutil

        time.sleep(grace_s)  # a process being stopped gets a moment to exit
        self._reap()
        stray = []
        for process in psutil.Process().children(recursive=True):
            try:
                if process.pid in self.before or process.status() == psutil.STATUS_ZOMBIE:
                    continue
                stray.append(" ".join(process.cmdline())[:200] or process.name())
            except psutil.NoSuchProcess:
                continue
        return stray


def _kernel_died_at_start(error: BaseException) -> bool:
    """jupyter_client picks a kernel's five TCP ports free, then the kernel binds them: when
    kernels start at once (a room's learners, two test workers), one may lose a port to
    another and die before its first reply. No cell has run then, so it is started again."""
    return isinstance(error, RuntimeError) and "Kernel died before replying to kernel_info" in str(error)


@retry(retry=retry_if_exception(_kernel_died_at_start), stop=stop_after_attempt(3), reraise=True)
def _papermill(source: Path, output: Path, parameters: dict, cwd: Path) -> None:
    papermill.execute_notebook(str(source), str(output), parameters=parameters, cwd=str(cwd),
                               kernel_name="python3", progress_bar=False)


class LessonFailed(AssertionError):
    """A lesson raised where it should not, or did not raise where it should."""


def execute_lesson(source: Path, output: Path, parameters: dict | None = None, cwd: Path | None = None):
    """Execute a notebook with papermill and return the executed notebook.

    Cells tagged `raises-exception` must raise the exception their `raises:<Name>` tag names
    (they show an error on purpose: a typo's NameError does not count); any other error
    fails the lesson, naming the cell. Papermill itself treats every error output as
    a failure, so its verdict is re-checked here against the tags.
    """
    try:
        with _fresh_mlflow_state():
            _papermill(source, output, parameters or {}, cwd or source.parent)
    except papermill.PapermillExecutionError:
        pass
    executed = remove_error_markers(nbformat.read(output, as_version=4))
    for cell in executed.cells:
        if cell.cell_type != "code":
            continue
        errors = [o for o in cell.outputs if o.output_type == "error"]
        expected = EXPECTED_ERROR_TAG in cell.metadata.get("tags", [])
        if errors and not expected:
            error = errors[0]
            raise LessonFailed(f"{source.name} failed in cell [{cell.execution_count}]: "
                               f"{error.ename}: {error.evalue}\n--- cell source ---\n{cell.source}")
        if expected and not errors and cell.execution_count is not None:
            raise LessonFailed(f"{source.name}: cell [{cell.execution_count}] should raise and did not:\n"
                               f"{cell.source}")
        named = [t.removeprefix(EXPECTED_NAME_PREFIX) for t in cell.metadata.get("tags", [])
                 if t.startswith(EXPECTED_NAME_PREFIX)]
        if expected and errors and named and errors[0].ename not in named:
            raise LessonFailed(f"{source.name}: cell [{cell.execution_count}] should raise {' or '.join(named)}, "
                               f"raised {errors[0].ename}: {errors[0].evalue}\n--- cell source ---\n{cell.source}")
    unexecuted = [c for c in executed.cells if c.cell_type == "code" and c.execution_count is None]
    if unexecuted:
        raise LessonFailed(f"{source.name}: {len(unexecuted)} cell(s) never ran (the kernel stopped early?)")
    nbformat.write(executed, output)
    return executed


# --- A learners' pass compared with the outputs stored in notebooks/ ---
#
# What a learner reads in notebooks/ is what their own untouched pass prints (STYLE.md). A fresh
# pass cannot print the same ids, times or numbers, so both sides are masked first, then compared
# cell by cell. The masks, in the order they apply (each one says what it hides and why):
OUTPUT_MASKS: tuple[tuple[str, re.Pattern, str], ...] = tuple(
    (why, re.compile(pattern), replacement) for why, pattern, replacement in (
        ("terminal colours (IPython's tracebacks, rich)", r"\x1b\[[0-9;?]*[A-Za-z]", ""),
        ("a lab's home: `.lab` on a learner's machine, `.lab-test-…` on the test lab", r"\.lab(?:-[\w-]+)?\b", ".lab"),
        ("the host of an address (`localhost`, `127.0.0.1`; the port is a number)",
         r"\b(?:localhost|127\.0\.0\.1|0\.0\.0\.0)\b", "<host>"),
        ("UUIDs (Prefect's flow and task runs, deployments)",
         r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "<uuid>"),
        ("a logged model's id (`m-` and 32 hex digits)", r"\bm-[0-9a-f]{32}\b", "<model>"),
        ("run ids, digests and hashes: 7 or more hex digits, at least one a digit (the same mark as a "
         "number: a digest may happen to be all digits)", r"\b(?=[0-9a-f]*\d)[0-9a-f]{7,}\b", "#"),
        ("a run id shortened by lab_utils (`b4f2f500…`, `bbecbbff…`: 8 hex letters may hold no digit)", r"\b[0-9a-f]{6,}…", "#…"),
        ("a logged model's id cut short in a printed URI (`models:/m-2f…`)", r"\bm-[0-9a-f]*…", "m-#…"),
        ("Prefect's generated names of flow and deployment runs (`crimson-lemur`), after the words "
         "that introduce them in either edition",
         r"\b((?:[Ff]low run|deployment run|execução de fluxo|implantação) '?)[a-z]+-[a-z]+\b", r"\1<name>"),
        ("durations: a number and its unit (`850 ms` on one pass is `1.2 s` on another)",
         r"\d+(?:[.,]\d+)?\s?(?:ms|µs|us|s|sec|secs|seconds?|segundos?|min|minutes?|minutos?|h)\b", "<duration>"),
        ("numbers: counts, metrics, versions, ports, dates and times (a pass on another lab has others)",
         r"(?:(?<![\w-])-)?\d+(?:[.,_]\d+)*(?:[eE][-+]?\d+)?", "#"),
        ("spacing: a table's columns widen with their numbers", r"[ \t]+", " "),
        ("a list of the bucket's experiment folders (lesson 09): how many follows the lessons run "
         "before on that lab", r"\['#/'(?:, '#/')*\]", "['#/', …]"),
        ("the one-line summaries the lab's MLflow Project scripts print from a child process "
         "(projects/house_prices): ipykernel forwards a child's output from a thread, and a pass "
         "shows it or not, in either edition's words",
         r"(?m)^(?:alpha=# l#_ratio=#: (?:validation rmse|RMSE de validação) #|"
         r"(?:validation rmse|RMSE de validação) # (?:<=|>) #: \w+)\n?", ""),
    ))


def mask_output(text: str) -> str:
    """`text` with ids, times and numbers masked (OUTPUT_MASKS), line ends stripped."""
    for _why, pattern, replacement in OUTPUT_MASKS:
        text = pattern.sub(replacement, text)
    return "\n".join(line.rstrip() for line in text.strip("\n").splitlines())


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def output_view(cell) -> list[tuple[str, str]]:
    """What a code cell shows, masked, as (kind, text) pairs: its stdout (joined across the chunks
    a kernel happened to flush), then each rich output by MIME type (text masked; images and
    other binary types by presence, not bytes), then its error, by name and message (the frames
    of a traceback are the library's, not the lesson's). Not stderr: what libraries log there
    (Spark's JVM, Prefect's loggers, a warning MLflow gives when a busy machine slows its
    requirement inference) depends on the machine's load, not on the lesson; the repository
    test reads it for paths, ports and repeated warnings instead."""
    streams = {"stdout": "", "stderr": ""}
    rich, errors = [], []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            streams[output.get("name", "stdout")] += _text(output.get("text", ""))
        elif kind in ("display_data", "execute_result"):
            for mime, value in sorted(output.get("data", {}).items()):
                textual = mime.startswith("text/") or mime.endswith("json")
                rich.append((mime, mask_output(_text(value)) if textual and mime != "text/html" else "<present>"))
                if mime == "text/html":
                    rich[-1] = (mime, mask_output(re.sub(r"<[^>]+>", " ", _text(value))))
        elif kind == "error":
            errors.append(("error", f"{output.get('ename')}: {mask_output(output.get('evalue', ''))}"))
    view = [("stdout", masked)] if (masked := mask_output(streams["stdout"])) else []
    return view + rich + errors


IGNORE_OUTPUT_TAG = "nbval-ignore-output"


def compare_outputs(stored, got, name: str = "", limit: int = 12) -> list[str]:
    """The code cells (matched by id) whose masked outputs differ between `stored` (a notebook as
    committed) and `got` (the same notebook, executed), each as "cell <id>: stored … / got …"."""
    import difflib

    ran = {c.get("id"): c for c in got.cells
           if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])}
    differences = []
    for cell in stored.cells:
        # A cell tagged `nbval-ignore-output` (nbval's own name for it) shows what depends on the
        # moment, such as which requests happened to be slowest: it must run, but is not compared.
        if cell.cell_type != "code" or IGNORE_OUTPUT_TAG in cell.metadata.get("tags", []):
            continue
        if cell.get("id") not in ran:
            differences.append(f"{name} cell {cell.get('id')}: not in the executed notebook")
            continue
        before, after = output_view(cell), output_view(ran[cell.get("id")])
        if before == after:
            continue
        first_line = cell.source.strip().splitlines()[0][:80] if cell.source.strip() else ""
        lines = ["\n".join(f"[{kind}] {line}" for line in text.splitlines()) for kind, text in before]
        new = ["\n".join(f"[{kind}] {line}" for line in text.splitlines()) for kind, text in after]
        diff = difflib.unified_diff("\n".join(lines).splitlines(), "\n".join(new).splitlines(),
                                    "stored", "got", lineterm="", n=1)
        differences.append(f"{name} cell {cell.get('id')} ({first_line}):\n  " + "\n  ".join(list(diff)[2:40]))
    if len(differences) > limit:
        differences = differences[:limit] + [f"… and {len(differences) - limit} more cell(s)"]
    return differences
