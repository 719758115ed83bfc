"""Fixtures shared by the course tests: one pool of grading workers for the whole session."""

import os

import pytest


@pytest.fixture(scope="session")
def pool():
    """A real WorkerPool (isolated, pre-imported processes), shared so each check costs milliseconds."""
    from autograder.execute import WorkerPool

    with WorkerPool(workers=min(4, os.cpu_count() or 1)) as workers:
        yield workers
