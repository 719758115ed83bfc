"""A one-notebook nbgrader assignment written by the tests: a graded function, its test cell (visible and hidden
asserts) and an ipywidgets cell. Used when the course's own source/01_line is not there yet."""

from pathlib import Path

import nbformat

ASSIGNMENT = "ps_hello"
NOTEBOOK = "hello.ipynb"
SOLUTION = "def square(x):\n    return x * x\n"


def _cell(kind, source, grade_id, *, solution=False, grade=False, locked=False, points=None):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution,
            "task": False}
    if points is not None:
        meta["points"] = points
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    return make(source, metadata={"nbgrader": meta})


def write_source(course_source: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [
        _cell("markdown", "Write `square(x)`: it returns x times x.", "intro", locked=True),
        _cell("code", "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION", "square",
              solution=True),
        _cell("code", '"""Check that square squares"""\nassert square(3) == 9\n### BEGIN HIDDEN TESTS\n'
                      "assert square(-2) == 4\n### END HIDDEN TESTS", "test_square", grade=True, locked=True,
              points=1),
        _cell("code", "import ipywidgets as widgets\n"
                      "slider = widgets.IntSlider(value=3, min=0, max=10, description='tiny-slider')\nslider",
              "widget", locked=True),
    ]
    path = course_source / ASSIGNMENT / NOTEBOOK
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path
