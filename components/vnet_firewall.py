"""VnetFirewallRules: the SDN VNet firewall (PVE 9), which pulumi-proxmoxve 8.6.0 has no resource for.

A Pulumi dynamic provider that owns the **whole** firewall of one VNet: its rule list
(`/cluster/sdn/vnets/{vnet}/firewall/rules`) and its options (`.../firewall/options`: `enable`,
`policy_forward`, `log_level_forward`, the only options PVE 9's schema has at VNet level). VNet rules filter
traffic *passing by* the VNet (direction `forward`, including bridged guest NICs) and need the nftables-based
`proxmox-firewall` on the nodes; the stock iptables `pve-firewall` ignores forward rules (PVE firewall docs).
VNet firewall writes are not staged like zones/VNets/subnets: they take effect at once, and PVE answers them
only for a VNet of the *running* SDN config. So give the resource `depends_on=[<the SdnApply applier>]`.

Reconciliation (create/update) makes the server list equal to the desired list, in order, with the fewest
writes and without a window in which the VNet runs on its policy alone:

1. surplus rules are deleted from the tail (highest position first, so positions stay valid);
2. each position present on both sides is rewritten in place (`PUT /rules/{pos}`) only if it differs;
3. each missing rule is appended: PVE's `POST` always inserts at position 0 (`unshift` in
   PVE/API2/Firewall/Rules.pm), so it is posted **disabled**, moved to the end (`PUT moveto=<len>`), then
   enabled. A disabled rule matches nothing, so no rule ever takes effect at a position it will not keep.
4. the list is read back and compared; a mismatch (someone edited concurrently) is an error.

Delete-all-then-post was rejected: it leaves the VNet on its policy alone between the deletes and the posts
(with `policy_forward=ACCEPT` everything is open, with DROP everything is cut) and costs 2n calls for a
one-field edit. Options are written after the rules on create/update (so the firewall is not switched on
before its rules exist) and reset after the rules are deleted on delete.

The provider uses only the standard library (urllib + ssl) and keeps no module-level state: Pulumi pickles
it with dill (by reference to this module, so the provider host must run from the project directory, as
`pulumi up` does). The API token is an input, wrapped as a secret and listed in `additional_secret_outputs`;
it is sent only in the `Authorization` header and never appears in an error or log message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, TypedDict

import pulumi
import pulumi.dynamic

from proxcloud_providers.pve_http import PveClient, PveError


class VnetFirewallRule(TypedDict, total=False):
    """One VNet firewall rule, with PVE's field names (`icmp_type` for PVE's `icmp-type`)."""

    type: str  # "forward" (or "group" with action=<security group name>)
    action: str  # ACCEPT | DROP | REJECT (REJECT is refused on forward chains) | a security group name
    proto: str
    dport: str
    sport: str
    source: str
    dest: str
    macro: str
    iface: str
    log: str
    enable: bool  # default True (PVE itself defaults a posted rule to disabled)
    comment: str
    icmp_type: str


class VnetFirewallOptions(TypedDict, total=False):
    """VNet firewall options (PUT /cluster/sdn/vnets/{vnet}/firewall/options); a missing key is unset."""

    enable: bool
    policy_forward: str  # ACCEPT | DROP
    log_level_forward: str  # emerg | alert | crit | err | warning | notice | info | debug | nolog


class VnetFirewallProvider(pulumi.dynamic.ResourceProvider):
    """CRUD for one VNet's firewall rules and options over the PVE API, stdlib only."""

    RULE_FIELDS: ClassVar[tuple[str, ...]] = (
        "type",
        "action",
        "macro",
        "iface",
        "source",
        "dest",
        "proto",
        "dport",
        "sport",
        "log",
        "comment",
        "icmp-type",
    )
    OPTION_FIELDS: ClassVar[tuple[str, ...]] = ("enable", "policy_forward", "log_level_forward")
    LOG_LEVELS: ClassVar[tuple[str, ...]] = (
        "emerg",
        "alert",
        "crit",
        "err",
        "warning",
        "notice",
        "info",
        "debug",
        "nolog",
    )
    # Properties whose change needs a new resource: another VNet is another object.
    REPLACE_KEYS: ClassVar[tuple[str, ...]] = ("vnet",)
    UPDATE_KEYS: ClassVar[tuple[str, ...]] = ("rules", "options", "endpoint", "api_token", "insecure", "ca_pem")
    TIMEOUT: ClassVar[float] = 30.0
    # What the engine passes for a value not known yet (preview): pulumi.runtime.rpc.UNKNOWN.
    UNKNOWN: ClassVar[str] = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

    def __init__(self) -> None:
        super().__init__()
        self._run: PveClient | None = None

    def __reduce__(self) -> tuple[Any, ...]:
        # What Pulumi stores: the class by reference (this module's path, kept importable), never credentials.
        return (type(self), ())

    def configure(self, req: pulumi.dynamic.ConfigureRequest) -> None:
        """The credentials of this run (environment, else stack config: proxcloud_providers/pve_http.py), used
        for every call - a token rotated and deleted since the last `up` no longer breaks refresh or destroy."""
        self._run = PveClient.from_run(req.config, "the VNet firewall provider")

    # ------------------------------------------------------------------ validation

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.CheckResult:
        """Reject what PVE would reject before anything is sent; messages never contain the token."""
        import re

        original = news
        failures: list[pulumi.dynamic.CheckFailure] = []

        def fail(prop: str, reason: str) -> None:
            failures.append(pulumi.dynamic.CheckFailure(prop, reason))

        def known(value: Any) -> bool:
            return value != self.UNKNOWN

        if not all(known(news.get(k)) for k in ("vnet", "endpoint", "api_token", "rules", "options")):
            # Some input is computed by another resource: judge what is known, the rest at `up`.
            news = {k: v for k, v in news.items() if known(v)}
            news.setdefault("vnet", "unknown")
            news.setdefault("endpoint", "https://unknown")
            if "api_token" in original:
                news.setdefault("api_token", "unknown@pve!unknown=unknown")

        vnet = news.get("vnet")
        if not isinstance(vnet, str) or not re.fullmatch(r"[a-zA-Z][a-zA-Z0-9]*[a-zA-Z0-9]", vnet) or len(vnet) > 8:
            fail("vnet", f"VNet id {vnet!r} must be 2-8 characters, a letter first, then letters or digits")
        endpoint = news.get("endpoint")
        if not isinstance(endpoint, str) or not re.fullmatch(r"https://[^/\s]+(:\d+)?/?", endpoint):
            fail("endpoint", f"endpoint {endpoint!r} must look like https://host:8006 (without /api2/json)")
        token = news.get("api_token")  # optional: the run's credentials otherwise (configure)
        if token is not None and not (
            isinstance(token, str) and re.fullmatch(r"[^\s@!=]+@[^\s@!=]+![A-Za-z][A-Za-z0-9._-]*=\S+", token)
        ):
            fail("api_token", "api_token must have the form user@realm!tokenid=secret (value not shown)")
        rules = news.get("rules") or []
        if not isinstance(rules, list):
            fail("rules", "rules must be a list")
            rules = []
        for index, rule in enumerate(rules):
            if not isinstance(rule, dict):
                fail(f"rules[{index}]", "a rule must be an object")
                continue
            unknown = set(rule) - {*self.RULE_FIELDS, "icmp_type", "enable"}
            if unknown:
                fail(f"rules[{index}]", f"unknown rule field(s) {sorted(unknown)}; allowed: {list(self.RULE_FIELDS)}")
            if not all(known(v) for v in rule.values()):
                continue
            rtype, action = rule.get("type"), rule.get("action")
            if rtype not in ("forward", "group"):
                fail(
                    f"rules[{index}].type",
                    f"type {rtype!r}: a VNet firewall filters traffic passing by the VNet, use 'forward' "
                    "(or 'group' to insert a security group)",
                )
            if rtype == "forward" and action not in ("ACCEPT", "DROP"):
                fail(f"rules[{index}].action", f"action {action!r}: a forward rule takes ACCEPT or DROP")
            if rtype == "group" and not (isinstance(action, str) and re.fullmatch(r"[A-Za-z][A-Za-z0-9\-_]+", action)):
                fail(f"rules[{index}].action", f"action {action!r}: a group rule names a security group")
            if rule.get("dport") and not (rule.get("proto") or rule.get("macro")):
                fail(f"rules[{index}].proto", "dport needs proto (e.g. 'tcp')")
            if rule.get("log") is not None and rule.get("log") not in self.LOG_LEVELS:
                fail(f"rules[{index}].log", f"log {rule.get('log')!r} must be one of {list(self.LOG_LEVELS)}")
        options = news.get("options") or {}
        if not isinstance(options, dict):
            fail("options", "options must be an object")
        else:
            unknown = set(options) - set(self.OPTION_FIELDS)
            if unknown:
                fail("options", f"unknown option(s) {sorted(unknown)}; PVE 9 VNet options: {list(self.OPTION_FIELDS)}")
            if options.get("policy_forward") not in (None, "ACCEPT", "DROP"):
                fail("options.policy_forward", f"{options.get('policy_forward')!r} must be ACCEPT or DROP")
            if options.get("log_level_forward") not in (None, *self.LOG_LEVELS):
                fail("options.log_level_forward", f"must be one of {list(self.LOG_LEVELS)}")
        return pulumi.dynamic.CheckResult(original, failures)

    # ------------------------------------------------------------------ lifecycle

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.DiffResult:
        replaces = [k for k in self.REPLACE_KEYS if olds.get(k) != news.get(k)]
        changed = [k for k in self.UPDATE_KEYS if olds.get(k) != news.get(k)]
        # The token rotating is an update of stored state only; rules and options compare by wire form.
        if "rules" in changed and self._wire_rules(olds.get("rules")) == self._wire_rules(news.get("rules")):
            changed.remove("rules")
        return pulumi.dynamic.DiffResult(
            changes=bool(replaces or changed),
            replaces=replaces,
            stables=[],
            delete_before_replace=False,
        )

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        self._reconcile(props)
        return pulumi.dynamic.CreateResult(id_=props["vnet"], outs=dict(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> pulumi.dynamic.UpdateResult:
        self._reconcile(news)
        return pulumi.dynamic.UpdateResult(outs=dict(news))

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        base = self._base(props["vnet"])
        try:
            current = self._request(props, "GET", base + "/rules") or []
        except PveError as exc:
            if exc.not_found:
                return  # the VNet is gone, and its firewall with it
            raise
        for pos in range(len(current) - 1, -1, -1):
            self._request(props, "DELETE", f"{base}/rules/{pos}")
        self._request(props, "PUT", base + "/options", {"delete": ",".join(self.OPTION_FIELDS)})

    def read(self, id_: str, props: dict[str, Any]) -> pulumi.dynamic.ReadResult:
        """Refresh: the rules and options on the server, in the resource's own shape."""
        vnet = props.get("vnet") or id_
        base = self._base(vnet)
        try:
            server_rules = self._request(props, "GET", base + "/rules") or []
        except PveError as exc:
            if exc.not_found:  # the VNet is gone: so is this resource (an empty id drops it from the state)
                return pulumi.dynamic.ReadResult(id_="", outs={})
            raise
        server_rules = sorted(server_rules, key=lambda r: int(r.get("pos", 0)))
        options = self._request(props, "GET", base + "/options") or {}
        outs = dict(props)
        outs["vnet"] = vnet
        outs["rules"] = [self._from_wire(self._normalise(r)) for r in server_rules]
        outs["options"] = {
            k: (bool(int(v)) if k == "enable" else v)
            for k, v in options.items()
            if k in self.OPTION_FIELDS and v is not None
        }
        return pulumi.dynamic.ReadResult(id_=vnet, outs=outs)

    # ------------------------------------------------------------------ reconciliation

    def _reconcile(self, props: dict[str, Any]) -> None:
        base = self._base(props["vnet"])
        desired = self._wire_rules(props.get("rules"))
        current = [self._normalise(r) for r in self._server_rules(props, base)]
        # 1. surplus from the tail
        for pos in range(len(current) - 1, len(desired) - 1, -1):
            self._request(props, "DELETE", f"{base}/rules/{pos}")
        # 2. in place where both sides have a rule
        for pos in range(min(len(current), len(desired))):
            if current[pos] != desired[pos]:
                body = dict(desired[pos])
                gone = [k for k in current[pos] if k not in desired[pos] and k != "enable"]
                if gone:
                    body["delete"] = ",".join(gone)
                self._request(props, "PUT", f"{base}/rules/{pos}", body)
        # 3. append the missing ones: posted disabled (at position 0), moved to the end, then enabled
        for pos in range(len(current), len(desired)):
            rule = desired[pos]
            self._request(props, "POST", base + "/rules", dict(rule, enable="0"))
            self._request(props, "PUT", f"{base}/rules/0", {"moveto": str(pos + 1)})
            if rule["enable"] != "0":
                self._request(props, "PUT", f"{base}/rules/{pos}", {"enable": rule["enable"]})
        # 4. read back
        after = [self._normalise(r) for r in self._server_rules(props, base)]
        if after != desired:
            raise RuntimeError(
                f"VNet {props['vnet']}: the firewall rules on the server differ from the desired list after "
                f"reconciling (changed concurrently?): server has {len(after)} rules, wanted {len(desired)}; "
                "run `pulumi refresh` and try again"
            )
        self._write_options(props, base)

    def _write_options(self, props: dict[str, Any], base: str) -> None:
        options = props.get("options") or {}
        body: dict[str, str] = {}
        for key in self.OPTION_FIELDS:
            value = options.get(key)
            if value is None:
                continue
            body[key] = ("1" if value else "0") if key == "enable" else str(value)
        unset = [k for k in self.OPTION_FIELDS if k not in body]
        if unset:
            body["delete"] = ",".join(unset)
        self._request(props, "PUT", base + "/options", body)

    def _server_rules(self, props: dict[str, Any], base: str) -> list[dict[str, Any]]:
        rules = self._request(props, "GET", base + "/rules") or []
        return sorted(rules, key=lambda r: int(r.get("pos", 0)))

    @classmethod
    def _wire_rules(cls, rules: Any) -> list[dict[str, str]]:
        """Desired rules in the form PVE stores and returns them (strings, absent = unset)."""
        out = []
        for rule in rules or []:
            wire: dict[str, str] = {}
            for key, value in rule.items():
                name = "icmp-type" if key == "icmp_type" else key
                if name == "enable" or value is None or value == "":
                    continue
                wire[name] = str(value)
            wire["enable"] = "1" if rule.get("enable", True) else "0"
            out.append(cls._normalise(wire))
        return out

    @classmethod
    def _normalise(cls, rule: dict[str, Any]) -> dict[str, str]:
        """A rule as compared: PVE's fields only, strings, macro names case-folded, `nolog` as no log."""
        out = {k: str(rule[k]) for k in cls.RULE_FIELDS if rule.get(k) not in (None, "")}
        if "macro" in out:
            out["macro"] = out["macro"].lower()
        if out.get("log") == "nolog":
            del out["log"]
        out["enable"] = "1" if str(rule.get("enable", "0")) not in ("0", "False", "false") else "0"
        return out

    @staticmethod
    def _from_wire(rule: dict[str, str]) -> dict[str, Any]:
        out: dict[str, Any] = {("icmp_type" if k == "icmp-type" else k): v for k, v in rule.items()}
        out["enable"] = rule.get("enable") == "1"
        return out

    # ------------------------------------------------------------------ HTTP

    @staticmethod
    def _base(vnet: str) -> str:
        import urllib.parse

        return f"/cluster/sdn/vnets/{urllib.parse.quote(vnet, safe='')}/firewall"

    def _request(self, props: dict[str, Any], method: str, path: str, body: dict[str, str] | None = None) -> Any:
        """One API call (proxcloud_providers/pve_http.py) with the run's credentials once configure() ran; the
        inputs' endpoint and token only for a provider never configured (direct use, state written before)."""
        run = self._run
        client = PveClient(
            (run.endpoint if run and run.token else None) or props.get("endpoint"),
            (run.token if run else None) or props.get("api_token"),
            bool(run.insecure if run and run.token else props.get("insecure")),
            props.get("ca_pem"),
            self.TIMEOUT,
            "the VNet firewall provider",
        )
        return client.request(method, path, body, hidden=())


@dataclass(frozen=True)
class PveConnection:
    """Where and as whom the VNet firewall provider talks to PVE."""

    endpoint: str
    """`https://host:8006`."""
    api_token: pulumi.Output[str]
    """`user@realm!tokenid=uuid`, a secret."""
    insecure: bool = False
    """Skip TLS verification."""


def pve_connection(config: pulumi.Config | None = None) -> PveConnection:
    """The connection the stack gives pulumi-proxmoxve (`proxmoxve:endpoint`, `proxmoxve:apiToken`,
    `proxmoxve:insecure`), falling back to the provider's environment variables PROXMOX_VE_ENDPOINT,
    PROXMOX_VE_API_TOKEN and PROXMOX_VE_INSECURE, so the VNet firewall uses the same cluster and token."""
    import os

    cfg = config or pulumi.Config("proxmoxve")
    endpoint = cfg.get("endpoint") or os.environ.get("PROXMOX_VE_ENDPOINT")
    token = cfg.get_secret("apiToken")
    if token is None and os.environ.get("PROXMOX_VE_API_TOKEN"):
        token = pulumi.Output.secret(os.environ["PROXMOX_VE_API_TOKEN"])
    missing = [k for k, v in (("proxmoxve:endpoint", endpoint), ("proxmoxve:apiToken", token)) if v is None]
    if missing:
        raise pulumi.RunError(
            f"the VNet firewall needs {' and '.join(missing)}: set it with `pulumi config set "
            f"{missing[0]} ...{' --secret' if 'apiToken' in missing[0] else ''}` (or PROXMOX_VE_ENDPOINT / "
            "PROXMOX_VE_API_TOKEN)"
        )
    insecure = cfg.get_bool("insecure")
    if insecure is None:
        insecure = os.environ.get("PROXMOX_VE_INSECURE", "").lower() in ("1", "true", "yes")
    return PveConnection(endpoint=str(endpoint), api_token=pulumi.Output.secret(token), insecure=insecure)


@dataclass
class VnetFirewallRulesArgs:
    """Inputs of VnetFirewallRules."""

    vnet: pulumi.Input[str]
    """The SDN VNet id (2-8 characters); changing it replaces the resource."""
    endpoint: pulumi.Input[str]
    """PVE API base URL, `https://host:8006` (the provider's `proxmoxve:endpoint`)."""
    api_token: pulumi.Input[str] | None = None
    """`user@realm!tokenid=uuid` (a secret), only for a provider that is not configured by the engine: the
    program passes none, so no token is in the state (the provider takes the run's, configure())."""
    rules: pulumi.Input[list[VnetFirewallRule]] | None = None
    """The complete, ordered rule list of the VNet (first match wins); rules not listed are removed."""
    options: pulumi.Input[VnetFirewallOptions] | None = None
    """VNet firewall options; keys left out are reset to PVE's defaults."""
    insecure: pulumi.Input[bool] | None = None
    """Skip TLS verification (test clusters only)."""
    ca_pem: pulumi.Input[str] | None = None
    """PEM of the CA that signed the node certificate, when it is not in the system store."""


class VnetFirewallRules(pulumi.dynamic.Resource, module="proxcloud", name="VnetFirewallRules"):
    """The whole firewall (rules + options) of one SDN VNet.

    Type token `pulumi-python:dynamic/proxcloud:VnetFirewallRules`.
    """

    vnet: pulumi.Output[str]
    rules: pulumi.Output[list[dict[str, Any]]]
    options: pulumi.Output[dict[str, Any]]

    def __init__(self, name: str, args: VnetFirewallRulesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        props: dict[str, Any] = {
            "vnet": args.vnet,
            "endpoint": args.endpoint,
            "rules": args.rules or [],
            "options": args.options or {},
            "insecure": args.insecure or False,
            "ca_pem": args.ca_pem,
        }
        if args.api_token is not None:
            props["api_token"] = pulumi.Output.secret(args.api_token)
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=["api_token"]))
        super().__init__(VnetFirewallProvider(), name, props, opts)
