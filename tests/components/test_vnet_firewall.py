"""The VNet firewall dynamic provider against fakepve on loopback, and the resource under the mock engine.

Two fakes are used:
* `fakepve` (the plain plugin fixture): fakepve 0.5.0 serves the VNet firewall paths generically: it checks
  each request against the PVE 9 schema and answers 200 or PVE's 400, but stores nothing. Tests on it prove
  that every request the provider sends is accepted, and that schema violations come back in PVE's wording.
* `vnet_pve` (tests/support/fakepve_vnet.py): the same fake with those paths routed to fakepve's stateful
  firewall code, so reconciliation results (order, in-place edits, deletes, options) can be read back.
"""

from __future__ import annotations

import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest
from fakepve.pytest_plugin import _Serving
from fakepve.schema import load as load_schema
from fakepve.schema import validate as schema_validate

from components.vnet_firewall import VnetFirewallProvider, VnetFirewallRules, VnetFirewallRulesArgs
from tests.support.fakepve_vnet import VnetFakePve
from tools.mockengine import PlanMocks, Recording, RecordingMonitor

TOKEN_ID = "pulumi@pve!vnetfw"
TOKEN_SECRET = "5f0c6a3e-9d1b-4c2a-8e7f-0123456789ab"
TOKEN = f"{TOKEN_ID}={TOKEN_SECRET}"
PROJECT = Path(__file__).resolve().parents[2]

WEB_RULES: list[dict[str, Any]] = [
    {"type": "forward", "action": "ACCEPT", "proto": "tcp", "dport": "80,443", "dest": "192.168.10.0/24"},
    {"type": "forward", "action": "ACCEPT", "macro": "SSH", "source": "192.168.10.2", "comment": "admin"},
    {"type": "forward", "action": "DROP", "proto": "tcp", "dport": "3306", "log": "info"},
]


@pytest.fixture
def vnet_pve(_fakepve_pki: tuple[str, str]) -> Iterator[VnetFakePve]:
    pve = VnetFakePve(user="root@pam", password="secret", host="127.0.0.1", port=0)
    pve.time_scale = 0
    pve.apitokens[TOKEN_ID] = TOKEN_SECRET
    serving = _Serving(pve, *_fakepve_pki)
    try:
        yield pve
    finally:
        serving.stop()


def props_for(pve: Any, cafile: str, **extra: Any) -> dict[str, Any]:
    props: dict[str, Any] = {
        "vnet": "t1web",
        "endpoint": pve.url,
        "api_token": TOKEN,
        "rules": [],
        "options": {},
        "insecure": False,
        "ca_pem": Path(cafile).read_text(encoding="utf-8"),
    }
    props.update(extra)
    return props


def stored(pve: VnetFakePve, vnet: str = "t1web") -> list[dict[str, Any]]:
    """The server's rules without bookkeeping, as our resource's wire form."""
    return [VnetFirewallProvider._normalise(r) for r in pve.vnet_firewall(vnet)["rules"]]


# ---------------------------------------------------------------- stateful: reconciliation


