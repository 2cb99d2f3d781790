"""RestoreDrill: the scheduled restore drill on one node, installed over SSH like the PBS jobs (components/backup.py).

The files and the timer are rendered by render/restore_drill.py; one pulumi-command `remote.Command` installs them
on the drill node and removes them on delete. A change of the guest list or the settings re-runs the (idempotent)
install as an update: there are no `triggers`, so a change never replaces the command, and the old command's
delete never runs after the new create.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulumi
from pulumi_command import remote

from components.guest_exec import node_ssh
from model.drill import DrillGuest
from model.models import RestoreDrillSpec, StackSettings
from render.restore_drill import DrillSettings, install_script, remove_script


@dataclass
class RestoreDrillArgs:
    """Inputs of RestoreDrill."""

    drill: RestoreDrillSpec
    """Node, schedule, scratch IDs, guests per run, boot timeout."""
    guests: list[DrillGuest]
    """The guests to drill, in order (model.drill.drill_guests)."""
    settings: StackSettings
    """For the node's SSH address and the vm datastore."""
    ssh_private_key: pulumi.Input[str]
    """Root SSH key of the nodes (secret)."""
    after: list[pulumi.Resource] = field(default_factory=list)
    """What the install waits for (the backup jobs, the admin matcher); a component's own depends_on does not
    reach its children, so the wait is on the command itself."""


class RestoreDrill(pulumi.ComponentResource):
    """The drill's files and timer on `drill.node`."""

    install: remote.Command

    def __init__(self, name: str, args: RestoreDrillArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        d = args.drill
        # the scratch ids are the provider's: `make audit` reports a guest squatting them (tools/audit/findings.py)
        facts = {"scratch_ids": [d.scratch_ids.first, d.scratch_ids.last]}
        super().__init__("proxcloud:index:RestoreDrill", name, facts, opts)
        settings = DrillSettings(
            storage=args.settings.datastores.vm,
            scratch_first=d.scratch_ids.first,
            scratch_last=d.scratch_ids.last,
            per_run=d.guests_per_run,
            boot_timeout=d.boot_timeout,
            schedule=d.schedule,
        )
        ssh = node_ssh(args.settings, d.node, args.ssh_private_key)
        script = install_script(settings, args.guests)
        self.install = remote.Command(
            f"{name}-install",
            connection=remote.ConnectionArgs(host=ssh.host, user=ssh.user, private_key=ssh.private_key),
            create=script,
            update=script,
            delete=remove_script(),
            opts=pulumi.ResourceOptions(parent=self, depends_on=args.after),
        )
        self.register_outputs({"node": d.node, "schedule": d.schedule, "guests": [g.vm_id for g in args.guests]})
