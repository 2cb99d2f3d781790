#!/usr/bin/env python3
"""Applies a proxcloud routes document to Nginx Proxy Manager through its REST API; safe to run again and again.

Shipped to the edge VM (Python standard library only) and run there against the admin API on 127.0.0.1:81.
It creates missing proxy hosts, updates changed ones and deletes the ones it manages that are no longer routed;
hosts made by hand (no proxcloud marker in advanced_config) are never touched. Each host gets a Let's Encrypt
certificate, forced TLS, HSTS, HTTP/2, websockets as declared, and an access list when the route has an allow-list.
Exit status: 0 when everything is as declared, 1 when some host could not be brought there (all others still are).
"""

from __future__ import annotations

import argparse
import json
import os
import stat
import sys
import time
import urllib.error
import urllib.request
from typing import Any

# NPM writes advanced_config into the host's nginx server block: a comment line is inert there, survives edits in
# the UI, and tells operators why the host changes back.
MARKER = "# managed by proxcloud (npm_sync): edits here are overwritten"
ACCESS_LIST_PREFIX = "proxcloud: "
# The proxy-host fields this script owns; anything else on a host is left as NPM keeps it.
OWNED_FIELDS = (
    "domain_names",
    "forward_scheme",
    "forward_host",
    "forward_port",
    "certificate_id",
    "ssl_forced",
    "hsts_enabled",
    "hsts_subdomains",
    "http2_support",
    "block_exploits",
    "caching_enabled",
    "allow_websocket_upgrade",
    "access_list_id",
    "advanced_config",
    "enabled",
)


class ApiError(RuntimeError):
    """An NPM API call that did not succeed."""


