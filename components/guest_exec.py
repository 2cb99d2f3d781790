"""Running a script inside a guest from its PVE node, over the node's SSH: the QEMU guest agent (`qm guest exec`)
for VMs, `pct exec` for containers (components/container.py).

Why from the node: the provider already needs SSH to the nodes (snippet uploads), so this adds no credential and
no network path into a tenant's networks. A VM's script runs only after cloud-init has finished inside it: the
agent answers as soon as cloud-init's package stage installed it, long before the final stage (Docker, Caddy,
users) is done.
"""

from __future__ import annotations

import pulumi

from components.container import NodeSsh
from model.models import StackSettings
from render.readiness import CLOUD_INIT_DONE


def node_ssh(settings: StackSettings, node: str, key: pulumi.Input[str]) -> NodeSsh:
    """SSH to a PVE node: its management address (or VTEP), root, the node key."""
    n = next(n for n in settings.nodes if n.name == node)
    return NodeSsh(host=str(n.address or n.vtep), user="root", private_key=pulumi.Output.secret(key))


def _exit_as_guest(ok: tuple[int, ...] = (0,)) -> str:
    """`qm guest exec` prints a JSON result: pass the guest's output through, exit 0 for `ok` codes, else its code
    (1 when there is none: the command was still running at --timeout)."""
    return (
        "python3 -c 'import json,sys; r=json.load(sys.stdin); "
        'sys.stdout.write(r.get("out-data","")); sys.stderr.write(r.get("err-data","")); '
        f'c=r.get("exitcode", 1); sys.exit(0 if c in {ok!r} else (c or 1))\''
    )


def qm_exec_command(vm_id: int) -> str:
    """Node-side: wait for the VM's guest agent, then for cloud-init to finish inside it, then run stdin as a bash
    script inside, failing with its exit code."""
    return (
        f"for i in $(seq 1 90); do qm guest cmd {vm_id} ping >/dev/null 2>&1 && break; sleep 10; done; "
        f"qm guest exec {vm_id} --timeout 1800 -- cloud-init status --wait | {_exit_as_guest(CLOUD_INIT_DONE)} && "
        f"qm guest exec {vm_id} --pass-stdin 1 --timeout 1200 -- bash -s | {_exit_as_guest()}"
    )
