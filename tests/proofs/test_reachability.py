"""Reachability proof on the planned dev stack: the firewall allows exactly the intended flows.

The intended matrix is written here by hand from the setups (not derived from model/flows.py), so a wrong
policy, a missing rule or a widened one shows up as a difference. It covers every guest of the plan: a guest with
no declared intent fails the proof (declare its flows in INTENDED, or in QUIET if it takes none), so a new guest
with new flows cannot pass unchecked.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from proofs.firewall import GROUP, OPTIONS, RULES, VNET_FW, FirewallModel, FirewallModelError
from tests.support.bad_input import copy_inputs
from tools.mockengine import Recording
from tools.plan import record_plan

WEB = {("tcp", 80), ("tcp", 443)}
# Endpoints with public addresses are "the internet" for each other (the model judges the firewall, not NAT).
PUBLIC = ("internet", "rproxy", "edge")
SERVICES = {
    "rproxy": WEB,  # setup A: the rProxy answers 80/443
    "alpha-proxy": WEB,  # setup D: each tenant's proxy, through its secondary address on the edge
    "beta-proxy": WEB,
    "edge": WEB | {("tcp", 2201)},  # the secondaries (DNAT to proxies) and hosting's SSH forward
    "verein-www": {("tcp", 22)},  # setup B: the declared forward 2201 -> 22
    "keepers-proxy": WEB,  # setup C: through its secondary address on the edge
}
INTENDED: dict[tuple[str, str], set[tuple[str, int | None]]] = {
    (src, dst): ports for src in PUBLIC for dst, ports in SERVICES.items() if src != dst
}
INTENDED[("rproxy", "humhub")] = {("tcp", 80)}  # setup A: HumHub only behind the rProxy, port 80
INTENDED[("rproxy", "humhub-test")] = {("tcp", 80)}
DNS = {("udp", 53), ("tcp", 53)}
for t in ("alpha", "beta"):  # setup D: Grafana and Chronograf behind the proxy; InfluxDB only for those two
    INTENDED[(f"{t}-proxy", f"{t}-grafana")] = {("tcp", 3000)}
    INTENDED[(f"{t}-proxy", f"{t}-chronograf")] = {("tcp", 8888)}
    INTENDED[(f"{t}-grafana", f"{t}-influxdb")] = {("tcp", 8086)}
    INTENDED[(f"{t}-chronograf", f"{t}-influxdb")] = {("tcp", 8086)}
    for guest in ("influxdb", "grafana", "chronograf"):  # setup D's VNets have DHCP: the router is their resolver
        INTENDED[(f"{t}-{guest}", f"{t}-proxy")] = DNS
# setup C: WordPress split in two tiers, Zabbix frontend and Vaultwarden behind the proxy, and Zabbix both ways
INTENDED[("keepers-proxy", "keepers-wp-web")] = {("tcp", 80)}
INTENDED[("keepers-wp-web", "keepers-wp-db")] = {("tcp", 3306)}
INTENDED[("keepers-proxy", "keepers-vaultwarden")] = {("tcp", 8080)}
INTENDED[("keepers-proxy", "keepers-zabbix")] = {("tcp", 8080)}
INTENDED[("keepers-proxy", "keepers-graylog")] = {("tcp", 9000)}
KEEPERS = ("keepers-proxy", "keepers-wp-web", "keepers-wp-db", "keepers-vaultwarden", "keepers-cloudflared")
for guest in (*KEEPERS, "keepers-graylog"):
    INTENDED[("keepers-zabbix", guest)] = {("tcp", 10050)}  # the server polls every agent
    INTENDED.setdefault((guest, "keepers-zabbix"), set()).add(("tcp", 10051))  # agents' active checks
for guest in (*KEEPERS, "keepers-zabbix"):
    INTENDED.setdefault((guest, "keepers-graylog"), set()).add(("tcp", 1514))  # rsyslog to the central Graylog
QUIET = ("debian-desktop", "verein-cloud")  # guests that nothing may reach (their intent: no inbound flow at all)
ENDPOINTS = sorted({*QUIET, *(n for pair in INTENDED for n in pair)})
GUESTS = [e for e in ENDPOINTS if e != "internet"]


def matrix_diff(plan: Recording) -> list[str]:
    """Every disagreement between the plan's firewall and the intent, over every guest of the plan."""
    model = FirewallModel.from_recording(plan)
    undeclared = sorted(set(model.guests) - set(GUESTS))
    every = set(model.probes())
    # every guest may open anything towards the internet (egress through its router); inbound is as above
    intended = {**{(g, "internet"): every for g in [*GUESTS, *undeclared]}, **INTENDED}
    missing = [f"NO INTENT for guest {g}: declare its flows in INTENDED (or add it to QUIET)" for g in undeclared]
    return missing + model.differences(intended)


