"""Running a script inside a guest from its PVE node, over the node's SSH: the QEMU guest agent (`qm guest exec`)
for VMs, `pct exec` for containers (components/container.py); and AdminKeys, the day-2 delivery of the admin SSH
keys to every running guest.

Why from the node: the provider already needs SSH to the nodes (snippet uploads), so this adds no credential and
no network path into a tenant's networks. A VM's script runs only after cloud-init has finished inside it: the
agent answers as soon as cloud-init's package stage installed it, long before the final stage (Docker, Caddy,
users) is done.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi
from pulumi_command import remote

from components.container import NodeSsh, pct_exec_command
from model.containers import Container
from model.models import StackSettings
from model.platform import Vm
from render.cloudinit import ADMIN_USER
from render.provision import authorized_keys_script
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


def guest_resource_id(guest: pulumi.Resource) -> pulumi.Output[str]:
    """The id of a guest's VmLegacy or ContainerLegacy (given it, or its CloudInitVm or LxcContainer): what a
    command triggers on to run again on a replaced guest."""
    machine = guest if isinstance(guest, pulumi.CustomResource) else getattr(guest, "machine", None)
    machine = getattr(guest, "container", None) if machine is None else machine
    if not isinstance(machine, pulumi.CustomResource):
        raise TypeError(f"{guest!r} is not a guest resource")
    return machine.id


def guest_command(
    name: str,
    guest: Vm | Container,
    machine: pulumi.CustomResource,
    ssh: NodeSsh,
    stdin: pulumi.Input[str],
    opts: pulumi.ResourceOptions,
) -> remote.Command:
    """Run `stdin` as root inside the guest from its node; again whenever `stdin` changes (without an `update`
    command an update runs `create`) and whenever the guest is replaced (the trigger is its resource id, unknown at
    preview while it is replaced; the SDK sets `replace_on_changes=["triggers[*]"]`): pulumi-command
    sdk/python/pulumi_command/remote/command.py, `update` and `triggers`."""
    create = pct_exec_command(guest.vm_id) if isinstance(guest, Container) else qm_exec_command(guest.vm_id)
    return remote.Command(
        name,
        connection=remote.ConnectionArgs(host=ssh.host, user=ssh.user, private_key=ssh.private_key),
        create=create,
        stdin=stdin,
        triggers=[machine.id],
        opts=pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[machine])),
    )


@dataclass
class AdminKeysArgs:
    """Inputs of AdminKeys."""

    guests: Sequence[Vm | Container]
    """Every guest of the stack."""
    machines: Mapping[str, pulumi.CustomResource]
    """Guest name -> its VmLegacy or ContainerLegacy."""
    settings: StackSettings
    """The nodes (where each guest's command runs)."""
    node_key: pulumi.Input[str]
    """The nodes' SSH key (secret)."""


class AdminKeys(pulumi.ComponentResource):
    """The admin SSH keys on every running guest: the VMs' admin user (render/cloudinit.py ADMIN_USER) and the
    containers' root, rewritten whole, so an added key works and a removed one stops working. Keys are first-boot
    input of user data (frozen, components/vm.py) and of containers (`user_account.keys` ignored,
    components/container.py); this is how a change reaches guests that already run, without replacing them."""

    commands: dict[str, remote.Command]

    def __init__(self, name: str, args: AdminKeysArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("proxcloud:index:AdminKeys", name, {"guests": len(args.guests)}, opts)
        self.commands = {}
        for guest in args.guests:
            user = "root" if isinstance(guest, Container) else ADMIN_USER
            self.commands[guest.name] = guest_command(
                f"{name}-{guest.name}",
                guest,
                args.machines[guest.name],
                node_ssh(args.settings, guest.node, args.node_key),
                authorized_keys_script(user, guest.ssh_keys),
                pulumi.ResourceOptions(parent=self),
            )
        self.register_outputs({"guests": sorted(self.commands)})
