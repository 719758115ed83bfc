"""An honest class grades without false alarms; a real edit of a test cell still raises one."""
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from autograder.release import ROOT, nbgrader_env

ENV = nbgrader_env()


def _course(tmp: Path) -> Path:
    course = tmp / "course"
    shutil.copytree(ROOT / "source" / "02_bend", course / "source" / "02_bend")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "02_bend", "--force"], cwd=course,
                   check=True, capture_output=True, env=ENV)
    for path in [tmp, *tmp.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o055)  # the unprivileged grading user reads the submissions
    return course


def _submit(course: Path, student: str, edit=None) -> None:
    dest = course / "submitted" / student / "02_bend"
    shutil.copytree(course / "release" / "02_bend", dest)
    if edit:
        path = dest / "02_bend.ipynb"
        nb = nbformat.read(path, as_version=4)
        edit(nb)
        nbformat.write(nb, path)


def _grade(course: Path) -> str:
    done = subprocess.run([sys.executable, "-m", "autograder", "grade", "02_bend", "--course", str(course),
                           "--no-progress"], capture_output=True, text=True, env=ENV, check=True)
    return done.stdout + done.stderr


def _weaken_test_sigmoid(nb) -> None:
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid")
    cell.source = "pass  # nothing to see here"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    return _course(tmp_path_factory.mktemp("quiet"))


def test_honest_submissions_grade_without_warnings(course):
    _submit(course, "alice")
    _submit(course, "bob")
    log = _grade(course)
    assert "has changed" not in log, log
    assert "SAWarning" not in log and "not in session" not in log, log
    assert "2 graded" in log, log


def test_an_edited_test_cell_is_still_reported_and_restored(course):
    _submit(course, "mallory", edit=_weaken_test_sigmoid)
    log = _grade(course)
    assert "Attribute 'checksum' for cell test_sigmoid has changed!" in log, log
    assert log.count("has changed!") == 1, log  # alice and bob, graded before, are not graded again
    autograded = nbformat.read(course / "autograded" / "mallory" / "02_bend" / "02_bend.ipynb", as_version=4)
    restored = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "test_sigmoid")
    assert "nothing to see here" not in restored.source
