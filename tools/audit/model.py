"""Both sides in one vocabulary: each planned resource and each live PVE object as an Item (kind, key, fields).

The fields are PVE's names and PVE's values, flattened so a difference names its field (`net0.bridge`,
`rule 2.dport`). `planned_items` maps each registered resource type to the object it becomes in PVE;
`live_items` reads the same objects back from PVE's answers (tools/audit/live.py).

Modelled: pools, groups, users (and their groups), tokens (privilege separation), custom roles, ACLs, VXLAN zones,
VNets, subnets (configured values, pending changes marked), guests (node, name, pool, CPU, memory, disks, NICs, tags,
protection, start at boot), the firewall (cluster and node options, IP sets, security groups, cluster, guest and
VNet rules and options), PBS storages and the storages the plan uses, downloaded images and templates, backup
and replication jobs, HA resources and rules.
Not modelled: what PVE does not keep (passwords, token secrets, the SDN apply itself); what it hides from a
read-only token (snippets and backup volumes, pve-storage check_volume_access; backups are read from the PBS
instead); guests' descriptions and cloud-init fields (cosmetic or write-only); objects of other owners (storages
the plan does not use, other nodes' local files).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.vnet_firewall import VnetFirewallProvider
from tools.audit.live import LiveState
from tools.mockengine import Recording, Registration

POOL = "proxmoxve:index/poolLegacy:PoolLegacy"
GROUP = "proxmoxve:index/groupLegacy:GroupLegacy"
USER = "proxmoxve:index/userLegacy:UserLegacy"
TOKEN = "proxmoxve:user/token:Token"
ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
ACL = "proxmoxve:index/acl:Acl"
MEMBERSHIP = "proxmoxve:pool/membership:Membership"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
SUBNET = "proxmoxve:sdn/subnet:Subnet"
VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
CLUSTER_FW = "proxmoxve:cluster/firewallLegacy:FirewallLegacy"
NODE_FW = "proxmoxve:node/firewall:Firewall"
IPSET = "proxmoxve:firewall/ipsetLegacy:IpsetLegacy"
SEC_GROUP = "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy"
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
FW_OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"
VNET_FW = "pulumi-python:dynamic/proxcloud:VnetFirewallRules"
PBS = "proxmoxve:storage/pbs:Pbs"
FILE = "proxmoxve:index/fileLegacy:FileLegacy"
DOWNLOAD = "proxmoxve:download/file:File"
BACKUP_JOB = "proxmoxve:backup/job:Job"
REPLICATION = "proxmoxve:index/replication:Replication"
HA_RESOURCE = "proxmoxve:index/haresource:Haresource"
HA_RULE = "proxmoxve:index/harule:Harule"
TENANT = "proxcloud:index:Tenant"
# Kinds compared field by field on the union of both sides' fields (lists the plan owns whole); every other kind
# is compared on the fields the plan sets (PVE adds its own).
WHOLE = frozenset({"firewall-rules", "ipset"})
# PVE's defaults where an answer leaves a field out (pve-api schema; firewall policies from pve-firewall).
GUEST_FW_DEFAULTS = {"enable": False, "dhcp": False, "macfilter": True, "ipfilter": False, "ndp": True, "radv": False,
                     "policy_in": "DROP", "policy_out": "ACCEPT"}  # fmt: skip
CLUSTER_FW_DEFAULTS = {"enable": False, "ebtables": True, "policy_in": "DROP", "policy_out": "ACCEPT"}
NODE_FW_DEFAULTS = {"enable": True, "nftables": False}
VNET_FW_DEFAULTS = {"enable": False, "policy_forward": "ACCEPT"}
# Volumes PVE lists to an auditor (Datastore.Audit): check_volume_access shows snippets and backups only to
# principals that may write them, so planned snippets cannot be checked read-only.
AUDITOR_VISIBLE = ("iso", "vztmpl", "import")
DISK_KEY = re.compile(r"^(scsi|virtio|sata|ide)\d+$")
NET_KEY = re.compile(r"^net\d+$")
MP_KEY = re.compile(r"^mp\d+$")


@dataclass(frozen=True)
class Item:
    """One object as the plan intends it or as PVE holds it."""

    kind: str
    key: str
    fields: dict[str, Any] = field(default_factory=dict)
    urn: str | None = None  # planned items: the resource
    pending: dict[str, Any] | None = None  # live SDN objects: PVE's state and pending values


Items = dict[tuple[str, str], Item]


# ------------------------------------------------------------------------------------------- value helpers


def as_bool(value: Any, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "on") or (value.isdigit() and int(value) > 1)
    return bool(value)


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def split_list(value: Any) -> list[str]:
    """PVE's lists: an array, or a string separated by commas, semicolons or spaces; sorted, no empties."""
    if value is None:
        return []
    items = value if isinstance(value, list) else re.split(r"[\s,;]+", str(value))
    return sorted({str(i).strip() for i in items if str(i).strip()})


