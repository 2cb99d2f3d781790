"""Reach: a principal also holds every credential delivered into a guest it controls.

A credential is a PVE API token (`user.Token`) whose value flows (the plan's property dependencies) into
- a snippet (`FileLegacy.sourceRaw`: user data, vendor data, ...) whose id flows into the guest's inputs, or
- the input (`stdin`, `create`) of a remote Command run in a component that holds the guest.
A principal controls a guest when it can do a capability marked `control` in proofs.capabilities on it
(console, disks, cloud-init, clone, backup). Reach is transitive: a reached token may control further guests.
Modelled: credentials by the plan's data flow. Not modelled: credentials a guest's own software creates at run time.
"""

from __future__ import annotations

from proofs.capabilities import CAPABILITIES
from proofs.privileges import CT, TOKEN, VM
from proofs.pve_access import PveAccess
from tools.mockengine import Recording

FILE = "proxmoxve:index/fileLegacy:FileLegacy"
COMMAND = "command:remote:Command"
CONTROL = tuple(c for c in CAPABILITIES if c.control)


def delivered(rec: Recording) -> dict[str, set[str]]:
    """Guest path (`/vms/<id>`) -> the token ids whose value is delivered into it."""
    by_urn = rec.by_urn()
    token_of = {r.urn: f"{r.inputs['userId']}!{r.inputs['tokenName']}" for r in rec.by_type(TOKEN)}

    def tokens_in(r: object, keys: tuple[str, ...]) -> set[str]:
        deps = getattr(r, "property_dependencies", {})
        return {token_of[u] for k in keys for u in deps.get(k, []) if u in token_of}

    file_tokens = {f.urn: tokens_in(f, ("sourceRaw", "sourceFile")) for f in rec.by_type(FILE)}
    out: dict[str, set[str]] = {}
    guests = [g for g in rec.resources if g.type in (VM, CT)]
    for g in guests:
        files = [u for k, urns in g.property_dependencies.items() for u in urns if u in file_tokens]
        out[f"/vms/{g.inputs['vmId']}"] = set().union(*(file_tokens[u] for u in files))
    for c in rec.by_type(COMMAND):
        carried = tokens_in(c, ("stdin", "create", "update", "environment"))
        if not carried:
            continue
        holder = by_urn.get(c.parent)
        for g in guests:
            urn = g.parent
            while urn in by_urn and urn != getattr(holder, "urn", None):
                urn = by_urn[urn].parent
            if holder is not None and urn == holder.urn:
                out[f"/vms/{g.inputs['vmId']}"] |= carried
    return out


def controls(model: PveAccess, principal: str, guest: str) -> bool:
    return any(model.passes(principal, guest, c.privs, c.any_of) for c in CONTROL)


def reach(model: PveAccess, rec: Recording, principal: str) -> dict[str, str]:
    """Every principal `principal` can act as: itself, and each token it reads, with the guest it read it from."""
    inside = delivered(rec)
    held: dict[str, str] = {principal: ""}
    todo = [principal]
    while todo:
        p = todo.pop()
        for guest, tokens in sorted(inside.items()):
            if tokens - held.keys() and controls(model, p, guest):
                for t in sorted(tokens - held.keys()):
                    held[t] = f"read from {guest}" + (f" via {p}" if p != principal else "")
                    todo.append(t)
    return held
