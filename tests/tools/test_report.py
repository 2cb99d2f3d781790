"""`make report`: the right-sizing numbers on a hand-built graph, over-commitment flagged (and not when under the
limit), the capacity model, the chart as a real PNG of the expected size, and a run on the dev stack."""

from __future__ import annotations

import re
import struct
from pathlib import Path

import pytest
import yaml
from PIL import Image

from model.capacity import CapacitySpec, Resource
from tests.support.graph import recording, reg
from tests.support.stacks import FIXTURE_PROJECT
from tools import report
from tools.mockengine import Registration
from tools.report import (
    CHART_DPI,
    CHART_SIZE_IN,
    CT,
    NO_TENANT,
    TENANT,
    VM,
    Guest,
    ReportError,
    RightSizing,
    guests,
    main,
    render_chart,
    render_markdown,
    stack_capacity,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def vm(resource_name: str, parent: Registration | None, vm_name: str, **inputs: object) -> Registration:
    """A VmLegacy registration; its `name` input is the PVE name (reg's own `name` is the Pulumi name)."""
    r = reg(VM, resource_name, parent, **inputs)
    r.inputs["name"] = vm_name
    return r


def graph() -> list[Guest]:
    alpha = reg(TENANT, "alpha")
    beta = reg(TENANT, "beta")
    # A guest two levels below its tenant (Tenant -> CloudInitVm component -> VmLegacy), like the real program.
    wrapper = reg("proxcloud:index:CloudInitVm", "alpha-web", alpha)
    regs = [
        alpha,
        beta,
        wrapper,
        vm(
            "alpha-web-vm",
            wrapper,
            "web",
            nodeName="pve1",
            cpu={"cores": 2, "sockets": 2},
            memory={"dedicated": 4096},
            disks=[{"size": 50}, {"size": 20}],
        ),
        vm("alpha-db-vm", alpha, "db", nodeName="pve2", cpu={"cores": 4}, memory={"dedicated": 8192}),
        reg(
            CT,
            "beta-wp-web",
            beta,
            nodeName="pve1",
            initialization={"hostname": "wp-web"},
            cpu={"cores": 2},
            memory={"dedicated": 1024, "swap": 512},
            disk={"size": 8},
            mountPoints=[{"size": "10G", "path": "/srv"}, {"size": "512M", "path": "/cache"}],
        ),
        reg(CT, "beta-wp-db", beta, nodeName="pve2", initialization={"hostname": "wp-db"}),  # provider defaults
        vm("edge-vm", None, "edge", nodeName="pve1", cpu={"cores": 1}, memory={"dedicated": 1024}),
        reg("proxmoxve:index/poolLegacy:PoolLegacy", "alpha-pool", alpha, poolId="alpha"),
    ]
    return guests(recording(*regs))


def capacity(cores: int = 8, memory_mb: int = 16384, disk_gb: int = 500, **overcommit: float) -> CapacitySpec:
    node = {"cores": cores, "memoryMb": memory_mb, "diskGb": disk_gb}
    return CapacitySpec.model_validate({"nodes": {"pve1": node, "pve2": node}, "overcommit": overcommit})


def test_guests_allocation_tenant_and_node() -> None:
    by_name = {g.name: g for g in graph()}
    assert by_name == {
        # 2 cores x 2 sockets; the disks add up; owned by alpha through the CloudInitVm component.
        "web": Guest("web", "vm", "alpha", "pve1", 4, 4096, 70),
        # sockets default to 1; no disks input: the provider's 8 GB default disk.
        "db": Guest("db", "vm", "alpha", "pve2", 4, 8192, 8),
        # root disk 8 + 10G + 512M (rounded up to 1 GB); swap is not counted as allocated memory.
        "wp-web": Guest("wp-web", "ct", "beta", "pve1", 2, 1024, 19),
        # nothing set: 1 core, 512 MiB, 4 GB root disk.
        "wp-db": Guest("wp-db", "ct", "beta", "pve2", 1, 512, 4),
        "edge": Guest("edge", "vm", NO_TENANT, "pve1", 1, 1024, 8),
    }


def test_totals_per_tenant_node_and_cluster() -> None:
    report = RightSizing("t", tuple(graph()), capacity())
    assert report.tenants == ["alpha", "beta", NO_TENANT]
    assert report.allocated(Resource.CPU, tenant="alpha") == 8
    assert report.allocated(Resource.MEMORY, tenant="beta") == 1536
    assert report.allocated(Resource.DISK, tenant="alpha", node="pve1") == 70
    pve1 = report.usage(Resource.CPU, "pve1")
    assert (pve1.allocated, pve1.capacity, pve1.limit) == (7, 8, 4.0)
    cluster = report.usage(Resource.MEMORY)
    assert (cluster.allocated, cluster.capacity) == (4096 + 8192 + 1024 + 512 + 1024, 2 * 16384)
    assert report.flags() == []
    assert not report.overcommitted


def test_overcommitment_beyond_the_ratio_is_flagged_per_node_and_cluster_wide() -> None:
    # pve1 has 7 vCPU on 1 core (7x > 4x); pve2 has 5 on 1 (5x); the cluster 12 on 2 (6x).
    report = RightSizing("t", tuple(graph()), capacity(cores=1))
    assert report.overcommitted
    assert report.flags() == [
        "node pve1: cpu over-committed 7.00x > limit 4x (7 of 1 vCPU)",
        "node pve2: cpu over-committed 5.00x > limit 4x (5 of 1 vCPU)",
        "cluster: cpu over-committed 6.00x > limit 4x (12 of 2 vCPU)",
    ]
    assert "OVER" in render_markdown(report, "c.png")


def test_within_the_ratio_is_not_flagged() -> None:
    """The twin: the same graph with the same cores and a limit that allows it is clean; exactly at the limit
    is allowed too (pve1 7 vCPU on 1 core at a 7x limit)."""
    report = RightSizing("t", tuple(graph()), capacity(cores=1, cpu=7.0))
    assert report.flags() == []
    assert not report.overcommitted
    assert "OVER" not in render_markdown(report, "c.png")


def test_a_node_over_while_the_cluster_is_not() -> None:
    # Memory limit 1.0: pve2 holds 8704 MiB of 8192 (over), pve1 6144 of 8192; the cluster 14848 of 16384 (under).
    report = RightSizing("t", tuple(graph()), capacity(memory_mb=8192))
    assert report.flags() == ["node pve2: memory over-committed 1.06x > limit 1x (8704 of 8192 MiB)"]


def test_gaps_in_the_capacity_are_flagged() -> None:
    only_pve1 = CapacitySpec.model_validate({"nodes": {"pve1": {"cores": 64, "memoryMb": 65536, "diskGb": 999}}})
    report = RightSizing("t", tuple(graph()), only_pve1, stack_nodes=("pve2",))
    flags = report.flags()
    assert "node pve2: has guests but no capacity in proxcloud:capacity.nodes" in flags
    assert "node pve1: in proxcloud:capacity.nodes but not in proxcloud:nodes" in flags
    assert RightSizing("t", tuple(graph()), None).flags() == [
        "no proxcloud:capacity in the stack config: allocations shown without capacity"
    ]


def test_capacity_model_defaults_and_errors() -> None:
    spec = CapacitySpec.model_validate({"nodes": {"pve1": {"cores": 8, "memoryMb": 1024, "diskGb": 10}}})
    assert (spec.overcommit.cpu, spec.overcommit.memory, spec.overcommit.disk) == (4.0, 1.0, 1.0)
    for bad in (
        {"nodes": {"pve1": {"cores": 0, "memoryMb": 1, "diskGb": 1}}},
        {"nodes": {"pve1": {"cores": 1, "memoryMb": 1, "diskGb": 1, "gpus": 1}}},
        {"nodes": {"bad_name!": {"cores": 1, "memoryMb": 1, "diskGb": 1}}},
        {"nodes": {}},
    ):
        with pytest.raises(ValueError):
            CapacitySpec.model_validate(bad)


def test_capacity_node_names_follow_the_stack_settings_rule() -> None:
    import model.capacity
    import model.models

    assert model.capacity.NODE_NAME.pattern == model.models.NODE_NAME.pattern
    assert model.capacity._Config.model_config == model.models._Config.model_config


def write_stack(project: Path, stack: str, capacity_value: object) -> None:
    config = {"config": {"proxcloud:domain": "x.example.net", "proxcloud:capacity": capacity_value}}
    (project / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(config))


def test_capacity_is_read_from_the_stack_config(tmp_path: Path) -> None:
    write_stack(tmp_path, "lab", {"nodes": {"pve1": {"cores": 8, "memoryMb": 4096, "diskGb": 100}}})
    spec = stack_capacity("lab", tmp_path, None)
    assert spec is not None and spec.nodes["pve1"].memory_mb == 4096
    write_stack(tmp_path, "lab", {"nodes": {"pve1": {"cores": -1, "memoryMb": 4096, "diskGb": 100}}})
    with pytest.raises(ReportError, match=r"Pulumi\.lab\.yaml: proxcloud:capacity\.nodes\.pve1\.cores"):
        stack_capacity("lab", tmp_path, None)


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk; raises on anything that is not a PNG."""
    head = path.read_bytes()[:24]
    if len(head) < 24 or head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR":
        raise ValueError(f"{path} is not a PNG")
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def verify_png(path: Path) -> None:
    """The library's own check: it reads every chunk and checks the CRCs (raises OSError/SyntaxError if broken)."""
    with Image.open(path) as image:
        image.verify()


EXPECTED_SIZE = (round(CHART_SIZE_IN[0] * CHART_DPI), round(CHART_SIZE_IN[1] * CHART_DPI))


@pytest.mark.slow
def test_chart_is_a_png_of_the_expected_size(tmp_path: Path) -> None:
    path = tmp_path / "report-t.png"
    render_chart(RightSizing("t", tuple(graph()), capacity(cores=1)), path)
    assert png_size(path) == EXPECTED_SIZE == (1200, 480)
    verify_png(path)
    with Image.open(path) as image:
        assert image.format == "PNG" and image.size == EXPECTED_SIZE
        # Not blank: the bars and the text use many colours.
        assert len(image.convert("RGB").getcolors(maxcolors=1_000_000) or []) > 50


def test_png_checks_fail_on_a_broken_file(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    render_chart(RightSizing("t", tuple(graph()), None), good)
    data = good.read_bytes()
    not_png = tmp_path / "not.png"
    not_png.write_bytes(b"GIF89a" + data[6:])
    with pytest.raises(ValueError, match="not a PNG"):
        png_size(not_png)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(data[:41] + bytes([data[41] ^ 0xFF]) + data[42:])  # a flipped byte after IHDR: bad CRC
    with pytest.raises((OSError, SyntaxError)):
        verify_png(corrupt)
    verify_png(good)


def cap_file(tmp_path: Path, cores: int) -> Path:
    path = tmp_path / f"cap-{cores}.yaml"
    path.write_text(
        yaml.safe_dump({"nodes": {"pve-dev": {"cores": cores, "memoryMb": 65536, "diskGb": 2000}}, "overcommit": {}})
    )
    return path


@pytest.mark.slow
def test_report_on_the_dev_stack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(report, "PROJECT_DIR", FIXTURE_PROJECT)  # the fixture dev stack: its guests and node
    out = tmp_path / "build"
    assert main(["--stack", "dev", "--out", str(out), "--capacity", str(cap_file(tmp_path, 16)), "--strict"]) == 0
    printed = capsys.readouterr().out
    assert "community" in printed and "hosting" in printed and "pve-dev" in printed
    md = (out / "report-dev.md").read_text()
    assert "![allocated vs capacity](report-dev.png)" in md
    assert "None: every node and the cluster are within limits." in md
    assert png_size(out / "report-dev.png") == EXPECTED_SIZE
    # The dev stack's guests need far more than 8 vCPU: on 2 cores that is over the default 4x limit.
    assert main(["--stack", "dev", "--out", str(out), "--capacity", str(cap_file(tmp_path, 2)), "--strict"]) == 1
    assert re.search(r"node pve-dev: cpu over-committed \d+\.\d\dx > limit 4x", (out / "report-dev.md").read_text())


@pytest.mark.slow
def test_report_without_capacity_and_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "build"
    monkeypatch.setattr(report, "stack_capacity", lambda *a, **k: None)  # a stack without proxcloud:capacity
    assert main(["--stack", "dev", "--out", str(out), "--quiet"]) == 0
    assert "no proxcloud:capacity" in (out / "report-dev.md").read_text()
    monkeypatch.undo()
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump({"nodes": {"pve-dev": {"cores": 0, "memoryMb": 1, "diskGb": 1}}}))
    assert main(["--stack", "dev", "--out", str(out), "--capacity", str(bad)]) == 2
    assert "proxcloud:capacity.nodes.pve-dev.cores" in capsys.readouterr().err
    assert main(["--stack", "nosuch", "--out", str(out)]) == 2
