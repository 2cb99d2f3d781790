"""Restore drill coverage on the plans: prod drills every checkable stateful guest, dev has no drill, no scratch ID
is a planned guest; shown failing on a guest missing from the list and on a colliding guest."""

from __future__ import annotations

import dataclasses

from proofs.drill import CMD, drilled, scratch_collisions, undrilled
from proofs.privileges import VM
from tests.support.graph import reg
from tools.mockengine import Recording


def test_prod_drills_every_checkable_stateful_guest(plan_prod: Recording) -> None:
    assert len(drilled(plan_prod)) == 14  # 11 VMs with the agent, 3 containers
    assert undrilled(plan_prod) == []
    assert scratch_collisions(plan_prod) == []


def test_dev_has_no_drill(plan_dev: Recording) -> None:
    assert drilled(plan_dev) == set() and undrilled(plan_dev) == []


def test_twin_a_guest_left_out_of_the_list_is_caught(plan_prod: Recording) -> None:
    out = []
    for r in plan_prod.resources:
        if r.type == CMD and "restore-drill.guests" in str(r.inputs.get("create")):
            script = "\n".join(line for line in r.inputs["create"].split("\n") if not line.startswith("3001\t"))
            r = dataclasses.replace(r, inputs={**r.inputs, "create": script})
        out.append(r)
    assert undrilled(dataclasses.replace(plan_prod, resources=out)) == ["hosting-verein-www-vm"]


def test_twin_a_guest_on_a_scratch_id_is_caught(plan_prod: Recording) -> None:
    stray = reg(VM, "stray-vm", vmId=999999905, nodeName="pve3", agent={"enabled": True})
    assert scratch_collisions(dataclasses.replace(plan_prod, resources=[*plan_prod.resources, stray])) == ["stray-vm"]
