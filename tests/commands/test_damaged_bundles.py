"""Damaged CA bundles from public issue threads, reproduced on loopback: cadoctor's first cause is OpenSSL's.

Each setup is built as its thread describes, its ground truth measured here by the loaded OpenSSL (a real
handshake, and `load_verify_locations`, which is what requests and urllib3 call with a bundle), and cadoctor's
report must put the damaged file first and name what OpenSSL drops. Setups that need the OS store run in a
private mount namespace over a copy of /etc/ssl/certs (root only); this machine's store is only read.
"""

from __future__ import annotations

import json
import ssl
import sys
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from helpers.environment import child_env as clean_env
from helpers.interpreters import HANDSHAKE, handshake
from helpers.os_store import os_store_with, system_bundle_or_skip
from helpers.pki import make_ca
from helpers.runs import check_json
from helpers.servers import serve_tls

SETUPS = {
    # Appending a CA to a bundle that lacks a final newline glues END and BEGIN: OpenSSL then rejects the file.
    "appended-root-glued": (
        "https://github.com/aberoham/fumitm/issues/13",  # WARP CA appended to a REQUESTS_CA_BUNDLE without newline
        "https://github.com/zenhack/simp_le/issues/149",  # `cat cert.pem chain.pem`: 'PEM_read_bio:bad end line'
        "https://github.com/psf/requests/issues/4587",  # requests: 'SSLError: [X509] PEM lib' from a bad bundle
    ),
    # update-ca-certificates concatenating a certificate without a final newline breaks the system bundle.
    "system-bundle-glued": ("https://github.com/flatcar/Flatcar/issues/1601",),
    # A DER root named .crt fed to update-ca-certificates lands in the bundle as bytes OpenSSL skips.
    "system-bundle-der-appended": (
        "https://github.com/crewAIInc/crewAI/issues/268",
        "https://github.com/britive/python-cli/issues/213",
    ),
}


def _first(report: dict[str, Any]) -> dict[str, Any]:
    """The report's first finding: what it calls the cause."""
    assert report["findings"], report
    first: dict[str, Any] = report["findings"][0]
    return first


