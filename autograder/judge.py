"""The probe stage of the grading path: draw inputs before execution, judge the reports after it.

    stage = ProbeStage(seed=None)                     # a fresh seed per run, kept in stage.seed for regrades
    env = stage.before_execute(nb, probe_dir)         # writes cases/<name>.json; env for the student's process
    ... execute nb with env ...
    verdicts = stage.after_execute(executed_nb, probe_dir)   # rewrites the probe cells' outputs in place

Only autograded test cells (nbgrader ``grade: true, solution: false``) are looked at, and those come from the
trusted, restored notebook. Everything the student's process wrote is read with size limits and never trusted.
"""

import re
import secrets
import shutil
import zlib
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from nbformat import NotebookNode

from autograder.student import wire
from autograder.spec import NOT_ATTEMPTED, Case, Mistake, Spec, judge, label_of, read_outputs

PROBE_CALL = re.compile(r"""^\s*probe\(\s*["'](?P<name>[A-Za-z_][A-Za-z0-9_]*)["']""", re.MULTILINE)
FAILURE = "ProbeFailure"


@dataclass(frozen=True)
class Verdict:
    """The grader's decision on one probed test cell."""

    cell_id: str  # the test cell's nbgrader grade_id
    name: str  # the spec probed
    passed: bool
    message: str  # what the student reads: the pass line or the failure
    skipped: bool = False  # the cell already failed on its own (a visible assert, a NameError, a timeout)
    outcome: str = ""  # one of OUTCOMES
    mistake: str = ""  # the spec's label of a hidden-probe failure ("" otherwise)


# what happened to a graded cell, for the verdicts and the report
PASSED, VISIBLE, HIDDEN, CRASHED, TIMED_OUT, DIED = (
    "passed", "visible-assert", "hidden-probe", "crashed", "timed-out", "died")
OUTCOMES = (PASSED, VISIBLE, HIDDEN, NOT_ATTEMPTED, CRASHED, TIMED_OUT, DIED)


def outcome_of_error(error) -> str:
    """The outcome of a cell whose own code failed, from its error output (before any rewording)."""
    ename = error.get("ename", "")
    if ename == "NotImplementedError":
        return NOT_ATTEMPTED  # the release's stub, untouched
    if ename == "CellTimeoutError":
        return TIMED_OUT
    if ename == "ProcessDied":
        return DIED
    if ename == "AssertionError":
        return VISIBLE
    return CRASHED


def error_output(message: str) -> NotebookNode:
    """The failure output of a probe cell. Built directly: nbformat's `new_output` validates every output against
    the schema, and the whole notebook is validated when it is written anyway."""
    return NotebookNode(output_type="error", ename=FAILURE, evalue=message, traceback=[message])


def _error_of(cell):
    return next((o for o in cell.get("outputs", []) if o.get("output_type") == "error"), None)


ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELL_LINE = re.compile(r"Cell In\[\d+\], line (\d+)")
IPYTHON_PLACE = re.compile(r"\(<ipython-input-[^>]*>, line (\d+)\)")
SECONDS = re.compile(r"(\d+(?:\.\d+)?) s\b")
NOT_DEFINED = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def error_text(error) -> str:
    """An error output as the student should read it: type, message and the line of the cell it came from."""
    ename, evalue = error.get("ename", "Error"), error.get("evalue", "")
    if ename == "CellTimeoutError" and (limit := SECONDS.search(evalue)):
        return f"it did not finish within {limit[1]} s: look for a loop that never ends"
    place = IPYTHON_PLACE.search(evalue)
    if place:  # a SyntaxError names IPython's internal file: the line number is what the student needs
        return f"{ename}: {IPYTHON_PLACE.sub('', evalue).strip()} (line {place[1]})"
    lines = CELL_LINE.findall(ANSI.sub("", "\n".join(error.get("traceback", []))))
    return f"{ename}: {evalue}" + (f" (line {lines[0]})" if lines else "")