def property_string(value: Any, first_key: str | None = None) -> dict[str, str]:
    """PVE's `a=1,b=x` property strings; a leading value without `=` goes to `first_key`."""
    out: dict[str, str] = {}
    for i, part in enumerate(str(value or "").split(",")):
        key, eq, val = part.partition("=")
        if not eq:
            if i == 0 and first_key and key:
                out[first_key] = key
            continue
        out[key.strip()] = val.strip()
    return out


def size_gb(value: Any) -> str:
    """Sizes as `20G` whatever the unit PVE or the plan gave (plain numbers are GB)."""
    if value is None or value == "":
        return ""
    if isinstance(value, int | float):
        return f"{value:g}G"
    text = str(value).strip().upper()
    factor = {"K": 1 / 1024**2, "M": 1 / 1024, "G": 1, "T": 1024}.get(text[-1:])
    number = float(text[:-1] if factor is not None else text) * (factor if factor is not None else 1)
    return f"{math.ceil(number * 1000) / 1000:g}G"


def _clean(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in fields.items() if v is not None}


# ------------------------------------------------------------------------------------------- firewall rules


def rule_fields(rules: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """An ordered rule list as fields: `count`, then `rule <i>.<field>` in PVE's wire form."""
    out: dict[str, Any] = {}
    ordered = list(rules)
    out["count"] = len(ordered)
    for i, rule in enumerate(ordered):
        for key, value in VnetFirewallProvider._normalise(rule).items():
            out[f"rule {i}.{key}"] = value
    return out


def _planned_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A RulesLegacy rule (camelCase inputs) in PVE's wire form; a security group reference is `type group`."""
    wire = {k: v for k, v in rule.items() if k not in ("securityGroup", "enabled", "pos")}
    if rule.get("securityGroup"):
        wire.update(type="group", action=rule["securityGroup"])
    wire["enable"] = "1" if rule.get("enabled", True) else "0"
    return wire


def _live_rules(rules: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rules, key=lambda r: int(r.get("pos", 0)))


# ------------------------------------------------------------------------------------------- the plan


def planned_items(rec: Recording) -> Items:
    """What the plan leaves in PVE, per object."""
    items: Items = {}

    def add(kind: str, key: str, fields: dict[str, Any], r: Registration) -> None:
        items[(kind, key)] = Item(kind, key, _clean(fields), urn=r.urn)

    storages_used: dict[str, Registration] = {}
    for r in rec.resources:
        i = r.inputs
        if r.type == POOL:
            add("pool", i["poolId"], {"comment": i.get("comment")}, r)
        elif r.type == GROUP:
            add("group", i["groupId"], {"comment": i.get("comment")}, r)
        elif r.type == USER:
            add("user", i["userId"], _planned_user(i), r)
        elif r.type == TOKEN:
            add(
                "token",
                f"{i['userId']}!{i['tokenName']}",
                {"privsep": bool(i.get("privilegesSeparation", True)), "comment": i.get("comment")},
                r,
            )
        elif r.type == ROLE:
            add("role", i["roleId"], {"privs": sorted(i.get("privileges", []))}, r)
        elif r.type == ACL:
            kind, ugid = _acl_principal(i)
            add("acl", acl_key(i["path"], kind, ugid, i["roleId"]), {"propagate": bool(i.get("propagate", True))}, r)
            if i["path"].startswith("/storage/"):
                storages_used.setdefault(i["path"].split("/")[2], r)
        elif r.type == MEMBERSHIP and i.get("storageId"):
            add("pool-member", f"{i['poolId']}/storage/{i['storageId']}", {}, r)
        elif r.type == ZONE:
            fields = {"type": "vxlan", "peers": split_list(i.get("peers")), "mtu": i.get("mtu")}
            fields |= {"nodes": split_list(i.get("nodes")) or None, "ipam": i.get("ipam")}
            add("zone", i["resourceId"], fields, r)
        elif r.type == VNET:
            fields = {"zone": i.get("zone"), "tag": i.get("tag"), "alias": i.get("alias")}
            add("vnet", i["resourceId"], fields | {"vlanaware": bool(i.get("vlanAware", False))}, r)
        elif r.type == SUBNET:
            fields = {"gateway": i.get("gateway"), "snat": bool(i.get("snat", False))}
            add("subnet", f"{i['vnet']}/{i['cidr']}", fields, r)
        elif r.type in (VM, CT):
            add("guest", str(i["vmId"]), _planned_guest(r), r)
            for d in [*(i.get("disks") or []), i.get("disk") or {}, i.get("initialization") or {}]:
                if d.get("datastoreId"):
                    storages_used.setdefault(d["datastoreId"], r)
        elif r.type == CLUSTER_FW:
            rate = i.get("logRatelimit") or {}
            fields = {"enable": i.get("enabled"), "ebtables": i.get("ebtables"), "policy_in": i.get("inputPolicy")}
            fields |= {"policy_out": i.get("outputPolicy")}
            if rate:
                fields |= {"log_ratelimit.enable": rate.get("enabled"), "log_ratelimit.burst": rate.get("burst")}
                fields |= {"log_ratelimit.rate": rate.get("rate")}
            add("firewall-options", "cluster", fields, r)
        elif r.type == NODE_FW:
            add(
                "firewall-options",
                f"node/{i['nodeName']}",
                {"enable": i.get("enabled"), "nftables": i.get("nftables")},
                r,
            )
        elif r.type == FW_OPTIONS:
            fields = {
                "enable": i.get("enabled"),
                "policy_in": i.get("inputPolicy"),
                "policy_out": i.get("outputPolicy"),
            }
            fields |= {k: i.get(k) for k in ("macfilter", "ipfilter", "dhcp", "ndp", "radv")}
            add("firewall-options", f"guest/{_guest_scope(i)}", fields, r)
        elif r.type == RULES:
            scope = f"guest/{_guest_scope(i)}" if _guest_scope(i) else "cluster"
            add("firewall-rules", scope, rule_fields(_planned_rule(x) for x in i.get("rules") or []), r)
        elif r.type == SEC_GROUP:
            add("security-group", i["name"], {"comment": i.get("comment")}, r)
            add("firewall-rules", f"group/{i['name']}", rule_fields(_planned_rule(x) for x in i.get("rules") or []), r)
        elif r.type == IPSET:
            add("ipset", i["name"], {"comment": i.get("comment"), "cidrs": _planned_cidrs(i.get("cidrs") or [])}, r)
        elif r.type == VNET_FW:
            rules = VnetFirewallProvider._wire_rules(i.get("rules") or [])
            add("firewall-rules", f"vnet/{i['vnet']}", rule_fields(rules), r)
            options = i.get("options") or {}
            add("firewall-options", f"vnet/{i['vnet']}", {k: options.get(k) for k in ("enable", "policy_forward")}, r)
        elif r.type == PBS:
            fields = {k: i.get(k) for k in ("server", "datastore", "namespace", "username", "fingerprint")}
            fields |= {"type": "pbs", "content": split_list(i.get("contents")), "nodes": split_list(i.get("nodes"))}
            add("storage", i["resourceId"], fields, r)
        elif r.type in (FILE, DOWNLOAD):
            name = (i.get("sourceRaw") or {}).get("fileName") or i.get("fileName") or r.name
            content = i.get("contentType", "snippets")
            if content in AUDITOR_VISIBLE:
                add("file", f"{i['nodeName']}/{i['datastoreId']}:{content}/{name}", {}, r)
            storages_used.setdefault(i["datastoreId"], r)
        elif r.type == BACKUP_JOB:
            add("backup-job", i["resourceId"], _planned_backup(i), r)
        elif r.type == REPLICATION:
            fields = {k: i.get(k) for k in ("target", "type", "schedule", "comment")}
            add("replication", i["resourceId"], fields | {"guest": as_int(i["resourceId"].split("-")[0])}, r)
        elif r.type == HA_RESOURCE:
            fields = {"state": i.get("state"), "max_restart": i.get("maxRestart"), "max_relocate": i.get("maxRelocate")}
            add("ha-resource", i["resourceId"], fields | {"comment": i.get("comment")}, r)
        elif r.type == HA_RULE:
            fields = {"type": i.get("type"), "resources": split_list(i.get("resources")), "comment": i.get("comment")}
            fields |= {"strict": bool(i.get("strict", False)), "affinity": i.get("affinity")}
            nodes = i.get("nodes")
            fields["nodes"] = {str(k): int(v) for k, v in nodes.items()} if isinstance(nodes, dict) else None
            add("ha-rule", i["rule"], fields, r)
    for sid, r in storages_used.items():
        if ("storage", sid) not in items:
            add("storage", sid, {}, r)  # a prerequisite of the stack: it must exist
    return items


def acl_key(path: str, kind: str, ugid: str, role: str) -> str:
    return f"{path} {kind}:{ugid} {role}"


def _acl_principal(i: dict[str, Any]) -> tuple[str, str]:
    if i.get("tokenId"):
        return "token", i["tokenId"]
    if i.get("groupId"):
        return "group", i["groupId"]
    return "user", i.get("userId", "")


def _guest_scope(i: dict[str, Any]) -> str:
    vmid = i.get("vmId") if i.get("vmId") is not None else i.get("containerId")
    return "" if vmid is None else str(vmid)


def _planned_user(i: dict[str, Any]) -> dict[str, Any]:
    return {
        "comment": i.get("comment"),
        "email": i.get("email"),
        "firstname": i.get("firstName"),
        "lastname": i.get("lastName"),
        "enable": bool(i.get("enabled", True)),
        "groups": sorted(i.get("groups") or []),
    }


def host_cidr(text: str) -> str:
    """PVE keeps a single address in an IP set without its /32 (/128)."""
    return re.sub(r"/128$", "", text) if ":" in text else re.sub(r"/32$", "", text)


def _planned_cidrs(cidrs: list[dict[str, Any]]) -> list[str]:
    return sorted(("!" if c.get("nomatch") else "") + host_cidr(str(c["name"])) for c in cidrs)


def _planned_backup(i: dict[str, Any]) -> dict[str, Any]:
    prune = {k: int(v) for k, v in (i.get("pruneBackups") or {}).items()}
    return {
        "schedule": i.get("schedule"),
        "storage": i.get("storage"),
        "pool": i.get("pool"),
        "mode": i.get("mode"),
        "compress": i.get("compress"),
        "enabled": bool(i.get("enabled", True)),
        "mailnotification": i.get("mailnotification"),
        "mailto": split_list(i.get("mailtos")) or None,
        "prune-backups": prune or None,
        "notes-template": i.get("notesTemplate"),
        "repeat-missed": i.get("repeatMissed"),
    }


def _planned_guest(r: Registration) -> dict[str, Any]:
    i = r.inputs
    cpu, memory = i.get("cpu") or {}, i.get("memory") or {}
    f: dict[str, Any] = {"node": i.get("nodeName"), "pool": i.get("poolId"), "tags": sorted(i.get("tags") or [])}
    f["protection"] = bool(i.get("protection", False))
    f["cores"] = cpu.get("cores", 1)
    f["memory"] = memory.get("dedicated", 512)
    if r.type == VM:
        f |= {"type": "qemu", "name": i.get("name"), "sockets": cpu.get("sockets", 1), "cpu": cpu.get("type")}
        f["onboot"] = bool(i.get("onBoot", True))
        for d in i.get("disks") or []:
            f[f"{d['interface']}.size"] = size_gb(d.get("size", 8))
            f[f"{d['interface']}.storage"] = d.get("datastoreId")
        for n, nic in enumerate(i.get("networkDevices") or []):
            f |= _nic(n, nic.get("model", "virtio"), nic, "macaddr")
    else:
        f |= {"type": "lxc", "name": (i.get("initialization") or {}).get("hostname"), "swap": memory.get("swap", 0)}
        f["onboot"] = bool(i.get("startOnBoot", True))
        f["unprivileged"] = bool(i.get("unprivileged", False))
        disk = i.get("disk") or {}
        f |= {"rootfs.size": size_gb(disk.get("size", 4)), "rootfs.storage": disk.get("datastoreId")}
        for n, mp in enumerate(i.get("mountPoints") or []):
            f |= {f"mp{n}.path": mp.get("path"), f"mp{n}.size": size_gb(mp.get("size"))}
        for n, nic in enumerate(i.get("networkInterfaces") or []):
            f |= _nic(n, None, nic, "hwaddr") | {f"net{n}.name": nic.get("name")}
    return f


def _nic(n: int, model: str | None, nic: dict[str, Any], mac_key: str) -> dict[str, Any]:
    return {
        f"net{n}.model": model,
        f"net{n}.{mac_key}": str(nic["macAddress"]).upper() if nic.get("macAddress") else None,
        f"net{n}.bridge": nic.get("bridge"),
        f"net{n}.firewall": bool(nic.get("firewall", False)),
        f"net{n}.tag": nic.get("vlanId"),
        f"net{n}.mtu": nic.get("mtu"),
    }


# ------------------------------------------------------------------------------------------- the cluster


def live_items(s: LiveState) -> Items:
    """What PVE holds, per object, in the same vocabulary."""
    items: Items = {}

    def add(kind: str, key: str, fields: dict[str, Any], pending: dict[str, Any] | None = None) -> None:
        items[(kind, key)] = Item(kind, key, _clean(fields), pending=pending)

    for p in s.pools:
        add("pool", p["poolid"], {"comment": p.get("comment")})
        for m in p.get("members") or []:
            if m.get("type") == "storage":
                add("pool-member", f"{p['poolid']}/storage/{m.get('storage')}", {})
    for g in s.groups:
        add("group", g["groupid"], {"comment": g.get("comment")})
    for u in s.users:
        fields = {k: u.get(k) for k in ("comment", "email", "firstname", "lastname")}
        add(
            "user",
            u["userid"],
            fields | {"enable": as_bool(u.get("enable"), True), "groups": split_list(u.get("groups"))},
        )
        for t in u.get("tokens") or []:
            fields = {"privsep": as_bool(t.get("privsep"), True), "comment": t.get("comment")}
            add("token", f"{u['userid']}!{t['tokenid']}", fields)
    for role in s.roles:
        if not as_bool(role.get("special")):
            add("role", role["roleid"], {"privs": split_list(role.get("privs"))})
    for a in s.acls:
        add(
            "acl",
            acl_key(a["path"], a["type"], a["ugid"], a["roleid"]),
            {"propagate": as_bool(a.get("propagate"), True)},
        )
    for z in s.zones:
        f, pending = _configured(z)
        fields = {"type": f.get("type"), "peers": split_list(f.get("peers")), "mtu": as_int(f.get("mtu"))}
        add("zone", z["zone"], fields | {"nodes": split_list(f.get("nodes")) or None, "ipam": f.get("ipam")}, pending)
    for v in s.vnets:
        f, pending = _configured(v)
        fields = {"zone": f.get("zone"), "tag": as_int(f.get("tag")), "alias": f.get("alias")}
        add("vnet", v["vnet"], fields | {"vlanaware": as_bool(f.get("vlanaware"))}, pending)
    for vnet, subnets in s.subnets.items():
        for sn in subnets:
            f, pending = _configured(sn)
            cidr = f.get("cidr") or _subnet_cidr(sn.get("subnet", ""))
            add("subnet", f"{vnet}/{cidr}", {"gateway": f.get("gateway"), "snat": as_bool(f.get("snat"))}, pending)
    for g in s.guests:
        add("guest", str(g["vmid"]), _live_guest(g))
        add("firewall-options", f"guest/{g['vmid']}", _options(g["firewall"]["options"], GUEST_FW_DEFAULTS))
        add("firewall-rules", f"guest/{g['vmid']}", rule_fields(_live_rules(g["firewall"]["rules"])))
    fw = s.cluster_firewall
    if fw:
        options = _options(fw.get("options") or {}, CLUSTER_FW_DEFAULTS)
        rate = property_string((fw.get("options") or {}).get("log_ratelimit"), "enable")
        if rate:
            options |= {"log_ratelimit.enable": as_bool(rate.get("enable"), True)}
            options |= {"log_ratelimit.burst": as_int(rate.get("burst")), "log_ratelimit.rate": rate.get("rate")}
        add("firewall-options", "cluster", options)
        add("firewall-rules", "cluster", rule_fields(_live_rules(fw.get("rules") or [])))
        for name, group in (fw.get("groups") or {}).items():
            add("security-group", name, {"comment": group.get("comment")})
            add("firewall-rules", f"group/{name}", rule_fields(_live_rules(group.get("rules") or [])))
        for name, ipset in (fw.get("ipsets") or {}).items():
            cidrs = sorted(
                ("!" if as_bool(e.get("nomatch")) else "") + host_cidr(str(e["cidr"]))
                for e in ipset.get("entries") or []
            )
            add("ipset", name, {"comment": ipset.get("comment"), "cidrs": cidrs})
    for node, nfw in s.node_firewall.items():
        add("firewall-options", f"node/{node}", _options(nfw.get("options") or {}, NODE_FW_DEFAULTS))
    for vnet, vfw in s.vnet_firewall.items():
        add("firewall-rules", f"vnet/{vnet}", rule_fields(_live_rules(vfw.get("rules") or [])))
        add("firewall-options", f"vnet/{vnet}", _options(vfw.get("options") or {}, VNET_FW_DEFAULTS))
    every_node = sorted(n["node"] for n in s.nodes)
    for st in s.storages:
        fields = {k: st.get(k) for k in ("server", "datastore", "namespace", "username", "fingerprint")}
        fields |= {"type": st.get("type"), "content": split_list(st.get("content"))}
        add("storage", st["storage"], fields | {"nodes": split_list(st.get("nodes")) or every_node})
    for where, volumes in s.contents.items():
        node = where.split("/", 1)[0]
        for vol in volumes:
            add("file", f"{node}/{vol['volid']}", {})
    for job in s.backup_jobs:
        add("backup-job", job["id"], _live_backup(job))
    for job in s.replication:
        fields = {k: job.get(k) for k in ("target", "type", "schedule", "comment")}
        add("replication", job["id"], fields | {"guest": as_int(job.get("guest"))})
    for res in s.ha_resources:
        fields = {"state": res.get("state"), "max_restart": as_int(res.get("max_restart"))}
        add(
            "ha-resource",
            res["sid"],
            fields | {"max_relocate": as_int(res.get("max_relocate")), "comment": res.get("comment")},
        )
    for rule in s.ha_rules:
        nodes = {}
        for entry in split_list(rule.get("nodes")):
            node, _, prio = entry.partition(":")
            nodes[node] = int(prio or 0)
        fields = {
            "type": rule.get("type"),
            "resources": split_list(rule.get("resources")),
            "comment": rule.get("comment"),
        }
        fields |= {"strict": as_bool(rule.get("strict")), "affinity": rule.get("affinity"), "nodes": nodes or None}
        add("ha-rule", rule["rule"], fields)
    return items


def _configured(obj: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """An SDN object read with `pending=1`: its configured values (running ones overlaid with pending ones) and,
    when PVE has not applied it yet, {state, pending values, running values}."""
    pending = obj.get("pending") or {}
    state = obj.get("state")
    values = {k: v for k, v in obj.items() if k not in ("pending", "state", "digest")}
    configured = dict(values)
    for key, value in pending.items():
        if value == "deleted":
            configured.pop(key, None)
        else:
            configured[key] = value
    if not state and not pending:
        return configured, None
    running = {k: values.get(k) for k in pending}
    return configured, {"state": state or "changed", "pending": dict(pending), "running": running}


def _subnet_cidr(subnet_id: str) -> str:
    """`zone-10.0.0.0-24` (PVE's subnet id) -> `10.0.0.0/24`."""
    parts = subnet_id.split("-")
    return f"{parts[-2]}/{parts[-1]}" if len(parts) >= 3 else subnet_id


def _options(options: dict[str, Any], defaults: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, default in defaults.items():
        value = options.get(key)
        out[key] = as_bool(value, default) if isinstance(default, bool) else (value if value is not None else default)
    return out


def _live_backup(job: dict[str, Any]) -> dict[str, Any]:
    prune = job.get("prune-backups")
    if isinstance(prune, str):
        prune = property_string(prune)
    return {
        "schedule": job.get("schedule"),
        "storage": job.get("storage"),
        "pool": job.get("pool"),
        "mode": job.get("mode", "snapshot"),
        "compress": job.get("compress"),
        "enabled": as_bool(job.get("enabled"), True),
        "mailnotification": job.get("mailnotification", "always"),
        "mailto": split_list(job.get("mailto")) or None,
        "prune-backups": {k: int(v) for k, v in (prune or {}).items()} or None,
        "notes-template": job.get("notes-template"),
        "repeat-missed": as_bool(job.get("repeat-missed")) if job.get("repeat-missed") is not None else None,
    }


def _live_guest(g: dict[str, Any]) -> dict[str, Any]:
    c = g.get("config") or {}
    kind = g.get("type")
    f: dict[str, Any] = {"type": kind, "node": g.get("node"), "pool": g.get("pool")}
    f |= {"tags": split_list(c.get("tags")), "protection": as_bool(c.get("protection"))}
    f |= {"cores": as_int(c.get("cores", 1)), "onboot": as_bool(c.get("onboot"))}
    f["memory"] = as_int(property_string(c.get("memory", 512), "current").get("current"))
    if kind == "qemu":
        f |= {"name": c.get("name", g.get("name")), "sockets": as_int(c.get("sockets", 1))}
        f["cpu"] = property_string(c.get("cpu"), "cputype").get("cputype") if c.get("cpu") else None
        for key, value in c.items():
            if DISK_KEY.match(key) and "media=cdrom" not in str(value) and "cloudinit" not in str(value):
                disk = property_string(value, "volume")
                f |= {f"{key}.size": size_gb(disk.get("size")), f"{key}.storage": disk["volume"].split(":")[0]}
            elif NET_KEY.match(key):
                f |= _live_nic(key, property_string(value), "macaddr")
    else:
        f |= {"name": c.get("hostname", g.get("name")), "swap": as_int(c.get("swap", 512))}
        f["unprivileged"] = as_bool(c.get("unprivileged"))
        root = property_string(c.get("rootfs"), "volume")
        f |= {"rootfs.size": size_gb(root.get("size")), "rootfs.storage": root.get("volume", "").split(":")[0]}
        for key, value in c.items():
            if MP_KEY.match(key):
                mp = property_string(value, "volume")
                f |= {f"{key}.path": mp.get("mp"), f"{key}.size": size_gb(mp.get("size"))}
            elif NET_KEY.match(key):
                nic = property_string(value)
                f |= _live_nic(key, nic, "hwaddr") | {f"{key}.name": nic.get("name")}
    return f


def _live_nic(key: str, nic: dict[str, str], mac_key: str) -> dict[str, Any]:
    models = ("virtio", "e1000", "e1000e", "rtl8139", "vmxnet3")
    model = next((m for m in models if m in nic), None)
    mac = nic.get(model) if model else nic.get(mac_key)
    return {
        f"{key}.model": model,
        f"{key}.{mac_key}": mac.upper() if mac else None,
        f"{key}.bridge": nic.get("bridge"),
        f"{key}.firewall": as_bool(nic.get("firewall")),
        f"{key}.tag": as_int(nic.get("tag")),
        f"{key}.mtu": as_int(nic.get("mtu")),
    }
