"""Every notebook runs top to bottom in a real kernel and its widgets render with the student's functions."""

import base64
import re
import struct

import numpy as np
import pytest

from .helpers import RELEASE, assignments, execute_in_kernel, notebook_path, write_submission, load_release


@pytest.mark.parametrize("assignment", assignments())
def test_source_notebook_runs_and_shows_widgets(assignment):
    nb, views = execute_in_kernel(notebook_path(assignment))
    assert views, f"{assignment} displays no widget"
    # the plot is a PNG the kernel drew into the widget's own Image with the solutions' functions ...
    sizes = [png_size(image) for image in images(nb)]
    assert sizes and all(w > 100 and h > 100 for w, h in sizes), sizes
    # ... and no figure reached the cells' own outputs (where pyplot's inline backend would put one)
    outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if "image/png" in out.get("data", {})], f"{assignment} leaks a figure"
    assert "<Figure size" not in str(outputs), f"{assignment} leaks a figure's repr"


def images(nb) -> list[bytes]:
    """The value of every ipywidgets Image in an executed notebook's saved widget state."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    return [b"".join(base64.b64decode(buf["data"]) for buf in m.get("buffers", []) if buf["path"] == ["value"])
            for m in state.values() if m["model_name"] == "ImageModel"]


def png_size(data: bytes) -> tuple[int, int]:
    """(width, height) from a PNG's header, (0, 0) if `data` is no PNG (e.g. an Image not drawn yet)."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        return 0, 0
    return struct.unpack(">II", data[16:24])


def test_line_widget_shows_the_loss_of_the_sliders():
    nb, _ = execute_in_kernel(notebook_path("01_line"))
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    values = {m["state"].get("description"): m["state"].get("value") for m in state.values()
              if m["model_name"] == "FloatSliderModel"}
    w, b = values["w"], values["b"]
    x, y = np.array([1.0, 2.0, 3.0, 4.0]), np.array([0.0, 1.0, 1.0, 0.0])
    labels = [m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"]
    loss = np.mean((w * x + b - y) ** 2)
    assert any(f"loss = {loss:.4f}" in text for text in labels), labels
    buttons = [m["state"]["description"] for m in state.values() if m["model_name"] == "ButtonModel"]
    assert "train step" in buttons


def test_sampling_widget_shows_kept_tokens_and_a_continuation():
    nb, _ = execute_in_kernel(notebook_path("06_sampling"))
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    labels = [m["state"]["value"] for m in state.values() if m["model_name"] == "HTMLModel"]
    assert any(text.startswith("kept: roamed") for text in labels), labels
    assert any(re.search(r"sampled: <b>a fluffy blue creature( \S+){4}</b>", text) for text in labels), labels


@pytest.mark.parametrize("assignment", [a for a in assignments() if notebook_path(a, RELEASE).is_file()])
def test_untouched_release_widgets_ask_for_the_functions(tmp_path, assignment):
    nb = load_release(assignment)
    for cell in nb.cells:  # the checks of unanswered functions fail, as expected; the widgets must not
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass"
    nb_path = write_submission(nb, tmp_path, assignment)
    executed, _ = execute_in_kernel(nb_path)
    text = str(executed.metadata.get("widgets", {}))
    assert "Implement `" in text and "Traceback" not in str([c.get("outputs") for c in executed.cells])


@pytest.mark.parametrize("assignment", assignments())
def test_grading_never_imports_matplotlib(assignment):
    """Only a drawing imports matplotlib (inside the function that draws): grading skips the widgets' first
    drawing, so a check's worker need not preload it (`WorkerPool(light=True)`) and no notebook waits for it."""
    import ast

    nb = load_release(assignment)
    top_level = [(cell.metadata.get("nbgrader", {}).get("grade_id"), ast.unparse(node))
                 for cell in nb.cells if cell.cell_type == "code"
                 for node in ast.parse(cell.source).body if isinstance(node, (ast.Import, ast.ImportFrom))
                 and any("matplotlib" in name for name in [getattr(node, "module", None) or ""]
                         + [alias.name for alias in node.names])]
    assert not top_level, f"{assignment} imports matplotlib at the top of a cell: {top_level}"
