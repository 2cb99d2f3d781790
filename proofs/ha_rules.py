"""HA rules and HA resources over a planned graph: would PVE 9 accept them, and do they say what we mean?

Source read: proxmox/pve-ha-manager at b71218f279d57417dbcdd957128499695fe55171 (2026-04-25), pve-common at
f665029e (JSONSchema.pm, SectionConfig.pm), the bpg provider at v0.111.1 (what pulumi_proxmoxve 8.6.0 bridges).
PVE runs every registered `check_*` of Rules.pm and its plugins over the whole rule set on each rule create and
update (src/PVE/API2/HA/Rules.pm `$assert_feasibility`) and refuses the rule being written (HTTP 400) if that
rule is blamed; on a running cluster it drops infeasible rules (Rules.pm `transform`). `CHECKS` below lists
each check with the sub it models.

Modelled: all seven feasibility checks (Rules.pm three inter-plugin checks, NodeAffinity.pm one,
ResourceAffinity.pm three), over enabled rules only as PVE does (`exclude_disabled_rules`), with PVE's own
greedy merge of overlapping positive rules (Helpers.pm `find_disjoint_rules_resource_sets`, quirks included);
the create-time API checks (HA resources configured, nodes exist, schema and formats of SectionConfig
`check_config`, bpg's validators and ValidateConfig); the HA resource create (`parse_sid`, `verify_name`,
`exists`); the order of a `pulumi up` (a rule after its HA resources; a resource-affinity rule after the
node-affinity rules it is checked against, so the final rule set is the one checked); and two checks of our
own design, not PVE's (failover only to a node that holds a replica; kept-apart guests can fail over).

Not modelled: the transforms (implicit positive/negative rules, merging positive rules: they reshape accepted
rules for the scheduler, they never refuse); the scheduler at run time (`Manager.pm select_service_node`) beyond
the design checks; HA groups and their migration to rules (we use none; a `group` on a resource is refused);
the node list PVE checks against (`manager_status` node_status: nodes that ran an LRM) - we use the stack's
nodes; that a planned guest really exists when its HA resource is created (we check it is planned and ordered
before); `update_rule` digests and deletes (deleting a rule runs no checks).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from proofs.privileges import CT, VM
from tools.mockengine import Recording, Registration

HARULE = "proxmoxve:index/harule:Harule"
HARESOURCE = "proxmoxve:index/haresource:Haresource"
REPLICATION = "proxmoxve:index/replication:Replication"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
NODE_AFFINITY, RESOURCE_AFFINITY = "node-affinity", "resource-affinity"

# Per rule type the options PVE's SectionConfig accepts (NodeAffinity.pm / ResourceAffinity.pm `options`; any
# other key dies "unexpected property"), as the camelCase inputs that carry them ("rule" and "type" always).
RULE_OPTIONS = {
    NODE_AFFINITY: {"rule", "type", "resources", "nodes", "strict", "disable", "comment"},
    RESOURCE_AFFINITY: {"rule", "type", "resources", "affinity", "disable", "comment"},
}
CONFIGID = re.compile(r"[a-z][a-z0-9_-]+", re.I)  # pve-common JSONSchema.pm $CONFIGID_RE (pve-ha-rule-id)
BPG_RULE_ID = re.compile(r"[a-zA-Z][a-zA-Z0-9\-_.]*[a-zA-Z0-9]")  # bpg resource_harule.go `rule`
BPG_SID = re.compile(r"(vm|ct):\d+")  # bpg resource_harule.go `resources`; PVE: Tools.pm pve_verify_ha_resource_id
HA_NODE = re.compile(r"[a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?")  # Tools.pm parse_node_priority; bpg `nodes` keys
VMID = re.compile(r"[1-9][0-9]+")  # Resources/PVEVM.pm, PVECT.pm verify_name
HA_STATES = {"started", "stopped", "enabled", "disabled", "ignored"}  # Resources.pm `state` enum


@dataclass(frozen=True)
class Rule:
    """One planned Harule, as PVE's Rules.pm sees it (node priorities parsed: none means 0)."""

    reg: Registration
    rule: str
    type: str
    resources: frozenset[str]
    nodes: dict[str, int]
    affinity: str | None
    disabled: bool

    def __str__(self) -> str:
        return f"rule {self.rule} ({self.reg.name})"


def rules(rec: Recording, *, enabled: bool = True) -> list[Rule]:
    """The planned HA rules; only enabled ones by default, as every feasibility check sees them."""
    out = []
    for r in rec.by_type(HARULE):
        i = r.inputs
        rule = Rule(
            reg=r,
            rule=str(i.get("rule")),
            type=str(i.get("type")),
            resources=frozenset(i.get("resources") or ()),
            nodes={n: int(p or 0) for n, p in (i.get("nodes") or {}).items()},
            affinity=i.get("affinity"),
            disabled=bool(i.get("disable")),
        )
        if not (enabled and rule.disabled):
            out.append(rule)
    return out


