"""Tenant isolation and tenant usability over EVERY asset of the plan, in PVE's permission semantics.

Assets (each with its owner, a tenant or `provider`): pools, guests (owner: their pool's), SDN zones and VNets
(owner: the zone's tenant), bridges outside SDN (`/sdn/zones/localnetwork/<bridge>`, provider), storages (owner:
the tenant whose pool holds it (`pool.Membership`) or whose PBS namespace it is; else the provider), nodes.
Tenant principals are PVE's: the users in a tenant's group (`Tenant.group`) and their tokens, plus everything
they reach (proofs/reach.py). Privileges: proofs/pve_access.py; what they allow: proofs/capabilities.py.

Named checks (issue 14's findings):
- `reach` (1): a capability on an asset of someone else, only through a credential read from a guest;
- `provider-guest` (2): a guest on a network its tenant may not use, in a pool where the tenant may destroy it or
  change its options;
- `shared-storage` (3): a storage capability on a storage the tenant does not own (no quota in PVE; volumes for
  any owner VMID; leftovers pass to the next owner of the VMID);
- `vmid-squatting` (4): PVE accepts any free VMID; accepted only with the compensating control present;
- `acl-delegation` (5): a tenant principal passes `check_perm_modify` on some path;
- `guest-firewall` (6): a tenant may edit the firewall of a guest whose firewall the provider manages;
- `usable` (7): a job of the tenant's profile cannot be done (self-service, operator, monitoring);
- `foreign-asset`, `operator-forbidden`, `monitoring-exact`, `unknown-kind` (8): a direct capability on someone
  else's asset; an operator able to change hardware/lifecycle; a monitoring principal able to do more than
  Telegraf's proxmox input reads; a resource kind or storage this proof does not know (fail closed).
PVE-wide facts every user sees are proofs.capabilities.PVE_WIDE. What PVE cannot enforce is PVE_CANNOT_ENFORCE.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from proofs.capabilities import BY_NAME, CAPABILITIES
from proofs.privileges import ACL, CT, MEMBERSHIP, TENANT, TOKEN, USER, VM
from proofs.pve_access import PveAccess
from proofs.reach import reach
from tools.mockengine import Recording

PROVIDER = "provider"
ZONE = "proxmoxve:sdn/zone/vxlan:Vxlan"
VNET = "proxmoxve:sdn/vnet:Vnet"
PBS = "proxmoxve:storage/pbs:Pbs"
# Storages a plan can declare, with the content types PVE gives them when `contents` is not set (pve-storage
# src/PVE/Storage/*Plugin.pm plugindata `content` defaults).
STORAGE_TYPES: dict[str, frozenset[str]] = {
    PBS: frozenset({"backup"}),
    "proxmoxve:storage/directory:Directory": frozenset({"images", "rootdir"}),
    "proxmoxve:storage/zfspool:Zfspool": frozenset({"images", "rootdir"}),
    "proxmoxve:storage/lvmthin:Lvmthin": frozenset({"images", "rootdir"}),
    "proxmoxve:storage/nfs:Nfs": frozenset({"images"}),
}
RULES = "proxmoxve:firewall/rulesLegacy:RulesLegacy"
OPTIONS = "proxmoxve:firewall/optionsLegacy:OptionsLegacy"

# Every resource type the proof knows, with what it means for access. A type missing here fails the proof.
KINDS: dict[str, str] = {
    "pulumi:pulumi:Stack": "no PVE object",
    "pulumi:providers:proxmoxve": "the deploy credential (provider's, never in a guest)",
    "pulumi:providers:command": "no PVE object",
    "random:index/randomPassword:RandomPassword": "application secret (tenant's own guests)",
    "command:remote:Command": "input delivered into a guest: proofs/reach.py",
    "proxmoxve:index/poolLegacy:PoolLegacy": "asset: pool",
    "proxmoxve:pool/membership:Membership": "pool membership: owner of a guest or storage",
    "proxmoxve:index/vmLegacy:VmLegacy": "asset: guest",
    "proxmoxve:index/containerLegacy:ContainerLegacy": "asset: guest",
    "proxmoxve:sdn/zone/vxlan:Vxlan": "asset: zone",
    "proxmoxve:sdn/vnet:Vnet": "asset: VNet",
    "proxmoxve:sdn/subnet:Subnet": "part of its VNet (SDN.* on the VNet's path)",
    "proxmoxve:sdn/applier:Applier": "cluster SDN apply: SDN.Allocate on /sdn (provider)",
    "proxmoxve:storage/pbs:Pbs": "asset: storage",
    "proxmoxve:storage/directory:Directory": "asset: storage",
    "proxmoxve:storage/zfspool:Zfspool": "asset: storage",
    "proxmoxve:storage/lvmthin:Lvmthin": "asset: storage",
    "proxmoxve:storage/nfs:Nfs": "asset: storage",
    "proxmoxve:download/file:File": "volume on its storage (the storage's access)",
    "proxmoxve:index/fileLegacy:FileLegacy": "snippet on its storage; delivered into guests: proofs/reach.py",
    "proxmoxve:index/acl:Acl": "access config",
    "proxmoxve:index/roleLegacy:RoleLegacy": "access config",
    "proxmoxve:index/userLegacy:UserLegacy": "access config",
    "proxmoxve:index/groupLegacy:GroupLegacy": "access config",
    "proxmoxve:user/token:Token": "access config; a credential: proofs/reach.py",
    "proxmoxve:firewall/rulesLegacy:RulesLegacy": "guest/node/cluster firewall (guest: VM.Config.Network)",
    "proxmoxve:firewall/optionsLegacy:OptionsLegacy": "guest firewall options (VM.Config.Network)",
    "proxmoxve:firewall/ipsetLegacy:IpsetLegacy": "firewall object (its scope's access)",
    "proxmoxve:cluster/firewall/security/groupLegacy:GroupLegacy": "cluster firewall: Sys.Modify on / (provider)",
    "proxmoxve:cluster/firewallLegacy:FirewallLegacy": "cluster firewall: Sys.Modify on / (provider)",
    "proxmoxve:node/firewall:Firewall": "node firewall: Sys.Modify on /nodes/<n> (provider)",
    "proxmoxve:backup/job:Job": "cluster backup job: Sys.Modify on / (provider)",
    "proxmoxve:index/haresource:Haresource": "HA: Sys.Console on / (provider)",
    "proxmoxve:index/harule:Harule": "HA: Sys.Console on / (provider)",
    "proxmoxve:index/replication:Replication": "replication: VM.Replicate (provider)",
    "pulumi-python:dynamic/proxcloud:VnetFirewallRules": "VNet firewall: SDN.Allocate (provider)",
    "pulumi-python:dynamic/proxcloud:PveNotificationMatcher": "notifications: Sys.Modify on /mapping (provider)",
    "pulumi-python:dynamic/proxcloud:PveSmtpTarget": "notifications: Sys.Modify on /mapping (provider)",
}
# Storages a plan may use without declaring them: the PVE installer's defaults, with their plugin's content types
# (pve-storage src/PVE/Storage/DirPlugin.pm, ZFSPoolPlugin.pm plugindata): a zfspool holds images and rootdir only.
DEFAULT_STORAGES: dict[str, frozenset[str]] = {
    "local": frozenset({"iso", "vztmpl", "backup", "snippets", "import"}),
    "local-zfs": frozenset({"images", "rootdir"}),
    "local-lvm": frozenset({"images", "rootdir"}),
}
# What PVE cannot prevent, and the control that compensates (checked to exist).
PVE_CANNOT_ENFORCE: dict[str, str] = {
    "vmid-squatting": "tools.audit.findings Category.SQUAT (_squats): `make audit` reports an allocated VMID "
    "held by another guest",
    "cdrom-new-bus": "tools.audit drift: `make audit` reports a guest config that differs from the plan",
    "acl-delegation": "tools.audit.access: `make audit` runs the isolation proof on the live ACLs, so a tenant's "
    "VM privileges handed to another tenant's principal are a live isolation finding",
}
# The roots of PVE's ACL tree (pve-access-control AccessControl.pm check_path): provider-only.
PLATFORM_PATHS = ("/", "/access", "/access/groups", "/access/realm", "/nodes", "/pool", "/sdn", "/sdn/zones",
                  "/storage", "/vms", "/mapping")  # fmt: skip
OPERATOR_JOBS = ("vm.power", "vm.console", "vm.cdrom.insert")
MONITORING_NEEDS = ("vm.config.read", "vm.status")  # telegraf plugins/inputs/proxmox (b2726314): see usability


@dataclass(frozen=True, order=True)
class Finding:
    check: str
    who: str
    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.check}: {self.who} on {self.path}: {self.detail}"


@dataclass
class Assets:
    owner: dict[str, str]  # path -> tenant or provider
    kind: dict[str, str]  # path -> guest, pool, node, storage, vnet
    content: dict[str, frozenset[str]]  # storage path -> content types
    pool_of_tenant: dict[str, str]
    nics: dict[str, set[str]]  # guest path -> network paths of its NICs
    firewalled: set[str]  # guest paths whose firewall the plan manages


def _storage_ids(value: object, out: set[str]) -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if k == "datastoreId" and isinstance(v, str):
                out.add(v)
            elif k in ("importFrom", "fileId", "templateFileId") and isinstance(v, str) and ":" in v:
                out.add(v.split(":", 1)[0])
            else:
                _storage_ids(v, out)
    elif isinstance(value, list):
        for v in value:
            _storage_ids(v, out)


def inventory(rec: Recording, problems: list[Finding]) -> Assets:
    tenants = {r.inputs["pool"]: r.name for r in rec.by_type(TENANT)}
    zones = {r.inputs["zone"]: r.name for r in rec.by_type(TENANT)}
    a = Assets({}, {}, {}, {t: p for p, t in tenants.items()}, defaultdict(set), set())
    storages: set[str] = set()
    vnet_path: dict[str, str] = {}
    for r in rec.resources:
        if r.custom and r.type not in KINDS:
            problems.append(Finding("unknown-kind", r.type, r.name, "a resource kind the proof does not know"))
        _storage_ids(r.inputs, storages)
    for r in rec.by_type("proxmoxve:index/poolLegacy:PoolLegacy"):
        p = r.inputs["poolId"]
        a.owner[f"/pool/{p}"], a.kind[f"/pool/{p}"] = tenants.get(p, PROVIDER), "pool"
    for r in rec.by_type(ZONE):
        z = r.inputs["resourceId"]
        a.owner[f"/sdn/zones/{z}"], a.kind[f"/sdn/zones/{z}"] = zones.get(z, PROVIDER), "vnet"
    for r in rec.by_type(VNET):
        path = f"/sdn/zones/{r.inputs['zone']}/{r.inputs['resourceId']}"
        vnet_path[r.inputs["resourceId"]] = path
        a.owner[path], a.kind[path] = zones.get(r.inputs["zone"], PROVIDER), "vnet"
    member_pool = {}
    for r in rec.by_type(MEMBERSHIP):
        if r.inputs.get("storageId"):
            member_pool[r.inputs["storageId"]] = r.inputs["poolId"]
    storages |= set(member_pool)  # a pool's storage is an asset of the pool's owner, declared here or not
    for r in rec.resources:
        if r.type in STORAGE_TYPES:
            storages.add(r.inputs["resourceId"])
            contents = r.inputs.get("contents") or STORAGE_TYPES[r.type]
            a.content[f"/storage/{r.inputs['resourceId']}"] = frozenset(contents)
    pbs_ns = {r.inputs["resourceId"]: r.inputs.get("namespace") for r in rec.by_type(PBS)}
    tenant_names = set(tenants.values())
    for s in sorted(storages):
        path = f"/storage/{s}"
        if path not in a.content:
            if s not in DEFAULT_STORAGES:
                problems.append(Finding("unknown-kind", "storage", path, "a storage whose type the plan lacks"))
            a.content[path] = DEFAULT_STORAGES.get(s, frozenset())
        owner = tenants.get(member_pool.get(s, ""), PROVIDER)
        if owner == PROVIDER and pbs_ns.get(s) in tenant_names:
            owner = pbs_ns[s]
        a.owner[path], a.kind[path] = owner, "storage"
    for r in rec.resources:
        if r.type not in (VM, CT):
            continue
        path = f"/vms/{r.inputs['vmId']}"
        a.owner[path], a.kind[path] = tenants.get(r.inputs.get("poolId", ""), PROVIDER), "guest"
        for nic in r.inputs.get("networkDevices", []) + r.inputs.get("networkInterfaces", []):
            bridge = nic.get("bridge", "vmbr0")
            net = vnet_path.get(bridge, f"/sdn/zones/localnetwork/{bridge}")
            a.nics[path].add(net)
            a.owner.setdefault(net, PROVIDER)
            a.kind.setdefault(net, "vnet")
        node = f"/nodes/{r.inputs['nodeName']}"
        a.owner[node], a.kind[node] = PROVIDER, "node"
    for r in rec.by_type(ACL):  # every path an ACL names is an asset too (fail closed on what it reaches)
        path = r.inputs["path"].rstrip("/") or "/"
        if path in a.owner:
            continue
        if path.startswith("/storage/"):
            a.content.setdefault(path, DEFAULT_STORAGES.get(path.split("/")[2], frozenset()))
            if path.split("/")[2] not in DEFAULT_STORAGES:
                problems.append(Finding("unknown-kind", "storage", path, "a storage whose type the plan lacks"))
        kinds = {"vms": "guest", "pool": "pool", "nodes": "node", "storage": "storage", "sdn": "vnet"}
        top, depth = path.split("/")[1] if path != "/" else "", path.count("/")
        a.owner[path] = PROVIDER
        a.kind[path] = kinds[top] if top in kinds and depth >= 2 and path != "/sdn/zones" else "platform"
    for root in PLATFORM_PATHS:
        a.owner.setdefault(root, PROVIDER)
        a.kind.setdefault(root, "platform")
    for r in rec.by_type(RULES) + rec.by_type(OPTIONS):
        vmid = r.inputs.get("vmId", r.inputs.get("containerId"))
        if vmid is not None:
            a.firewalled.add(f"/vms/{int(vmid)}")
    return a


def tenant_principals(rec: Recording, model: PveAccess) -> dict[str, str]:
    """Principal -> tenant, by PVE group membership (a user in the tenant's group) and the tokens of those users."""
    group_tenant = {r.inputs["group"]: r.name for r in rec.by_type(TENANT)}
    out: dict[str, str] = {}
    for r in rec.by_type(USER):
        for g in r.inputs.get("groups", []):
            if g in group_tenant:
                out[r.inputs["userId"]] = group_tenant[g]
    for token, (user, _) in model.tokens.items():
        if user in out:
            out[token] = out[user]
    return out


def _can(model: PveAccess, who: str, path: str, name: str) -> bool:
    c = BY_NAME[name]
    return model.passes(who, path, c.privs, c.any_of)


def _caps(model: PveAccess, who: str, path: str, kind: str) -> list[str]:
    return [c.name for c in CAPABILITIES if c.kind == kind and model.passes(who, path, c.privs, c.any_of)]


def check_isolation(rec: Recording) -> list[Finding]:
    model = PveAccess.from_recording(rec)
    out: list[Finding] = []
    assets = inventory(rec, out)
    principals = tenant_principals(rec, model)
    for who, tenant in sorted(principals.items()):
        for holder, how in sorted(reach(model, rec, who).items()):
            for path, owner in sorted(assets.owner.items()):
                caps = _caps(model, holder, path, assets.kind[path])
                if owner == tenant:
                    if caps and holder != who:
                        pass  # its own asset through a token: no isolation matter
                    continue
                if not caps:
                    continue
                if holder != who:
                    out.append(Finding("reach", who, path, f"{', '.join(caps)} as {holder}, {how}"))
                elif assets.kind[path] == "storage":
                    out.append(Finding("shared-storage", who, path, f"{', '.join(caps)}; owner {owner}"))
                else:
                    out.append(Finding("foreign-asset", who, path, f"{', '.join(caps)}; owner {owner}"))
        for path in sorted(p for p, o in assets.owner.items() if o == tenant):
            # VM.Allocate on its pool (needed to create guests) passes check_perm_modify on each member guest:
            # PVE cannot prevent that; anywhere else it is a grant the program made and must not make.
            accepted = assets.kind[path] == "guest" and delegation_control()
            if model.can_modify_acl(who, path) and not accepted:
                out.append(Finding("acl-delegation", who, path, "passes check_perm_modify: can grant its roles"))
        for guest in sorted(p for p, o in assets.owner.items() if o == tenant and assets.kind[p] == "guest"):
            foreign = sorted(n for n in assets.nics[guest] if assets.owner.get(n) != tenant)
            if foreign and (_can(model, who, guest, "vm.destroy") or _can(model, who, guest, "vm.config.options")):
                out.append(Finding("provider-guest", who, guest, f"on {', '.join(foreign)}; tenant may destroy it"))
            if guest in assets.firewalled and _can(model, who, guest, "vm.firewall.edit"):
                out.append(Finding("guest-firewall", who, guest, "may edit the firewall the provider manages"))
        squat = [p for p, o in assets.owner.items() if o == tenant and assets.kind[p] == "pool"]
        if any(_can(model, who, p, "pool.create-vm") for p in squat) and not squatting_control():
            out.append(Finding("vmid-squatting", who, squat[0], "any free VMID, and no audit finding detects it"))
    return sorted(set(out))


def squatting_control() -> bool:
    """The compensating control of PVE_CANNOT_ENFORCE['vmid-squatting'] exists."""
    from tools.audit import findings

    return hasattr(findings.Category, "SQUAT") and callable(getattr(findings, "_squats", None))


def delegation_control() -> bool:
    """The compensating control of PVE_CANNOT_ENFORCE['acl-delegation'] exists."""
    from tools.audit import access

    return "check_isolation" in vars(access)


def _own(assets: Assets, tenant: str, kind: str) -> list[str]:
    return sorted(p for p, o in assets.owner.items() if o == tenant and assets.kind[p] == kind)


def check_usability(rec: Recording) -> list[Finding]:
    """Every job of every tenant's profile is possible for its people, on its own assets only."""
    model = PveAccess.from_recording(rec)
    out: list[Finding] = []
    assets = inventory(rec, out)
    people = tenant_principals(rec, model)
    for r in rec.by_type(TENANT):
        users = sorted(u for u, t in people.items() if t == r.name and u not in model.tokens)
        if not users:
            continue  # nobody to do the jobs yet: nothing to prove usable (isolation still holds for its assets)
        out += _tenant_jobs(model, assets, r.name, r.inputs.get("access", ""), users)
    out += _monitoring(rec, model, assets)
    return sorted(set(out))


def _tenant_jobs(model: PveAccess, assets: Assets, tenant: str, profile: str, users: list[str]) -> list[Finding]:
    """The jobs of one tenant's profile (issue 14 "Usability proof"), each needing a user able to do every step."""
    out: list[Finding] = []
    pool = f"/pool/{assets.pool_of_tenant[tenant]}"
    guests = _own(assets, tenant, "guest")
    storages = _own(assets, tenant, "storage")
    vnets = [v for v in _own(assets, tenant, "vnet") if v.count("/") == 4]

    def store(u: str, content: str, cap: str) -> bool:
        return any(content in assets.content[s] and _can(model, u, s, cap) for s in storages)

    jobs: dict[str, Callable[[str], bool]]
    if profile == "self-service":
        jobs = {
            "create a VM in its pool": lambda u: _can(model, u, pool, "pool.create-vm"),
            "create a container in its pool": lambda u: _can(model, u, pool, "pool.create-ct"),
            "allocate a disk on its own storage": lambda u: store(u, "images", "storage.allocate"),
            "allocate a container root disk on its own storage": lambda u: store(u, "rootdir", "storage.allocate"),
            # a tenant declared without VNets has none to attach to (a NIC on another's is isolation's matter)
            "attach a NIC to its own VNet": lambda u: not vnets or any(_can(model, u, v, "vnet.use") for v in vnets),
            "upload an ISO to its own storage": lambda u: store(u, "iso", "storage.upload"),
            "attach an ISO from its own storage": lambda u: store(u, "iso", "storage.read-iso"),
            "use the cloud image or a template": lambda u: (
                store(u, "import", "storage.read-iso") or store(u, "vztmpl", "storage.read-iso")
            ),
        }
        guest_jobs: tuple[str, ...] = ("vm.power", "vm.console", "vm.snapshot")
    else:
        jobs = {"insert an ISO from its own storage": lambda u: store(u, "iso", "storage.read-iso")}
        guest_jobs = OPERATOR_JOBS
    if any(_can(model, u, g, "vm.backup") for u in users for g in guests):  # backups offered
        jobs["back up and restore its guests"] = lambda u: store(u, "backup", "storage.allocate")
    for job, test in jobs.items():
        if not any(test(u) for u in users):
            out.append(Finding("usable", tenant, pool, f"{profile} cannot {job}"))
    for g in guests:
        for cap in guest_jobs:
            if not any(_can(model, u, g, cap) for u in users):
                out.append(Finding("usable", tenant, g, f"{profile} cannot {cap}"))
        for u in users if profile == "operator" else ():
            bad = [
                c.name
                for c in CAPABILITIES
                if c.kind == "guest"
                and c.hardware
                and c.name != "vm.cdrom.new-bus"  # PVE_CANNOT_ENFORCE: the same privilege as inserting an ISO
                and model.passes(u, g, c.privs, c.any_of)
            ]
            if bad:
                out.append(Finding("operator-forbidden", u, g, ", ".join(bad)))
    return out


def _monitoring(rec: Recording, model: PveAccess, assets: Assets) -> list[Finding]:
    """Telegraf's proxmox input (influxdata/telegraf plugins/inputs/proxmox/proxmox.go, b2726314) calls
    GET /nodes/{node}/dns (its search domain only; `performRequest` ignores the HTTP status and a 403's body is
    `{"data":null,"message":...}` - pve-http-server 5c9e4ea7 src/PVE/APIServer/Formatter/Standard.pm
    prepare_response_data - which decodes to an empty domain, and the run goes on), GET /nodes/{node}/qemu|lxc
    (lists what VM.Audit shows), .../{vmid}/status/current and .../{vmid}/config (VM.Audit).
    Its token needs VM.Audit on its tenant's guests and nothing else."""
    out: list[Finding] = []
    stacks = {r.urn: r.inputs["tenant"] for r in rec.by_type("proxcloud:index:MonitoringStack")}
    for r in rec.by_type(TOKEN):
        tenant = stacks.get(r.parent)
        if tenant is None:
            continue
        token = f"{r.inputs['userId']}!{r.inputs['tokenName']}"
        for path, owner in sorted(assets.owner.items()):
            caps = set(_caps(model, token, path, assets.kind[path]))
            if owner == tenant and assets.kind[path] == "guest":
                for need in MONITORING_NEEDS:
                    if need not in caps:
                        out.append(Finding("usable", token, path, f"Telegraf cannot {need}"))
                caps -= set(MONITORING_NEEDS)
            caps -= {"pool.read"} if owner == tenant else set()
            if caps:
                out.append(Finding("monitoring-exact", token, path, ", ".join(sorted(caps))))
    return out


def check_all(rec: Recording) -> list[Finding]:
    return sorted(set(check_isolation(rec)) | set(check_usability(rec)))


def known_table(stacks: tuple[str, ...] = ("dev", "prod")) -> str:
    """tests/support/access_known_violations.py as it would be for today's plans (review before pasting)."""
    from tools.mockengine import run_program

    lines = ["KNOWN_VIOLATIONS: dict[str, set[tuple[str, str, str, str]]] = {"]
    for stack in stacks:
        lines.append(f'    "{stack}": {{')
        lines += [f"        {(f.check, f.who, f.path, f.detail)!r}," for f in check_all(run_program(stack))]
        lines.append("    },")
    return "\n".join([*lines, "}"])


if __name__ == "__main__":
    import sys

    if sys.argv[1:] != ["--known"]:
        sys.exit("usage: python -m proofs.tenancy --known")
    print(known_table())
