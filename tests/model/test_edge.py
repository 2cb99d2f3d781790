"""The provider edge in the spec: hosted nets, forwards, secondaries, and the bad cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from model.edge import router_spec
from model.errors import SpecError
from render.router import EDGE_LINK_LOCAL, networkd_files
from tests.support.model_inputs import CFG, load, tenant, vm


def hosting(**extra: Any) -> dict[str, Any]:
    return tenant("host", 3, 60, vnets=[], storages=[], vms=[vm(name="www", slot=1)], **extra)


def proxied(**proxy: Any) -> dict[str, Any]:
    return tenant(
        "acme",
        1,
        10,
        proxy={"engine": "caddy", "name": "acme-proxy", "slot": 90, "acme_email": "ops@acme.example", **proxy},
    )


def test_forward_and_secondary(tmp_path: Path) -> None:
    fw = [{"proto": "tcp", "public_port": 2201, "vm": "www", "port": 22, "why": "admin SSH"}]
    cfg = {**CFG, "publicAddresses": {"acme": {"ipv4": "203.0.113.21/32"}}}
    p = load(tmp_path, [hosting(forwards=fw), proxied()], cfg)
    assert [(f.public_port, str(f.target), f.target_port) for f in p.edge.forwards] == [(2201, "10.200.4.182", 22)]
    assert [(str(s.address), str(s.target)) for s in p.edge.secondaries] == [("203.0.113.21", "10.200.2.250")]
    assert {h.name: h.vlan for h in p.edge.hosted} == {"host-www": 301, "acme-acme-proxy": 190}
    proxy = next(v for t in p.tenants for v in t.vms if v.role == "proxy")
    assert [n.bridge for n in proxy.nics] == ["acmeweb", "acmedb", "transit"]
    assert [str(n.ipv4) for n in proxy.nics[:2]] == ["192.168.10.1/24", "192.168.11.1/24"]  # the VNets' gateways
    assert proxy.nics[0].gateway4 is None and str(proxy.nics[2].gateway4) == "10.200.2.249"


def test_each_hosted_64_is_routed_to_its_vms_link_local(tmp_path: Path) -> None:
    """The edge's route and the VM's own configuration agree: the VM's NIC (its fixed MAC) has the link-local the
    /64 is routed to, configures ::2 of that /64 as a /128, and takes the edge's fixed link-local as gateway."""
    p = load(tmp_path, [hosting(), proxied()], CFG)
    nics = {f"{t.name}-{vm.name}": vm.nics[-1] for t in p.tenants for vm in t.vms if vm.nics[-1].vlan is not None}
    files = networkd_files(router_spec(p.edge, p.settings))
    assert {h.name for h in p.edge.hosted} == set(nics)
    for h in p.edge.hosted:
        nic = nics[h.name]
        assert h.vm_link_local == nic.link_local and h.ipv6 == nic.routed6
        assert nic.ipv6.network.prefixlen == 128 and nic.ipv6.ip in h.ipv6 and nic.gateway6 == EDGE_LINK_LOCAL
        route = files[f"/etc/systemd/network/07-vlan{h.vlan}.network"].split("[Route]\n", 1)[1]
        assert route == f"Destination={h.ipv6}\nGateway={nic.link_local}\n"


@pytest.mark.parametrize("port", [80, 443])
def test_forward_of_the_edges_own_ports_is_refused(tmp_path: Path, port: int) -> None:
    fw = [{"proto": "tcp", "public_port": port, "vm": "www", "why": "web"}]
    with pytest.raises(SpecError, match=rf"forwards\[0\]\.public_port: tcp/{port} of the edge's primary address"):
        load(tmp_path, [hosting(forwards=fw)], CFG)


def test_ssh_forward_refused_when_the_edge_takes_ssh(tmp_path: Path) -> None:
    fw = [{"proto": "tcp", "public_port": 22, "vm": "www", "why": "ssh"}]
    cfg = {**CFG, "edge": {**CFG["edge"], "adminFrom": ["192.0.2.0/28"]}}
    with pytest.raises(SpecError, match=r"tcp/22 of the edge's primary address"):
        load(tmp_path, [hosting(forwards=fw)], cfg)
    assert load(tmp_path, [hosting(forwards=fw)], CFG).edge.forwards  # without admin SSH, 22 is free


@pytest.mark.parametrize(
    ("case", "data", "cfg", "message"),
    [
        (
            "forward-unknown-vm",
            hosting(forwards=[{"proto": "tcp", "public_port": 2201, "vm": "x", "why": "why not"}]),
            {},
            r"forwards\[0\]\.vm: 'x' is not a VM of this tenant on a hosted net",
        ),
        (
            "forward-without-why",
            hosting(forwards=[{"proto": "tcp", "public_port": 2201, "vm": "www"}]),
            {},
            r"forwards\[0\]\.why: is required",
        ),
        (
            "public-without-address",
            proxied(public=True),
            {},
            r"proxy\.public: the proxy wants its own public NIC, but the stack has no public address",
        ),
        (
            "address-for-unknown-tenant",
            proxied(),
            {"publicAddresses": {"ghost": {"ipv4": "203.0.113.9/32"}}},
            r"proxcloud:publicAddresses\.ghost: is not a tenant of this stack",
        ),
        (
            "proxy-without-vnets",
            tenant(vnets=[], proxy={"engine": "caddy", "name": "p", "slot": 9, "acme_email": "a@b.example"}),
            {},
            r"a proxy needs at least one VNet",
        ),
        ("bad-engine", proxied(engine="haproxy"), {}, r"proxy\.engine: Input should be 'npm' or 'caddy'"),
        (
            "route-with-underscore",
            proxied(routes=[{"host": "grafana_acme.example.org", "upstream": "192.168.10.5"}]),
            {},
            r"proxy\.routes\[0\]\.host: 'grafana_acme\.example\.org' is not a valid host name",
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and "/" not in v and "\\" not in v and len(v) < 30 else "",
)
def test_bad_edge_input(tmp_path: Path, case: str, data: dict, cfg: dict, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [data], {**CFG, **cfg})
