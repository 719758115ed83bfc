"""release/ is what `python -m autograder release` makes from source/, and it gives nothing away."""

import nbformat
import pytest

from autograder.release import release

from .helpers import RELEASE, SOURCE, notebook_path

RELEASED = sorted(p.name for p in RELEASE.iterdir() if notebook_path(p.name, RELEASE).is_file())


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory):
    out = tmp_path_factory.mktemp("release")
    release(RELEASED, release_dir=out)
    return out


@pytest.mark.parametrize("assignment", RELEASED)
def test_release_matches_a_fresh_generation(regenerated, assignment):
    committed = nbformat.read(notebook_path(assignment, RELEASE), as_version=4)
    fresh = nbformat.read(notebook_path(assignment, regenerated), as_version=4)
    assert [c.source for c in committed.cells] == [c.source for c in fresh.cells], (
        f"release/{assignment} is stale: run `python -m autograder release` and commit it")
    data = {p.name: p.read_bytes() for p in (SOURCE / assignment).iterdir() if p.suffix != ".ipynb"}
    assert data == {n: (RELEASE / assignment / n).read_bytes() for n in data}, "data files differ from source/"


@pytest.mark.parametrize("assignment", RELEASED)
def test_release_holds_no_solution_and_no_hidden_test(assignment):
    text = notebook_path(assignment, RELEASE).read_text()
    for secret in ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "probe(", "autograder"):
        assert secret not in text, f"release/{assignment} still contains {secret!r}"
    assert "raise NotImplementedError()" in text


def test_tiny_model_shipped_with_06_sampling_is_the_reference_model():
    import json

    import numpy as np

    shipped = json.loads((SOURCE / "06_sampling" / "tinygpt.json").read_text())
    reference = json.loads((SOURCE.parent / "reference" / "tinygpt.json").read_text())
    assert shipped == reference, "source/06_sampling/tinygpt.json differs from reference/tinygpt.json: copy it again"
    try:
        from reference import tinygpt
    except ImportError:
        return
    assert shipped["VOCAB"] == list(tinygpt.VOCAB)
    for name, value in tinygpt.MODEL.items():
        assert np.array_equal(np.array(shipped["MODEL"][name]), value), f"MODEL[{name!r}] differs"


def test_release_regenerates_only_what_changed(tmp_path):
    """`make hub` restarts fast: an unchanged source is not released again; any edit to it is."""
    import shutil

    from autograder.release import ROOT, is_current

    root = tmp_path / "course"
    shutil.copytree(SOURCE / "01_line", root / "source" / "01_line")
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    assert [p.name for p in release(root=root, force=False)] == ["01_line"]
    assert is_current("01_line", root=root)
    assert release(root=root, force=False) == []
    notebook = notebook_path("01_line", root / "source")
    notebook.write_text(notebook.read_text().replace("the four points", "the 4 points", 1))
    assert not is_current("01_line", root=root)
    assert [p.name for p in release(root=root, force=False)] == ["01_line"]
    assert "the 4 points" in notebook_path("01_line", root / "release").read_text()
