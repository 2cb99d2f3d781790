"""The day-2 scenarios (tools/scenarios.py) on both stacks: the predicted steps, and exactly the hazards recorded as
today's backlog (tests/support/day2_known_hazards.py) - a new hazard fails, and so does a fixed one (shrink the
table)."""

from __future__ import annotations

import pytest

from tests.support.day2_known_hazards import KNOWN_HAZARDS
from tests.support.stacks import FIXTURE_PROJECT
from tools.preview import HAZARD_KINDS, SAME
from tools.scenarios import SCENARIOS, Scenario, against, by_name, reason, run, summary

pytestmark = pytest.mark.slow  # the day-2 scenarios: two plans per scenario and stack

RUNS = [(s, stack) for s in SCENARIOS for stack in s.stacks]


def test_the_table_covers_exactly_the_suite() -> None:
    assert set(KNOWN_HAZARDS) == {(s.name, stack) for s, stack in RUNS}
    assert all(kind in HAZARD_KINDS for entries in KNOWN_HAZARDS.values() for kind, _ in entries)
    assert all(why for entries in KNOWN_HAZARDS.values() for why in entries.values())


@pytest.mark.parametrize(("scenario", "stack"), RUNS, ids=[f"{s.name} ({stack})" for s, stack in RUNS])
def test_day2_scenario(scenario: Scenario, stack: str) -> None:
    preview = run(scenario, stack, FIXTURE_PROJECT)
    print(f"{scenario.name} ({stack}): {summary(preview)}")
    for step in preview.steps:
        if step.op != SAME and step.res.custom:
            print(f"  {step.op}{f' [{step.mode}]' if step.mode else ''} {step.name}")
    for h in preview.hazards:
        print(f"  ! {h.kind}: {h.name}: {reason(preview, h.name)}")
    untouched = [n for n in scenario.touches if preview.step(n).op == SAME]
    assert not untouched, f"the edit did not reach {untouched}: the scenario no longer tests what it says"
    new, fixed = against(preview, KNOWN_HAZARDS[(scenario.name, stack)])
    assert not new, f"new hazards (fix them; record them in day2_known_hazards.py only if they are accepted): {new}"
    assert not fixed, f"fixed - shrink tests/support/day2_known_hazards.py by these entries: {fixed}"


def test_the_comparison_sees_a_new_and_a_fixed_hazard() -> None:
    """Twins of the exact comparison: a hazard missing from the table is new, a recorded one not found is fixed
    (on the first scenario that still has a recorded hazard; the backlog shrinks as fixes land)."""
    name, stack = next(key for key, entries in KNOWN_HAZARDS.items() if entries)
    preview = run(by_name(name), stack, FIXTURE_PROJECT)
    known = dict(KNOWN_HAZARDS[(name, stack)])
    assert against(preview, known) == ({}, [])
    key = next(iter(known))
    dropped = known.pop(key)
    new, fixed = against(preview, known)
    assert new == {key: dropped} and fixed == []
    known[("protected-replace", "no-such-resource")] = "invented"
    assert against(preview, known)[1] == [("protected-replace", "no-such-resource")]


def test_a_harmless_change_has_no_hazard() -> None:
    """The suite sees a clean change as clean (the memory of one VM): one in-place update."""
    assert KNOWN_HAZARDS[("change a VM's memory", "dev")] == {}
    preview = run(by_name("change a VM's memory"), "dev", FIXTURE_PROJECT)
    assert [(s.name, s.op) for s in preview.steps if s.op != SAME] == [("hosting-verein-cloud-vm", "update")]


def test_a_removal_is_applied_after_the_deletes() -> None:
    """Issue 15 item 4: removing a tenant replaces the finalizer, and every SDN object deleted depends on it, so
    the engine deletes them before the old finalizer, whose delete (`PUT /cluster/sdn`) then applies the removal.
    The applier is replaced too: its create applies what was created or changed."""
    preview = run(by_name("remove a tenant"), "dev")
    finalizer, applier = preview.step("sdn-finalizer"), preview.step("sdn-applier")
    assert finalizer.op == "replace" and applier.op == "replace"
    sdn = ("proxmoxve:sdn/zone/vxlan:Vxlan", "proxmoxve:sdn/vnet:Vnet", "proxmoxve:sdn/subnet:Subnet")
    deleted = [s for s in preview.by_op("delete") if s.type in sdn]
    assert {s.name for s in deleted} >= {"beta-vxlan-zone"}
    assert all(finalizer.urn in s.res.dependencies for s in deleted)


@pytest.mark.parametrize(
    ("name", "stack", "changed"),
    [("change the edge's adminFrom", "dev", "firewall-admins"), ("add a node", "prod", "firewall-vteps-set")],
)
def test_no_firewall_change_leaves_drop_without_its_sets(name: str, stack: str, changed: str) -> None:
    """Issue 15 item 7: the edited IP set is replaced create-before-delete under a new name, and the host rules
    move to it in place; `management` and the cluster's DROP stay as they are."""
    preview = run(by_name(name), stack)
    step = preview.step(changed)
    assert (step.op, step.mode) == ("replace", "create-before-delete")
    assert preview.step("firewall-hosts").op == "update" and preview.step("firewall-management").op == "same"
    assert preview.step("firewall-cluster").op == "same"
    assert not [s for s in preview.by_op("delete") if s.type == "proxmoxve:firewall/ipsetLegacy:IpsetLegacy"]


def test_a_deploy_token_rotation_touches_no_resource() -> None:
    """Issue 15 item 8: no resource holds the deploy token (the dynamic providers take it at run time), so its
    rotation plans nothing."""
    preview = run(by_name("rotate the deploy token"), "dev")
    assert [s.name for s in preview.steps if s.op != "same"] == []
