"""PVE's notification system as code: an SMTP target and a matcher, through a small dynamic provider.

pulumi-proxmoxve 8.6.0 has no resource for `/cluster/notifications` (PVE 8.1+), so `PveNotificationProvider`
manages one object there: an SMTP endpoint (`/cluster/notifications/endpoints/smtp/{name}`) or a matcher
(`/cluster/notifications/matchers/{name}`), with PVE's field names and rules (pve-manager
`PVE/API2/Cluster/Notifications.pm`; proxmox-notify `api/smtp.rs`, `api/matcher.rs`: what may be deleted, that a
target referenced by a matcher cannot be, that a matcher's targets must exist, that an SMTP target needs a
recipient).

Designed against the three faults of a state-bound provider (issue 15, item 8):

* **Credentials are never inputs, so never in the state.** `configure()` takes them at run time, in the provider
  process: first the environment (`PROXMOX_VE_ENDPOINT`, `PROXMOX_VE_API_TOKEN`, `PROXMOX_VE_INSECURE`, the
  names pulumi-proxmoxve reads), then the stack config the engine hands every dynamic provider
  (`proxmoxve:endpoint`, `proxmoxve:apiToken`, `proxmoxve:insecure`; Pulumi >= 3.139, pulumi/pulumi#17673). The
  environment wins because it is what the operator set for *this* run: `pulumi destroy` configures providers
  from what the last `up` recorded, so after a token rotation `PROXMOX_VE_API_TOKEN=<new>` is the way through.
  The provider pickles as its bare class (`__reduce__`), so a configured instance never carries a token either.
* **Gone means gone.** `read` answers an empty id when PVE says the object does not exist (HTTP 404, proxmox-notify
  "endpoint/matcher '<name>' not found"), which drops it from the state on refresh; `delete` of a missing object
  succeeds.
* **A stable module path.** Pulumi pickles the provider by reference to `components.pve_notifications`
  (`PveNotificationProvider`): every deployed resource's state names that path, so this module must stay where
  it is (tests/components/test_pve_notifications.py pins it). Only the standard library is used.

The SMTP password is an input (a change must reach PVE), always a Pulumi secret (`additional_secret_outputs`);
PVE never returns it (`remove_protected_properties`), so drift of the password alone cannot be seen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic

from model.models import NotificationsSpec
from model.notifications import SMTP_TARGET, MatcherSpec
from proxcloud_providers.pve_http import PveClient, PveError

BASE = "/cluster/notifications"


class PveNotificationProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for one SMTP endpoint or matcher of PVE's notification system; stdlib only."""

    PATHS: ClassVar[dict[str, str]] = {"smtp": BASE + "/endpoints/smtp", "matcher": BASE + "/matchers"}
    # The fields we manage (PVE's names) and those PVE's update can remove (proxmox-notify Deleteable*Property).
    FIELDS: ClassVar[dict[str, tuple[str, ...]]] = {
        "smtp": (
            "server",
            "port",
            "mode",
            "username",
            "mailto",
            "mailto-user",
            "from-address",
            "author",
            "comment",
            "disable",
        ),
        "matcher": (
            "match-field",
            "match-severity",
            "match-calendar",
            "target",
            "mode",
            "invert-match",
            "comment",
            "disable",
        ),
    }
    DELETABLE: ClassVar[dict[str, tuple[str, ...]]] = {
        "smtp": ("author", "comment", "disable", "mailto", "mailto-user", "port", "username"),
        "matcher": FIELDS["matcher"],
    }
    LISTS: ClassVar[frozenset[str]] = frozenset(
        {"mailto", "mailto-user", "match-field", "match-severity", "match-calendar", "target"}
    )
    BOOLS: ClassVar[frozenset[str]] = frozenset({"disable", "invert-match"})
    SMTP_MODES: ClassVar[tuple[str, ...]] = ("insecure", "starttls", "tls")
    MATCH_MODES: ClassVar[tuple[str, ...]] = ("all", "any")
    SEVERITIES: ClassVar[tuple[str, ...]] = ("info", "notice", "warning", "error", "unknown")
    CONFIG_ID: ClassVar[re.Pattern[str]] = re.compile(r"[A-Za-z][A-Za-z0-9_\-]+")  # pve-configid
    MATCH_FIELD: ClassVar[re.Pattern[str]] = re.compile(r"(?:(exact|regex):)?([A-Za-z0-9_][A-Za-z0-9._\-]*)=(.*)")
    EMAIL: ClassVar[re.Pattern[str]] = re.compile(r"[^@\s]+@[^@\s]+")
    TIMEOUT: ClassVar[float] = 30.0
    UNKNOWN: ClassVar[str] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # pulumi.runtime.rpc.UNKNOWN

    def __init__(self) -> None:
        super().__init__()
        self._endpoint: str | None = None
        self._token: str | None = None
        self._insecure = False

    def __reduce__(self) -> tuple[Any, ...]:
        # What Pulumi stores: the class by reference, never the credentials configure() set.
        return (type(self), ())

    # ------------------------------------------------------------------ credentials

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        """Where and as whom to talk to PVE: the environment, else the stack config; never the state."""
        client = PveClient.from_run(req.config, "the PVE notification provider")
        self._endpoint, self._token, self._insecure = client.endpoint, client.token, client.insecure

    # ------------------------------------------------------------------ validation

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        """Refuse what PVE would refuse, before anything is sent; a value not known yet is judged at `up`."""
        failures: list[pulumi.dynamic.CheckFailure] = []

        def fail(prop: str, reason: str) -> None:
            failures.append(pulumi.dynamic.CheckFailure(prop, reason))

        def known(value: Any) -> bool:
            return value != self.UNKNOWN and not (isinstance(value, list) and self.UNKNOWN in value)

        kind = news.get("kind")
        if kind not in self.PATHS:
            fail("kind", f"kind {kind!r} must be one of {sorted(self.PATHS)}")
            return pulumi.dynamic.CheckResult(news, failures)
        name = news.get("name")
        if known(name) and not (isinstance(name, str) and self.CONFIG_ID.fullmatch(name)):
            fail("name", f"{name!r} is not a PVE configuration id (a letter, then letters, digits, '-', '_')")
        settings = news.get("settings") or {}
        if not isinstance(settings, dict):
            fail("settings", "settings must be an object")
            return pulumi.dynamic.CheckResult(news, failures)
        unknown = sorted(set(settings) - set(self.FIELDS[kind]))
        if unknown:
            fail("settings", f"unknown {kind} field(s) {unknown}; PVE's: {list(self.FIELDS[kind])}")
        values = {k: v for k, v in settings.items() if known(v) and v is not None}
        for key in self.LISTS & set(values):
            if not (isinstance(values[key], list) and all(isinstance(x, str) for x in values[key])):
                fail(f"settings.{key}", f"{key} must be a list of strings")
                values.pop(key)
        for key in self.BOOLS & set(values):
            if not isinstance(values[key], bool):
                fail(f"settings.{key}", f"{key} must be true or false")
        if kind == "smtp":
            self._check_smtp(values, settings, fail)
        else:
            self._check_matcher(values, fail)
        return pulumi.dynamic.CheckResult(news, failures)

    def _check_smtp(self, values: dict[str, Any], settings: dict[str, Any], fail: Any) -> None:
        for required in ("server", "from-address"):
            if required not in settings:
                fail(f"settings.{required}", f"{required} is required for an SMTP target")
        if values.get("mode") is not None and values["mode"] not in self.SMTP_MODES:
            fail("settings.mode", f"mode {values['mode']!r} must be one of {list(self.SMTP_MODES)}")
        port = values.get("port")
        if port is not None and not (isinstance(port, int) and not isinstance(port, bool) and 1 <= port <= 65535):
            fail("settings.port", f"port {port!r} must be a number 1-65535")
        bad = [a for a in values.get("mailto", []) if not self.EMAIL.fullmatch(a)]
        if bad:
            fail("settings.mailto", f"not e-mail addresses: {bad}")
        if "mailto" in settings or "mailto-user" in settings:
            return
        fail("settings.mailto", "an SMTP target needs a recipient: mailto or mailto-user")

    def _check_matcher(self, values: dict[str, Any], fail: Any) -> None:
        for i, entry in enumerate(values.get("match-field", [])):
            if not self.MATCH_FIELD.fullmatch(entry) or not entry.startswith(("exact:", "regex:")):
                fail(f"settings.match-field[{i}]", f"{entry!r} is not (exact|regex):<field>=<value>")
            elif entry.startswith("regex:"):
                try:
                    re.compile(entry.split("=", 1)[1])
                except re.error as exc:
                    fail(f"settings.match-field[{i}]", f"invalid regex: {exc}")
        for i, entry in enumerate(values.get("match-severity", [])):
            wrong = [s for s in entry.split(",") if s.strip() not in self.SEVERITIES]
            if wrong:
                fail(f"settings.match-severity[{i}]", f"{wrong} not in {list(self.SEVERITIES)}")
        for i, target in enumerate(values.get("target", [])):
            if not self.CONFIG_ID.fullmatch(target):
                fail(f"settings.target[{i}]", f"{target!r} is not a target name")
        if values.get("mode") is not None and values["mode"] not in self.MATCH_MODES:
            fail("settings.mode", f"mode {values['mode']!r} must be one of {list(self.MATCH_MODES)}")

    # ------------------------------------------------------------------ lifecycle

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        replaces = [k for k in ("kind", "name") if olds.get(k) != news.get(k)]
        changed = replaces or (
            self._normal(news.get("kind"), news.get("settings")) != self._normal(olds.get("kind"), olds.get("settings"))
            or olds.get("password") != news.get("password")
        )
        # Same name, other kind: PVE's names are one namespace, so the old object must go first.
        return pulumi.dynamic.DiffResult(
            changes=bool(changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=bool(replaces) and olds.get("name") == news.get("name"),
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        body = self._wire(props["kind"], props.get("settings"))
        body["name"] = props["name"]
        if props.get("password"):
            body["password"] = props["password"]
        self._request("POST", self.PATHS[props["kind"]], body)
        return pulumi.dynamic.CreateResult(id_=props["name"], outs=dict(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        kind = news["kind"]
        body = self._wire(kind, news.get("settings"))
        gone = [k for k in self.DELETABLE[kind] if k not in body]
        if news.get("password") != olds.get("password"):
            if news.get("password"):
                body["password"] = news["password"]
            else:
                gone.append("password")
        if gone:
            body["delete"] = gone
        self._request("PUT", f"{self.PATHS[kind]}/{self._quote(news['name'])}", body)
        return pulumi.dynamic.UpdateResult(outs=dict(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            self._request("DELETE", f"{self.PATHS[props['kind']]}/{self._quote(props['name'])}")
        except PveError as exc:
            if exc.status != 404:
                raise

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """Refresh: the object as PVE has it; an empty id when it is gone, so Pulumi drops it from the state."""
        kind, name = props.get("kind", "smtp"), props.get("name") or id_
        try:
            live = self._request("GET", f"{self.PATHS[kind]}/{self._quote(name)}") or {}
        except PveError as exc:
            if exc.status == 404:
                return pulumi.dynamic.ReadResult(id_="", outs={})
            raise
        outs = dict(props, name=name, kind=kind)
        outs["settings"] = {
            k: v for k, v in self._normal(kind, {k: live[k] for k in self.FIELDS[kind] if k in live}).items()
        }
        return pulumi.dynamic.ReadResult(id_=name, outs=outs)

    # ------------------------------------------------------------------ wire form

    @classmethod
    def _normal(cls, kind: Any, settings: Any) -> dict[str, Any]:
        """Settings as compared: PVE's defaults and empty values dropped, booleans as bool, lists of str."""
        out: dict[str, Any] = {}
        for key, value in (settings or {}).items():
            if value is None or value == [] or value == "":
                continue
            if key in cls.BOOLS:
                value = value is True or str(value).lower() in ("1", "true")
                if not value:
                    continue
            elif key in cls.LISTS:
                value = [str(x) for x in (value if isinstance(value, list) else [value])]
            elif key == "port":
                value = int(value)
            out[key] = value
        if kind == "matcher" and out.get("mode") == "all":
            del out["mode"]  # proxmox-notify MatchModeOperator: `all` is the default
        return out

    @classmethod
    def _wire(cls, kind: str, settings: Any) -> dict[str, Any]:
        """Settings as PVE takes them: strings, booleans as 0/1, lists as repeated keys."""
        body: dict[str, Any] = {}
        for key, value in cls._normal(kind, settings).items():
            if key in cls.LISTS:
                body[key] = list(value)
            elif key in cls.BOOLS:
                body[key] = "1" if value else "0"
            else:
                body[key] = str(value)
        if kind == "matcher" and "mode" in (settings or {}) and (settings or {}).get("mode"):
            body["mode"] = str(settings["mode"])
        return body

    @staticmethod
    def _quote(name: str) -> str:
        import urllib.parse

        return urllib.parse.quote(name, safe="")

    # ------------------------------------------------------------------ HTTP

    def _request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        """One API call (proxcloud_providers/pve_http.py); errors never show the token or password."""
        client = PveClient(
            self._endpoint, self._token, self._insecure, None, self.TIMEOUT, "the PVE notification provider"
        )
        return client.request(method, path, body)


# ---------------------------------------------------------------------- resources


@dataclass
class SmtpTargetArgs:
    """Inputs of PveSmtpTarget (PVE's `endpoints/smtp`)."""

    name: pulumi.Input[str]
    """Target name (pve-configid); changing it replaces the target."""
    server: pulumi.Input[str]
    """SMTP relay."""
    from_address: pulumi.Input[str]
    """`from-address`."""
    mailto: pulumi.Input[list[str]]
    """Recipients."""
    mode: pulumi.Input[str] = "tls"
    """tls | starttls | insecure."""
    port: pulumi.Input[int] | None = None
    """Port; PVE's default for the mode when None."""
    username: pulumi.Input[str] | None = None
    """SMTP login."""
    password: pulumi.Input[str] | None = None
    """SMTP password; always a secret."""
    author: pulumi.Input[str] | None = None
    """Sender display name."""
    comment: pulumi.Input[str] | None = None
    """Shown in PVE's list."""


class PveSmtpTarget(pulumi.dynamic.Resource, module="proxcloud", name="PveSmtpTarget"):
    """An SMTP notification target. Type token `pulumi-python:dynamic/proxcloud:PveSmtpTarget`."""

    name: pulumi.Output[str]
    settings: pulumi.Output[dict[str, Any]]

    def __init__(self, resource_name: str, args: SmtpTargetArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings = {
            "server": args.server,
            "port": args.port,
            "mode": args.mode,
            "username": args.username,
            "mailto": args.mailto,
            "from-address": args.from_address,
            "author": args.author,
            "comment": args.comment,
        }
        props: dict[str, Any] = {
            "kind": "smtp",
            "name": args.name,
            "settings": {k: v for k, v in settings.items() if v is not None},
            "password": pulumi.Output.secret(args.password) if args.password is not None else None,
        }
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["password"]))
        super().__init__(PveNotificationProvider(), resource_name, props, opts)


@dataclass
class MatcherArgs:
    """Inputs of PveNotificationMatcher (PVE's `matchers`)."""

    name: pulumi.Input[str]
    """Matcher name (pve-configid); changing it replaces the matcher."""
    targets: pulumi.Input[list[pulumi.Input[str]]]
    """Targets notified on a match (they must exist: pass the target's `name` output)."""
    match_field: list[str] = field(default_factory=list)
    """`(exact|regex):<field>=<value>` entries."""
    match_severity: list[str] = field(default_factory=list)
    """Severities (info, notice, warning, error, unknown)."""
    mode: str = "all"
    """all | any: how the directives combine."""
    comment: str | None = None
    """Shown in PVE's list."""


class PveNotificationMatcher(pulumi.dynamic.Resource, module="proxcloud", name="PveNotificationMatcher"):
    """A notification matcher. Type token `pulumi-python:dynamic/proxcloud:PveNotificationMatcher`."""

    name: pulumi.Output[str]
    settings: pulumi.Output[dict[str, Any]]

    def __init__(self, resource_name: str, args: MatcherArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        settings: dict[str, Any] = {
            "match-field": list(args.match_field),
            "match-severity": list(args.match_severity),
            "target": args.targets,
            "mode": args.mode,
        }
        if args.comment is not None:
            settings["comment"] = args.comment
        props = {"kind": "matcher", "name": args.name, "settings": settings}
        super().__init__(PveNotificationProvider(), resource_name, props, opts)


# ---------------------------------------------------------------------- the component


@dataclass
class NotificationsArgs:
    """Inputs of Notifications."""

    spec: NotificationsSpec
    """SMTP relay, mode, port, from address, login."""
    recipients: list[str]
    """The admins' addresses (model.notifications.admin_addresses)."""
    matcher: MatcherSpec
    """What reaches them (model.notifications.admin_matcher)."""
    password: pulumi.Input[str] | None
    """`proxcloud:smtpPassword` when the relay needs a login (secret)."""


class Notifications(pulumi.ComponentResource):
    """The SMTP target and the admin matcher; `target_name` is the target's PVE name."""

    target: PveSmtpTarget
    matcher: PveNotificationMatcher

    def __init__(self, name: str, args: NotificationsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:Notifications", name, None, opts)
        s, m = args.spec, args.matcher
        self.target = PveSmtpTarget(
            f"{name}-smtp",
            SmtpTargetArgs(
                name=SMTP_TARGET,
                server=s.server,
                from_address=s.from_address,
                mailto=list(args.recipients),
                mode=s.mode.value,
                port=s.effective_port,
                username=s.username,
                password=args.password if s.username else None,
                author=s.author,
                comment="proxcloud: the admins' mail relay",
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.matcher = PveNotificationMatcher(
            f"{name}-admin-matcher",
            MatcherArgs(
                name=m.name,
                targets=[self.target.name],
                match_field=list(m.match_field),
                match_severity=list(m.match_severity),
                mode=m.mode,
                comment=m.comment,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"target": self.target.name, "matcher": self.matcher.name})
