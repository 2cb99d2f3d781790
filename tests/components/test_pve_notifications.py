"""The notification provider against fakepve on loopback, its credentials, its state, and the resources under mocks.

Two fakes, as for the VNet firewall: the plain `fakepve` (every request checked against the PVE 9 schema with PVE's
words, nothing stored) and `notify_pve` (tests/support/fakepve_notify.py: the same, keeping targets and
matchers with proxmox-notify's rules), so results can be read back.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from fakepve.pytest_plugin import _Serving
from fakepve.schema import load as load_schema
from fakepve.schema import validate as schema_validate
from pulumi.dynamic import Config, ConfigureRequest

from components.pve_notifications import (
    MatcherArgs,
    PveError,
    PveNotificationMatcher,
    PveNotificationProvider,
    PveSmtpTarget,
    SmtpTargetArgs,
)
from model.notifications import admin_matcher
from tests.support.fakepve_notify import NotifyFakePve
from tools.mockengine import PlanMocks, Recording, RecordingMonitor

TOKEN_ID = "pulumi@pve!notify"
TOKEN_SECRET = "7d2b9c1e-3f4a-4b5c-8d6e-0123456789ab"
TOKEN = f"{TOKEN_ID}={TOKEN_SECRET}"
SMTP_PASSWORD = "relay-pw-Xq81"
PROJECT = Path(__file__).resolve().parents[2]
ENV = ("PROXMOX_VE_ENDPOINT", "PROXMOX_VE_API_TOKEN", "PROXMOX_VE_INSECURE")

SMTP: dict[str, Any] = {
    "kind": "smtp",
    "name": "proxcloud-smtp",
    "settings": {
        "server": "smtp.example.net",
        "port": 465,
        "mode": "tls",
        "username": "pve@example.net",
        "mailto": ["ops@example.net"],
        "from-address": "pve@example.net",
        "author": "Proxmox VE",
        "comment": "proxcloud: the admins' mail relay",
    },
    "password": SMTP_PASSWORD,
}
m = admin_matcher()
MATCHER: dict[str, Any] = {
    "kind": "matcher",
    "name": m.name,
    "settings": {
        "match-field": list(m.match_field),
        "match-severity": list(m.match_severity),
        "target": ["proxcloud-smtp"],
        "mode": "all",
        "comment": m.comment,
    },
}


@pytest.fixture
def notify_pve(_fakepve_pki: tuple[str, str]) -> Iterator[NotifyFakePve]:
    pve = NotifyFakePve(user="root@pam", password="secret", host="127.0.0.1", port=0)
    pve.time_scale = 0
    pve.apitokens[TOKEN_ID] = TOKEN_SECRET
    serving = _Serving(pve, *_fakepve_pki)
    try:
        yield pve
    finally:
        serving.stop()


@pytest.fixture(autouse=True)
def trust_fakepve(monkeypatch: pytest.MonkeyPatch, fakepve_cafile: str) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SSL_CERT_FILE", fakepve_cafile)  # what ssl's default context trusts


def provider_for(pve: Any, token: str = TOKEN, **extra: str) -> PveNotificationProvider:
    provider = PveNotificationProvider()
    config = {"proxmoxve:endpoint": pve.url, "proxmoxve:apiToken": token, **extra}
    provider.configure(ConfigureRequest(Config(config, "proxcloud")))
    return provider


def with_(props: dict[str, Any], **settings: Any) -> dict[str, Any]:
    return {**props, "settings": {**props["settings"], **settings}}


# ---------------------------------------------------------------- stateful: create, read, update, delete


def test_create_stores_target_and_matcher_with_the_password_kept_private(notify_pve: NotifyFakePve) -> None:
    provider = provider_for(notify_pve)
    assert provider.check({}, SMTP).failures == [] and provider.check({}, MATCHER).failures == []
    assert provider.create(SMTP).id == "proxcloud-smtp"
    assert provider.create(MATCHER).id == m.name
    stored = notify_pve.notifications()
    assert stored["smtp"]["proxcloud-smtp"]["server"] == "smtp.example.net"
    assert stored["smtp"]["proxcloud-smtp"]["mailto"] == ["ops@example.net"]
    assert stored["private"]["proxcloud-smtp"] == SMTP_PASSWORD
    assert stored["matcher"][m.name]["match-field"] == ["exact:type=vzdump,replication,fencing,proxcloud-restore-drill"]
    # refresh reads them back in the resource's shape: no diff, and the password never comes back from PVE
    for props in (SMTP, MATCHER):
        read = provider.read(props["name"], props)
        assert read.id == props["name"]
        assert not provider.diff(read.id, read.outs, props).changes
    assert SMTP_PASSWORD not in repr(provider._request("GET", "/cluster/notifications/endpoints/smtp/proxcloud-smtp"))


def test_update_writes_changes_deletes_dropped_fields_and_sends_a_password_only_when_it_changed(
    notify_pve: NotifyFakePve,
) -> None:
    provider = provider_for(notify_pve)
    provider.create(SMTP)
    changed = with_(SMTP, port=587, mode="starttls")
    del changed["settings"]["username"]
    notify_pve.requests.clear()
    provider.update("proxcloud-smtp", SMTP, changed)
    stored = notify_pve.notifications()["smtp"]["proxcloud-smtp"]
    assert stored["port"] == 587 and stored["mode"] == "starttls" and "username" not in stored
    (put,) = [body for method, _, body in notify_pve.requests if method == "PUT"]
    sent = urllib.parse.parse_qs(put.decode())
    assert "username" in sent["delete"] and "password" not in sent  # unchanged password: not sent
    rotated = dict(changed, password="new-relay-pw")
    provider.update("proxcloud-smtp", changed, rotated)
    assert notify_pve.notifications()["private"]["proxcloud-smtp"] == "new-relay-pw"
    provider.update("proxcloud-smtp", rotated, dict(rotated, password=None))
    assert "proxcloud-smtp" not in notify_pve.notifications()["private"]


def test_a_target_in_use_cannot_be_deleted_before_its_matcher(notify_pve: NotifyFakePve) -> None:
    """Why the matcher depends on the target (Pulumi deletes dependents first): PVE refuses the other order."""
    provider = provider_for(notify_pve)
    provider.create(SMTP)
    provider.create(MATCHER)
    with pytest.raises(PveError, match=r"HTTP 400\): cannot delete 'proxcloud-smtp', referenced by: proxcloud-admin"):
        provider.delete("proxcloud-smtp", SMTP)
    provider.delete(m.name, MATCHER)
    provider.delete("proxcloud-smtp", SMTP)
    assert notify_pve.notifications()["smtp"] == {} and notify_pve.notifications()["matcher"] == {}


def test_a_matcher_needs_its_target_to_exist(notify_pve: NotifyFakePve) -> None:
    with pytest.raises(PveError, match=r"HTTP 404\): endpoint 'proxcloud-smtp' does not exist"):
        provider_for(notify_pve).create(MATCHER)


def test_read_of_a_gone_object_drops_it_from_the_state_and_delete_is_idempotent(notify_pve: NotifyFakePve) -> None:
    provider = provider_for(notify_pve)
    provider.create(SMTP)
    assert provider.read("proxcloud-smtp", SMTP).id == "proxcloud-smtp"  # twin: present, kept
    del notify_pve.notifications()["smtp"]["proxcloud-smtp"]
    gone = provider.read("proxcloud-smtp", SMTP)
    assert gone.id == "" and gone.outs == {}
    provider.delete("proxcloud-smtp", SMTP)  # already gone: no error
    assert provider.read(m.name, MATCHER).id == ""


def test_drift_made_in_pve_shows_in_the_next_diff(notify_pve: NotifyFakePve) -> None:
    provider = provider_for(notify_pve)
    provider.create(SMTP)
    notify_pve.notifications()["smtp"]["proxcloud-smtp"]["mailto"] = ["someone@else.example"]
    read = provider.read("proxcloud-smtp", SMTP)
    assert provider.diff("proxcloud-smtp", read.outs, SMTP).changes


def test_a_second_object_of_the_same_name_is_refused_in_pves_words(notify_pve: NotifyFakePve) -> None:
    provider = provider_for(notify_pve)
    provider.create(SMTP)
    with pytest.raises(PveError, match="an entity with the same name already exists"):
        provider.create(SMTP)


# ---------------------------------------------------------------- plain fakepve: PVE 9's schema


def test_every_request_the_provider_sends_fits_pve_9s_schema(fakepve: Any) -> None:
    fakepve.apitokens[TOKEN_ID] = TOKEN_SECRET
    provider = provider_for(fakepve)
    provider.create(SMTP)
    provider.create(MATCHER)
    provider.update("proxcloud-smtp", SMTP, with_(dict(SMTP, password="rotated"), port=587))
    provider.update(m.name, MATCHER, with_(MATCHER, comment="changed"))
    provider.delete(m.name, MATCHER)
    provider.delete("proxcloud-smtp", SMTP)
    schema = load_schema().paths
    sent = [(meth, p, b) for meth, p, b in fakepve.requests if meth != "GET"]
    assert [meth for meth, _, _ in sent] == ["POST", "POST", "PUT", "PUT", "DELETE", "DELETE"]
    for method, path, body in sent:
        base = "/cluster/notifications/" + ("matchers" if "matchers" in path else "endpoints/smtp")
        template = base if method == "POST" else base + "/{name}"
        values: dict[str, Any] = {}
        for key, value in urllib.parse.parse_qsl(body.decode()):
            values[key] = (
                [*values[key], value]
                if key in values and isinstance(values[key], list)
                else ([values[key], value] if key in values else value)
            )
        if method != "POST":
            values["name"] = path.rsplit("/", 1)[1]
        _, errors = schema_validate(schema[template][method]["parameters"], values)
        assert not errors, (method, path, errors)
        assert TOKEN_SECRET.encode() not in body


def test_a_schema_violation_comes_back_in_pves_words_and_check_refuses_it_first(fakepve: Any) -> None:
    fakepve.apitokens[TOKEN_ID] = TOKEN_SECRET
    bad = with_(SMTP, mode="ssl")
    with pytest.raises(PveError) as err:
        provider_for(fakepve).create(bad)
    message = str(err.value)
    assert "PVE refused POST /cluster/notifications/endpoints/smtp (HTTP 400): " in message
    assert "): Parameter verification failed." in message
    assert "mode: value 'ssl' does not have a value in the enumeration 'insecure, starttls, tls'" in message
    assert SMTP_PASSWORD not in message and "'password': '[secret]'" in message
    assert [f.property for f in PveNotificationProvider().check({}, bad).failures] == ["settings.mode"]


# ---------------------------------------------------------------- credentials: run time only, never leaked


def test_credentials_come_from_the_environment_before_the_stack_config(
    notify_pve: NotifyFakePve, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After a token rotation `pulumi destroy` still has the old config: the environment's token wins."""
    monkeypatch.setenv("PROXMOX_VE_API_TOKEN", TOKEN)
    stale = provider_for(notify_pve, token=f"{TOKEN_ID}=00000000-dead-beef-0000-000000000000")
    assert stale.create(SMTP).id == "proxcloud-smtp"
    monkeypatch.delenv("PROXMOX_VE_API_TOKEN")
    with pytest.raises(PveError, match="HTTP 401"):
        provider_for(notify_pve, token=f"{TOKEN_ID}=00000000-dead-beef-0000-000000000000").read("x", SMTP)


