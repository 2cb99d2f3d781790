"""Provider conformance: both real plans pass every provider and PVE rule; each rule family is shown failing on the
real plan with one input broken, naming resource, input and the rule's source."""

from __future__ import annotations

import copy
import dataclasses
import re
from typing import Any

import pytest
from fakepve import firewall as fakepve_firewall

from proofs import conformance
from proofs import provider_rules as pr
from proofs.conformance import api_props, calendar_event_error, sdk_schema
from tests.support.graph import reg
from tools.mockengine import Recording, Registration

# What the proof may leave undecided on the shipped stacks: secrets, formats nobody implements, attributes newer than
# the bpg tag read. Anything new here is a gap to look at, so the set is pinned.
EXPECTED_NOT_CHECKED = {
    f"{pr.USER} password: secret or unknown in the plan",
    f"{pr.PBS} password: secret or unknown in the plan",
    f"{pr.SMTP_TARGET} password: secret or unknown in the plan",
    *(f"{t} {p}: {why}" for (t, p), why in pr.UNAUDITED.items()),
    *(f"PVE format {f} (not implemented by fakepve or here)" for f in pr.UNMODELLED_FORMATS),
}


def test_both_real_plans_conform(plan: Recording) -> None:
    report = conformance.check(plan)
    assert report.problems == [], "\n".join(map(str, report.problems))
    assert report.not_checked <= EXPECTED_NOT_CHECKED, report.not_checked - EXPECTED_NOT_CHECKED


def test_every_planned_type_has_rules(plan: Recording) -> None:
    audited = {r.type for r in pr.ALL_RULES}
    assert {r.type for r in plan.resources if r.custom} <= audited


# --- the rule table itself: every row names something real ---


def test_every_rule_path_is_an_sdk_input() -> None:
    def resolve(node: conformance.Node, path: str) -> conformance.Node | None:
        for seg in filter(None, path.split(".")):
            name, suffix = re.fullmatch(r"([^\[{]*)(\[\]|\{\}|\{key\})?", seg).groups()  # type: ignore[union-attr]
            node = node.fields.get(name)  # type: ignore[assignment]
            if node is None:
                return None
            if suffix in ("[]", "{}"):
                node = node.child  # type: ignore[assignment]
        return node

    missing = []
    for rule in pr.ALL_RULES:
        schema = sdk_schema(rule.type) if rule.type not in pr.NO_SDK_SCHEMA else None
        if rule.type in pr.NO_SDK_SCHEMA:
            continue
        assert schema is not None, rule.type
        if resolve(schema, rule.path) is None:
            missing.append((rule.type, rule.path))
        for attr in _scope_attrs(rule.check):
            if schema is not None and resolve(schema, attr) is None:
                missing.append((rule.type, attr))
    assert missing == []


def _scope_attrs(check: object) -> list[str]:
    if isinstance(check, pr.Conflicting | pr.ExactlyOneOf):
        return list(check.attrs)
    if isinstance(check, pr.RequiredWith):
        return [check.attr, *check.needs]
    if isinstance(check, pr.When):
        return [check.attr, *check.require, *check.forbid, *check.forbid_true]
    if isinstance(check, pr.AtLeastSumOf):
        return list(check.attrs)
    return []


def test_every_pve_api_row_names_a_parameter_of_pves_schema() -> None:
    missing = []
    for rule in pr.ALL_RULES:
        c = rule.check
        if isinstance(c, pr.PveApi):
            sch = conformance.api_param(api_props(c.path, c.method, c.when[1] if c.when else None), c.param)
            if sch is None or (c.sub and conformance.api_sub_schema(sch, c.sub) is None):
                missing.append((rule.type, rule.path, c.method, c.path, c.param, c.sub))
        elif isinstance(c, pr.PveApiKey):
            assert api_props(c.path, c.method), (c.method, c.path)
    assert missing == []


def test_every_row_has_a_source_and_a_family() -> None:
    for rule in pr.ALL_RULES:
        assert rule.source.repo and rule.source.path and rule.source.ref, rule
        assert type(rule.check) in pr.FAMILIES, rule
    bpg = [r for r in pr.ALL_RULES if r.source.repo.startswith("bpg/")]
    assert bpg and all(r.source.repo.endswith(f"@{pr.BPG_TAG}") for r in bpg)


