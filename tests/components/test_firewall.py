"""The Firewall component as planned: cluster and node options, IP sets, groups, guest options, VNet rules."""

from __future__ import annotations

from model.flows import ROLE_INBOUND
from tools.mockengine import Recording

VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
VNET_FW = "pulumi-python:dynamic/proxcloud:VnetFirewallRules"


def test_cluster_on_with_drop_and_nftables_on_every_node(plan: Recording) -> None:
    cluster = plan.one("proxmoxve:cluster/firewallLegacy:FirewallLegacy", "firewall-cluster").inputs
    assert cluster["enabled"] is True and cluster["inputPolicy"] == "DROP"
    nodes = plan.by_type("proxmoxve:node/firewall:Firewall")
    assert {n.inputs["nodeName"] for n in nodes} == {
        z for r in plan.by_type("proxmoxve:sdn/zone/vxlan:Vxlan") for z in r.inputs["nodes"]
    }
    assert all(n.inputs["nftables"] is True and n.inputs["enabled"] is True for n in nodes)
    hosts = plan.one(RULES, "firewall-hosts").inputs["rules"]
    vteps = plan.one("proxmoxve:firewall/ipsetLegacy:IpsetLegacy", "firewall-vteps-set").inputs["name"]
    assert vteps.startswith("vteps-")
    assert {"dport": "4789", "source": f"+dc/{vteps}"}.items() <= next(r for r in hosts if r["proto"] == "udp").items()


def test_drop_waits_for_the_sets_and_rules_that_let_operators_in(plan: Recording) -> None:
    """Issue 15 item 7: the cluster's input DROP depends on the host rules and every IP set they name; the sets a
    routine change edits are content-named and replaced create-before-delete (a new name, never a gap)."""
    cluster = plan.one("proxmoxve:cluster/firewallLegacy:FirewallLegacy", "firewall-cluster")
    hosts = plan.one(RULES, "firewall-hosts")
    sets = {s.inputs["name"]: s for s in plan.by_type("proxmoxve:firewall/ipsetLegacy:IpsetLegacy")}
    named = {r["source"].removeprefix("+dc/") for r in hosts.inputs["rules"]}
    assert named <= set(sets) and {"management"} < named
    assert hosts.urn in cluster.dependencies
    assert all(sets[n].urn in cluster.dependencies for n in named)
    for n in named - {"management", "pve-clients"}:
        assert sets[n].options()["deleteBeforeReplace"] is False, n
        base = n.rsplit("-", 1)[0]
        from components.firewall import content_name

        entries = [c["name"] for c in sets[n].inputs["cidrs"]]
        assert n == content_name(base, entries) != content_name(base, [*entries, "192.0.2.99/32"])


def test_every_guest_has_firewall_on_with_input_drop(plan: Recording) -> None:
    guests = {(v.inputs["nodeName"], v.inputs["vmId"]) for v in plan.by_type(VM) + plan.by_type(CT)}
    options = {
        (o.inputs["nodeName"], o.inputs.get("vmId", o.inputs.get("containerId"))): o.inputs
        for o in plan.by_type(OPTIONS)
    }
    assert set(options) == guests
    assert all(o["enabled"] is True and o["inputPolicy"] == "DROP" and o["macfilter"] is True for o in options.values())


def test_security_groups_are_tenant_prefixed_and_short(plan: Recording) -> None:
    groups = [g.inputs["name"] for g in plan.by_type("proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy")]
    assert "t4-humhub" in groups and "t4-proxy" in groups and "t1-proxy" in groups
    assert all(g.startswith("t") and len(g) <= 18 for g in groups)


def test_ipsets(plan: Recording) -> None:
    sets = {s.inputs["name"]: s.inputs["cidrs"] for s in plan.by_type("proxmoxve:firewall/ipsetLegacy:IpsetLegacy")}
    assert {"world", "management", "t1-lans", "t2-lans", "t4-lans"} <= set(sets)
    assert any(n.startswith("vteps-") for n in sets) and any(n.startswith("admins-") for n in sets)
    world = {c["name"]: c.get("nomatch", False) for c in sets["world"]}
    assert (
        world["0.0.0.0/1"] is False
        and world["128.0.0.0/1"] is False
        and world["10.0.0.0/8"] is True
        and world["192.168.0.0/16"] is True
    )