def explain_failures(nb: NotebookNode, verdicts: list[Verdict]) -> list[Verdict]:
    """Reword failures whose raw error misleads, in the verdicts and in the cells' outputs.

    A NameError for a function whose answer cell errored becomes that cell's error; a test cell past its time
    limit names the function that looped; a function that calls another graded function that failed says so.
    """
    answers = {c.metadata.nbgrader.get("grade_id"): c for c in nb.cells if c.cell_type == "code"
               and c.get("metadata", {}).get("nbgrader", {}).get("solution")}
    failed = {v.name for v in verdicts if not v.passed}
    cells = {c.metadata.nbgrader.get("grade_id", name): c for c, name in probe_cells(nb)}  # as verdicts name them
    explained = []
    for verdict in verdicts:
        message = verdict.message
        if verdict.skipped:
            message = _own_error(verdict, _error_of(cells[verdict.cell_id]), answers) or message
        if not verdict.passed:
            message = _calls_failed(verdict.name, answers.get(verdict.name), failed) + message
        if message != verdict.message:
            cells[verdict.cell_id].outputs = [error_output(message)]
            verdict = replace(verdict, message=message)
        explained.append(verdict)
    return explained


def _own_error(verdict: Verdict, error, answers: dict) -> str | None:
    """The real cause of a test cell's own error: the answer cell that did not run, or the loop that never ended."""
    if error is None:
        return None
    if error.get("ename") == "CellTimeoutError" and (limit := SECONDS.search(error.get("evalue", ""))):
        return f"{verdict.name} did not finish within {limit[1]} s: look for a loop that never ends"
    missing = NOT_DEFINED.search(error.get("evalue", "")) if error.get("ename") == "NameError" else None
    if missing is None:
        return None
    for name, cell in answers.items():
        broken = _error_of(cell)
        if broken and (name == missing[1] or re.search(rf"^\s*def\s+{missing[1]}\s*\(", cell.source, re.M)):
            return f"your answer cell for {name} did not run: {error_text(broken)}"
    return None


def _calls_failed(name: str, answer, failed: set[str]) -> str:
    """"f calls your g, which is wrong: fix g first. " when f's answer cell calls a graded function that failed."""
    if answer is None:
        return ""
    body = re.sub(rf"\bdef\s+{name}\s*\(", "", answer.source)
    culprits = [g for g in sorted(failed - {name}) if re.search(rf"(?<![.\w]){g}\s*\(", body)]
    if not culprits:
        return ""
    listed = " and ".join(culprits)
    return f"{name} calls your {listed}, which {'is' if len(culprits) == 1 else 'are'} wrong: fix {listed} first. "


def specs_by_name() -> dict[str, Spec]:
    from autograder.specs import SPECS  # imported here so the student's side never needs it

    return {spec.name: spec for spec in SPECS}


def draw_cases(name: str, seed: int, specs: dict[str, Spec] | None = None) -> tuple[Spec, list[Case], str]:
    """(spec, cases, their wire text) for `name`, drawn from `seed` (each function from its own stream)."""
    spec = (specs or specs_by_name())[name]
    rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
    cases = list(spec.cases(rng))
    text = wire.dumps({"name": name, "cases": [{"args": tuple(c.args), "kwargs": dict(c.kwargs)} for c in cases]})
    return spec, cases, text


def verdict_for(spec: Spec, cases: list[Case], cases_text: str, outcomes_payload, seed: int | None = None):
    """(passed, message) for a decoded results payload; a failure's message is a `Mistake` with its label."""
    try:
        outcomes = read_outputs(outcomes_payload)
    except wire.WireError as err:
        return False, Mistake("unreadable-results", f"{spec.name}: the grader could not read the results ({err})")
    matched, message = judge(spec, cases, cases_text, outcomes)
    suffix = f" (seed {seed})" if seed is not None else ""
    if message is None:
        return True, f"{spec.name}: {matched}/{len(cases)} cases match the reference{suffix}"
    return False, Mistake(label_of(message), message + suffix)