class Api:
    """A minimal JSON client for NPM's /api."""

    def __init__(self, base: str) -> None:
        self.base = base.rstrip("/") + "/api"
        self.token: str | None = None

    def call(self, method: str, path: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if self.token:
            req.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(req, timeout=120) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace")[:500]
            raise ApiError(f"{method} {path}: HTTP {exc.code}: {detail}") from exc
        return json.loads(raw) if raw else None

    def wait_ready(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                self.call("GET", "/")
                return
            except (OSError, ApiError):
                if time.monotonic() >= deadline:
                    raise
                time.sleep(2)

    def login(self, identity: str, secret: str) -> None:
        answer = self.call("POST", "/tokens", {"identity": identity, "secret": secret})
        if not isinstance(answer, dict) or "token" not in answer:
            raise ApiError("login did not return a token (is two-factor authentication on for the sync user?)")
        self.token = answer["token"]


def read_credentials(path: str) -> tuple[str, str]:
    """INITIAL_ADMIN_EMAIL / INITIAL_ADMIN_PASSWORD from the root-only env file NPM itself reads."""
    st = os.stat(path)
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SystemExit(f"{path} is readable by group or others (mode {stat.S_IMODE(st.st_mode):o}); chmod 600 it")
    values: dict[str, str] = {}
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.strip()
            if not line or line.startswith("#") or "=" not in line:
                continue
            key, value = line.split("=", 1)
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            values[key.strip()] = value
    try:
        return values["INITIAL_ADMIN_EMAIL"], values["INITIAL_ADMIN_PASSWORD"]
    except KeyError as exc:
        raise SystemExit(f"{path} lacks {exc.args[0]}") from exc


def is_managed(host: dict[str, Any]) -> bool:
    return MARKER in (host.get("advanced_config") or "").splitlines()


def desired_clients(route: dict[str, Any]) -> list[dict[str, str]]:
    return [{"directive": "allow", "address": a} for a in route["allow_from"]]


def sync_access_list(api: Api, route: dict[str, Any], lists: dict[str, dict[str, Any]], report: dict) -> int:
    """The id of the route's access list (created or corrected), 0 when the route is open to everyone."""
    if not route["allow_from"]:
        return 0
    name = ACCESS_LIST_PREFIX + route["host"]
    want = desired_clients(route)
    body = {"name": name, "satisfy_any": False, "pass_auth": False, "items": [], "clients": want}
    current = lists.get(name)
    if current is None:
        created = api.call("POST", "/nginx/access-lists", body)
        report["access_lists_created"].append(name)
        return int(created["id"])
    have = sorted((c["directive"], c["address"]) for c in current.get("clients") or [])
    if have != sorted((c["directive"], c["address"]) for c in want) or current.get("satisfy_any"):
        api.call("PUT", f"/nginx/access-lists/{current['id']}", body)
        report["access_lists_updated"].append(name)
    return int(current["id"])


def certificate_for(api: Api, host: str, certs: list[dict[str, Any]], report: dict) -> int:
    """A Let's Encrypt certificate for exactly `host`: an existing one is reused, else one is requested."""
    for cert in certs:
        if cert.get("provider") == "letsencrypt" and cert.get("domain_names") == [host]:
            return int(cert["id"])
    created = api.call(
        "POST",
        "/nginx/certificates",
        {"provider": "letsencrypt", "domain_names": [host], "meta": {"dns_challenge": False}},
    )
    certs.append(created)
    report["certificates_created"].append(host)
    return int(created["id"])


def desired_host(route: dict[str, Any], certificate_id: int, access_list_id: int) -> dict[str, Any]:
    tls = certificate_id > 0
    return {
        "domain_names": [route["host"]],
        "forward_scheme": route["forward_scheme"],
        "forward_host": route["forward_host"],
        "forward_port": route["forward_port"],
        "certificate_id": certificate_id,
        "ssl_forced": tls,
        "hsts_enabled": tls,
        "hsts_subdomains": False,
        "http2_support": tls,
        "block_exploits": True,
        "caching_enabled": False,
        "allow_websocket_upgrade": bool(route["websocket"]),
        "access_list_id": access_list_id,
        "advanced_config": MARKER,
        "enabled": True,
    }


def sync(api: Api, doc: dict[str, Any]) -> dict[str, list[str]]:
    """Brings NPM to the routes document; returns what was done (and the per-host errors)."""
    report: dict[str, list[str]] = {
        k: []
        for k in (
            "created",
            "updated",
            "unchanged",
            "deleted",
            "certificates_created",
            "access_lists_created",
            "access_lists_updated",
            "access_lists_deleted",
            "errors",
        )
    }
    hosts = api.call("GET", "/nginx/proxy-hosts")
    certs = api.call("GET", "/nginx/certificates")
    lists = {
        a["name"]: a
        for a in api.call("GET", "/nginx/access-lists?expand=clients")
        if a["name"].startswith(ACCESS_LIST_PREFIX)
    }
    by_domain: dict[str, dict[str, Any]] = {}
    for h in hosts:
        for d in h.get("domain_names") or []:
            by_domain[d] = h
    wanted = {r["host"] for r in doc["routes"]}

    for route in doc["routes"]:
        name = route["host"]
        try:
            existing = by_domain.get(name)
            if existing is not None and not is_managed(existing):
                raise ApiError(f"proxy host {existing['id']} for {name} was made by hand; delete it or drop the route")
            access_list_id = sync_access_list(api, route, lists, report)
            try:
                certificate_id = certificate_for(api, name, certs, report)
            except ApiError as exc:
                # Usually DNS not pointing here yet: serve plain HTTP for now, the next run retries.
                report["errors"].append(f"{name}: certificate: {exc}")
                certificate_id = int(existing["certificate_id"]) if existing else 0
            want = desired_host(route, certificate_id, access_list_id)
            if existing is None:
                api.call("POST", "/nginx/proxy-hosts", want)
                report["created"].append(name)
                continue
            changed = {k: v for k, v in want.items() if existing.get(k) != v}
            if changed:
                api.call("PUT", f"/nginx/proxy-hosts/{existing['id']}", changed)
                report["updated"].append(name)
            else:
                report["unchanged"].append(name)
        except ApiError as exc:
            report["errors"].append(f"{name}: {exc}")

    for h in hosts:
        if is_managed(h) and not set(h.get("domain_names") or []) & wanted:
            try:
                api.call("DELETE", f"/nginx/proxy-hosts/{h['id']}")
                report["deleted"].append(",".join(h["domain_names"]))
            except ApiError as exc:
                report["errors"].append(f"delete {h['domain_names']}: {exc}")
    needed = {ACCESS_LIST_PREFIX + r["host"] for r in doc["routes"] if r["allow_from"]}
    for list_name, a in lists.items():
        if list_name not in needed:
            try:
                api.call("DELETE", f"/nginx/access-lists/{a['id']}")
                report["access_lists_deleted"].append(list_name)
            except ApiError as exc:
                report["errors"].append(f"delete access list {list_name}: {exc}")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api", default="http://127.0.0.1:81", help="NPM admin base URL")
    parser.add_argument("--routes", required=True, help="routes JSON rendered by proxcloud")
    parser.add_argument("--credentials", required=True, help="root-only env file with the NPM admin login")
    parser.add_argument("--wait", type=float, default=0, help="seconds to wait for the API to come up")
    args = parser.parse_args(argv)

    with open(args.routes, encoding="utf-8") as fh:
        doc = json.load(fh)
    if doc.get("version") != 1:
        raise SystemExit(f"{args.routes}: unsupported routes document version {doc.get('version')!r}")
    identity, secret = read_credentials(args.credentials)
    api = Api(args.api)
    if args.wait:
        api.wait_ready(args.wait)
    api.login(identity, secret)
    report = sync(api, doc)
    print(json.dumps(report, sort_keys=True))
    return 1 if report["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
