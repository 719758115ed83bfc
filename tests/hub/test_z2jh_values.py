"""deploy/z2jh/values.yaml, laid on the Zero to JupyterHub chart's defaults as Helm does, satisfies the chart's
values schema, and carries the course wiring (groups, roles, formgrader service, exchange on shared storage)."""

from pathlib import Path

import jsonschema
import yaml

from hub.settings import REPO

Z2JH = Path("/work/shared/z2jh")
VALUES = REPO / "deploy" / "z2jh" / "values.yaml"


def merge(base, override):
    """Helm's values merge: mappings merge key by key, anything else (lists included) is replaced."""
    if isinstance(base, dict) and isinstance(override, dict):
        return {k: merge(base[k], v) if k in base else v for k, v in override.items()} | \
            {k: v for k, v in base.items() if k not in override}
    return override


def merged():
    return merge(yaml.safe_load((Z2JH / "values.default.yaml").read_text()), yaml.safe_load(VALUES.read_text()))


def test_values_validate_against_the_chart_schema():
    schema = yaml.safe_load((Z2JH / "values.schema.yaml").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    errors = sorted(jsonschema.Draft7Validator(schema).iter_errors(merged()), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{'.'.join(map(str, e.path))}: {e.message}" for e in errors)


def test_a_broken_override_is_caught_by_the_same_check():
    schema = yaml.safe_load((Z2JH / "values.schema.yaml").read_text())
    broken = merge(merged(), {"singleuser": {"storage": {"extraVolumes": "not-a-list"}}, "hub": {"nonsense": 1}})
    assert list(jsonschema.Draft7Validator(schema).iter_errors(broken))


def test_values_carry_the_course():
    values = yaml.safe_load(VALUES.read_text())
    assert set(values["hub"]["loadRoles"]) == {"formgrade-line-to-word", "nbgrader-line-to-word"}
    assert "access:services!service=line-to-word" in values["hub"]["loadRoles"]["formgrade-line-to-word"]["scopes"]
    assert "access:services!service=line-to-word" not in values["hub"]["loadRoles"]["nbgrader-line-to-word"]["scopes"]
    assert "line-to-word" in values["hub"]["services"]
    mounts = {m["mountPath"] for m in values["singleuser"]["storage"]["extraVolumeMounts"]}
    assert "/srv/nbgrader/exchange" in mounts
    formgrader = values["hub"]["extraContainers"][0]
    env = {e["name"]: e.get("value") for e in formgrader["env"]}
    assert "frame-ancestors 'self'" in env["SERVER_CONFIG"]


def test_formgrader_gets_the_repository_course_config():
    """The formgrader pod's course config is the repository's nbgrader_config.py (hidden tests out of feedback,
    confined autograde, wrapping output), rooted in the course volume: the cluster path grades as the others do."""
    import json

    from hub.course import repository_course_config

    formgrader = yaml.safe_load(VALUES.read_text())["hub"]["extraContainers"][0]
    config = json.loads({e["name"]: e.get("value") for e in formgrader["env"]}["NBGRADER_CONFIG"])
    expected = repository_course_config()
    expected.setdefault("CourseDirectory", {}).update({"course_id": "line-to-word", "root": "/srv/course"})
    expected |= {"Exchange": {"root": "/srv/nbgrader/exchange"}, "ExchangeCollect": {"check_owner": False}}
    assert config == expected
    assert "hub.feedback.ClearHiddenTests" in config["GenerateFeedback"]["preprocessors"]
