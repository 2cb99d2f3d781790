"""`make audit [STACK=dev] [ENDPOINT=https://host:8006/]`: the running cluster against the stack's offline plan.

Reads (GET only) with the audit token: $PROXCLOUD_AUDIT_TOKEN, else the secret stack config value
`proxcloud-audit:token` (read through `pulumi config get`, which decrypts it). The endpoint is the stack's
`proxmoxve:endpoint` unless --endpoint is given; TLS is verified unless `proxmoxve:insecure` or --insecure.
Backup space per tenant needs a PBS audit token ($PROXCLOUD_AUDIT_PBS_TOKEN or `proxcloud-audit:pbsToken`).
Writes build/audit-<stack>.md, .json and .png. Exit 0 clean, 1 findings, 2 cannot audit.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from tools.audit.access import check_live_access
from tools.audit.client import DEFAULT_TIMEOUT, ApiToken, CannotAudit, ReadOnlyPve
from tools.audit.findings import Ownership, drift
from tools.audit.live import read_live, read_pbs
from tools.audit.model import live_items, planned_items
from tools.audit.report import Audit, render_json, render_markdown, render_text
from tools.audit.usage import (
    DEFAULT_MARGIN,
    backup_namespaces,
    render_chart,
    right_sizing,
    tenant_usage,
    usage_findings,
)
from tools.mockengine import PROJECT_DIR, Recording, run_program, stack_config

TOKEN_ENV = "PROXCLOUD_AUDIT_TOKEN"
TOKEN_KEY = "proxcloud-audit:token"
PBS_TOKEN_ENV = "PROXCLOUD_AUDIT_PBS_TOKEN"
PBS_TOKEN_KEY = "proxcloud-audit:pbsToken"
KNOWN_KEY = "proxcloud-audit:knownPrincipals"
PULUMI_TIMEOUT = 60.0
ConfigReader = Callable[[str, str], str | None]


def pulumi_config_get(stack: str, key: str) -> str | None:
    """A (decrypted) stack config value through the Pulumi CLI; None when there is no CLI or no such value."""
    cli = shutil.which("pulumi")
    if cli is None:
        return None
    try:
        done = subprocess.run(
            [cli, "config", "get", key, "--stack", stack],
            capture_output=True,
            text=True,
            timeout=PULUMI_TIMEOUT,
            cwd=PROJECT_DIR,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None if done.returncode == 0 else None


def audit_token(stack: str, environ: Mapping[str, str], read_config: ConfigReader) -> ApiToken:
    if environ.get(TOKEN_ENV):
        return ApiToken.parse(environ[TOKEN_ENV], f"${TOKEN_ENV}")
    value = read_config(stack, TOKEN_KEY)
    if value:
        return ApiToken.parse(value, f"the stack config {TOKEN_KEY}")
    raise CannotAudit(
        f"no audit token: set {TOKEN_ENV}='audit@pve!audit=...' (the secret stack output auditToken: "
        f"`pulumi stack output auditToken --show-secrets -s {stack}`) or store it once with "
        f"`pulumi config set --secret {TOKEN_KEY} ... -s {stack}` (read back through the Pulumi CLI)"
    )


def pbs_token(stack: str, environ: Mapping[str, str], read_config: ConfigReader) -> ApiToken | None:
    """The optional PBS audit token (backup space per namespace); None: backups are not measured."""
    if environ.get(PBS_TOKEN_ENV):
        return ApiToken.parse(environ[PBS_TOKEN_ENV], f"${PBS_TOKEN_ENV}")
    value = read_config(stack, PBS_TOKEN_KEY)
    return ApiToken.parse(value, f"the stack config {PBS_TOKEN_KEY}") if value else None


def _json(value: str | None, default: Any) -> Any:
    if value is None:
        return default
    try:
        return json.loads(value)
    except json.JSONDecodeError:
        return value


def tenant_numbers(stack: str, config: Mapping[str, str]) -> dict[str, int]:
    """Each tenant's number (its default VM id range), from the spec the plan was built from."""
    from model.errors import SpecError
    from model.load import load_platform

    ns = {k.split(":", 1)[1]: _json(v, v) for k, v in config.items() if k.startswith("proxcloud:")}
    try:
        platform = load_platform("proxcloud", stack, ns, PROJECT_DIR)
    except SpecError:
        return {}  # the plan itself reports bad input
    return {t.name: t.number for t in platform.tenants}


def content_storages(plan: Recording, own: Ownership) -> set[str]:
    """The storages whose volumes the audit lists: the plan's files, the tenants' backup and own storages."""
    out = {s for s in own.storages}
    out |= set(((plan.outputs.get("backup") or {}).get("storages") or {}).values())
    for r in plan.resources:
        if r.type in ("proxmoxve:index/fileLegacy:FileLegacy", "proxmoxve:download/file:File"):
            out.add(r.inputs["datastoreId"])
    return out


