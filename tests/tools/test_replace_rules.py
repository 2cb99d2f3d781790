"""The replace table (tools/replace_rules.py) covers every type the plans use and names what the SDK has."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pulumi_proxmoxve

from tools.mockengine import Recording
from tools.preview import _rule_fires, parse_path
from tools.replace_rules import (
    AUTONAMED,
    BPG_VERSION,
    FIXED_IDS,
    REPLACE_ROWS,
    ReplaceRow,
    covered_types,
)

KINDS = {"change", "block", "rule", "state", "none", "engine", "dynamic"}
PACKAGES = {"proxmoxve": "pulumi_proxmoxve", "random": "pulumi_random", "command": "pulumi_command"}


def sdk_class(type_: str) -> type | None:
    """The SDK class of a type token (`proxmoxve:sdn/zone/vxlan:Vxlan` -> pulumi_proxmoxve.sdn.zone.Vxlan,
    `command:remote:Command` -> pulumi_command.remote.Command)."""
    package, middle, name = type_.split(":")
    if package not in PACKAGES:
        return None
    module = importlib.import_module(PACKAGES[package])
    for part in middle.split("/")[:-1] if "/" in middle else [middle]:
        if part != "index":
            module = getattr(module, part)
    cls = getattr(module, name)
    assert getattr(cls, "pulumi_type", None) == type_, type_
    return cls


def snake(name: str) -> str:
    return re.sub(r"([A-Z])", lambda m: "_" + m.group(1).lower(), name)


def test_every_type_the_plans_use_has_rows(plan_dev: Recording, plan_prod: Recording) -> None:
    used = {r.type for p in (plan_dev, plan_prod) for r in p.resources if r.custom}
    assert used - covered_types() == set(), "add the type's replace-forcing attributes (or a `none` row)"
    assert used - set(FIXED_IDS) - {"random:index/randomPassword:RandomPassword", "command:remote:Command"} == {
        "proxmoxve:sdn/applier:Applier"
    }, "every type with a PVE id says which inputs make it"


def test_rows_name_inputs_the_sdk_has() -> None:
    sources = "".join(p.read_text() for p in Path(pulumi_proxmoxve.__file__).parent.rglob("_inputs.py"))
    for row in REPLACE_ROWS:
        assert row.kind in KINDS, row
        assert row.source, row
        cls = sdk_class(row.type)
        if cls is None or not row.path:
            continue
        first, *rest = [s for s in parse_path(row.path) if isinstance(s, str) and s != "*"]
        assert isinstance(getattr(cls, snake(first), None), property), f"{row.type} has no input {first}"
        for nested in rest:
            assert f"def {snake(nested)}(self)" in sources, f"{row.type}: no nested input {nested}"


def test_rows_cite_the_bpg_version_read() -> None:
    bpg = [r for r in REPLACE_ROWS if r.type.startswith("proxmoxve:")]
    assert BPG_VERSION == "v0.111.1"
    assert all(f"bpg/terraform-provider-proxmox {BPG_VERSION} " in r.source for r in bpg)
    assert all(re.search(r"\.go ", r.source) for r in bpg), "file and attribute"


def test_autonamed_types_are_those_with_a_name_input(plan_dev: Recording, plan_prod: Recording) -> None:
    """The bridge autonames every resource with a string input `name` (SetAutonaming): those are delete-before-
    replace when the program names them."""
    used = {r.type for p in (plan_dev, plan_prod) for r in p.resources if r.type.startswith("proxmoxve:")}
    named = set()
    for t in used:
        cls = sdk_class(t)
        assert cls is not None
        args = getattr(importlib.import_module(cls.__module__), f"{cls.__name__}Args")
        if "name" in inspect.signature(args.__init__).parameters:
            named.add(t)
    assert named == set(AUTONAMED)


def test_every_rule_is_evaluated() -> None:
    """A conditional row names a rule the classifier knows (an unknown one raises)."""
    rules = [r for r in REPLACE_ROWS if r.kind == "rule"]
    assert {r.note.split(":")[0] for r in rules} == {"vm-id", "node-without-migrate", "changed", "shrink"}
    for row in rules:
        assert _rule_fires(row, {}, {}, {}, {}, blind=None) is None  # type: ignore[arg-type]
    bogus = ReplaceRow("t", "x", "rule", "s", "nonsense: no such rule")
    try:
        _rule_fires(bogus, {}, {}, {}, {}, blind=None)  # type: ignore[arg-type]
    except ValueError as exc:
        assert "nonsense" in str(exc)
    else:
        raise AssertionError("an unknown rule must not pass silently")
