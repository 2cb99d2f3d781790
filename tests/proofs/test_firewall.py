"""The firewall reachability proof on hand-built plans: a tenant with an edge, a web and a db guest.

Topology (setup D, one tenant): `edge` has a public NIC (net0, 198.51.100.10, vmbr0) and an internal one
(net1, 192.168.10.2, VNet t1web); `web` is 192.168.10.10 on t1web; `db` is 192.168.20.10 on t1db. Intent:
the internet reaches only the edge on 80/443; only the edge reaches web, on 80; only web reaches db, on
3306 (db IN via security group sg-db with ipset `webservers` = 192.168.10.0/24 except the edge, nomatch;
VNet t1db forwards only MySQL from the web subnet); db initiates nothing; admins (10.99.0.0/24) may SSH.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from proofs.firewall import (
    ALIAS,
    CLUSTER_FW,
    GROUP,
    INTERNET,
    IPSET,
    OPTIONS,
    RULES,
    VM,
    VNET_FW,
    FirewallModel,
    FirewallModelError,
)
from tools.mockengine import Recording, Registration

ENDPOINTS = ["internet", "edge", "web", "db"]
PROBES = [("tcp", 22), ("tcp", 80), ("tcp", 443), ("tcp", 3306), ("tcp", 8080), ("udp", 53), ("icmp", None)]
EVERYTHING = set(PROBES)

INTENDED: dict[tuple[str, str], set[Any]] = {
    ("internet", "edge"): {("tcp", 80), ("tcp", 443)},
    ("internet", "web"): set(),
    ("internet", "db"): set(),
    ("edge", "internet"): EVERYTHING,
    ("edge", "web"): {("tcp", 80)},
    ("edge", "db"): set(),
    ("web", "internet"): EVERYTHING,
    ("web", "edge"): set(),
    ("web", "db"): {("tcp", 3306)},
    ("db", "internet"): set(),
    ("db", "edge"): set(),
    ("db", "web"): set(),
}


def reg(typ: str, name: str, inputs: dict[str, Any]) -> Registration:
    return Registration(
        urn=f"urn:pulumi:test::proxcloud::{typ}::{name}",
        type=typ,
        name=name,
        custom=True,
        parent=None,
        provider=None,
        protect=False,
        dependencies=[],
        inputs=inputs,
    )


def vm(name: str, vm_id: int, nics: list[tuple[str, str, bool, str | None]]) -> Registration:
    """nics: (bridge, address, firewall flag, gateway)."""
    return reg(
        VM,
        f"{name}-vm",
        {
            "name": name,
            "nodeName": "pve1",
            "vmId": vm_id,
            "networkDevices": [{"bridge": b, "model": "virtio", "firewall": fw} for b, _, fw, _ in nics],
            "initialization": {
                "ipConfigs": [{"ipv4": {"address": a, **({"gateway": g} if g else {})}} for _, a, _, g in nics]
            },
        },
    )


def options(name: str, vm_id: int, **extra: Any) -> Registration:
    inputs = {"nodeName": "pve1", "vmId": vm_id, "enabled": True, "inputPolicy": "DROP", "outputPolicy": "ACCEPT"}
    inputs.update(extra)
    return reg(OPTIONS, f"{name}-fw-options", inputs)


def rules(name: str, vm_id: int, rule_list: list[dict[str, Any]]) -> Registration:
    return reg(RULES, f"{name}-fw-rules", {"nodeName": "pve1", "vmId": vm_id, "rules": rule_list})


def topology() -> Recording:
    rec = Recording()
    rec.resources = [
        reg(CLUSTER_FW, "cluster-fw", {"enabled": True, "inputPolicy": "DROP", "outputPolicy": "ACCEPT"}),
        vm(
            "edge",
            100,
            [("vmbr0", "198.51.100.10/24", True, "198.51.100.1"), ("t1web", "192.168.10.2/24", True, None)],
        ),
        vm("web", 101, [("t1web", "192.168.10.10/24", True, "192.168.10.1")]),
        vm("db", 102, [("t1db", "192.168.20.10/24", True, "192.168.20.1")]),
        reg(IPSET, "admins", {"name": "admins", "cidrs": [{"name": "10.99.0.0/24"}]}),
        reg(
            IPSET,
            "webservers",
            {"name": "webservers", "cidrs": [{"name": "192.168.10.0/24"}, {"name": "192.168.10.2", "nomatch": True}]},
        ),
        reg(ALIAS, "edge-internal", {"name": "edge-internal", "cidr": "192.168.10.2"}),
        reg(
            GROUP,
            "sg-db",
            {
                "name": "sg-db",
                "rules": [{"type": "in", "action": "ACCEPT", "macro": "MySQL", "source": "+dc/webservers"}],
            },
        ),
        options("edge", 100),
        rules(
            "edge",
            100,
            [
                {"type": "in", "action": "ACCEPT", "macro": "HTTP", "iface": "net0", "comment": "ACME + redirect"},
                {"type": "in", "action": "ACCEPT", "macro": "HTTPS", "iface": "net0"},
                {"type": "in", "action": "ACCEPT", "macro": "SSH", "source": "+admins"},
            ],
        ),
        options("web", 101),
        rules(
            "web",
            101,
            [
                {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "80", "source": "edge-internal"},
                {"type": "in", "action": "ACCEPT", "macro": "SSH", "source": "+admins"},
            ],
        ),
        options("db", 102, outputPolicy="DROP"),
        rules("db", 102, [{"securityGroup": "sg-db", "iface": "net0"}, {"type": "in", "action": "DROP"}]),
        reg(
            VNET_FW,
            "t1db-fw",
            {
                "vnet": "t1db",
                "options": {"enable": True, "policy_forward": "DROP"},
                "rules": [
                    {
                        "type": "forward",
                        "action": "ACCEPT",
                        "proto": "tcp",
                        "dport": "3306",
                        "source": "192.168.10.0/24",
                    }
                ],
            },
        ),
    ]
    return rec


def edit(rec: Recording, name: str, fn: Any) -> Recording:
    """A copy of the plan with fn(inputs) applied to the registration named `name`."""
    out = copy.deepcopy(rec)
    target = [r for r in out.resources if r.name == name]
    assert len(target) == 1, name
    fn(target[0].inputs)
    return out


def diff(a: dict[Any, set[Any]], b: dict[Any, set[Any]]) -> dict[Any, set[Any]]:
    return {k: a[k] ^ b[k] for k in a if a[k] != b[k]}


# ---------------------------------------------------------------- the intended matrix


def test_matrix_equals_intent() -> None:
    model = FirewallModel.from_recording(topology())
    assert model.matrix(ENDPOINTS, PROBES) == INTENDED


def test_reasons_name_the_deciding_rule() -> None:
    model = FirewallModel.from_recording(topology())
    verdict = model.allowed("web", "db", "tcp", 3306)
    assert verdict.ok
    assert "vnet t1db forward: vnet t1db rule 0 ACCEPT" in verdict.reason
    assert "db IN: db rule 0 -> group sg-db rule 0 ACCEPT" in verdict.reason
    denied = model.allowed(INTERNET, "web", "tcp", 80)
    assert not denied.ok and "web IN: no rule matched, policy DROP" in denied.reason


def test_admins_reach_ssh_only() -> None:
    model = FirewallModel.from_recording(topology())
    assert model.reaches("10.99.0.7", "edge", "tcp", 22)
    assert model.reaches("10.99.0.7", "web", "tcp", 22)
    assert not model.reaches("10.99.0.7", "web", "tcp", 80)
    assert not model.reaches("10.98.0.7", "edge", "tcp", 22)


def test_exact_probes_cover_every_port_class() -> None:
    model = FirewallModel.from_recording(topology())
    ports = {port for proto, port in model.probes() if proto == "tcp"}
    assert {1, 22, 23, 80, 81, 443, 444, 3306, 3307} <= ports
    exact = model.matrix(ENDPOINTS)
    assert exact[("internet", "edge")] == {("tcp", 80), ("tcp", 443)}
    assert exact[("web", "db")] == {("tcp", 3306)}
    assert exact[("internet", "db")] == set()


# ---------------------------------------------------------------- twins: each broken plan is caught


def test_removing_one_accept_turns_exactly_that_flow_off() -> None:
    broken = edit(topology(), "web-fw-rules", lambda i: i["rules"].pop(0))
    matrix = FirewallModel.from_recording(broken).matrix(ENDPOINTS, PROBES)
    assert matrix != INTENDED
    assert diff(matrix, INTENDED) == {("edge", "web"): {("tcp", 80)}}


@pytest.mark.parametrize(
    ("name", "index", "lost"),
    [
        ("edge-fw-rules", 0, {("internet", "edge"): {("tcp", 80)}}),
        ("edge-fw-rules", 1, {("internet", "edge"): {("tcp", 443)}}),
        ("db-fw-rules", 0, {("web", "db"): {("tcp", 3306)}}),
    ],
)
def test_each_accept_carries_exactly_its_flow(name: str, index: int, lost: dict[Any, set[Any]]) -> None:
    broken = edit(topology(), name, lambda i: i["rules"].pop(index))
    assert diff(FirewallModel.from_recording(broken).matrix(ENDPOINTS, PROBES), INTENDED) == lost


def test_widening_a_source_to_any_is_caught() -> None:
    widened = edit(topology(), "web-fw-rules", lambda i: i["rules"][0].pop("source"))
    matrix = FirewallModel.from_recording(widened).matrix(ENDPOINTS, PROBES)
    assert matrix != INTENDED
    assert diff(matrix, INTENDED) == {("internet", "web"): {("tcp", 80)}}


def test_vnet_layer_still_holds_when_the_guest_rule_is_widened() -> None:
    """Defence in depth: sg-db open to any source, the VNet forward rule still keeps the internet out of db."""
    widened = edit(topology(), "sg-db", lambda i: i["rules"][0].pop("source"))
    assert FirewallModel.from_recording(widened).matrix(ENDPOINTS, PROBES) == INTENDED
    both = edit(widened, "t1db-fw", lambda i: i["options"].update(enable=False))
    opened = FirewallModel.from_recording(both).matrix(ENDPOINTS, PROBES)
    assert diff(opened, INTENDED) == {("internet", "db"): {("tcp", 3306)}, ("edge", "db"): {("tcp", 3306)}}


def test_security_group_insertion_is_expanded_in_place() -> None:
    model = FirewallModel.from_recording(topology())
    assert model.reaches("web", "db", "tcp", 3306)
    disabled = edit(topology(), "db-fw-rules", lambda i: i["rules"][0].update(enabled=False))
    assert not FirewallModel.from_recording(disabled).reaches("web", "db", "tcp", 3306)
    # the insertion's iface applies to the group's rules
    wrong_iface = edit(topology(), "db-fw-rules", lambda i: i["rules"][0].update(iface="net1"))
    assert not FirewallModel.from_recording(wrong_iface).reaches("web", "db", "tcp", 3306)
    # in place: a DROP in front of the insertion wins
    shadowed = edit(topology(), "db-fw-rules", lambda i: i["rules"].insert(0, {"type": "in", "action": "DROP"}))
    assert not FirewallModel.from_recording(shadowed).reaches("web", "db", "tcp", 3306)


def test_ipset_nomatch_excludes_an_address() -> None:
    model = FirewallModel.from_recording(topology())
    assert model.reaches("192.168.10.10", "db", "tcp", 3306)
    verdict = model.allowed("192.168.10.2", "db", "tcp", 3306)  # the edge's internal NIC: nomatch
    assert not verdict.ok and "db IN: db rule 1 DROP" in verdict.reason
    without = edit(topology(), "webservers", lambda i: i["cidrs"].pop(1))
    assert FirewallModel.from_recording(without).reaches("192.168.10.2", "db", "tcp", 3306)


def test_policy_fallthrough() -> None:
    model = FirewallModel.from_recording(topology())
    assert "policy DROP" in model.allowed("edge", "web", "tcp", 8080).reason
    open_in = edit(topology(), "web-fw-options", lambda i: i.update(inputPolicy="ACCEPT"))
    assert FirewallModel.from_recording(open_in).reaches("edge", "web", "tcp", 8080)
    # db's OUT policy DROP is what keeps db from starting flows
    assert "db OUT: no rule matched, policy DROP" in model.allowed("db", INTERNET, "tcp", 443).reason
    chatty = edit(topology(), "db-fw-options", lambda i: i.update(outputPolicy="ACCEPT"))
    # ... and with it opened, the VNet's forward policy is the next wall
    verdict = FirewallModel.from_recording(chatty).allowed("db", INTERNET, "tcp", 443)
    assert not verdict.ok and "vnet t1db forward: no rule matched, policy DROP" in verdict.reason
    open_vnet = edit(chatty, "t1db-fw", lambda i: i["options"].update(policy_forward="ACCEPT"))
    assert FirewallModel.from_recording(open_vnet).reaches("db", INTERNET, "tcp", 443)


def test_unfiltered_nic_guest_and_datacenter() -> None:
    no_flag = edit(topology(), "web-vm", lambda i: i["networkDevices"][0].update(firewall=False))
    assert FirewallModel.from_recording(no_flag).reaches(INTERNET, "web", "tcp", 5432)
    guest_off = edit(topology(), "web-fw-options", lambda i: i.update(enabled=False))
    assert FirewallModel.from_recording(guest_off).reaches(INTERNET, "web", "tcp", 5432)
    dc_off = edit(topology(), "cluster-fw", lambda i: i.update(enabled=False))
    assert FirewallModel.from_recording(dc_off).matrix(ENDPOINTS, PROBES) == {k: EVERYTHING for k in INTENDED}


def test_dport_lists_ranges_and_protocols() -> None:
    ranged = edit(
        topology(),
        "web-fw-rules",
        lambda i: i["rules"].insert(
            0, {"type": "in", "action": "ACCEPT", "proto": "tcp", "dport": "8000:8100,9000", "source": "edge-internal"}
        ),
    )
    model = FirewallModel.from_recording(ranged)
    assert [model.reaches("edge", "web", "tcp", p) for p in (7999, 8000, 8080, 8100, 8101, 9000)] == [
        False,
        True,
        True,
        True,
        False,
        True,
    ]
    assert not model.reaches("edge", "web", "udp", 8080)
    pinged = edit(
        topology(), "web-fw-rules", lambda i: i["rules"].append({"type": "in", "action": "ACCEPT", "macro": "Ping"})
    )
    assert FirewallModel.from_recording(pinged).reaches(INTERNET, "web", "icmp")
    assert not FirewallModel.from_recording(topology()).reaches(INTERNET, "web", "icmp")


def test_unknown_references_are_errors_not_guesses() -> None:
    bad_macro = edit(
        topology(),
        "web-fw-rules",
        lambda i: i["rules"].insert(0, {"type": "in", "action": "ACCEPT", "macro": "BitTorrent"}),
    )
    with pytest.raises(FirewallModelError, match="macro 'BitTorrent' is not modelled"):
        FirewallModel.from_recording(bad_macro).reaches(INTERNET, "web", "tcp", 80)
    bad_set = edit(topology(), "web-fw-rules", lambda i: i["rules"][1].update(source="+nosuch"))
    with pytest.raises(FirewallModelError, match="ipset '\\+nosuch' is not defined"):
        FirewallModel.from_recording(bad_set).reaches("10.99.0.7", "web", "tcp", 22)


# ---------------------------------------------------------------- properties

RULE = st.fixed_dictionaries(
    {
        "type": st.sampled_from(["in", "out"]),
        "action": st.sampled_from(["ACCEPT", "DROP", "REJECT"]),
    },
    optional={
        "proto": st.sampled_from(["tcp", "udp", "icmp"]),
        "source": st.sampled_from(["192.168.10.0/24", "192.168.10.10", "10.0.0.0/8", "+webservers", "+admins"]),
        "enabled": st.booleans(),
    },
).map(lambda r: dict(r, dport="3306") if r.get("proto") in ("tcp", "udp") and len(r) % 2 else r)
FLOW = st.sampled_from([("tcp", 3306), ("tcp", 80), ("udp", 53), ("icmp", None)])


def with_db_rules(rule_list: list[dict[str, Any]]) -> FirewallModel:
    plan = edit(topology(), "db-fw-rules", lambda i: i.update(rules=rule_list))
    plan = edit(plan, "t1db-fw", lambda i: i["options"].update(enable=False))  # isolate the guest stage
    return FirewallModel.from_recording(plan)


def exact(action: str, proto: str, port: int | None) -> dict[str, Any]:
    rule = {"type": "in", "action": action, "proto": proto, "source": "192.168.10.10"}
    return rule if port is None else dict(rule, dport=str(port))


@settings(max_examples=150, deadline=None)
@given(rest=st.lists(RULE, max_size=6), flow=FLOW)
def test_a_drop_placed_first_never_lets_its_flow_through(rest: list[dict[str, Any]], flow: Any) -> None:
    proto, port = flow
    assert not with_db_rules([exact("DROP", proto, port), *rest]).reaches("web", "db", proto, port)


@settings(max_examples=150, deadline=None)
@given(before=st.lists(RULE, max_size=4), after=st.lists(RULE, max_size=6), flow=FLOW)
def test_rules_after_a_matching_accept_never_close_it(
    before: list[dict[str, Any]], after: list[dict[str, Any]], flow: Any
) -> None:
    proto, port = flow
    head = [*before, exact("ACCEPT", proto, port)]
    verdict = with_db_rules(head).reaches("web", "db", proto, port)
    assert with_db_rules([*head, *after]).reaches("web", "db", proto, port) == verdict


def test_twin_properties_can_fail() -> None:
    """The properties above are not vacuous: the same flow with the DROP last, or rules before, does change."""
    proto, port = "tcp", 3306
    accept_first = [exact("ACCEPT", proto, port), exact("DROP", proto, port)]
    assert with_db_rules(accept_first).reaches("web", "db", proto, port)
    assert not with_db_rules(list(reversed(accept_first))).reaches("web", "db", proto, port)


# ---------------------------------------------------------------- the real plan


@pytest.mark.slow
def test_model_reads_the_real_dev_plan(plan_dev: Recording) -> None:
    model = FirewallModel.from_recording(plan_dev)
    names = sorted(model.guests)
    assert isinstance(model.matrix([*names, INTERNET]), dict)


def test_differences_explain_each_unintended_flow() -> None:
    assert FirewallModel.from_recording(topology()).differences(INTENDED, PROBES) == []
    widened = edit(topology(), "web-fw-rules", lambda i: i["rules"][0].pop("source"))
    found = FirewallModel.from_recording(widened).differences(INTENDED, PROBES)
    assert len(found) == 1
    assert found[0].startswith("OPEN but not intended: internet (203.0.113.10) -> web (192.168.10.10) tcp/80")
    assert "web IN: web rule 0 ACCEPT" in found[0]
    removed = edit(topology(), "web-fw-rules", lambda i: i["rules"].pop(0))
    (closed,) = FirewallModel.from_recording(removed).differences(INTENDED, PROBES)
    assert closed.startswith("CLOSED but intended: edge (192.168.10.2) -> web (192.168.10.10) tcp/80")


# ---------------------------------------------------------------- source ports, PVE's dhcp option, DHCP exchanges


def dhcp_topology(server_rule: bool = True, client_dhcp: bool = True) -> Recording:
    """The edge serves DHCP on t1web (a rule for udp 68->67 on net1, the VNet forwarding both ways); web is a client."""
    rec = topology()
    edge_rules = next(r for r in rec.resources if r.name == "edge-fw-rules").inputs["rules"]
    if server_rule:
        edge_rules.insert(
            0,
            {"type": "in", "action": "ACCEPT", "proto": "udp", "sport": "68", "dport": "67", "iface": "net1",
             "dest": "192.168.10.2,255.255.255.255"},
        )  # fmt: skip
    next(r for r in rec.resources if r.name == "web-fw-options").inputs["dhcp"] = client_dhcp
    rec.resources.append(
        reg(
            VNET_FW,
            "t1web-fw",
            {
                "vnet": "t1web",
                "options": {"enable": True, "policy_forward": "DROP"},
                "rules": [
                    {"type": "forward", "action": "ACCEPT", "proto": "udp", "sport": "68", "dport": "67",
                     "dest": "192.168.10.2,255.255.255.255"},
                    {"type": "forward", "action": "ACCEPT", "proto": "udp", "sport": "67", "dport": "68",
                     "source": "192.168.10.2"},
                    {"type": "forward", "action": "ACCEPT", "proto": "tcp", "dport": "80", "source": "192.168.10.2"},
                ],
            },
        )
    )  # fmt: skip
    return rec


def test_a_rule_with_a_source_port_matches_only_that_port() -> None:
    model = FirewallModel.from_recording(dhcp_topology())
    assert model.reaches("192.168.10.50", "edge", "udp", 67, sport=68)
    assert not model.reaches("192.168.10.50", "edge", "udp", 67)  # from an ephemeral port: no rule matches
    assert not model.reaches("192.168.10.50", "edge", "udp", 67, sport=69)


def test_a_dhcp_exchange_passes_for_an_unplanned_host_and_for_a_client_guest() -> None:
    model = FirewallModel.from_recording(dhcp_topology())
    for client in ("192.168.10.50", "web"):
        verdict = model.dhcp("t1web", "edge", client)
        assert verdict, verdict.reason
    assert "web OUT: dhcp option on: allow-dhcp-out" in model.dhcp("t1web", "edge", "web").reason


def test_twin_dhcp_fails_without_the_servers_rule_or_the_clients_option() -> None:
    no_rule = FirewallModel.from_recording(dhcp_topology(server_rule=False)).dhcp("t1web", "edge", "192.168.10.50")
    assert not no_rule and "edge IN: no rule matched, policy DROP" in no_rule.reason
    no_option = FirewallModel.from_recording(dhcp_topology(client_dhcp=False)).dhcp("t1web", "edge", "web")
    assert not no_option and "web OUT: dhcp option off: block-dhcp-out" in no_option.reason


def test_the_dhcp_option_off_blocks_even_where_rules_would_accept() -> None:
    """proxmox-firewall's block-dhcp-in comes before the guest's rules: an accept-all rule does not help."""
    rec = edit(
        dhcp_topology(client_dhcp=False),
        "web-fw-rules",
        lambda i: i["rules"].insert(0, {"type": "in", "action": "ACCEPT"}),
    )
    verdict = FirewallModel.from_recording(rec).allowed("edge", "web", "udp", 68, sport=67)
    assert not verdict and "dhcp option off: block-dhcp-in" in verdict.reason