def test_vnet_firewalls_drop_by_default_and_hold_no_token(plan: Recording) -> None:
    fws = {f.inputs["vnet"]: f for f in plan.by_type(VNET_FW)}
    assert set(fws) == {"alphaweb", "alphadb", "betaweb", "betadb", "comlan", "keepweb", "keepdb", "keepops"}
    applier = plan.one("proxmoxve:sdn/applier:Applier", "sdn-applier").urn
    for fw in fws.values():
        assert fw.inputs["options"] == {"enable": True, "policy_forward": "DROP"}
        assert "api_token" not in fw.inputs  # the run's credentials, never the state's (issue 15 item 8)
        assert applier in fw.dependencies
        assert all(r["type"] == "forward" for r in fw.inputs["rules"])


def test_role_policy_covers_every_role_in_use(plan: Recording) -> None:
    """Roles without an entry get no inbound at all: make sure that is deliberate for each role in use."""
    roles = {tag for v in plan.by_type(VM) + plan.by_type(CT) for tag in v.inputs["tags"]}
    deliberately_closed = {"desktop", "app", "edge", "proxcloud", "lxc", "cloudflared"}
    tenants = {"alpha", "beta", "community", "hosting", "keepers", "provider"}
    assert roles - tenants - set(ROLE_INBOUND) <= deliberately_closed


def test_guest_firewall_objects_address_their_guest_by_its_kind(plan: Recording) -> None:
    """PVE keeps VM and CT firewalls under /nodes/<n>/qemu/<id> and /nodes/<n>/lxc/<id>: a container's options and
    rules are addressed with container_id, a VM's with vm_id (bpg proxmoxtf/resource/firewall/selector.go
    `firewallAPIFor`: `vm_id` selects `nodeAPI.VM`, `container_id` `nodeAPI.Container`), never the other way round."""
    kinds = {v.inputs["vmId"]: "vmId" for v in plan.by_type(VM)} | {
        c.inputs["vmId"]: "containerId" for c in plan.by_type(CT)
    }
    objects = [
        o for o in plan.by_type(OPTIONS) + plan.by_type(RULES) if "nodeName" in o.inputs and o.name != "firewall-hosts"
    ]
    assert objects
    for o in objects:
        key = "vmId" if "vmId" in o.inputs else "containerId"
        assert kinds[o.inputs[key]] == key, f"{o.name} addresses guest {o.inputs[key]} as {key}"


def _set_refs(value: object) -> set[str]:
    """Every `+dc/<name>` in a recorded input (rules lists, nested)."""
    import re

    return set(re.findall(r"\+dc/([A-Za-z0-9_-]+)", str(value)))


def test_firewall_objects_wait_for_exactly_the_sets_and_group_they_name(plan: Recording) -> None:
    """PVE refuses a rule naming a missing IP set or security group (pve-firewall Firewall.pm verify_rule,
    API2/Firewall/Rules.pm): each rules object depends on the sets it names and its group - and only on those, so
    the firewall's edges grow with the tenants, not with their square (components/firewall.py `sets_used`)."""
    sets = {r.inputs["name"]: r.urn for r in plan.by_type("proxmoxve:firewall/ipsetLegacy:IpsetLegacy")}
    groups = {
        r.inputs["name"]: r.urn for r in plan.by_type("proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy")
    }
    checked = 0
    for r in plan.resources:
        if r.type not in (RULES, "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy") and not r.type.endswith(
            "VnetFirewallRules"
        ):
            continue
        if r.name == "firewall-hosts":
            continue  # the host rules and the cluster's DROP wait for every set (issue 15 item 7)
        named = {sets[n] for n in _set_refs(r.inputs.get("rules"))}
        named |= {groups[g] for g in _set_refs_groups(r.inputs.get("rules"))}
        deps = set(r.dependencies)
        assert named <= deps, (r.name, named - deps)
        assert not (deps & set(sets.values())) - named, (r.name, "waits for sets it does not name")
        checked += 1
    assert checked > 10


def _set_refs_groups(rules: object) -> set[str]:
    return {x["securityGroup"] for x in rules or [] if isinstance(x, dict) and x.get("securityGroup")}