def test_both_stacks_allow_exactly_the_intended_flows(plan: Recording) -> None:
    assert matrix_diff(plan) == []


@pytest.mark.parametrize("guest", GUESTS)
def test_every_guest_reaches_the_internet(plan_dev: Recording, guest: str) -> None:
    assert FirewallModel.from_recording(plan_dev).reaches(guest, "internet", "tcp", 443)


def test_every_allowed_rule_says_why(plan_dev: Recording) -> None:
    for r in plan_dev.by_type(RULES) + plan_dev.by_type(GROUP):
        for rule in r.inputs.get("rules", []):
            if rule.get("action") == "ACCEPT" or rule.get("securityGroup"):
                assert len(rule.get("comment", "")) > 5, (r.name, rule)
    for r in plan_dev.by_type(VNET_FW):
        assert all(len(rule["comment"]) > 5 for rule in r.inputs["rules"])


# ------------------------------------------------------------------ DHCP (setup D's VNets declare ranges)

# (VNet, its router, an address of its range that no declared guest has: a tenant's own VM), from tenants/*.yaml
DHCP_VNETS = [
    ("alphaweb", "alpha-proxy", "192.168.10.150"),
    ("alphadb", "alpha-proxy", "192.168.20.150"),
    ("betaweb", "beta-proxy", "192.168.30.150"),
    ("betadb", "beta-proxy", "192.168.40.150"),
]
DECLARED_CLIENTS = [(f"{t}web", f"{t}-proxy", f"{t}-{g}") for t in ("alpha", "beta") for g in ("grafana", "influxdb")]


@pytest.mark.parametrize(("vnet", "router", "lease"), DHCP_VNETS)
def test_dhcp_and_dns_on_every_vnet_with_a_range(plan: Recording, vnet: str, router: str, lease: str) -> None:
    model = FirewallModel.from_recording(plan)
    verdict = model.dhcp(vnet, router, lease)
    assert verdict, verdict.reason
    assert model.reaches(lease, router, "udp", 53) and model.reaches(lease, router, "tcp", 53)
    assert not model.reaches(lease, router, "tcp", 22)  # the router itself: DHCP and DNS only


@pytest.mark.parametrize(("vnet", "router", "guest"), DECLARED_CLIENTS)
def test_declared_guests_can_take_their_fixed_lease(plan_dev: Recording, vnet: str, router: str, guest: str) -> None:
    verdict = FirewallModel.from_recording(plan_dev).dhcp(vnet, router, guest)
    assert verdict, verdict.reason


def test_no_dhcp_where_no_range_is_declared_nor_across_tenants(plan_dev: Recording) -> None:
    model = FirewallModel.from_recording(plan_dev)
    assert not model.dhcp("comlan", "rproxy", "10.10.10.150")  # setup A's LAN: static addresses only
    assert not model.dhcp("keepweb", "keepers-proxy", "192.168.50.150")
    assert not model.reaches("192.168.10.150", "beta-proxy", "udp", 53)  # another tenant's resolver
    with pytest.raises(FirewallModelError):  # beta's router has no NIC on alpha's VNet at all
        model.dhcp("alphaweb", "beta-proxy", "192.168.10.150")


def test_twin_dhcp_needs_the_routers_rule(plan_dev: Recording) -> None:
    def drop_dhcp(inputs: dict) -> dict:
        return {**inputs, "rules": [r for r in inputs["rules"] if r.get("dport") != "67"]}

    broken = FirewallModel.from_recording(_edit(plan_dev, "firewall-alpha-proxy-rules", drop_dhcp))
    verdict = broken.dhcp("alphaweb", "alpha-proxy", "192.168.10.150")
    assert not verdict and "alpha-proxy IN: " in verdict.reason
    assert FirewallModel.from_recording(plan_dev).dhcp("betaweb", "beta-proxy", "192.168.30.150")  # others keep it


