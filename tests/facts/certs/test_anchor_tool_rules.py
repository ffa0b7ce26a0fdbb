"""Debian's update-ca-certificates, run for real on copies of the store in a private mount namespace.

Each layout of the local anchor folder is put in place, the real tool is run (or not), and the ground truth is a
real handshake by `ssl.create_default_context()` to a loopback server under the root. cadoctor's first finding
about the anchors must say what the tool did, and its first fix, run as printed in the same namespace, must make
that handshake succeed. The machine's own store is only read: every change lands in the copies.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from helpers.environment import child_env as clean_env
from helpers.os_store import namespace_or_skip
from helpers.runs import CHILD_TIMEOUT
from helpers.servers import serve, serve_clients, tls_handler

TOOL = Path("/usr/sbin/update-ca-certificates")
CERTS, ANCHORS = Path("/etc/ssl/certs"), Path("/usr/local/share/ca-certificates")
CONF, SELECTED, HOOKS = (
    Path("/etc/ca-certificates.conf"),
    Path("/usr/share/ca-certificates"),
    "/etc/ca-certificates/update.d",
)
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
pytestmark = pytest.mark.slow

# A handshake by the default context, as a client of the OS store makes it: prints ok or the error.
HANDSHAKE = """
import socket, ssl, sys
context = ssl.create_default_context() if len(sys.argv) < 3 else ssl.create_default_context(capath=sys.argv[2])
try:
    with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as raw:
        with context.wrap_socket(raw, server_hostname="localhost"):
            print("ok")
except (ssl.SSLError, OSError) as exc:
    print("failed: %s" % exc)
"""


@dataclass
class StoreCopy:
    """Copies of the store, its anchor folders and configuration, mounted over the real ones for each command."""

    scratch: Path
    anchors: Path  # the copy of /usr/local/share/ca-certificates
    selected: Path  # the copy of /usr/share/ca-certificates
    conf: Path

    def run(self, argv: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run `argv` where the copies stand in for the store (hooks: an empty folder, so none runs)."""
        mounts = " && ".join(
            'mount --bind "%s" %s' % (source, target)
            for source, target in (
                (self.scratch / "certs", CERTS),
                (self.anchors, ANCHORS),
                (self.selected, SELECTED),
                (self.conf, CONF),
                (self.scratch / "hooks", HOOKS),
            )
        )
        script = '%s && exec "$@"' % mounts
        return subprocess.run(
            ["unshare", "-m", "--propagation", "private", "--", "/bin/sh", "-c", script, "sh", *argv],
            env=env or clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CHILD_TIMEOUT,
            check=False,
        )

    def shell(self, line: str) -> subprocess.CompletedProcess[str]:
        """Run a shell line, as a fix prints it, in the namespace: as root, with root's PATH."""
        done = self.run(["/bin/sh", "-c", line], clean_env(PATH=ROOT_PATH))
        assert done.returncode == 0, done.stderr
        return done

    def update(self) -> None:
        """Run the distribution's own update-ca-certificates on the copies."""
        self.shell(str(TOOL))

    def handshake(self, port: int, capath: str | None = None) -> str:
        """`ok`, or why the default context (or one reading only `capath`) failed the loopback host."""
        argv = [sys.executable, "-c", HANDSHAKE, str(port)] + ([capath] if capath else [])
        return self.run(argv).stdout.strip()

    def check(self, *extra: str) -> dict[str, Any]:
        """cadoctor's JSON report, made in the namespace."""
        done = self.run([sys.executable, "-m", "cadoctor", "check", "--format", "json", "--no-verify", *extra])
        assert "Traceback" not in done.stderr, done.stderr
        report = json.loads(done.stdout)
        assert isinstance(report, dict)
        return report


@contextmanager
def store_copy() -> Iterator[StoreCopy]:
    """Copies of /etc/ssl/certs, the anchor folders and /etc/ca-certificates.conf, removed afterwards."""
    namespace_or_skip()
    if not TOOL.is_file() or not CONF.is_file() or not Path(HOOKS).is_dir():
        pytest.skip("Debian's update-ca-certificates, its configuration and hooks folder are needed")
    with tempfile.TemporaryDirectory(prefix="cadoctor-anchors-") as name:
        scratch = Path(name)
        shutil.copytree(CERTS, scratch / "certs", symlinks=True)
        shutil.copytree(ANCHORS, scratch / "anchors", symlinks=True)
        shutil.copytree(SELECTED, scratch / "selected", symlinks=True)
        shutil.copyfile(CONF, scratch / "ca-certificates.conf")
        (scratch / "hooks").mkdir()
        yield StoreCopy(scratch, scratch / "anchors", scratch / "selected", scratch / "ca-certificates.conf")


