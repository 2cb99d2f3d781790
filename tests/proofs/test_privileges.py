"""PVE permission semantics of the privilege model, each rule on a tiny hand-built graph."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import fakepve
import pytest
from fakepve import shapes

from proofs.privileges import ACL, ROLE, TOKEN, USER, VM, AccessModel, ProofError
from proofs.pve import BUILTIN_ROLES, PRIVILEGES
from tests.support.graph import recording, reg

A, B = "a.user@pve", "b.user@pve"


def model(*acls: dict, extra: tuple = ()) -> AccessModel:
    regs = [
        reg(ROLE, "r-read", roleId="read", privileges=["VM.Audit"]),
        reg(ROLE, "r-power", roleId="power", privileges=["VM.Audit", "VM.PowerMgmt"]),
        reg(USER, "ua", userId=A, groups=["ga"]),
        reg(USER, "ub", userId=B, groups=["gb"]),
        *extra,
    ]
    regs += [reg(ACL, f"acl{i}", **a) for i, a in enumerate(acls)]
    return AccessModel.from_recording(recording(*regs))


def test_privilege_list_is_pve9s() -> None:
    assert frozenset(shapes.PRIVILEGES) == PRIVILEGES


def test_builtin_roles_match_fakepve() -> None:
    for name, privs in shapes.ROLES.items():
        assert BUILTIN_ROLES[name] == frozenset(privs), name


def test_pve_api_schema_knows_every_privilege_we_grant() -> None:
    schema = Path(fakepve.__file__).parent / "data" / "pve-api.json.gz"
    with gzip.open(schema, "rt") as fh:
        text = fh.read()
    assert json.loads(text)["paths"]["/access/roles"]["POST"]["parameters"]["properties"]["privs"]
    from model.access import OPERATOR_VM, SDN_USER, SELF_SERVICE_VM, STORAGE_USER

    assert set(OPERATOR_VM + SELF_SERVICE_VM + SDN_USER + STORAGE_USER) <= PRIVILEGES


def test_propagate_inherits_down_the_tree() -> None:
    m = model({"path": "/vms", "roleId": "read", "groupId": "ga", "propagate": True})
    assert m.privileges(A, "/vms/100") == {"VM.Audit"}
    assert m.privileges(B, "/vms/100") == frozenset()


def test_without_propagate_only_the_path_itself() -> None:
    m = model({"path": "/vms", "roleId": "read", "groupId": "ga", "propagate": False})
    assert m.privileges(A, "/vms") == {"VM.Audit"}
    assert m.privileges(A, "/vms/100") == frozenset()


def test_more_specific_path_replaces_inherited_roles() -> None:
    m = model(
        {"path": "/", "roleId": "power", "groupId": "ga", "propagate": True},
        {"path": "/vms/100", "roleId": "read", "groupId": "ga", "propagate": True},
    )
    assert m.privileges(A, "/vms/100") == {"VM.Audit"}
    assert m.privileges(A, "/vms/101") == {"VM.Audit", "VM.PowerMgmt"}


def test_user_acl_wins_over_group_acl_at_the_same_level() -> None:
    m = model(
        {"path": "/vms/100", "roleId": "power", "groupId": "ga", "propagate": True},
        {"path": "/vms/100", "roleId": "read", "userId": A, "propagate": True},
    )
    assert m.privileges(A, "/vms/100") == {"VM.Audit"}


def test_noaccess_removes_everything() -> None:
    m = model(
        {"path": "/", "roleId": "power", "groupId": "ga", "propagate": True},
        {"path": "/vms/100", "roleId": "NoAccess", "groupId": "ga", "propagate": True},
    )
    assert m.privileges(A, "/vms/100") == frozenset()


def test_pool_members_inherit_the_pool_acl() -> None:
    vm = reg(VM, "vm100", vmId=100, poolId="pa", nodeName="n1")
    m = model({"path": "/pool/pa", "roleId": "power", "groupId": "ga", "propagate": True}, extra=(vm,))
    assert m.privileges(A, "/vms/100") == {"VM.Audit", "VM.PowerMgmt"}
    assert m.privileges(A, "/vms/101") == frozenset()


def test_token_with_privilege_separation_is_the_intersection() -> None:
    tok = reg(TOKEN, "tok", userId=A, tokenName="t", privilegesSeparation=True)
    m = model(
        {"path": "/", "roleId": "power", "userId": A, "propagate": True},
        {"path": "/vms", "roleId": "read", "tokenId": f"{A}!t", "propagate": True},
        extra=(tok,),
    )
    assert m.privileges(f"{A}!t", "/vms/1") == {"VM.Audit"}
    assert m.privileges(f"{A}!t", "/nodes/n1") == frozenset()


def test_token_without_privilege_separation_is_the_user() -> None:
    tok = reg(TOKEN, "tok", userId=A, tokenName="t", privilegesSeparation=False)
    m = model({"path": "/", "roleId": "power", "userId": A, "propagate": True}, extra=(tok,))
    assert m.privileges(f"{A}!t", "/vms/1") == {"VM.Audit", "VM.PowerMgmt"}


def test_unknown_role_fails_closed() -> None:
    with pytest.raises(ProofError, match="does not define"):
        model({"path": "/", "roleId": "PVEVMAdmin", "groupId": "ga", "propagate": True})


def test_unknown_privilege_fails_closed() -> None:
    with pytest.raises(ProofError, match="unknown privileges"):
        AccessModel.from_recording(recording(reg(ROLE, "r", roleId="x", privileges=["VM.Everything"])))
