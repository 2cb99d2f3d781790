"""The audit's only way to a cluster: proxmoxer over HTTPS with an API token; GET only, every wait bounded.

Read-only is enforced below proxmoxer, in the HTTP session itself: its transport adapter refuses any method but
GET before a byte leaves, so no code path of the audit (nor a proxmoxer `.post()` called by mistake) can write.
Every failure to read becomes CannotAudit with a message that says what is wrong and what to do (exit 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests
from proxmoxer.backends import https
from proxmoxer.core import ProxmoxResource, ResourceException

DEFAULT_TIMEOUT = 15.0  # seconds for connecting and for each read of an answer
PORTS = {"PVE": 8006, "PBS": 8007}
GRANT_HINT = "give the token and its user PVEAuditor on / (components/audit.py plans exactly that; docs/operations.md)"


class CannotAudit(Exception):
    """The audit cannot run; the message names the cause and the fix."""


class ReadOnlyViolation(RuntimeError):
    """Something tried to send a request other than GET through the audit's session."""


@dataclass(frozen=True)
class ApiToken:
    """A PVE API token `user@realm!name=secret`; the secret never appears in repr or messages."""

    user: str
    name: str
    secret: str = field(repr=False)

    @property
    def id(self) -> str:
        return f"{self.user}!{self.name}"

    @classmethod
    def parse(cls, text: str, source: str) -> ApiToken:
        token_id, sep, secret = text.strip().partition("=")
        user, bang, name = token_id.partition("!")
        if not (sep and bang and secret and name and "@" in user):
            raise CannotAudit(
                f"the audit token from {source} is not of the form user@realm!name=secret "
                "(the stack output auditToken is: `pulumi stack output auditToken --show-secrets`)"
            )
        return cls(user, name, secret)


class _GetOnly(requests.adapters.HTTPAdapter):
    """A transport that sends GET requests and refuses every other method; optionally pinned to a certificate's
    SHA-256 fingerprint (how PVE itself trusts a PBS: the storage's `fingerprint`)."""

    def __init__(self, fingerprint: str | None = None) -> None:
        self.fingerprint = fingerprint
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self.fingerprint:
            kwargs["assert_fingerprint"] = self.fingerprint
        super().init_poolmanager(*args, **kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if (request.method or "").upper() != "GET":
            raise ReadOnlyViolation(
                f"refused {request.method} {request.path_url}: the audit never writes to the cluster"
            )
        return super().send(request, *args, **kwargs)


class ReadOnlyPve:
    """GET access to one PVE (or, with service="PBS", Proxmox Backup Server) API endpoint with one token."""

    def __init__(
        self,
        endpoint: str,
        token: ApiToken,
        *,
        verify: bool | str = True,
        timeout: float = DEFAULT_TIMEOUT,
        service: str = "PVE",
        fingerprint: str | None = None,
    ) -> None:
        parts = urlsplit(endpoint)
        if parts.scheme != "https" or not parts.hostname:
            raise CannotAudit(
                f"endpoint {endpoint!r} is not an https:// URL of a {service} server (e.g. https://host:{PORTS[service]}/)"
            )
        try:
            port = parts.port or PORTS[service]
        except ValueError:
            raise CannotAudit(f"endpoint {endpoint!r} has an invalid port") from None
        host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
        self.endpoint = endpoint
        self.service = service
        self.token = token
        self.timeout = timeout
        backend = https.Backend(
            host=f"{host}:{port}",
            user=token.user,
            token_name=token.name,
            token_value=token.secret,
            verify_ssl=verify,
            timeout=timeout,
            service=service,
        )
        session = backend.get_session()
        for prefix in ("https://", "http://"):
            session.mount(prefix, _GetOnly(fingerprint))
        self.session = session
        self.api = ProxmoxResource(
            base_url=backend.get_base_url(), session=session, serializer=backend.get_serializer()
        )
        self.reads = 0

    def get(self, path: str, /, **params: Any) -> Any:
        """The `data` of `GET /api2/json/<path>`; booleans are sent as PVE's 0/1."""
        query = {k: int(v) if isinstance(v, bool) else v for k, v in params.items()}
        self.reads += 1
        try:
            data = self.api(path.strip("/")).get(**query)
        except ResourceException as exc:
            raise self._refused(path, exc) from None
        except requests.exceptions.SSLError as exc:
            raise CannotAudit(
                f"cannot reach {self.endpoint}: TLS verification failed ({_reason(exc)}); pass --ca-file with the "
                "cluster's CA (/etc/pve/pve-root-ca.pem), or set proxmoxve:insecure for a lab"
            ) from None
        except requests.exceptions.Timeout:
            raise CannotAudit(
                f"cannot reach {self.endpoint}: no answer within {self.timeout:g} s (GET {path})"
            ) from None
        except requests.exceptions.ConnectionError as exc:
            raise CannotAudit(f"cannot reach {self.endpoint}: {_reason(exc)}") from None
        except requests.exceptions.RequestException as exc:
            raise CannotAudit(f"cannot read GET {path} from {self.endpoint}: {_reason(exc)}") from None
        if isinstance(data, dict) and set(data) == {"errors"}:
            raise CannotAudit(f"{self.endpoint} did not answer GET {path} like a PVE API (not JSON)")
        return data

    def _refused(self, path: str, exc: ResourceException) -> CannotAudit:
        said = str(exc.content or exc.status_message).strip()
        pbs = self.service == "PBS"
        if exc.status_code == 401:
            fix = (
                "set PROXCLOUD_AUDIT_PBS_TOKEN to the PBS audit token (docs/operations.md)"
                if pbs
                else "set PROXCLOUD_AUDIT_TOKEN from `pulumi stack output auditToken --show-secrets`"
            )
            return CannotAudit(
                f"{self.endpoint} refused the audit token {self.token.id} (401 {said}): the token or its secret is "
                f"wrong, expired or deleted; {fix}"
            )
        if exc.status_code == 403:
            fix = "give it the DatastoreAudit role on the datastore (docs/operations.md)" if pbs else GRANT_HINT
            return CannotAudit(
                f"missing privilege: the audit token {self.token.id} may not read GET {path} (403 {said}); {fix}"
            )
        if exc.status_code == 595:
            return CannotAudit(f"cannot audit GET {path}: a node does not answer (595 {said}); audit when it is back")
        return CannotAudit(f"cannot audit: GET {path} failed with {exc.status_code} {said}")


def _reason(exc: Exception) -> str:
    """The innermost reason of a requests/urllib3 error, without the pool's repr noise."""
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker.lower() if marker != "Connection refused" else "connection refused (nothing listens there)"
    if "CERTIFICATE_VERIFY_FAILED" in text:
        return "certificate verify failed"
    return text.split(": ", 1)[-1][:200]
