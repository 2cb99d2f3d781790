"""ProviderEdge and ReverseProxy as planned: router VM, transit VNet, proxies, routes applied over SSH."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.support.cloudinit_schema import assert_valid_cloud_config
from tools.mockengine import Recording

VM = "proxmoxve:index/vmLegacy:VmLegacy"
CMD = "command:remote:Command"


def test_edge_router_vm(plan_dev: Recording, tmp_path: Path) -> None:
    plan = plan_dev
    edge = plan.one(VM, "edge-router-vm").inputs
    assert [n["bridge"] for n in edge["networkDevices"]] == ["vmbr0", "transit"]
    assert all(n["firewall"] for n in edge["networkDevices"])
    assert len(edge["initialization"]["ipConfigs"]) == 1  # the trunk carries only VLANs
    data = plan.one("proxmoxve:index/fileLegacy:FileLegacy", "edge-router-user-data").inputs["sourceRaw"]["data"]
    assert_valid_cloud_config(data, tmp_path)
    files = {f["path"]: f["content"] for f in yaml.safe_load(data)["write_files"]}
    nft = next(text for path, text in files.items() if path.endswith(".nft") or "nftables" in path)
    assert "dport 2201" in nft and "10.200.4.182" in nft  # hosting's SSH forward
    assert "VLAN=vlan301" in files["/etc/systemd/network/06-internal.network"]


def test_every_tenant_proxy_and_its_routes(plan: Recording) -> None:
    proxies = {r.name: r.inputs for r in plan.by_type("proxcloud:index:ReverseProxy")}
    assert proxies["community-proxy"] == {"engine": "npm", "routes": 2, "dhcp": {}}  # setup A: static addresses
    assert proxies["alpha-proxy"] == {  # www, grafana-alpha, chronograf-alpha; DHCP on both VNets
        "engine": "caddy",
        "routes": 3,
        "dhcp": {"alphaweb": "192.168.10.100-192.168.10.199", "alphadb": "192.168.20.100-192.168.20.199"},
    }
    routes = plan.one(CMD, "community-proxy-routes").inputs
    assert "community.example.org" in routes["stdin"] and "test.community.example.org" in routes["stdin"]
    assert routes["connection"] == "[secret]" and "proxcloud-npm-sync" in routes["create"]
    caddy = plan.one(CMD, "alpha-proxy-routes").inputs
    assert "www.alpha.example.org" in caddy["stdin"] and "caddy validate" in caddy["create"]


def test_caddy_proxy_user_data_is_valid(plan_dev: Recording, tmp_path: Path) -> None:
    plan = plan_dev
    data = plan.one("proxmoxve:index/fileLegacy:FileLegacy", "alpha-proxy-vm-user-data").inputs["sourceRaw"]["data"]
    assert_valid_cloud_config(data, tmp_path)
    assert "snat to 10.200.2.250" in data and "192.168.20.0/24" in data


def test_rproxy_has_a_public_nic_and_is_the_lan_gateway(plan: Recording) -> None:
    rp = plan.one(VM, "community-proxy-vm-vm").inputs
    assert [n["bridge"] for n in rp["networkDevices"]] == ["comlan", "vmbr0"]
    ips = rp["initialization"]["ipConfigs"]
    assert ips[0]["ipv4"] == {"address": "10.10.10.1/24"} and ips[1]["ipv4"]["gateway"].endswith(".1")
    assert rp["vmId"] == 1010101


def test_setup_d_proxies_serve_dhcp_with_a_config_dnsmasq_accepts(plan_dev: Recording, tmp_path: Path) -> None:
    """The dnsmasq config as it lands on the router (from the planned user data) passes dnsmasq's own check, and
    the router checks it again before it restarts dnsmasq on it; routers without a range get no dnsmasq."""
    import subprocess

    import yaml

    from render.dhcp import CONF_PATH

    for name, served in (("alpha", True), ("beta", True), ("community", False), ("keepers", False)):
        data = plan_dev.one("proxmoxve:index/fileLegacy:FileLegacy", f"{name}-proxy-vm-user-data").inputs["sourceRaw"]
        if data["data"] == "[secret]":  # the NPM proxy's user data carries its admin password
            assert not served
            continue
        doc = yaml.safe_load(data["data"])
        files = {f["path"]: f["content"] for f in doc.get("write_files", [])}
        assert (CONF_PATH in files) == served and ("dnsmasq" in doc["packages"]) == served, name
        if not served:
            continue
        path = tmp_path / f"{name}.conf"
        path.write_text(files[CONF_PATH])
        result = subprocess.run(["dnsmasq", "--test", f"--conf-file={path}"], capture_output=True, text=True)
        assert result.returncode == 0, result.stderr
        restart = [c for c in doc["runcmd"] if "dnsmasq" in " ".join(c)]
        assert restart == [["sh", "-c", f"dnsmasq --test --conf-file={CONF_PATH} && systemctl enable dnsmasq && "
                                        "systemctl restart dnsmasq"]]  # fmt: skip