@contextmanager
def loopback(ca: trustme.CA) -> Iterator[int]:
    """A TLS server on 127.0.0.1 whose chain (leaf and any intermediate) ends at `ca`."""
    leaf = ca.issue_cert("localhost")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    leaf.configure_cert(context)
    with serve(tls_handler(context)) as port:
        yield port


@contextlib.contextmanager
def answering(ca: trustme.CA, folder: Path) -> Iterator[int]:
    """A server under `ca` that answers HTTP (404) and gRPC, as the clients' own trials ask: each can judge it."""
    leaf = ca.issue_cert("localhost")
    cert, key = folder / "leaf.pem", folder / "leaf.key"
    leaf.cert_chain_pems[0].write_to_path(str(cert))
    leaf.private_key_pem.write_to_path(str(key))
    with serve_clients(cert, key) as port:
        yield port


def _anchor_findings(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's findings about anchor files, worst first."""
    return [f for f in report["findings"] if f["code"].startswith("local-anchor-")]


def _first_fix_for(report: dict[str, Any], code: str) -> dict[str, Any]:
    """The first fix that addresses a code."""
    return next(f for f in report["fixes"] if code in f["addresses"])


def _apply(store: StoreCopy, fix: dict[str, Any]) -> None:
    """Run a command fix's shell line as printed."""
    assert (fix["kind"], fix["verified"], fix["root"]) == ("command", None, None)
    store.shell(fix["lines"]["shell"])


def test_a_root_copied_in_but_never_added_waits_for_the_tool() -> None:
    """Copied, not added (anchor-copied-update-ca-certificates-not-run): pending, and the tool's run fixes it."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        ca.cert_pem.write_to_path(str(store.anchors / "corp.crt"))
        assert store.handshake(port).startswith("failed")
        report = store.check()
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["severity"]) == ("local-anchor-pending", "warning")
        assert finding["evidence"]["paths"] == [str(ANCHORS / "corp.crt")]
        fix = _first_fix_for(report, "local-anchor-pending")
        assert fix["command"] == "update-ca-certificates"
        _apply(store, fix)
        assert store.handshake(port) == "ok"
        assert _anchor_findings(store.check()) == []  # the tool was run: nothing left to say


def test_a_root_the_tool_took_gives_no_finding() -> None:
    """A PEM `.crt` the real tool added: the host verifies and cadoctor says nothing about the anchors."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        ca.cert_pem.write_to_path(str(store.anchors / "corp.crt"))
        store.update()
        assert store.handshake(port) == "ok"
        report = store.check()
        assert _anchor_findings(report) == []
        [anchor] = [a for a in report["anchors"] if a["path"].endswith("/corp.crt")]
        assert (anchor["taken"], anchor["in_store"], anchor["reason"]) == (True, True, None)


def test_a_pem_name_is_never_taken_and_the_rename_fixes_it() -> None:
    """`corp.pem` (update-ca-certificates-ignores-pem-extension): the tool ran and skipped it; renaming fixes it."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        ca.cert_pem.write_to_path(str(store.anchors / "corp.pem"))
        store.update()
        assert store.handshake(port).startswith("failed")  # the tool ran, and changed nothing
        report = store.check()
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["evidence"]["reasons"]) == ("local-anchor-ignored", ["name"])
        assert "only names ending in .crt" in finding["summary"]
        fix = _first_fix_for(report, "local-anchor-ignored")
        assert str(ANCHORS / "corp.crt") in fix["lines"]["shell"]
        _apply(store, fix)
        assert store.handshake(port) == "ok"


def test_a_der_crt_is_linked_but_unreadable_and_the_conversion_fixes_it() -> None:
    """A DER `corp.crt` (update-ca-certificates-der-crt): linked and appended, trusted by nothing; converting helps."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        (store.anchors / "corp.crt").write_bytes(ssl.PEM_cert_to_DER_cert(ca.cert_pem.bytes().decode()))
        store.update()
        assert store.handshake(port).startswith("failed")
        assert (store.scratch / "certs" / "corp.pem").is_symlink()  # the tool did take it, as bytes
        report = store.check()
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["evidence"]["reasons"]) == ("local-anchor-ignored", ["der"])
        fix = _first_fix_for(report, "local-anchor-ignored")
        assert "openssl x509 -inform der" in fix["lines"]["shell"]
        assert fix["lines"]["shell"].endswith("update-ca-certificates --fresh")
        _apply(store, fix)
        assert store.handshake(port) == "ok"
        assert store.handshake(port, capath="/etc/ssl/certs") == "ok"  # hashed too: --fresh ran openssl rehash


