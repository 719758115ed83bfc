"""Course fixtures for the grader's tests: copies of nbgrader's own example course, made real with nbgrader."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook

from autograder.release import nbgrader_env

USER_GUIDE = Path("/work/shared/peer/nbgrader/user_guide")
NBGRADER = [sys.executable, "-m", "nbgrader"]
ENV = nbgrader_env()  # nbgrader runs the `alembic` of its own environment


def make_course(tmp: Path, db_url: str | None = None) -> Path:
    """A writable copy of the example course, its gradebook made by `nbgrader generate_assignment ps1`."""
    course = tmp / "course"
    shutil.copytree(USER_GUIDE, course, ignore=shutil.ignore_patterns("autograded", "grades.csv"))
    for path in [course, *course.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    course.chmod(0o755)
    tmp.chmod(0o755)
    if db_url:
        # PostgreSQL enforces the assignment -> course foreign key that SQLite ignores: name the course
        (course / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.db_url = {db_url!r}\nc.CourseDirectory.course_id = 'ps'\n")
    subprocess.run([*NBGRADER, "generate_assignment", "ps1", "--force"], cwd=course, check=True,
                   capture_output=True, env=ENV)
    return course


def add_student(course: Path, student: str, like: str, edit=None) -> None:
    """A new submission copied from `like`'s, problem1 passed through `edit(nb)` (which may return raw text)."""
    dest = course / "submitted" / student / "ps1"
    shutil.copytree(course / "submitted" / like / "ps1", dest)
    if edit is not None:
        path = dest / "problem1.ipynb"
        nb = edit(nbformat.read(str(path), as_version=4))
        path.write_text(nb if isinstance(nb, str) else nbformat.writes(nb))


def grades(course: Path, db_url: str | None = None) -> dict[tuple[str, str, str], float | None]:
    """(student, notebook, grade_id) -> auto_score, straight from nbgrader's gradebook."""
    url = db_url or f"sqlite:///{course / 'gradebook.db'}"
    with Gradebook(url) as gb:
        return {(s.student_id, n.name, g.name): g.auto_score
                for s in gb.assignment_submissions("ps1") for n in s.notebooks for g in n.grades}


def stock_autograde(course: Path, *extra: str) -> None:
    subprocess.run([*NBGRADER, "autograde", "ps1", *extra], cwd=course, check=True, capture_output=True, env=ENV)


def grade_argv(course: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "autograder", "grade", "ps1", "--course", str(course), "--no-progress", *extra]


def our_grade(course: Path, *extra: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(grade_argv(course, *extra), check=check, capture_output=True, text=True, env=ENV)
