"""Backup coverage and replication over the planned graph, shown failing on an uncovered VM."""

from __future__ import annotations

import dataclasses

from proofs.backup import JOB, REPLICATION, stateful_guests, unbacked, unreplicated
from proofs.privileges import VM
from tests.proofs.graph import reg
from tools.mockengine import Recording


def test_every_stateful_vm_is_backed_up(plan: Recording) -> None:
    assert stateful_guests(plan)
    assert unbacked(plan) == []


def test_every_stateful_vm_is_replicated_on_multi_node_stacks(plan_prod: Recording, plan_dev: Recording) -> None:
    assert unreplicated(plan_prod) == []
    assert plan_dev.by_type(REPLICATION) == []  # single node: nothing planned, and nothing required
    assert unreplicated(plan_dev) == []


def test_a_vm_outside_any_pool_is_caught(plan_dev: Recording) -> None:
    stray = reg(VM, "stray-vm", vmId=4711, nodeName="pve-dev")
    assert unbacked(dataclasses.replace(plan_dev, resources=[*plan_dev.resources, stray])) == ["stray-vm"]


def test_an_excluded_or_disabled_job_does_not_count(plan_dev: Recording) -> None:
    www = plan_dev.one(VM, "hosting-verein-www-vm")
    resources = []
    for r in plan_dev.resources:
        if r.type == JOB and r.inputs.get("pool") == "hosting":
            r = dataclasses.replace(r, inputs={**r.inputs, "excludes": [str(www.inputs["vmId"])]})
        resources.append(r)
    assert unbacked(dataclasses.replace(plan_dev, resources=resources)) == ["hosting-verein-www-vm"]


def test_a_missing_replication_is_caught(plan_prod: Recording) -> None:
    pruned = [r for r in plan_prod.resources if not (r.type == REPLICATION and r.name.startswith("ha-verein-www"))]
    assert unreplicated(dataclasses.replace(plan_prod, resources=pruned)) == ["hosting-verein-www-vm"]