def test_without_credentials_the_error_says_what_to_set() -> None:
    provider = PveNotificationProvider()
    provider.configure(ConfigureRequest(Config({}, "proxcloud")))
    with pytest.raises(RuntimeError, match=r"no proxmoxve:endpoint and proxmoxve:apiToken: set them"):
        provider.create(SMTP)


def test_errors_never_show_the_token_or_the_password(
    notify_pve: NotifyFakePve, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = f"{TOKEN_ID}=00000000-dead-beef-0000-000000000000"
    with pytest.raises(PveError) as err:
        provider_for(notify_pve, token=wrong).create(SMTP)
    out = capsys.readouterr()
    for text in (str(err.value), repr(err.value), caplog.text, out.out, out.err):
        assert "dead-beef" not in text and SMTP_PASSWORD not in text
    with pytest.raises(RuntimeError, match=r"cannot reach PVE at https://127.0.0.1:9") as unreachable:
        p = PveNotificationProvider()
        unreachable_cfg = {"proxmoxve:endpoint": "https://127.0.0.1:9", "proxmoxve:apiToken": TOKEN}
        p.configure(ConfigureRequest(Config(unreachable_cfg, "x")))
        p.create(SMTP)
    assert TOKEN_SECRET not in str(unreachable.value)
    assert SMTP_PASSWORD in repr(SMTP)  # twin: the leak checks would see a message built from the props


def test_the_pickled_provider_is_its_module_path_and_never_a_credential(notify_pve: NotifyFakePve) -> None:
    """What Pulumi stores in `__provider`: by reference to components.pve_notifications, no token even once
    configured; it loads and works in a fresh process started from the project (as the provider host is)."""
    import base64

    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(provider_for(notify_pve))
    raw = base64.b64decode(blob)
    assert b"components.pve_notifications" in raw and b"PveNotificationProvider" in raw
    assert TOKEN_SECRET.encode() not in raw and notify_pve.url.encode() not in raw
    code = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "print(type(p).__module__, type(p).__name__, p._token, p.diff('x', {'name': 'a'}, {'name': 'b'}).replaces)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, blob], cwd=PROJECT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "components.pve_notifications PveNotificationProvider None ['name']"


# ---------------------------------------------------------------- check and diff


def test_check_refuses_what_pve_would_refuse() -> None:
    provider = PveNotificationProvider()
    bad_smtp = {"kind": "smtp", "name": "1st", "settings": {"server": "x", "port": 70000, "sender": "a"}}
    assert {f.property for f in provider.check({}, bad_smtp).failures} == {
        "name",
        "settings",
        "settings.port",
        "settings.from-address",
        "settings.mailto",
    }
    bad_matcher = with_(MATCHER, **{"match-field": ["type=vzdump"], "match-severity": ["fatal"], "mode": "some"})
    assert {f.property for f in provider.check({}, bad_matcher).failures} == {
        "settings.match-field[0]",
        "settings.match-severity[0]",
        "settings.mode",
    }
    unknown = with_(MATCHER, target=[PveNotificationProvider.UNKNOWN])  # preview: the target's name is not known
    assert provider.check({}, unknown).failures == []


def test_diff_name_replaces_kind_replaces_first_and_settings_update() -> None:
    provider = PveNotificationProvider()
    assert not provider.diff("x", SMTP, dict(SMTP)).changes
    renamed = provider.diff("x", SMTP, dict(SMTP, name="other"))
    assert renamed.replaces == ["name"] and not renamed.delete_before_replace
    rekinded = provider.diff("x", SMTP, dict(MATCHER, name=SMTP["name"]))
    assert rekinded.replaces == ["kind"] and rekinded.delete_before_replace
    moved = provider.diff("x", SMTP, with_(SMTP, port=587))
    assert moved.changes and not moved.replaces
    assert provider.diff("x", SMTP, dict(SMTP, password="other")).changes
    implicit = {**MATCHER, "settings": {k: v for k, v in MATCHER["settings"].items() if k != "mode"}}
    assert not provider.diff("x", MATCHER, implicit).changes  # `all` is PVE's default mode


# ---------------------------------------------------------------- the resources under the mock engine


def test_resources_register_with_stable_types_and_secrets_only_as_secrets() -> None:
    recording = Recording()
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(mocks, preview=True, monitor=RecordingMonitor(mocks, recording))

    @pulumi.runtime.test
    def build() -> pulumi.Output[Any]:
        target = PveSmtpTarget(
            "t",
            SmtpTargetArgs(
                name="proxcloud-smtp",
                server="smtp.example.net",
                from_address="pve@example.net",
                mailto=["ops@example.net"],
                username="pve@example.net",
                password=SMTP_PASSWORD,
            ),
        )
        matcher = PveNotificationMatcher(
            "m", MatcherArgs(name=m.name, targets=[target.name], match_field=list(m.match_field))
        )
        return matcher.name

    build()
    smtp = recording.one("pulumi-python:dynamic/proxcloud:PveSmtpTarget", "t")
    assert smtp.inputs["password"] == "[secret]" and smtp.inputs["__provider"] == "[secret]"
    assert smtp.inputs["settings"]["server"] == "smtp.example.net"
    assert SMTP_PASSWORD not in repr(smtp.inputs) and "apiToken" not in repr(smtp.inputs)
    matcher = recording.one("pulumi-python:dynamic/proxcloud:PveNotificationMatcher", "m")
    assert smtp.urn in matcher.dependencies  # deleted before its target
