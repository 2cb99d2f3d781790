"""Test helper: a small stateful fake of Nginx Proxy Manager 2.15's REST API, on loopback, for npm_sync.py.

Only the endpoints the sync script uses. Request bodies are checked like NPM's JSON schema does (allowed and
required properties, types, enums; backend/schema/paths/... of v2.15.1), and host/SSL rules like NPM's backend
(a domain in use by another host is refused; no certificate means no forced SSL, HTTP/2 or HSTS).
"""

from __future__ import annotations

import ipaddress
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HOST_WRITE_FIELDS = {
    "domain_names",
    "forward_scheme",
    "forward_host",
    "forward_port",
    "certificate_id",
    "ssl_forced",
    "hsts_enabled",
    "hsts_subdomains",
    "trust_forwarded_proto",
    "http2_support",
    "block_exploits",
    "caching_enabled",
    "allow_websocket_upgrade",
    "access_list_id",
    "advanced_config",
    "enabled",
    "meta",
    "locations",
}
HOST_REQUIRED = {"domain_names", "forward_scheme", "forward_host", "forward_port"}
HOST_BOOLS = {
    "ssl_forced",
    "hsts_enabled",
    "hsts_subdomains",
    "trust_forwarded_proto",
    "http2_support",
    "block_exploits",
    "caching_enabled",
    "allow_websocket_upgrade",
    "enabled",
}
CERT_FIELDS = {"provider", "nice_name", "domain_names", "meta"}
CERT_META = {
    "certificate",
    "certificate_key",
    "dns_challenge",
    "dns_provider_credentials",
    "dns_provider",
    "letsencrypt_certificate",
    "propagation_seconds",
    "key_type",
}
LIST_FIELDS = {"name", "satisfy_any", "pass_auth", "items", "clients"}
DOMAIN = re.compile(r"^[^&| @!#%^();:/\\}{=+?<>,~`'\"]+$")


class Invalid(Exception):
    """A request NPM would answer with HTTP 400."""


def _bool(body: dict[str, Any], key: str) -> None:
    if key in body and not isinstance(body[key], bool):
        raise Invalid(f"data/{key} must be boolean")


def _domains(value: Any, key: str = "domain_names") -> None:
    if not isinstance(value, list) or not value or len(value) != len(set(value)):
        raise Invalid(f"data/{key} must be a non-empty array of unique items")
    for d in value:
        if not isinstance(d, str) or not DOMAIN.match(d):
            raise Invalid(f"data/{key} item {d!r} does not match the domain pattern")


