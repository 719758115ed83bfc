"""nbgrader's feedback shows a failing probe's message, never the hidden tests' source or the reference.

Stock nbgrader 0.9.6 keeps hidden tests in feedback; the course's nbgrader_config.py adds ClearHiddenTests to
GenerateFeedback. This runs the real commands (generate_assignment, autograde — confined, with the probes judged
outside the student's process, as the course's config says —, generate_feedback) in a scratch course directory
holding this course's config and 01_line; none of them may print a warning for this honest course.
"""

import re
from html import unescape
import shutil
import subprocess
import sys

import nbformat

from autograder.release import nbgrader_env

from .helpers import ROOT, SOURCE, cell_by_id, load_source, nbgrader_meta

# halves the loss, except on the visible example, so only the hidden test can catch it
WRONG_MSE = "def mse(y_hat, y):\n    return float(np.mean((y_hat - y) ** 2) / (1 if len(y) == 2 else 2))\n"


def _nbgrader(course, *args):
    # the copied nbgrader_config.py roots the course and its gradebook at its own folder
    done = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, check=True, capture_output=True,
                          text=True, env=nbgrader_env())
    warnings = [line for line in done.stderr.splitlines() if "WARNING" in line]
    assert not warnings, f"nbgrader {args[0]} warned: {warnings}"


def test_feedback_shows_the_message_and_hides_the_tests(tmp_path):
    course = tmp_path / "course"
    shutil.copytree(SOURCE / "01_line", course / "source" / "01_line")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    _nbgrader(course, "generate_assignment", "01_line", "--create")
    _nbgrader(course, "db", "student", "add", "alice")
    submission = nbformat.read(course / "release" / "01_line" / "01_line.ipynb", as_version=4)
    source = load_source("01_line")
    for cell in submission.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = WRONG_MSE if meta["grade_id"] == "mse" else cell_by_id(source, meta["grade_id"]).source
    (course / "submitted" / "alice" / "01_line").mkdir(parents=True)
    nbformat.write(submission, course / "submitted" / "alice" / "01_line" / "01_line.ipynb")
    _nbgrader(course, "autograde", "01_line")
    _nbgrader(course, "generate_feedback", "01_line")
    html = (course / "feedback" / "alice" / "01_line" / "01_line.html").read_text()
    text = unescape(re.sub(r"<[^>]+>", "", html))
    assert re.search(r"mse: .*? — mse\(y_hat=\[.*?\]\) returned \S+, expected \S+\. Check: the mean of the squared", text), (
        "the failing probe's message should reach the feedback")
    # ClearHiddenTests removed them from every cell's source, and the probe cell's output is the verdict alone
    assert "BEGIN HIDDEN TESTS" not in text and "probe(" not in text
    assert "check.pair" not in text and "reference.line" not in text  # nothing of the reference's source
