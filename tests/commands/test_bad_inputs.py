"""Bad CA paths in check give a clear finding, never a traceback, a hang or a wrong count."""

from __future__ import annotations

import os
import ssl
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from helpers.environment import child_env
from helpers.os_store import copy_bundle, system_bundle_or_skip
from helpers.pki import make_ca, pem_count
from helpers.runs import check_json

from cadoctor._facts.certs.bundle import inventory_bundle
from cadoctor._facts.certs.names import subject_hash


def _pem_blocks(path: Path) -> list[bytes]:
    """The certificate blocks of a PEM file, END line included."""
    data = path.read_bytes()
    marker = b"-----END CERTIFICATE-----\n"
    return [block + marker for block in data.split(marker) if b"BEGIN" in block]


def _make_missing(tmp: Path) -> str:
    return str(tmp / "absent.pem")


def _make_empty(tmp: Path) -> str:
    (tmp / "empty.pem").write_bytes(b"")
    return str(tmp / "empty.pem")


def _make_directory(tmp: Path) -> str:
    return str(tmp)


def _make_fifo(tmp: Path) -> str:
    os.mkfifo(tmp / "fifo.pem")
    return str(tmp / "fifo.pem")


def _make_garbage(tmp: Path) -> str:
    (tmp / "garbage.pem").write_bytes(os.urandom(50000))
    return str(tmp / "garbage.pem")