@dataclass
class State:
    """What the fake stores; tests read it directly."""

    identity: str
    secret: str
    hosts: dict[int, dict[str, Any]] = field(default_factory=dict)
    certs: dict[int, dict[str, Any]] = field(default_factory=dict)
    lists: dict[int, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)  # "METHOD path" of every state change
    failing_cert_domains: set[str] = field(default_factory=set)  # Let's Encrypt refuses these (DNS not ready)
    next_id: int = 1
    tokens: set[str] = field(default_factory=set)

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # ----------------------------------------------------------------------------------------- proxy hosts
    def check_host(self, body: dict[str, Any], host_id: int | None) -> None:
        extra = set(body) - HOST_WRITE_FIELDS
        if extra:
            raise Invalid(f"data must NOT have additional properties: {sorted(extra)}")
        if host_id is None and (missing := HOST_REQUIRED - set(body)):
            raise Invalid(f"data must have required property {sorted(missing)[0]!r}")
        if host_id is not None and not body:
            raise Invalid("data must NOT have fewer than 1 properties")
        if "domain_names" in body:
            _domains(body["domain_names"])
            for d in body["domain_names"]:
                for other in self.hosts.values():
                    if other["id"] != host_id and d in other["domain_names"]:
                        raise Invalid(f"{d} is already in use")
        if "forward_scheme" in body and body["forward_scheme"] not in ("http", "https"):
            raise Invalid("data/forward_scheme must be equal to one of the allowed values")
        if "forward_host" in body and not (isinstance(body["forward_host"], str) and len(body["forward_host"]) >= 1):
            raise Invalid("data/forward_host must be a non-empty string")
        port = body.get("forward_port", 1)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise Invalid("data/forward_port must be an integer 1-65535")
        for key in HOST_BOOLS:
            _bool(body, key)
        cert = body.get("certificate_id", 0)
        if cert != "new" and (not isinstance(cert, int) or cert < 0 or (cert and cert not in self.certs)):
            raise Invalid(f"certificate {cert!r} does not exist")
        acl = body.get("access_list_id", 0)
        if not isinstance(acl, int) or acl < 0 or (acl and acl not in self.lists):
            raise Invalid(f"access list {acl!r} does not exist")
        if "advanced_config" in body and not isinstance(body["advanced_config"], str):
            raise Invalid("data/advanced_config must be string")

    @staticmethod
    def clean_ssl(row: dict[str, Any]) -> None:
        # NPM's internalHost.cleanSslHstsData
        if not row["certificate_id"]:
            row["ssl_forced"] = False
            row["http2_support"] = False
        if not row["ssl_forced"]:
            row["hsts_enabled"] = False
        if not row["hsts_enabled"]:
            row["hsts_subdomains"] = False

    def create_host(self, body: dict[str, Any]) -> dict[str, Any]:
        self.check_host(body, None)
        row: dict[str, Any] = {
            "id": self.new_id(),
            "created_on": "2026-01-01T00:00:00.000Z",
            "modified_on": "2026-01-01T00:00:00.000Z",
            "owner_user_id": 1,
            "access_list_id": 0,
            "certificate_id": 0,
            "ssl_forced": False,
            "caching_enabled": False,
            "block_exploits": False,
            "advanced_config": "",
            "meta": {},
            "allow_websocket_upgrade": False,
            "http2_support": False,
            "enabled": True,
            "locations": [],
            "hsts_enabled": False,
            "hsts_subdomains": False,
            "trust_forwarded_proto": False,
        }
        row.update(body)
        row["meta"] = {**row["meta"], "nginx_online": True, "nginx_err": None}
        self.clean_ssl(row)
        self.hosts[row["id"]] = row
        return row

    def update_host(self, host_id: int, body: dict[str, Any]) -> dict[str, Any]:
        if host_id not in self.hosts:
            raise KeyError(host_id)
        self.check_host(body, host_id)
        row = self.hosts[host_id]
        row.update(body)
        row["modified_on"] = "2026-01-02T00:00:00.000Z"
        self.clean_ssl(row)
        return row

    # ----------------------------------------------------------------------------------------- certificates
    def create_cert(self, body: dict[str, Any]) -> dict[str, Any]:
        if extra := set(body) - CERT_FIELDS:
            raise Invalid(f"data must NOT have additional properties: {sorted(extra)}")
        if body.get("provider") not in ("letsencrypt", "other"):
            raise Invalid("data/provider must match pattern ^(letsencrypt|other)$")
        if body["provider"] == "letsencrypt":
            _domains(body.get("domain_names"))
        meta = body.get("meta", {})
        if not isinstance(meta, dict) or (extra := set(meta) - CERT_META):
            raise Invalid(f"data/meta must NOT have additional properties: {sorted(extra)}")
        if set(body.get("domain_names", [])) & self.failing_cert_domains:
            raise Invalid("Some challenges have failed: the domain does not point at this server")
        row = {
            "id": self.new_id(),
            "provider": body["provider"],
            "nice_name": ", ".join(body.get("domain_names", [])),
            "domain_names": body.get("domain_names", []),
            "expires_on": "2026-04-01T00:00:00.000Z",
            "meta": {"letsencrypt_certificate": {}, **meta},
        }
        self.certs[row["id"]] = row
        return row

    # ----------------------------------------------------------------------------------------- access lists
    def check_list(self, body: dict[str, Any], creating: bool) -> None:
        if extra := set(body) - LIST_FIELDS:
            raise Invalid(f"data must NOT have additional properties: {sorted(extra)}")
        if creating and not body.get("name"):
            raise Invalid("data must have required property 'name'")
        for key in ("satisfy_any", "pass_auth"):
            _bool(body, key)
        for client in body.get("clients", []):
            if set(client) - {"address", "directive"} or client.get("directive") not in ("allow", "deny"):
                raise Invalid(f"data/clients item {client!r} is invalid")
            if client["address"] != "all":
                try:
                    ipaddress.ip_network(client["address"], strict=False)
                except ValueError as exc:
                    raise Invalid(f"data/clients address {client['address']!r} is invalid") from exc

    def save_list(self, body: dict[str, Any], list_id: int | None) -> dict[str, Any]:
        self.check_list(body, list_id is None)
        if list_id is None:
            row = {"id": self.new_id(), "owner_user_id": 1, "meta": {}, "satisfy_any": False, "pass_auth": False}
            row.update({"items": [], "clients": []})
        else:
            row = self.lists[list_id]
        row.update(body)
        self.lists[row["id"]] = row
        return row


