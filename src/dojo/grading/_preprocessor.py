"""nbgrader preprocessor that grades in a sandbox with checks run apart from the learner's code.

It takes the place of nbgrader's ``Execute`` in autograding (see
``nbgrader_config.py``). Every code cell runs in the learner's sandboxed
process, as a kernel would run it. After each check cell (restored from the
release by nbgrader, so edits to it count for nothing) the trusted checker
runs the cell's source itself, in this process, fetching the learner's names
as plain data, then runs the task's hidden checks. The check cell's outputs
are replaced by the checker's report and shaped so that nbgrader records the
checker's score: no error for full marks, the points as the cell's result for
partial credit, an error for zero.
"""

from __future__ import annotations

import io
import importlib.util
import json
import shutil
import tempfile
import warnings
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import asdict
from pathlib import Path
from typing import Any

import nbformat
from nbformat import NotebookNode
from nbgrader import utils
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Bool, Enum, Float, Integer, List, Unicode

from dojo.grading._checks import CheckResult, HiddenCheck, Task, explain, recording
from dojo.grading._learner import LearnerGone, LearnerNamespace, LearnerProcess
from dojo.grading._sandbox import Limits, SandboxSpec, SandboxUnavailable


class Learner:
    """What a hidden check receives: the learner's names as attributes, and a fresh cloud."""

    def __init__(self, process: LearnerProcess) -> None:
        self._process = process

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return self._process.lookup(name)

    def cloud(self, **settings: Any) -> Any:
        """A new ``dojo.cloud.LocalCloud`` in the learner's process (use it with ``with``)."""
        return self._process.cloud(**settings)


