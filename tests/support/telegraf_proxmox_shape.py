"""What Telegraf's proxmox input emits, written down independently of render/monitoring (tests compare to it).

Source: influxdata/telegraf plugins/inputs/proxmox/README.md, section "Metrics" and "Example Output", checked
against proxmox.go gatherVMData (v1.39.3): one measurement `proxmox` per guest (qemu VM or lxc container) of the
configured node; vm_id is a tag only when additional_vmstats_tags contains "vmid" (our telegraf.conf sets it).
Field types as proxmox.go builds them: int64 counters and sizes, float64 cpuload and *_percentage, string status.
"""

from __future__ import annotations

MEASUREMENT = "proxmox"
TAGS = ("node_fqdn", "vm_name", "vm_fqdn", "vm_type", "vm_id")
INT_FIELDS = (
    "uptime", "mem_used", "mem_total", "mem_free", "swap_used", "swap_total", "swap_free", "disk_used",
    "disk_total", "disk_free", "disk_read_bytes", "disk_write_bytes", "net_in_bytes", "net_out_bytes",
)  # fmt: skip
FLOAT_FIELDS = ("cpuload", "mem_used_percentage", "swap_used_percentage", "disk_used_percentage")
STRING_FIELDS = ("status",)
FIELDS = INT_FIELDS + FLOAT_FIELDS + STRING_FIELDS


def line(tags: dict[str, str], fields: dict[str, int | float | str], ts_ns: int) -> str:
    """One point in InfluxDB line protocol, typed the way Telegraf's influxdb output serialises it."""
    assert set(tags) == set(TAGS), "a proxmox point carries exactly these tags"
    assert set(fields) == set(FIELDS), "a proxmox point carries exactly these fields"

    def esc(v: str) -> str:
        return v.replace(",", r"\,").replace("=", r"\=").replace(" ", r"\ ")

    def val(name: str, v: int | float | str) -> str:
        if name in INT_FIELDS:
            return f"{int(v)}i"
        if name in FLOAT_FIELDS:
            return repr(float(v))
        return '"' + str(v).replace('"', r"\"") + '"'

    tag_part = ",".join(f"{k}={esc(tags[k])}" for k in sorted(tags))
    field_part = ",".join(f"{k}={val(k, fields[k])}" for k in sorted(fields))
    return f"{MEASUREMENT},{tag_part} {field_part} {ts_ns}"
