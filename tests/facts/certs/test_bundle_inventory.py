"""A CA file inventoried as OpenSSL would read it: bounded on huge files, honest about unreadable and damaged ones."""

from __future__ import annotations

import os
import shutil
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.environment import child_env
from helpers.os_store import system_bundle_or_skip
from helpers.pki import make_ca

from cadoctor._facts.certs.bundle import inventory_bundle


@pytest.mark.slow
def test_huge_file_is_read_with_bounded_memory(tmp_path: Path) -> None:
    """Inspecting a 200 MB file reads at most the scan limit and keeps memory far below the file's size."""
    if not os.path.exists("/proc/self/status"):
        pytest.skip("the peak memory of one program is read from /proc (Linux)")
    path = str(tmp_path / "huge.pem")
    with open(path, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB of zeros without using the disk
    # VmHWM is this program's own peak: ru_maxrss may carry the parent's, recorded when the child replaced it
    code = (
        "import sys; from cadoctor._facts.certs.bundle import inventory_bundle;"
        "b = inventory_bundle(sys.argv[1], ('t',)); status = open('/proc/self/status').read();"
        "print(b.truncated, status.split('VmHWM:')[1].split()[0])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, path], env=child_env(), capture_output=True, text=True, check=True, timeout=120
    )
    truncated, max_rss_kib = out.stdout.split()
    assert truncated == "True"
    assert int(max_rss_kib) < 120 * 1024


@pytest.mark.root("to become another user")
def test_unreadable_file_is_reported_as_permission_denied(tmp_path: Path) -> None:
    """A bundle the process may not read is reported as such (checked as an unprivileged user)."""
    path = tmp_path / "secret.pem"
    path.write_bytes(b"x")
    path.chmod(0o600)
    tmp_path.chmod(0o755)
    code = (
        "import os, sys, cryptography.x509; from cadoctor._facts.certs.bundle import inventory_bundle;"
        "os.setuid(65534); print(inventory_bundle(sys.argv[1], ('t',)).error)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=60, check=True, env=child_env()
    )
    assert out.stdout.strip() == "permission denied"


def test_truncated_bundle_is_reported(tmp_path: Path) -> None:
    """A bundle cut in the middle of a block loads nothing as a CA file, as OpenSSL's own reader loads it."""
    data = Path(system_bundle_or_skip()).read_bytes()
    path = tmp_path / "cut.pem"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ssl.SSLError):
        ssl.create_default_context(cafile=str(path))
    bundle = inventory_bundle(str(path), ("t",))
    assert bundle.certificates == 0 < bundle.marked == bundle.unparseable
    assert "cut short at the end of the file" in bundle.problems[0]


def test_trusted_certificate_blocks_are_read(tmp_path: Path) -> None:
    """OpenSSL's TRUSTED CERTIFICATE form (trust settings after the certificate) counts as a certificate."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("no openssl command on this host")
    ca = make_ca(tmp_path / "ca")
    trusted = tmp_path / "trusted.pem"
    subprocess.run(
        [openssl, "x509", "-in", str(ca.bundle), "-trustout", "-addtrust", "serverAuth", "-out", str(trusted)],
        check=True,
        timeout=30,
    )
    assert trusted.read_bytes().startswith(b"-----BEGIN TRUSTED CERTIFICATE-----")
    bundle = inventory_bundle(str(trusted), ("t",))
    assert (bundle.certificates, bundle.unparseable) == (1, 0)