def test_create_makes_the_server_list_equal_in_order(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    provider = VnetFirewallProvider()
    props = props_for(vnet_pve, fakepve_cafile, rules=WEB_RULES, options={"enable": True, "policy_forward": "DROP"})
    assert provider.check({}, props).failures == []
    result = provider.create(props)
    assert result.id == "t1web"
    assert stored(vnet_pve) == VnetFirewallProvider._wire_rules(WEB_RULES)
    assert [r["enable"] for r in vnet_pve.vnet_firewall("t1web")["rules"]] == [1, 1, 1]
    assert vnet_pve.vnet_firewall("t1web")["options"] == {"enable": 1, "policy_forward": "DROP"}


def test_twin_reversed_order_is_not_equal(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    """The order check above can fail: the server list of reversed input differs from the forward one."""
    VnetFirewallProvider().create(props_for(vnet_pve, fakepve_cafile, rules=list(reversed(WEB_RULES))))
    assert stored(vnet_pve) != VnetFirewallProvider._wire_rules(WEB_RULES)


def test_update_edits_in_place_appends_and_removes(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    provider = VnetFirewallProvider()
    old = props_for(vnet_pve, fakepve_cafile, rules=WEB_RULES)
    provider.create(old)
    # one field changed, the comment dropped, one rule appended
    edited = [dict(WEB_RULES[0], dport="443"), {k: v for k, v in WEB_RULES[1].items() if k != "comment"}, WEB_RULES[2]]
    edited.append({"type": "forward", "action": "ACCEPT", "proto": "icmp", "enable": False})
    vnet_pve.requests.clear()
    provider.update("t1web", old, dict(old, rules=edited))
    assert stored(vnet_pve) == VnetFirewallProvider._wire_rules(edited)
    writes = [(m, p.split("/firewall")[1]) for m, p, _ in vnet_pve.requests if m != "GET"]
    # rule 2 unchanged: never written; no rule deleted; the new one posted, moved to the end, not enabled
    assert ("PUT", "/rules/2") not in writes
    assert not any(m == "DELETE" for m, _ in writes)
    assert writes[:2] == [("PUT", "/rules/0"), ("PUT", "/rules/1")]
    assert writes[2:4] == [("POST", "/rules"), ("PUT", "/rules/0")]
    # shrink: surplus goes from the tail
    provider.update("t1web", dict(old, rules=edited), dict(old, rules=edited[:1]))
    assert stored(vnet_pve) == VnetFirewallProvider._wire_rules(edited[:1])


def test_appended_rule_is_never_live_at_position_zero(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    """A new DROP-all appended after an ACCEPT must not sit enabled in front of it, even for a moment."""
    provider = VnetFirewallProvider()
    old = props_for(vnet_pve, fakepve_cafile, rules=WEB_RULES[:1])
    provider.create(old)
    vnet_pve.requests.clear()
    provider.update("t1web", old, dict(old, rules=[*WEB_RULES[:1], {"type": "forward", "action": "DROP"}]))
    posts = [body for m, p, body in vnet_pve.requests if m == "POST"]
    assert posts and all(b"enable=0" in body for body in posts)


def test_delete_removes_every_rule_and_resets_options(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    provider = VnetFirewallProvider()
    props = props_for(vnet_pve, fakepve_cafile, rules=WEB_RULES, options={"enable": True, "policy_forward": "DROP"})
    provider.create(props)
    assert vnet_pve.vnet_firewall("t1web")["rules"]
    provider.delete("t1web", props)
    assert vnet_pve.vnet_firewall("t1web")["rules"] == []
    assert vnet_pve.vnet_firewall("t1web")["options"] == {}


def test_read_returns_the_server_state(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    provider = VnetFirewallProvider()
    props = props_for(vnet_pve, fakepve_cafile, rules=WEB_RULES, options={"enable": True})
    provider.create(props)
    outs = provider.read("t1web", props).outs
    assert VnetFirewallProvider._wire_rules(outs["rules"]) == VnetFirewallProvider._wire_rules(WEB_RULES)
    assert outs["options"] == {"enable": True}
    # drift made on the server shows up in read
    del vnet_pve.vnet_firewall("t1web")["rules"][0]
    drifted = provider.read("t1web", props).outs
    assert VnetFirewallProvider._wire_rules(drifted["rules"]) != VnetFirewallProvider._wire_rules(WEB_RULES)


def test_invalid_rule_is_refused_with_pves_words(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    bad = [{"type": "forward", "action": "ACCEPT", "proto": "tcp", "dport": "70000"}]
    with pytest.raises(RuntimeError) as err:
        VnetFirewallProvider().create(props_for(vnet_pve, fakepve_cafile, rules=bad))
    message = str(err.value)
    assert "PVE refused POST /cluster/sdn/vnets/t1web/firewall/rules (HTTP 400)" in message
    assert "Parameter verification failed." in message
    assert "dport: invalid format - invalid port '70000'" in message
    assert TOKEN_SECRET not in message


def test_twin_valid_rule_is_accepted(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    good = [{"type": "forward", "action": "ACCEPT", "proto": "tcp", "dport": "7000"}]
    VnetFirewallProvider().create(props_for(vnet_pve, fakepve_cafile, rules=good))
    assert stored(vnet_pve) == VnetFirewallProvider._wire_rules(good)


# ---------------------------------------------------------------- plain fakepve: what it verifies


def test_plain_fakepve_accepts_every_request_the_provider_sends(fakepve: Any, fakepve_cafile: str) -> None:
    """fakepve's generic route stores nothing, so call the writes directly and check each answer and payload."""
    fakepve.apitokens[TOKEN_ID] = TOKEN_SECRET
    provider = VnetFirewallProvider()
    props = props_for(fakepve, fakepve_cafile)
    base = provider._base("t1web")
    for rule in VnetFirewallProvider._wire_rules(WEB_RULES):
        provider._request(props, "POST", base + "/rules", rule)  # raises unless HTTP 200
    provider._request(props, "PUT", base + "/rules/0", {"moveto": "3"})
    provider._request(props, "PUT", base + "/options", {"enable": "1", "policy_forward": "DROP"})
    provider._request(props, "DELETE", base + "/rules/0")
    schema = load_schema().paths
    sent = [(m, p, b) for m, p, b in fakepve.requests if m != "GET"]
    assert len(sent) == len(WEB_RULES) + 3
    import urllib.parse

    for method, path, body in sent:
        template = "/cluster/sdn/vnets/{vnet}/firewall/" + ("options" if path.endswith("options") else "rules")
        if path.rsplit("/", 1)[-1].isdigit():
            template += "/{pos}"
        values = dict(urllib.parse.parse_qsl(body.decode()))
        values["vnet"] = "t1web"
        _, errors = schema_validate(schema[template][method]["parameters"], values)
        assert not errors, (method, path, errors)
        assert TOKEN_SECRET.encode() not in body


def test_plain_fakepve_rejects_a_schema_violation_in_pves_words(fakepve: Any, fakepve_cafile: str) -> None:
    fakepve.apitokens[TOKEN_ID] = TOKEN_SECRET
    provider = VnetFirewallProvider()
    props = props_for(fakepve, fakepve_cafile)
    with pytest.raises(RuntimeError, match=r"HTTP 400.*Parameter verification failed\..*type: value 'sideways'"):
        provider._request(props, "POST", provider._base("t1web") + "/rules", {"type": "sideways", "action": "ACCEPT"})


# ---------------------------------------------------------------- the token never leaks


def test_wrong_token_error_does_not_print_the_token(
    vnet_pve: VnetFakePve, fakepve_cafile: str, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = f"{TOKEN_ID}=00000000-dead-beef-0000-000000000000"
    with pytest.raises(RuntimeError) as err:
        VnetFirewallProvider().create(props_for(vnet_pve, fakepve_cafile, api_token=wrong, rules=WEB_RULES))
    assert "HTTP 401" in str(err.value)
    out = capsys.readouterr()
    for text in (str(err.value), repr(err.value), caplog.text, out.out, out.err):
        assert "dead-beef" not in text
    failures = VnetFirewallProvider().check({}, props_for(vnet_pve, fakepve_cafile, api_token="no-realm=secretvalue"))
    assert [f.property for f in failures.failures] == ["api_token"]
    assert "secretvalue" not in failures.failures[0].reason


def test_unreachable_endpoint_error_does_not_print_the_token(fakepve_cafile: str) -> None:
    props = {
        "vnet": "t1web",
        "endpoint": "https://127.0.0.1:9",
        "api_token": TOKEN,
        "ca_pem": Path(fakepve_cafile).read_text(encoding="utf-8"),
    }
    with pytest.raises(RuntimeError, match=re.escape("cannot reach PVE at https://127.0.0.1:9")) as err:
        VnetFirewallProvider().create(props)
    assert TOKEN_SECRET not in str(err.value)


def test_twin_a_leaking_message_would_be_caught(vnet_pve: VnetFakePve, fakepve_cafile: str) -> None:
    """The leak checks above can fail: an error built from the props (a plausible bug) does contain the token."""
    props = props_for(vnet_pve, fakepve_cafile)
    leaky = RuntimeError(f"request failed with {props}")
    assert TOKEN_SECRET in str(leaky)


# ---------------------------------------------------------------- check and diff


def test_check_rejects_non_forward_rules_and_bad_vnet(fakepve_cafile: str) -> None:
    props = {
        "vnet": "tenant-1-web",
        "endpoint": "https://pve.example:8006",
        "api_token": TOKEN,
        "rules": [{"type": "in", "action": "ACCEPT"}, {"type": "forward", "action": "REJECT"}],
        "options": {"policy_in": "DROP"},
    }
    props_bad = {f.property for f in VnetFirewallProvider().check({}, props).failures}
    assert props_bad == {"vnet", "rules[0].type", "rules[1].action", "options"}
    fixed = dict(props, vnet="t1web", rules=WEB_RULES, options={"policy_forward": "DROP"})
    assert VnetFirewallProvider().check({}, fixed).failures == []


def test_diff_vnet_change_replaces_rule_change_updates() -> None:
    provider = VnetFirewallProvider()
    old = {"vnet": "t1web", "endpoint": "https://a:8006", "api_token": TOKEN, "rules": WEB_RULES, "options": {}}
    same = provider.diff("t1web", old, dict(old))
    assert not same.changes and not same.replaces
    moved = provider.diff("t1web", old, dict(old, vnet="t1db"))
    assert moved.changes and moved.replaces == ["vnet"]
    edited = provider.diff("t1web", old, dict(old, rules=WEB_RULES[:2]))
    assert edited.changes and not edited.replaces
    reordered = provider.diff("t1web", old, dict(old, rules=list(reversed(WEB_RULES))))
    assert reordered.changes and not reordered.replaces
    opts = provider.diff("t1web", old, dict(old, options={"enable": True}))
    assert opts.changes and not opts.replaces
    # `enable: True` is the default: spelling it out is no change
    explicit = provider.diff("t1web", old, dict(old, rules=[dict(r, enable=True) for r in WEB_RULES]))
    assert not explicit.changes


# ---------------------------------------------------------------- pickling as Pulumi does


def test_provider_survives_pulumis_serialisation_in_a_fresh_process() -> None:
    from pulumi.dynamic.dynamic import serialize_provider

    blob = serialize_provider(VnetFirewallProvider())
    code = (
        "import base64, sys, dill\n"
        "p = dill.loads(base64.b64decode(sys.argv[1]))\n"
        "print(type(p).__name__, p.diff('x', {'vnet': 'a'}, {'vnet': 'b'}).replaces)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, blob], cwd=PROJECT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "VnetFirewallProvider ['vnet']"


# ---------------------------------------------------------------- the resource under the mock engine


def test_resource_registers_with_the_token_as_secret() -> None:
    recording = Recording()
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(mocks, preview=True, monitor=RecordingMonitor(mocks, recording))
    captured: dict[str, Any] = {}

    @pulumi.runtime.test
    def build() -> pulumi.Output[Any]:
        res = VnetFirewallRules(
            "t1-web-fw",
            VnetFirewallRulesArgs(
                vnet="t1web",
                endpoint="https://pve.example:8006",
                api_token=TOKEN,
                rules=WEB_RULES,
                options={"enable": True, "policy_forward": "DROP"},
            ),
        )
        captured["res"] = res
        return res.vnet

    build()
    reg = recording.one("pulumi-python:dynamic/proxcloud:VnetFirewallRules", "t1-web-fw")
    assert reg.custom
    assert reg.inputs["api_token"] == "[secret]"
    assert reg.inputs["__provider"] == "[secret]"
    assert reg.inputs["vnet"] == "t1web"
    assert reg.inputs["rules"] == WEB_RULES
    assert TOKEN_SECRET not in repr(reg.inputs)


def test_twin_a_plain_token_is_seen_by_the_mock_engine() -> None:
    """The "[secret]" check above can fail: the same token given as a plain input shows in the recording."""
    recording = Recording()
    mocks = PlanMocks()
    pulumi.runtime.set_mocks(mocks, preview=True, monitor=RecordingMonitor(mocks, recording))

    class Plain(pulumi.dynamic.Resource, module="test", name="Plain"):
        """The same provider with the token passed as a plain input (the bug the test above guards against)."""

    @pulumi.runtime.test
    def build() -> pulumi.Output[Any]:
        res = Plain(VnetFirewallProvider(), "plain", {"vnet": "t1web", "api_token": TOKEN})
        return res.urn

    build()
    reg = recording.resources[-1]
    assert reg.inputs["api_token"] == TOKEN


def test_check_tolerates_values_unknown_at_preview() -> None:
    provider = VnetFirewallProvider()
    unknown = VnetFirewallProvider.UNKNOWN
    props = {
        "vnet": unknown,
        "endpoint": "https://pve.example:8006",
        "api_token": TOKEN,
        "rules": [{"type": "forward", "action": "ACCEPT", "source": unknown}, {"type": "in", "action": "ACCEPT"}],
    }
    result = provider.check({}, props)
    assert [f.property for f in result.failures] == ["rules[1].type"]  # known parts are still judged
    assert result.inputs is props  # unknowns go back to the engine untouched
    # twin: the same rule list with a known, bad VNet id is refused
    assert "vnet" in {f.property for f in provider.check({}, dict(props, vnet="9bad")).failures}


def test_connection_comes_from_the_provider_config_as_a_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.vnet_firewall import pve_connection

    for var in ("PROXMOX_VE_ENDPOINT", "PROXMOX_VE_API_TOKEN", "PROXMOX_VE_INSECURE"):
        monkeypatch.delenv(var, raising=False)
    recording = Recording()
    mocks = PlanMocks()
    pulumi.runtime.set_all_config(
        {"proxmoxve:endpoint": "https://pve.example:8006", "proxmoxve:apiToken": TOKEN}, ["proxmoxve:apiToken"]
    )
    pulumi.runtime.set_mocks(mocks, preview=True, monitor=RecordingMonitor(mocks, recording))
    try:

        @pulumi.runtime.test
        def build() -> pulumi.Output[Any]:
            conn = pve_connection()
            res = VnetFirewallRules(
                "t1-db-fw",
                VnetFirewallRulesArgs(vnet="t1db", endpoint=conn.endpoint, api_token=conn.api_token, rules=[]),
            )
            return res.urn

        build()
    finally:
        pulumi.runtime.set_all_config({}, [])
    reg = recording.one("pulumi-python:dynamic/proxcloud:VnetFirewallRules", "t1-db-fw")
    assert reg.inputs["endpoint"] == "https://pve.example:8006"
    assert reg.inputs["api_token"] == "[secret]"


def test_connection_missing_config_names_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from components.vnet_firewall import pve_connection

    for var in ("PROXMOX_VE_ENDPOINT", "PROXMOX_VE_API_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    pulumi.runtime.set_all_config({"proxmoxve:endpoint": "https://pve.example:8006"}, [])
    try:
        with pytest.raises(pulumi.RunError, match=r"needs proxmoxve:apiToken.*--secret"):
            pve_connection()
    finally:
        pulumi.runtime.set_all_config({}, [])


def test_plain_fakepve_does_not_store_vnet_rules(fakepve: Any, fakepve_cafile: str) -> None:
    """Documents the gap the stateful extension fills: a posted rule is not read back by plain fakepve 0.5.0."""
    fakepve.apitokens[TOKEN_ID] = TOKEN_SECRET
    provider = VnetFirewallProvider()
    props = props_for(fakepve, fakepve_cafile)
    base = provider._base("t1web")
    provider._request(props, "POST", base + "/rules", {"type": "forward", "action": "ACCEPT", "comment": "marker-7"})
    listed = provider._request(props, "GET", base + "/rules") or []
    assert not any(r.get("comment") == "marker-7" for r in listed)
    # and it does not check port syntax on this path (the stateful extension does, with verify_rule)
    provider._request(
        props, "POST", base + "/rules", {"type": "forward", "action": "ACCEPT", "proto": "tcp", "dport": "70000"}
    )


# ---------------------------------------------------------------- issue 15 item 8: run-time credentials, gone VNets


def _configured(pve: Any, token: str = TOKEN) -> VnetFirewallProvider:
    provider = VnetFirewallProvider()
    # configure() reads `req.config` as a mapping (pulumi.dynamic.ConfigureRequest.config)
    provider.configure(type("Req", (), {"config": {"proxmoxve:endpoint": pve.url, "proxmoxve:apiToken": token}})())  # type: ignore[arg-type]
    return provider


def test_the_run_credentials_win_over_a_token_in_the_state(
    vnet_pve: VnetFakePve, fakepve_cafile: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A token rotated and deleted since the last `up` is still in old state: refresh and destroy use the run's
    token (configure), so they keep working. Twin: unconfigured, the state's dead token fails (HTTP 401)."""
    for name in ("PROXMOX_VE_ENDPOINT", "PROXMOX_VE_API_TOKEN", "PROXMOX_VE_INSECURE"):
        monkeypatch.delenv(name, raising=False)
    dead = f"{TOKEN_ID}=00000000-dead-beef-0000-000000000000"
    props = props_for(vnet_pve, fakepve_cafile, api_token=dead, rules=WEB_RULES)
    with pytest.raises(RuntimeError, match="HTTP 401"):
        VnetFirewallProvider().read("t1web", props)
    provider = _configured(vnet_pve)
    provider.create(props)
    assert provider.read("t1web", props).id == "t1web"
    provider.delete("t1web", props)
    assert stored(vnet_pve) == []


def test_a_vnet_that_is_gone_drops_the_resource() -> None:
    """Read of a VNet PVE no longer has returns no resource, delete succeeds; other errors still raise."""
    from proxcloud_providers.pve_http import PveError

    def gone(*_a: Any, **_k: Any) -> Any:
        raise PveError(
            500, "PVE refused GET /cluster/sdn/vnets/t1web/firewall/rules (HTTP 500): sdn vnet 't1web' does not exist"
        )

    def denied(*_a: Any, **_k: Any) -> Any:
        raise PveError(403, "PVE refused GET (HTTP 403): Permission check failed")

    provider = VnetFirewallProvider()
    provider._request = gone  # type: ignore[method-assign]
    assert provider.read("t1web", {"vnet": "t1web"}).id == ""
    assert provider.delete("t1web", {"vnet": "t1web"}) is None
    provider._request = denied  # type: ignore[method-assign]
    with pytest.raises(PveError, match="403"):
        provider.read("t1web", {"vnet": "t1web"})
    with pytest.raises(PveError, match="403"):
        provider.delete("t1web", {"vnet": "t1web"})


def test_the_pickled_providers_resolve_and_carry_no_credentials(vnet_pve: VnetFakePve) -> None:
    """Pulumi stores a dynamic provider by reference to its class's module: the paths stacks hold today resolve,
    and a configured provider pickles as its bare class (no endpoint, no token)."""
    import importlib

    import dill

    from tools.replace_rules import DYNAMIC_PROVIDERS

    for ref in set(DYNAMIC_PROVIDERS.values()):
        module, _, cls = ref.partition(":")
        assert getattr(importlib.import_module(module), cls).__module__ == module, ref
    raw = dill.dumps(_configured(vnet_pve))
    assert b"components.vnet_firewall" in raw and TOKEN_SECRET.encode() not in raw and vnet_pve.url.encode() not in raw
    assert dill.loads(raw)._run is None