def test_two_certificates_in_one_anchor_reach_the_bundle_but_no_hash_link() -> None:
    """Intermediate and root in one `.crt` (anchor-file-with-two-certificates): the bundle serves, a capath does not."""
    root = trustme.CA()
    intermediate = root.create_child_ca()
    with store_copy() as store, loopback(intermediate) as port:
        (store.anchors / "chain.crt").write_bytes(intermediate.cert_pem.bytes() + root.cert_pem.bytes())
        store.update()
        assert store.handshake(port) == "ok"  # the default context reads ca-certificates.crt, which holds both
        assert store.handshake(port, capath="/etc/ssl/certs").startswith("failed")  # a look-up by hash finds none
        report = store.check()
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["evidence"]["reasons"]) == ("local-anchor-ignored", ["several"])
        fix = _first_fix_for(report, "local-anchor-ignored")
        assert fix["lines"]["shell"].startswith("awk ")
        _apply(store, fix)
        assert store.handshake(port, capath="/etc/ssl/certs") == "ok"
        assert store.handshake(port) == "ok"
        assert _anchor_findings(store.check()) == []


def test_a_root_in_a_sub_folder_is_taken_on_debian() -> None:
    """A `.crt` in a sub-folder (anchor-in-subfolder-works-on-debian): the script recurses, so no finding."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        (store.anchors / "corp").mkdir()
        ca.cert_pem.write_to_path(str(store.anchors / "corp" / "ca.crt"))
        waiting = store.check()
        assert [f["code"] for f in _anchor_findings(waiting)] == ["local-anchor-pending"]
        store.update()
        assert store.handshake(port) == "ok"
        assert _anchor_findings(store.check()) == []


def test_a_root_a_host_needs_makes_the_finding_an_error_with_the_same_fix() -> None:
    """With --host, the `.pem` the tool skipped is what the failing host needs: an error, and the rename first."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        ca.cert_pem.write_to_path(str(store.anchors / "corp.pem"))
        store.update()
        report = store.check("--host", "localhost:%d" % port)
        [host] = report["hosts"]
        assert host["code"] == "host-unknown-ca"
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["severity"]) == ("local-anchor-ignored", "error")
        assert finding["evidence"]["hosts"] == ["localhost:%d" % port]
        fix = report["fixes"][0]  # no store here verifies the chain: the anchor's own fix comes first
        assert set(fix["addresses"]) == {"local-anchor-ignored", "host-unknown-ca"}
        _apply(store, fix)
        assert store.handshake(port) == "ok"


