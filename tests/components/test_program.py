"""The whole program under mocks, for both stacks: types, counts, parents and SDN ordering."""

from __future__ import annotations

from collections import Counter

from tools.mockengine import Recording

TENANT = "proxcloud:index:Tenant"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
SUBNET = "proxmoxve:sdn/subnet:Subnet"
APPLIER = "proxmoxve:sdn/applier:Applier"


def test_counts_per_type(plan: Recording) -> None:
    counts = Counter(r.type for r in plan.resources)
    assert counts[TENANT] == 4
    assert counts[ZONE] == 4
    assert counts[VNET] == 7  # 2 + 2 setup D tiers, setup A's LAN, 2 dedicated networks of hosted VMs
    assert counts[SUBNET] == 7
    assert counts[APPLIER] == 2
    assert counts["proxmoxve:index/poolLegacy:PoolLegacy"] == 4
    assert counts["proxmoxve:index/userLegacy:UserLegacy"] == 4
    assert counts["proxcloud:index:HumHubStack"] == 1
    assert counts["proxmoxve:index/vmLegacy:VmLegacy"] == 5


def test_every_zone_object_is_inside_its_tenant(plan: Recording) -> None:
    by_urn = plan.by_urn()
    for r in plan.resources:
        if r.type in (ZONE, VNET, SUBNET):
            vxlan = by_urn[r.parent]
            assert vxlan.type == "proxcloud:index:VxlanZone"
            assert by_urn[vxlan.parent].type == TENANT


def test_one_applier_after_every_sdn_object(plan: Recording) -> None:
    applier = plan.one(APPLIER, "sdn-applier")
    finalizer = plan.one(APPLIER, "sdn-finalizer")
    sdn = [r for r in plan.resources if r.type in (ZONE, VNET, SUBNET)]
    assert {r.urn for r in sdn} <= set(applier.dependencies)
    for r in sdn:
        assert finalizer.urn in r.dependencies, r.name
    assert applier.replacement_trigger is not None
