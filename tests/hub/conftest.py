"""Fixtures for the hub tests: a real JupyterHub with the real proxy on free loopback ports, in a temp dir."""

from __future__ import annotations

import pytest

from hub.harness import Hub
import tiny_course


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