def _of(rs: Iterable[Rule], type_: str, affinity: str | None = None) -> list[Rule]:
    return [r for r in rs if r.type == type_ and (affinity is None or r.affinity == affinity)]


def cluster_nodes(rec: Recording) -> set[str]:
    """The stack's nodes (every zone spans all of them)."""
    return {n for z in rec.by_type(ZONE) for n in z.inputs.get("nodes", [])}


def disjoint_resource_sets(rs: list[Rule]) -> list[tuple[list[Rule], frozenset[str]]]:
    """Helpers.pm find_disjoint_rules_resource_sets, step by step: rules sorted by their lowest resource id,
    each merged into the first earlier set it overlaps (sets a later rule bridges stay apart, as in PVE)."""
    out: list[tuple[list[Rule], set[str]]] = []
    for r in sorted(sorted(rs, key=lambda r: r.rule), key=lambda r: min(r.resources, default="")):
        for members, resources in out:
            if resources & r.resources:
                members.append(r)
                resources |= r.resources
                break
        else:
            out.append(([r], set(r.resources)))
    return [(m, frozenset(s)) for m, s in out]


# --- Feasibility: Rules.pm (between plugins) ---------------------------------------------------------------


def single_priority_node_affinity_in_resource_affinity_rules(rec: Recording) -> list[str]:
    """A resource of a resource-affinity rule may only be in node-affinity rules with one priority."""
    rs = rules(rec)
    out = []
    for ra in _of(rs, RESOURCE_AFFINITY):
        for na in _of(rs, NODE_AFFINITY):
            if ra.resources & na.resources and len(set(na.nodes.values())) > 1:
                shared = ", ".join(sorted(ra.resources & na.resources))
                out.append(
                    f"{na}: priorities {sorted(set(na.nodes.values()))} for {shared}, which {ra} also holds; "
                    f"PVE refuses both: give every node of {na.rule} one priority"
                )
    return out


def single_node_affinity_per_positive_resource_affinity_rule(rec: Recording) -> list[str]:
    """The resources of (merged) positive rules may meet at most one node-affinity rule."""
    rs = rules(rec)
    out = []
    for positives, resources in disjoint_resource_sets(_of(rs, RESOURCE_AFFINITY, "positive")):
        paired = [na for na in _of(rs, NODE_AFFINITY) if na.resources & resources]
        if len(paired) > 1:
            out.append(
                f"{', '.join(map(str, positives))}: kept together but in {len(paired)} node-affinity rules "
                f"({', '.join(p.rule for p in paired)}); put them under one node-affinity rule"
            )
    return out


def negative_resource_affinity_node_affinity_consistency(rec: Recording) -> list[str]:
    """The node-affinity rules of a negative rule's resources must offer as many nodes as they hold resources."""
    rs = rules(rec)
    out = []
    for neg in _of(rs, RESOURCE_AFFINITY, "negative"):
        located: set[str] = set()
        allowed: set[str] = set()
        for na in _of(rs, NODE_AFFINITY):
            if neg.resources & na.resources:
                located |= neg.resources & na.resources
                allowed |= set(na.nodes)
        if len(allowed) < len(located):
            out.append(
                f"{neg}: {len(located)} resources kept apart but their node-affinity rules name only "
                f"{sorted(allowed)}; name more nodes"
            )
    return out


# --- Feasibility: Rules/NodeAffinity.pm ----------------------------------------------------------------------


def single_resource_reference(rec: Recording) -> list[str]:
    """A resource is in at most one node-affinity rule."""
    by_sid: dict[str, list[Rule]] = {}
    for na in _of(rules(rec), NODE_AFFINITY):
        for sid in na.resources:
            by_sid.setdefault(sid, []).append(na)
    return [
        f"{sid} is in {len(nas)} node-affinity rules ({', '.join(sorted(n.rule for n in nas))}); keep one"
        for sid, nas in sorted(by_sid.items())
        if len(nas) > 1
    ]


# --- Feasibility: Rules/ResourceAffinity.pm ------------------------------------------------------------------


def resource_affinity_resources_count(rec: Recording) -> list[str]:
    """A resource-affinity rule needs at least two resources."""
    return [
        f"{ra}: only {sorted(ra.resources)}; a resource-affinity rule needs two or more resources"
        for ra in _of(rules(rec), RESOURCE_AFFINITY)
        if len(ra.resources) < 2
    ]