def test_rule_families_are_all_populated() -> None:
    counts = conformance.families()
    assert set(counts) == set(pr.FAMILIES.values())
    assert counts["PVE API parameter format"] > 100 and counts["regex"] > 20 and counts["enum"] > 20


def test_macros_match_pve_firewalls_list() -> None:
    """Cross-check with fakepve's copy of $pve_fw_macros; ours adds the two IPv6-only ones init_firewall_macros adds."""
    assert set(fakepve_firewall.MACROS) <= pr.FIREWALL.macros
    assert pr.FIREWALL.macros - set(fakepve_firewall.MACROS) == {"NeighborDiscovery", "DHCPv6"}


@pytest.mark.parametrize(
    "event",
    [
        "*-*-* 01:30",
        "*/15",
        "mon..fri 08:00",
        "sat 22:30",
        "daily",
        "2024-01-01 00:00",
        "*:0/5",
        "mon,wed",
        "12:00 UTC",
        "sun 02..04:00",
        "1..15:30",
        "25:00",  # an hour of 25 fails, so proxmox-time reads minute 25, second 0
    ],
)
def test_calendar_events_pve_accepts(event: str) -> None:
    assert calendar_event_error(event) is None


@pytest.mark.parametrize(
    "event", ["24:00:00", "every night", "", "*/0", "mon..fry", "1:60", "01:30:", "*-*-* 1:30 tuesday", "5..3:00"]
)
def test_calendar_events_pve_refuses(event: str) -> None:
    assert calendar_event_error(event) is not None


# --- twins: the real plan with one input broken, per rule family ---


_DELETE = object()


def _set(inputs: dict[str, Any], path: str, value: Any) -> None:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    for k in keys[:-1]:
        inputs = inputs[k]
    if value is _DELETE:
        del inputs[keys[-1]]
    else:
        inputs[keys[-1]] = value


def _broken(rec: Recording, res: Registration, **changes: Any) -> Recording:
    inputs = copy.deepcopy(res.inputs)
    for path, value in changes.items():
        _set(inputs, path.replace("__", "."), value)
    return dataclasses.replace(
        rec, resources=[dataclasses.replace(r, inputs=inputs) if r is res else r for r in rec.resources]
    )


def _first(rec: Recording, type_: str, **where: Any) -> Registration:
    return next(r for r in rec.by_type(type_) if all(r.inputs.get(k) == v for k, v in where.items()))


def _refused(rec: Recording, res: Registration, input_: str, family: str, source: str) -> str:
    """The report names this resource and input, under this family, with a source naming `source`; returns the
    messages."""
    problems = conformance.check(rec).problems
    hits = [p for p in problems if p.resource == res.name and p.input == input_ and p.family == family]
    assert hits, "\n".join(map(str, problems)) or "no problems"
    assert any(source in p.source for p in hits), [p.source for p in hits]
    assert all(p.type == res.type for p in hits)
    return " | ".join(p.message for p in hits)


def test_twin_regex_vnet_alias_with_a_colon(plan_dev: Recording) -> None:
    vnet = _first(plan_dev, pr.VNET, vlanAware=True)
    rec = _broken(plan_dev, vnet, alias="provider transit: one VLAN per hosted VM")
    assert "provider transit:" in _refused(
        rec, vnet, "alias", "regex", "fwprovider/cluster/sdn/vnet/resource.go: alias"
    )


def test_twin_length_zone_id_too_long(plan_dev: Recording) -> None:
    zone = plan_dev.by_type(pr.ZONE)[0]
    rec = _broken(plan_dev, zone, resourceId="tenantzone")
    _refused(rec, zone, "resourceId", "length", "fwprovider/validators/sdn.go: SDNID()")
    _refused(rec, zone, "resourceId", "PVE API parameter format", "POST /cluster/sdn/zones: zone")


