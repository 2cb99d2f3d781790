"""AuditPrincipal: the read-only identity `make audit` reads a running cluster with (tools/audit).

`audit@pve` and its API token `audit` with privilege separation, both holding PVEAuditor on `/` (propagated): the
token may read everything the audit compares (access, SDN, firewall, guests, storages, HA, jobs, usage history)
and write nothing. The user has no password, so it cannot log in; only the token authenticates. The token value
is exported as the secret stack output `auditToken` (docs/operations.md: "Audit a running cluster").
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_proxmoxve as px

AUDITOR = "PVEAuditor"


def token_acl_options(token: px.user.Token, opts: pulumi.ResourceOptions) -> pulumi.ResourceOptions:
    """An ACL entry of a token goes with the token: PVE drops the ACL entries of a token that no longer exists
    when it next reads user.cfg (pve-access-control src/PVE/AccessControl.pm parse_user_config: "ignore invalid
    acl token"), so a rotated token would have no privileges while the Acl resource, its inputs unchanged, stays.
    `replace_with` replaces the entry whenever the token is replaced, deleted first (its id - path, role, token -
    is fixed: PUT /access/acl is idempotent and the old delete would remove the new entry)."""
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(replace_with=[token], delete_before_replace=True))


@dataclass
class AuditPrincipalArgs:
    """Inputs of AuditPrincipal."""

    user_id: str = "audit@pve"
    """The audit user (PVE realm: no system account behind it)."""
    token_name: str = "audit"
    """The token's name; the token id is `<user_id>!<token_name>`."""


class AuditPrincipal(pulumi.ComponentResource):
    """`token_id` is `audit@pve!audit`; `token_value` the full `audit@pve!audit=<uuid>`, a secret."""

    token_id: str
    token_value: pulumi.Output[str]

    def __init__(
        self, name: str, args: AuditPrincipalArgs | None = None, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        args = args or AuditPrincipalArgs()
        super().__init__("proxcloud:index:AuditPrincipal", name, {"user": args.user_id}, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.user = px.UserLegacy(
            f"{name}-user",
            user_id=args.user_id,
            comment="read-only auditor of the whole cluster (make audit); token login only",
            enabled=True,
            opts=child,
        )
        self.token = px.user.Token(
            f"{name}-token",
            user_id=self.user.user_id,
            token_name=args.token_name,
            privileges_separation=True,
            comment="make audit: read-only (PVEAuditor on /)",
            # The token id is fixed (bpg fwprovider/access/resource_user_token.go: user_id and token_name
            # RequiresReplace, id `<user_id>!<token_name>`): a rotation (`pulumi up --replace`) must delete the
            # old token before creating the new one, or the create fails with "already exists".
            opts=pulumi.ResourceOptions(parent=self, delete_before_replace=True),
        )
        self.token_id = f"{args.user_id}!{args.token_name}"
        # With privilege separation the token holds what both its own ACL and its user's grant (the intersection).
        after = pulumi.ResourceOptions(parent=self, depends_on=[self.token])
        self.acls = [
            px.Acl(f"{name}-{who}-root", path="/", role_id=AUDITOR, propagate=True, **principal, opts=opts_)
            for who, principal, opts_ in (
                ("user", {"user_id": self.user.user_id}, after),
                ("token", {"token_id": self.token_id}, token_acl_options(self.token, after)),
            )
        ]
        self.token_value = pulumi.Output.secret(self.token.value)
        self.register_outputs({"token_id": self.token_id, "token_value": self.token_value})
