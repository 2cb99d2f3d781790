"""The isolation proof on the real plans, on random tenant sets, and failing on deliberately leaky graphs."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import HealthCheck, given, settings

from proofs.isolation import check_isolation
from proofs.privileges import ACL, ROLE
from tests.support.graph import reg
from tests.support.tenant_sets import plan_tenants, tenant_sets
from tools.mockengine import Recording


def test_shipped_stacks_are_isolated(plan: Recording) -> None:
    assert check_isolation(plan) == []


def _with(plan: Recording, *extra: object) -> Recording:
    return dataclasses.replace(plan, resources=[*plan.resources, *extra])


def _tenant(plan: Recording, name: str) -> object:
    return plan.one("proxcloud:index:Tenant", name)


def test_leaky_acl_to_another_tenants_pool_is_caught(plan_dev: Recording) -> None:
    leak = reg(
        ACL,
        "leak",
        _tenant(plan_dev, "alpha"),
        path="/pool/beta",
        roleId="alpha-vm-builder",
        groupId="alpha-users",
        propagate=True,
    )
    found = check_isolation(_with(plan_dev, leak))
    assert any(v.tenant == "alpha" and v.path == "/pool/beta" for v in found), found


def test_leaky_acl_on_another_tenants_vnet_is_caught(plan_dev: Recording) -> None:
    leak = reg(ACL, "leak", path="/sdn/zones/beta/betadb", roleId="alpha-sdn-user", groupId="alpha-users")
    found = check_isolation(_with(plan_dev, leak))
    assert [v.path for v in found] == ["/sdn/zones/beta/betadb"]


def test_platform_privilege_anywhere_is_caught(plan_dev: Recording) -> None:
    role = reg(ROLE, "sneaky", roleId="sneaky", privileges=["Sys.Audit"])
    acl = reg(ACL, "sneaky-acl", path="/nodes/pve-dev", roleId="sneaky", userId="anna.schmidt@pve", propagate=True)
    found = check_isolation(_with(plan_dev, role, acl))
    assert any(v.rule == "platform privilege" and "Sys.Audit" in v.privileges for v in found), found


def test_operator_with_hardware_privilege_is_caught(plan_dev: Recording) -> None:
    role = reg(ROLE, "resize", roleId="resize", privileges=["VM.Config.Memory"])
    acl = reg(ACL, "resize-acl", path="/pool/hosting", roleId="resize", userId="maria.muster@pve")
    found = check_isolation(_with(plan_dev, role, acl))
    assert any(v.rule.startswith("operators") for v in found), found


def test_a_root_acl_leaks_everything(plan_dev: Recording) -> None:
    acl = reg(ACL, "root", path="/", roleId="PVEAuditor", groupId="beta-users", propagate=True)
    found = check_isolation(_with(plan_dev, acl))
    assert {v.path for v in found if v.tenant == "beta"} >= {"/pool/alpha", "/sdn/zones/alpha", "/"}


# --- the property: whatever tenants the spec allows, the planned graph isolates them ---


@pytest.mark.slow
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenant_sets())
def test_random_tenant_sets_are_isolated(tenants: list[dict]) -> None:
    plan = plan_tenants(tenants)
    assert len(plan.by_type("proxcloud:index:Tenant")) == len(tenants)
    assert check_isolation(plan) == [], json.dumps(tenants)