def probe_cells(nb: NotebookNode):
    """(cell, spec name) for every autograded test cell that calls probe(...)."""
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            continue
        match = PROBE_CALL.search(cell.source)
        if match:
            yield cell, match["name"]


class ProbeStage:
    """Draws the probe inputs (`before_execute`) and judges the student's reports (`after_execute`)."""

    def __init__(self, seed: int | None = None, specs: dict[str, Spec] | None = None):
        self.seed = int(seed) if seed is not None else secrets.randbits(31)
        self.specs = specs if specs is not None else specs_by_name()
        self._drawn: dict[str, tuple[Spec, list[Case], str]] = {}

    def before_execute(self, nb: NotebookNode, probe_dir: Path) -> dict[str, str]:
        """Write ``cases/<name>.json`` for every probe in `nb`, clear old results; the student's env variables."""
        probe_dir = Path(probe_dir)
        shutil.rmtree(probe_dir / "results", ignore_errors=True)
        (probe_dir / "cases").mkdir(parents=True, exist_ok=True)
        (probe_dir / "results").mkdir(parents=True, exist_ok=True)
        for _, name in probe_cells(nb):
            if name not in self.specs or name in self._drawn:
                continue
            self._drawn[name] = draw_cases(name, self.seed, self.specs)
            (probe_dir / "cases" / f"{name}.json").write_text(self._drawn[name][2])
        return {"L2W_PROBE_DIR": str(probe_dir), "L2W_PROBE_SEED": str(self.seed)}

    def after_execute(self, nb: NotebookNode, probe_dir: Path) -> list[Verdict]:
        """Judge every probe cell of the executed `nb`, replacing its outputs with the verdict."""
        verdicts = []
        for cell, name in probe_cells(nb):
            cell_id = cell.metadata.nbgrader.get("grade_id", name)
            if any(out.get("output_type") == "error" for out in cell.get("outputs", [])):
                error = next(o for o in cell.outputs if o.get("output_type") == "error")
                message = f"{error.get('ename', 'Error')}: {error.get('evalue', '')}"
                verdicts.append(Verdict(cell_id, name, False, message, skipped=True, outcome=outcome_of_error(error)))
                continue
            passed, message = self._judge_one(name, Path(probe_dir))
            if passed:
                cell.outputs = [NotebookNode(output_type="stream", name="stdout", text=message + "\n")]
                verdicts.append(Verdict(cell_id, name, True, message, outcome=PASSED))
                continue
            label, message = label_of(message), str(message)  # the notebook keeps plain text
            cell.outputs = [error_output(message)]
            outcome = NOT_ATTEMPTED if label == NOT_ATTEMPTED else HIDDEN
            verdicts.append(Verdict(cell_id, name, False, message, outcome=outcome,
                                    mistake=label if outcome == HIDDEN else ""))
        return explain_failures(nb, verdicts)

    def _judge_one(self, name: str, probe_dir: Path) -> tuple[bool, str]:
        if name not in self.specs:
            return False, f"{name}: the grader has no hidden test of that name"
        if name not in self._drawn:
            return False, f"{name}: no inputs were drawn for this cell before it ran"
        spec, cases, cases_text = self._drawn[name]
        path = probe_dir / "results" / f"{name}.json"
        try:
            if not path.is_file() or path.is_symlink():
                return False, f"{name}: no result reached the grader — did the call crash or exit?"
            if path.stat().st_size > wire.RESULTS_LIMIT:
                return False, f"{name}: the results are over {wire.RESULTS_LIMIT // 2**20} MB"
            payload = wire.loads(path.read_text(errors="replace"), limit=wire.RESULTS_LIMIT)
        except (OSError, wire.WireError) as err:
            return False, f"{name}: the grader could not read the results ({err})"
        if not isinstance(payload, dict) or payload.get("name") != name:
            return False, f"{name}: the results file does not belong to {name}"
        return verdict_for(spec, cases, cases_text, payload, self.seed)
