"""CloudInitVm and CloudImage as planned: image per node, VM settings, NIC firewall, cloud-init wiring."""

from __future__ import annotations

from pathlib import Path

import pytest

from model.platform import Platform, eui64_link_local
from render.router import nftables_ruleset
from tests.support.cloudinit_schema import assert_valid_cloud_config
from tests.support.pve_network import guest_networkd, nocloud_network
from tools.mockengine import Recording

VM = "proxmoxve:index/vmLegacy:VmLegacy"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
IMAGE = "proxmoxve:download/file:File"


def test_one_image_per_node_with_checksum(plan_prod: Recording) -> None:
    images = [i for i in plan_prod.by_type(IMAGE) if i.inputs["contentType"] == "import"]
    vm_nodes = {v.inputs["nodeName"] for v in plan_prod.by_type(VM)}
    assert {i.inputs["nodeName"] for i in images} == vm_nodes
    for i in images:
        assert i.inputs["contentType"] == "import"
        assert len(i.inputs["checksum"]) == 64 and i.inputs["checksumAlgorithm"] == "sha256"
        assert i.inputs["fileName"].endswith(".qcow2")


def test_vm_settings(plan: Recording) -> None:
    vms = {v.inputs["name"]: v.inputs for v in plan.by_type(VM)}
    www = vms["verein-www"]
    assert www["vmId"] == 3001 and www["poolId"] == "hosting"
    assert www["tags"] == sorted(www["tags"]) == ["hosting", "proxcloud", "web"]
    assert www["cpu"] == {"cores": 2, "sockets": 1, "type": "x86-64-v2-AES"}
    assert www["memory"]["dedicated"] == 2048 and www["disks"][0]["size"] == 50
    assert www["agent"]["enabled"] is True
    assert www["disks"][0]["importFrom"].endswith(":import/debian-12-genericcloud-amd64-20251112-2294.qcow2")
    assert vms["verein-cloud"]["memory"]["dedicated"] == 4096


def test_every_nic_has_the_firewall_flag(plan: Recording) -> None:
    nics = [n for v in plan.by_type(VM) for n in v.inputs["networkDevices"]]
    assert nics and all(n["firewall"] is True for n in nics)


def test_dedicated_network_of_a_hosted_vm(plan_dev: Recording) -> None:
    www = plan_dev.one(VM, "hosting-verein-www-vm").inputs
    nic = www["networkDevices"][0]
    assert nic["bridge"] == "transit" and nic["vlanId"] == 301  # tenant number 3 * 100 + slot 1
    ip = www["initialization"]["ipConfigs"][0]
    assert ip["ipv4"] == {"address": "10.200.4.182/30", "gateway": "10.200.4.181"}
    assert ip["ipv6"] == {"address": "2001:db8:200:12d::2/128", "gateway": "fe80::1"}  # its /64 is routed to it
    transit = plan_dev.one("proxmoxve:sdn/vnet:Vnet", "edge-transit").inputs
    assert transit["vlanAware"] is True and transit["zone"] == "provider"


@pytest.mark.slow
def test_hosted_vms_boot_with_their_64_routed_to_them(plan_dev: Recording, spec_dev: Platform, tmp_path: Path) -> None:
    """What a hosted VM (and a tenant proxy's uplink) configures on PVE, through the real cloud-init renderer: ::2 of
    its /64 as a /128 and the default route via the edge's fixed link-local, on the NIC whose MAC gives the
    link-local the edge routes the /64 to."""
    assert spec_dev.edge is not None
    hosted = {h.name.split("-", 1)[1]: h for h in spec_dev.edge.hosted}
    vms = {v.inputs["name"]: v.inputs for v in plan_dev.by_type(VM)}
    assert {"verein-www", "verein-cloud", "alpha-proxy"} <= set(hosted)
    for name, net in hosted.items():
        devices, configs = vms[name]["networkDevices"], vms[name]["initialization"]["ipConfigs"]
        index = next(i for i, d in enumerate(devices) if d.get("vlanId") == net.vlan)
        macs = [d["macAddress"] for d in devices[: len(configs)]]
        (tmp_path / name).mkdir()
        files = guest_networkd(nocloud_network(macs, configs, ["9.9.9.9"]), tmp_path / name)
        text = files[f"10-cloud-init-eth{index}.network"]
        assert f"MACAddress={devices[index]['macAddress'].lower()}" in text
        assert eui64_link_local(devices[index]["macAddress"]) == net.vm_link_local
        assert f"Address={net.ipv6.network_address + 2}/128" in text and "[Route]\nGateway=fe80::1\n" in text