def _loads(path: Path) -> int | str:
    """What OpenSSL loads from a CA file as requests and urllib3 hand it over (`load_verify_locations`)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cafile=str(path))
    except ssl.SSLError as exc:
        return str(exc)
    return int(context.cert_store_stats()["x509"])


def test_a_root_appended_to_a_bundle_without_a_final_newline(tmp_path: Path) -> None:
    """SSL_CERT_FILE names the system bundle with a private root appended right after its last END line: OpenSSL
    loads none of it, the handshake fails, and the first cause is the damaged file, with the line it stops at."""
    assert SETUPS["appended-root-glued"]
    ca = make_ca(tmp_path / "ca", "cadoctor Glued Corporate Root")
    bundle = tmp_path / "corporate-bundle.pem"
    bundle.write_bytes(Path(system_bundle_or_skip()).read_bytes().rstrip(b"\n") + ca.bundle.read_bytes())
    env = clean_env(SSL_CERT_FILE=str(bundle))
    with serve_tls(ca) as port:
        assert "PEM lib" in str(_loads(bundle))  # what requests and urllib3 raise with this bundle
        assert "handshake failed" in handshake(port, env)
        status, report = check_json(env, "--host", "localhost:%d" % port)
        repaired = tmp_path / "repaired.pem"
        glued = b"-----END CERTIFICATE----------BEGIN"
        repaired.write_bytes(bundle.read_bytes().replace(glued, b"-----END CERTIFICATE-----\n-----BEGIN"))
        assert handshake(port, clean_env(SSL_CERT_FILE=str(repaired))).startswith("handshake ok")
    first = _first(report)
    assert (status, first["code"], first["severity"]) == (1, "bundle-unparseable", "error")
    assert first["evidence"]["path"] == str(bundle)
    assert first["evidence"]["parsed"] == 0
    assert "bad end line" in first["summary"]
    [host] = report["hosts"]
    assert host["code"] == "host-unknown-ca"
    [holder] = [h for h in host["holders"] if h["path"] == str(bundle)]
    assert (holder["verifies"], holder["dropped"]) == (False, True)
    assert holder["reason"].startswith("OpenSSL does not load it from there")


@pytest.fixture
def corporate(tmp_path: Path) -> Any:
    """A private CA standing in for a corporate root, with a loopback server under it."""
    return make_ca(tmp_path / "ca", "cadoctor Store Corporate Root")


def _in_store(store: Any, env: dict[str, str], *argv: str) -> str:
    """Run this Python in the namespace where /etc/ssl/certs is the copy, with exactly `env`; its output."""
    done = store.run([sys.executable, *argv], env)
    assert done.returncode in (0, 1), done.stderr
    return str(done.stdout.strip())


_LOADS = (
    "import ssl\nc = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)\n"
    "try:\n    c.load_verify_locations('/etc/ssl/certs/ca-certificates.crt')\n"
    "except ssl.SSLError as e:\n    print('raises', e.reason)\nelse:\n    print(c.cert_store_stats()['x509'])\n"
)


def test_update_ca_certificates_glued_a_certificate_into_the_system_bundle(corporate: Any) -> None:
    """The system bundle with a local certificate glued on: OpenSSL loads none of it (curl and requests with it
    fail), the hashed folder still serves Python's default context, and the first cause is that bundle."""
    assert SETUPS["system-bundle-glued"]
    with os_store_with(corporate.bundle) as store:
        bundle = store.directory / "ca-certificates.crt"
        data = bundle.read_bytes()
        cut = data.rstrip(b"\n").rfind(b"-----BEGIN CERTIFICATE-----")
        bundle.unlink()
        bundle.write_bytes(data[:cut].rstrip(b"\n") + data[cut:])  # the local certificate, glued to the one before
        env = clean_env()
        assert _in_store(store, env, "-c", _LOADS).startswith("raises")  # curl's and requests' reading of it
        with serve_tls(corporate) as port:  # the hashed folder still serves Python's default context
            assert _in_store(store, env, "-c", HANDSHAKE, str(port)).startswith("handshake ok")
        report = json.loads(_in_store(store, env, "-m", "cadoctor", "check", "--format", "json", "--no-verify"))
    first = _first(report)
    assert (first["code"], first["severity"]) == ("bundle-unparseable", "error")
    assert first["evidence"]["path"] in ("/etc/ssl/certs/ca-certificates.crt", "/usr/lib/ssl/cert.pem")
    assert first["evidence"]["parsed"] == 0
    assert [f["code"] for f in report["findings"]].count("bundle-unparseable") == 1  # one file, however named


def test_a_der_root_appended_to_the_system_bundle(corporate: Any) -> None:
    """The system bundle with a DER root appended as update-ca-certificates does with a DER .crt: OpenSSL skips it
    (a handshake under that root fails with the bundle), and the first cause names the DER certificate."""
    assert SETUPS["system-bundle-der-appended"]
    der = x509.load_pem_x509_certificate(corporate.bundle.read_bytes()).public_bytes(serialization.Encoding.DER)
    with os_store_with() as store:
        bundle = store.directory / "ca-certificates.crt"
        data = bundle.read_bytes()
        bundle.unlink()
        bundle.write_bytes(data + der + b"\n")
        env = clean_env(SSL_CERT_FILE="/etc/ssl/certs/ca-certificates.crt", SSL_CERT_DIR="/nonexistent")
        with serve_tls(corporate) as port:
            assert _in_store(store, env, "-c", HANDSHAKE, str(port)).startswith("handshake failed")
            target = "localhost:%d" % port
            report = json.loads(_in_store(store, env, "-m", "cadoctor", "check", "--format", "json", "--host", target))
    first = _first(report)  # the other roots still load, but the one this host needs is what the file drops
    assert (first["code"], first["severity"]) == ("bundle-unparseable", "error")
    assert "a DER certificate (CN=cadoctor Store Corporate Root)" in first["summary"]
    assert first["evidence"]["hosts"] == [target]
    assert [f["code"] for f in report["findings"]].count("bundle-unparseable") == 1
    [host] = report["hosts"]
    assert host["code"] == "host-unknown-ca"
    [holder] = [h for h in host["holders"] if h["path"] == "/etc/ssl/certs/ca-certificates.crt"]
    assert (holder["verifies"], holder["dropped"]) == (False, True)


