"""Day 2 of the guests, proved on the plan with the `make diff` classifier (tools/preview.py):

- user data is first-boot input: a changed (or unknown) user data replaces neither its snippet nor its VM
  (issue 15 item 1); twin: the same change without the options replaces both, and flags the hazards;
- every VM's snippet is on every node the VM may start on - at least every node of its HA node-affinity rule and
  its replication target - with the home node's content (item 6);
- every command that runs inside a guest runs again when the guest is replaced (item 9); twin: without the
  guest's id in its triggers it stays as it was.
"""

from __future__ import annotations

import copy
import os
from typing import Any

import pytest

from tools.plan import plan_document, record_plan
from tools.preview import CBD, GUEST_REPLACED, REPLACE, SAME, classify

VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
CMD = "command:remote:Command"
_KEY = os.urandom(32)


@pytest.fixture(scope="module", params=["dev", "prod"])
def doc(request: pytest.FixtureRequest) -> dict[str, Any]:
    return plan_document("proxcloud", request.param, record_plan(request.param, digest_key=_KEY))


def _res(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(r for r in doc["resources"] if r["name"] == name)


def _new_user_data(doc: dict[str, Any], snippet: str, strip_options: bool = False) -> dict[str, Any]:
    head = copy.deepcopy(doc)
    for r in head["resources"]:
        if r["name"] == snippet:
            r["inputs"]["sourceRaw"]["data"] = "#cloud-config\nhostname: changed\n"
        if strip_options and r["type"] in (FILE, VM):
            r["options"]["ignoreChanges"] = []
            r["options"]["deleteBeforeReplace"] = None
    return head


def test_a_user_data_change_replaces_no_guest(doc: dict[str, Any]) -> None:
    vm = _res(doc, "alpha-proxy-vm-vm")
    home = "alpha-proxy-vm-user-data"
    assert _res(doc, home)["inputs"]["nodeName"] == vm["inputs"]["nodeName"]
    preview = classify(doc, _new_user_data(doc, home))
    assert preview.step(home).op == SAME and preview.step("alpha-proxy-vm-vm").op == SAME
    assert not preview.hazards
    # twin: the provider's ForceNew source_raw and user_data_file_id, unshielded
    twin = classify(doc, _new_user_data(doc, home, strip_options=True))
    assert twin.step(home).op == REPLACE and twin.step(home).mode == CBD
    assert twin.step("alpha-proxy-vm-vm").op == REPLACE
    assert (GUEST_REPLACED, "alpha-proxy-vm-vm") in {h.key for h in twin.hazards}


def test_every_vm_has_its_snippet_on_every_node_it_may_start_on(doc: dict[str, Any]) -> None:
    resources = doc["resources"]
    nodes = {r["inputs"]["nodeName"] for r in resources if r["type"] == "proxmoxve:node/firewall:Firewall"} or {
        r["inputs"]["nodeName"] for r in resources if r["type"] == VM
    }
    vms = [r for r in resources if r["type"] == VM]
    by_vm_id = {r["inputs"]["vmId"]: r for r in vms}
    snippets: dict[str, dict[str, dict[str, Any]]] = {}
    for r in resources:
        if r["type"] == FILE and r["inputs"]["contentType"] == "snippets":
            snippets.setdefault(r["parent"], {})[r["inputs"]["nodeName"]] = r
    for vm in vms:
        mine = snippets[vm["parent"]]
        assert set(mine) >= nodes | {vm["inputs"]["nodeName"]}, vm["name"]
        assert len({s["inputs"]["sourceRaw"]["fileName"] for s in mine.values()}) == 1
        assert len({s["inputs"]["datastoreId"] for s in mine.values()}) == 1
        home = mine[vm["inputs"]["nodeName"]]
        for node, s in mine.items():  # the copies take the home's recorded content
            if node != vm["inputs"]["nodeName"]:
                assert s["options"]["propertyDependencies"]["sourceRaw"] == [home["urn"]]
    # HA: every node a rule lets a VM start on, and every replication target, holds its snippet
    for r in resources:
        if r["type"] == "proxmoxve:index/harule:Harule" and r["inputs"]["type"] == "node-affinity":
            for sid in r["inputs"]["resources"]:
                kind, vm_id = sid.split(":")
                if kind == "vm":
                    assert set(r["inputs"]["nodes"]) <= set(snippets[by_vm_id[int(vm_id)]["parent"]]), sid
        if r["type"] == "proxmoxve:index/replication:Replication":
            vm_id = int(r["inputs"]["resourceId"].split("-")[0])
            if vm_id in by_vm_id:
                assert r["inputs"]["target"] in snippets[by_vm_id[vm_id]["parent"]]


def _commands_inside(doc: dict[str, Any], guest: dict[str, Any]) -> list[str]:
    """The commands that run inside the guest: `qm guest exec`/`pct exec` with its id, and a proxy's routes."""
    vm_id = guest["inputs"]["vmId"]
    marks = (f"qm guest exec {vm_id} ", f"pct exec {vm_id} ")
    names = [r["name"] for r in doc["resources"] if r["type"] == CMD and any(m in r["inputs"]["create"] for m in marks)]
    if guest["name"].endswith("-proxy-vm-vm"):
        names.append(guest["name"].removesuffix("-vm-vm") + "-routes")
    return names


def test_a_replaced_guest_is_provisioned_again(doc: dict[str, Any]) -> None:
    guests = [r for r in doc["resources"] if r["type"] in (VM, CT)]
    seen = 0
    for guest in guests:
        commands = _commands_inside(doc, guest)
        assert commands, f"{guest['name']}: no command delivers its day-2 config"
        preview = classify(doc, doc, replace=[guest["name"]])
        assert preview.step(guest["name"]).op == REPLACE
        stale = [c for c in commands if preview.step(c).op != REPLACE]
        assert not stale, f"{guest['name']} replaced, these would not run again: {stale}"
        seen += len(commands)
    assert seen > len(guests)  # keys on every guest, plus provisioning, readiness, routes, agents


def test_the_replace_model_sees_a_command_that_does_not_run_again(doc: dict[str, Any]) -> None:
    """Twin: a command without the guest's id in its triggers stays as it was when the guest is replaced."""
    head = copy.deepcopy(doc)
    for r in head["resources"]:
        if r["name"] == "admin-keys-edge":
            r["inputs"].pop("triggers")
            r["computedInputs"] = {}
    base = copy.deepcopy(head)
    preview = classify(base, head, replace=["edge-router-vm"])
    assert preview.step("admin-keys-edge").op == SAME


def test_the_proxy_routes_are_not_first_boot_input(doc: dict[str, Any]) -> None:
    """A route change never touches the proxy's user data (its routes command delivers them); twin: the routes
    command carries every host."""
    for proxy in ("alpha-proxy", "beta-proxy"):
        routes = _res(doc, f"{proxy}-routes")["inputs"]["stdin"]
        hosts = [line.split()[0] for line in routes.splitlines() if line.endswith(" {") and "." in line]
        assert hosts, routes
        user_data = _res(doc, f"{proxy}-vm-user-data")["inputs"]["sourceRaw"]["data"]
        assert user_data.startswith("#cloud-config") and "Caddyfile" not in user_data
        assert not [h for h in hosts if h in user_data]


def test_a_key_change_replaces_no_container(doc: dict[str, Any]) -> None:
    """Containers' keys are first-boot input (`user_account.keys` ForceNew); AdminKeys delivers a change. Twin:
    without the ignore, the key change replaces the container under its id."""
    head = copy.deepcopy(doc)
    for r in head["resources"]:
        if r["type"] == CT:
            r["inputs"]["initialization"]["userAccount"]["keys"].append("ssh-ed25519 AAAAnew new@x")
        if r["name"] == "admin-keys-keepers-wp-db":
            r["inputs"]["stdin"] += "# new key\n"
    preview = classify(doc, head)
    assert preview.step("keepers-wordpress-db-ct").op == SAME and not preview.hazards
    assert preview.step("admin-keys-keepers-wp-db").op == "update"
    for r in head["resources"]:
        if r["type"] == CT:
            r["options"]["ignoreChanges"] = []
    twin = classify(doc, head)
    assert twin.step("keepers-wordpress-db-ct").op == REPLACE
    assert (GUEST_REPLACED, "keepers-wordpress-db-ct") in {h.key for h in twin.hazards}