def test_twin_range_too_many_cores(plan_dev: Recording) -> None:
    vm = plan_dev.by_type(pr.VM)[0]
    rec = _broken(plan_dev, vm, cpu__cores=4096)
    _refused(rec, vm, "cpu.cores", "range", "proxmoxtf/resource/vm/vm.go: cpu.cores")


def test_twin_enum_backup_mode(plan_dev: Recording) -> None:
    job = plan_dev.by_type(pr.BACKUP_JOB)[0]
    rec = _broken(plan_dev, job, mode="fast")
    _refused(rec, job, "mode", "enum", "fwprovider/cluster/backup/resource.go: mode")
    _refused(rec, job, "mode", "PVE API parameter format", "POST /cluster/backup: mode")


def test_twin_formats_subnet_cidr_and_ha_resource_id(plan_dev: Recording, plan_prod: Recording) -> None:
    subnet = plan_dev.by_type(pr.SUBNET)[0]
    rec = _broken(plan_dev, subnet, cidr="192.168.10.0/33")
    _refused(rec, subnet, "cidr", "id and value formats", "fwprovider/types/ip_cidr.go")
    ha = plan_prod.by_type(pr.HA_RESOURCE)[0]
    rec = _broken(plan_prod, ha, resourceId="vm:42")
    _refused(rec, ha, "resourceId", "id and value formats", "proxmox/types/ha_resource_id.go: ParseHAResourceID")


def test_twin_formats_prune_backups(plan_dev: Recording) -> None:
    job = plan_dev.by_type(pr.BACKUP_JOB)[0]
    rec = _broken(plan_dev, job, pruneBackups={"keep-all": "1", "keep-daily": "7"})
    _refused(rec, job, "pruneBackups", "id and value formats", "src/PVE/Storage/Plugin.pm")
    rec = _broken(plan_dev, job, pruneBackups={"keep-dialy": "7"})
    assert "invalid key" in _refused(rec, job, "pruneBackups", "PVE API parameter format", "prune-backups")


def test_twin_pve_api_disk_interface_pve_does_not_have(plan_dev: Recording) -> None:
    vm = plan_dev.by_type(pr.VM)[0]
    rec = _broken(plan_dev, vm, disks__0__interface="scsi31")  # scsi0..scsi30
    _refused(rec, vm, "disks[0].interface", "PVE API parameter format", "ide[n]/sata[n]/scsi[n]/virtio[n]")


def test_twin_list_limits_ha_rule_without_resources(plan_prod: Recording) -> None:
    rule = plan_prod.by_type(pr.HA_RULE)[0]
    rec = _broken(plan_prod, rule, resources=[])
    _refused(rec, rule, "resources", "list limits", "fwprovider/cluster/ha/resource_harule.go: resources")
    vm = plan_prod.by_type(pr.VM)[0]
    rec = _broken(plan_prod, vm, serialDevices=[{"device": "socket"}] * 5)
    _refused(rec, vm, "serialDevices", "list limits", "proxmoxtf/resource/vm/vm.go: serial_device")


def test_twin_relations_acl_and_backup_and_ha_rule(plan_dev: Recording, plan_prod: Recording) -> None:
    acl = _first(plan_dev, pr.ACL, propagate=True)
    principal = next(k for k in ("groupId", "userId", "tokenId") if acl.inputs.get(k))
    other = "userId" if principal != "userId" else "groupId"
    rec = _broken(plan_dev, acl, **{other: "intruder@pve" if other == "userId" else "intruders"})
    _refused(rec, acl, "", "relations", "fwprovider/access/resource_acl.go: ConfigValidators: Conflicting")
    rec = _broken(plan_dev, acl, **{principal: _DELETE})
    _refused(rec, acl, "", "relations", "src/PVE/API2/ACL.pm: update_acl")
    job = _first(plan_dev, pr.BACKUP_JOB)
    rec = _broken(plan_dev, job, all=True)
    _refused(
        rec, job, "", "relations", "fwprovider/cluster/backup/resource.go: ConfigValidators: Conflicting(all, pool)"
    )
    apart = _first(plan_prod, pr.HA_RULE, type="resource-affinity")
    rec = _broken(plan_prod, apart, strict=True)
    _refused(rec, apart, "", "relations", "resource_harule.go: ValidateConfig: resource-affinity")


