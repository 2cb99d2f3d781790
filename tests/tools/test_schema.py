"""tenants/schema.json: current with the models, accepts the shipped tenants, rejects bad ones."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml

from tests.support.stacks import FIXTURE_PROJECT
from tools.mockengine import PROJECT_DIR
from tools.schema import SCHEMA_PATH, render


def test_committed_schema_is_current() -> None:
    assert SCHEMA_PATH.read_text() == render(), "tenants/schema.json is stale: run `make schema`"


@pytest.mark.parametrize("path", sorted((PROJECT_DIR / "tenants").glob("*.yaml")), ids=lambda p: p.name)
def test_shipped_tenants_validate(path) -> None:
    jsonschema.validate(yaml.safe_load(path.read_text()), json.loads(SCHEMA_PATH.read_text()))


@pytest.mark.parametrize(
    "mutation",
    [{"access": "root"}, {"zone": {"id": "waytoolongzone"}}, {"colour": "blue"}, {"number": 0}],
    ids=["profile", "zone-id", "unknown-key", "number"],
)
def test_schema_rejects_bad_tenants(mutation: dict) -> None:
    data = {**yaml.safe_load((FIXTURE_PROJECT / "tenants" / "alpha.yaml").read_text()), **mutation}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, json.loads(SCHEMA_PATH.read_text()))


def test_the_project_requires_a_cli_with_replacement_triggers() -> None:
    """components/sdn.py relies on `replacement_trigger`, which an older engine ignores silently (pulumi/pulumi#20936,
    released in 3.208.0): Pulumi.yaml states the minimum, which the CLI checks before running (issue 15 item 4)."""
    import re

    import yaml

    from tools.mockengine import PROJECT_DIR

    required = yaml.safe_load((PROJECT_DIR / "Pulumi.yaml").read_text(encoding="utf-8"))["requiredPulumiVersion"]
    found = re.fullmatch(r">=(\d+)\.(\d+)\.(\d+)", required)
    assert found and tuple(int(x) for x in found.groups()) >= (3, 208, 0)
