"""Servers that misbehave on purpose: each check ends within its --timeout, in bounded memory, with a finding.

A server that trickles its bytes, one that never finishes a record, a proxy that trickles its CONNECT reply, and
one that sends a megabyte of chain: none of them holds the check past its deadline or makes it fail.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.pki import make_chain
from helpers.runs import CHILD_TIMEOUT, exit_for
from helpers.servers import read_some, serve, server_context, tls_handler, trickle

TIMEOUT = 1.0
SLACK = 6.0  # starting Python, the probe and the report, on a slow shared machine


def _timed_check(env: dict[str, str], *args: str) -> tuple[float, int, dict[str, object], int]:
    """Run `check --format json` in a fresh parent that reports the child's peak RSS; seconds, status, report, KiB."""
    script = (
        "import resource, subprocess, sys, time; t = time.monotonic(); "
        "done = subprocess.run(sys.argv[1:], capture_output=True); "
        "sys.stderr.buffer.write(done.stderr); sys.stdout.buffer.write(done.stdout); "
        "print('\\n%f %d %d' % (time.monotonic() - t, done.returncode, "
        "resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))"
    )
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--timeout", str(TIMEOUT), *args]
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT
    )
    assert "Traceback" not in done.stderr, done.stderr
    body, _, tail = done.stdout.rstrip("\n").rpartition("\n")
    seconds, status, peak = tail.split()
    return float(seconds), int(status), json.loads(body), int(peak)


@pytest.fixture
def trickling() -> Iterator[int]:
    """A server that never finishes its first record, a byte at a time."""
    with serve(trickle) as port:
        yield port


def test_a_trickling_server_ends_at_the_timeout(trickling: int) -> None:
    """A byte every 50 ms keeps each read alive; the handshake's own deadline ends it: host-timeout, exit 4."""
    seconds, status, report, _ = _timed_check(child_env(), "--no-verify", "--host", "localhost:%d" % trickling)
    hosts = report["hosts"]
    assert isinstance(hosts, list)
    assert (hosts[0]["code"], status) == ("host-timeout", 4)
    assert status == exit_for(report)
    assert seconds < TIMEOUT + SLACK, seconds


def test_a_trickling_server_ends_at_the_timeout_for_another_interpreter(trickling: int) -> None:
    """The same deadline holds where another interpreter makes the handshake (--python)."""
    seconds, status, report, _ = _timed_check(
        child_env(), "--no-verify", "--python", sys.executable, "--host", "localhost:%d" % trickling
    )
    hosts = report["hosts"]
    assert isinstance(hosts, list)
    assert (hosts[0]["code"], status) == ("host-timeout", 4)
    assert seconds < TIMEOUT + SLACK, seconds


def _trickling_proxy(conn: socket.socket) -> None:
    """A CONNECT proxy whose reply comes a byte every 50 ms and never ends."""
    read_some(conn)
    for byte in b"HTTP/1.1 200 Connection established\r\nX-Padding: " + b"a" * 1200:
        conn.sendall(bytes([byte]))
        time.sleep(0.05)


def test_a_proxy_that_trickles_its_connect_reply_ends_at_the_timeout() -> None:
    """HTTPS_PROXY naming a proxy that trickles its reply: the timeout bounds the whole reply too."""
    with serve(_trickling_proxy) as proxy:
        env = child_env(HTTPS_PROXY="http://127.0.0.1:%d" % proxy)
        seconds, status, report, _ = _timed_check(env, "--no-verify", "--host", "localhost:1")
    hosts = report["hosts"]
    assert isinstance(hosts, list)
    assert (hosts[0]["code"], status) == ("host-timeout", 4)
    assert seconds < TIMEOUT + SLACK, seconds


def test_a_megabyte_of_chain_is_refused_in_bounded_memory(tmp_path: Path) -> None:
    """A server sending its leaf and a megabyte of intermediates: OpenSSL's message limit refuses it; a finding."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    padding = tmp_path / "padding.pem"
    padding.write_bytes(chain.intermediate.read_bytes() * (1 + (1 << 20) // len(chain.intermediate.read_bytes())))
    context = server_context(chain.leaf, chain.key, padding)
    with serve(tls_handler(context)) as port:
        env = child_env(SSL_CERT_FILE=str(chain.root))
        seconds, status, report, peak = _timed_check(env, "--no-verify", "--host", "localhost:%d" % port)
        _, _, baseline, baseline_peak = _timed_check(env, "--no-verify")
    hosts = report["hosts"]
    assert isinstance(hosts, list)
    assert hosts[0]["ok"] is False
    assert hosts[0]["code"] not in (None, "host-timeout")
    assert status == exit_for(report) == 1
    assert seconds < TIMEOUT + SLACK, seconds
    assert baseline["hosts"] == []
    assert peak < baseline_peak + 32 * 1024, (peak, baseline_peak)  # KiB: a megabyte read is not kept many times
