"""HumHubStack as planned: two instances, firewall on, pool members, prod protected, secrets redacted."""

from __future__ import annotations

import json

from tools.mockengine import Recording
from tools.plan import plan_document

VM = "proxmoxve:index/vmLegacy:VmLegacy"


def _humhub_vms(plan: Recording) -> dict[str, dict]:
    stack = plan.one("proxcloud:index:HumHubStack", "community-humhub")
    by_urn = plan.by_urn()

    def under(r) -> bool:
        p = r.parent
        while p:
            if p == stack.urn:
                return True
            p = by_urn[p].parent
        return False

    return {r.inputs["name"]: r for r in plan.by_type(VM) if under(r)}


def test_prod_and_test_instances_and_desktop(plan: Recording) -> None:
    vms = _humhub_vms(plan)
    assert set(vms) == {"humhub", "humhub-test", "debian-desktop"}
    assert vms["humhub"].inputs["vmId"] == 1010106 and vms["humhub-test"].inputs["vmId"] == 1010107
    for r in vms.values():
        assert r.inputs["poolId"] == "community"
        assert all(n["firewall"] is True and n["bridge"] == "comlan" for n in r.inputs["networkDevices"])
        assert r.inputs["agent"]["enabled"] is True
    assert vms["humhub"].protect is True
    assert vms["humhub"].inputs["initialization"]["ipConfigs"][0]["ipv4"]["address"] == "10.10.10.6/24"


def test_prod_and_test_are_kept_apart_in_prod(plan_prod: Recording) -> None:
    rules = [
        r.inputs for r in plan_prod.by_type("proxmoxve:index/harule:Harule") if r.inputs["type"] == "resource-affinity"
    ]
    assert rules == [
        {
            "rule": "apart-1010106-1010107",
            "type": "resource-affinity",
            "affinity": "negative",
            "resources": ["vm:1010106", "vm:1010107"],
            "comment": "humhub and humhub-test never on one node",
        }
    ]


def test_kept_apart_guests_run_on_home_or_a_replica_node_that_is_not_the_others_home(plan_prod: Recording) -> None:
    # PVE refuses two priorities for resources of a resource-affinity rule; the replica node of each may not be
    # the other's home, or its failover would be blocked while the other runs there
    vms = {r.inputs["vmId"]: r.inputs["nodeName"] for r in plan_prod.by_type("proxmoxve:index/vmLegacy:VmLegacy")}
    rules = {r.inputs["rule"]: r for r in plan_prod.by_type("proxmoxve:index/harule:Harule")}
    replications = plan_prod.by_type("proxmoxve:index/replication:Replication")
    jobs = {r.inputs["resourceId"].split("-")[0]: r.inputs for r in replications}
    for vmid, other in ((1010106, 1010107), (1010107, 1010106)):
        home, replica = vms[vmid], jobs[str(vmid)]["target"]
        assert replica not in (home, vms[other])
        assert rules[f"home-{vmid}"].inputs["nodes"] == {home: 1, replica: 1}
    # moved off humhub-test's home: not the plain next node's job id (components/ha.py replication_job)
    assert jobs["1010106"]["resourceId"] not in ("1010106-0",) and jobs["1010106"]["resourceId"].startswith("1010106-")
    apart = rules["apart-1010106-1010107"]
    assert {rules["home-1010106"].urn, rules["home-1010107"].urn} <= set(apart.dependencies)


def test_passwords_never_in_the_plan(plan: Recording) -> None:
    doc = json.dumps(plan_document("proxcloud", "x", plan))
    assert "mock-password-" not in doc
    assert plan.outputs["humhubAdminPasswords"] == "[secret]"
    snippets = [r for r in plan.by_type("proxmoxve:index/fileLegacy:FileLegacy") if "humhub-humhub" in r.name]
    assert len([s for s in snippets if s.name.endswith("-user-data")]) == 2 and all(
        s.inputs["sourceRaw"]["data"] == "[secret]" for s in snippets
    )


def test_urls_in_the_outputs(plan: Recording) -> None:
    urls = plan.outputs["tenants"]["community"]["humhub"]
    assert urls["humhub"]["url"] == "https://community.example.org/"
    assert urls["humhub-test"]["internal"] == "http://10.10.10.7:80/"
