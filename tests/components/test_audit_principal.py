"""AuditPrincipal: the token `make audit` reads with exists in every stack, reads everything and writes nothing."""

from __future__ import annotations

from proofs.isolation import AUDIT_ONLY, tenant_assets
from proofs.privileges import ACL, TOKEN, USER, AccessModel
from tests.support.graph import reg
from tools.mockengine import Recording

TOKEN_ID = "audit@pve!audit"


def test_user_token_and_acls_are_planned(plan: Recording) -> None:
    user = plan.one(USER, "audit-user").inputs
    token = plan.one(TOKEN, "audit-token").inputs
    assert user["userId"] == "audit@pve" and "password" not in user  # token login only
    assert token["tokenName"] == "audit" and token["privilegesSeparation"] is True
    acls = [a.inputs for a in plan.by_type(ACL) if a.parent == plan.one("proxcloud:index:AuditPrincipal", "audit").urn]
    assert sorted((a.get("userId") or a.get("tokenId"), a["path"], a["roleId"], a["propagate"]) for a in acls) == [
        ("audit@pve", "/", "PVEAuditor", True),
        (TOKEN_ID, "/", "PVEAuditor", True),
    ]
    assert plan.outputs["auditToken"] == "[secret]"


def _paths(plan: Recording, model: AccessModel) -> list[str]:
    return model.relevant_paths({p for paths in tenant_assets(plan, model).values() for p in paths})


def test_the_token_reads_everything_and_writes_nothing(plan: Recording) -> None:
    model = AccessModel.from_recording(plan)
    for path in _paths(plan, model):
        assert model.privileges(TOKEN_ID, path) == frozenset(AUDIT_ONLY), path
        assert model.privileges("audit@pve", path) == frozenset(AUDIT_ONLY), path


def test_a_widened_auditor_is_seen(plan_dev: Recording) -> None:
    """Twin: had the token no privilege separation and its user Administrator, the check above would fail."""
    extra = [
        reg(TOKEN, "wide-token", userId="audit@pve", tokenName="audit", privilegesSeparation=False),
        reg(ACL, "wide-acl", path="/", roleId="Administrator", propagate=True, userId="audit@pve"),
    ]
    model = AccessModel.from_recording(Recording(resources=[*plan_dev.resources, *extra]))
    assert "Sys.Modify" in model.privileges(TOKEN_ID, "/")


def test_fixed_id_tokens_rotate_delete_first_and_take_their_acls_along(plan: Recording) -> None:
    """Issue 15 item 5: a token id is fixed (`pulumi up --replace` of a create-before-delete token fails with
    "already exists"), and PVE drops a deleted token's ACL entries, so the token's ACLs are replaced with it."""
    import pulumi

    from components.audit import token_acl_options

    tokens = plan.by_type(TOKEN)
    assert tokens and all(t.options()["deleteBeforeReplace"] is True for t in tokens)
    token_acls = [a for a in plan.by_type(ACL) if "tokenId" in a.inputs]
    assert token_acls and all(a.options()["deleteBeforeReplace"] is True for a in token_acls)
    user_acls = [a for a in plan.by_type(ACL) if "tokenId" not in a.inputs and "userId" in a.inputs]
    assert not any(a.options()["deleteBeforeReplace"] for a in user_acls)  # twin: only the token's entries
    opts = token_acl_options("the-token", pulumi.ResourceOptions(protect=True))  # type: ignore[arg-type]
    assert opts.replace_with == ["the-token"] and opts.delete_before_replace and opts.protect


def test_initial_passwords_are_never_applied_again(plan: Recording) -> None:
    """A UserLegacy password change goes through PUT /access/password, which refuses API tokens: the program
    sets the initial password only (issue 15 item 5)."""
    with_password = [u for u in plan.by_type(USER) if "password" in u.inputs]
    assert with_password and all("password" in u.options()["ignoreChanges"] for u in with_password)
