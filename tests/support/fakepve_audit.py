"""Test helper: a fake PVE 9 cluster holding a deployed plan, and a small fake PBS, for tests/tools/test_audit.py.

* AuditFakePve is fakepve (with the VNet firewall of tests/support/fakepve_vnet.py) plus stand-in routes for what
  fakepve answers without storing: users with their tokens, groups, roles and ACLs (`/access/*`), SDN zones, VNets
  and subnets with PVE's `pending=1` view (pve-network `pending_config`), HA rules and resources, replication and
  backup jobs, and `rrddata`. Every route is registered on a path of PVE 9's schema, so fakepve checks the
  parameters (`pending`, `timeframe`, `cf`, ...) and the permissions against the schema as for its own routes.
* `deploy` plays a deployer: it turns each planned resource into what PVE would store - firewall objects through
  the API (fakepve validates every rule), guests and storages as PVE configs, the rest into the stand-in's state.
  Written from PVE's formats, not from the audit's parser (tools/audit/model.py), so the two check each other.
* PbsStandIn answers the two PBS API calls the audit makes (`/version`, `/admin/datastore/{store}/snapshots`).
Everything listens on 127.0.0.1 only, on ports the system picks, and stops at the end of its test.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from aiohttp import web
from fakepve import shapes
from fakepve.pytest_plugin import _Serving
from fakepve.routing import die

from tests.support.fakepve_vnet import VnetFakePve
from tools.mockengine import Recording

ROOT_TOKEN = ("root@pam!deploy", "9b1c1b3e-0000-4000-8000-00000000d3e1")
AUDIT_TOKEN = ("audit@pve!audit", "5e7a0d1c-1111-4000-8000-0000000a0d17")
PBS_TOKEN = ("audit@pbs!audit", "0c0ffee0-2222-4000-8000-0000000b0b05")
DEPLOY_USER = "deploy@pve"  # the out-of-band deploy identity of docs/operations.md
GIB = 1024**3
MIB = 1024**2
RRD_POINTS = 84  # a week at PVE's two-hour AVERAGE resolution
HTTP_TIMEOUT = 10.0


def audit_token() -> str:
    return f"{AUDIT_TOKEN[0]}={AUDIT_TOKEN[1]}"


class AuditFakePve(VnetFakePve):
    """fakepve with stored access config, SDN (running vs configured), HA, jobs and usage history."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access: dict[str, Any] = {"users": {}, "groups": {}, "roles": {}, "acl": []}
        # id -> {"running": values or None, "config": values or None}; pending = config differing from running
        self.sdn: dict[str, dict[str, dict[str, Any]]] = {"zones": {}, "vnets": {}, "subnets": {}}
        self.jobs: dict[str, list[dict[str, Any]]] = {
            "ha_rules": [],
            "ha_resources": [],
            "replication": [],
            "backup": [],
        }
        self.usage: dict[int, tuple[float, float]] = {}  # vmid -> (cpu, memory) used as a share of the allocation

    # ------------------------------------------------------------------ routes

    def _routes_audit(self) -> list[tuple[str, str, Any]]:
        return [
            ("GET", "/access/users", self._users),
            ("GET", "/access/groups", self._groups),
            ("GET", "/access/roles", self._roles),
            ("GET", "/access/acl", self._acl),
            ("GET", "/cluster/sdn/zones", self._sdn_list("zones", "zone")),
            ("GET", "/cluster/sdn/vnets", self._sdn_list("vnets", "vnet")),
            ("GET", "/cluster/sdn/vnets/{vnet}/subnets", self._subnets),
            ("GET", "/cluster/ha/rules", self._job_list("ha_rules")),
            ("GET", "/cluster/ha/resources", self._job_list("ha_resources")),
            ("GET", "/cluster/replication", self._job_list("replication")),
            ("GET", "/cluster/backup", self._job_list("backup")),
            ("GET", "/nodes/{node}/qemu/{vmid}/rrddata", self._rrddata),
            ("GET", "/nodes/{node}/lxc/{vmid}/rrddata", self._rrddata),
        ]

    def add_user(self, userid: str, groups: tuple[str, ...] = (), **fields: Any) -> dict[str, Any]:
        user = {"enable": 1, "expire": 0, **fields, "tokens": {}}
        self.access["users"][userid] = user
        for g in groups:
            self.access["groups"].setdefault(g, {"users": set()})["users"].add(userid)
        return user

    def add_token(self, userid: str, tokenid: str, privsep: bool = True, comment: str | None = None) -> None:
        token = {"privsep": 1 if privsep else 0, "expire": 0}
        if comment:
            token["comment"] = comment
        self.access["users"][userid]["tokens"][tokenid] = token

    async def _users(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        out = []
        for userid, u in sorted(self.access["users"].items()):
            item = {"userid": userid, "realm-type": userid.rpartition("@")[2]}
            item.update((k, val) for k, val in u.items() if k != "tokens")
            groups = sorted(g for g, info in self.access["groups"].items() if userid in info["users"])
            if groups:
                item["groups"] = ",".join(groups)  # PVE 9's schema: a pve-groupid-list string
            if v.get("full"):
                item["tokens"] = [{"tokenid": t, **info} for t, info in sorted(u["tokens"].items())]
            out.append(item)
        return out

    async def _groups(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        out = []
        for gid, g in sorted(self.access["groups"].items()):
            item = {"groupid": gid, "users": ",".join(sorted(g["users"]))}
            if g.get("comment"):
                item["comment"] = g["comment"]
            out.append(item)
        return out

    async def _roles(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        builtin = [{"roleid": r, "privs": ",".join(sorted(p)), "special": 1} for r, p in sorted(shapes.ROLES.items())]
        custom = [{"roleid": r, "privs": ",".join(sorted(p)), "special": 0} for r, p in self.access["roles"].items()]
        return builtin + custom

    async def _acl(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        return [dict(a) for a in self.access["acl"]]

    def _sdn_list(self, store: str, id_key: str) -> Any:
        async def answer(v: dict[str, Any], user: str) -> list[dict[str, Any]]:
            return sdn_view(self.sdn[store], id_key, bool(v.get("pending")), bool(v.get("running")))

        return answer

    async def _subnets(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        mine = {
            k: o for k, o in self.sdn["subnets"].items() if (o.get("config") or o.get("running"))["vnet"] == v["vnet"]
        }
        return sdn_view(mine, "subnet", bool(v.get("pending")), bool(v.get("running")))

    def _job_list(self, store: str) -> Any:
        async def answer(v: dict[str, Any], user: str) -> list[dict[str, Any]]:
            return [dict(j) for j in self.jobs[store]]

        return answer

    async def _rrddata(self, v: dict[str, Any], user: str) -> list[dict[str, Any]]:
        guest = next((g for g in [*self.vms, *self.cts] if g.vmid == v["vmid"]), None)
        if guest is None:
            raise die(f"unable to find configuration file for VM {v['vmid']}")
        config = guest.config
        maxcpu = int(config.get("cores", 1)) * int(config.get("sockets", 1))
        maxmem = int(str(config.get("memory", 512)).split("=")[-1]) * MIB
        cpu, mem = self.usage.get(guest.vmid, (0.5, 0.5))
        now, step = 1_780_000_000, 7200
        points = []
        for i in range(RRD_POINTS):
            wobble = 0.9 + 0.2 * ((i * 7) % 5) / 4  # 0.9 .. 1.1
            points.append(
                {
                    "time": now - (RRD_POINTS - i) * step,
                    "cpu": round(cpu * wobble, 4),
                    "maxcpu": maxcpu,
                    "mem": int(mem * wobble * maxmem),
                    "maxmem": maxmem,
                    "disk": 0,
                    "maxdisk": 0,
                    "netin": 1000.0,
                    "netout": 1000.0,
                    "diskread": 0.0,
                    "diskwrite": 0.0,
                }
            )
        return points


def sdn_view(objects: dict[str, dict[str, Any]], id_key: str, pending: bool, running: bool) -> list[dict[str, Any]]:
    """PVE's SDN list: the configuration; with `running` what is applied; with `pending` the applied values and,
    per object, `state` (new/changed/deleted) and `pending` (configured values that differ, or 'deleted')."""
    out = []
    for oid, obj in sorted(objects.items()):
        run, cfg = obj.get("running"), obj.get("config")
        if not pending:
            values = run if running else cfg
            if values is not None:
                out.append({id_key: oid, **values})
            continue
        item: dict[str, Any] = {id_key: oid, **(run or {})}
        changes: dict[str, Any] = {}
        state = None
        if cfg is None:
            state = "deleted"
        else:
            for key, value in cfg.items():
                if key in ("type", "vnet"):
                    item[key] = value
                elif run is None or run.get(key) != value:
                    changes[key] = value
            changes.update((k, "deleted") for k in run or {} if k not in cfg and k not in ("type", "vnet"))
            state = "new" if run is None else ("changed" if changes else None)
        if state:
            item["state"] = state
        if changes:
            item["pending"] = changes
        out.append(item)
    return out


# ---------------------------------------------------------------------- serving


@contextmanager
def serve_pve(pki: tuple[str, str], *, audit_acl: bool = True) -> Iterator[AuditFakePve]:
    """A started AuditFakePve on 127.0.0.1 with the root deploy token and the audit token; with `audit_acl` the
    audit token holds exactly PVEAuditor on / (fakepve then enforces what PVE would hide or refuse)."""
    pve = AuditFakePve(user="root@pam", password="secret", host="127.0.0.1", port=0)
    pve.time_scale = 0
    pve.nodes = {}
    pve.apitokens.update(dict([ROOT_TOKEN, AUDIT_TOKEN]))
    if audit_acl:
        auditor = set(shapes.ROLES["PVEAuditor"])
        pve.acl = {AUDIT_TOKEN[0]: [("/", auditor)], AUDIT_TOKEN[0].split("!")[0]: [("/", auditor)]}
    serving = _Serving(pve, *pki)
    try:
        yield pve
    finally:
        serving.stop()


class PbsStandIn:
    """The PBS API calls of the audit: `GET /api2/json/version` and `.../admin/datastore/{store}/snapshots?ns=`;
    snapshots[(store, ns)] is the list PBS answers (backup-type, backup-id, backup-time, size, ...)."""

    def __init__(self, token: tuple[str, str] = PBS_TOKEN) -> None:
        self.token = token
        self.snapshots: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.requests: list[tuple[str, str]] = []
        self.port = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_route("*", "/api2/json/{tail:.*}", self._answer)
        return app

    async def _answer(self, request: web.Request) -> web.Response:
        self.requests.append((request.method, request.path_qs))
        if request.headers.get("Authorization") != f"PBSAPIToken={self.token[0]}:{self.token[1]}":
            return web.json_response({"data": None, "message": "authentication failure"}, status=401)
        if request.method != "GET":
            return web.json_response({"data": None, "message": "method not allowed"}, status=405)
        tail = request.match_info["tail"]
        if tail == "version":
            return web.json_response({"data": {"version": "4.0", "release": "4.0.1", "repoid": "standin"}})
        parts = tail.split("/")
        if len(parts) == 4 and parts[:2] == ["admin", "datastore"] and parts[3] == "snapshots":
            found = self.snapshots.get((parts[2], request.query.get("ns", "")), [])
            return web.json_response({"data": found})
        return web.json_response({"data": None, "message": f"no such path {tail}"}, status=404)


@contextmanager
def serve_pbs(pki: tuple[str, str]) -> Iterator[PbsStandIn]:
    """PbsStandIn on https://127.0.0.1:<port>, in a thread, stopped on exit (bounded waits)."""
    import ssl

    pbs = PbsStandIn()
    loop = asyncio.new_event_loop()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(*pki)
    runner = web.AppRunner(pbs.app())

    async def start() -> None:
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=ctx)
        await site.start()
        pbs.port = runner.addresses[0][1]

    thread = threading.Thread(target=loop.run_forever, name="pbs-standin", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(HTTP_TIMEOUT)
    try:
        yield pbs
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(HTTP_TIMEOUT)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(HTTP_TIMEOUT)
        loop.close()


# ---------------------------------------------------------------------- the deployer


class Root:
    """The deployer's own API session (the root token), for what fakepve stores and validates."""

    def __init__(self, pve: AuditFakePve, cafile: str) -> None:
        self.base = f"{pve.url}/api2/json"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"PVEAPIToken={ROOT_TOKEN[0]}={ROOT_TOKEN[1]}"
        self.cafile = cafile

    def call(self, method: str, path: str, **data: Any) -> Any:
        body = {k: (1 if v is True else 0 if v is False else v) for k, v in data.items() if v is not None}
        # verify per request: a session-wide `verify` loses to $REQUESTS_CA_BUNDLE in requests
        r = self.session.request(method, f"{self.base}/{path}", data=body, timeout=HTTP_TIMEOUT, verify=self.cafile)
        assert r.status_code == 200, f"{method} {path} {body}: {r.status_code} {r.text}"
        return r.json()["data"]


def _pve_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A planned firewall rule (camelCase inputs) as the API takes it."""
    if rule.get("securityGroup"):
        out = {"type": "group", "action": rule["securityGroup"]}
    else:
        out = {k: rule.get(k) for k in ("type", "action", "proto", "dport", "sport", "source", "dest", "macro")}
        out["iface"] = rule.get("iface")
        out["log"] = rule.get("log")
    out["comment"] = rule.get("comment")
    out["enable"] = 1 if rule.get("enabled", True) else 0
    return out


def _post_rules(root: Root, path: str, rules: list[dict[str, Any]]) -> None:
    for rule in reversed(rules):  # PVE puts a new rule first
        root.call("POST", path, **rule)


def deploy(pve: AuditFakePve, plan: Recording, cafile: str) -> None:
    """What `pulumi up` of the plan would leave in PVE, plus the deploy identity and PVE's own storages."""
    root = Root(pve, cafile)
    inputs = [(r.type, r.inputs) for r in plan.resources]
    nodes = sorted({i["nodeName"] for t, i in inputs if "nodeName" in i})
    for node in nodes:
        pve.add_node(node)
    pve.storages.clear()
    pve.storages["local"] = {
        "type": "dir",
        "path": "/var/lib/vz",
        "content": "iso,vztmpl,backup,snippets,import",
        "active": 1,
        "files": set(),
        "volumes": {},
    }
    pve.storages["local-zfs"] = {
        "type": "zfspool",
        "pool": "rpool/data",
        "content": "images,rootdir",
        "active": 1,
        "files": set(),
        "sparse": 1,
    }
    # the deploy identity (docs/operations.md), outside the program
    pve.add_user(DEPLOY_USER, comment="pulumi deploy")
    pve.add_token(DEPLOY_USER, "pulumi", privsep=False)
    pve.access["acl"].append(
        {"path": "/", "type": "user", "ugid": DEPLOY_USER, "roleid": "Administrator", "propagate": 1}
    )
    pve.add_user("root@pam", email="root@example.net")

    def each(type_: str) -> list[dict[str, Any]]:
        return [i for t, i in inputs if t == type_]

    for i in each("proxmoxve:index/poolLegacy:PoolLegacy"):
        pve.pools[i["poolId"]] = set()
        pve.pool_info[i["poolId"]] = {"comment": i.get("comment"), "storage": set()}
    for i in each("proxmoxve:index/groupLegacy:GroupLegacy"):
        pve.access["groups"][i["groupId"]] = {"comment": i.get("comment"), "users": set()}
    for i in each("proxmoxve:index/userLegacy:UserLegacy"):
        fields = {
            "comment": i.get("comment"),
            "email": i.get("email"),
            "firstname": i.get("firstName"),
            "lastname": i.get("lastName"),
        }
        pve.add_user(i["userId"], tuple(i.get("groups") or ()), **{k: v for k, v in fields.items() if v})
    for i in each("proxmoxve:user/token:Token"):
        pve.add_token(i["userId"], i["tokenName"], bool(i.get("privilegesSeparation", True)), i.get("comment"))
    for i in each("proxmoxve:index/roleLegacy:RoleLegacy"):
        pve.access["roles"][i["roleId"]] = list(i.get("privileges") or [])
    for i in each("proxmoxve:index/acl:Acl"):
        kind, ugid = next(
            (k, i[f]) for k, f in (("token", "tokenId"), ("group", "groupId"), ("user", "userId")) if i.get(f)
        )
        pve.access["acl"].append(
            {
                "path": i["path"],
                "type": kind,
                "ugid": ugid,
                "roleid": i["roleId"],
                "propagate": 1 if i.get("propagate", True) else 0,
            }
        )
    for i in each("proxmoxve:sdn/zone/vxlan:Vxlan"):
        zone = {
            "type": "vxlan",
            "peers": ",".join(i["peers"]),
            "mtu": i.get("mtu"),
            "ipam": i.get("ipam"),
            "nodes": ",".join(i.get("nodes") or []),
        }
        zone = {k: v for k, v in zone.items() if v not in (None, "")}
        pve.sdn["zones"][i["resourceId"]] = {"running": dict(zone), "config": dict(zone)}
    for i in each("proxmoxve:sdn/vnet:Vnet"):
        vnet = {"type": "vnet", "zone": i["zone"], "tag": i.get("tag"), "alias": i.get("alias")}
        if i.get("vlanAware"):
            vnet["vlanaware"] = 1
        vnet = {k: v for k, v in vnet.items() if v is not None}
        pve.sdn["vnets"][i["resourceId"]] = {"running": dict(vnet), "config": dict(vnet)}
    zone_of = {vid: o["config"]["zone"] for vid, o in pve.sdn["vnets"].items()}
    for i in each("proxmoxve:sdn/subnet:Subnet"):
        sid = f"{zone_of[i['vnet']]}-{i['cidr'].replace('/', '-')}"
        subnet = {
            "type": "subnet",
            "vnet": i["vnet"],
            "cidr": i["cidr"],
            "gateway": i.get("gateway"),
            "zone": zone_of[i["vnet"]],
        }
        if i.get("snat"):
            subnet["snat"] = 1
        pve.sdn["subnets"][sid] = {"running": dict(subnet), "config": dict(subnet)}
    for i in each("proxmoxve:storage/pbs:Pbs"):
        pve.storages[i["resourceId"]] = {
            "type": "pbs",
            "server": i["server"],
            "datastore": i["datastore"],
            "namespace": i.get("namespace"),
            "username": i["username"],
            "fingerprint": i["fingerprint"],
            "content": ",".join(i.get("contents") or []),
            "nodes": ",".join(i.get("nodes") or []),
            "active": 1,
            "files": set(),
            "volumes": {},
        }
    for t, kind, where in (
        ("proxmoxve:storage/directory:Directory", "dir", "path"),
        ("proxmoxve:storage/zfspool:Zfspool", "zfspool", "zfsPool"),
    ):  # a tenant's own storages (components/tenant_storage.py)
        for i in each(t):
            pve.storages[i["resourceId"]] = {
                "type": kind,
                "path" if kind == "dir" else "pool": i[where],
                "content": ",".join(i.get("contents") or []),
                "nodes": ",".join(i.get("nodes") or []),
                "active": 1,
                "files": set(),
                "volumes": {},
            }
    for i in each("proxmoxve:pool/membership:Membership"):
        if i.get("storageId"):
            pve.pool_info[i["poolId"]]["storage"].add(i["storageId"])
    for t, i in inputs:
        if t in ("proxmoxve:index/fileLegacy:FileLegacy", "proxmoxve:download/file:File"):
            name = (i.get("sourceRaw") or {}).get("fileName") or i["fileName"]
            content = i.get("contentType", "snippets")
            # 'local' is per node in PVE; the fake keeps one copy, which every node lists
            pve.storages[i["datastoreId"]]["volumes"][f"{content}/{name}"] = {
                "content": content,
                "format": "raw",
                "size": 4096,
                "ctime": 0,
            }
    for i in each("proxmoxve:index/vmLegacy:VmLegacy"):
        pve.add_vm(
            i["vmId"], i["name"], node=i["nodeName"], status="running", config=_vm_config(i), pool=i.get("poolId")
        )
    for i in each("proxmoxve:index/containerLegacy:ContainerLegacy"):
        hostname = (i.get("initialization") or {}).get("hostname")
        pve.add_ct(i["vmId"], hostname, node=i["nodeName"], status="running", config=_ct_config(i))
        if i.get("poolId"):
            pve._pool_join(i["poolId"], i["vmId"])
    for i in each("proxmoxve:backup/job:Job"):
        job = {
            "id": i["resourceId"],
            "schedule": i["schedule"],
            "storage": i["storage"],
            "pool": i.get("pool"),
            "mode": i.get("mode"),
            "compress": i.get("compress"),
            "enabled": 1 if i.get("enabled", True) else 0,
            "mailnotification": i.get("mailnotification"),
            "mailto": ",".join(i.get("mailtos") or []),
            "notes-template": i.get("notesTemplate"),
            "repeat-missed": 1 if i.get("repeatMissed") else 0,
            "prune-backups": ",".join(f"{k}={v}" for k, v in sorted((i.get("pruneBackups") or {}).items())),
        }
        pve.jobs["backup"].append({k: v for k, v in job.items() if v not in (None, "")})
    for i in each("proxmoxve:index/replication:Replication"):
        guest = int(i["resourceId"].split("-")[0])
        pve.jobs["replication"].append(
            {
                "id": i["resourceId"],
                "guest": guest,
                "jobnum": 0,
                "target": i["target"],
                "type": i.get("type", "local"),
                "schedule": i.get("schedule"),
                "comment": i.get("comment"),
                "source": None,
            }
        )
    for i in each("proxmoxve:index/haresource:Haresource"):
        pve.jobs["ha_resources"].append(
            {
                "sid": i["resourceId"],
                "type": i["resourceId"].split(":")[0],
                "state": i.get("state"),
                "max_restart": i.get("maxRestart"),
                "max_relocate": i.get("maxRelocate"),
                "comment": i.get("comment"),
            }
        )
    for i in each("proxmoxve:index/harule:Harule"):
        rule = {
            "rule": i["rule"],
            "type": i["type"],
            "resources": ",".join(i["resources"]),
            "comment": i.get("comment"),
            "strict": 1 if i.get("strict") else 0,
            "affinity": i.get("affinity"),
        }
        if i.get("nodes"):
            rule["nodes"] = ",".join(f"{n}:{p}" for n, p in sorted(i["nodes"].items()))
        pve.jobs["ha_rules"].append({k: v for k, v in rule.items() if v is not None})
    # the firewall, through the API (fakepve checks each rule as PVE's verify_rule does)
    for i in each("proxmoxve:firewall/ipsetLegacy:IpsetLegacy"):
        root.call("POST", "cluster/firewall/ipset", name=i["name"], comment=i.get("comment"))
        for c in i.get("cidrs") or []:
            root.call(
                "POST",
                f"cluster/firewall/ipset/{i['name']}",
                cidr=c["name"],
                nomatch=c.get("nomatch"),
                comment=c.get("comment"),
            )
    for i in each("proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy"):
        root.call("POST", "cluster/firewall/groups", group=i["name"], comment=i.get("comment"))
        _post_rules(root, f"cluster/firewall/groups/{i['name']}", [_pve_rule(r) for r in i.get("rules") or []])
    for i in each("proxmoxve:cluster/firewallLegacy:FirewallLegacy"):
        rate = i.get("logRatelimit") or {}
        root.call(
            "PUT",
            "cluster/firewall/options",
            enable=i.get("enabled"),
            ebtables=i.get("ebtables"),
            policy_in=i.get("inputPolicy"),
            policy_out=i.get("outputPolicy"),
            log_ratelimit=f"enable={1 if rate.get('enabled') else 0},burst={rate['burst']},rate={rate['rate']}"
            if rate
            else None,
        )
    for i in each("proxmoxve:node/firewall:Firewall"):
        root.call("PUT", f"nodes/{i['nodeName']}/firewall/options", enable=i.get("enabled"), nftables=i.get("nftables"))
    guests = {g.vmid: g for g in [*pve.vms, *pve.cts]}
    for i in each("proxmoxve:firewall/rulesLegacy:RulesLegacy"):
        rules = [_pve_rule(r) for r in i.get("rules") or []]
        vmid = i.get("vmId") if i.get("vmId") is not None else i.get("containerId")
        if vmid is None:
            _post_rules(root, "cluster/firewall/rules", rules)
        else:
            kind = "lxc" if i.get("containerId") is not None else "qemu"
            _post_rules(root, f"nodes/{guests[vmid].node}/{kind}/{vmid}/firewall/rules", rules)
    for i in each("proxmoxve:firewall/optionsLegacy:OptionsLegacy"):
        vmid = i.get("vmId") if i.get("vmId") is not None else i.get("containerId")
        kind = "lxc" if i.get("containerId") is not None else "qemu"
        root.call(
            "PUT",
            f"nodes/{i['nodeName']}/{kind}/{vmid}/firewall/options",
            enable=i.get("enabled"),
            policy_in=i.get("inputPolicy"),
            policy_out=i.get("outputPolicy"),
            macfilter=i.get("macfilter"),
            ipfilter=i.get("ipfilter"),
            dhcp=i.get("dhcp"),
            ndp=i.get("ndp"),
            radv=i.get("radv"),
        )
    for i in each("pulumi-python:dynamic/proxcloud:VnetFirewallRules"):
        rules = [dict(r, enable=1 if r.get("enable", True) else 0) for r in i.get("rules") or []]
        _post_rules(root, f"cluster/sdn/vnets/{i['vnet']}/firewall/rules", rules)
        options = i.get("options") or {}
        root.call(
            "PUT",
            f"cluster/sdn/vnets/{i['vnet']}/firewall/options",
            enable=options.get("enable"),
            policy_forward=options.get("policy_forward"),
        )


def _vm_config(i: dict[str, Any]) -> dict[str, Any]:
    cpu, memory = i.get("cpu") or {}, i.get("memory") or {}
    vmid = i["vmId"]
    c: dict[str, Any] = {
        "name": i["name"],
        "cores": cpu.get("cores", 1),
        "sockets": cpu.get("sockets", 1),
        "memory": str(memory.get("dedicated", 512)),
        "ostype": "l26",
        "scsihw": i.get("scsiHardware", "virtio-scsi-pci"),
        "agent": "1,fstrim_cloned_disks=1",
        "vmgenid": "00000000-0000-4000-8000-000000000000",
        "smbios1": "uuid=0000",
    }
    if cpu.get("type"):
        c["cpu"] = cpu["type"]
    for n, d in enumerate(i.get("disks") or []):
        c[d["interface"]] = f"{d['datastoreId']}:vm-{vmid}-disk-{n},discard=on,iothread=1,size={d.get('size', 8)}G"
    init = i.get("initialization") or {}
    if init:
        c[init.get("interface", "ide2")] = f"{init.get('datastoreId', 'local-lvm')}:vm-{vmid}-cloudinit,media=cdrom"
    for n, nic in enumerate(i.get("networkDevices") or []):
        text = f"{nic.get('model', 'virtio')}={nic['macAddress']},bridge={nic['bridge']}"
        text += ",firewall=1" if nic.get("firewall") else ""
        text += f",mtu={nic['mtu']}" if nic.get("mtu") else ""
        text += f",tag={nic['vlanId']}" if nic.get("vlanId") else ""
        c[f"net{n}"] = text
    if i.get("tags"):
        c["tags"] = ";".join(i["tags"])
    if i.get("protection"):
        c["protection"] = 1
    if i.get("onBoot", True):
        c["onboot"] = 1
    return c


def _ct_config(i: dict[str, Any]) -> dict[str, Any]:
    cpu, memory, disk = i.get("cpu") or {}, i.get("memory") or {}, i.get("disk") or {}
    vmid = i["vmId"]
    c: dict[str, Any] = {
        "hostname": (i.get("initialization") or {}).get("hostname"),
        "cores": cpu.get("cores", 1),
        "memory": memory.get("dedicated", 512),
        "swap": memory.get("swap", 0),
        "ostype": "debian",
        "arch": "amd64",
        "rootfs": f"{disk.get('datastoreId', 'local')}:subvol-{vmid}-disk-0,size={disk.get('size', 4)}G",
        "unprivileged": 1 if i.get("unprivileged") else 0,
    }
    for n, mp in enumerate(i.get("mountPoints") or []):
        c[f"mp{n}"] = f"{mp['volume']}:subvol-{vmid}-disk-{n + 1},mp={mp['path']},size={mp['size']}"
    ips = (i.get("initialization") or {}).get("ipConfigs") or []
    for n, nic in enumerate(i.get("networkInterfaces") or []):
        ip = (ips[n] if n < len(ips) else {}).get("ipv4") or {}
        text = f"name={nic['name']},bridge={nic['bridge']}"
        text += ",firewall=1" if nic.get("firewall") else ""
        text += f",hwaddr={nic['macAddress']}" if nic.get("macAddress") else ""
        text += f",ip={ip['address']}" if ip.get("address") else ""
        text += f",gw={ip['gateway']}" if ip.get("gateway") else ""
        text += f",mtu={nic['mtu']}" if nic.get("mtu") else ""
        text += f",tag={nic['vlanId']}" if nic.get("vlanId") else ""
        c[f"net{n}"] = text + ",type=veth"
    if i.get("tags"):
        c["tags"] = ";".join(i["tags"])
    if i.get("protection"):
        c["protection"] = 1
    if i.get("startOnBoot", True):
        c["onboot"] = 1
    return c