def load_hidden_checks(folder: Path) -> list[HiddenCheck]:
    """The hidden checks declared in ``folder/checks.py`` (none when there is no such file)."""
    path = folder / "checks.py"
    if not path.is_file():
        return []
    spec = importlib.util.spec_from_file_location(f"dojo_graders_{folder.name.replace('-', '_')}", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return [value for value in vars(module).values() if isinstance(value, HiddenCheck)]


class SandboxedGrading(NbGraderPreprocessor):
    """Run the notebook in a sandbox and score check cells with trusted checks."""

    timeout = Integer(60, help="Seconds a cell or a single check may run.").tag(config=True)
    notebook_timeout = Integer(900, help="Seconds the whole notebook may run, checks included.").tag(
        config=True
    )
    cpu_seconds = Integer(600, help="CPU seconds for a whole notebook.").tag(config=True)
    memory_mb = Integer(3072, help="Address-space limit of the learner process, in MiB.").tag(config=True)
    isolation = Enum(
        ["required", "preferred", "off"],
        "required",
        help="Whether learner code must run without network and with hidden paths.",
    ).tag(config=True)
    hidden_checks = Bool(True, help="Run the hidden checks of graders/<assignment>/.").tag(config=True)
    graders_directory = Unicode("", help="Folder of hidden grader suites.").tag(config=True)
    hide = List(Unicode(), help="Paths learner code must not see or change.").tag(config=True)
    results_directory = Unicode(
        "", help="Where per-check results (hidden ones included) are written for instructors."
    ).tag(config=True)
    slot = Integer(0, help="Sandbox slot (separates parallel graders' users).").tag(config=True)
    chaos = Unicode(
        "",
        help="Game-day faults (a JSON list) the learner's LocalCloud injects: DOJO_CHAOS.",
    ).tag(config=True)
    max_report_chars = Float(20000).tag(config=True)

    def preprocess(self, nb: NotebookNode, resources: dict[str, Any]) -> tuple[NotebookNode, dict[str, Any]]:
        info = resources["nbgrader"]
        hidden = self._hidden_for(info["assignment"])
        source = Path(resources.get("metadata", {}).get("path") or ".")
        results: dict[str, Any] = {}
        if hidden is not None:
            self.log.info("running %d hidden checks", len(hidden))
        with tempfile.TemporaryDirectory(prefix="dojo-sandbox-") as scratch:
            workdir = Path(scratch) / "work"
            shutil.copytree(source, workdir, ignore=shutil.ignore_patterns("*.ipynb", ".*"))
            with self._start(workdir) as process:
                for cell in nb.cells:
                    if cell.cell_type != "code":
                        continue
                    cell.outputs = _run(process, cell.source)
                    if utils.is_grade(cell) and not utils.is_solution(cell):
                        graded = self._grade(process, cell, hidden)
                        results[cell.metadata.nbgrader["grade_id"]] = graded
        self._save(info, results)
        return nb, resources

    def _hidden_for(self, assignment: str) -> list[HiddenCheck] | None:
        """The assignment's hidden checks, or None when they are not run here."""
        folder = Path(self.graders_directory) / assignment
        if not (self.hidden_checks and self.graders_directory and folder.is_dir()):
            return None
        return load_hidden_checks(folder)

    def _start(self, workdir: Path) -> LearnerProcess:
        limits = Limits(
            call_seconds=float(self.timeout),
            total_seconds=float(self.notebook_timeout),
            cpu_seconds=int(self.cpu_seconds),
            memory_bytes=int(self.memory_mb) * 1024**2,
        )
        spec = SandboxSpec(
            workdir=workdir,
            hide=[Path(p) for p in self.hide if Path(p).exists()],
            limits=limits,
            isolate=self.isolation != "off",
            slot=self.slot,
            env={"DOJO_CHAOS": self.chaos} if self.chaos else {},
        )
        try:
            return LearnerProcess(spec)
        except SandboxUnavailable as error:
            if self.isolation != "preferred":
                raise
            self.log.warning("grading without isolation: %s", error)
            spec.isolate = False
            return LearnerProcess(spec)

    def _grade(
        self, process: LearnerProcess, cell: NotebookNode, hidden: list[HiddenCheck] | None
    ) -> dict[str, Any]:
        """Score one check cell with trusted code and rewrite its outputs."""
        max_points = float(cell.metadata.nbgrader.get("points", 0))
        tasks, stopped = _run_checks_trusted(process, cell.source)
        public = [result for task in tasks for result in task.results]
        task_ids = {task.task_id for task in tasks}
        secret = [check.run(Learner(process)) for check in hidden or [] if check.task_id in task_ids]
        if not tasks:
            # A check cell written with plain asserts: all or nothing.
            passed = stopped is None
            public = [CheckResult("check cell", max_points if passed else 0.0, max_points,
                                  "" if passed else stopped or "")]
            stopped = None
        declared = sum(r.max_points for r in public + secret)
        pending = 0.0
        if hidden is None and tasks:
            # Hidden checks are not run here (a learner's own check): their points stay open.
            pending, max_points = max_points - declared, declared
        elif tasks and stopped is None and abs(declared - max_points) > 1e-9:
            # (A cell that stopped early declared only some checks; the rest is accounted below.)
            raise ValueError(
                f"check cell {cell.metadata.nbgrader['grade_id']} is worth {max_points:g} points "
                f"but its public and hidden checks add up to {declared:g}"
            )
        if stopped:
            unrun = max_points - declared
            public.append(CheckResult("rest of the check cell", 0.0, max(unrun, 0.0), stopped))
        score = min(sum(r.points for r in public + secret), max_points)
        cell.outputs = _report_outputs(public, secret, score, max_points)
        return {"score": score, "max_score": max_points, "hidden_pending": pending,
                "checks": [asdict(r) for r in public + secret]}

    def _save(self, info: dict[str, str], results: dict[str, Any]) -> None:
        if not self.results_directory:
            return
        folder = Path(self.results_directory) / info["assignment"] / info["student"]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{info['notebook']}.json").write_text(json.dumps(results, indent=1))


def _run(process: LearnerProcess, source: str) -> list[NotebookNode]:
    """Run a cell in the learner process; when that process is gone, say so in the cell."""
    try:
        run = process.run_cell(source)
    except LearnerGone as gone:
        return [_error("NotRun", f"not run: {gone}")]
    return [nbformat.from_dict(output) for output in run["outputs"]]


def _run_checks_trusted(process: LearnerProcess, source: str) -> tuple[list[Task], str | None]:
    """Execute a check cell's source here, with learner names fetched as data.

    Returns the tasks the cell declared and, if the cell stopped outside a
    check block, the reason.
    """
    namespace = LearnerNamespace(process)
    recorded: list[Task] = []
    stopped = None
    # What the cell prints or warns is not the grader's business: keep it out of our streams.
    with recording(recorded, process.cloud), warnings.catch_warnings(record=True), redirect_stdout(io.StringIO()), \
            redirect_stderr(io.StringIO()):
        try:
            exec(compile(source, "<check cell>", "exec"), namespace)
        except Exception as error:  # the cell stopped early; checks not reached lose their points
            stopped = explain("the check cell stopped", error)
    tasks = list(recorded)
    tasks += [value for value in namespace.values() if isinstance(value, Task) and value not in tasks]
    return tasks, stopped


def _report_outputs(
    public: list[CheckResult], secret: list[CheckResult], score: float, max_points: float
) -> list[NotebookNode]:
    """Outputs that show the report and make nbgrader record ``score``."""
    lines = [f"{score:g} / {max_points:g} points"]
    lines += [f"  {result}" for result in public]
    if secret:
        won = sum(1 for r in secret if r.passed)
        lines.append(
            f"  hidden checks: {won} of {len(secret)} passed "
            f"({sum(r.points for r in secret):g}/{sum(r.max_points for r in secret):g} points)"
        )
    outputs = [nbformat.v4.new_output("stream", name="stdout", text="\n".join(lines) + "\n")]
    if score <= 0 and max_points > 0:
        lost = [r.message for r in public if not r.passed] or ["hidden checks failed"]
        outputs.append(_error("ChecksFailed", lost[0]))
    elif score < max_points:
        outputs.append(nbformat.v4.new_output("execute_result", data={"text/plain": f"{score:g}"},
                                              execution_count=None))
    return outputs


def _error(name: str, message: str) -> NotebookNode:
    return nbformat.v4.new_output("error", ename=name, evalue=message, traceback=[f"{name}: {message}"])
