"""The shape of the stack outputs (paths and types, not values), snapshotted so no change slips through unannounced.

`python -m tools.outputs_shape` rewrites tests/snapshots/outputs-shape.txt from the dev stack's plan; do that
only together with a SCHEMA_VERSION bump (components/outputs.py) and docs/outputs.schema.json.
"""

from __future__ import annotations

import sys
from typing import Any

from tools.mockengine import PROJECT_DIR, is_secret, run_program

SNAPSHOT = PROJECT_DIR / "tests" / "snapshots" / "outputs-shape.txt"
# Maps keyed by names from the spec (tenants, nodes, VMs...): their keys are data, not shape.
NAME_MAPS = {
    "tenants", "nodes", "vnets", "vms", "containers", "humhub", "storages", "encryptionKeyFingerprints", "secondaries",
}  # fmt: skip


def _type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, str):
        return "secret" if is_secret(value) else "string"
    if value is None:
        return "null"
    return type(value).__name__


def shape_lines(value: Any, path: str = "", parent_key: str = "") -> set[str]:
    """Every `path: type` of the document; name-keyed maps collapse to `*`, lists to `[]`."""
    if isinstance(value, dict):
        out = {f"{path or '.'}: object"}
        for key, item in value.items():
            step = "*" if parent_key in NAME_MAPS else key
            out |= shape_lines(item, f"{path}.{step}", key)
        return out
    if isinstance(value, list):
        out = {f"{path}: array"}
        for item in value:
            out |= shape_lines(item, f"{path}[]", "")
        return out
    return {f"{path}: {_type(value)}"}


def current_shape() -> str:
    return "\n".join(sorted(shape_lines(run_program("dev").outputs))) + "\n"


def main() -> int:
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(current_shape())
    print(f"wrote {SNAPSHOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
