"""Stack settings of the notification system and the restore drill: shipped values, and every bad input refused
with file, field and fix; the drill's guest list and the scratch-ID rules (no allocation can ever reach them)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.drill import drill_guests, mirrored_by
from model.errors import SpecError
from model.load import _mirror
from model.notifications import admin_addresses
from model.platform import Platform
from tests.support.model_inputs import BACKUP, CFG, CONFIG, load, tenant, vm

NOTIFY = {"server": "smtp.example.net", "fromAddress": "pve@example.net"}
DRILL = {"node": "pve2", "scratchIds": {"first": 999999900, "last": 999999909}}


def test_shipped_stacks_notify_the_admin_and_prod_drills(spec_dev: Platform, spec_prod: Platform) -> None:
    for p in (spec_dev, spec_prod):
        n = p.settings.notifications
        assert n is not None and n.effective_port == 465 and n.mode == "tls" and n.username
        assert admin_addresses(p.settings) == ["ops@example.net"]  # backup.mailto, the stack's admin address
    assert spec_dev.settings.backup.restore_drill is None
    d = spec_prod.settings.backup.restore_drill
    assert d is not None and d.node == "pve3" and d.guests_per_run == 3


def test_default_ports_per_mode(tmp_path: Path) -> None:
    for mode, port in (("tls", 465), ("starttls", 587), ("insecure", 25)):
        p = load(tmp_path, [tenant()], {**CONFIG, "notifications": {**NOTIFY, "mode": mode}, "backup": BACKUP})
        assert p.settings.notifications.effective_port == port
    own = load(tmp_path, [tenant()], {**CONFIG, "notifications": {**NOTIFY, "mailto": ["a@example.net"]}})
    assert admin_addresses(own.settings) == ["a@example.net"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"server": "smtp example"},
            r"proxcloud:notifications\.server: .*'smtp example' is neither a host name nor an IP address",
        ),
        ({"fromAddress": "pve"}, r"proxcloud:notifications\.fromAddress: .*'pve' is not a valid e-mail address"),
        ({"mode": "ssl"}, r"proxcloud:notifications\.mode: Input should be 'tls', 'starttls' or 'insecure'"),
        ({"port": 0}, r"proxcloud:notifications\.port: Input should be greater than or equal to 1"),
        (
            {"mailto": ["ops", "a@b.example"]},
            r"proxcloud:notifications\.mailto\[0\]: 'ops' is not a valid e-mail address",
        ),
        ({"password": "x"}, r"proxcloud:notifications\.password: unknown key"),
    ],
    ids=["server", "from", "mode", "port", "mailto", "password-is-a-secret"],
)
def test_bad_notifications_are_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant()], {**CONFIG, "notifications": {**NOTIFY, **change}})


def test_notifications_need_an_admin_address(tmp_path: Path) -> None:
    with pytest.raises(SpecError) as err:
        load(tmp_path, [tenant()], {**CONFIG, "notifications": NOTIFY})
    assert str(err.value) == (
        "Pulumi.dev.yaml: proxcloud:notifications.mailto: no admin address: the stack has neither "
        "notifications.mailto nor backup.mailto (fix: list the admins' addresses in notifications.mailto)"
    )


def drill_cfg(**change: Any) -> dict[str, Any]:
    return {**CFG, "backup": {**BACKUP, "restoreDrill": {**DRILL, **change}}}


def test_a_good_drill_loads(tmp_path: Path) -> None:
    p = load(tmp_path, [tenant(vms=[vm(vnet="acmeweb", address="192.168.10.10")])], drill_cfg())
    d = p.settings.backup.restore_drill
    assert (d.schedule, d.guests_per_run, d.boot_timeout) == ("Sun *-*-* 10:00", 2, 300)
    assert [(g.vm_id, g.kind, g.storage) for g in drill_guests(p)[0]] == [(1001, "qemu", "pbs-acme")]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"node": "pve9"}, r"restoreDrill\.node: 'pve9' is not a node of this stack"),
        (
            {"scratchIds": {"first": 5000, "last": 5009}},
            r"restoreDrill\.scratchIds: 5000-5009 meets 1000-9999999, the IDs tenant number \* 1000 \+ slot gives "
            r"\(fix: use IDs from 10000000 up",
        ),
        (
            {"scratchIds": {"first": 1921681010, "last": 1921681010}},
            r"less than or equal to 999999999",
        ),
        (
            {"scratchIds": {"first": 10101006, "last": 10101010}},
            r"restoreDrill\.scratchIds: 5 of these IDs can be a guest's `mirror` VM ID: 10101006 \(mirror of "
            r"10\.10\.100\.6\)",
        ),
        ({"scratchIds": {"first": 999999909, "last": 999999900}}, r"last 999999900 is below first 999999909"),
        ({"scratchIds": {"first": 999999000, "last": 999999999}}, r"1000 scratch IDs: at most 100"),
        ({"schedule": "Sun 01:00"}, r"restoreDrill\.schedule: 01:00 is inside the backup window 22:00-05:00"),
        ({"schedule": "daily; reboot"}, r"restoreDrill\.schedule: .*is not a systemd calendar event"),
        ({"guestsPerRun": 0}, r"restoreDrill\.guestsPerRun: Input should be greater than or equal to 1"),
    ],
    ids=["node", "auto-band", "too-big", "mirror", "order", "too-many", "in-window", "calendar", "per-run"],
)
def test_bad_drills_are_refused(tmp_path: Path, change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        load(tmp_path, [tenant()], drill_cfg(**change))


def test_a_pinned_guest_in_the_scratch_range_is_refused(tmp_path: Path) -> None:
    pinned = tenant(vms=[vm(vnet="acmeweb", address="192.168.10.10", vm_id=999999903)])
    with pytest.raises(SpecError, match=r"scratchIds: 999999903 is the VM ID of web1 \(tenants/acme\.yaml\)"):
        load(tmp_path, [pinned], drill_cfg())
    edge = {**drill_cfg(), "edge": {**CFG["edge"], "vmId": 999999901}}
    with pytest.raises(SpecError, match=r"999999901 is the VM ID of the provider edge \(proxcloud:edge\.vmId\)"):
        load(tmp_path, [tenant()], edge)


def test_vms_without_the_agent_are_not_drilled_and_say_why(tmp_path: Path) -> None:
    vms = [
        vm(vnet="acmeweb", address="192.168.10.10"),
        vm(name="web2", slot=2, vnet="acmeweb", address="192.168.10.11", guest_agent=False),
    ]
    guests, skipped = drill_guests(load(tmp_path, [tenant(vms=vms)], drill_cfg()))
    assert [g.name for g in guests] == ["web1"]
    assert skipped == [("web2", "no QEMU guest agent: nothing can check that the restored VM answers")]


def test_mirror_preimages() -> None:
    assert mirrored_by(1010106) is not None and _mirror(ipaddress.IPv4Address(mirrored_by(1010106))) == 1010106
    assert [mirrored_by(i) for i in range(999999900, 999999910)] == [None] * 10  # the shipped range


@settings(max_examples=300, deadline=None)
@given(st.ip_addresses(v=4))
def test_every_mirror_id_is_found(address: ipaddress.IPv4Address) -> None:
    """Property: for every address with a mirror ID, mirrored_by finds an address with that same mirror."""
    vm_id = _mirror(address)
    if vm_id is not None:
        found = mirrored_by(vm_id)
        assert found is not None and _mirror(ipaddress.IPv4Address(found)) == vm_id
