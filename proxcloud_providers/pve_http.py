"""One PVE API client for the dynamic providers (components/vnet_firewall.py, components/pve_notifications.py).

Credentials are taken at run time, in the provider process, never from inputs or state: first the environment
(`PROXMOX_VE_ENDPOINT`, `PROXMOX_VE_API_TOKEN`, `PROXMOX_VE_INSECURE`, the names pulumi-proxmoxve reads), then the
stack config the engine hands a dynamic provider's `configure` (`proxmoxve:endpoint`, `proxmoxve:apiToken`,
`proxmoxve:insecure`). The environment wins because it is what the operator set for this run: `pulumi destroy`
configures providers from what the last `up` recorded, so after a token rotation `PROXMOX_VE_API_TOKEN=<new>` is
the way through. Standard library only; the token goes into the `Authorization` header and nowhere else.
"""

from __future__ import annotations

import json
import os
import ssl
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ENV = {"endpoint": "PROXMOX_VE_ENDPOINT", "token": "PROXMOX_VE_API_TOKEN", "insecure": "PROXMOX_VE_INSECURE"}
CONFIG = {"endpoint": "proxmoxve:endpoint", "token": "proxmoxve:apiToken", "insecure": "proxmoxve:insecure"}


class PveError(RuntimeError):
    """PVE answered with an HTTP error; `status` is its code."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status

    @property
    def not_found(self) -> bool:
        """The object is gone: 404, or PVE's "does not exist" (pve-network src/PVE/Network/SDN/Vnets.pm
        sdn_vnets_config dies "sdn vnet '<id>' does not exist", an HTTP 500)."""
        return self.status == 404 or "does not exist" in str(self)


@dataclass(frozen=True)
class PveClient:
    """Where and as whom to call the PVE API; `request` makes one call."""

    endpoint: str | None
    token: str | None
    insecure: bool = False
    ca_pem: str | None = None
    timeout: float = 30.0
    who: str = "the PVE dynamic provider"

    @classmethod
    def from_run(cls, config: Mapping[str, Any], who: str) -> PveClient:
        """From the environment, else the stack config (a dynamic provider's ConfigureRequest.config)."""

        def pick(key: str) -> str | None:
            value = os.environ.get(ENV[key])
            if value:
                return value
            got = config.get(CONFIG[key])
            return str(got) if got not in (None, "") else None

        insecure = str(pick("insecure")).strip().lower() in ("1", "true", "yes")
        return cls(pick("endpoint"), pick("token"), insecure, who=who)

    def request(
        self, method: str, path: str, body: Mapping[str, Any] | None = None, hidden: tuple[str, ...] = ("password",)
    ) -> Any:
        """One API call; returns `data`. Errors name the call and PVE's words, never the token or a `hidden`
        field of the body."""
        if not self.endpoint or not self.token:
            missing = [
                n for n, v in (("proxmoxve:endpoint", self.endpoint), ("proxmoxve:apiToken", self.token)) if not v
            ]
            raise RuntimeError(
                f"{self.who} has no {' and '.join(missing)}: set them in the stack config "
                "(`pulumi config set [--secret] ...`) or as PROXMOX_VE_ENDPOINT / PROXMOX_VE_API_TOKEN"
            )
        url = self.endpoint.rstrip("/") + "/api2/json" + path
        data = urllib.parse.urlencode(body, doseq=True).encode() if body is not None else None
        request = urllib.request.Request(url, data=data, method=method)
        request.add_header("Authorization", "PVEAPIToken=" + self.token)
        request.add_header("Accept", "application/json")
        if data is not None:
            request.add_header("Content-Type", "application/x-www-form-urlencoded")
        context = ssl.create_default_context(cadata=self.ca_pem or None)
        if self.insecure:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        where = f"{method} {path}"
        try:
            with urllib.request.urlopen(request, timeout=self.timeout, context=context) as response:
                payload = response.read()
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")
            try:
                parsed = json.loads(detail)
            except ValueError:
                parsed = {}
            message = str(parsed.get("message") or exc.reason).strip()
            fields = parsed.get("errors") or {}
            shown = "; ".join(f"{k}: {str(v).strip()}" for k, v in sorted(fields.items()))
            sent = {k: ("[secret]" if k in hidden else v) for k, v in (body or {}).items()}
            raise PveError(
                exc.code,
                f"PVE refused {where} (HTTP {exc.code}): {message}"
                + (f" [{shown}]" if shown else "")
                + (f"; sent {sent}" if sent else ""),
            ) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise RuntimeError(f"cannot reach PVE at {self.endpoint} for {where}: {reason}") from None
        return json.loads(payload or b"{}").get("data")