def negative_resource_affinity_resources_count(rec: Recording) -> list[str]:
    """A negative rule may not keep apart more resources than the cluster has nodes."""
    n = len(cluster_nodes(rec))
    return [
        f"{neg}: keeps {len(neg.resources)} resources apart on {n} nodes; split it or add nodes"
        for neg in _of(rules(rec), RESOURCE_AFFINITY, "negative")
        if len(neg.resources) > n
    ]


def inter_resource_affinity_rules_consistency(rec: Recording) -> list[str]:
    """No two resources both kept together (through merged positive rules) and kept apart."""
    rs = rules(rec)
    out = []
    for positives, resources in disjoint_resource_sets(_of(rs, RESOURCE_AFFINITY, "positive")):
        for neg in _of(rs, RESOURCE_AFFINITY, "negative"):
            common = resources & neg.resources
            if len(common) >= 2:
                out.append(
                    f"{neg} keeps {sorted(common)} apart, {', '.join(map(str, positives))} keep them together; drop one"
                )
    return out


# --- The create/update API (src/PVE/API2/HA/Rules.pm) and its schema ---------------------------------------


def rule_resources_are_ha_resources(rec: Recording) -> list[str]:
    """Every resource of a rule is an HA resource, created before the rule."""
    sids = {h.inputs.get("resourceId"): h.urn for h in rec.by_type(HARESOURCE)}
    out = []
    for r in rules(rec, enabled=False):
        if not r.resources:
            out.append(f"{r}: no resources")
        for sid in sorted(r.resources):
            if sid not in sids:
                out.append(f"{r}: {sid} is not an HA resource of the plan (PVE: cannot use unmanaged resource)")
            elif sids[sid] not in r.reg.dependencies:
                out.append(f"{r}: does not depend on the HA resource {sid}; add it to depends_on")
    return out


def rule_nodes_exist(rec: Recording) -> list[str]:
    """Every node of a node-affinity rule is a node of the cluster."""
    nodes = cluster_nodes(rec)
    out = []
    for na in _of(rules(rec, enabled=False), NODE_AFFINITY):
        if not na.nodes:
            out.append(f"{na}: no nodes")
        if missing := sorted(set(na.nodes) - nodes):
            out.append(f"{na}: nodes {missing} are not nodes of this stack ({sorted(nodes)})")
    return out


def _priority(p: object) -> bool:
    return isinstance(p, int) and not isinstance(p, bool) and 1 <= p <= 1000


def rule_schema(rec: Recording) -> list[str]:
    """What PVE's check_config and the bpg provider's validators accept, and what reads back unchanged."""
    out = []
    seen: set[str] = set()
    for r in rules(rec, enabled=False):
        i = r.reg.inputs
        if r.type not in RULE_OPTIONS:
            out.append(f"{r}: type {r.type!r} is neither {NODE_AFFINITY} nor {RESOURCE_AFFINITY}")
            continue
        if r.rule in seen:
            out.append(f"{r}: rule id used twice (PVE: HA rule already defined)")
        seen.add(r.rule)
        if not (CONFIGID.fullmatch(r.rule) and BPG_RULE_ID.fullmatch(r.rule)):
            out.append(f"{r}: rule id must be letters, digits, '-' or '_', start with a letter, end alphanumeric")
        # bpg sends `strict` only for node-affinity and refuses strict=true on resource-affinity
        unexpected = set(i) - RULE_OPTIONS[r.type] - ({"strict"} if i.get("strict") is False else set())
        if unexpected:
            out.append(f"{r}: {sorted(unexpected)} not options of a {r.type} rule")
        if bad := sorted(s for s in r.resources if not BPG_SID.fullmatch(s)):
            out.append(f"{r}: resources {bad} must look like vm:<id> or ct:<id>")
        if r.type == RESOURCE_AFFINITY and r.affinity not in ("positive", "negative"):
            out.append(f"{r}: affinity must be positive or negative, not {r.affinity!r}")
        if r.type == NODE_AFFINITY:
            if bad := sorted(n for n in r.nodes if not HA_NODE.fullmatch(n)):
                out.append(f"{r}: node names {bad} are not valid PVE node names")
            raw = i.get("nodes") or {}
            # PVE writes a node of priority 0 without one (NodeAffinity.pm encode_plugin_value) and bpg reads that
            # back as null: a 0 in the plan would show as a change on every preview. bpg allows 0..1000.
            if bad := sorted(n for n, p in raw.items() if p is not None and not _priority(p)):
                out.append(f"{r}: priorities of {bad} must be whole numbers 1..1000 (0 does not read back)")
        comment = i.get("comment")
        if comment is not None and (len(comment) > 4096 or not comment or comment.strip() != comment):
            out.append(f"{r}: comment longer than 4096 characters or with surrounding whitespace")
    return out