def test_twin_dhcp_needs_the_vnets_rules_both_ways(plan_dev: Recording) -> None:
    for port in ("67", "68"):

        def drop(inputs: dict, port: str = port) -> dict:
            return {**inputs, "rules": [r for r in inputs["rules"] if r.get("dport") != port]}

        broken = FirewallModel.from_recording(_edit(plan_dev, "firewall-alphadb-vnet", drop))
        verdict = broken.dhcp("alphadb", "alpha-proxy", "192.168.20.150")
        assert not verdict and "vnet alphadb forward: no rule matched, policy DROP" in verdict.reason


def test_twin_a_client_without_the_dhcp_option_gets_no_lease(plan_dev: Recording) -> None:
    off = _edit(plan_dev, "firewall-alpha-grafana-options", lambda i: {**i, "dhcp": False})
    verdict = FirewallModel.from_recording(off).dhcp("alphaweb", "alpha-proxy", "alpha-grafana")
    assert not verdict and "alpha-grafana OUT: dhcp option off: block-dhcp-out" in verdict.reason


def test_dhcp_option_only_on_dhcp_clients(plan: Recording) -> None:
    """On for guests of a VNet with a range (they hold fixed leases there), off for the routers and everyone else."""
    options = {
        r.name.removeprefix("firewall-").removesuffix("-options"): r.inputs["dhcp"] for r in plan.by_type(OPTIONS)
    }
    on = {name for name, dhcp in options.items() if dhcp}
    assert on == {f"{t}-{g}" for t in ("alpha", "beta") for g in ("influxdb", "grafana", "chronograf")}


def ipv6_capable_rules(plan: Recording) -> list[str]:
    """Rules that could let IPv6 in: one naming an IPv6 address, or one with neither source nor destination (PVE
    applies those to both families). The proof is IPv4-only; with none of these, every guest's IPv6 input is its
    DROP policy (PVE itself passes only NDP and ICMPv6 errors), e.g. nothing reaches a hosted /64."""
    out = []
    for r in plan.by_type(RULES) + plan.by_type(GROUP) + plan.by_type(VNET_FW):
        for i, rule in enumerate(r.inputs.get("rules", [])):
            if rule.get("securityGroup") or rule.get("type") not in ("in", "forward"):
                continue
            addresses = [a for key in ("source", "dest") for a in str(rule.get(key) or "").split(",") if a]
            if not addresses or any(":" in a and not a.startswith("+") for a in addresses):
                out.append(f"{r.name} rule {i}: {rule}")
    return out


def test_no_rule_lets_ipv6_in(plan: Recording) -> None:
    assert ipv6_capable_rules(plan) == []


def test_twin_an_ipv6_rule_is_seen(plan_dev: Recording) -> None:
    def open_v6(inputs: dict) -> dict:
        extra = {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "22", "source": "2001:db8::/32"}
        return {**inputs, "rules": [*inputs["rules"], extra, {**extra, "source": None}]}

    assert len(ipv6_capable_rules(_edit(plan_dev, "firewall-verein-www-rules", open_v6))) == 2


def _edit(plan: Recording, name: str, change) -> Recording:
    return dataclasses.replace(
        plan,
        resources=[dataclasses.replace(r, inputs=change(r.inputs)) if r.name == name else r for r in plan.resources],
    )


@pytest.mark.slow
def test_removing_a_rule_closes_exactly_its_flow(plan_dev: Recording) -> None:
    broken = _edit(plan_dev, "firewall-community-humhub", lambda i: {**i, "rules": []})
    diff = matrix_diff(broken)
    assert diff and all(d.startswith("CLOSED but intended: rproxy") and "-> humhub " in d for d in diff), diff


def _widen(inputs: dict) -> dict:
    return {**inputs, "rules": [{**r, "source": "+dc/world"} for r in inputs["rules"]]}


