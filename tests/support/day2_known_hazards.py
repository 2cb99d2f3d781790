"""The day-2 backlog: the hazards `make diff` finds today in each day-2 scenario (tools/scenarios.py), per stack.

Recorded, not wished for: tests/tools/test_day2.py holds the hazards found to exactly this table, so the suite is
green today, fails when a change brings a new hazard, and fails - asking to shrink this table - when a fix removes
one. Each entry: (hazard kind, resource name) -> why (the step's own change, else the unknown it inherits, with the
provider source that makes it force a replacement). Regenerate after a reviewed change with
`python -m tools.scenarios --known`. docs/operations.md ("make diff and the day-2 backlog") summarises it.
"""

from __future__ import annotations

NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET = (
    "nodeName changes (migrate is not set): bpg vm/vm.go CustomizeDiff ForceNewIf(node_name)"
)
NODE_NAME_CHANGES = "nodeName changes: bpg container/container.go node_name ForceNew"
OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN = (
    "operatingSystem.templateFileId unknown: bpg container/container.go operating_system.template_file_id ForceNew"
)
PASSWORD_CHANGES = "password changes: bpg storage/resource_pbs.go password RequiresReplace"
TARGET_CHANGES = "target changes: bpg replication/resource.go target RequiresReplace"
TARGETED_WITH_REPLACE = "targeted with --replace"
TRIGGERS_0_CHANGES = "triggers[0] changes: replaceOnChanges 'triggers[*]'"

KNOWN_HAZARDS: dict[tuple[str, str], dict[tuple[str, str], str]] = {
    ("add a route", "dev"): {},
    ("add a route", "prod"): {},
    ("add a tenant", "dev"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
    },
    ("add a tenant", "prod"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
    },
    ("remove a tenant", "dev"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
    },
    ("retire a tenant: retiring", "prod"): {},
    ("retire a tenant: remove", "prod"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-extras-vaultwarden-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
    },
    ("add an admin SSH key", "dev"): {},
    ("add an admin SSH key", "prod"): {},
    ("rotate the deploy token", "dev"): {},
    ("rotate the deploy token", "prod"): {},
    ("rotate a monitoring token", "dev"): {
        ("fixed-id-create-before-delete", "alpha-monitoring-token"): TARGETED_WITH_REPLACE,
    },
    ("rotate a monitoring token", "prod"): {
        ("fixed-id-create-before-delete", "alpha-monitoring-token"): TARGETED_WITH_REPLACE,
    },
    ("rotate pbsPassword", "dev"): {
        ("fixed-id-create-before-delete", "backup-alpha-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-beta-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-community-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-hosting-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-keepers-storage"): PASSWORD_CHANGES,
    },
    ("rotate pbsPassword", "prod"): {
        ("fixed-id-create-before-delete", "backup-alpha-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-beta-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-community-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-hosting-storage"): PASSWORD_CHANGES,
        ("fixed-id-create-before-delete", "backup-keepers-storage"): PASSWORD_CHANGES,
        ("protected-replace", "backup-alpha-storage"): PASSWORD_CHANGES,
        ("protected-replace", "backup-beta-storage"): PASSWORD_CHANGES,
        ("protected-replace", "backup-community-storage"): PASSWORD_CHANGES,
        ("protected-replace", "backup-hosting-storage"): PASSWORD_CHANGES,
        ("protected-replace", "backup-keepers-storage"): PASSWORD_CHANGES,
    },
    ("change retention", "dev"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
    },
    ("change retention", "prod"): {
        ("command-delete-undoes-create", "backup-pbs-jobs"): TRIGGERS_0_CHANGES,
    },
    ("add a node", "prod"): {
        ("fixed-id-create-before-delete", "ha-alpha-grafana-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-alpha-influxdb-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-beta-influxdb-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-keepers-graylog-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-keepers-vaultwarden-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-keepers-zabbix-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-rproxy-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-verein-cloud-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "ha-verein-www-replication"): TARGET_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-cloudflared-ct"): NODE_NAME_CHANGES,
        ("fixed-id-create-before-delete", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        ("fixed-id-create-before-delete", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("fixed-id-create-before-delete", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "alpha-monitoring-chronograf-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "alpha-monitoring-grafana-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "alpha-monitoring-influxdb-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "alpha-proxy-vm-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "beta-monitoring-grafana-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "beta-monitoring-influxdb-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "beta-proxy-vm-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "community-humhub-humhub-test-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "community-humhub-humhub-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "community-proxy-vm-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "hosting-verein-cloud-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "hosting-verein-www-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "keepers-extras-cloudflared-ct"): NODE_NAME_CHANGES,
        ("guest-replaced", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        ("guest-replaced", "keepers-logging-graylog-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "keepers-proxy-vm-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("guest-replaced", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("guest-replaced", "keepers-zabbix-server-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "alpha-monitoring-grafana-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "alpha-monitoring-influxdb-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "beta-monitoring-grafana-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "beta-monitoring-influxdb-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "community-humhub-humhub-test-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "community-humhub-humhub-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "community-proxy-vm-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "hosting-verein-cloud-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "hosting-verein-www-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "keepers-extras-vaultwarden-ct"): NODE_NAME_CHANGES,
        ("protected-replace", "keepers-logging-graylog-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
        ("protected-replace", "keepers-wordpress-db-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-wordpress-web-ct"): OPERATING_SYSTEM_TEMPLATE_FILE_ID_UNKNOWN,
        ("protected-replace", "keepers-zabbix-server-vm"): NODE_NAME_CHANGES_MIGRATE_IS_NOT_SET,
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
