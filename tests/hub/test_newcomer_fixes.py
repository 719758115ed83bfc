"""What a newcomer's walk-through of the hub found (issue 12 follow-up): formgrader's Autograde without checksum false
alarms, no news toast over formgrader's buttons, the checkout's answers walled off in server mode, and a clear stop
when the interpreter is one other accounts cannot run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from traitlets.utils.importstring import import_item

from hub import course
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
    monkeypatch.setattr(course, "REPO", tmp_path)
    s = HubSettings(mode="server", data_dir=tmp_path / "data", source_dir=tmp_path / "source", grader_user="root")
    changed = course.wall_off_answers(s)
    assert sorted(p.name for p in changed) == sorted(course.ANSWER_PATHS)
    for name in course.ANSWER_PATHS:
        assert oct((tmp_path / name).stat().st_mode & 0o777) == "0o750"
    assert oct((tmp_path / "autograder").stat().st_mode & 0o777) == "0o755"  # servers import it
    assert course.wall_off_answers(s) == []  # idempotent


def test_interpreter_is_checked_against_its_real_path():
    real = Path(os.path.realpath(sys.executable))
    expected = all(course.reachable_by_everyone(p) for p in (real, Path(sys.base_prefix), Path(sys.prefix)))
    assert course.python_usable_by_everyone() == expected


@pytest.mark.skipif(os.geteuid() != 0, reason="server mode is the default only for root")
def test_make_hub_stops_before_releasing_when_other_accounts_cannot_run_python(tmp_path):
    if course.python_usable_by_everyone():
        pytest.skip("this interpreter is usable by every account")
    env = {**os.environ, "L2W_HUB_MODE": "", "L2W_HUB_DATA": str(tmp_path / "data"), "L2W_SERVER_PYTHON": ""}
    done = subprocess.run([sys.executable, "-m", "hub"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0
    assert "other users cannot reach" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert not (tmp_path / "data").exists()  # nothing prepared, nothing released
