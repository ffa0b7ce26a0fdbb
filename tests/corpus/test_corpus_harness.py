"""The corpus harness's own guarantees: a fix's command touches nothing outside its setup, and never the network."""

from __future__ import annotations

import subprocess
from pathlib import Path

import corpus_build as build
import pytest
from corpus_run import NETWORK
from helpers import environment


@pytest.mark.parametrize(
    ("line", "fetches"),
    [
        ("apt-get install --reinstall ca-certificates && update-ca-certificates", True),
        ("cp corp.pem /usr/local/share/ca-certificates/corp.crt && sudo apt install -y ca-certificates", True),
        ("python3 -m pip install truststore", True),
        ("export SSL_CERT_FILE=/opt/conda/ssl/cacert.pem", False),
        ("openssl rehash /etc/ssl/certs", False),
        ("(cat /etc/ssl/certs/ca-certificates.crt; echo; cat corp.pem) > merged.pem", False),
    ],
)
def test_a_fix_that_reaches_for_packages_is_never_run(line: str, fetches: bool) -> None:
    """A package manager, pip install or a download in a fix's lines is recognised; a path naming conda is not."""
    assert bool(NETWORK.search(line)) is fetches


def test_the_fix_sandbox_writes_only_the_setup_s_own_folder(tmp_path: Path) -> None:
    """In the guarded namespace / is read-only, the work folder writable, and the network gone (loopback too)."""
    context = build.Context(tmp_path)
    (tmp_path / "cwd").mkdir()
    outside = Path("/var/tmp/cadoctor-corpus-sandbox-probe")
    script = (
        "touch %s 2>/dev/null && echo outside-written; touch %s && echo inside-written; "
        "python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 9), timeout=2)' 2>/dev/null "
        "|| echo no-network" % (outside, tmp_path / "inside")
    )
    done = subprocess.run(
        [*context.guarded(), "/bin/sh", "-c", script],
        env=environment.child_env(),
        cwd=tmp_path / "cwd",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.stdout.split() == ["inside-written", "no-network"], done.stdout + done.stderr
    assert not outside.exists()
    assert (tmp_path / "inside").is_file()
