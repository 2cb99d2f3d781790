"""Effective privileges exactly as PVE computes them, and PVE's ACL-modify rule.

Source: proxmox/pve-access-control (read at 5ccd07d9), `src/PVE/RPCEnvironment.pm` `permissions()` /
`$compile_acl_path`, `src/PVE/AccessControl.pm` `roles()`, `RPCEnvironment.pm` `check_perm_modify()`.

Modelled:
- `roles()`: walk `/` down to the path; at each level the principal's token ACLs, else its user ACLs, else the
  ACLs of its groups replace what came from above (propagate=false only at its own level); a NoAccess role left
  at the end is all that counts (proofs.privileges.AccessModel._roles_at does this walk);
- pools (`$compile_acl_path`): the roles the principal holds on `/pool/<p>` are added to `/vms/<id>` and
  `/storage/<id>` of the pool's members, unless the path's own roles hold NoAccess; a NoAccess among the pool
  roles replaces everything;
- tokens: without privilege separation the owner's permissions; with it the token's own (pool included)
  intersected with the owner's (pool included): (user + user-pool) & (token + token-pool); a privsep token is
  in no group (groups list users, not tokens);
- `check_perm_modify(path)`: Permissions.Modify, or on `/vms/..` VM.Allocate, on `/storage/..`
  Datastore.Allocate, on `/pool/..` Pool.Allocate (any of them): who passes may hand out any role whose
  privileges it holds on that path (`API2/ACL.pm` `update_acl`).
Not modelled: root@pam (not a tenant principal), realms, token expiry, the propagate bit of delegated roles.
"""

from __future__ import annotations

from proofs.privileges import AccessModel


class PveAccess(AccessModel):
    """The plan's access configuration, judged with RPCEnvironment.pm's arithmetic."""

    def roles_of(self, principal: str, path: str) -> set[str]:
        """AccessControl.pm `roles()` (no pools)."""
        if principal in self.tokens:
            user, privsep = self.tokens[principal]
            if not privsep:
                return self.roles_of(user, path)
            roles = self._roles_at(path, token=principal)
        else:
            roles = self._roles_at(path, user=principal)
        return {"NoAccess"} if "NoAccess" in roles else roles

    def _compiled(self, principal: str, path: str) -> frozenset[str]:
        """`$compile_acl_path` for a user or a privsep token (before the token/user intersection)."""
        roles = self.roles_of(principal, path)
        pool = self.pool_of.get(path)
        if pool is not None and "NoAccess" not in roles:
            pool_roles = self.roles_of(principal, f"/pool/{pool}")
            roles = {"NoAccess"} if "NoAccess" in pool_roles else roles | pool_roles
        # privileges are the union of the roles' (NoAccess holds none); the NoAccess rules are all above
        return frozenset().union(*(self.roles[r] for r in roles))

    def privileges(self, principal: str, path: str) -> frozenset[str]:
        """RPCEnvironment.pm `permissions()`."""
        if principal in self.tokens:
            user, privsep = self.tokens[principal]
            if not privsep:
                return self.privileges(user, path)
            return self._compiled(principal, path) & self.privileges(user, path)
        return self._compiled(principal, path)

    def passes(self, principal: str, path: str, privs: tuple[str, ...], any_of: bool = False) -> bool:
        """`$rpcenv->check` (all) / `check_any`; the pseudo-privilege `perm-modify` is `check_perm_modify`."""
        if privs == ("perm-modify",):
            return self.can_modify_acl(principal, path)
        held = self.privileges(principal, path)
        return any(p in held for p in privs) if any_of else all(p in held for p in privs)

    def can_modify_acl(self, principal: str, path: str) -> bool:
        """RPCEnvironment.pm `check_perm_modify`."""
        extra = {"/vms/": "VM.Allocate", "/storage/": "Datastore.Allocate", "/pool/": "Pool.Allocate"}
        wanted = {"Permissions.Modify"} | {p for prefix, p in extra.items() if path.startswith(prefix)}
        return bool(wanted & self.privileges(principal, path))
