"""Shared, rung-agnostic helpers for the course tests: notebooks, substitutions, check, real-kernel execution.

    nb = load_source("06_sampling")
    wrong = substitute(nb, "top_p_filter", "def top_p_filter(probs, p):\n    return probs\n")
    path = write_submission(wrong, tmp_path, "06_sampling")      # the notebook plus its data files
    result = run_check(path)                                     # autograder.check.check_notebook
    assert result.points["test_top_p_filter"] == 0

    executed, widgets = execute_in_kernel(path)                  # nbclient, a real kernel, widget state collected
"""

import copy
import importlib.util
import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "source"
RELEASE = ROOT / "release"
WRONG_DIR = Path(__file__).resolve().parent / "wrong"
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE_MIME = "application/vnd.jupyter.widget-state+json"


def assignments() -> list[str]:
    """Every assignment with a source notebook, in order (01_line, 02_bend, ...)."""
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file()) if SOURCE.is_dir() else []


def notebook_path(assignment: str, root: Path = SOURCE) -> Path:
    return root / assignment / f"{assignment}.ipynb"


def load_source(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(assignment), as_version=4)


def load_release(assignment: str) -> nbformat.NotebookNode:
    return nbformat.read(notebook_path(assignment, RELEASE), as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.get("metadata", {}).get("nbgrader", {})


def cell_by_id(nb, grade_id: str):
    """The cell whose nbgrader grade_id is `grade_id` (KeyError if none)."""
    for cell in nb.cells:
        if nbgrader_meta(cell).get("grade_id") == grade_id:
            return cell
    raise KeyError(f"no cell with grade_id {grade_id!r}")


def question_cells(nb) -> dict[str, float]:
    """{grade_id: points} of the autograded test cells."""
    return {m["grade_id"]: float(m.get("points", 0)) for c in nb.cells
            if (m := nbgrader_meta(c)).get("grade") and not m.get("solution")}


def graded_functions(nb) -> list[str]:
    """Names of the solution cells that have a test cell test_<name>."""
    tests = question_cells(nb)
    return [m["grade_id"] for c in nb.cells
            if (m := nbgrader_meta(c)).get("solution") and f"test_{m.get('grade_id')}" in tests]


def substitute(nb, function: str, code: str):
    """A copy of `nb` whose solution cell `function` holds `code` instead."""
    changed = copy.deepcopy(nb)
    cell_by_id(changed, function).source = code
    return changed


def edit_cell(nb, grade_id: str, code: str):
    """A copy of `nb` with cell `grade_id`'s source replaced (for attacks on locked and test cells)."""
    return substitute(nb, grade_id, code)


def write_submission(nb, folder: Path, assignment: str, name: str | None = None) -> Path:
    """Write `nb` as `folder`/<assignment>.ipynb beside a copy of the assignment's data files."""
    folder.mkdir(parents=True, exist_ok=True)
    for data in (SOURCE / assignment).iterdir():
        if data.is_file() and data.suffix != ".ipynb":
            shutil.copy(data, folder / data.name)
    path = folder / f"{name or assignment}.ipynb"
    nbformat.write(nb, path)
    return path


def run_check(path: Path, **kwargs):
    """The self-learner's check on `path` (autograder.check.check_notebook; kwargs e.g. seed=, pool=)."""
    from autograder.check import check_notebook

    return check_notebook(Path(path), **kwargs)


def load_wrong() -> dict[str, dict[str, list[tuple[str, str]]]]:
    """{rung: WRONG} for every tests/course/wrong/<rung>.py."""
    found = {}
    for path in sorted(WRONG_DIR.glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"wrong_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        found[path.stem] = module.WRONG
    return found


def assignment_of_rung(rung: str) -> str:
    """'line' -> '01_line'."""
    for name in assignments():
        if name.split("_", 1)[1] == rung:
            return name
    raise KeyError(f"no source notebook for rung {rung!r}")


def execute_in_kernel(path: Path, timeout: int = 120):
    """Run the notebook top to bottom in a real kernel (nbclient), in its own folder.

    Returns (executed notebook, widget views): the views are the model ids of every widget view displayed,
    each mapped to its state as the kernel reported it ({model_id: state dict}).
    """
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", allow_errors=False,
                            resources={"metadata": {"path": str(Path(path).parent)}}, store_widget_state=True)
    client.execute()
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {})
    views = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            view = out.get("data", {}).get(WIDGET_MIME)
            if view:
                views[view["model_id"]] = state.get(view["model_id"], {}).get("state", {})
    return nb, views


def widget_states(nb) -> dict[str, dict]:
    """{model_id: {"model_name": ..., "state": {...}}} saved in an executed notebook's metadata."""
    return dict(nb.metadata.get("widgets", {}).get(WIDGET_STATE_MIME, {}).get("state", {}))
