"""OpenSSL's canonical subject hash, checked against the system's links and the openssl command."""

from __future__ import annotations

import re
import shutil
import subprocess
import warnings
from pathlib import Path

import pytest

from cadoctor._facts.certs.subject_hash import subject_hash


def test_matches_every_link_in_the_system_directory() -> None:
    """Every <hash>.<n> link in /etc/ssl/certs is named by the hash we compute for its certificate."""
    from cryptography import x509

    links = [p for p in Path("/etc/ssl/certs").glob("*.0") if re.fullmatch(r"[0-9a-f]{8}\.0", p.name)]
    if not links:
        pytest.skip("no hashed /etc/ssl/certs here")
    for link in links:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # some real roots have non-positive serials
            name = x509.load_pem_x509_certificate(link.read_bytes()).subject.public_bytes()
        assert subject_hash(name) == link.name[:8], link


@pytest.mark.parametrize(
    "subject",
    ["/CN=  Mixed   CASE  Name ", "/O=Acme/OU=Ops+CN=multi valued", "/C=DE/CN=Grüße aus München"],
)
def test_matches_the_openssl_command(subject: str, tmp_path: Path) -> None:
    """Odd names (case, spaces, multi-valued RDNs, UTF-8) hash as `openssl x509 -subject_hash` says."""
    if shutil.which("openssl") is None:
        pytest.skip("no openssl command")
    from cryptography import x509

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            subject,
            "-multivalue-rdn",
            "-utf8",
            "-days",
            "1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    expected = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-subject_hash"],
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout.strip()
    name = x509.load_pem_x509_certificate(cert.read_bytes()).subject.public_bytes()
    assert subject_hash(name) == expected
