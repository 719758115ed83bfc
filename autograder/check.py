"""The self-learner's check: grade one notebook against the course's hidden tests, no hub and no gradebook.

    result = check_notebook(Path("01_line.ipynb"))     # CheckResult: per question points, passed, reason
    exit_code = main_check("01_line.ipynb")            # prints the table and "N / M"; 0 only for full marks

The pipeline is the instructors' one, with `source/<assignment>` standing in for the gradebook: restore the locked
and test cells (hidden tests included) from the source notebook, clear outputs, draw the probe inputs, run the
cells in an isolated process, judge the probes here, score every test cell as nbgrader does (an error output
scores 0, anything else full points).
"""

import copy
import shutil
import sys
import tempfile
import textwrap
import threading
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, TextIO

import nbformat
from nbformat import NotebookNode

from autograder.judge import ProbeStage, probe_cells

SOURCE = Path(__file__).resolve().parents[1] / "source"  # this course's source notebooks
CHECK_CELL_TIMEOUT = 10.0  # seconds: a self-learner waiting at a terminal should hear about a stuck loop quickly
LINE_WIDTH = 160  # the longest line `render` prints: long reasons wrap under their column


@dataclass(frozen=True)
class Question:
    """One autograded test cell of the assignment."""

    grade_id: str
    max_points: float
    points: float
    reason: str  # the probe's verdict, the failing assert, or why the cell did not run
    mistake: str = ""  # the spec's label of a hidden-probe failure, as the instructors' report counts it

    @property
    def passed(self) -> bool:
        return self.points == self.max_points


