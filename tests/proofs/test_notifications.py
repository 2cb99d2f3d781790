"""Notification routing over both stacks' plans: every failure PVE reports for backups, replication, HA fencing
and the restore drill reaches the admins, nothing else does; shown failing on widened and narrowed matchers."""

from __future__ import annotations

import dataclasses

import pytest

from proofs.notifications import MATCHER, recipients, routes
from tools.mockengine import Recording

# (severity, metadata) as PVE sends them (see model/notifications.py for the sources); the intent, by hand:
MUST_REACH = {
    "backup failed": ("error", {"type": "vzdump", "hostname": "pve1", "job-id": "alpha-nightly"}),
    "replication failed": ("error", {"type": "replication", "hostname": "pve2", "job-id": "3001-0"}),
    "node fenced": ("error", {"type": "fencing", "hostname": "pve3"}),
    "restore drill failed": ("error", {"type": "proxcloud-restore-drill", "hostname": "pve3"}),
}
MUST_NOT_REACH = {
    "backup succeeded": ("info", {"type": "vzdump", "hostname": "pve1", "job-id": "alpha-nightly"}),
    "package updates": ("info", {"type": "package-updates", "hostname": "pve1"}),
    "forwarded system mail": ("unknown", {"type": "system-mail", "hostname": "pve1"}),
    "another tool's error": ("error", {"type": "custom", "hostname": "pve1"}),
}


@pytest.mark.parametrize("case", sorted(MUST_REACH))
def test_failures_reach_the_admins(plan: Recording, case: str) -> None:
    severity, fields = MUST_REACH[case]
    assert routes(plan, severity, fields) == {"proxcloud-smtp"}
    assert recipients(plan, severity, fields) == {"ops@example.net"}


@pytest.mark.parametrize("case", sorted(MUST_NOT_REACH))
def test_nothing_else_reaches_them(plan: Recording, case: str) -> None:
    severity, fields = MUST_NOT_REACH[case]
    assert routes(plan, severity, fields) == set()


def _matcher_with(plan: Recording, **settings: object) -> Recording:
    out = []
    for r in plan.resources:
        if r.type == MATCHER:
            r = dataclasses.replace(r, inputs={**r.inputs, "settings": {**r.inputs["settings"], **settings}})
        out.append(r)
    return dataclasses.replace(plan, resources=out)


def test_twin_mode_any_would_mail_every_successful_backup(plan_prod: Recording) -> None:
    widened = _matcher_with(plan_prod, mode="any")
    assert routes(widened, *MUST_NOT_REACH["backup succeeded"]) == {"proxcloud-smtp"}


def test_twin_without_severity_success_is_mailed_too(plan_prod: Recording) -> None:
    widened = _matcher_with(plan_prod, **{"match-severity": []})
    assert routes(widened, *MUST_NOT_REACH["backup succeeded"]) == {"proxcloud-smtp"}


def test_twin_a_type_left_out_is_not_routed(plan_prod: Recording) -> None:
    narrowed = _matcher_with(plan_prod, **{"match-field": ["exact:type=vzdump,replication,proxcloud-restore-drill"]})
    assert routes(narrowed, *MUST_REACH["node fenced"]) == set()
