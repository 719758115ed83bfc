"""What a newcomer's walk-through of the hub found (issue 12 follow-up): formgrader's Autograde without checksum false
alarms, no news toast over formgrader's buttons, the checkout's answers walled off in server mode, and a clear stop
a copy of the interpreter for every account when the venv's is private to root."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
from traitlets.utils.importstring import import_item

from hub import course
from hub.runtime import public_python
from hub.settings import REPO, HubSettings


def test_formgrader_autograde_restores_released_test_cells_quietly(tmp_path):
    config = course.course_config(HubSettings(data_dir=tmp_path))
    names = config["Autograde"]["sanitize_preprocessors"]
    assert "autograder.sanitize.RestoreReleasedCells" in names and "nbgrader.preprocessors.OverwriteCells" not in names
    from autograder.sanitize import SANITIZE
    assert [import_item(n) for n in names] == list(SANITIZE)  # the course grader's own list, in its order


def test_no_news_toast_on_any_server():
    for plugins in (course.STUDENT_DISABLED_LAB_PLUGINS, course.INSTRUCTOR_DISABLED_LAB_PLUGINS,
                    course.COURSE_DISABLED_LAB_PLUGINS):
        assert course.NEWS_PLUGIN in plugins


@pytest.mark.skipif(os.geteuid() != 0, reason="changes group ownership")
def test_answers_are_walled_off(tmp_path, monkeypatch):
    for name in (*course.ANSWER_PATHS, "autograder"):
        (tmp_path / name).mkdir()
        (tmp_path / name).chmod(0o755)
    for name in course.ANSWER_FILES:
        (tmp_path / name).write_text("hidden tests")
        (tmp_path / name).chmod(0o644)
    monkeypatch.setattr(course, "REPO", tmp_path)
    s = HubSettings(mode="server", data_dir=tmp_path / "data", source_dir=tmp_path / "source", grader_user="root")
    changed = course.wall_off_answers(s)
    assert sorted(p.name for p in changed) == sorted((*course.ANSWER_PATHS, *course.ANSWER_FILES))
    for name in course.ANSWER_PATHS:
        assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o750"
    for name in course.ANSWER_FILES:  # the checkout's gradebook: every test cell's source, hidden tests included
        assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o640"
    assert oct((tmp_path / "autograder").stat().st_mode & 0o777) == "0o755"  # servers import it
    assert course.wall_off_answers(s) == []  # idempotent


def test_reference_does_not_import_on_users_servers(tmp_path):
    """Server mode's users' servers have hub/student_shims first on their path: `import reference` fails, saying
    why, even where the checkout's walled-off `reference/` would import as an empty namespace package."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "hub" / "student_shims")}
    done = subprocess.run([sys.executable, "-c", "import reference"], cwd=tmp_path, env=env, capture_output=True,
                          text=True)
    assert done.returncode != 0 and "ImportError: the reference implementation is for the graders only" in done.stderr
    config = (REPO / "jupyterhub_config.py").read_text()
    assert 'spawner.environment["PYTHONPATH"] = USER_PYTHONPATH' in config
    assert '"PYTHONPATH": SERVER_PYTHONPATH' in config  # formgrader (the grader) keeps the real one


@pytest.mark.skipif(os.geteuid() != 0, reason="runs the copy as another account, which needs root")
def test_every_account_runs_the_public_copy_of_a_private_python(checkout_reachable_by_everyone):
    """The copy `make hub` gives servers when the venv's Python is private to root: `nobody` runs it, with the
    venv's packages, and nbconvert's HTML export (formgrader's submission view, feedback) works in it."""
    dest = Path(tempfile.mkdtemp(prefix="l2w-python-", dir="/tmp"))
    try:
        dest.chmod(0o755)
        python = public_python(dest)
        nb = dest / "n.ipynb"
        nb.write_text(nbformat.writes(nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell('<img src="y.png">')])))
        nb.chmod(0o644)
        code = ("import sys, nbformat, nbconvert; from nbconvert import HTMLExporter; "
                f"html, _ = HTMLExporter().from_filename({str(nb)!r}); print(sys.version.split()[0], len(html) > 1000)")
        done = subprocess.run([str(python), "-c", code], user="nobody", group="nogroup", extra_groups=[], cwd="/",
                              capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert done.stdout.split() == [sys.version.split()[0], "True"]
        assert public_python(dest) == python  # made once, reused while the interpreter is the same
    finally:
        shutil.rmtree(dest, ignore_errors=True)