def run_audit(
    stack: str,
    *,
    endpoint: str | None = None,
    verify: bool | str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    margin: float = DEFAULT_MARGIN,
    known: tuple[str, ...] = (),
    pbs_endpoint: str | None = None,
    pbs_verify: str | None = None,
    environ: Mapping[str, str] | None = None,
    read_config: ConfigReader = pulumi_config_get,
    plan: Recording | None = None,
) -> Audit:
    """Audit one stack; `plan` is the stack's offline plan when the caller has it already (else it is built)."""
    environ = os.environ if environ is None else environ
    if not (PROJECT_DIR / f"Pulumi.{stack}.yaml").is_file():
        raise CannotAudit(f"no stack config Pulumi.{stack}.yaml (stacks: dev, prod)")
    config = stack_config(stack)
    token = audit_token(stack, environ, read_config)
    endpoint = endpoint or config.get("proxmoxve:endpoint")
    if not endpoint:
        raise CannotAudit(f"no endpoint: Pulumi.{stack}.yaml has no proxmoxve:endpoint; pass --endpoint URL")
    if verify is None:
        verify = str(config.get("proxmoxve:insecure", "false")).lower() not in ("1", "true", "yes")
    pve = ReadOnlyPve(endpoint, token, verify=verify, timeout=timeout)
    from tools.audit.live import check_reach

    version = check_reach(pve)  # fail fast (exit 2) before the plan is built
    plan = plan if plan is not None else run_program(stack, config=config)
    known_set = frozenset(_json(config.get(KNOWN_KEY), []) or []) | frozenset(known)
    own = Ownership.of(plan, tenant_numbers(stack, config), known_set)
    live = read_live(pve, content_storages(plan, own))
    planned = planned_items(plan)
    pbs_auth = pbs_token(stack, environ, read_config)
    pbs_settings = (_json(config.get("proxcloud:backup"), {}) or {}).get("pbs") or {}
    if pbs_auth is not None and pbs_settings:
        # Trusted like PVE trusts it: the certificate fingerprint of the stack's PBS (or a CA file).
        pbs = ReadOnlyPve(
            pbs_endpoint or f"https://{pbs_settings['server']}:8007/",
            pbs_auth,
            verify=pbs_verify or False,
            fingerprint=None if pbs_verify else pbs_settings.get("fingerprint"),
            timeout=timeout,
            service="PBS",
        )
        spaces = backup_namespaces(planned).values()
        live.pbs_snapshots = read_pbs(pbs, str(pbs_settings["datastore"]), {ns for _, ns in spaces})
    findings = drift(planned, live_items(live), own)
    findings += check_live_access(plan, live)
    usage = tenant_usage(plan, planned, live, own)
    sizes = right_sizing(live, own, margin)
    findings += usage_findings(usage, sizes)
    return Audit(
        stack=stack,
        endpoint=endpoint,
        pve_version=str(version.get("version", "?")),
        findings=findings,
        usage=usage,
        sizes=sizes,
        compared=len(planned),
        reads=pve.reads,
    )


def main(
    argv: list[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    read_config: ConfigReader = pulumi_config_get,
) -> int:
    import pulumi

    parser = argparse.ArgumentParser(prog="python -m tools.audit", description=__doc__.splitlines()[0])
    parser.add_argument("--stack", default="dev")
    parser.add_argument("--endpoint", help="PVE API URL (default: the stack's proxmoxve:endpoint)")
    tls = parser.add_mutually_exclusive_group()
    tls.add_argument("--ca-file", help="PEM of the CA that signed the node certificate (/etc/pve/pve-root-ca.pem)")
    tls.add_argument("--insecure", action="store_true", help="do not verify TLS (default: proxmoxve:insecure)")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="seconds per connect and per read")
    parser.add_argument("--margin", type=float, default=DEFAULT_MARGIN, help="right-sizing headroom (0.3 = 30%%)")
    parser.add_argument(
        "--known-principal",
        action="append",
        default=[],
        metavar="USER",
        help=f"a principal managed outside the program (the deploy user); also {KNOWN_KEY}",
    )
    parser.add_argument("--pbs-endpoint", help="PBS API URL (default: https://<proxcloud:backup.pbs.server>:8007/)")
    parser.add_argument("--pbs-ca-file", help="CA of the PBS certificate (default: pin backup.pbs.fingerprint)")
    parser.add_argument("--out", default=str(PROJECT_DIR / "build"))
    parser.add_argument("--quiet", action="store_true", help="only write the files")
    args = parser.parse_args(argv)
    verify: bool | str | None = args.ca_file or (False if args.insecure else None)
    try:
        audit = run_audit(
            args.stack,
            endpoint=args.endpoint,
            verify=verify,
            timeout=args.timeout,
            margin=args.margin,
            known=tuple(args.known_principal),
            pbs_endpoint=args.pbs_endpoint,
            pbs_verify=args.pbs_ca_file,
            environ=environ,
            read_config=read_config,
        )
    except CannotAudit as exc:
        print(f"error: cannot audit stack {args.stack}: {exc}", file=sys.stderr)
        return 2
    except pulumi.RunError as exc:
        print(f"error: cannot audit stack {args.stack}: its plan fails: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    chart = out / f"audit-{args.stack}.png"
    render_chart(args.stack, audit.sizes, chart)
    (out / f"audit-{args.stack}.md").write_text(render_markdown(audit, chart.name), encoding="utf-8")
    (out / f"audit-{args.stack}.json").write_text(render_json(audit), encoding="utf-8")
    if not args.quiet:
        print(render_text(audit))
        print(f"\nwrote {out / f'audit-{args.stack}.md'}, {out / f'audit-{args.stack}.json'} and {chart}")
    return 1 if audit.findings else 0
