"""Test helper: throwaway network namespaces (root only) for checking nftables rulesets with the real kernel."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager


def run(*cmd: str, check: bool = True, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(list(cmd), capture_output=True, text=True, check=False, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed ({result.returncode}): {result.stderr}")
    return result


@contextmanager
def netns(count: int = 1) -> Iterator[list[str]]:
    """Creates `count` namespaces named proxcloud-test-<random>-<i>; deletes them (and their veths) afterwards."""
    assert shutil.which("ip") and shutil.which("nft"), "iproute2 and nftables are needed: run `make test`"
    tag = secrets.token_hex(4)
    names = [f"proxcloud-test-{tag}-{i}" for i in range(count)]
    made: list[str] = []
    try:
        for name in names:
            run("ip", "netns", "add", name)
            made.append(name)
            run("ip", "-n", name, "link", "set", "lo", "up")
        yield names
    finally:
        for name in made:
            run("ip", "netns", "delete", name, check=False)


def nft_check(ns: str, path: str) -> subprocess.CompletedProcess[str]:
    """`nft -c -f` inside the namespace: parsed and checked by the kernel, nothing applied."""
    return run("ip", "netns", "exec", ns, "nft", "-c", "-f", path, check=False)
