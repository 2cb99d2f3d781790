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
    (on the first dev scenario that still has a recorded hazard; the backlog shrinks as fixes land)."""
    name = next(n for (n, stack), entries in KNOWN_HAZARDS.items() if stack == "dev" and entries)
    preview = run(by_name(name), "dev", FIXTURE_PROJECT)
    known = dict(KNOWN_HAZARDS[(name, "dev")])
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
