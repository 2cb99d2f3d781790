"""Retiring a tenant: `retiring: true` clears every protection of its resources on the next `up` (Pulumi's protect
and PVE's own flag, which bpg's delete never clears and PVE's destroy refuses: qemu-server src/PVE/API2/Qemu.pm
`destroy_vm`, `check_protection`), and touches no other tenant."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.stacks import FIXTURE_PROJECT
from tools.mockengine import Recording

GUESTS = ("proxmoxve:index/vmLegacy:VmLegacy", "proxmoxve:index/containerLegacy:ContainerLegacy")


def _protected(plan: Recording, tenant: str) -> list[str]:
    """Names of the tenant's resources protected in Pulumi or carrying PVE's protection flag."""
    pool = plan.one("proxmoxve:index/poolLegacy:PoolLegacy", f"{tenant}-pool")
    storage = [r for r in plan.by_type("proxmoxve:storage/pbs:Pbs") if r.inputs.get("namespace") == tenant]
    guests = [r for t in GUESTS for r in plan.by_type(t) if r.inputs.get("poolId") == tenant]
    assert guests and storage
    return sorted(r.name for r in [pool, *storage, *guests] if r.protect or r.inputs.get("protection") is True)


@pytest.mark.slow
def test_retiring_clears_protection_of_that_tenant_only(
    tmp_path: Path, run_with: Callable[..., Recording], plan_prod: Recording
) -> None:
    assert "community-pool" in _protected(plan_prod, "community")  # twin: prod protects it today
    assert "community-humhub-humhub-vm" in _protected(plan_prod, "community")
    tenants = tmp_path / "tenants"
    shutil.copytree(FIXTURE_PROJECT / "tenants", tenants)
    path = tenants / "community.yaml"
    path.write_text(path.read_text() + "retiring: true\n")
    plan = run_with("prod", **{"proxcloud:tenantsDir": str(tenants)})
    assert _protected(plan, "community") == []
    assert _protected(plan, "keepers") == _protected(plan_prod, "keepers") != []