def test_a_root_in_an_unselected_distribution_file_is_selected_by_the_fix() -> None:
    """A `.crt` under /usr/share/ca-certificates not named in the configuration: never added; selecting it fixes it."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        (store.selected / "local").mkdir()
        ca.cert_pem.write_to_path(str(store.selected / "local" / "corp.crt"))
        store.update()
        assert store.handshake(port).startswith("failed")
        report = store.check()
        [finding] = _anchor_findings(report)
        assert (finding["code"], finding["evidence"]["reasons"]) == ("local-anchor-ignored", ["unselected"])
        _apply(store, _first_fix_for(report, "local-anchor-ignored"))
        assert store.handshake(port) == "ok"


def test_a_fifo_named_as_an_anchor_is_reported_unreadable_without_blocking() -> None:
    """A FIFO named `corp.crt`: the tool skips it (not a regular file), cadoctor never opens it for reading."""
    with store_copy() as store:
        os.mkfifo(store.anchors / "corp.crt")
        store.update()  # `find -type f` passes it by
        report = store.check()
        [finding] = _anchor_findings(report)
        assert finding["code"] == "local-anchor-unreadable"
        assert "fifo" in finding["summary"]
        [anchor] = [a for a in report["anchors"] if a["path"].endswith("/corp.crt")]
        assert (anchor["form"], anchor["taken"], anchor["reason"]) == ("unreadable", False, "not-regular")


def test_a_root_copied_into_the_hashed_folder_by_hand_is_named_and_added_the_distributions_way() -> None:
    """`corp.pem` copied into /etc/ssl/certs (cert-copied-into-etc-ssl-certs-without-hash): no hash link, not in the
    bundle, and the tool's run changes nothing; named where it is, moved to the anchors and added by the fix."""
    ca = trustme.CA()
    with store_copy() as store, loopback(ca) as port:
        ca.cert_pem.write_to_path(str(store.scratch / "certs" / "corp.pem"))
        store.update()  # what the threads tried first: nothing changed, so nothing was rehashed
        assert store.handshake(port).startswith("failed")
        report = store.check("--host", "localhost:%d" % port)
        [host] = report["hosts"]
        assert host["code"] == "host-unknown-ca"
        [folder] = [h for h in host["holders"] if h.get("unlinked")]
        assert folder["unlinked"] == [str(CERTS / "corp.pem")]
        first = report["findings"][0]
        assert first["code"] == "host-unknown-ca"
        assert "%s holds it, but no <hash>.<n> link reaches it" % (CERTS / "corp.pem") in first["summary"]
        fix = report["fixes"][0]
        assert fix["lines"]["shell"] == "mv -- '%s' '%s' && update-ca-certificates" % (
            CERTS / "corp.pem",
            ANCHORS / "corp.crt",
        )
        _apply(store, fix)
        assert store.handshake(port) == "ok"
        assert store.handshake(port, capath="/etc/ssl/certs") == "ok"  # linked, and in the bundle
        store.shell("%s --fresh" % TOOL)  # the tool's own rebuild keeps it now
        assert store.handshake(port, capath="/etc/ssl/certs") == "ok"
        after = store.check("--host", "localhost:%d" % port)
        assert after["hosts"][0]["code"] is None, after["hosts"][0]
        assert not report_codes(after) & {"host-unknown-ca", "capath-unhashed", "local-anchor-ignored"}


def test_a_root_in_a_folder_of_its_own_without_links_is_rehashed_where_it_is(tmp_path: Path) -> None:
    """SSL_CERT_DIR naming a folder whose root has no hash link: `openssl rehash` of it, tried on a copy, leads."""
    ca = trustme.CA()
    folder = tmp_path / "cas"
    folder.mkdir()
    ca.cert_pem.write_to_path(str(folder / "corp.pem"))
    with store_copy() as store, answering(ca, tmp_path) as port:
        env = clean_env(SSL_CERT_DIR=str(folder), SSL_CERT_FILE=str(tmp_path / "none.pem"))
        done = store.run(
            [
                sys.executable,
                "-m",
                "cadoctor",
                "check",
                "--format",
                "json",
                "--host",
                "localhost:%d" % port,
            ],
            env,
        )
        report = json.loads(done.stdout)
        [folder_holder] = [h for h in report["hosts"][0]["holders"] if h.get("unlinked")]
        assert folder_holder["unlinked"] == [str(folder / "corp.pem")]
        # tried with SSL_CERT_DIR naming a hashed copy of the folder, it leads the host's fixes (only the missing
        # SSL_CERT_FILE's own fixes, for an error of its own, come before it: a smaller kind of change)
        for_host = [f for f in report["fixes"] if "host-unknown-ca" in f["addresses"]]
        fix = for_host[0]
        assert all(f["verified"] is True for f in report["fixes"][: report["fixes"].index(fix)])
        assert all("host-unknown-ca" not in f["addresses"] for f in report["fixes"][: report["fixes"].index(fix)])
        assert fix["lines"]["shell"] == "openssl rehash '%s'" % folder
        assert fix["verified"] is True, json.dumps([fix["evidence"], fix["trials"]], indent=1)
        # urllib reads the folder as its CA folder; a pip that takes truststore's (24.2+) reads SSL_CERT_DIR too
        assert "urllib (stdlib)" in fix["clients"]
        assert all(trial["verified"] is True for trial in fix["trials"]), fix["trials"]
        assert "tried on a hashed copy of %s" % folder in fix["evidence"]
        assert "host-unknown-ca" in fix["addresses"]
        assert sorted(os.listdir(folder)) == ["corp.pem"]  # the trial left the folder as it was
        store.shell(fix["lines"]["shell"])
        assert store.run([sys.executable, "-c", HANDSHAKE, str(port), str(folder)]).stdout.strip() == "ok"


def report_codes(report: dict[str, Any]) -> set[str]:
    """The finding codes of a report at warning level or above."""
    return {f["code"] for f in report["findings"] if f["severity"] != "info"}
