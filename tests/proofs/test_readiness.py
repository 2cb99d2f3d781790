"""Readiness ordering: guests wait for their pool and for every router on their path; in-guest commands wait for
cloud-init. Both stacks, each rule seen failing on a twin."""

from __future__ import annotations

import dataclasses

import pytest

from model.platform import Platform
from proofs.readiness import COMMAND, READINESS, missing_waits, routers_on_path, unwaited_commands
from tests.support.graph import reg
from tools.mockengine import Recording

VM = "proxmoxve:index/vmLegacy:VmLegacy"


@pytest.fixture(params=["dev", "prod"])
def stack(request: pytest.FixtureRequest) -> tuple[Platform, Recording]:
    return request.getfixturevalue(f"spec_{request.param}"), request.getfixturevalue(f"plan_{request.param}")


def test_every_guest_waits_for_its_pool_and_routers(stack: tuple[Platform, Recording]) -> None:
    platform, plan = stack
    assert plan.by_type(READINESS)
    assert missing_waits(platform, plan) == []


def test_every_in_guest_command_waits_for_cloud_init(plan: Recording) -> None:
    assert plan.by_type(COMMAND)
    assert unwaited_commands(plan) == []


def test_paths_follow_the_gateways(spec_dev: Platform) -> None:
    guests = {g.name: g for t in spec_dev.tenants for g in t.guests}
    path = {name: [r.name for r in routers_on_path(spec_dev, g)] for name, g in guests.items()}
    assert path["alpha-grafana"] == ["alpha-proxy", "edge"]  # setup D: tenant router, then the edge
    assert path["alpha-proxy"] == ["edge"]  # its uplink is a hosted net
    assert path["verein-www"] == ["edge"]  # setup B: the edge routes each hosted VM
    assert path["humhub"] == ["rproxy"]  # setup A: the rProxy has its own public NIC
    assert path["rproxy"] == []
    assert routers_on_path(spec_dev, spec_dev.edge.vm) == []
    assert path["keepers-wp-db"] == ["keepers-proxy", *path["keepers-proxy"]]  # containers too


def _without_deps(plan: Recording, name: str, drop: set[str]) -> Recording:
    return dataclasses.replace(
        plan,
        resources=[
            dataclasses.replace(r, dependencies=[d for d in r.dependencies if d not in drop]) if r.name == name else r
            for r in plan.resources
        ],
    )


def test_a_guest_that_does_not_wait_for_its_router_is_caught(spec_dev: Platform, plan_dev: Recording) -> None:
    checks = {c.urn for c in plan_dev.by_type(COMMAND) if c.name.endswith("-ready-check")}
    for machine, guest, router in [
        ("alpha-monitoring-grafana-vm", "alpha-grafana", "alpha-proxy"),
        ("hosting-verein-www-vm", "verein-www", "edge"),
        ("keepers-wordpress-db-ct", "keepers-wp-db", "keepers-proxy"),
    ]:
        broken = missing_waits(spec_dev, _without_deps(plan_dev, machine, checks))
        assert f"{guest}: does not wait for its router {router} to be ready" in broken
    # the proxy waits for the edge only: dropping that dependency is caught too
    broken = _without_deps(plan_dev, "alpha-proxy-vm-vm", checks)
    assert "alpha-proxy: does not wait for its router edge to be ready" in missing_waits(spec_dev, broken)


def test_a_guest_created_before_its_pool_is_caught(spec_dev: Platform, plan_dev: Recording) -> None:
    pool = plan_dev.one("proxmoxve:index/poolLegacy:PoolLegacy", "hosting-pool").urn
    broken = _without_deps(plan_dev, "hosting-verein-www-vm", {pool})
    assert missing_waits(spec_dev, broken) == ["verein-www: is created without waiting for its pool hosting"]


def test_a_vm_command_without_the_cloud_init_wait_is_caught(plan_dev: Recording) -> None:
    old = (
        "for i in $(seq 1 90); do qm guest cmd 5041 ping >/dev/null 2>&1 && break; sleep 10; done; "
        "qm guest exec 5041 --pass-stdin 1 --timeout 1200 -- bash -s | python3 -c 'import json'"
    )
    parent = plan_dev.one("proxcloud:index:ZabbixStack", "keepers-zabbix")
    twin = reg(COMMAND, "old-agent", parent, create=old)
    over_ssh = reg(COMMAND, "old-routes", parent, create="sudo install -m 0644 /dev/stdin /etc/caddy/Caddyfile.new")
    rec = dataclasses.replace(plan_dev, resources=[*plan_dev.resources, twin, over_ssh])
    assert unwaited_commands(rec, [twin, over_ssh]) == [
        "old-agent: runs in a guest (or somewhere unlisted) without waiting for cloud-init",
        "old-routes: runs in a guest (or somewhere unlisted) without waiting for cloud-init",
    ]
