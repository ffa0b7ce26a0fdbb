"""`import cadoctor.selfcheck` in real child interpreters: each mode on the motivating failure, a healthy
interpreter, and bad inputs — with real loopback handshakes before and after a fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.environment import child_env
from helpers.openssl import ForeignOpenSSL
from helpers.os_store import SYSTEM_BUNDLE, system_bundle_or_skip
from helpers.pki import GeneratedCA
from helpers.runs import CHILD_TIMEOUT, check_json

import cadoctor

# Imports the self-check with warnings and log records captured, then optionally does one handshake.
CHILD = r"""
import json, logging, socket, ssl, sys, warnings

records = []

class Keep(logging.Handler):
    def emit(self, record):
        records.append(record.getMessage())

logging.getLogger("cadoctor").addHandler(Keep())
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    try:
        import cadoctor.selfcheck as selfcheck
        result, raised = selfcheck.RESULT, None
    except Exception as exc:
        result, raised = getattr(exc, "result", None), "%s: %s" % (type(exc).__name__, exc)
    again = None
    if raised is None:
        again = selfcheck.run()
handshake = None
if len(sys.argv) > 1:
    try:
        with socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=10) as sock:
            with ssl.create_default_context().wrap_socket(sock, server_hostname="localhost") as tls:
                handshake = "ok " + tls.recv(2).decode()
    except ssl.SSLError as exc:
        handshake = "failed: %s" % exc.reason

def plain(r):
    if r is None:
        return None
    return {"ok": r.ok, "mode": r.mode, "codes": [p.code for p in r.findings],
            "severities": [p.severity for p in r.findings], "suggestion": r.suggestion, "applied": r.applied}

