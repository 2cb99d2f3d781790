"""Notification routing over a planned graph: which targets, and which addresses, a PVE notification reaches.

`routes(rec, severity, fields)` evaluates the planned matchers (`PveNotificationMatcher`) the way proxmox-notify
does (proxmox-rs `proxmox-notify/src/matcher.rs` `MatcherConfig::matches`, `check_matches`, `FieldMatcher`):

Modelled:
* `match-severity` entries (comma lists of severities), `match-field` entries `exact:<field>=<v1>,<v2>` (the
  field equals one of the values) and `regex:<field>=<re>` (Python `re.search` for Rust's unanchored
  `is_match`); a missing field never matches;
* `mode` (`all`, the default: every entry of every directive must match; `any`: one is enough), `invert-match`,
  `disable`; a matcher without directives matches everything;
* the targets of every matching matcher, and their `mailto` recipients (`PveSmtpTarget`).

Not modelled: `match-calendar`, `mailto-user` (users' addresses from user.cfg), PVE's built-in `mail-to-root`
target and `default-matcher` (they are not in the plan: the program leaves them as PVE ships them), sendmail,
gotify and webhook targets, delivery itself.
"""

from __future__ import annotations

import re
from typing import Any

from tools.mockengine import Recording

MATCHER = "pulumi-python:dynamic/proxcloud:PveNotificationMatcher"
SMTP = "pulumi-python:dynamic/proxcloud:PveSmtpTarget"


def _entry_matches(entry: str, fields: dict[str, str]) -> bool:
    how, _, rest = entry.partition(":")
    name, _, wanted = rest.partition("=")
    value = fields.get(name)
    if value is None:
        return False
    if how == "exact":
        return value in [v.strip() for v in wanted.split(",")]
    return re.search(wanted, value) is not None


def matcher_matches(settings: dict[str, Any], severity: str, fields: dict[str, str]) -> bool:
    """One matcher's verdict on one notification."""
    if settings.get("disable"):
        return False
    every = settings.get("mode", "all") == "all"
    directives = []
    severities = settings.get("match-severity") or []
    if severities:
        hits = [severity in [s.strip() for s in entry.split(",")] for entry in severities]
        directives.append(all(hits) if every else any(hits))
    entries = settings.get("match-field") or []
    if entries:
        hits = [_entry_matches(e, fields) for e in entries]
        directives.append(all(hits) if every else any(hits))
    if not directives:
        return True
    matched = all(directives) if every else any(directives)
    return matched != bool(settings.get("invert-match"))


def routes(rec: Recording, severity: str, fields: dict[str, str]) -> set[str]:
    """Names of the targets the planned matchers send this notification to."""
    out: set[str] = set()
    for m in rec.by_type(MATCHER):
        if matcher_matches(m.inputs["settings"], severity, fields):
            out |= set(m.inputs["settings"].get("target") or [])
    return out


def recipients(rec: Recording, severity: str, fields: dict[str, str]) -> set[str]:
    """The addresses the notification reaches through the planned SMTP targets."""
    by_name = {t.inputs["name"]: t for t in rec.by_type(SMTP)}
    return {
        a
        for name in routes(rec, severity, fields)
        if name in by_name
        for a in by_name[name].inputs["settings"].get("mailto", [])
    }
