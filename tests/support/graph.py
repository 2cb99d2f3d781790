"""Test helper: hand-built planned graphs (Recordings) for the proofs."""

from __future__ import annotations

from typing import Any

from tools.mockengine import Recording, Registration

STACK = "urn:pulumi:t::proxcloud::pulumi:pulumi:Stack::proxcloud-t"


def reg(type_: str, name: str, parent: Registration | None = None, **inputs: Any) -> Registration:
    parent_urn = parent.urn if parent else STACK
    return Registration(
        urn=f"urn:pulumi:t::proxcloud::{type_}::{name}",
        type=type_,
        name=name,
        custom=not type_.startswith("proxcloud:"),
        parent=parent_urn,
        provider=None,
        protect=False,
        dependencies=[],
        inputs=inputs,
    )


def recording(*regs: Registration) -> Recording:
    return Recording(resources=list(regs))
