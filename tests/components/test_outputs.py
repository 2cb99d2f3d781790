"""The stack outputs as a contract: they validate against docs/outputs.schema.json, and their shape is pinned."""

from __future__ import annotations

import json

import jsonschema
import pytest

from components.outputs import SCHEMA_VERSION
from tools.mockengine import PROJECT_DIR, Recording
from tools.outputs_shape import SNAPSHOT, shape_lines

SCHEMA = json.loads((PROJECT_DIR / "docs" / "outputs.schema.json").read_text())


def test_outputs_of_both_stacks_validate(plan: Recording) -> None:
    jsonschema.validate(plan.outputs, SCHEMA, format_checker=jsonschema.FormatChecker())


def test_schema_and_code_agree_on_the_version(plan: Recording) -> None:
    assert plan.outputs["schema_version"] == SCHEMA_VERSION == SCHEMA["properties"]["schema_version"]["const"]


def test_the_schema_rejects_a_drifted_document(plan_dev: Recording) -> None:
    drifted = json.loads(json.dumps(plan_dev.outputs))
    drifted["tenants"]["alpha"]["vnets"]["alphaweb"]["subnet"] = drifted["tenants"]["alpha"]["vnets"]["alphaweb"].pop(
        "cidr"
    )
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(drifted, SCHEMA)


def test_shape_matches_the_snapshot(plan_dev: Recording) -> None:
    current = "\n".join(sorted(shape_lines(plan_dev.outputs))) + "\n"
    assert current == SNAPSHOT.read_text(), (
        "the outputs changed shape: announce it - bump SCHEMA_VERSION (components/outputs.py) and "
        "docs/outputs.schema.json, then run `python -m tools.outputs_shape`"
    )


def test_shape_snapshot_sees_a_new_field(plan_dev: Recording) -> None:
    grown = json.loads(json.dumps(plan_dev.outputs))
    grown["tenants"]["alpha"]["newField"] = 1
    assert ".tenants.*.newField: integer" in shape_lines(grown)
    assert "\n".join(sorted(shape_lines(grown))) + "\n" != SNAPSHOT.read_text()


def test_secrets_are_secret_as_a_whole(plan: Recording) -> None:
    for key in ("initialPasswords", "humhubAdminPasswords", "grafanaAdminPasswords", "auditToken"):
        assert plan.outputs[key] == "[secret]"
    assert "[secret]" not in json.dumps(plan.outputs["tenants"])