def test_twin_pve_api_vmid_the_provider_accepts(plan_dev: Recording) -> None:
    """bpg takes VM IDs up to 2147483647; PVE stops at 999999999."""
    vm = plan_dev.by_type(pr.VM)[0]
    rec = _broken(plan_dev, vm, vmId=1_000_000_000)
    problems = [p for p in conformance.check(rec).problems if p.resource == vm.name and p.input == "vmId"]
    assert [p.family for p in problems] == ["PVE API parameter format"]
    assert "POST /nodes/{node}/qemu: vmid" in problems[0].source and "valid VM ID" in problems[0].message


def test_twin_pve_api_pool_nested_too_deep_and_bad_email(plan_dev: Recording) -> None:
    pool = plan_dev.by_type(pr.POOL)[0]
    rec = _broken(plan_dev, pool, poolId="a/b/c/d")
    _refused(rec, pool, "poolId", "PVE API parameter format", "POST /pools: poolid")
    user = next(u for u in plan_dev.by_type(pr.USER) if u.inputs.get("email"))
    rec = _broken(plan_dev, user, email="jonas at example")
    _refused(rec, user, "email", "PVE API parameter format", "POST /access/users: email")


def test_twin_pve_api_security_group_name_too_long_and_bad_ipset_name(plan_dev: Recording) -> None:
    group = plan_dev.by_type(pr.SEC_GROUP)[0]
    rec = _broken(plan_dev, group, name="t1-chronograf-metrics")  # pve-security-group-name: at most 18
    _refused(rec, group, "name", "PVE API parameter format", "POST /cluster/firewall/groups: group")
    ipset = plan_dev.by_type(pr.IPSET)[0]
    rec = _broken(plan_dev, ipset, name="1world")
    _refused(rec, ipset, "name", "PVE API parameter format", "POST /cluster/firewall/ipset: name")


def _rule_index(res: Registration, key: str) -> int:
    return next(i for i, r in enumerate(res.inputs["rules"]) if r.get(key))


def test_twin_firewall_unknown_macro_and_backwards_ports(plan_dev: Recording) -> None:
    rules = next(
        r for r in plan_dev.by_type(pr.RULES) if r.inputs.get("vmId") and any(x.get("dport") for x in r.inputs["rules"])
    )
    i = _rule_index(rules, "dport")
    rec = _broken(plan_dev, rules, **{f"rules__{i}__macro": "Wbe", f"rules__{i}__dport": "443:80"})
    src = "src/PVE/Firewall.pm: verify_rule"
    assert "unknown macro 'Wbe'" in _refused(rec, rules, f"rules[{i}].macro", "firewall rule syntax", src)
    assert "backwards range" in _refused(rec, rules, f"rules[{i}].dport", "firewall rule syntax", src)


def test_twin_firewall_references_that_do_not_exist(plan_dev: Recording) -> None:
    rules = next(r for r in plan_dev.by_type(pr.RULES) if any(x.get("securityGroup") for x in r.inputs["rules"]))
    i = _rule_index(rules, "securityGroup")
    rec = _broken(plan_dev, rules, **{f"rules__{i}__securityGroup": "t9-nosuch"})
    p = _refused(rec, rules, f"rules[{i}].action", "firewall rule syntax", "src/PVE/Firewall.pm")
    assert "no such security group 't9-nosuch'" in p
    hosts = next(r for r in plan_dev.by_type(pr.RULES) if not r.inputs.get("nodeName"))
    i = _rule_index(hosts, "source")
    rec = _broken(plan_dev, hosts, **{f"rules__{i}__source": "+dc/admins"})
    assert "no such ipset 'admins'" in _refused(
        rec, hosts, f"rules[{i}].source", "firewall rule syntax", "src/PVE/Firewall.pm"
    )
    rec = _broken(plan_dev, hosts, **{f"rules__{i}__source": "admins"})
    assert "no such alias" in _refused(rec, hosts, f"rules[{i}].source", "firewall rule syntax", "src/PVE/Firewall.pm")