def test_the_edge_renders_for_the_interface_names_it_boots_with(
    plan_dev: Recording, spec_dev: Platform, tmp_path: Path
) -> None:
    """cloud-init names the edge's public NIC (the one with an ip config) eth0, which the edge's networkd files and
    nftables rules use; the trunk has no ip config, so cloud-init leaves it alone (its name is the kernel's)."""
    from model.edge import TRANSIT_NIC, router_spec

    assert spec_dev.edge is not None
    edge = plan_dev.one(VM, "edge-router-vm").inputs
    devices, configs = edge["networkDevices"], edge["initialization"]["ipConfigs"]
    files = guest_networkd(nocloud_network([d["macAddress"] for d in devices], configs, []), tmp_path)
    named = {line.split("=", 1)[1] for text in files.values() for line in text.splitlines() if line.startswith("Name=")}
    spec = router_spec(spec_dev.edge, spec_dev.settings)
    assert named == {spec.public_nic} and spec.internal_nic == TRANSIT_NIC not in named
    assert f'iifname "{spec.public_nic}"' in nftables_ruleset(spec)


@pytest.mark.slow
def test_user_data_snippet_is_valid_cloud_config(plan: Recording, tmp_path: Path) -> None:
    every = plan.by_type(FILE)
    snippets = [s for s in every if s.name.endswith("-user-data")]  # the home node's; the other nodes' copies
    assert snippets and all(s.inputs["sourceRaw"]["data"] == "[secret]" for s in every if s not in snippets)
    secret = {s.name for s in snippets if s.inputs["sourceRaw"]["data"] == "[secret]"}
    # HumHub's user data carries its passwords, so it is a secret as a whole (its text is checked in render tests)
    assert secret == {
        "community-humhub-humhub-user-data",
        "community-humhub-humhub-test-user-data",
        "community-proxy-vm-user-data",  # NPM's admin password
        *(f"{t}-monitoring-{r}-user-data" for t in ("alpha", "beta") for r in ("influxdb", "grafana", "chronograf")),
        "keepers-zabbix-server-user-data",  # the Zabbix database password
        "keepers-logging-graylog-user-data",  # Graylog's password secret and admin password
    }
    for s in snippets:
        assert s.inputs["contentType"] == "snippets"
        if s.name in secret:
            continue
        text = s.inputs["sourceRaw"]["data"]
        assert "ssh_pwauth: false" in text
        assert_valid_cloud_config(text, tmp_path, s.name)
        vm = plan.one(VM, s.name.removesuffix("-user-data") + "-vm")
        assert vm.inputs["initialization"]["userDataFileId"].endswith(s.inputs["sourceRaw"]["fileName"])


def test_prod_protects_stateful_vms_and_pools(plan_prod: Recording, plan_dev: Recording) -> None:
    by_urn = plan_prod.by_urn()
    for r in plan_prod.by_type(VM):
        stateful = by_urn[r.parent].inputs["stateful"]
        assert r.protect is stateful and r.inputs["protection"] is stateful, r.name
    assert all(p.protect for p in plan_prod.by_type("proxmoxve:index/poolLegacy:PoolLegacy"))
    # dev protects only what the spec marks: HumHub's production VM
    assert [r.inputs["name"] for r in plan_dev.by_type(VM) if r.protect] == ["humhub"]
