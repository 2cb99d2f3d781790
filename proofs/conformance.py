"""Provider conformance of a planned graph: every input of every registered resource against the provider's own
validators (bpg/terraform-provider-proxmox v0.111.1, the tag pulumi-proxmoxve's newest stored `provider/go.mod`
bridges) and the PVE API formats the call will hit. The rules are data in `proofs/provider_rules.py`, each row with
its source; on an upgrade of pulumi-proxmoxve, re-read the bpg tag of the new `provider/go.mod` against those rows.

Modelled:
- the provider's attribute validators (regex, lengths, ranges, enums, named parsers), list limits and relations
  (ConflictsWith, ExactlyOneOf, RequiredWith/AlsoRequires, type-dependent requirements) for the attributes read;
- PVE 9's API parameter schema (type, format, pattern, length, range, enum, property-string keys) for the parameter
  each input becomes, from fakepve's vendored schema, with PVE's named formats as fakepve implements them plus
  calendar events, privileges and prune-backups here; parameter names (`scsi0`, `ide2`) must exist;
- pve-firewall's `verify_rule` per rule environment (types, actions, macros, protocols, port lists and ranges, address
  lists, iface, icmp types) and that every referenced ipset, alias and security group exists in the plan;
- coverage: a resource type with no rules fails, an input the plan sets with no row fails, and an input the installed
  SDK's schema does not know fails.
Not modelled: provider checks that need the cluster (datastore content types, existing files and rules), existence of
referenced objects other than firewall ones (a user's groups, an ACL's role: the privileges proof covers roles), macro
parameter conflicts (`apply_macro`), `/etc/services` and `/etc/protocols` beyond fakepve's sample, SDN ipsets, PVE
formats neither fakepve nor this module implements (`provider_rules.UNMODELLED_FORMATS`), and values that are secret
or unknown in the plan (reported as not checked).
"""

from __future__ import annotations

import functools
import importlib
import ipaddress
import re
import typing
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
from fakepve import firewall as fakepve_firewall
from fakepve import formats as pve_formats
from fakepve import schema as pve_schema

from proofs import provider_rules as pr
from proofs.pve import PRIVILEGES
from tools.mockengine import REDACTED, Recording, Registration

UNKNOWN_VALUE = "[unknown]"
ALIAS = "proxmoxve:firewall/aliasLegacy:AliasLegacy"


@dataclass(frozen=True)
class Problem:
    """One input the provider or PVE would refuse, with the rule's source."""

    resource: str
    type: str
    input: str
    message: str
    source: str
    family: str

    def __str__(self) -> str:
        where = f".{self.input}" if self.input else ""
        return f"{self.resource}{where}: {self.message} [{self.family}: {self.source}] ({self.type})"


@dataclass
class Report:
    problems: list[Problem] = field(default_factory=list)
    not_checked: set[str] = field(default_factory=set)  # what the proof saw but could not decide, once each


# --- the installed SDK's input schema (what `pulumi preview` would send to the provider) ---


@dataclass(frozen=True)
class Node:
    kind: str  # "object", "list", "map", "scalar"
    fields: Mapping[str, Node] = field(default_factory=dict)
    child: Node | None = None


_SDK_PACKAGES = {"proxmoxve": "pulumi_proxmoxve", "random": "pulumi_random", "command": "pulumi_command"}


def _sdk_type_node(tp: Any) -> Node:
    # pulumi._types is the SDK's own reflection of its generated input classes; there is no public equivalent.
    from pulumi import _types as sdk_types

    origin = typing.get_origin(tp)
    if origin is typing.Union:  # Input[T] = T | Awaitable[T] | Output[T], Optional adds None
        wrappers = (Awaitable, pulumi.Output)
        members = [a for a in typing.get_args(tp) if a is not type(None) and typing.get_origin(a) not in wrappers]
        return _sdk_type_node(members[0]) if members else Node("scalar")
    if origin in (list, Sequence):
        return Node("list", child=_sdk_type_node(typing.get_args(tp)[0]))
    if origin in (dict, Mapping):
        return Node("map", child=_sdk_type_node(typing.get_args(tp)[1]))
    if isinstance(tp, type) and sdk_types.is_input_type(tp):
        return _sdk_object(tp)
    return Node("scalar")


@functools.cache
def _sdk_object(cls: type) -> Node:
    from pulumi import _types as sdk_types

    types = sdk_types.input_type_types(cls)
    names = sdk_types.input_type_py_to_pulumi_names(cls).values()
    return Node("object", fields={n: _sdk_type_node(types[n]) for n in names if n in types})


@functools.cache
def sdk_schema(type_token: str) -> Node | None:
    """The input schema of a resource type from the installed SDK, or None when there is no SDK for it."""
    package, module, name = type_token.split(":")
    if package not in _SDK_PACKAGES:
        return None
    parts = module.split("/")
    if parts[-1].lower() == name.lower():
        parts = parts[:-1]
    if parts == ["index"]:
        parts = []
    mod = importlib.import_module(".".join([_SDK_PACKAGES[package], *parts]))
    return _sdk_object(getattr(mod, f"{name}Args"))


