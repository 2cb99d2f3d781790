"""Notifications and the restore drill as planned on both stacks: resources, secrets, ordering, what the backup
jobs leave to the notification system, and the drill's install command."""

from __future__ import annotations

import json

import pytest

from components.pve_notifications import PveNotificationProvider
from tests.support.stacks import fixture_config, run_fixture
from tools.mockengine import Recording
from tools.plan import plan_document

SMTP = "pulumi-python:dynamic/proxcloud:PveSmtpTarget"
MATCHER = "pulumi-python:dynamic/proxcloud:PveNotificationMatcher"
JOB = "proxmoxve:backup/job:Job"
CMD = "command:remote:Command"


def test_both_stacks_plan_the_smtp_target_and_the_admin_matcher(plan: Recording) -> None:
    (target,) = plan.by_type(SMTP)
    (matcher,) = plan.by_type(MATCHER)
    assert target.inputs["name"] == "proxcloud-smtp" and target.inputs["password"] == "[secret]"
    s = target.inputs["settings"]
    assert (s["mode"], s["port"], s["mailto"]) == ("tls", 465, ["ops@example.net"])
    assert matcher.inputs["settings"]["target"] == ["proxcloud-smtp"]
    assert target.urn in matcher.dependencies
    assert PveNotificationProvider().check({}, target.inputs).failures == []
    assert PveNotificationProvider().check({}, matcher.inputs).failures == []
    # the provider's credentials are never inputs: nothing token-like in either resource
    for r in (target, matcher):
        assert set(r.inputs) == {"__provider", "kind", "name", "settings", *(["password"] if r is target else [])}


def test_the_smtp_password_is_secret_end_to_end(plan: Recording) -> None:
    text = json.dumps(plan_document("proxcloud", "x", plan))
    assert "offline-placeholder-smtpPassword" not in text
    assert "offline-placeholder" not in json.dumps(plan.outputs)


def test_backup_jobs_leave_mail_to_the_notification_system(plan: Recording) -> None:
    for job in plan.by_type(JOB):
        assert "mailtos" not in job.inputs and "mailnotification" not in job.inputs


@pytest.mark.slow
def test_twin_without_notifications_the_jobs_keep_their_mailto() -> None:
    config = {k: v for k, v in fixture_config("dev").items() if k != "proxcloud:notifications"}
    plan = run_fixture("dev", config)
    assert plan.by_type(SMTP) == []
    for job in plan.by_type(JOB):
        assert job.inputs["mailtos"] == ["ops@example.net"] and job.inputs["mailnotification"] == "failure"


def test_the_drill_is_installed_on_its_node_in_prod_only(plan_prod: Recording, plan_dev: Recording) -> None:
    assert [c for c in plan_dev.by_type(CMD) if c.name.startswith("restore-drill")] == []
    cmd = plan_prod.one(CMD, "restore-drill-install")
    assert cmd.inputs["connection"] == "[secret]"
    assert cmd.inputs["create"] == cmd.inputs["update"]  # a change updates in place
    assert "triggers" not in cmd.inputs  # so it is never replaced (create-before-delete would remove the drill)
    assert "OnCalendar=Sun *-*-* 10:00" in cmd.inputs["create"]
    assert "systemctl disable --now proxcloud-restore-drill.timer" in cmd.inputs["delete"]
    jobs = {j.urn for j in plan_prod.by_type(JOB)}
    (matcher,) = plan_prod.by_type(MATCHER)
    assert jobs <= set(cmd.dependencies) and matcher.urn in cmd.dependencies
    node = next(r for r in plan_prod.resources if r.name == "restore-drill")
    assert cmd.parent == node.urn
