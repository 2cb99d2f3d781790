"""Real delivery: a real rsyslogd with the rendered forwarding action sends to a TCP collector on 127.0.0.1; lines
sent while the collector is down arrive once it is back on the same port.

Guarantee while rsyslogd runs: at least once, not exactly once. omfwd over plain TCP re-sends a batch whose send
failed and cannot know how much of it the collector read before the connection broke, so a line may arrive
twice (seen here); none is dropped, because the action retries forever (resumeRetryCount -1).

Across an orderly rsyslogd restart during an outage the disk-assisted queue spools what it holds
(saveOnShutdown) and delivers it after the restart, except the one batch its worker was retrying, which rsyslog
8.2302 drops (rsyslog issue #2710): at most dequeueBatchSize lines. The restart test pins that down exactly.
Lines still in rsyslogd's main queue (memory only, Debian's default) at the stop are lost too; seen here under
load before the test waited for every line to reach the forwarding queue.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from pathlib import Path

import pytest

from render.logging import rsyslog_forward_conf
from tests.support.rsyslog_harness import LOOPBACK, Collector, Rsyslogd, short_tmpdir, wait_for

pytestmark = pytest.mark.system  # rsyslogd daemons and a collector

N = 40
BATCH = 8
LINE = re.compile(r" proxcloud-test .* (line-\d{4})\s*$")
RFC5424 = re.compile(r"^<14>1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def numbered(start: int, count: int) -> list[str]:
    return [f"line-{i:04d}" for i in range(start, start + count)]


def arrived(collector: Collector) -> Counter[str]:
    return Counter(m.group(1) for line in collector.received() if (m := LINE.search(line)))


def all_arrived(collector: Collector, expected: list[str], timeout: float) -> None:
    wait_for(lambda: set(expected) <= set(arrived(collector)), timeout, f"{len(expected)} lines at the collector")


def conf(port: int, spool: Path, batch: int = 16) -> str:
    # A 1 s retry keeps the test short; production uses the 10 s default.
    return rsyslog_forward_conf(
        LOOPBACK, port, queue_dir=str(spool), resume_interval_s=1, queue_max_disk="16m", dequeue_batch_size=batch
    )


def missing(collector: Collector, expected: list[str]) -> list[str]:
    got = arrived(collector)
    return [line for line in expected if got[line] == 0]


def test_every_line_arrives_including_those_sent_while_the_collector_was_down() -> None:
    collector = Collector()
    with short_tmpdir() as tmp:
        rsyslogd = Rsyslogd(conf(collector.port, tmp / "spool"), tmp)
        try:
            rsyslogd.start()
            before = numbered(1, N)
            rsyslogd.send(before)
            all_arrived(collector, before, 15)
            assert all(RFC5424.match(line) for line in collector.received()), collector.received()[:3]

            collector.stop()
            during = numbered(N + 1, N)
            rsyslogd.send(during)
            # Nobody listens: rsyslogd's connection and retries fail, the lines wait in the action queue.
            wait_for(lambda: "cannot connect" in rsyslogd.internal_messages(), 10, "a failed reconnect")
            assert missing(collector, during) == during

            collector.start()  # the same port
            all_arrived(collector, before + during, 30)
        finally:
            rsyslogd.stop()
            collector.stop()
        got = arrived(collector)
        assert missing(collector, before + during) == []
        duplicates = {line: n for line, n in got.items() if n > 1}
        print(f"{len(before + during)} lines sent, all arrived; duplicates: {duplicates or 'none'}")


def test_queued_lines_survive_an_rsyslogd_restart_except_the_batch_in_flight() -> None:
    collector = Collector()
    port = collector.port
    with short_tmpdir() as tmp:
        spool = tmp / "spool"
        rsyslogd = Rsyslogd(conf(port, spool, batch=BATCH), tmp)
        try:
            rsyslogd.start()
            first = numbered(1, 5)
            rsyslogd.send(first)
            all_arrived(collector, first, 15)
            collector.stop()

            queued = numbered(100, N)
            rsyslogd.send(queued)
            wait_for(lambda: "cannot connect" in rsyslogd.internal_messages(), 10, "a failed reconnect")
            # Stop only once every line is in the action queue: what is still in rsyslogd's main queue (memory
            # only, Debian's default) at a stop is not the forwarding queue's to keep.
            wait_for(lambda: rsyslogd.handed_to_forwarding(queued), 10, "the lines in the forwarding queue")
            assert rsyslogd.stop() == 0
            # saveOnShutdown: the in-memory part of the queue went to the spool directory.
            saved = sorted(p.name for p in spool.iterdir())
            assert "fwd_graylog.qi" in saved, saved

            rsyslogd.start()
            collector.start()
            try:
                wait_for(lambda: len(missing(collector, queued)) <= BATCH, 30, f"all but at most {BATCH} queued lines")
            except AssertionError as exc:
                files = sorted((p.name, p.stat().st_size) for p in spool.iterdir())
                notes = [line for line in rsyslogd.internal_messages().splitlines() if "cannot connect" not in line]
                lost = missing(collector, queued)
                raise AssertionError(f"{exc}; missing {lost}; spool {files}; {notes[-15:]}") from exc
            time.sleep(2)  # anything still coming would arrive now
        finally:
            rsyslogd.stop()
            collector.stop()
        assert collector.port == port
        lost = missing(collector, first + queued)
        # Only the worker's batch is lost: the first lines taken off the queue when the collector went away.
        assert len(lost) <= BATCH, lost
        assert lost == queued[: len(lost)], lost
        print(f"restart during outage: {len(queued) - len(lost)}/{len(queued)} queued lines delivered, lost {lost}")


def test_without_the_disk_queue_a_restart_loses_the_queued_lines() -> None:
    """The twin: the same restart with the queue's disk part removed (no filename, no saveOnShutdown) loses
    every queued line, so the test above proves what the disk-assisted queue adds."""
    collector = Collector()
    with short_tmpdir() as tmp:
        spool = tmp / "spool"
        text = conf(collector.port, spool, batch=BATCH)
        broken = "\n".join(
            line for line in text.splitlines() if "queue.filename" not in line and "saveOnShutdown" not in line
        )
        assert "queue.filename" not in broken and "saveOnShutdown" not in broken
        rsyslogd = Rsyslogd(broken + "\n", tmp)
        try:
            rsyslogd.start()
            collector.stop()
            queued = numbered(100, N)
            rsyslogd.send(queued)
            wait_for(lambda: "cannot connect" in rsyslogd.internal_messages(), 10, "a failed reconnect")
            wait_for(lambda: rsyslogd.handed_to_forwarding(queued), 10, "the lines in the forwarding queue")
            rsyslogd.stop()
            rsyslogd.start()
            collector.start()
            probe = numbered(900, 1)
            rsyslogd.send(probe)
            all_arrived(collector, probe, 30)  # the action works again...
        finally:
            rsyslogd.stop()
            collector.stop()
        assert missing(collector, queued) == queued  # ...but what was queued at the restart is gone


def test_without_endless_retries_lines_sent_during_the_outage_are_dropped() -> None:
    """The twin of the first test: with rsyslog's default resumeRetryCount (0) the suspended action discards
    what arrives while the collector is down, so `action.resumeRetryCount -1` is what keeps those lines."""
    collector = Collector()
    with short_tmpdir() as tmp:
        text = conf(collector.port, tmp / "spool")
        text = text.replace('action.resumeRetryCount="-1"', 'action.resumeRetryCount="0"')
        assert 'action.resumeRetryCount="0"' in text
        rsyslogd = Rsyslogd(text, tmp)
        try:
            rsyslogd.start()
            before = numbered(1, N)
            rsyslogd.send(before)
            all_arrived(collector, before, 15)
            collector.stop()
            during = numbered(N + 1, N)
            rsyslogd.send(during)
            wait_for(lambda: "cannot connect" in rsyslogd.internal_messages(), 10, "a failed reconnect")
            time.sleep(1.5)
            collector.start()
            probe = numbered(900, 1)
            rsyslogd.send(probe)
            all_arrived(collector, probe, 30)
        finally:
            rsyslogd.stop()
            collector.stop()
        lost = missing(collector, during)
        assert lost, "every line arrived although the action gave up on the collector"
        print(f"resumeRetryCount 0: lost {len(lost)}/{len(during)} lines sent during the outage")