def _leaves(value: Any, node: Node | None, path: str, unknown: list[str]) -> Iterator[str]:
    """The normalised input paths a value sets (`a.b`, `a[]`, `a{}`, `a{key}`); inputs the schema lacks go to
    `unknown`."""
    kind = node.kind if node is not None else ("object" if isinstance(value, dict) else "scalar")
    if isinstance(value, dict) and kind == "map":
        for item in value.values():
            yield from _leaves(item, node.child if node else None, path + "{}", unknown)
        if value:
            yield path + "{key}"
    elif isinstance(value, dict):
        for key, item in value.items():
            sub = f"{path}.{key}" if path else key
            child = None
            if node is not None:
                child = node.fields.get(key)
                if child is None:
                    unknown.append(sub)
                    continue
            yield from _leaves(item, child, sub, unknown)
    elif isinstance(value, list):
        child = node.child if node is not None and node.kind == "list" else None
        for item in value:
            yield from _leaves(item, child, path + "[]", unknown)
    elif value is not None:
        yield path


# --- reading values at rule paths ---
_SEGMENT = re.compile(r"([^\[{]*)(\[\]|\{\}|\{key\})?")


def values_at(inputs: Mapping[str, Any], path: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) for every value a rule path selects; absent or null values select nothing."""
    if path == "":
        yield "", inputs
        return
    yield from _walk(inputs, path.split("."), "")


def _walk(value: Any, segments: list[str], prefix: str) -> Iterator[tuple[str, Any]]:
    if not segments:
        yield prefix, value
        return
    match = _SEGMENT.fullmatch(segments[0])
    assert match is not None, segments[0]
    name, suffix = match.groups()
    if not isinstance(value, Mapping) or value.get(name) is None:
        return
    here, item = (f"{prefix}.{name}" if prefix else name), value[name]
    if suffix == "[]":
        for i, elem in enumerate(item if isinstance(item, list) else []):
            yield from _walk(elem, segments[1:], f"{here}[{i}]")
    elif suffix == "{}":
        for key, elem in (item if isinstance(item, Mapping) else {}).items():
            yield from _walk(elem, segments[1:], f"{here}[{key!r}]")
    elif suffix == "{key}":
        for key in item if isinstance(item, Mapping) else {}:
            yield f"{here}{{{key}}}", key
    else:
        yield from _walk(item, segments[1:], here)


def _is_set(scope: Mapping[str, Any], attr: str) -> bool:
    return scope.get(attr) is not None


def _opaque(value: Any) -> bool:
    return value in (REDACTED, UNKNOWN_VALUE)


# --- the provider's named parsers (provider_rules.Parse) ---


def _bpg_vmid(v: Any) -> str | None:
    if not isinstance(v, int) or isinstance(v, bool):
        return "expected an integer"
    return None if v == -1 or 100 <= v <= 2147483647 else f"expected to be in the range (100 - 2147483647), got {v}"


_GO_DURATION = re.compile(r"[-+]?(?:0|(?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)")


def _go_ip(v: Any) -> str | None:
    try:
        ipaddress.ip_address(v)
    except ValueError:
        return f"'{v}' is not an IP address (net.ParseIP)"
    return None


def _go_cidr(v: Any) -> str | None:
    try:
        if "/" not in v:
            raise ValueError(v)
        ipaddress.ip_network(v, strict=False)
    except ValueError:
        return f"'{v}' is not an IP/CIDR (net.ParseCIDR)"
    return None


_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _hotplug(v: Any) -> str | None:
    if v in ("", "0", "1"):
        return None
    parts = v.split(",")
    bad = [p for p in parts if p not in ("cpu", "disk", "memory", "network", "usb")]
    if bad:
        return f"'{bad[0]}' is not a valid hotplug feature (must be cpu, disk, memory, network, usb, 0, or 1)"
    return f"duplicate hotplug feature in '{v}'" if len(set(parts)) != len(parts) else None


def _file_mode(v: Any) -> str | None:
    try:
        mode = int(v, 10)
    except (TypeError, ValueError):
        return f"failed to parse file mode {v!r}"
    return None if 1 <= mode <= 2**32 - 1 else f"{v!r} must be in the range (1 - 4294967295)"


def _ha_resource_id(v: Any) -> str | None:
    kind, sep, name = str(v).partition(":")
    if not sep:
        return f"'{v}' is not a valid HA resource identifier"
    if kind not in ("vm", "ct"):
        return f"could not extract type from HA resource identifier '{v}': illegal HA resource type '{kind}'"
    if not re.fullmatch(r"[+-]?\d+", name):
        return f"invalid {kind} HA resource name '{name}'"
    if not 100 <= int(name) <= 999_999_999:
        return f"invalid {kind} HA resource name '{name}': must be 100-999999999"
    return None


def _acl_path(v: Any) -> str | None:
    path = re.sub("/+", "/", str(v)).removesuffix("/") or "/"
    path = path if path.startswith("/") else "/" + path
    if not re.fullmatch(r"[A-Za-z0-9.\-_/]+", path) or not any(re.fullmatch(p, path) for p in pr.ACL_PATHS):
        return f"invalid ACL path '{v}'"
    return None


def _prune_backups(v: Any) -> str | None:
    """pve-storage validate_prune_backups: keep-all cannot be set together with other (non-zero) options."""
    options = {k: str(x) for k, x in dict(v).items()}
    keep_all = options.pop("keep-all", "0") in ("1", "true", "yes", "on")
    others = [k for k, x in options.items() if x.isdigit() and int(x) > 0]
    return "keep-all cannot be set together with other options." if keep_all and others else None


PARSERS: dict[str, Callable[[Any], str | None]] = {
    "pve-prune-backups": _prune_backups,
    "bpg-vmid": _bpg_vmid,
    "go-duration": lambda v: None if _GO_DURATION.fullmatch(str(v)) else f"'{v}' is not a duration",
    "go-ip": _go_ip,
    "go-cidr": _go_cidr,
    "rfc3339": lambda v: None if _RFC3339.fullmatch(str(v)) else f"'{v}' is not an RFC3339 time",
    "bpg-hotplug": _hotplug,
    "bpg-serial-device": lambda v: (
        None if str(v).startswith("/dev/") or v == "socket" else "expected '/dev/*' or 'socket'"
    ),
    "bpg-file-mode": _file_mode,
    "ha-resource-id": _ha_resource_id,
    "pve-acl-path": _acl_path,
    # pve-firewall src/PVE/API2/Firewall/IPSet.pm create_ip (and Firewall.pm's config parser): `$cidr =~ m!/0+$!`
    "pve-ipset-entry": lambda v: (
        "a zero prefix is not allowed in ipset entries" if re.search(r"/0+$", str(v)) else None
    ),
}


# --- PVE calendar events (proxmox-time calendar_event.rs, parse_helpers.rs, week_days.rs) ---
_SHORTHANDS = ("minutely", "hourly", "daily", "weekly", "monthly", "yearly", "annually", "quarterly", "semiannually",
               "semi-annually")  # fmt: skip
_WEEKDAYS = ("monday", "mon", "tuesday", "tue", "wednesday", "wed", "thursday", "thu", "friday", "fri", "saturday",
             "sat", "sunday", "sun")  # fmt: skip


class _CalError(ValueError):
    pass


def _comp(text: str, limit: int) -> tuple[int, str]:
    """parse_time_comp: digits, value < limit."""
    m = re.match(r"\d+", text)
    if not m:
        raise _CalError("expected a number")
    if int(m.group()) >= limit:
        raise _CalError("time value too large")
    return int(m.group()), text[m.end() :]


def _dt_comp(text: str, limit: int) -> str:
    """parse_date_time_comp: N, N/R, N..M, N..M/R."""
    start, text = _comp(text, limit)
    if text.startswith(".."):
        end, text = _comp(text[2:], limit)
        if start > end:
            raise _CalError("range start is bigger than end")
    if text.startswith("/"):
        _, text = _comp(text[1:], limit)
    return text


def _dt_list(text: str, limit: int) -> str:
    """parse_date_time_comp_list: `*`, `*/R` (R > 0), or a comma list of components."""
    if text.startswith("*"):
        rest = text[1:]
        if rest.startswith("/"):
            try:
                repeat, after = _comp(rest[1:], limit)
                if repeat > 0:
                    return after
            except _CalError:
                pass
        return rest
    text = _dt_comp(text, limit)
    while text.startswith(","):
        text = _dt_comp(text[1:], limit)
    return text


def _opt(parser: Callable[[str], str], text: str) -> tuple[bool, str]:
    try:
        return True, parser(text)
    except _CalError:
        return False, text


def _date_spec(text: str) -> str:
    def ymd(t: str) -> str:
        t = _dt_list(t, 2200)
        for limit in (13, 32):
            if not t.startswith("-"):
                raise _CalError("invalid date spec")
            t = _dt_list(t[1:], limit)
        return t

    def md(t: str) -> str:
        t = _dt_list(t, 13)
        if not t.startswith("-"):
            raise _CalError("invalid date spec")
        return _dt_list(t[1:], 32)

    ok, rest = _opt(ymd, text)
    if ok:
        return rest
    ok, rest = _opt(md, text)
    if ok:
        return rest
    raise _CalError("invalid date spec")


def _time_spec(text: str) -> str:
    def hour(t: str) -> str:
        t = _dt_list(t, 24)
        if not t.startswith(":"):
            raise _CalError("expected ':'")
        return t[1:]

    _, text = _opt(hour, text)
    text = _dt_list(text, 60)
    if text.startswith(":"):
        ok, rest = _opt(lambda t: _dt_list(t, 60), text[1:])
        if ok:
            text = rest
    return text


def calendar_event_error(event: str) -> str | None:
    """Why PVE refuses a calendar event (pve-common PVE::CalendarEvent trims, then proxmox-time parses), or None."""
    text = event.strip()
    if not text:
        return "unable to parse calendar event - event is empty"
    if text.endswith("UTC"):
        text = text[:-3].rstrip(" ")
    if text[:1].isascii() and text[:1].isalpha():
        if text in _SHORTHANDS:
            return None
        try:
            while True:
                m = re.match(r"[A-Za-z]+", text)
                if not m or m.group().lower() not in _WEEKDAYS:
                    raise _CalError("weekday")
                text = text[m.end() :]
                if text.startswith(".."):
                    m = re.match(r"[A-Za-z]+", text[2:])
                    if not m or m.group().lower() not in _WEEKDAYS:
                        raise _CalError("weekday")
                    text = text[2 + m.end() :]
                if not text.startswith(","):
                    break
                text = text[1:]
        except _CalError as exc:
            return f"invalid calendar event '{event}' - unable to parse calendar event at '{text}' - {exc}"
        has_spec, text = True, text.lstrip(" \t")
    else:
        has_spec = False
    ok, rest = _opt(_date_spec, text)
    if ok:
        has_spec, text = True, rest.lstrip(" \t")
    ok, rest = _opt(_time_spec, text)
    if ok:
        has_spec, text = True, rest
    if not has_spec:
        return f"invalid calendar event '{event}' - unable to parse calendar event - date or time specification"
    if text:
        return f"invalid calendar event '{event}' - unable to parse calendar event at '{text}'"
    return None


# --- PVE API parameters (fakepve's vendored schema) ---


def _perl_pattern(pattern: str) -> str:
    """Perl's `(?^flags:...)` (as PVE's schema dumps qr//) in Python's spelling."""
    return re.sub(r"\(\?\^([a-z]*):", lambda m: f"(?{m.group(1)}:" if m.group(1) else "(?:", pattern)


