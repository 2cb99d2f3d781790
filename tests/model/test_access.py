"""model/access.py: the grants of every profile stay on the tenant's own paths and never hold a privilege that
passes PVE's ACL-modify check or edits storages, pools, the cluster or SDN (issue 14 finding 5)."""

from __future__ import annotations

import dataclasses

import pytest

from model.access import NEVER_GRANTED, grants
from model.models import AccessProfile
from model.platform import Platform


def forbidden(privileges: tuple[str, ...]) -> set[str]:
    return set(privileges) & set(NEVER_GRANTED)


@pytest.mark.parametrize("backups", [True, False])
def test_no_grant_holds_a_delegating_privilege(spec_prod: Platform, backups: bool) -> None:
    for t in spec_prod.tenants:
        for g in grants(t, backups):
            assert not forbidden(g.privileges), (t.name, g.purpose)
            assert all(p.startswith(("/pool/", "/sdn/zones/", "/storage/")) for p in g.paths)


def test_the_twin_a_pool_allocate_grant_is_caught() -> None:
    assert forbidden(("VM.Audit", "Pool.Allocate")) == {"Pool.Allocate"}


def test_backup_privilege_only_with_a_backup_storage(spec_prod: Platform) -> None:
    t = next(t for t in spec_prod.tenants if t.access is AccessProfile.SELF_SERVICE)
    with_backups = {g.purpose: g for g in grants(t, backups=True)}
    assert "VM.Backup" in with_backups["vm-builder"].privileges
    assert with_backups["backup-user"].paths == (f"/storage/pbs-{t.name}",)
    without = {g.purpose: g for g in grants(t, backups=False)}
    assert "VM.Backup" not in without["vm-builder"].privileges and "backup-user" not in without


def test_storage_grants_name_only_the_tenants_own_storages(spec_prod: Platform) -> None:
    for t in spec_prod.tenants:
        paths = {p for g in grants(t, True) for p in g.paths if p.startswith("/storage/")}
        own = {f"/storage/{t.name}-iso", f"/storage/pbs-{t.name}"}
        if t.access is AccessProfile.SELF_SERVICE:
            own |= {f"/storage/{t.name}-disks"} | {f"/storage/{s}" for s in t.storages}
        else:
            own -= {f"/storage/pbs-{t.name}"}
        assert paths == own
    shared = dataclasses.replace(spec_prod.tenants[0], storages=("tank-x",))
    assert "/storage/tank-x" in {p for g in grants(shared) for p in g.paths}
