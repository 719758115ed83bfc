"""Fixtures for the hub tests: a real JupyterHub with the real proxy on free loopback ports, in a temp dir."""

from __future__ import annotations

import os

import pytest

from hub.harness import Hub
from hub.settings import REPO
import tiny_course


@pytest.fixture
def checkout_reachable_by_everyone():
    """Server mode runs every account's server from this checkout (its venv, `hub/`, `autograder/`), so every
    folder above it must let other users through, as it does under /srv or /opt. A fresh clone in a private (0700)
    temp dir does not: the test grants o+x (pass through, not list) on those folders and takes it back after."""
    granted = []
    for folder in [REPO, *REPO.parents]:
        mode = folder.stat().st_mode
        if not mode & 0o001:
            os.chmod(folder, (mode & 0o7777) | 0o001)
            granted.append((folder, mode))
    yield
    for folder, mode in granted:
        os.chmod(folder, mode & 0o7777)


@pytest.fixture
def make_hub(tmp_path):
    """Factory: start a hub with extra L2W_* settings; every hub started is stopped (and its tree killed) after."""
    hubs: list[Hub] = []

    def start(env: dict[str, str] | None = None, data_dir=None) -> Hub:
        data = data_dir or tmp_path / f"hub{len(hubs)}"
        source = tmp_path / "source"
        if not (source / tiny_course.ASSIGNMENT).exists():
            tiny_course.write_source(source)
        hub = Hub(data_dir=data, env={"L2W_SOURCE_DIR": str(source), **(env or {})})
        hubs.append(hub)
        return hub.start()

    yield start
    for hub in hubs:
        hub.stop()
