"""A restart with nothing changed releases nothing again; an edited assignment is released again."""
from hub import course
from hub.settings import HubSettings

import tiny_course


def test_release_skips_what_is_already_released_and_unchanged(tmp_path):
    source = tmp_path / "source"
    notebook = tiny_course.write_source(source)
    s = HubSettings.from_env({"L2W_HUB_MODE": "demo", "L2W_HUB_DATA": str(tmp_path / "data"),
                              "L2W_SOURCE_DIR": str(source)})
    course.prepare(s)
    assert course.release(s) == [tiny_course.ASSIGNMENT]
    assert course.is_released(s, tiny_course.ASSIGNMENT)
    assert course.release(s) == [], "an unchanged assignment was generated and released again"

    notebook.write_text(notebook.read_text().replace("x * x", "x ** 2"))
    assert not course.is_released(s, tiny_course.ASSIGNMENT)
    assert course.release(s) == [tiny_course.ASSIGNMENT]
    released = next(s.exchange_dir.glob(f"*/outbound/{tiny_course.ASSIGNMENT}/{notebook.name}"))
    assert "x ** 2" not in released.read_text() and "raise NotImplementedError" in released.read_text()

    assert course.release(s, force=True) == [tiny_course.ASSIGNMENT]