def resource_affinity_after_node_affinity(rec: Recording) -> list[str]:
    """Each create/update is checked against the rules PVE holds at that moment: a resource-affinity rule that
    lands before the node-affinity rules of its resources (or before their update to one priority) is checked
    against an older set than the plan's. Depending on them makes the final set the one checked."""
    rs = rules(rec, enabled=False)
    out = []
    for ra in _of(rs, RESOURCE_AFFINITY):
        for na in _of(rs, NODE_AFFINITY):
            if ra.resources & na.resources and na.reg.urn not in ra.reg.dependencies:
                out.append(f"{ra}: does not depend on {na}, which holds one of its resources; add it to depends_on")
    return out


# --- HA resources (src/PVE/HA/Resources.pm, src/PVE/API2/HA/Resources.pm create) ----------------------------


def ha_resources_are_planned_guests(rec: Recording) -> list[str]:
    """Each HA resource names a planned guest of its kind (vm: a VM, ct: a container) and comes after it."""
    guests = {("vm", str(g.inputs.get("vmId"))): g for g in rec.by_type(VM)}
    guests |= {("ct", str(g.inputs.get("vmId"))): g for g in rec.by_type(CT)}
    out = []
    for h in rec.by_type(HARESOURCE):
        sid = str(h.inputs.get("resourceId"))
        kind, _, vmid = sid.partition(":")
        if kind not in ("vm", "ct") or not VMID.fullmatch(vmid):
            out.append(f"{h.name}: {sid!r} is not vm:<vmid> or ct:<vmid> (PVE: invalid VMID / no such type)")
        elif (guest := guests.get((kind, vmid))) is None:
            what = "VM" if kind == "vm" else "container"
            out.append(f"{h.name}: {sid} is not a planned {what} (PVE: does not exist in cluster)")
        elif guest.urn not in h.dependencies:
            out.append(f"{h.name}: does not depend on {guest.name}; PVE refuses an HA resource for a missing guest")
    return out


def ha_resource_schema(rec: Recording) -> list[str]:
    """Unique ids; options PVE and bpg accept; no HA group (refused once groups are migrated to rules)."""
    out = []
    seen: set[str] = set()
    for h in rec.by_type(HARESOURCE):
        i = h.inputs
        sid = str(i.get("resourceId"))
        if sid in seen:
            out.append(f"{h.name}: {sid} twice (PVE: resource ID already defined)")
        seen.add(sid)
        if i.get("state", "started") not in HA_STATES:
            out.append(f"{h.name}: state {i.get('state')!r} is not one of {sorted(HA_STATES)}")
        if i.get("group") is not None:
            out.append(f"{h.name}: group set; PVE 9 refuses groups after their migration to rules")
        for key in ("maxRestart", "maxRelocate"):
            if key in i and not (isinstance(i[key], int) and 0 <= i[key] <= 10):
                out.append(f"{h.name}: {key} {i[key]!r} outside 0..10 (bpg)")
    return out


# --- Our design (not PVE's): failover only to a replica, and kept-apart guests can fail over ----------------


def _homes_and_replicas(rec: Recording) -> tuple[dict[str, str], dict[str, set[str]]]:
    """Per HA resource id: the node its guest is planned on, and the nodes its replication jobs target."""
    homes = {f"vm:{g.inputs.get('vmId')}": g.inputs.get("nodeName") for g in rec.by_type(VM)}
    homes |= {f"ct:{g.inputs.get('vmId')}": g.inputs.get("nodeName") for g in rec.by_type(CT)}
    by_vmid: dict[str, set[str]] = {}
    for j in rec.by_type(REPLICATION):
        by_vmid.setdefault(str(j.inputs["resourceId"]).split("-")[0], set()).add(j.inputs["target"])
    replicas = {sid: by_vmid.get(sid.partition(":")[2], set()) for sid in homes}
    return homes, replicas


