"""The instructors' batch grade: every `submitted/*/ASSIGNMENT` of an nbgrader course, into nbgrader's gradebook.

    summary = grade(GradeOptions("ps1", course=Path("course")))

Per notebook: sanitize (nbgrader's preprocessors) -> probe inputs -> execute (a fresh confined process, in
parallel) -> judge probes -> record (nbgrader's preprocessors, gradebook) ; then report (CSV, PNG).
Everything that touches the gradebook runs here, in the main thread, one notebook at a time; only execution runs
in parallel. A submission is marked done in `<course>/.autograder/<assignment>/<student>.json` once all its
notebooks are recorded, so a killed run resumes with the rest: the gradebook rows are overwritten, never added,
so nothing counts twice.
"""
from __future__ import annotations

import filecmp
import glob
import importlib.util
import json
import logging
import os
import queue
import secrets
import shutil
import stat
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader

from autograder.config import GradeOptions
from autograder.execute import GRADING_ENV, Blocked, ExecJob, ExecResult, WorkerPool
from autograder.hotpaths import fast_nbgrader
from autograder.record import NotebookGrade, Recorder
from autograder.report import Plotter, Progress, write_reports
from autograder.sanitize import Sanitizer, SubmissionError, resources_for
from autograder.state import write_json
from autograder.verdicts import cell_verdicts, failed_rows, write_student

log = logging.getLogger("autograder.grade")

SEED_FILE = "probe_seed.txt"  # beside the autograded notebooks: `--seed` with it regrades identically


@dataclass
class GradeSummary:
    """What a batch grade did."""

    assignment: str
    notebooks: list[NotebookGrade] = field(default_factory=list)  # graded in this run
    skipped: list[str] = field(default_factory=list)  # students already graded by an earlier run
    csv: Path | None = None
    plot: Path | None = None
    report: Path | None = None  # report.html: per-question statistics and the class's named mistakes

    def count(self, status: str) -> int:
        return sum(1 for n in self.notebooks if n.status == status)


@dataclass
class _Task:
    """One notebook of one student on its way through the pipeline."""

    student: str
    notebook: str
    resources: dict
    dest: Path  # the autograded notebook nbgrader would write
    workdir: Path  # private copy the cells run in
    probe_dir: Path
    stage: object | None
    future: Future | None = None


class Course:
    """An nbgrader course directory: its config, CourseDirectory (paths, db_url) and what students may not read."""

    def __init__(self, root: Path, assignment: str):
        self.config = Config()
        config_file = root / "nbgrader_config.py"
        if config_file.is_file():
            self.config.merge(PyFileConfigLoader(config_file.name, path=str(root)).load_config())
        if not self.config.get("CourseDirectory", {}).get("root"):
            self.config.CourseDirectory.root = str(root.resolve())
        self.config.CourseDirectory.assignment_id = assignment
        self.coursedir = CourseDirectory(config=self.config)
        self.db_url = self.coursedir.db_url
        self.assignment = assignment

    def cell_timeout(self) -> float | None:
        """The course's `Execute.timeout` (what stock `nbgrader autograde` would use), when its config sets one."""
        return self.config.get("Execute", {}).get("timeout")

    def path(self, step: str, student: str) -> Path:
        return Path(self.coursedir.format_path(step, student, self.assignment))

    def submissions(self) -> list[str]:
        pattern = self.coursedir.format_path(self.coursedir.submitted_directory, "*", self.assignment)
        excluded = set(filter(None, self.coursedir.student_id_exclude.split(",")))
        students = sorted(Path(p).relative_to(self.coursedir.format_path(
            self.coursedir.submitted_directory, "", "")).parts[0] for p in glob.glob(pattern) if os.path.isdir(p))
        return [s for s in students if s not in excluded]

    def blocked(self) -> Blocked:
        root = Path(self.coursedir.root)
        paths = [root / self.coursedir.source_directory, root / self.coursedir.submitted_directory,
                 root / self.coursedir.autograded_directory, root / self.coursedir.feedback_directory,
                 root / ".autograder", root / "nbgrader_config.py"]
        if self.db_url.startswith("sqlite:///"):
            paths.append(Path(self.db_url[len("sqlite:///"):]))
        spec = importlib.util.find_spec("reference")
        if spec and spec.submodule_search_locations:
            paths.extend(Path(p) for p in spec.submodule_search_locations)
        return Blocked(paths=tuple(str(p) for p in paths))


