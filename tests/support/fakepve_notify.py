"""A fakepve that keeps PVE's notification SMTP endpoints and matchers, for testing the notification provider.

fakepve 0.5.0 answers `/cluster/notifications/*` only through its generic route: parameters are checked against
the PVE 9 schema with PVE's words (`mode` enum, `pve-configid` names, unknown properties), nothing is stored. This
subclass adds the state and the rules proxmox-notify applies behind pve-manager's `Notifications.pm` (proxmox-rs
`proxmox-notify/src/api/{mod,smtp,matcher}.rs`, with their messages): names are one namespace across targets and
matchers (`ensure_unique`), an SMTP target needs a recipient, a matcher's targets must exist
(`ensure_endpoints_exist`), a referenced target cannot be deleted (`ensure_safe_to_delete`), a missing object is a
404, `delete` removes properties, and the password is kept in the private config and never returned.
"""

from __future__ import annotations

import re
from typing import Any

from fakepve import FakePve
from fakepve.model import PveError

SMTP = "/cluster/notifications/endpoints/smtp"
MATCHERS = "/cluster/notifications/matchers"
MATCH_FIELD = re.compile(r"^(?:(exact|regex):)?([A-Za-z0-9_][A-Za-z0-9._\-]*)=(.*)$")  # MATCH_FIELD_ENTRY_REGEX
SEVERITIES = ("info", "notice", "warning", "error", "unknown")


class NotifyFakePve(FakePve):
    """FakePve with stateful notification targets (SMTP) and matchers."""

    def notifications(self) -> dict[str, Any]:
        """{'smtp': {name: fields}, 'matcher': {name: fields}, 'private': {name: password}}."""
        return self.__dict__.setdefault("_notify", {"smtp": {}, "matcher": {}, "private": {}})

    def _routes_notifications(self) -> list[tuple[str, str, Any]]:
        return [
            ("POST", SMTP, self._smtp_create),
            ("GET", SMTP + "/{name}", self._smtp_get),
            ("PUT", SMTP + "/{name}", self._smtp_update),
            ("DELETE", SMTP + "/{name}", self._smtp_delete),
            ("POST", MATCHERS, self._matcher_create),
            ("GET", MATCHERS + "/{name}", self._matcher_get),
            ("PUT", MATCHERS + "/{name}", self._matcher_update),
            ("DELETE", MATCHERS + "/{name}", self._matcher_delete),
        ]

    # ------------------------------------------------------------------ rules

    def _unique(self, name: str) -> None:
        n = self.notifications()
        if name in n["smtp"] or name in n["matcher"]:
            raise PveError(400, f"Cannot create '{name}', an entity with the same name already exists")

    @staticmethod
    def _fields(v: dict[str, Any]) -> dict[str, Any]:
        skip = ("name", "password", "delete", "digest")
        return {k: (list(val) if isinstance(val, list) else val) for k, val in v.items() if k not in skip}

    @staticmethod
    def _recipient(fields: dict[str, Any]) -> None:
        if not fields.get("mailto") and not fields.get("mailto-user"):
            raise PveError(400, "must at least provide one recipient, either in mailto or in mailto-user")

    def _matcher_rules(self, fields: dict[str, Any]) -> None:
        for entry in fields.get("match-field") or []:
            if not MATCH_FIELD.match(entry) or not entry.startswith(("exact:", "regex:")):
                raise PveError(400, f"invalid match-field statement: {entry}")
        for entry in fields.get("match-severity") or []:
            for severity in entry.split(","):
                if severity.strip() not in SEVERITIES:
                    raise PveError(400, f"invalid severity {severity.strip()}")
        smtp = self.notifications()["smtp"]
        for target in fields.get("target") or []:
            if target not in smtp:
                raise PveError(404, f"endpoint '{target}' does not exist")

    def _get(self, kind: str, name: str) -> dict[str, Any]:
        found = self.notifications()[kind].get(name)
        if found is None:
            raise PveError(404, f"{'endpoint' if kind == 'smtp' else 'matcher'} '{name}' not found")
        return found

    # ------------------------------------------------------------------ SMTP endpoints

    async def _smtp_create(self, v: dict[str, Any], _user: str) -> None:
        self._unique(v["name"])
        fields = self._fields(v)
        self._recipient(fields)
        self.notifications()["smtp"][v["name"]] = fields
        if v.get("password") is not None:
            self.notifications()["private"][v["name"]] = v["password"]

    async def _smtp_get(self, v: dict[str, Any], _user: str) -> dict[str, Any]:
        return {"name": v["name"], **self._get("smtp", v["name"]), "digest": "0" * 40}

    async def _smtp_update(self, v: dict[str, Any], _user: str) -> None:
        fields = dict(self._get("smtp", v["name"]))
        for key in v.get("delete") or []:
            if key == "password":
                self.notifications()["private"].pop(v["name"], None)
            fields.pop(key, None)
        fields.update(self._fields(v))
        self._recipient(fields)
        self.notifications()["smtp"][v["name"]] = fields
        if v.get("password") is not None:
            self.notifications()["private"][v["name"]] = v["password"]

    async def _smtp_delete(self, v: dict[str, Any], _user: str) -> None:
        name = v["name"]
        self._get("smtp", name)
        users = sorted(m for m, f in self.notifications()["matcher"].items() if name in (f.get("target") or []))
        if users:
            raise PveError(400, f"cannot delete '{name}', referenced by: {', '.join(users)}")
        del self.notifications()["smtp"][name]
        self.notifications()["private"].pop(name, None)

    # ------------------------------------------------------------------ matchers

    async def _matcher_create(self, v: dict[str, Any], _user: str) -> None:
        self._unique(v["name"])
        fields = self._fields(v)
        self._matcher_rules(fields)
        self.notifications()["matcher"][v["name"]] = fields

    async def _matcher_get(self, v: dict[str, Any], _user: str) -> dict[str, Any]:
        return {"name": v["name"], **self._get("matcher", v["name"]), "digest": "0" * 40}

    async def _matcher_update(self, v: dict[str, Any], _user: str) -> None:
        fields = dict(self._get("matcher", v["name"]))
        for key in v.get("delete") or []:
            fields.pop(key, None)
        fields.update(self._fields(v))
        self._matcher_rules(fields)
        self.notifications()["matcher"][v["name"]] = fields

    async def _matcher_delete(self, v: dict[str, Any], _user: str) -> None:
        self._get("matcher", v["name"])
        del self.notifications()["matcher"][v["name"]]