@pytest.mark.slow
def test_widening_a_rule_is_caught(plan_dev: Recording) -> None:
    """Widen HumHub's guest rule and its VNet rule to the whole internet: the matrix shows the new flow."""
    widened = _edit(_edit(plan_dev, "firewall-community-humhub", _widen), "firewall-comlan-vnet", _widen)
    diff = matrix_diff(widened)
    assert any(d.startswith("OPEN but not intended: internet") and "-> humhub " in d for d in diff), diff


@pytest.mark.slow
def test_one_widened_level_is_not_enough(plan_dev: Recording) -> None:
    """Defence in depth: the guest rule alone widened still leaves the VNet level closed to the internet."""
    diff = matrix_diff(_edit(plan_dev, "firewall-community-humhub", _widen))
    assert not any(d.startswith("OPEN") for d in diff), diff


@pytest.mark.slow
def test_the_vnet_level_is_enforced_too(plan_dev: Recording) -> None:
    """Dropping the comlan VNet rule for HumHub closes the flow even though the guest rule still allows it."""

    def drop_humhub(inputs: dict) -> dict:
        return {**inputs, "rules": [r for r in inputs["rules"] if r.get("dest") != "10.10.10.6"]}

    diff = matrix_diff(_edit(plan_dev, "firewall-comlan-vnet", drop_humhub))
    assert diff and all("-> humhub " in d and d.startswith("CLOSED") for d in diff), diff


@pytest.mark.slow
def test_influxdb_only_from_grafana_and_chronograf(plan_dev: Recording) -> None:
    """Twin: let Telegraf's neighbour web VNet reach InfluxDB (widen the group) and the matrix shows it."""
    widened = _edit(_edit(plan_dev, "firewall-alpha-influxdb", _widen), "firewall-alphaweb-vnet", _widen)
    diff = matrix_diff(widened)
    assert any(d.startswith("OPEN but not intended: internet") and "-> alpha-influxdb " in d for d in diff), diff


@pytest.mark.slow
def test_switching_both_levels_off_opens_the_guest(plan_dev: Recording) -> None:
    off = _edit(plan_dev, "firewall-humhub-test-options", lambda i: {**i, "enabled": False})
    assert not any(d.startswith("OPEN") for d in matrix_diff(off))  # the VNet still holds
    off = _edit(off, "firewall-comlan-vnet", lambda i: {**i, "options": {**i["options"], "enable": False}})
    diff = matrix_diff(off)
    assert any(d.startswith("OPEN but not intended: internet") and "-> humhub-test " in d for d in diff), diff


@pytest.mark.slow
def test_twin_new_guests_with_new_flows_fail_the_proof(tmp_path: Path) -> None:
    """Two new guests of alpha (a web VM behind its proxy, a database for it): the program opens proxy -> web 80 and
    web -> db 3306; the proof names both guests as undeclared, while the old check over the named endpoints alone
    (below) saw nothing."""
    project = copy_inputs(tmp_path / "project")
    new = (
        "vms:\n"
        "  - {name: alpha-web1, slot: 30, role: web, vnet: alphaweb, address: 192.168.10.30}\n"
        "  - {name: alpha-db1, slot: 31, role: db, vnet: alphadb, address: 192.168.20.30}\n"
    )
    alpha = project / "tenants" / "alpha.yaml"
    alpha.write_text(alpha.read_text(encoding="utf-8") + new, encoding="utf-8")
    plan = record_plan("dev", project)
    model = FirewallModel.from_recording(plan)
    assert model.reaches("alpha-proxy", "alpha-web1", "tcp", 80)
    assert model.reaches("alpha-web1", "alpha-db1", "tcp", 3306)
    diff = matrix_diff(plan)
    assert [d for d in diff if d.startswith("NO INTENT")] == [
        "NO INTENT for guest alpha-db1: declare its flows in INTENDED (or add it to QUIET)",
        "NO INTENT for guest alpha-web1: declare its flows in INTENDED (or add it to QUIET)",
    ]
    assert any(d.startswith("OPEN but not intended: alpha-proxy") and "-> alpha-web1 " in d for d in diff), diff
    named_only = {**{(g, "internet"): set(model.probes()) for g in GUESTS}, **INTENDED}
    assert model.differences(named_only) == []  # what the proof saw before it covered every guest
