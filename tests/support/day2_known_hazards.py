"""The day-2 backlog: the hazards `make diff` finds today in each day-2 scenario (tools/scenarios.py), per stack.

Recorded, not wished for: tests/tools/test_day2.py holds the hazards found to exactly this table, so the suite is
green today, fails when a change brings a new hazard, and fails - asking to shrink this table - when a fix removes
one. Each entry: (hazard kind, resource name) -> why (the step's own change, else the unknown it inherits, with the
provider source that makes it force a replacement). Regenerate after a reviewed change with
`python -m tools.scenarios --known`. docs/operations.md ("make diff and the day-2 backlog") summarises it.
"""

from __future__ import annotations

INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY = (
    "initialization unknown (delete-before-replace of a dependency): "
    "bpg vm/vm.go initialization.vendor_data_file_id ForceNew"
)
NODE_NAME_CHANGES = "nodeName changes: bpg container/container.go node_name ForceNew"

KNOWN_HAZARDS: dict[tuple[str, str], dict[tuple[str, str], str]] = {
    ("add a route", "dev"): {},
    ("add a route", "prod"): {},
    ("add a tenant", "dev"): {},
    ("add a tenant", "prod"): {},
    ("remove a tenant", "dev"): {},
    ("retire a tenant: retiring", "prod"): {},
    ("retire a tenant: remove", "prod"): {},
    ("add an admin SSH key", "dev"): {},
    ("add an admin SSH key", "prod"): {},
    ("rotate the deploy token", "dev"): {},
    ("rotate the deploy token", "prod"): {},
    ("rotate a monitoring token", "dev"): {},
    ("rotate a monitoring token", "prod"): {},
    ("rotate pbsPassword", "dev"): {},
    ("rotate pbsPassword", "prod"): {},
    ("change retention", "dev"): {},
    ("change retention", "prod"): {},
    ("add a node", "prod"): {
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): NODE_NAME_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        (
            "guest-replaced",
            "alpha-monitoring-chronograf-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "alpha-monitoring-grafana-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "guest-replaced",
            "alpha-monitoring-influxdb-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "alpha-proxy-vm-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "beta-monitoring-grafana-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "beta-monitoring-influxdb-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "beta-proxy-vm-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "guest-replaced",
            "community-humhub-humhub-test-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "community-humhub-humhub-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "community-proxy-vm-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "hosting-verein-cloud-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "hosting-verein-www-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): NODE_NAME_CHANGES,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        ("guest-replaced", "keepers-logging-graylog-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "keepers-proxy-vm-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("guest-replaced", "keepers-zabbix-server-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "alpha-monitoring-grafana-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "alpha-monitoring-influxdb-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "beta-monitoring-grafana-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "beta-monitoring-influxdb-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "community-humhub-humhub-test-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        (
            "protected-replace",
            "community-humhub-humhub-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("protected-replace", "community-proxy-vm-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("protected-replace", "hosting-verein-cloud-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("protected-replace", "hosting-verein-www-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("protected-replace", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        (
            "protected-replace",
            "keepers-logging-graylog-vm",
        ): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
        ("protected-replace", "keepers-zabbix-server-vm"): INITIALIZATION_UNKNOWN_DELETE_BEFORE_REPLACE_OF_A_DEPENDENCY,
    },
    ("change a VM's memory", "dev"): {},
    ("change a VM's memory", "prod"): {},
    ("change HumHub settings", "dev"): {},
    ("change HumHub settings", "prod"): {},
    ("change the edge's adminFrom", "dev"): {},
    ("change the edge's adminFrom", "prod"): {},
    ("add a forward", "dev"): {},
    ("add a forward", "prod"): {},
}
