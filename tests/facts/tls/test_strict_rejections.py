"""Chains that Python 3.13's VERIFY_X509_STRICT rejects and older Pythons accept, measured with both interpreters.

Each setup comes from a public thread; its ground truth is each interpreter's own handshake to a loopback
server. cadoctor examines 3.13 with `--python`: the failure is `host-strict-rejected` (not an untrusted root),
naming the certificate the strict rules refuse and who can change it; a CA in effect that they refuse is
`strict-verification` as well.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from helpers.environment import child_env as clean_env
from helpers.interpreters import handshake, python_or_skip
from helpers.runs import check_json
from helpers.servers import serve, server_context, tls_handler

# (what the root or leaf lacks, the thread it comes from, the verify message 3.13 prints)
SETUPS = {
    "root-basic-constraints-not-critical": (
        "https://github.com/python/cpython/issues/133564",  # Zscaler root, basicConstraints not critical
        "Basic Constraints of CA cert not marked critical",
    ),
    "root-without-key-usage": (
        "https://github.com/canonical/microk8s/pull/5540",  # home-made CAs without keyUsage
        "CA cert does not include key usage extension",
    ),
    "root-without-subject-key-identifier": (
        "https://github.com/python/cpython/issues/107361",  # TWCA Global Root CA lacks a SKI
        "Missing Subject Key Identifier",
    ),
    "leaf-without-authority-key-identifier": (
        "https://github.com/ProxymanApp/Proxyman/issues/2226",  # a proxy's minted leaves lack AKI
        "Missing Authority Key Identifier",
    ),
}


def _name(text: str) -> x509.Name:
    """A name with one CN."""
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, text)])


def _pki(directory: Path, setup: str) -> tuple[Path, Path, Path]:
    """A root and a localhost leaf, one of them lacking what `setup` says; the root, leaf and key files."""
    now = datetime.datetime.now(datetime.timezone.utc)
    root_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    root_name = "cadoctor Strict %s" % setup
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(root_name))
        .issuer_name(_name(root_name))
        .public_key(root_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(
            x509.BasicConstraints(ca=True, path_length=None), critical=setup != "root-basic-constraints-not-critical"
        )
    )
    if setup != "root-without-key-usage":
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    if setup != "root-without-subject-key-identifier":
        builder = builder.add_extension(x509.SubjectKeyIdentifier.from_public_key(root_key.public_key()), False)
    root = builder.sign(root_key, hashes.SHA256())
    leaf_builder = (
        x509.CertificateBuilder()
        .subject_name(_name("localhost"))
        .issuer_name(_name(root_name))
        .public_key(leaf_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
    )
    if setup != "leaf-without-authority-key-identifier":
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(root_key.public_key())
        leaf_builder = leaf_builder.add_extension(aki, critical=False)
    leaf = leaf_builder.sign(root_key, hashes.SHA256())
    directory.mkdir(parents=True)
    paths = directory / "root.pem", directory / "leaf.pem", directory / "leaf.key"
    paths[0].write_bytes(root.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key = leaf_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    paths[2].write_bytes(key)
    return paths


@pytest.fixture(params=sorted(SETUPS))
def setup(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Path, int]]:
    """One setup's root file and a loopback server under it."""
    root, leaf, key = _pki(tmp_path / "pki", request.param)
    with serve(tls_handler(server_context(leaf, key))) as port:
        yield request.param, root, port


def test_python_3_13_rejects_what_older_pythons_accept_and_says_which_certificate(
    setup: tuple[str, Path, int],
) -> None:
    """3.11 verifies the host and 3.13 does not; checked as 3.13, the failure is host-strict-rejected, naming the
    certificate the strict rules refuse and the file that supplies it, fixed first by whoever issues it."""
    name, root, port = setup
    env = clean_env(SSL_CERT_FILE=str(root), SSL_CERT_DIR=str(root.parent / "none"))
    strict_python = python_or_skip("3.13")
    assert handshake(port, env, python_or_skip("3.11")).startswith("handshake ok")
    assert "handshake failed" in handshake(port, env, strict_python)
    _, report = check_json(env, "--python", strict_python, "--host", "localhost:%d" % port, "--no-verify")
    [host] = report["hosts"]
    assert (host["code"], host["verify_message"]) == ("host-strict-rejected", SETUPS[name][1])
    found: list[dict[str, Any]] = [f for f in report["findings"] if f["code"] == "host-strict-rejected"]
    assert len(found) == 1
    summary = found[0]["summary"]
    assert "VERIFY_X509_STRICT" in summary
    assert "Pythons before 3.13 accept this chain" in summary
    # the host's own fixes: whoever issues the certificate fixes it (no local trust change does), then the code
    first, relaxing = [
        f for f in report["fixes"] if {"host-strict-rejected", "strict-verification"} & set(f["addresses"])
    ]
    assert first["kind"] == "server"
    assert "host-strict-rejected" in first["addresses"]
    assert relaxing["kind"] == "code"
    assert relaxing["verified"] is None
    assert "&= ~ssl.VERIFY_X509_STRICT" in relaxing["lines"]["python"]
    if name.startswith("leaf"):
        assert host["strict_rejected"] == "CN=localhost"
        assert "is one the server sends" in summary
        assert found[0]["evidence"]["supplied_by"] == []
        assert "The server's certificate 'CN=localhost'" in first["summary"]
    else:
        assert host["strict_rejected"] == "CN=cadoctor Strict %s" % name
        assert "is the root %s supplies" % root in summary
        assert found[0]["evidence"]["supplied_by"] == [str(root)]
        assert first["summary"].startswith("The CA 'CN=cadoctor Strict %s' in %s" % (name, root))
        strict = [f for f in report["findings"] if f["code"] == "strict-verification"]
        assert [f["evidence"]["path"] for f in strict] == [str(root)]  # the store's CA, counted by the DER reader
    assert "host-unknown-ca" not in {f["code"] for f in report["findings"]}