WRITTEN_FILE_CAP = 50 * 1024 * 1024  # bytes: a larger file the notebook wrote stays behind (logged)


def keep_written_files(workdir: Path, dest: Path) -> None:
    """Files the notebook wrote in its working copy land beside the autograded notebook, as with stock nbgrader.

    Regular files only, found without following symlinks (a link planted by the student's process must not make
    the grader copy what it points to); nothing under the grader's own .matplotlib config folder, no notebooks.
    """
    for folder, dirs, files in os.walk(workdir):  # os.walk does not descend into symlinked directories
        if Path(folder) == workdir and ".matplotlib" in dirs:
            dirs.remove(".matplotlib")
        for name in files:
            path = Path(folder) / name
            info = path.lstat()
            if path.suffix == ".ipynb" or not stat.S_ISREG(info.st_mode):
                continue
            target = dest / path.relative_to(workdir)
            if target.is_file() and filecmp.cmp(path, target, shallow=False):
                continue  # copied in from the submission, unchanged
            if info.st_size > WRITTEN_FILE_CAP:
                log.warning("%s: %s is %d bytes; not kept", dest, path.relative_to(workdir), info.st_size)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.unlink()  # nbgrader leaves autograded files read-only
            shutil.copyfile(path, target, follow_symlinks=False)


def probe_stage(seed: int):
    """The probe stage, when the course's probe modules are installed; plain notebooks need none."""
    try:
        from autograder.judge import ProbeStage
    except ImportError:
        return None
    return ProbeStage(seed=seed)


