"""RPCEnvironment.pm's arithmetic where it differs from the simpler model (proofs/privileges.py), each on a tiny
graph, and check_perm_modify."""

from __future__ import annotations

from proofs.privileges import ACL, MEMBERSHIP, ROLE, TOKEN, USER, VM, AccessModel
from proofs.pve_access import PveAccess
from tests.support.graph import recording, reg

A = "a.user@pve"
TOK = f"{A}!t"


def build(*acls: dict, privsep: bool = True) -> list:
    return [
        reg(ROLE, "r-read", roleId="read", privileges=["VM.Audit"]),
        reg(ROLE, "r-power", roleId="power", privileges=["VM.Audit", "VM.PowerMgmt"]),
        reg(ROLE, "r-alloc", roleId="alloc", privileges=["VM.Allocate", "VM.Audit"]),
        reg(ROLE, "r-dsalloc", roleId="dsalloc", privileges=["Datastore.Allocate"]),
        reg(USER, "ua", userId=A, groups=["ga"]),
        reg(TOKEN, "tok", userId=A, tokenName="t", privilegesSeparation=privsep),
        reg(VM, "vm100", vmId=100, poolId="p", nodeName="n1"),
        reg(MEMBERSHIP, "m", poolId="p", storageId="s1"),
        *(reg(ACL, f"acl{i}", **a) for i, a in enumerate(acls)),
    ]


def both(*acls: dict, privsep: bool = True) -> tuple[PveAccess, AccessModel]:
    rec = recording(*build(*acls, privsep=privsep))
    return PveAccess.from_recording(rec), AccessModel.from_recording(rec)


def test_token_is_user_with_pool_intersected_with_token_with_pool() -> None:
    # user: power on the pool; token: read on the VM itself. PVE: ({} + power) & (read + {}) = {VM.Audit}
    exact, simple = both(
        {"path": "/pool/p", "roleId": "power", "userId": A, "propagate": True},
        {"path": "/vms/100", "roleId": "read", "tokenId": TOK, "propagate": True},
    )
    assert exact.privileges(TOK, "/vms/100") == {"VM.Audit"}
    assert simple.privileges(TOK, "/vms/100") == frozenset()  # the old arithmetic: (U & T) + (Upool & Tpool)


def test_pool_noaccess_overrides_the_paths_own_roles() -> None:
    exact, simple = both(
        {"path": "/vms/100", "roleId": "power", "userId": A, "propagate": True},
        {"path": "/pool/p", "roleId": "NoAccess", "userId": A, "propagate": True},
    )
    assert exact.privileges(A, "/vms/100") == frozenset()
    assert simple.privileges(A, "/vms/100") == {"VM.Audit", "VM.PowerMgmt"}


def test_the_paths_own_noaccess_is_not_trumped_by_the_pool() -> None:
    exact, _ = both(
        {"path": "/vms/100", "roleId": "NoAccess", "userId": A, "propagate": True},
        {"path": "/pool/p", "roleId": "power", "userId": A, "propagate": True},
    )
    assert exact.privileges(A, "/vms/100") == frozenset()


def test_pool_roles_reach_member_storages() -> None:
    exact, _ = both({"path": "/pool/p", "roleId": "dsalloc", "groupId": "ga", "propagate": True})
    assert exact.privileges(A, "/storage/s1") == {"Datastore.Allocate"}
    assert exact.privileges(A, "/storage/s2") == frozenset()


def test_token_without_privilege_separation_is_its_user() -> None:
    exact, _ = both({"path": "/pool/p", "roleId": "power", "groupId": "ga", "propagate": True}, privsep=False)
    assert exact.privileges(TOK, "/vms/100") == {"VM.Audit", "VM.PowerMgmt"}


def test_a_privsep_token_is_in_no_group() -> None:
    exact, _ = both(
        {"path": "/pool/p", "roleId": "power", "groupId": "ga", "propagate": True},
        {"path": "/pool/p", "roleId": "power", "tokenId": TOK, "propagate": True},
    )
    assert exact.privileges(TOK, "/vms/100") == {"VM.Audit", "VM.PowerMgmt"}
    exact, _ = both({"path": "/pool/p", "roleId": "power", "groupId": "ga", "propagate": True})
    assert exact.privileges(TOK, "/vms/100") == frozenset()


def test_check_perm_modify_vm_allocate_on_a_pool_member() -> None:
    exact, _ = both({"path": "/pool/p", "roleId": "alloc", "groupId": "ga", "propagate": True})
    assert exact.can_modify_acl(A, "/vms/100")  # VM.Allocate through the pool: may hand out its roles
    assert not exact.can_modify_acl(A, "/pool/p")  # needs Pool.Allocate there
    assert not exact.can_modify_acl(A, "/vms/101")


def test_check_perm_modify_datastore_allocate_on_storage() -> None:
    exact, _ = both({"path": "/storage/s2", "roleId": "dsalloc", "userId": A, "propagate": True})
    assert exact.can_modify_acl(A, "/storage/s2")
    assert not exact.can_modify_acl(A, "/vms/100")