def failover_only_to_replicas(rec: Recording) -> list[str]:
    """Each HA resource is in one strict node-affinity rule naming its home (highest priority) and only nodes that
    hold its replica, at least one: a guest on local ZFS cannot start on a node without its disks."""
    homes, replicas = _homes_and_replicas(rec)
    nas = _of(rules(rec), NODE_AFFINITY)
    out = []
    for h in rec.by_type(HARESOURCE):
        sid = str(h.inputs.get("resourceId"))
        mine = [na for na in nas if sid in na.resources]
        if len(mine) != 1:
            out.append(f"{h.name}: {sid} is in {len(mine)} node-affinity rules; it needs one (home and replica)")
            continue
        na, home, reps = mine[0], homes.get(sid), replicas.get(sid, set())
        if home not in na.nodes or na.nodes[home] < max(na.nodes.values(), default=0):
            out.append(f"{na}: {sid}'s home {home} is not among its highest-priority nodes {na.nodes}")
        if extra := sorted(set(na.nodes) - {home} - reps):
            out.append(f"{na}: names {extra}, which hold no replica of {sid} (replicas: {sorted(reps)})")
        if na.reg.inputs.get("strict") is not True:
            # NodeAffinity.pm plugin_compile: a non-strict rule adds every other node at the lowest priority
            out.append(f"{na}: not strict, so PVE may start {sid} on any node, also those holding no replica")
        if not set(na.nodes) & reps:
            out.append(f"{na}: names no node holding a replica of {sid}; it has nowhere to fail over")
    return out


def kept_apart_guests_can_fail_over(rec: Recording) -> list[str]:
    """A guest kept apart from others must have a failover node that is none of their homes: PVE removes the
    nodes running a kept-apart guest from the highest priority class and does not fall back to a lower one."""
    homes, _ = _homes_and_replicas(rec)
    rs = rules(rec)
    nas = _of(rs, NODE_AFFINITY)
    out = []
    for neg in _of(rs, RESOURCE_AFFINITY, "negative"):
        for sid in sorted(neg.resources):
            failover = {n for na in nas if sid in na.resources for n in na.nodes} - {homes.get(sid)}
            blocked = {homes.get(other) for other in neg.resources - {sid}}
            if failover and failover <= blocked:
                out.append(
                    f"{neg}: {sid} can fail over only to {sorted(failover)}, home of a guest it is kept apart "
                    "from; replicate it to another node"
                )
    return out


# Each check with the source it models (pve-ha-manager paths unless noted).
CHECKS: tuple[tuple[Callable[[Recording], list[str]], str], ...] = (
    (
        single_priority_node_affinity_in_resource_affinity_rules,
        "src/PVE/HA/Rules.pm check_single_priority_node_affinity_in_resource_affinity_rules",
    ),
    (
        single_node_affinity_per_positive_resource_affinity_rule,
        "src/PVE/HA/Rules.pm check_single_node_affinity_per_positive_resource_affinity_rule",
    ),
    (
        negative_resource_affinity_node_affinity_consistency,
        "src/PVE/HA/Rules.pm check_negative_resource_affinity_node_affinity_consistency",
    ),
    (single_resource_reference, "src/PVE/HA/Rules/NodeAffinity.pm check_single_resource_reference"),
    (resource_affinity_resources_count, "src/PVE/HA/Rules/ResourceAffinity.pm check_resource_affinity_resources_count"),
    (
        negative_resource_affinity_resources_count,
        "src/PVE/HA/Rules/ResourceAffinity.pm check_negative_resource_affinity_resources_count",
    ),
    (
        inter_resource_affinity_rules_consistency,
        "src/PVE/HA/Rules/ResourceAffinity.pm check_inter_resource_affinity_rules_consistency",
    ),
    (rule_resources_are_ha_resources, "src/PVE/API2/HA/Rules.pm create_rule $assert_valid_resources_param"),
    (rule_nodes_exist, "src/PVE/API2/HA/Rules.pm create_rule $assert_valid_nodes_param"),
    (
        rule_schema,
        "pve-common SectionConfig.pm check_config; Rules/*.pm options, encode_plugin_value; "
        "bpg fwprovider/cluster/ha/resource_harule.go Schema, ValidateConfig",
    ),
    (resource_affinity_after_node_affinity, "src/PVE/API2/HA/Rules.pm create_rule/update_rule $assert_feasibility"),
    (
        ha_resources_are_planned_guests,
        "src/PVE/API2/HA/Resources.pm create (parse_sid, verify_name, exists); Resources/PVEVM.pm, PVECT.pm",
    ),
    (
        ha_resource_schema,
        "src/PVE/HA/Resources.pm properties; API2/HA/Resources.pm create; bpg resource_haresource.go Schema",
    ),
    (failover_only_to_replicas, "ours: components/ha.py design (replica nodes from Replication targets)"),
    (kept_apart_guests_can_fail_over, "ours: src/PVE/HA/Manager.pm select_service_node, applied to our design"),
)


def problems(rec: Recording) -> list[str]:
    """Every problem of every check, each prefixed with its check's name."""
    return [f"{check.__name__}: {p}" for check, _ in CHECKS for p in check(rec)]