class _Batch:
    """One run of `grade`: prepares in the main thread, executes in the pool, records in the main thread."""

    def __init__(self, options: GradeOptions, course: Course, pool: WorkerPool, scratch: Path):
        self.options = options
        self.course = course
        self.pool = pool
        self.scratch = scratch
        self.limits = options.limits.resolved(course.cell_timeout())
        self.converter = Autograde(coursedir=course.coursedir, config=course.config)
        self.sanitize = Sanitizer(course.config, options.restore_missing_cells)
        self.record = Recorder(course.config, course.db_url)
        self.summary = GradeSummary(options.assignment)
        self.done: queue.Queue[_Task] = queue.Queue()
        self.remaining: dict[str, int] = {}
        self.failed_students: set[str] = set()
        self.seeds: dict[str, int] = {}
        self.rows: dict[str, list[dict]] = {}  # student -> per-cell verdicts, written when the student is done

    # -- resume bookkeeping -------------------------------------------------------------------------------

    def _marker(self, student: str) -> Path:
        return self.options.state_dir / f"{student}.json"

    def _submitted_stamp(self, student: str) -> str:
        stamp = self.course.path(self.course.coursedir.submitted_directory, student) / "timestamp.txt"
        return stamp.read_text().strip() if stamp.is_file() else ""

    def already_graded(self, student: str) -> bool:
        marker = self._marker(student)
        if self.options.force or not marker.is_file():
            return False
        try:
            return json.loads(marker.read_text()).get("timestamp") == self._submitted_stamp(student)
        except (OSError, ValueError):
            return False

    def _mark_done(self, student: str) -> None:
        # atomic: a kill leaves either no marker or a whole one
        write_json(self._marker(student), {"timestamp": self._submitted_stamp(student), "seed": self.seeds[student]})

    # -- stages ---------------------------------------------------------------------------------------------

    def prepare(self, student: str) -> list[_Task]:
        """Gradebook rows and autograded/ folder (nbgrader's Autograde.init_assignment), then sanitize."""
        submitted = self.course.path(self.course.coursedir.submitted_directory, student)
        self.converter.notebooks = sorted(glob.glob(str(submitted / "*.ipynb")))
        try:
            self.converter.init_assignment(self.options.assignment, student)
        except NbGraderException as err:
            self._fail_student(student, f"nbgrader could not set up the submission: {err}")
            return []
        seed = self.options.seed if self.options.seed is not None else secrets.randbits(32)
        self.seeds[student] = seed
        stage = probe_stage(seed)
        dest = self.course.path(self.course.coursedir.autograded_directory, student)
        tasks = []
        for path in map(Path, self.converter.notebooks):
            resources = resources_for(self.course.db_url, self.options.assignment, student, path.stem)
            task = _Task(student, path.stem, resources, dest / path.name,
                         self.scratch / student / path.stem, self.scratch / student / f"{path.stem}.probe", stage)
            try:
                nb = self.sanitize(path, resources)
            except SubmissionError as err:
                self._zero(task, str(err))
                continue
            try:
                job = self._job(task, nb, dest)
            except Exception as err:  # the grader's own failure on this notebook must not stop the class
                log.exception("%s/%s: could not prepare the notebook", student, task.notebook)
                self.failed_students.add(student)
                self._add(NotebookGrade(student, task.notebook, status="failed", reason=f"grader error: {err}"))
                continue
            tasks.append(task)
            task.future = self.executor.submit(self.pool.run, job)
            task.future.add_done_callback(lambda _, task=task: self.done.put(task))
        self.remaining[student] = len(tasks)
        if not tasks:
            self._student_finished(student)
        return tasks

    def _job(self, task: _Task, nb, dest: Path) -> ExecJob:
        """A private working copy and the probe inputs for one notebook."""
        task.workdir.mkdir(parents=True)
        if dest.is_dir():  # nbgrader creates it only when the submission has files besides its notebooks
            shutil.copytree(dest, task.workdir, ignore=shutil.ignore_patterns("*.ipynb"), dirs_exist_ok=True)
        os.chmod(task.workdir.parent, 0o711)
        env = dict(GRADING_ENV)
        if task.stage is not None:
            env.update(task.stage.before_execute(nb, task.probe_dir))
        return ExecJob(nb=nb, cwd=task.workdir, env=env, limits=self.limits)

    def finish(self, task: _Task) -> None:
        """Judge the probes, record the grades, write the autograded notebook."""
        try:
            result: ExecResult = task.future.result()
            verdicts = task.stage.after_execute(result.nb, task.probe_dir) if task.stage is not None else []
            scores, max_scores = self.record(result.nb, task.resources, task.dest)
            self.rows.setdefault(task.student, []).extend(cell_verdicts(
                result.nb, verdicts, scores, max_scores, task.student, self.options.assignment, task.notebook))
            grade = NotebookGrade(task.student, task.notebook, scores, max_scores, result.status,
                                  "; ".join(result.log))
        except Exception as err:  # the grader's own failure on this notebook must not stop the class
            log.exception("%s/%s: grading failed", task.student, task.notebook)
            self.failed_students.add(task.student)
            grade = NotebookGrade(task.student, task.notebook, status="failed", reason=f"grader error: {err}")
        self._add(grade)
        keep_written_files(task.workdir, task.dest.parent)
        shutil.rmtree(task.workdir, ignore_errors=True)
        shutil.rmtree(task.probe_dir, ignore_errors=True)
        self.remaining[task.student] -= 1
        if self.remaining[task.student] == 0:
            self._student_finished(task.student)

    def _zero(self, task: _Task, reason: str) -> None:
        log.warning("%s/%s: %s; its autograded cells score 0", task.student, task.notebook, reason)
        scores, max_scores = self.record.zero(self.options.assignment, task.student, task.notebook)
        self.rows.setdefault(task.student, []).extend(
            failed_rows(scores, max_scores, task.student, self.options.assignment, task.notebook, reason))
        self._add(NotebookGrade(task.student, task.notebook, scores, max_scores, "failed", reason))

    def _fail_student(self, student: str, reason: str) -> None:
        log.error("%s: %s", student, reason)
        self.failed_students.add(student)
        self._add(NotebookGrade(student, "*", status="failed", reason=reason))

    def _add(self, grade: NotebookGrade) -> None:
        if grade.status != "ok" and grade.reason:
            log.warning("%s/%s: %s (%s)", grade.student, grade.notebook, grade.status, grade.reason)
        self.summary.notebooks.append(grade)
        self.progress.update(grade.status)

    def _student_finished(self, student: str) -> None:
        write_student(self.options.state_dir, student, self.rows.pop(student, []))
        if student in self.failed_students:
            return  # no marker: the next run tries this student again
        dest = self.course.path(self.course.coursedir.autograded_directory, student)
        (dest / SEED_FILE).write_text(f"{self.seeds[student]}\n")
        self.converter.set_permissions(self.options.assignment, student)
        self._mark_done(student)

    # -- the run --------------------------------------------------------------------------------------------

    def run(self) -> GradeSummary:
        students = self.course.submissions()
        todo = [s for s in students if not self.already_graded(s)]
        self.summary.skipped = [s for s in students if s not in todo]
        if self.summary.skipped:
            log.info("resuming: %d submission(s) already graded, %d to go", len(self.summary.skipped), len(todo))
        self.progress = Progress(total=self._notebook_count(todo), enabled=self.options.progress)
        with ThreadPoolExecutor(max_workers=self.pool.workers) as self.executor:
            pending = 0
            for student in todo:
                pending += len(self.prepare(student))
                while not self.done.empty():  # record what finished while we were preparing
                    self.finish(self.done.get())
                    pending -= 1
            for _ in range(pending):
                self.finish(self.done.get())
        self.progress.close()
        return self.summary

    def _notebook_count(self, students: list[str]) -> int:
        return sum(len(glob.glob(str(self.course.path(self.course.coursedir.submitted_directory, s) / "*.ipynb")))
                   or 1 for s in students)


