"""Issue 14: what the access proofs (proofs/tenancy.py) find on today's plans, per stack - recorded, not wished for.

tests/proofs/test_tenancy.py holds the findings (check, who, path, detail) to exactly this table: a fix must remove its
lines, a new violation fails. The check names map to issue 14's findings (proofs/tenancy.py docstring):
reach = 1, provider-guest = 2, shared-storage = 3, vmid-squatting = 4, acl-delegation = 5, guest-firewall = 6,
usable = 7, foreign-asset / operator-forbidden / monitoring-exact / unknown-kind = 8. docs/security.md says which
are open. Regenerate after a reviewed fix with `python -m proofs.tenancy --known`.
"""

from __future__ import annotations

KNOWN_VIOLATIONS: dict[str, set[tuple[str, str, str, str]]] = {
    "dev": set(),  # every finding of issue 14 fixed (docs/security.md); a new one fails the test
    "prod": set(),
}