class _Handler(BaseHTTPRequestHandler):
    state: State

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _send(self, code: int, body: Any) -> None:
        raw = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _body(self) -> Any:
        length = int(self.headers.get("Content-Length") or 0)
        if length and self.headers.get("Content-Type") != "application/json":
            raise Invalid("Content-Type must be application/json")
        return json.loads(self.rfile.read(length)) if length else None

    def _dispatch(self, method: str) -> None:
        s = self.state
        path, _, query = self.path.partition("?")
        try:
            body = self._body()
            if path == "/api/" and method == "GET":
                return self._send(200, {"status": "OK", "setup": True, "version": {"major": 2, "minor": 15}})
            if path == "/api/tokens" and method == "POST":
                if not isinstance(body, dict) or set(body) - {"identity", "secret", "scope"}:
                    raise Invalid("data must NOT have additional properties")
                if body.get("identity") != s.identity or body.get("secret") != s.secret:
                    return self._send(401, {"error": {"code": 401, "message": "Invalid email or password"}})
                token = f"tok{len(s.tokens) + 1}"
                s.tokens.add(token)
                return self._send(200, {"token": token, "expires": "2030-01-01T00:00:00.000Z"})
            if self.headers.get("Authorization", "").removeprefix("Bearer ") not in s.tokens:
                return self._send(401, {"error": {"code": 401, "message": "Permission Denied"}})
            parts = path.strip("/").split("/")  # api nginx <kind> [id]
            if parts[:2] != ["api", "nginx"] or len(parts) not in (3, 4):
                return self._send(404, {"error": {"code": 404, "message": "Not Found"}})
            kind, item = parts[2], (int(parts[3]) if len(parts) == 4 else None)
            store = {"proxy-hosts": s.hosts, "certificates": s.certs, "access-lists": s.lists}.get(kind)
            if store is None or (item is not None and item not in store):
                return self._send(404, {"error": {"code": 404, "message": "Not Found"}})
            if method == "GET" and item is None:
                rows = [dict(r) for r in store.values()]
                if kind == "access-lists" and "expand=clients" not in query:
                    for r in rows:
                        r.pop("clients")
                return self._send(200, rows)
            if method != "GET":
                s.writes.append(f"{method} {path}")
            if method == "DELETE" and item is not None:
                del store[item]
                return self._send(200, True)
            if not isinstance(body, dict):
                raise Invalid("data must be object")
            if kind == "proxy-hosts" and method == "POST" and item is None:
                return self._send(201, s.create_host(body))
            if kind == "proxy-hosts" and method == "PUT" and item is not None:
                return self._send(200, s.update_host(item, body))
            if kind == "certificates" and method == "POST" and item is None:
                return self._send(201, s.create_cert(body))
            if kind == "access-lists" and method in ("POST", "PUT"):
                if (method == "POST") != (item is None):
                    return self._send(404, {"error": {"code": 404, "message": "Not Found"}})
                return self._send(201 if item is None else 200, s.save_list(body, item))
            return self._send(404, {"error": {"code": 404, "message": "Not Found"}})
        except Invalid as exc:
            if method != "GET" and s.writes and s.writes[-1] == f"{method} {path}":
                s.writes.pop()  # refused, nothing changed
            return self._send(400, {"error": {"code": 400, "message": str(exc)}})

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")


@contextmanager
def fake_npm(identity: str, secret: str) -> Iterator[tuple[str, State]]:
    """Serves a fresh fake on 127.0.0.1 (random port); yields (base URL, state)."""
    state = State(identity, secret)
    handler = type("Handler", (_Handler,), {"state": state})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
