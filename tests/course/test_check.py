"""The self-learner's check: full marks for the source, zero for an untouched release, the exit code."""

import subprocess
import sys

import pytest

from .helpers import RELEASE, ROOT, assignments, notebook_path, question_cells, load_source, run_check


@pytest.mark.parametrize("assignment", assignments())
def test_source_gets_full_marks(pool, assignment):
    result = run_check(notebook_path(assignment), pool=pool)
    assert result.questions and set(result.points) == set(question_cells(load_source(assignment)))
    assert result.score == result.max_score, {q.grade_id: q.reason for q in result.questions if not q.passed}


@pytest.mark.parametrize("assignment", [a for a in assignments() if notebook_path(a, RELEASE).is_file()])
def test_untouched_release_gets_zero(pool, assignment):
    result = run_check(notebook_path(assignment, RELEASE), pool=pool)
    assert result.max_score > 0 and result.score == 0, result.points
    assert all("NotImplementedError" in q.reason for q in result.questions), [q.reason for q in result.questions]


def test_exit_code_and_table():
    from autograder.check import main_check
    import io

    out = io.StringIO()
    assert main_check(notebook_path("01_line"), out=out) == 0
    assert "total: 8 / 8" in out.getvalue() and "test_predict" in out.getvalue()
    out = io.StringIO()
    assert main_check(notebook_path("01_line", RELEASE), out=out) == 1
    assert "total: 0 / 8" in out.getvalue()
