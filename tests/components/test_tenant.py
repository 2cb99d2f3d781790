"""Tenant and VxlanZone as planned: pool, group, users, roles and ACLs per profile, zone wiring."""

from __future__ import annotations

import dataclasses

from components.tenant import routes_of
from model.access import OPERATOR_VM, SDN_USER, SELF_SERVICE_VM, STORAGE_USER
from model.platform import Platform, TenantSpec
from tools.mockengine import Recording

ACL = "proxmoxve:index/acl:Acl"
ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
USER = "proxmoxve:index/userLegacy:UserLegacy"


def _children(plan: Recording, tenant: str, type_: str) -> list:
    urn = plan.one("proxcloud:index:Tenant", tenant).urn
    return [r for r in plan.by_type(type_) if r.parent == urn]


def test_acls_only_on_the_tenants_own_paths(plan: Recording) -> None:
    assert {(a.inputs["path"], a.inputs["roleId"]) for a in _children(plan, "alpha", ACL)} == {
        ("/pool/alpha", "alpha-vm-builder"),
        ("/sdn/zones/alpha", "alpha-sdn-user"),
        ("/storage/alpha-iso", "alpha-storage-user"),  # its own storages (components/tenant_storage.py)
        ("/storage/alpha-disks", "alpha-storage-user"),
        ("/storage/pbs-alpha", "alpha-backup-user"),  # back up and restore into its PBS namespace
    }
    assert {(a.inputs["path"], a.inputs["roleId"]) for a in _children(plan, "hosting", ACL)} == {
        ("/pool/hosting", "hosting-vm-operator"),
        ("/storage/hosting-iso", "hosting-iso-user"),  # insert (and upload) its ISOs
    }
    for t in ("alpha", "beta", "community", "hosting"):  # people get rights only through their group
        for acl in _children(plan, t, ACL):
            assert acl.inputs["groupId"].endswith("-users") and "userId" not in acl.inputs
            assert acl.inputs["propagate"] is True


def test_role_privileges_per_profile(plan: Recording) -> None:
    roles = {r.inputs["roleId"]: set(r.inputs["privileges"]) for r in plan.by_type(ROLE)}
    assert roles["hosting-vm-operator"] == set(OPERATOR_VM)
    assert roles["alpha-vm-builder"] == set(SELF_SERVICE_VM)
    assert roles["alpha-sdn-user"] == set(SDN_USER)
    assert roles["beta-storage-user"] == set(STORAGE_USER)
    assert not {"VM.Config.CPU", "VM.Config.Memory", "VM.Config.Disk", "VM.Allocate"} & roles["hosting-vm-operator"]


def test_users_are_group_members_with_secret_passwords(plan: Recording) -> None:
    users = {u.inputs["userId"]: u.inputs for u in plan.by_type(USER)}
    assert users["anna.schmidt@pve"]["groups"] == ["alpha-users"]
    assert users["anna.schmidt@pve"]["firstName"] == "Anna" and users["anna.schmidt@pve"]["lastName"] == "Schmidt"
    # every login has a secret password; the auditor (components/audit.py) has none: it logs in by token only
    assert all(u["password"] == "[secret]" for uid, u in users.items() if uid != "audit@pve")
    assert "password" not in users["audit@pve"]


def test_zone_spans_all_nodes_with_vteps_and_mtu(plan_prod: Recording) -> None:
    zone = plan_prod.one("proxmoxve:sdn/zone/vxlan:Vxlan", "alpha-vxlan-zone").inputs
    assert zone["peers"] == ["10.100.0.1", "10.100.0.2", "10.100.0.3"]
    assert zone["nodes"] == ["pve1", "pve2", "pve3"]
    assert zone["mtu"] == 1450 and zone["resourceId"] == "alpha"


def test_vnets_carry_vnis_and_subnets_gateways(plan: Recording) -> None:
    vnets = {v.inputs["resourceId"]: v.inputs for v in plan.by_type("proxmoxve:sdn/vnet:Vnet")}
    assert {k: v["tag"] for k, v in vnets.items()} == {
        "alphaweb": 10010,
        "alphadb": 10020,
        "betaweb": 10030,
        "betadb": 10040,
        "comlan": 40010,
        "keepweb": 501,
        "keepdb": 502,
        "keepops": 503,
        "transit": 999000,
    }
    subnets = {s.inputs["vnet"]: s.inputs for s in plan.by_type("proxmoxve:sdn/subnet:Subnet")}
    assert subnets["betadb"]["cidr"] == "192.168.40.0/24" and subnets["betadb"]["gateway"] == "192.168.40.1"
    assert all(s["snat"] is False for s in subnets.values())


def _open_without_login(t: TenantSpec, domain: str) -> list[str]:
    """Routes to upstreams with no login of their own that anyone may reach (no allow-list)."""
    return [r.host for r in routes_of(t, domain) if not r.own_login and not r.allow_from]


def test_no_service_without_a_login_is_published_to_everyone(spec_dev: Platform, spec_prod: Platform) -> None:
    for platform in (spec_dev, spec_prod):
        with_proxy = [t for t in platform.tenants if t.proxy is not None]
        assert any(not r.own_login for t in with_proxy for r in routes_of(t, platform.settings.domain))
        assert [h for t in with_proxy for h in _open_without_login(t, platform.settings.domain)] == []
    # twin: alpha's monitoring as it was shipped before, without an allow-list (bypassing the spec's check)
    alpha = next(t for t in spec_dev.tenants if t.name == "alpha")
    assert alpha.monitoring is not None
    open_monitoring = alpha.monitoring.model_copy(update={"chronograf_allow_from": []})
    twin = dataclasses.replace(alpha, services={**alpha.services, "monitoring": open_monitoring})
    assert _open_without_login(twin, "dev.example.net") == ["chronograf-alpha.dev.example.net"]
