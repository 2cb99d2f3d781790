"""Backup coverage and replication over the planned graph, shown failing on an uncovered VM."""

from __future__ import annotations

import dataclasses

from proofs.backup import JOB, REPLICATION, ignored_excludes, stateful_guests, unbacked, unreplicated
from proofs.privileges import VM
from tests.support.graph import reg
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


def _with_hosting_job(plan: Recording, **inputs: object) -> Recording:
    resources = []
    for r in plan.resources:
        if r.type == JOB and r.inputs.get("pool") == "hosting":
            r = dataclasses.replace(r, inputs={**r.inputs, **inputs})
        resources.append(r)
    return dataclasses.replace(plan, resources=resources)


def test_a_disabled_job_does_not_count(plan_dev: Recording) -> None:
    assert "hosting-verein-www-vm" in unbacked(_with_hosting_job(plan_dev, enabled=False))


def test_excludes_count_only_on_an_all_job(plan_dev: Recording) -> None:
    """vzdump ignores `exclude` on a pool job (pve-manager PVE/VZDump.pm get_included_guests): still backed up."""
    www = str(plan_dev.one(VM, "hosting-verein-www-vm").inputs["vmId"])
    assert unbacked(_with_hosting_job(plan_dev, excludes=[www])) == []
    assert unbacked(_with_hosting_job(plan_dev, pool=None, all=True, excludes=[www])) == ["hosting-verein-www-vm"]


def test_no_job_carries_excludes_pve_would_ignore(plan: Recording) -> None:
    assert plan.by_type(JOB)
    assert ignored_excludes(plan) == []
    assert ignored_excludes(_with_hosting_job(plan, excludes=["4711"])) == ["backup-hosting-nightly"]


def test_a_missing_replication_is_caught(plan_prod: Recording) -> None:
    pruned = [r for r in plan_prod.resources if not (r.type == REPLICATION and r.name.startswith("ha-verein-www"))]
    assert unreplicated(dataclasses.replace(plan_prod, resources=pruned)) == ["hosting-verein-www-vm"]
