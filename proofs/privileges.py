"""Effective PVE privileges computed from a planned graph, with PVE's own semantics.

Modelled (pve-access-control `roles()` and RPCEnvironment `permissions()`):
- roles -> privileges: custom roles from the plan's RoleLegacy, built-in roles from proofs.pve (unknown: fail);
- ACLs (`Acl`: path, role, user | group | token, propagate) evaluated from `/` down to the path: at each level
  the user's own ACLs, if any apply, replace what came from above and win over group ACLs at that level;
  otherwise the ACLs of the user's groups at that level, if any, replace what came from above; an ACL with
  propagate=false applies only at its own path; the NoAccess role at the winning level removes everything;
- group membership from UserLegacy.groups;
- pool members: `/vms/<id>` and `/storage/<id>` of a pool member also get what `/pool/<pool>` grants (union);
- API tokens (`user.Token`): with privilege separation the token holds the intersection of its user's and its
  own ACLs' privileges; without it, exactly its user's.
Not modelled: realms' own rules, `root@pam` (not a tenant principal), ACLs that exist in PVE but not in the plan
(the plan owns PVE's access config; anything else is drift, audited separately).

Soundness of "anywhere": privileges at any path come from ACLs on that path or its ancestors (plus pool
membership), so checking every ACL path in the plan and every pool member path covers every path in PVE.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from proofs.pve import BUILTIN_ROLES, PRIVILEGES
from tools.mockengine import Recording, Registration

ROLE = "proxmoxve:index/roleLegacy:RoleLegacy"
ACL = "proxmoxve:index/acl:Acl"
USER = "proxmoxve:index/userLegacy:UserLegacy"
TOKEN = "proxmoxve:user/token:Token"
VM = "proxmoxve:index/vmLegacy:VmLegacy"
CT = "proxmoxve:index/containerLegacy:ContainerLegacy"
MEMBERSHIP = "proxmoxve:pool/membership:Membership"
TENANT = "proxcloud:index:Tenant"


class ProofError(Exception):
    """The plan cannot be reasoned about (e.g. an ACL names a role nobody defines)."""


@dataclass(frozen=True)
class AclEntry:
    path: str
    role: str
    propagate: bool
    user: str | None = None
    group: str | None = None
    token: str | None = None


def _ancestors(path: str) -> list[str]:
    """`/a/b/c` -> [`/`, `/a`, `/a/b`, `/a/b/c`]."""
    parts = [p for p in path.split("/") if p]
    return ["/"] + ["/" + "/".join(parts[: i + 1]) for i in range(len(parts))]


@dataclass
class AccessModel:
    """PVE's access configuration as the plan would leave it."""

    roles: dict[str, frozenset[str]] = field(default_factory=dict)
    groups_of: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    tokens: dict[str, tuple[str, bool]] = field(default_factory=dict)  # token id -> (user id, privsep)
    acls: list[AclEntry] = field(default_factory=list)
    pool_of: dict[str, str] = field(default_factory=dict)  # member path (/vms/100, /storage/x) -> pool
    tenant_of: dict[str, str] = field(default_factory=dict)  # principal (user or token id) -> tenant name

    @classmethod
    def from_recording(cls, rec: Recording) -> AccessModel:
        model = cls(roles=dict(BUILTIN_ROLES))
        by_urn = rec.by_urn()

        def tenant(r: Registration) -> str | None:
            parent = r.parent
            while parent is not None and parent in by_urn:
                owner = by_urn[parent]
                if owner.type == TENANT:
                    return owner.name
                parent = owner.parent
            return None

        for r in rec.resources:
            i = r.inputs
            if r.type == ROLE:
                unknown = set(i.get("privileges", [])) - PRIVILEGES
                if unknown:
                    raise ProofError(f"role {i['roleId']} names unknown privileges {sorted(unknown)}")
                model.roles[i["roleId"]] = frozenset(i.get("privileges", []))
            elif r.type == USER:
                model.groups_of[i["userId"]].update(i.get("groups", []))
                owner = tenant(r)
                if owner:
                    model.tenant_of[i["userId"]] = owner
            elif r.type == TOKEN:
                token_id = f"{i['userId']}!{i['tokenName']}"
                model.tokens[token_id] = (i["userId"], bool(i.get("privilegesSeparation", True)))
            elif r.type == ACL:
                model.acls.append(
                    AclEntry(
                        path=i["path"],
                        role=i["roleId"],
                        propagate=bool(i.get("propagate", True)),
                        user=i.get("userId"),
                        group=i.get("groupId"),
                        token=i.get("tokenId"),
                    )
                )
            elif r.type in (VM, CT) and i.get("poolId"):
                model.pool_of[f"/vms/{i['vmId']}"] = i["poolId"]
            elif r.type == MEMBERSHIP:
                if i.get("vmId") is not None:
                    model.pool_of[f"/vms/{i['vmId']}"] = i["poolId"]
                if i.get("storageId"):
                    model.pool_of[f"/storage/{i['storageId']}"] = i["poolId"]
        for token_id, (user, _) in model.tokens.items():
            if user in model.tenant_of:
                model.tenant_of[token_id] = model.tenant_of[user]
        for acl in model.acls:
            if acl.role not in model.roles:
                raise ProofError(f"ACL on {acl.path} uses role {acl.role}, which the plan does not define")
        return model

    # --- evaluation ---

    def _acls_by_path(self) -> dict[str, list[AclEntry]]:
        if getattr(self, "_index", None) is None or self._indexed != len(self.acls):
            index: dict[str, list[AclEntry]] = defaultdict(list)
            for acl in self.acls:
                index[acl.path].append(acl)
            self._index, self._indexed = index, len(self.acls)
        return self._index

    def _roles_at(self, path: str, *, user: str | None = None, token: str | None = None) -> set[str]:
        by_path = self._acls_by_path()
        groups = self.groups_of.get(user, set()) if user else set()
        current: set[str] = set()
        for level in _ancestors(path):
            final = level == path
            entries = [a for a in by_path.get(level, []) if a.propagate or final]
            if token is not None:
                own = {a.role for a in entries if a.token == token}
                if own:
                    current = own
                continue
            own = {a.role for a in entries if a.user == user}
            if own:
                current = own
                continue
            via_groups = {a.role for a in entries if a.group is not None and a.group in groups}
            if via_groups:
                current = via_groups
        return current

    def _privs(self, roles: set[str]) -> frozenset[str]:
        if "NoAccess" in roles:
            return frozenset()
        out: set[str] = set()
        for role in roles:
            out |= self.roles[role]
        return frozenset(out)

    def _path_privs(self, principal: str, path: str) -> frozenset[str]:
        if principal in self.tokens:
            user, privsep = self.tokens[principal]
            user_privs = self._privs(self._roles_at(path, user=user))
            if not privsep:
                return user_privs
            return user_privs & self._privs(self._roles_at(path, token=principal))
        return self._privs(self._roles_at(path, user=principal))

    def privileges(self, principal: str, path: str) -> frozenset[str]:
        """What `principal` (a user id or a token id `user@realm!name`) may do on `path`."""
        privs = self._path_privs(principal, path)
        pool = self.pool_of.get(path)
        if pool is not None:
            privs |= self._path_privs(principal, f"/pool/{pool}")
        return privs

    def principals(self) -> list[str]:
        return sorted(set(self.groups_of) | set(self.tokens))

    def relevant_paths(self, extra: set[str] | None = None) -> list[str]:
        """Every path where a privilege can appear (see the module docstring), plus `extra`."""
        return sorted({"/"} | {a.path for a in self.acls} | set(self.pool_of) | (extra or set()))