print(json.dumps({
    "warnings": [[w.category.__module__ + "." + w.category.__name__, str(w.message)] for w in caught],
    "logs": records,
    "raised": raised,
    "result": plain(result),
    "again": plain(again),
    "handshake": handshake,
    "modules": sorted(m for m in ("typer", "rich", "click", "cryptography", "psutil", "certifi", "pydantic")
                      if m in sys.modules),
}))
"""


def selfcheck(env: dict[str, str], port: int | None = None, *, prefix: list[str] | None = None) -> dict[str, Any]:
    """Run the child with exactly this environment and return what it saw; stderr must hold no traceback."""
    argv = [*(prefix or []), sys.executable, "-c", CHILD, *([str(port)] if port else [])]
    out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False)
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr, out.stderr
    seen: dict[str, Any] = json.loads(out.stdout)
    seen["stderr"] = out.stderr
    return seen


def broken(foreign: ForeignOpenSSL, **extra: str) -> dict[str, str]:
    """The motivating failure: the libcrypto copy whose OPENSSLDIR is missing, no CA variables."""
    return child_env(LD_LIBRARY_PATH=str(foreign.directory), **extra)


def test_warn_emits_the_warning_and_one_log_line(foreign_openssl: ForeignOpenSSL) -> None:
    """warn (the default) emits a TrustPathWarning and one log line naming the code, the evidence and the fix."""
    system = system_bundle_or_skip()
    seen = selfcheck(broken(foreign_openssl))
    assert [w[0] for w in seen["warnings"]] == ["cadoctor.TrustPathWarning"]
    [line] = seen["logs"]
    assert line == seen["warnings"][0][1]
    assert line.startswith("cadoctor selfcheck: trust-store-empty (error): a default context loads 0 CA certificates")
    assert "%s, compiled with OPENSSLDIR %s" % (foreign_openssl.libcrypto, foreign_openssl.openssldir) in line
    assert "; fix: SSL_CERT_FILE=%s (system bundle" % system in line
    assert seen["result"]["ok"] is False
    assert seen["result"]["applied"] == {}


def test_fix_with_a_shipped_bundle_makes_the_handshake_work(
    foreign_openssl: ForeignOpenSSL, test_ca: GeneratedCA, tls_server: int
) -> None:
    """fix points SSL_CERT_FILE at CADOCTOR_CA_BUNDLE, and the handshake that fails without it succeeds."""
    without = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="off"), tls_server)
    assert without["handshake"].startswith("failed")
    env = broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", CADOCTOR_CA_BUNDLE=str(test_ca.bundle))
    seen = selfcheck(env, tls_server)
    assert seen["handshake"] == "ok ok"
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": str(test_ca.bundle)}
    applied = [line for line in seen["logs"] if ": fix: " in line]
    assert applied == [
        "cadoctor selfcheck: fix: set SSL_CERT_FILE=%s (CADOCTOR_CA_BUNDLE; was unset); "
        "a default context now loads 1 CA certificates" % test_ca.bundle
    ]
    assert seen["again"] == {**seen["result"], "ok": True, "codes": [], "severities": [], "suggestion": None}


def test_fix_without_a_shipped_bundle_picks_the_system_bundle(foreign_openssl: ForeignOpenSSL) -> None:
    """With no CADOCTOR_CA_BUNDLE, fix chooses the system bundle."""
    system = system_bundle_or_skip()
    seen = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="fix"))
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": system}


def test_fix_passes_over_an_unsafe_shipped_bundle(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """A CADOCTOR_CA_BUNDLE that others can write is never chosen; the log says why and the system bundle serves."""
    system = system_bundle_or_skip()
    unsafe = tmp_path / "bundle.pem"
    shutil.copyfile(system, unsafe)
    unsafe.chmod(0o666)
    seen = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", CADOCTOR_CA_BUNDLE=str(unsafe)))
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": system}
    assert "passed over: CADOCTOR_CA_BUNDLE %s: %s is writable by every user" % (unsafe, unsafe) in seen["logs"][0]


def test_fix_changes_nothing_when_no_bundle_qualifies(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """When no candidate qualifies, fix says so and leaves the environment alone."""
    if any(os.path.exists(p) for p in (SYSTEM_BUNDLE, "/etc/pki/tls/certs/ca-bundle.crt")):
        empty = tmp_path / "empty"
        empty.mkdir()
        # Hide every candidate: a root whose /etc and /usr are empty directories, and no certifi on the path.
        prefix = ["unshare", "--mount", "--map-root-user", "sh", "-c", _hide_bundles(empty), "sh"]
        if shutil.which("unshare") is None or subprocess.run([*prefix[:3], "true"], check=False).returncode:
            pytest.skip("cannot hide the system bundles here (no user namespaces)")
    else:
        prefix = None
    seen = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", PYTHONNOUSERSITE="1"), prefix=prefix)
    assert seen["result"]["applied"] == {}
    assert seen["result"]["suggestion"] is None
    assert "cadoctor selfcheck: fix: nothing changed, no bundle qualifies" in seen["logs"]


def _hide_bundles(empty: Path) -> str:
    """A shell prologue that mounts an empty directory over each system bundle location and certifi."""
    import certifi

    hidden = ["/etc/ssl", "/etc/pki", str(Path(certifi.where()).parent)]
    mounts = " && ".join("{ [ ! -e %s ] || mount --bind %s %s; }" % (h, empty, h) for h in hidden)
    return mounts + ' && exec "$@"'


def test_strict_raises_and_off_is_silent(foreign_openssl: ForeignOpenSSL) -> None:
    """strict raises TrustPathError with the diagnosis; off does nothing and says nothing."""
    strict = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="strict"))
    assert strict["raised"].startswith("TrustPathError: cadoctor selfcheck: trust-store-empty (error)")
    assert strict["result"]["codes"][0] == "trust-store-empty"
    off = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="off"))
    assert (off["warnings"], off["logs"], off["stderr"]) == ([], [], "")
    assert off["result"]["mode"] == "off"


def test_healthy_import_is_silent_and_stdlib_only() -> None:
    """On this healthy interpreter the import emits nothing and loads none of the heavy dependencies."""
    system_bundle_or_skip()
    seen = selfcheck(child_env())
    assert (seen["warnings"], seen["logs"], seen["stderr"], seen["modules"]) == ([], [], "", [])
    assert seen["result"] == seen["again"]
    assert seen["result"]["ok"] is True


def test_unknown_mode_warns_then_checks_as_warn(foreign_openssl: ForeignOpenSSL) -> None:
    """An unknown CADOCTOR_SELFCHECK value warns naming the accepted values, then behaves as warn."""
    seen = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="loud"))
    categories = [w[0] for w in seen["warnings"]]
    assert categories == ["builtins.RuntimeWarning", "cadoctor.TrustPathWarning"]
    assert "'loud' is not one of warn, fix, strict, off; using warn" in seen["warnings"][0][1]
    assert seen["result"]["mode"] == "warn"


def _fifo(tmp: Path) -> str:
    """A FIFO nobody writes to: reading it would block forever."""
    path = tmp / "fifo.pem"
    os.mkfifo(path)
    return str(path)


def _empty(tmp: Path) -> str:
    """An empty file."""
    path = tmp / "empty.pem"
    path.write_bytes(b"")
    return str(path)


BAD_CA_FILES: dict[str, tuple[Callable[[Path], str], str]] = {
    "dev-zero": (lambda tmp: "/dev/zero", "is not a regular file"),
    "fifo": (_fifo, "is not a regular file"),
    "missing": (lambda tmp: str(tmp / "missing.pem"), "does not exist"),
    "empty": (_empty, "is empty"),
}


@pytest.mark.parametrize("kind", sorted(BAD_CA_FILES))
def test_bad_ssl_cert_file_is_reported_and_replaced(kind: str, tmp_path: Path) -> None:
    """SSL_CERT_FILE at /dev/zero, a FIFO, a missing or an empty file: a finding, no hang, and fix replaces it."""
    system = system_bundle_or_skip()
    make, words = BAD_CA_FILES[kind]
    value = make(tmp_path)
    seen = selfcheck(child_env(SSL_CERT_FILE=value, CADOCTOR_SELFCHECK="fix"))
    assert seen["result"]["codes"] == ["env-path-invalid"]
    assert seen["result"]["severities"] == ["error"]  # as check says: it replaces the compiled file
    assert "SSL_CERT_FILE=%s %s" % (value, words) in seen["logs"][0]
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": system}
    assert "(system bundle; was %r)" % value in seen["logs"][1]


def test_self_check_and_check_agree_on_a_missing_ssl_cert_file(tmp_path: Path) -> None:
    """A missing SSL_CERT_FILE is env-path-invalid at error level for the self-check and for `check` alike."""
    system_bundle_or_skip()  # a hashed system folder serves meanwhile: the severity must not hang on it
    env = child_env(SSL_CERT_FILE=str(tmp_path / "missing.pem"))
    seen = selfcheck({**env, "CADOCTOR_SELFCHECK": "warn"})
    _, report = check_json(env, "--no-verify")
    invalid = [f for f in report["findings"] if f["code"] == "env-path-invalid"]
    checked = [(f["code"], f["severity"]) for f in invalid if f["evidence"]["variable"] == "SSL_CERT_FILE"]
    assert checked == [("env-path-invalid", "error")]
    assert list(zip(seen["result"]["codes"], seen["result"]["severities"])) == checked
    assert "cadoctor selfcheck: env-path-invalid (error): SSL_CERT_FILE=" in seen["logs"][0]


# --map-root-user maps this user only: as another user, root's / and /tmp show as the overflow uid there
@pytest.mark.root("in a user namespace, only root's folders show as root's, which the fix requires")
def test_read_only_filesystem_and_no_home(
    foreign_openssl: ForeignOpenSSL, test_ca: GeneratedCA, tls_server: int
) -> None:
    """On a read-only / with no HOME, fix trusts a shipped bundle whose mode bits say 0666, as in many zips."""
    if shutil.which("unshare") is None:
        pytest.skip("no unshare here")
    prefix = ["unshare", "--mount", "--map-root-user", "sh", "-c", 'mount -o remount,bind,ro / && exec "$@"', "sh"]
    probe = subprocess.run([*prefix, "sh", "-c", "touch /cadoctor-ro-probe"], capture_output=True, check=False)
    if probe.returncode == 0 or b"Read-only" not in probe.stderr:
        pytest.skip("cannot mount / read-only in a user namespace here")
    test_ca.bundle.chmod(0o666)
    env = broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", CADOCTOR_CA_BUNDLE=str(test_ca.bundle))
    env.pop("HOME")
    seen = selfcheck(env, tls_server, prefix=prefix)
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": str(test_ca.bundle)}
    assert seen["handshake"] == "ok ok"
    writable = selfcheck(env, tls_server)  # the same 0666 bundle on a writable file system is refused
    assert writable["result"]["applied"] != {"SSL_CERT_FILE": str(test_ca.bundle)}


def test_self_check_needs_only_the_standard_library(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """With site-packages out of reach (no cryptography, certifi, psutil, typer), warn and fix still work."""
    system = system_bundle_or_skip()
    package = Path(cadoctor.__file__).parent  # the installed package, as the suite tests it
    shutil.copytree(package, tmp_path / "cadoctor", ignore=shutil.ignore_patterns("__pycache__"))
    env = broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", PYTHONPATH=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-S", "-c", CHILD], env=env, capture_output=True, text=True, timeout=CHILD_TIMEOUT, check=False
    )
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout)
    assert seen["result"]["applied"] == {"SSL_CERT_FILE": system}
    assert seen["modules"] == []


def test_fix_leaves_a_working_user_variable_alone(
    foreign_openssl: ForeignOpenSSL, test_ca: GeneratedCA, tls_server: int
) -> None:
    """On the broken libcrypto, an SSL_CERT_FILE the user set that works is healthy and stays as it is."""
    seen = selfcheck(broken(foreign_openssl, CADOCTOR_SELFCHECK="fix", SSL_CERT_FILE=str(test_ca.bundle)), tls_server)
    assert (seen["result"]["ok"], seen["result"]["applied"], seen["logs"]) == (True, {}, [])
    assert seen["handshake"] == "ok ok"


def test_the_stat_look_resolves_the_variables_as_openssl_does(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The healthy path's look takes SSL_CERT_FILE when set, even empty, and judges that file alone."""
    from cadoctor._selfcheck.quick import quick_check

    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    expected = {str(tmp_path / "missing.pem"): "SSL_CERT_FILE does not exist", "": "SSL_CERT_FILE is a relative path"}
    for value, reason in {**expected, str(bundle): None}.items():
        monkeypatch.setenv("SSL_CERT_FILE", value)
        assert quick_check() == reason
