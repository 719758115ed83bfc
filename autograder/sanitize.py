"""Sanitize stage: nbgrader's own preprocessors make a submitted notebook safe to run.

Locked cells and autograded tests come back from the gradebook (OverwriteCells), outputs are cleared, cell ids
deduplicated, the kernelspec restored, cell metadata checked: the same list, in the same order, as
`nbgrader.converters.Autograde.sanitize_preprocessors`.
"""
from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat import NotebookNode
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells,
                                    OverwriteKernelspec)
from traitlets.config import Config

SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, OverwriteCells, CheckCellMetadata)


class SubmissionError(Exception):
    """A notebook that cannot be graded at all (invalid JSON, unusable metadata): it scores 0, with this reason."""


def resources_for(db_url: str, assignment: str, student: str, notebook: str) -> dict:
    """The `resources` nbgrader's converters hand their preprocessors (`init_single_notebook_resources`)."""
    return {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
            "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook, "db_url": db_url}}


class Chain:
    """nbgrader preprocessors configured once from the course's config, applied in order."""

    def __init__(self, classes, config: Config):
        self.preprocessors = [cls(config=config) for cls in classes]

    def __call__(self, nb: NotebookNode, resources: dict) -> NotebookNode:
        for preprocessor in self.preprocessors:
            nb, resources = preprocessor(nb, resources)  # __call__ skips a preprocessor the config disabled
        return nb


class Sanitizer:
    """Read a submitted notebook and restore it as nbgrader's autograde would before running it."""

    def __init__(self, config: Config, restore_missing_cells: bool):
        config = Config(config)
        if restore_missing_cells and "add_missing_cells" not in config.get("OverwriteCells", {}):
            config.OverwriteCells.add_missing_cells = True
        self.chain = Chain(SANITIZE, config)

    def __call__(self, path: Path, resources: dict) -> NotebookNode:
        try:
            nb = nbformat.read(str(path), as_version=4)
        except Exception as err:  # nbformat raises JSON, validation and version errors of many types
            raise SubmissionError(f"{path.name} is not a readable notebook ({type(err).__name__}: {err})") from err
        try:
            return self.chain(nb, resources)
        except Exception as err:  # CheckCellMetadata and OverwriteCells reject cells they cannot trust
            raise SubmissionError(f"{path.name} could not be restored from the gradebook ({err})") from err
