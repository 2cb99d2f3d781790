"""The isolation proof on the real plans, on random tenant sets, and failing on deliberately leaky graphs."""

from __future__ import annotations

import dataclasses
import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from proofs.isolation import check_isolation
from proofs.privileges import ACL, ROLE
from tests.proofs.graph import reg
from tools.mockengine import Recording, run_program, stack_config


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

NAMES = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne"]


@st.composite
def tenant_sets(draw: st.DrawFn) -> list[dict]:
    names = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    tenants = []
    for n, name in enumerate(names, start=1):
        vnets = [{"id": f"{name[:4]}n{i}", "cidr": f"10.{n}.{i}.0/24"} for i in range(draw(st.integers(0, 3)))]
        storages = draw(st.lists(st.sampled_from([f"tank-{name}", f"nfs-{name}"]), unique=True, max_size=3))
        users = [{"name": f"user{c}.{name}"} for c in "abc"[: draw(st.integers(0, 2))]]
        tenants.append(
            {
                "name": name,
                "number": n,
                "access": draw(st.sampled_from(["operator", "self-service"])),
                "users": users,
                "zone": {"id": f"z{name[:6]}"},
                "vnets": vnets,
                "storages": storages,
            }
        )
    return tenants


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(tenant_sets())
def test_random_tenant_sets_are_isolated(tenants: list[dict]) -> None:
    with tempfile.TemporaryDirectory() as d:
        for t in tenants:
            (Path(d) / f"{t['name']}.yaml").write_text(yaml.safe_dump(t))
        config = stack_config("dev")
        config["proxcloud:tenantsDir"] = d
        del config["proxcloud:publicAddresses"]  # names the shipped tenants
        plan = run_program("dev", config=config)
    assert len(plan.by_type("proxcloud:index:Tenant")) == len(tenants)
    assert check_isolation(plan) == [], json.dumps(tenants)
