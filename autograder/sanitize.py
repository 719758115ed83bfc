"""Sanitize stage: nbgrader's own preprocessors make a submitted notebook safe to run.

Locked cells and autograded tests come back from the gradebook (OverwriteCells), outputs are cleared, cell ids
deduplicated, the kernelspec restored, cell metadata checked: the same list, in the same order, as
`nbgrader.converters.Autograde.sanitize_preprocessors`. One difference, in the log only: a test cell that still
reads exactly as it was released (its hidden tests cut out) is restored without stock nbgrader's "checksum has
changed!" warning, which it prints for every such cell of every honest submission.
"""
from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import nbformat
from nbformat import NotebookNode
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearOutput, DeduplicateIds, OverwriteCells,
                                    OverwriteKernelspec)
from nbgrader.preprocessors.base import NbGraderPreprocessor
from nbgrader.utils import is_locked
from traitlets.config import Config


class SourceSnapshot:
    """The source side of the gradebook for one notebook, read once: what OverwriteCells looks up, cell by cell.

    Answers `find_notebook`, `find_source_cell` and `find_graded_cell` as nbgrader's Gradebook does (MissingEntry
    included) from plain copies of the rows. An assignment's source cells do not change while it is graded, so one
    read serves every submission of the batch instead of two queries per cell per submission.
    """

    def __init__(self, gb: Gradebook, notebook: str, assignment: str):
        self.name = notebook
        try:
            source = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            self.missing = f"No such notebook: {assignment}/{notebook}"
            source = SimpleNamespace(source_cells=[], grade_cells=[], solution_cells=[], task_cells=[])
        else:
            self.missing = None
        self.source_cells = [_copy(c, "name", "cell_type", "locked", "checksum", "source") for c in source.source_cells]
        self.grade_cells = [_copy(c, "name", "max_score") for c in source.grade_cells]
        self.task_cells = [_copy(c, "name", "max_score") for c in source.task_cells]
        self.solution_cells = [_copy(c, "name") for c in source.solution_cells]
        self._source = {c.name: c for c in self.source_cells}
        self._graded = {c.name: c for c in self.grade_cells + self.task_cells}

    def find_notebook(self, notebook: str, assignment: str):
        if self.missing:
            raise MissingEntry(self.missing)
        return self

    def find_source_cell(self, name: str, notebook: str, assignment: str):
        return _lookup(self._source, name, f"No such source cell: {assignment}/{notebook}/{name}")

    def find_graded_cell(self, name: str, notebook: str, assignment: str):
        return _lookup(self._graded, name, f"No such graded cell: {assignment}/{notebook}/{name}")


def _copy(row, *names) -> SimpleNamespace:
    return SimpleNamespace(**{name: getattr(row, name) for name in names})


def _lookup(rows: dict, name: str, missing: str):
    try:
        return rows[name]
    except KeyError:
        raise MissingEntry(missing) from None


class RestoreReleasedCells(OverwriteCells):
    """OverwriteCells that tells an edited locked cell from one that is as released, reading the source once.

    The gradebook keeps a test cell's checksum with its hidden tests in; the student got it with them cut out, so
    the checksums always differ and OverwriteCells warns of a change nobody made. Such a cell gets its full
    source back first; a cell the student really edited still gets the warning, and is restored as before.
    The source cells come from a `SourceSnapshot` per notebook, kept for the life of this preprocessor (one batch).
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._snapshots: dict[tuple[str, str, str], SourceSnapshot] = {}  # (db_url, assignment, notebook)

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.db_url = resources["nbgrader"]["db_url"]
        key = (self.db_url, self.assignment_id, self.notebook_id)
        if key not in self._snapshots:
            with Gradebook(self.db_url) as gb:
                self._snapshots[key] = SourceSnapshot(gb, self.notebook_id, self.assignment_id)
        self.gradebook = self._snapshots[key]
        # OverwriteCells.preprocess without its own Gradebook session: the cells, then the missing ones
        nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id is not None and is_locked(cell):
            try:
                source_cell = self.gradebook.find_source_cell(grade_id, self.notebook_id, self.assignment_id)
            except MissingEntry:
                source_cell = None
            if source_cell is not None and source_cell.source != cell.source:
                released = NotebookNode(cell_type=source_cell.cell_type, source=source_cell.source, metadata={})
                ClearHiddenTests(config=self.config)._remove_hidden_test_region(released)
                if released.source == cell.source:
                    cell.source = source_cell.source
        return super().preprocess_cell(cell, resources, cell_index)


SANITIZE = (ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreReleasedCells, CheckCellMetadata)


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