def _make_huge(tmp: Path) -> str:
    with open(tmp / "huge.pem", "wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: 200 MB of zeros without using the disk
    return str(tmp / "huge.pem")


def _make_loop(tmp: Path) -> str:
    os.symlink(tmp / "b.pem", tmp / "a.pem")
    os.symlink(tmp / "a.pem", tmp / "b.pem")
    return str(tmp / "a.pem")


def _make_der(tmp: Path) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    cert = x509.load_pem_x509_certificate(_pem_blocks(Path(system_bundle_or_skip()))[0])
    (tmp / "der.crt").write_bytes(cert.public_bytes(Encoding.DER))
    return str(tmp / "der.crt")


def _make_non_utf8_name(tmp: Path) -> str:
    name = os.fsencode(str(tmp)) + b"/caf\xe9-\xff.pem"
    with open(name, "wb") as handle:
        handle.write(Path(system_bundle_or_skip()).read_bytes())
    return os.fsdecode(name)


# (maker, expected problem text, expected codes)
CASES: dict[str, tuple[Callable[[Path], str], str, set[str]]] = {
    "missing": (_make_missing, "does not exist", {"env-path-invalid"}),
    "empty": (_make_empty, "empty file", {"env-path-invalid"}),
    "directory": (_make_directory, "folder, not a file", {"env-path-invalid"}),
    "relative": (lambda tmp: "certs/bundle.pem", "is relative", {"env-path-invalid"}),
    "dev-zero": (lambda tmp: "/dev/zero", "char device", {"env-path-invalid"}),
    "fifo": (_make_fifo, "fifo", {"env-path-invalid"}),
    "garbage": (_make_garbage, "no parseable certificate", {"env-path-invalid"}),
    "huge": (_make_huge, "no parseable certificate", {"env-path-invalid"}),
    "symlink-loop": (_make_loop, "symbolic link loop", {"env-path-invalid"}),
    "der": (_make_der, "no parseable certificate", {"env-path-invalid", "bundle-unparseable"}),
}


@pytest.mark.parametrize(
    "case", [pytest.param(case, marks=pytest.mark.slow) if case == "huge" else case for case in sorted(CASES)]
)
def test_bad_ssl_cert_file_gives_a_finding(case: str, tmp_path: Path) -> None:
    """Each bad SSL_CERT_FILE is an env-path-invalid error naming the problem, with exit 1 and no traceback."""
    maker, problem, expected = CASES[case]
    path = maker(tmp_path)
    status, report = check_json(child_env(SSL_CERT_FILE=path), "--no-verify")
    assert status == 1
    assert expected <= codes_of(report)
    finding = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    assert finding["severity"] == "error"
    assert problem in finding["summary"]


def codes_of(report: dict[str, Any]) -> set[str]:
    """The finding codes of a report."""
    return {f["code"] for f in report["findings"]}


def test_joined_end_begin_lines_are_counted_as_unparseable(tmp_path: Path) -> None:
    """A bundle whose END and BEGIN lines were glued together loads nothing in OpenSSL, and the finding says where."""
    blocks = _pem_blocks(Path(system_bundle_or_skip()))[:3]
    joined = blocks[0].rstrip(b"\n") + blocks[1] + blocks[2]
    path = tmp_path / "joined.pem"
    path.write_bytes(joined)
    with pytest.raises(ssl.SSLError):  # the ground truth: OpenSSL's CA file reader rejects the whole file
        ssl.create_default_context(cafile=str(path))
    _status, report = check_json(child_env(SSL_CERT_FILE=str(path)), "--no-verify")
    finding = next(f for f in report["findings"] if f["code"] == "bundle-unparseable")
    assert (finding["evidence"]["marked"], finding["evidence"]["parsed"]) == (3, 0)
    assert finding["severity"] == "error"
    assert "bad end line" in finding["summary"]
    assert "glued" in finding["summary"]


def test_directory_without_hash_links_is_capath_unhashed(tmp_path: Path) -> None:
    """SSL_CERT_DIR with certificate files but no hash links is flagged, and rehash is offered."""
    folder = tmp_path / "cas"
    folder.mkdir()
    for index, block in enumerate(_pem_blocks(Path(system_bundle_or_skip()))[:4]):
        (folder / ("ca%d.pem" % index)).write_bytes(block)
    env = child_env(SSL_CERT_DIR=str(folder), SSL_CERT_FILE=str(tmp_path / "none.pem"))
    _status, report = check_json(env, "--no-verify")
    finding = next(f for f in report["findings"] if f["code"] == "capath-unhashed")
    assert finding["severity"] == "error"
    assert finding["evidence"]["unlinked"] == 4
    assert any(f["command"] and f["command"].startswith("openssl rehash") for f in report["fixes"])


def test_non_utf8_file_name_is_handled(tmp_path: Path) -> None:
    """A bundle path that is not valid UTF-8 is inspected and reported without a crash."""
    path = _make_non_utf8_name(tmp_path)
    bundle = inventory_bundle(path, ("t",))
    assert bundle.certificates == pem_count(system_bundle_or_skip())
    status, _report = check_json(child_env(SSL_CERT_FILE=path), "--no-verify")
    assert status == 0


def test_colon_separated_ssl_cert_dir_uses_every_entry(tmp_path: Path) -> None:
    """Each SSL_CERT_DIR entry is a trust source; a missing one is reported while a good one serves."""
    system_bundle_or_skip()
    env = child_env(SSL_CERT_DIR="%s:/etc/ssl/certs" % (tmp_path / "nope"), SSL_CERT_FILE=str(tmp_path / "x.pem"))
    _status, report = check_json(env, "--no-verify")
    assert [c["path"] for c in report["verify_paths"]["capaths"]] == [str(tmp_path / "nope"), "/etc/ssl/certs"]
    assert "trust-store-empty" not in codes_of(report)
    dir_findings = [
        f for f in report["findings"] if f["code"] == "env-path-invalid" and f["evidence"]["variable"] == "SSL_CERT_DIR"
    ]
    assert [f["severity"] for f in dir_findings] == ["warning"]


def test_world_writable_bundle_is_trust_writable(tmp_path: Path) -> None:
    """A CA file in effect that every user can write is an error, and no fix points at it."""
    bundle = copy_bundle(tmp_path)
    bundle.chmod(0o666)
    status, report = check_json(child_env(SSL_CERT_FILE=str(bundle)))
    assert status == 1
    finding = next(f for f in report["findings"] if f["code"] == "trust-writable")
    assert "writable by every user" in finding["summary"]
    assert all(str(bundle) not in (f.get("env") or {}).values() for f in report["fixes"])
    assert any("chmod go-w" in (f["command"] or "") for f in report["fixes"])


def test_hash_link_to_a_writable_file_is_trust_writable(tmp_path: Path) -> None:
    """A safe CA directory whose hash link reaches a file every user can write is reported at that file."""
    ca = make_ca(tmp_path / "ca")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    target = elsewhere / "root.pem"
    target.write_bytes(ca.bundle.read_bytes())
    target.chmod(0o666)
    directory = tmp_path / "certs"
    directory.mkdir()
    name = subject_hash(x509.load_pem_x509_certificate(target.read_bytes()).subject.public_bytes())
    (directory / ("%s.0" % name)).symlink_to(target)
    status, report = check_json(child_env(SSL_CERT_DIR=str(directory)), "--no-verify")
    assert status == 1
    finding = next(f for f in report["findings"] if f["code"] == "trust-writable")
    assert finding["evidence"]["path"] == str(directory)
    assert [(e["path"], e["reason"]) for e in finding["evidence"]["exposures"]] == [
        (str(target), "writable by every user")
    ]
