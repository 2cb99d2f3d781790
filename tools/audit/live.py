"""What a running cluster holds, read through the GET-only client: PVE's own answers, kept as PVE shapes them.

One read per endpoint, in PVE 9's parameter names (`/access/users?full=1` for the tokens, `pending=1` on the SDN
lists for changes not applied yet, `rrddata?timeframe=week&cf=AVERAGE` for a week of usage). Nothing here
interprets the answers; tools/audit/model.py does.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from tools.audit.client import GRANT_HINT, CannotAudit, ReadOnlyPve

# What the audit needs on `/` (PVEAuditor's privileges): without them PVE hides objects instead of refusing, and a
# hidden object would read as missing.
REQUIRED_PRIVILEGES = ("Sys.Audit", "VM.Audit", "SDN.Audit", "Datastore.Audit", "Pool.Audit")
GUEST_KINDS = ("qemu", "lxc")
# Content kinds that count against a tenant's backup/ISO allowance.
ALLOWANCE_CONTENT = ("backup", "iso", "vztmpl", "import")


@dataclass
class LiveState:
    """Everything read, in PVE's shapes; `guests` carry their config, firewall and usage history."""

    version: dict[str, Any] = field(default_factory=dict)
    users: list[dict[str, Any]] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)
    roles: list[dict[str, Any]] = field(default_factory=list)
    acls: list[dict[str, Any]] = field(default_factory=list)
    pools: list[dict[str, Any]] = field(default_factory=list)
    zones: list[dict[str, Any]] = field(default_factory=list)
    vnets: list[dict[str, Any]] = field(default_factory=list)
    subnets: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    vnet_firewall: dict[str, dict[str, Any]] = field(default_factory=dict)
    cluster_firewall: dict[str, Any] = field(default_factory=dict)
    nodes: list[dict[str, Any]] = field(default_factory=list)
    node_firewall: dict[str, dict[str, Any]] = field(default_factory=dict)
    guests: list[dict[str, Any]] = field(default_factory=list)
    storages: list[dict[str, Any]] = field(default_factory=list)
    storage_status: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    contents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "<node>/<storage>" -> volumes
    ha_rules: list[dict[str, Any]] = field(default_factory=list)
    ha_resources: list[dict[str, Any]] = field(default_factory=list)
    replication: list[dict[str, Any]] = field(default_factory=list)
    backup_jobs: list[dict[str, Any]] = field(default_factory=list)
    # From the PBS (when a PBS audit token is given): namespace -> its snapshots. PVE lists backup volumes only to
    # principals with VM.Backup and Datastore.AllocateSpace (check_volume_access), which an auditor must not hold.
    pbs_snapshots: dict[str, list[dict[str, Any]]] | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def check_reach(pve: ReadOnlyPve) -> dict[str, Any]:
    """The version (proves endpoint and token), then the token's privileges on `/` (proves it may see all)."""
    version = pve.get("version") or {}
    held = (pve.get("access/permissions", path="/") or {}).get("/", {})
    missing = [p for p in REQUIRED_PRIVILEGES if not held.get(p)]
    if missing:
        raise CannotAudit(
            f"missing privilege: the audit token {pve.token.id} lacks {', '.join(missing)} on / (it holds "
            f"{', '.join(sorted(p for p, v in held.items() if v)) or 'nothing'}); PVE would hide what it may not "
            f"see, so nothing can be compared; {GRANT_HINT}"
        )
    return version


def read_live(pve: ReadOnlyPve, content_storages: set[str]) -> LiveState:
    """Read the whole cluster; `content_storages` are the storages whose volumes the audit lists (files, usage)."""
    s = LiveState(version=check_reach(pve))
    s.users = pve.get("access/users", full=True) or []
    s.groups = pve.get("access/groups") or []
    s.roles = pve.get("access/roles") or []
    s.acls = pve.get("access/acl") or []
    s.pools = [pve.get(f"pools/{p['poolid']}") | {"poolid": p["poolid"]} for p in pve.get("pools") or []]
    s.zones = pve.get("cluster/sdn/zones", pending=True) or []
    s.vnets = pve.get("cluster/sdn/vnets", pending=True) or []
    for vnet in s.vnets:
        vid = vnet["vnet"]
        s.subnets[vid] = pve.get(f"cluster/sdn/vnets/{vid}/subnets", pending=True) or []
        if vnet.get("state") != "new":  # a VNet not applied yet has no firewall to read
            s.vnet_firewall[vid] = {
                "rules": pve.get(f"cluster/sdn/vnets/{vid}/firewall/rules") or [],
                "options": pve.get(f"cluster/sdn/vnets/{vid}/firewall/options") or {},
            }
    fw = "cluster/firewall"
    s.cluster_firewall = {
        "options": pve.get(f"{fw}/options") or {},
        "rules": pve.get(f"{fw}/rules") or [],
        "groups": {
            g["group"]: {"comment": g.get("comment"), "rules": pve.get(f"{fw}/groups/{g['group']}") or []}
            for g in pve.get(f"{fw}/groups") or []
        },
        "ipsets": {
            i["name"]: {"comment": i.get("comment"), "entries": pve.get(f"{fw}/ipset/{i['name']}") or []}
            for i in pve.get(f"{fw}/ipset") or []
        },
    }
    s.nodes = pve.get("nodes") or []
    online = [n["node"] for n in s.nodes if n.get("status", "online") == "online"]
    for node in online:
        s.node_firewall[node] = {
            "options": pve.get(f"nodes/{node}/firewall/options") or {},
            "rules": pve.get(f"nodes/{node}/firewall/rules") or [],
        }
        s.storage_status[node] = pve.get(f"nodes/{node}/storage") or []
    for guest in pve.get("cluster/resources", type="vm") or []:
        kind, node, vmid = guest.get("type"), guest.get("node"), guest.get("vmid")
        if kind not in GUEST_KINDS or node not in online:
            continue
        base = f"nodes/{node}/{kind}/{vmid}"
        guest = dict(guest)
        guest["config"] = pve.get(f"{base}/config") or {}
        guest["firewall"] = {
            "options": pve.get(f"{base}/firewall/options") or {},
            "rules": pve.get(f"{base}/firewall/rules") or [],
        }
        guest["rrd"] = pve.get(f"{base}/rrddata", timeframe="week", cf="AVERAGE") or []
        s.guests.append(guest)
    s.storages = pve.get("storage") or []
    shared = {st["storage"] for st in s.storages if st.get("shared") or st.get("type") == "pbs"}
    for sid in sorted(content_storages):
        for node in online:
            if not any(st.get("storage") == sid and st.get("active") for st in s.storage_status.get(node, [])):
                continue
            s.contents[f"{node}/{sid}"] = pve.get(f"nodes/{node}/storage/{sid}/content") or []
            if sid in shared:
                break  # the same volumes from every node
    s.ha_rules = pve.get("cluster/ha/rules") or []
    s.ha_resources = pve.get("cluster/ha/resources") or []
    s.replication = pve.get("cluster/replication") or []
    s.backup_jobs = pve.get("cluster/backup") or []
    return s


def read_pbs(pbs: ReadOnlyPve, datastore: str, namespaces: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Each namespace's snapshots on the PBS datastore (`size` is the snapshot's logical size in bytes)."""
    pbs.get("version")
    return {ns: pbs.get(f"admin/datastore/{datastore}/snapshots", ns=ns) or [] for ns in sorted(namespaces)}