def _damaged(der: bytes, how: str) -> bytes:
    """A certificate's DER damaged as a campaign found it breaking the DER reader (issue 27)."""
    if how == "empty-extension":  # basicConstraints' SEQUENCE given length 0: once an IndexError
        at = der.index(b"\x06\x03\x55\x1d\x13") - 2
        return der[:at] + b"\x30\x00" + der[at + 2 :]
    if how == "attribute-without-value":  # the CN attribute cut to its OID: once a ValueError (tuple unpacking)
        at = der.index(b"\x06\x03\x55\x04\x03") - 2
        size = der[at + 1]
        return der[:at] + b"\x30\x05" + der[at + 2 : at + 7] + b"\x04" + bytes([size - 6]) + der[at + 8 + 1 :]
    if how == "undecodable-name":  # the CN's UTF8String made invalid UTF-8: once a UnicodeDecodeError
        at = der.index(b"\x06\x03\x55\x04\x03") + 5
        return der[: at + 2] + b"\xff" + der[at + 3 :]
    return der[: len(der) // 2]  # cut short


DAMAGES = ("empty-extension", "attribute-without-value", "undecodable-name", "truncated")


@pytest.fixture(params=DAMAGES)
def damaged_bundle(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, int]:
    """The system bundle with one certificate whose base64 decodes to malformed DER, well-formed PEM around it."""
    ca = make_ca(tmp_path / "ca", "cadoctor Damaged Root")
    der = x509.load_pem_x509_certificate(ca.bundle.read_bytes()).public_bytes(serialization.Encoding.DER)
    system = Path(system_bundle_or_skip()).read_bytes()
    bundle = tmp_path / "damaged-bundle.pem"
    bundle.write_bytes(system + ssl.DER_cert_to_PEM_cert(_damaged(der, request.param)).encode())
    return bundle, system.count(b"-----BEGIN CERTIFICATE-----") + 1


def test_inspect_counts_a_certificate_with_malformed_der_and_goes_on(damaged_bundle: tuple[Path, int]) -> None:
    """`inspect` of a bundle whose one certificate is malformed DER inside good PEM: valid JSON, no traceback,
    every block counted, the bad one among the certificates OpenSSL does not load, and exit 1: damaged."""
    from helpers.runs import run_cadoctor, validate

    bundle, marked = damaged_bundle
    result = run_cadoctor(["inspect", "--format", "json", str(bundle)], clean_env())
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode == 1, result.stderr  # a CA file carrying a certificate OpenSSL does not load: damaged
    document = json.loads(result.stdout)
    validate(document, "inspect-v1.json")
    (item,) = document["files"]
    found = item["bundle"]
    assert (item["kind"], found["marked"]) == ("bundle", marked)
    loads = _loads(bundle)
    assert found["certificates"] == (loads if isinstance(loads, int) else 0)  # what OpenSSL loads of it
    assert found["unparseable"] >= 1
    assert found["problems"]


def test_check_with_a_malformed_certificate_in_ssl_cert_file_reports_the_file(
    damaged_bundle: tuple[Path, int],
) -> None:
    """SSL_CERT_FILE names a bundle with one malformed certificate: the check runs (no exit 3), and its finding
    about that file counts the certificates as OpenSSL loads them."""
    from helpers.runs import validate

    bundle, marked = damaged_bundle
    status, report = check_json(clean_env(SSL_CERT_FILE=str(bundle)), "--no-verify")
    validate(report, "report-v1.json")
    assert status in (0, 1), report  # never 3: the probe runs
    [finding] = [f for f in report["findings"] if f["code"] == "bundle-unparseable"]
    assert finding["evidence"]["path"] == str(bundle)
    loads = _loads(bundle)
    assert finding["evidence"]["parsed"] == (loads if isinstance(loads, int) else 0)
    assert str(marked) in finding["summary"]
