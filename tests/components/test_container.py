"""LxcContainer and ContainerTemplate under the recording mock engine, one component at a time (no whole program):
unprivileged, firewall flag, pool, sorted tags, verified template, nesting off by default, provisioning over the
node's SSH with the script as secret stdin. Every check has a twin that sees the broken case fail."""

from __future__ import annotations

import ipaddress
import warnings
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pulumi
import pytest

from model.containers import Container, ContainerTemplateSpec
from model.platform import Nic
from tools.mockengine import PlanMocks, Recording, RecordingMonitor

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)  # pulumi_command.remote's CopyFile warns on import
    from components.container import (
        ContainerTemplate,
        ContainerTemplateArgs,
        LxcContainer,
        LxcContainerArgs,
        NodeSsh,
        pct_exec_command,
    )

CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
DOWNLOAD = "proxmoxve:download/file:File"
COMMAND = "command:remote:Command"
TEMPLATE = ContainerTemplateSpec(
    url="http://download.proxmox.com/images/system/debian-12-standard_12.12-1_amd64.tar.zst",
    file_name="debian-12-standard_12.12-1_amd64.tar.zst",
    checksum="ab" * 64,
)
FILE_ID = "local:vztmpl/debian-12-standard_12.12-1_amd64.tar.zst"


def container(**changes: Any) -> Container:
    nic = Nic(
        bridge="keepweb",
        ipv4=ipaddress.IPv4Interface("192.168.50.11/24"),
        gateway4=ipaddress.IPv4Address("192.168.50.1"),
        mtu=1450,
        mac="BC:24:11:00:50:0B",
    )
    base = Container(
        tenant="keepers",
        name="wp-web",
        vm_id=5011,
        node="pve1",
        role="web",
        cores=2,
        memory_mb=1024,
        disk_gb=8,
        nics=(nic,),
        ssh_keys=("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyForTestsOnly ops@keepers",),
        pool_id="keepers",
        stateful=False,
        protect=False,
    )
    return replace(base, **changes)


def record(build: Callable[[], pulumi.ComponentResource]) -> Recording:
    """Build one component under mocks; returns every registration (secrets as "[secret]")."""
    recording = Recording()
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(
        mocks, project="proxcloud", stack="test", preview=False, monitor=RecordingMonitor(mocks, recording)
    )

    @pulumi.runtime.test
    def run() -> pulumi.Output[Any]:
        component = build()
        return pulumi.Output.all(*(v for v in vars(component).values() if isinstance(v, pulumi.Output)))

    run()
    return recording


def lxc(scripts: dict[str, pulumi.Input[str]] | None = None, **changes: Any) -> Recording:
    return record(
        lambda: LxcContainer(
            "keepers-wp-web",
            LxcContainerArgs(
                container=container(**changes),
                template_file_id=FILE_ID,
                datastore="local-zfs",
                dns_servers=["192.168.50.1"],
                domain="keepers.internal",
                node_ssh=NodeSsh(host="10.0.0.11", private_key=pulumi.Output.secret("PEM")) if scripts else None,
                provision_scripts=scripts or {},
            ),
        )
    )


def ct_inputs(rec: Recording) -> dict[str, Any]:
    (ct,) = rec.by_type(CT)
    return ct.inputs


def test_unprivileged_by_default_and_privileged_only_when_asked() -> None:
    assert ct_inputs(lxc())["unprivileged"] is True
    assert ct_inputs(lxc(unprivileged=False))["unprivileged"] is False  # twin: the flag really flows through


def test_nesting_off_by_default_on_when_asked() -> None:
    assert "features" not in ct_inputs(lxc())
    assert ct_inputs(lxc(nesting=True))["features"] == {"nesting": True}  # twin


def test_firewall_flag_on_every_interface() -> None:
    nics = ct_inputs(lxc())["networkInterfaces"]
    assert nics == [
        {"name": "eth0", "bridge": "keepweb", "firewall": True, "macAddress": "BC:24:11:00:50:0B", "mtu": 1450}
    ]
    assert all(n["firewall"] is True for n in nics)
    assert not all(n["firewall"] is True for n in [*nics, {"firewall": False}])  # twin: the check sees a gap


