"""nbgrader configuration of the course: the course directory is this repository's root."""

from pathlib import Path

c = get_config()  # noqa: F821  (nbgrader provides get_config when it loads this file)

c.CourseDirectory.course_id = "line-to-word"
c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.db_url = f"sqlite:///{Path(__file__).resolve().parent / 'gradebook.db'}"  # git-ignored
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}

# Feedback shows the verdicts in the test cells' outputs, never the hidden tests themselves (nbgrader 0.9.6's
# feedback keeps them by default). The hub's course configuration copies this file's settings (hub/course.py).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "hub.feedback.ClearHiddenTests",  # nbgrader's, without a false-alarm warning
]
# Every nbgrader HTML page (feedback, formgrader's submission view) gets nbconvert's CSS header plus output that
# wraps at the page width (hub/feedback.py). The template's own CSS header runs after every configured preprocessor
# and would replace it, so it is switched off; ours is enabled explicitly by being listed here.
c.HTMLExporter.preprocessors = ["hub.feedback.WrappingCSSHTMLHeader"]
c.CSSHTMLHeaderPreprocessor.enabled = False

# `nbgrader autograde` and formgrader's Autograde button: the course grader's sanitizing (released test cells
# restored quietly: no "checksum has changed" false alarm for a test cell whose hidden tests the student never saw),
# and execution confined as `python -m autograder grade` confines it, with the probes judged outside the student's
# process (autograder/nbgrader_execute.py) instead of a kernel running as the grading account. The rest is
# nbgrader's own list.
c.Autograde.sanitize_preprocessors = [
    "nbgrader.preprocessors.ClearOutput",
    "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec",
    "autograder.sanitize.RestoreReleasedCells",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.Autograde.autograde_preprocessors = [
    "autograder.nbgrader_execute.ConfinedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