@dataclass
class CheckResult:
    """A whole notebook's check."""

    assignment: str
    seed: int
    questions: list[Question] = field(default_factory=list)
    status: str = "ok"  # the executor's verdict on the notebook as a whole: "ok" | "timeout" | "died"
    nb: NotebookNode | None = None  # the executed, judged notebook

    @property
    def score(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def max_score(self) -> float:
        return sum(q.max_points for q in self.questions)

    @property
    def points(self) -> dict[str, float]:
        return {q.grade_id: q.points for q in self.questions}


def _meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def _is_trusted(cell) -> bool:
    """Cells the instructor owns: locked cells and autograded tests (restored from the source)."""
    meta = _meta(cell)
    return bool(meta.get("locked") or (meta.get("grade") and not meta.get("solution")))


def find_assignment(notebook: Path, nb: NotebookNode, source_root: Path) -> str:
    """The assignment a notebook belongs to: its file name, its folder, else the most shared grade_ids."""
    for name in (notebook.stem, notebook.parent.name):
        if (source_root / name / f"{name}.ipynb").is_file():
            return name
    ids = {_meta(c).get("grade_id") for c in nb.cells} - {None}
    best, shared = None, 0
    for candidate in sorted(source_root.glob("*/*.ipynb")):
        if candidate.stem != candidate.parent.name:
            continue
        theirs = {_meta(c).get("grade_id") for c in nbformat.read(candidate, as_version=4).cells}
        if len(ids & theirs) > shared:
            best, shared = candidate.stem, len(ids & theirs)
    if best is None:
        raise ValueError(f"{notebook} does not look like an assignment of this course (no matching source notebook)")
    return best


def restore(student: NotebookNode, source: NotebookNode) -> NotebookNode:
    """The student's notebook with every locked and test cell as the source has it, outputs cleared.

    Edited trusted cells are replaced, deleted ones put back after the cell that precedes them in the source,
    duplicated grade_ids and forged nbgrader metadata are dropped so only the source's test cells score.
    """
    trusted = {_meta(c)["grade_id"]: c for c in source.cells if _is_trusted(c) and _meta(c).get("grade_id")}
    known = {_meta(c).get("grade_id"): c for c in source.cells if _meta(c).get("grade_id")}
    cells, seen = [], set()
    for cell in student.cells:
        cell = copy.deepcopy(cell)
        gid = _meta(cell).get("grade_id")
        if gid in trusted and gid not in seen:
            cell = copy.deepcopy(trusted[gid])
        elif gid in known and gid not in seen:
            cell.metadata["nbgrader"] = copy.deepcopy(_meta(known[gid]))  # a solution cell, metadata as released
        elif "nbgrader" in cell.get("metadata", {}):
            del cell.metadata["nbgrader"]  # a duplicate or an invented id: an ordinary, ungraded cell
        if gid in known:
            seen.add(gid)
        cells.append(cell)
    previous = None
    for cell in source.cells:
        gid = _meta(cell).get("grade_id")
        if gid in trusted and gid not in seen:
            at = next((i + 1 for i, c in enumerate(cells) if previous and _meta(c).get("grade_id") == previous), 0)
            cells.insert(at, copy.deepcopy(cell))
            seen.add(gid)
        if gid in seen:
            previous = gid
    restored = copy.deepcopy(source)
    restored.cells = cells
    for cell in restored.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return restored


def score(executed: NotebookNode, source: NotebookNode, verdicts) -> list[Question]:
    """nbgrader's autograde rule on every source test cell: an error output scores 0, else full points."""
    reasons = {v.cell_id: v.message for v in verdicts}
    labels = {v.cell_id: getattr(v, "mistake", "") for v in verdicts}
    by_id = {_meta(c).get("grade_id"): c for c in executed.cells if _meta(c).get("grade_id")}
    questions = []
    for cell in source.cells:
        meta = _meta(cell)
        if not (meta.get("grade") and not meta.get("solution")) or cell.cell_type != "code":
            continue
        gid, max_points = meta["grade_id"], float(meta.get("points", 0))
        ran = by_id.get(gid)
        errors = [o for o in (ran.get("outputs", []) if ran else []) if o.get("output_type") == "error"]
        if ran is None:
            questions.append(Question(gid, max_points, 0.0, "the test cell is missing"))
        elif errors:
            reason = reasons.get(gid) or f"{errors[0].get('ename', 'Error')}: {errors[0].get('evalue', '')}"
            questions.append(Question(gid, max_points, 0.0, reason, labels.get(gid, "")))
        else:
            questions.append(Question(gid, max_points, max_points, reasons.get(gid, "ran without errors")))
    return questions


class Progress:
    """One stderr line per question while the notebook runs: the function whose test is running now.

    The student's process writes ``results/<name>.json`` when a probe is done, so watching that folder tells
    which question is under way without a word from the executor. On a terminal the line is rewritten in place.
    """

    def __init__(self, names: list[str], results: Path, out: TextIO):
        self.names, self.results, self.out = names, results, out
        self.tty = bool(getattr(out, "isatty", lambda: False)())
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def __enter__(self) -> "Progress":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        if self.tty:
            self.out.write("\r\x1b[K")
            self.out.flush()

    def _watch(self) -> None:
        shown = None
        while True:
            # the question after the last one that reported: earlier ones that failed on their own never report
            done = [i for i, name in enumerate(self.names) if (self.results / f"{name}.json").exists()]
            now = done[-1] + 1 if done else 0
            if now < len(self.names) and now != shown:
                self._show(f"checking {self.names[now]} ({now + 1}/{len(self.names)})")
                shown = now
            if self._stop.wait(0.1):
                return

    def _show(self, text: str) -> None:
        self.out.write(f"\r\x1b[K{text}" if self.tty else text + "\n")
        self.out.flush()


def check_notebook(notebook: Path, *, source_root: Path | None = None, seed: int | None = None, pool=None,
                   limits=None, progress: TextIO | None = None) -> CheckResult:
    """Check one notebook (see the module docstring); `pool` reuses a WorkerPool across many checks.

    `limits` default to a `CHECK_CELL_TIMEOUT` cell limit; `progress`, a stream, gets a line per question as it runs.
    """
    from autograder.execute import GRADING_ENV, ExecJob, Limits, WorkerPool

    notebook = Path(notebook)
    source_root = Path(source_root) if source_root else SOURCE
    student = nbformat.read(notebook, as_version=4)
    assignment = find_assignment(notebook, student, source_root)
    source_dir = source_root / assignment
    source = nbformat.read(source_dir / f"{assignment}.ipynb", as_version=4)
    nb = restore(student, source)
    stage = ProbeStage(seed)
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(WorkerPool(workers=1, sandbox="off"))
        cwd, probe_dir = stack.enter_context(working_copy(pool, source_dir))
        env = {**GRADING_ENV, **stage.before_execute(nb, probe_dir)}
        job = ExecJob(nb=nb, cwd=cwd, env=env, limits=limits or Limits(cell_timeout=CHECK_CELL_TIMEOUT))
        if progress is None:
            ran = pool.run(job)
        else:
            with Progress([name for _, name in probe_cells(nb)], probe_dir / "results", progress):
                ran = pool.run(job)
        verdicts = stage.after_execute(ran.nb, probe_dir)
    return CheckResult(assignment, stage.seed, score(ran.nb, source, verdicts), ran.status, ran.nb)


@contextmanager
def working_copy(pool, source_dir: Path) -> Iterator[tuple[Path, Path]]:
    """(cwd, probe_dir) in the pool's workspace: a working copy with the assignment's data files, as released,
    and an empty probe folder. Both go when the block ends."""
    with tempfile.TemporaryDirectory(prefix="l2w-check-", dir=pool.workspace) as tmp:
        Path(tmp).chmod(0o711)  # an unprivileged student process must reach its two folders inside
        cwd, probe_dir = Path(tmp) / "work", Path(tmp) / "probe"
        cwd.mkdir()
        for data in source_dir.iterdir():
            if data.is_file() and data.suffix != ".ipynb":
                shutil.copy(data, cwd / data.name)
        yield cwd, probe_dir


def render(result: CheckResult, width: int = LINE_WIDTH) -> str:
    """The per-question table and the total; no line longer than `width`, long reasons wrapped under their column."""
    rows = [(q.grade_id, f"{q.points:g}/{q.max_points:g}", "yes" if q.passed else "no",
             f"[{q.mistake}] {q.reason}" if q.mistake else q.reason) for q in result.questions]
    head = ("question", "points", "passed", "reason")
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(3)]
    indent = sum(widths) + 2 * len(widths)
    if width - indent < 40:  # very long question names: the reason goes on its own lines, indented a little
        indent = 4
    lines = [f"{result.assignment} (seed {result.seed})", "  ".join(h.ljust(w) for h, w in zip(head, widths + [0]))]
    for row in rows:
        first = "  ".join(c.ljust(w) for c, w in zip(row[:3], widths))
        wrapped = _wrap(row[3], width - indent)
        if indent == 4:
            lines += [first.rstrip()] + [" " * indent + part for part in wrapped]
        else:
            lines += [(first + "  " + wrapped[0]).rstrip()] + [" " * indent + part for part in wrapped[1:]]
    lines.append(f"total: {result.score:g} / {result.max_score:g}")
    return "\n".join(lines)


def _wrap(text: str, width: int) -> list[str]:
    """The reason's lines (its own line breaks kept), each at most `width` characters."""
    return [part for line in text.splitlines() or [""] for part in textwrap.wrap(line, width) or [""]]


def main_check(notebook, *, source_root=None, seed=None, out=None, pool=None,
               cell_timeout: float | None = None, progress: TextIO | None = None) -> int:
    """`python -m autograder check NOTEBOOK`: print the table; exit code 0 only for full marks."""
    from autograder.execute import Limits

    out = out or sys.stdout
    try:
        result = check_notebook(Path(notebook), source_root=source_root, seed=seed, pool=pool,
                                limits=Limits(cell_timeout=cell_timeout or CHECK_CELL_TIMEOUT), progress=progress)
    except (OSError, ValueError, nbformat.ValidationError) as err:
        print(f"check: {err}", file=out)
        return 2
    print(render(result), file=out)
    return 0 if result.questions and result.score == result.max_score else 1