def test_pool_ids_tags_sizes_and_addressing() -> None:
    i = ct_inputs(lxc())
    assert i["poolId"] == "keepers" and i["vmId"] == 5011 and i["nodeName"] == "pve1"
    assert i["tags"] == sorted(i["tags"]) == ["keepers", "lxc", "proxcloud", "web"]
    assert i["startOnBoot"] is True and i["started"] is True and i["protection"] is False
    assert i["cpu"] == {"cores": 2} and i["memory"] == {"dedicated": 1024, "swap": 512}
    assert i["disk"] == {"datastoreId": "local-zfs", "size": 8}
    assert i["operatingSystem"] == {"templateFileId": FILE_ID, "type": "debian"}
    init = i["initialization"]
    assert init["hostname"] == "wp-web"
    assert init["ipConfigs"] == [{"ipv4": {"address": "192.168.50.11/24", "gateway": "192.168.50.1"}}]
    assert init["userAccount"]["keys"] == list(container().ssh_keys) and "password" not in init["userAccount"]
    assert init["dns"] == {"domain": "keepers.internal", "servers": ["192.168.50.1"]}


def test_protection_follows_the_spec() -> None:
    (ct,) = lxc(protect=True).by_type(CT)
    assert ct.protect is True and ct.inputs["protection"] is True
    (ct,) = lxc().by_type(CT)
    assert ct.protect is False  # twin


def test_template_downloaded_once_per_node_with_checksum() -> None:
    rec = record(
        lambda: ContainerTemplate(
            "debian-12-lxc",
            ContainerTemplateArgs(template=TEMPLATE, datastore="local", nodes=["pve2", "pve1", "pve2"]),
        )
    )
    files = rec.by_type(DOWNLOAD)
    assert sorted(f.inputs["nodeName"] for f in files) == ["pve1", "pve2"]
    for f in files:
        assert f.inputs["contentType"] == "vztmpl"
        assert f.inputs["checksum"] == "ab" * 64 and f.inputs["checksumAlgorithm"] == "sha512"
        assert f.inputs["fileName"] == TEMPLATE.file_name and f.inputs["overwrite"] is False
    (component,) = [r for r in rec.resources if r.type == "proxcloud:index:ContainerTemplate"]
    assert all(f.parent == component.urn for f in files)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("checksum", "AB" * 64, "lower-case hex"),
        ("checksum", "ab" * 32, "128 lower-case hex"),
        ("file_name", "debian.qcow2", "template archive"),
        ("url", "ftp://example.org/t.tar.zst", "https"),
    ],
)
def test_template_spec_rejects_unverifiable_templates(field: str, value: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(TEMPLATE, **{field: value})


def test_provisioning_runs_the_secret_scripts_in_order_over_the_nodes_ssh() -> None:
    rec = lxc(
        scripts={
            "wordpress": pulumi.Output.secret("#!/bin/bash\necho provisioned\n"),
            "zabbix-agent": "#!/bin/bash\ntrue\n",
        }
    )
    wp, agent = rec.by_type(COMMAND)
    (ct,) = rec.by_type(CT)
    assert (wp.name, agent.name) == ("keepers-wp-web-provision-wordpress", "keepers-wp-web-provision-zabbix-agent")
    assert wp.inputs["create"] == pct_exec_command(5011) and wp.inputs["create"].endswith("pct exec 5011 -- bash -s")
    assert wp.inputs["stdin"] == "[secret]" and wp.inputs["connection"] == "[secret]"
    # twin: a plain script stays visible, so the "[secret]" check above is not vacuous
    assert agent.inputs["stdin"] == "#!/bin/bash\ntrue\n"
    # the container first, then the steps one after the other; each runs again on a replaced container (its id is
    # the trigger: the only way the agent step reaches the container directly)
    assert ct.urn in wp.dependencies and wp.urn in agent.dependencies
    assert wp.property_dependencies["triggers"] == agent.property_dependencies["triggers"] == [ct.urn]
    assert all(ct.urn not in urns for k, urns in agent.property_dependencies.items() if k != "triggers")


def test_no_provisioning_command_without_a_script() -> None:
    assert lxc().by_type(COMMAND) == []


def test_a_script_without_node_ssh_is_refused() -> None:
    with pytest.raises(ValueError, match="need node_ssh"):
        LxcContainer(
            "x",
            LxcContainerArgs(
                container=container(),
                template_file_id=FILE_ID,
                datastore="local-zfs",
                dns_servers=[],
                domain="d",
                provision_scripts={"step": "true"},
            ),
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"nics": ()}, "at least one NIC"), ({"vm_id": 99}, "outside"), ({"memory_mb": 16}, "memory_mb")],
)
def test_container_spec_rejects_bad_values(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        container(**changes)