@functools.cache
def _schema() -> pve_schema.Schema:
    return pve_schema.load()


def api_props(path: str, method: str, variant: str | None = None) -> dict[str, Any]:
    """The parameters of `method path`; for an allOf/oneOf schema (HA rules) those of the variant `variant`."""
    info = _schema().paths.get(path, {}).get(method)
    if info is None:
        return {}
    params = info.get("parameters") or {}
    props = dict(params.get("properties") or {})
    for part in params.get("allOf") or []:
        props.update(part.get("properties") or {})
        for choice in part.get("oneOf") or []:
            if variant is None or choice.get("instance-type") == variant:
                props.update(choice.get("properties") or {})
    return props


def api_param(props: Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """A parameter by name; `scsi0` is `scsi[n]` (index below fakepve's MAX_INDEX of PVE's numbered options)."""
    if name in props:
        return props[name]
    m = re.fullmatch(r"([a-z]+)(\d+)", name)
    if m and f"{m.group(1)}[n]" in props and int(m.group(2)) < pve_schema.MAX_INDEX.get(m.group(1), 10**9):
        return props[f"{m.group(1)}[n]"]
    return None


def api_sub_schema(sch: Mapping[str, Any], sub: str) -> Mapping[str, Any] | None:
    fmt = sch.get("format")
    if isinstance(fmt, str):
        fmt = pve_formats.REGISTERED.get(fmt)
    if not isinstance(fmt, Mapping) or sub not in fmt:
        return None
    entry = fmt[sub]
    return fmt.get(entry["alias"]) if entry.get("alias") else entry


def _privileges_error(text: str) -> str | None:
    bad = [p for p in pve_formats.split_list(text) if p not in PRIVILEGES]
    return f"invalid privilege name '{bad[0]}'" if bad else None


# PVE formats checked here rather than by fakepve; firewall specs are the firewall family's (FirewallRule rows)
_OWN_FORMATS: dict[str, Callable[[str], str | None]] = {
    "pve-calendar-event": calendar_event_error,
    "pve-priv-list": _privileges_error,
}
_FIREWALL_FORMATS = frozenset(
    {"pve-fw-addr-spec", "pve-fw-dport-spec", "pve-fw-sport-spec", "pve-fw-protocol-spec", "pve-fw-icmp-type-spec"}
)
_DICT_FORMATS: dict[str, Mapping[str, Any]] = {"prune-backups": pr.PRUNE_BACKUPS_FORMAT}


def _implemented(fmt: str) -> bool:
    base = re.sub(r"-(list|opt)$", "", fmt)
    return base in pve_formats.NAMED or fmt in pve_formats.REGISTERED or fmt == "pve-qm-ide"


def api_value_error(sch: Mapping[str, Any], value: Any, not_checked: set[str]) -> str | None:
    """PVE's message for `value` against one parameter schema, or None. Formats nobody implements go to
    `not_checked`."""
    sch = {k: v for k, v in sch.items() if k != "requires"}  # pairs are the relation rows' business
    value = int(value) if isinstance(value, bool) else value  # the provider sends booleans as 1/0 (CustomBool)
    fmt = sch.get("format")
    own: Callable[[str], str | None] | None = None
    if isinstance(fmt, str):
        if fmt in _DICT_FORMATS:
            sch["format"] = _DICT_FORMATS[fmt]
        elif fmt in _OWN_FORMATS or fmt in _FIREWALL_FORMATS:
            own = _OWN_FORMATS.get(fmt)
            del sch["format"]
        elif not _implemented(fmt):
            not_checked.add(f"PVE format {fmt} (not implemented by fakepve or here)")
            del sch["format"]
    if "pattern" in sch:
        sch["pattern"] = _perl_pattern(sch["pattern"])
        try:
            re.compile(sch["pattern"])
        except re.error:
            not_checked.add(f"PVE pattern {sch['pattern']!r} (not valid Python)")
            del sch["pattern"]
    _, errors = pve_schema.validate({"properties": {"value": sch}}, {"value": value})
    message = next(iter(errors.values()), None)
    if message is None and own is not None and isinstance(value, str):
        message = own(value)
    return message.rstrip() if message else None


CONVERTS: dict[str, Callable[[Any], Any]] = {
    "gib": lambda v: f"{v}G",  # disk.size in GiB -> PVE disk-size
    "cloudinit-volume": lambda v: f"{v}:cloudinit",  # the cloud-init drive on a datastore
    "property-string": lambda m: ",".join(f"{k}={v}" for k, v in sorted(m.items())),
    "ha-node-list": lambda m: ",".join(f"{k}:{v}" for k, v in m.items()),
}


# --- pve-firewall verify_rule (src/PVE/Firewall.pm) ---


@dataclass(frozen=True)
class FirewallRefs:
    """The firewall objects the plan defines, that rules may reference."""

    cluster_ipsets: frozenset[str]
    guest_ipsets: Mapping[int, frozenset[str]]
    groups: frozenset[str]
    aliases: frozenset[str] = frozenset()


def firewall_refs(rec: Recording) -> FirewallRefs:
    cluster, guest = set(), {}
    for r in rec.by_type(pr.IPSET):
        owner = r.inputs.get("vmId") or r.inputs.get("containerId")
        if owner is None:
            cluster.add(r.inputs.get("name"))
        else:
            guest.setdefault(owner, set()).add(r.inputs.get("name"))
    groups = frozenset(r.inputs.get("name") for r in rec.by_type(pr.SEC_GROUP))
    # aliases are looked up case-insensitively (verify_rule: lc); the plan has none today, and the alias type has no
    # rows yet, so using one fails the coverage check until it is audited
    aliases = frozenset(str(r.inputs.get("name")).lower() for r in rec.by_type(ALIAS))
    return FirewallRefs(frozenset(cluster), {k: frozenset(v) for k, v in guest.items()}, groups, aliases)


_PROTOCOL_NAMES = {name: str(num) for name, num in fakepve_firewall.PROTOCOLS.items()} | {"icmpv6": "icmpv6"}
_SERVICE_NAMES = frozenset(fakepve_firewall.SERVICES)


def _ports_error(text: str, dport: bool) -> str | None:
    """parse_port_name_number_or_range."""
    fw = pr.FIREWALL
    elements = text.split(",")
    while elements and elements[-1] == "":
        elements.pop()
    if text != ",".join(elements):
        return "extraneous commas in list"
    count, icmp = 0, False
    for item in elements:
        if m := re.fullmatch(r"([0-9]+):([0-9]+)", item):
            count += 2
            a, b = int(m.group(1)), int(m.group(2))
            if a > 65535 or b > 65535:
                return f"invalid port '{a if a > 65535 else b}'"
            if a > b:
                return f"backwards range '{a}:{b}' not allowed, did you mean '{b}:{a}'?"
        elif re.fullmatch(r"[0-9]+", item):
            count += 1
            if int(item) > 65535:
                return f"invalid port '{item}'"
        elif dport and (item in fw.icmp_types or item in fw.icmpv6_types):
            icmp = True
        elif item not in _SERVICE_NAMES:
            return f"invalid port '{item}'"
    if icmp and count > 0:
        return "ICMP ports not allowed in port range"
    return "too many entries in port list (> 15 numbers)" if count > 15 else None


def _address_list(text: str) -> tuple[int | None, str | None]:
    """parse_address_list: (ip version, error)."""
    fw = pr.FIREWALL
    if re.fullmatch(r"\+\S+", text):
        return None, "ipset name too long" if len(text) > fw.max_ipset_name_length + 1 else None
    if re.fullmatch(rf"(dc/|guest/)?{fw.name_pattern}", text):
        return None, "alias name too long" if len(text) > fw.max_alias_name_length else None
    elements = text.split(",")
    while elements and elements[-1] == "":
        elements.pop()
    if text != ",".join(elements):
        return None, "extraneous commas in list"
    version, ranged = None, False
    for elem in elements:
        try:
            if "-" in elem:
                a, b = (ipaddress.ip_address(x.strip()) for x in elem.split("-", 1))
                if a.version != b.version or a > b:
                    raise ValueError(elem)
                ranged, new = True, a.version
            else:
                new = ipaddress.ip_network(elem, strict=True).version  # Net::IP refuses host bits under a prefix
        except ValueError:
            return None, f"invalid IP address: {elem}"
        if version and new != version:
            return None, f"detected mixed ipv4/ipv6 addresses in address list '{text}'"
        version = new
    if ranged and len(elements) > 1:
        return None, "you can't use a range in a list"
    return version, None


def _alias_name(text: str) -> str | None:
    m = re.fullmatch(rf"(guest/|dc/)?({pr.FIREWALL.name_pattern})", text)
    return m.group(2) if m else None


def verify_rule(rule: Mapping[str, Any], env: str, refs: FirewallRefs, guest: int | None) -> list[tuple[str, str]]:
    """pve-firewall's verify_rule on one rule (PVE parameter names), plus the existence of referenced groups."""
    fw = pr.FIREWALL
    directions, allow_iface = next((d, i) for e, d, i in fw.envs if e == env)
    rule = {k: v for k, v in rule.items() if v not in (None, "")}  # copy_rule_data: '' deletes
    errors: list[tuple[str, str]] = []
    versions: list[int] = []
    rtype, action = rule.get("type"), rule.get("action")
    if not rtype:
        errors.append(("type", "missing property"))
    if not action:
        errors.append(("action", "missing property"))
    if rtype:
        if rtype not in directions:
            errors.append(("type", f"invalid rule type '{rtype}' for rule_env '{env}'"))
        if rtype in ("in", "out", "forward"):
            if rtype == "forward" and action == "REJECT":
                errors.append(("action", "cannot define REJECT rules on forward chain"))
            if action and action not in ("ACCEPT", "DROP", "REJECT"):
                errors.append(("action", f"unknown action '{action}'"))
        elif rtype == "group":
            if env == "group":
                errors.append(("type", "security groups not allowed"))
            if action and not re.fullmatch(fw.name_pattern, str(action)):
                errors.append(("action", "invalid characters in security group name"))
            elif action and action not in refs.groups:
                errors.append(("action", f"no such security group '{action}' (generate_group_rules: an empty chain)"))
        else:
            errors.append(("type", f"unknown rule type '{rtype}'"))
    if iface := rule.get("iface"):
        if not allow_iface:
            errors.append(("type", "parameter -i not allowed for this rule type"))
        if why := pve_formats.check("pve-iface", str(iface)):
            errors.append(("iface", why))
        if env in ("vm", "ct") and not re.fullmatch(r"net(\d+)", str(iface)):
            errors.append(("iface", "value does not match the regex pattern 'net\\d+'"))
    if (macro := rule.get("macro")) and str(macro).lower() not in {m.lower() for m in fw.macros}:
        errors.append(("macro", f"unknown macro '{macro}'"))
    proto = rule.get("proto")
    is_icmp = proto in ("icmp", "icmpv6", "ipv6-icmp")
    if proto:
        if proto not in _PROTOCOL_NAMES and str(proto) not in _PROTOCOL_NAMES.values():
            errors.append(("proto", f"unknown protocol '{proto}'"))
        versions += [4] if proto == "icmp" else [6] if proto in ("icmpv6", "ipv6-icmp") else []
    for name in ("dport", "sport"):
        if ports := rule.get(name):
            if why := _ports_error(str(ports), dport=name == "dport" and is_icmp):
                errors.append((name, why))
            if not proto:
                errors.append(("proto", f"missing property - '{name}' requires this property"))
            if str(proto) not in fw.protocols_with_ports and not (name == "dport" and is_icmp):
                errors.append((name, f"protocol '{proto}' does not support ports"))
    if icmp_type := rule.get("icmp-type"):
        if not is_icmp:
            errors.append(("proto", "missing property - 'icmp-type' requires this property"))
        if rule.get("dport"):
            errors.append(("icmp-type", "'icmp-type' cannot be specified together with 'dport'"))
        names = fw.icmp_types if proto == "icmp" else fw.icmpv6_types
        if is_icmp and icmp_type not in names:
            errors.append(("icmp-type", f"invalid icmp-type '{icmp_type}' for proto '{proto}'"))
    for name in ("source", "dest"):
        if not (text := rule.get(name)):
            continue
        version, why = _address_list(str(text))
        if why:
            errors.append((name, why))
        elif version:
            versions.append(version)
        if str(text).startswith("+"):
            m = re.fullmatch(rf"\+(guest/|dc/|sdn/)?({fw.name_pattern})", str(text))
            if not m:
                errors.append((name, f"invalid ipset name '{text}'"))
            elif m.group(1) == "sdn/":
                errors.append((name, f"SDN ipset '{text}' is not modelled (fail closed)"))
            elif m.group(2) not in refs.cluster_ipsets and m.group(2) not in refs.guest_ipsets.get(guest or -1, ()):
                errors.append((name, f"no such ipset '{m.group(2)}'"))
        elif (alias := _alias_name(str(text))) and alias.lower() not in refs.aliases:
            errors.append((name, f"no such alias '{text}'"))
    if len(set(versions)) > 1:
        errors.append(("source", "detected mixed ipv4/ipv6 addresses in rule"))
    return errors


def _wire_rule(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A provider rule as the provider posts it (mapToRuleCreateRequestBody): a security group is type `group`."""
    out = {("enable" if k == "enabled" else k): v for k, v in rule.items() if k not in ("securityGroup", "pos")}
    if rule.get("securityGroup"):
        out = {k: v for k, v in out.items() if k in ("comment", "enable", "iface")}
        out.update(type="group", action=rule["securityGroup"])
    return out


def _env(check: pr.FirewallRule, inputs: Mapping[str, Any]) -> str:
    if check.env != "selector":
        return check.env
    if inputs.get("vmId") is not None:
        return "vm"
    if inputs.get("containerId") is not None:
        return "ct"
    return "host" if inputs.get("nodeName") else "cluster"


# --- evaluating one rule on one resource ---


def _value_errors(check: object, value: Any, inputs: Mapping[str, Any], not_checked: set[str]) -> str | None:
    if isinstance(check, pr.Regex):
        if not isinstance(value, str):
            return f"expected a string, got {value!r}"
        if check.allow_empty and value == "":
            return None
        pattern = check.py or check.go.replace("(?i)", "")
        flags = re.ASCII | (re.IGNORECASE if "(?i)" in check.go else 0)
        return None if re.search(pattern, value, flags) else f"{value!r} does not match {check.go}"
    if isinstance(check, pr.Length):
        size = len(str(value).encode())
        if check.min is not None and size < check.min:
            return f"{value!r} is shorter than {check.min}"
        if check.max is not None and size > check.max:
            return f"{value!r} is longer than {check.max} ({size})"
        return None
    if isinstance(check, pr.Between):
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {value!r}"
        if (check.min is not None and value < check.min) or (check.max is not None and value > check.max):
            return f"{value} is outside {check.min}..{check.max}"
        return None
    if isinstance(check, pr.OneOf):
        ok = (str(value).lower() in {v.lower() for v in check.values}) if check.ignore_case else value in check.values
        return None if ok else f"{value!r} is not one of {', '.join(check.values)}"
    if isinstance(check, pr.Parse):
        return PARSERS[check.name](value)
    if isinstance(check, pr.CalendarEvent):
        return calendar_event_error(str(value))
    if isinstance(check, pr.PveApi):
        if value in check.skip or (check.when and inputs.get(check.when[0]) != check.when[1]):
            return None
        if check.join is not None and isinstance(value, list):
            value = check.join.join(str(v) for v in value)
        if check.convert:
            value = CONVERTS[check.convert](value)
        sch = api_param(api_props(check.path, check.method, inputs.get("type")), check.param)
        if sch is not None and check.sub:
            sch = api_sub_schema(sch, check.sub)
        if sch is None:
            sub = f" key {check.sub}" if check.sub else ""
            return f"the rule names {check.method} {check.path} {check.param}{sub}, which PVE's schema lacks"
        why = api_value_error(sch, value, not_checked)
        return f"PVE refuses {value!r}: {why}" if why else None
    if isinstance(check, pr.PveApiKey):
        props = api_props(check.path, check.method)
        return None if api_param(props, str(value)) is not None else f"PVE has no parameter {value!r} on {check.path}"
    raise TypeError(f"not a value check: {check!r}")


def _scope_errors(check: object, scope: Mapping[str, Any]) -> str | None:
    if isinstance(check, pr.Conflicting):
        given = [a for a in check.attrs if _is_set(scope, a)]
        return f"only one of {', '.join(check.attrs)} may be set, got {', '.join(given)}" if len(given) > 1 else None
    if isinstance(check, pr.ExactlyOneOf):
        given = [a for a in check.attrs if _is_set(scope, a)]
        return None if len(given) == 1 else f"exactly one of {', '.join(check.attrs)} must be set, got {given}"
    if isinstance(check, pr.RequiredWith):
        missing = [n for n in check.needs if not _is_set(scope, n)]
        return f"{check.attr} needs {', '.join(missing)}" if _is_set(scope, check.attr) and missing else None
    if isinstance(check, pr.When):
        if scope.get(check.attr) != check.value:
            return None
        why = [f"{a} is required" for a in check.require if not _is_set(scope, a)]
        why += [f"{a} is not allowed" for a in check.forbid if _is_set(scope, a)]
        why += [f"{a} must not be true" for a in check.forbid_true if scope.get(a) is True]
        return f"with {check.attr} {check.value}: {'; '.join(why)}" if why else None
    if isinstance(check, pr.AnyGroup):
        if any(all(_is_set(scope, a) and scope[a] != "" for a in g) for g in check.groups):
            return None
        return "either " + " OR ".join(" and ".join(g) for g in check.groups) + " must be set"
    if isinstance(check, pr.AtLeastSumOf):
        raise TypeError("AtLeastSumOf is a value check with siblings")
    if isinstance(check, pr.NoCheck):
        return None
    raise TypeError(f"not a scope check: {check!r}")


_SCOPE_CHECKS = (pr.Conflicting, pr.ExactlyOneOf, pr.RequiredWith, pr.When, pr.AnyGroup)


def _check_rule(rule: pr.Rule, res: Registration, refs: FirewallRefs, report: Report) -> None:
    family = pr.FAMILIES[type(rule.check)]

    def problem(where: str, message: str) -> None:
        report.problems.append(Problem(res.name, res.type, where, message, str(rule.source), family))

    check = rule.check
    if isinstance(check, pr.NoCheck):
        return
    for where, value in values_at(res.inputs, rule.path):
        if _opaque(value):
            report.not_checked.add(f"{res.type} {rule.path}: secret or unknown in the plan")
            continue
        if isinstance(check, _SCOPE_CHECKS):
            if isinstance(value, Mapping) and (why := _scope_errors(check, value)):
                problem(where, why)
        elif isinstance(check, pr.Items):
            size = len(value) if isinstance(value, list | Mapping) else 1
            if (check.min is not None and size < check.min) or (check.max is not None and size > check.max):
                problem(where, f"{size} items, allowed {check.min or 0}..{check.max or 'any'}")
        elif isinstance(check, pr.AtLeastSumOf):  # siblings of a top-level attribute
            total = sum(int(res.inputs.get(a) or 0) for a in check.attrs)
            if isinstance(value, int) and value < total:
                problem(where, f"{value} must be >= {' + '.join(check.attrs)} ({total})")
        elif isinstance(check, pr.FirewallRule):
            guest = res.inputs.get("vmId") or res.inputs.get("containerId")
            wire = _wire_rule(value) if res.type != pr.VNET_FW else dict(value)
            for param, why in verify_rule(wire, _env(check, res.inputs), refs, guest):
                problem(f"{where}.{param}", why)
        elif why := _value_errors(check, value, res.inputs, report.not_checked):
            problem(where, why)


def _covered(leaf: str, rules: Sequence[pr.Rule]) -> bool:
    for rule in rules:
        p = rule.path
        if p and leaf in (p, p + "[]", p + "{}", p + "{key}"):
            return True
        if isinstance(rule.check, pr.FirewallRule) and leaf.removeprefix(p + ".") in rule.check.covers:
            return True
    return False


def check(rec: Recording, rules: Sequence[pr.Rule] = pr.ALL_RULES) -> Report:
    """Every custom resource of the plan against the rules; every problem, not the first only."""
    report = Report()
    refs = firewall_refs(rec)
    by_type: dict[str, list[pr.Rule]] = {}
    for rule in rules:
        by_type.setdefault(rule.type, []).append(rule)
    audit = "proofs/provider_rules.py"
    for res in rec.resources:
        if not res.custom or res.type.startswith("pulumi:providers:"):
            continue

        def coverage(where: str, message: str, source: str = audit, res: Registration = res) -> None:
            report.problems.append(Problem(res.name, res.type, where, message, source, "coverage"))

        type_rules = by_type.get(res.type)
        if not type_rules:
            coverage("", f"no conformance rules for this resource type; audit it in {audit}")
            continue
        node = sdk_schema(res.type) if res.type not in pr.NO_SDK_SCHEMA else None
        unknown: list[str] = []
        leaves = set(_leaves(res.inputs, node, "", unknown))
        for path in unknown:
            coverage(path, f"the installed SDK ({pr.SDK}) has no input {path}", f"{pr.SDK} input types")
        for leaf in sorted(leaves):
            if (res.type, leaf) in pr.UNAUDITED:
                report.not_checked.add(f"{res.type} {leaf}: {pr.UNAUDITED[(res.type, leaf)]}")
            elif not _covered(leaf, type_rules):
                coverage(leaf, f"input not audited against the provider; add its rows to {audit}")
        for rule in type_rules:
            _check_rule(rule, res, refs, report)
    return report


def families(rules: Sequence[pr.Rule] = pr.ALL_RULES) -> Counter[str]:
    """Rows per rule family."""
    return Counter(pr.FAMILIES[type(r.check)] for r in rules)