def _check_assignment(course: Course) -> None:
    with Gradebook(course.db_url) as gb:
        try:
            gb.find_assignment(course.assignment)
        except MissingEntry:
            raise SystemExit(f"assignment {course.assignment!r} is not in the gradebook {course.db_url}: "
                             f"run `nbgrader generate_assignment {course.assignment}` first") from None


def grade(options: GradeOptions, pool: WorkerPool | None = None, plotter: Plotter | None = None) -> GradeSummary:
    """Grade every submission of `options.assignment`; then write the CSV and the histogram.

    `pool`: workers started by the caller (the command line starts them before importing nbgrader, so they boot
    meanwhile); by default `grade` starts its own. Either way it sets what they may not touch for this course.
    `plotter`: the caller's histogram helper, when it grades several assignments; by default one of its own.
    """
    course = Course(Path(options.course), options.assignment)
    _check_assignment(course)
    with ExitStack() as stack:
        if pool is None:
            pool = stack.enter_context(WorkerPool(workers=options.workers, run_as=options.run_as,
                                                  sandbox=sandbox_mode(options)))
        pool.blocked = course.blocked()
        # the working copies live in the pool's workspace: the only folder a confined student process can see
        scratch = Path(tempfile.mkdtemp(prefix="autograder-", dir=pool.workspace))
        scratch.chmod(0o711)  # the unprivileged student user must reach its own working copy, and list nothing
        stack.callback(shutil.rmtree, scratch, ignore_errors=True)
        if plotter is None and options.report:
            plotter = stack.enter_context(Plotter())
        stack.enter_context(fast_nbgrader())
        summary = _Batch(options, course, pool, scratch).run()
        if options.report:
            summary.csv, summary.plot, summary.report = write_reports(
                course.db_url, options.assignment, Path(course.coursedir.root), plotter, options.state_dir)
    return summary


def sandbox_mode(options: GradeOptions) -> str:
    """`grade` confines student code or refuses to run it, unless told `--unconfined`."""
    return "off" if options.unconfined else "required"


UNCONFINED_WARNING = """\
WARNING: grading UNCONFINED (--unconfined). Each student's code runs as {user}, outside any namespace. It can
  read everything {user} can read (source/ with the solutions, the gradebook, other submissions, if their
  permissions allow), start programs, and use the network. Only the audit hook (Python's own open/import) and
  the resource limits stand in its way, and ctypes or a subprocess go around the hook. Grade untrusted work
  confined: as root, or where this user may create user namespaces."""
