"""DHCP ranges in the tenant file: the shipped setup D tenants declare them, the router's server is built from them,
and every bad range is refused with file, field and fix."""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Any

import pytest

from model.dhcp import dhcp_server
from model.errors import SpecError
from model.platform import Platform
from tests.support.model_inputs import CFG, load, tenant, vm

PROXY = {"engine": "caddy", "name": "acme-proxy", "slot": 90, "acme_email": "ops@acme.example"}
RANGE = {"start": "192.168.10.100", "end": "192.168.10.199"}


def with_dhcp(dhcp: dict[str, Any] | None = None, db_dhcp: dict[str, Any] | None = None, **extra: Any) -> dict:
    t = tenant("acme", 1, 10, **{"proxy": PROXY, **extra})
    t["vnets"][0]["dhcp"] = dhcp or RANGE
    if db_dhcp is not None:
        t["vnets"][1]["dhcp"] = db_dhcp
    if t["proxy"] is None:
        del t["proxy"]
    return t


MONITORING = {
    "vnet": "acmeweb",
    "influxdb": {"slot": 20, "address": "192.168.10.120"},
    "grafana": {"slot": 21, "address": "192.168.10.21"},
    "chronograf": {"slot": 22, "address": "192.168.10.22"},
    "chronograf_allow_from": ["198.51.100.0/24"],
}
INSIDE = [vm(name="w", slot=1, vnet="acmeweb", address="192.168.10.150")]
ROUTE_INSIDE = {**PROXY, "routes": [{"host": "www.acme.example", "upstream": "192.168.10.110"}]}
BAD: list[tuple[str, dict[str, Any], str]] = [
    (
        "start-outside",
        with_dhcp({"start": "192.168.9.100", "end": "192.168.10.50"}),
        "vnets[0].dhcp.start: 192.168.9.100 is not a host address of acmeweb 192.168.10.0/24",
    ),
    (
        "end-broadcast",
        with_dhcp({"start": "192.168.10.100", "end": "192.168.10.255"}),
        "vnets[0].dhcp.end: 192.168.10.255 is not a host address",
    ),
    (
        "gateway-inside",
        with_dhcp({"start": "192.168.10.1", "end": "192.168.10.50"}),
        "vnets[0].dhcp: range 192.168.10.1-192.168.10.50 contains the gateway 192.168.10.1",
    ),
    (
        "vm-inside",
        with_dhcp(vms=INSIDE),
        "vnets[0].dhcp: range 192.168.10.100-192.168.10.199 contains 192.168.10.150, the static address of w",
    ),
    (
        "service-guest-inside",
        with_dhcp(monitoring=MONITORING),
        "vnets[0].dhcp: range 192.168.10.100-192.168.10.199 contains 192.168.10.120, the static address of "
        "acme-influxdb",
    ),
    ("route-inside", with_dhcp(proxy=ROUTE_INSIDE), "proxy.routes[0].upstream: 192.168.10.110 lies in the DHCP range"),
    ("no-router", with_dhcp(proxy=None), "vnets[0].dhcp: nothing serves DHCP on acmeweb: the tenant has no router"),
    (
        "reversed",
        with_dhcp({"start": "192.168.10.200", "end": "192.168.10.100"}),
        "vnets[0].dhcp: start 192.168.10.200 is after end 192.168.10.100",
    ),
    (
        "short-lease",
        with_dhcp({**RANGE, "lease_time": "1m"}),
        "vnets[0].dhcp.lease_time: '1m' is not a lease time of at least two minutes",
    ),
    ("bad-lease", with_dhcp({**RANGE, "lease_time": "12 hours"}), "vnets[0].dhcp.lease_time: '12 hours' is not"),
    ("unknown-key", with_dhcp({**RANGE, "size": 5}), "vnets[0].dhcp.size: unknown key"),
]


def test_shipped_setup_d_tenants_serve_dhcp_on_every_vnet(spec_dev: Platform) -> None:
    for name in ("alpha", "beta"):
        t = next(t for t in spec_dev.tenants if t.name == name)
        assert all(v.dhcp is not None and v.gateway not in v.dhcp for v in t.vnets)
        server = dhcp_server(t, spec_dev.settings)
        assert server is not None and [lan.vnet for lan in server.lans] == [v.id for v in t.vnets]
        assert server.upstreams == ("9.9.9.9", "1.1.1.1")  # the stack's dnsServers
    others = [t for t in spec_dev.tenants if t.name not in ("alpha", "beta")]
    assert all(dhcp_server(t, spec_dev.settings) is None for t in others)


def test_server_has_the_router_and_fixed_leases_for_declared_guests(tmp_path: Path) -> None:
    vms = [vm(name="acme-web1", slot=1, vnet="acmeweb", address="192.168.10.10")]
    p = load(tmp_path, [with_dhcp(vms=vms, db_dhcp={"start": "192.168.11.50", "end": "192.168.11.60"})], CFG)
    t = p.tenants[0]
    server = dhcp_server(t, p.settings)
    assert server is not None
    web, db = server.lans
    assert (web.vnet, web.router, web.start, web.end, web.lease_time) == (
        "acmeweb",
        "192.168.10.1",
        "192.168.10.100",
        "192.168.10.199",
        "12h",
    )
    assert [(x.mac, x.address, x.name) for x in web.leases] == [
        (t.vm("acme-web1").nics[0].mac, "192.168.10.10", "acme-web1")
    ]
    assert db.router == "192.168.11.1" and db.leases == ()  # the router itself needs no lease


@pytest.mark.parametrize(("case", "data", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_ranges_are_refused_with_file_and_field(tmp_path: Path, case: str, data: dict, message: str) -> None:
    with pytest.raises(SpecError, match=re.escape(f"tenants/acme.yaml: {message}")):
        load(tmp_path, [data], CFG)


def test_twin_a_good_range_loads(tmp_path: Path) -> None:
    vms = [vm(name="w", slot=1, vnet="acmeweb", address="192.168.10.99")]
    routes = [{"host": "www.acme.example", "upstream": "192.168.10.99"}]
    p = load(tmp_path, [with_dhcp(vms=vms, proxy={**PROXY, "routes": routes})], CFG)
    pool = p.tenants[0].vnets[0].dhcp
    assert pool is not None and ipaddress.IPv4Address("192.168.10.99") not in pool


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    data = with_dhcp({"start": "192.168.10.1", "end": "192.168.10.255"})
    with pytest.raises(SpecError) as err:
        load(tmp_path, [data], CFG)
    text = str(err.value)
    assert "vnets[0].dhcp.end" in text and "contains the gateway" in text
