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
            "strict": False,
            "comment": "humhub and humhub-test never on one node",
        }
    ]


def test_passwords_never_in_the_plan(plan: Recording) -> None:
    doc = json.dumps(plan_document("proxcloud", "x", plan))
    assert "mock-password-" not in doc
    assert plan.outputs["humhubAdminPasswords"] == "[secret]"
    snippets = [r for r in plan.by_type("proxmoxve:index/fileLegacy:FileLegacy") if "humhub-humhub" in r.name]
    assert len(snippets) == 2 and all(s.inputs["sourceRaw"]["data"] == "[secret]" for s in snippets)


def test_urls_in_the_outputs(plan: Recording) -> None:
    urls = plan.outputs["tenants"]["community"]["humhub"]
    assert urls["humhub"]["url"] == "https://community.example.org/"
    assert urls["humhub-test"]["internal"] == "http://10.10.10.7:80/"