def test_twin_firewall_vnet_rules_reject_and_host_bits(plan_dev: Recording) -> None:
    vnet_fw = plan_dev.by_type(pr.VNET_FW)[0]
    rec = _broken(plan_dev, vnet_fw, rules__0__action="REJECT", rules__0__source="192.168.10.5/24")
    src = "src/PVE/Firewall.pm"
    p = _refused(rec, vnet_fw, "rules[0].action", "firewall rule syntax", src)
    assert "cannot define REJECT rules on forward chain" in p
    assert "invalid IP address" in _refused(rec, vnet_fw, "rules[0].source", "firewall rule syntax", src)


def test_twin_firewall_port_without_protocol_and_group_in_group(plan_dev: Recording) -> None:
    group = next(g for g in plan_dev.by_type(pr.SEC_GROUP) if g.inputs["rules"][0].get("dport"))
    rec = _broken(plan_dev, group, rules__0__proto=_DELETE)
    p = _refused(rec, group, "rules[0].proto", "firewall rule syntax", "src/PVE/Firewall.pm")
    assert "'dport' requires this property" in p
    rec = _broken(plan_dev, group, rules__0={"securityGroup": group.inputs["name"]})
    assert "security groups not allowed" in _refused(
        rec, group, "rules[0].type", "firewall rule syntax", "src/PVE/Firewall.pm"
    )


def test_twin_schedules(plan_dev: Recording, plan_prod: Recording) -> None:
    job = plan_dev.by_type(pr.BACKUP_JOB)[0]
    rec = _broken(plan_dev, job, schedule="every night at 01:30")
    _refused(rec, job, "schedule", "schedules (PVE calendar events)", "proxmox-time/src/calendar_event.rs")
    _refused(rec, job, "schedule", "PVE API parameter format", "POST /cluster/backup: schedule")
    replication = plan_prod.by_type(pr.REPLICATION)[0]
    rec = _broken(plan_prod, replication, schedule="*/60")
    _refused(rec, replication, "schedule", "schedules (PVE calendar events)", "calendar_event.rs")


def test_twin_coverage_a_new_resource_type_fails(plan_dev: Recording) -> None:
    dns = reg("proxmoxve:index/dnsLegacy:DnsLegacy", "dns", nodeName="pve-dev", domain="example.net")
    rec = dataclasses.replace(plan_dev, resources=[*plan_dev.resources, dns])
    problems = [p for p in conformance.check(rec).problems if p.resource == "dns"]
    assert [(p.family, p.input) for p in problems] == [("coverage", "")]
    assert "no conformance rules" in problems[0].message


def test_twin_coverage_an_unknown_or_unaudited_input_fails(plan_dev: Recording) -> None:
    vnet = plan_dev.by_type(pr.VNET)[0]
    rec = _broken(plan_dev, vnet, isolatePorts=True, isolatedPorts=True)
    problems = {p.input: p for p in conformance.check(rec).problems if p.resource == vnet.name}
    assert "has no input isolatedPorts" in problems["isolatedPorts"].message  # not in the SDK's schema
    assert "not audited" in problems["isolatePorts"].message  # in the SDK, no row read for it
    assert {p.family for p in problems.values()} == {"coverage"}


def test_twin_ipset_entry_with_a_zero_prefix(plan_dev: Recording) -> None:
    world = _first(plan_dev, pr.IPSET, name="world")
    cidrs = [{"name": "0.0.0.0/0"}, *world.inputs["cidrs"][2:]]
    rec = _broken(plan_dev, world, cidrs=cidrs)
    assert "zero prefix" in _refused(rec, world, "cidrs[0].name", "id and value formats", "API2/Firewall/IPSet.pm")


def test_twin_notification_target_mode(plan_dev: Recording) -> None:
    smtp = plan_dev.by_type(pr.SMTP_TARGET)[0]
    rec = _broken(plan_dev, smtp, settings__mode="ssl")
    _refused(rec, smtp, "settings.mode", "PVE API parameter format", "POST /cluster/notifications/endpoints/smtp")
