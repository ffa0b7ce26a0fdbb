"""The failure cadoctor exists for, reproduced for real with a libcrypto copy whose OPENSSLDIR is missing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.environment import child_env
from helpers.interpreters import handshake
from helpers.openssl import ForeignOpenSSL
from helpers.os_store import system_bundle_or_skip
from helpers.pki import GeneratedCA, pem_count
from helpers.runs import check_json, codes, run_cadoctor

import cadoctor
from cadoctor._render.report import to_document


def test_foreign_libcrypto_is_diagnosed_with_verified_fixes(foreign_openssl: ForeignOpenSSL) -> None:
    """A child on the foreign copy reports its path and OPENSSLDIR, empty trust, and verified env and library fixes."""
    system_bundle = system_bundle_or_skip()
    status, report = check_json(child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory)))
    assert status == 1
    in_use = [lib for lib in report["libraries"] if lib["in_use"]]
    assert [lib["path"] for lib in in_use] == [str(foreign_openssl.libcrypto)]
    assert in_use[0]["openssldir"] == foreign_openssl.openssldir
    assert {"openssldir-missing", "trust-store-empty"} <= codes(report)
    assert "trust-store-empty" in codes(report, "error")
    assert {"library-override", "default-capath-missing"} <= codes(report, "warning")
    assert "default-cafile-missing" in codes(report, "info")
    override = next(f for f in report["findings"] if f["code"] == "library-override")
    assert override["evidence"]["variable"] == "LD_LIBRARY_PATH"
    system = next(b for b in report["bundles"] if b["path"] == system_bundle)
    assert system["certificates"] == pem_count(system_bundle)
    assert report["ssl"]["default_context"]["certificates"] == 0
    first = report["fixes"][0]
    assert first["kind"] == "env"
    assert first["verified"] is True
    assert first["env"] == {"SSL_CERT_FILE": system_bundle}
    library = [f for f in report["fixes"] if f["kind"] == "library"]
    assert library
    assert all(f["verified"] is True for f in library)
    assert any(f["preload"] for f in library)


def test_env_fix_applied_makes_the_check_pass(foreign_openssl: ForeignOpenSSL) -> None:
    """With the suggested SSL_CERT_FILE set, the same foreign-libcrypto check exits 0."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory), SSL_CERT_FILE=system_bundle_or_skip())
    status, report = check_json(env)
    assert status == 0
    assert "trust-store-empty" not in codes(report)
    assert "openssldir-missing" in codes(report, "warning")
    assert report["ssl"]["default_context"]["certificates"] > 0


def test_env_output_fixes_a_real_handshake(
    foreign_openssl: ForeignOpenSSL, test_ca: GeneratedCA, tls_server: int
) -> None:
    """A loopback handshake fails on the foreign libcrypto and succeeds once SSL_CERT_FILE names the CA's bundle."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    assert "handshake failed" in handshake(tls_server, env)
    assert handshake(tls_server, {**env, "SSL_CERT_FILE": str(test_ca.bundle)}) == "handshake ok ok"


def test_env_format_exports_the_verified_fix(foreign_openssl: ForeignOpenSSL, tmp_path: Path) -> None:
    """`--format env` prints the verified fix, and evaluating it in sh makes the check pass."""
    env = child_env(LD_LIBRARY_PATH=str(foreign_openssl.directory))
    exports = run_cadoctor(["check", "--format", "env"], env)
    assert exports.returncode == 1
    assert exports.stdout.startswith("export SSL_CERT_FILE=")
    script = '%s\nexec "$0" -m cadoctor check --format json' % exports.stdout
    after = subprocess.run(
        ["sh", "-c", script, sys.executable], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert after.returncode == 0, after.stderr
    assert "trust-store-empty" not in codes(json.loads(after.stdout))


def test_healthy_machine_has_no_warning(pip_conf: str) -> None:
    """This Debian host with the CA variables removed comes out healthy: exit 0, nothing at warning or above."""
    system_bundle_or_skip()
    status, report = check_json(child_env(PIP_CONFIG_FILE=pip_conf))
    assert status == 0
    assert report["status"] == "ok"
    assert codes(report, "warning") == set()
    assert codes(report, "error") == set()
    assert report["fixes"] == []


def test_python_api_returns_the_report(in_process_env: dict[str, str]) -> None:
    """`cadoctor.check()` returns the report the CLI renders: on this healthy host, ok, with the same findings."""
    report = cadoctor.check(verify=False)
    status, rendered = check_json(in_process_env, "--no-verify")
    assert isinstance(report, cadoctor.Report)
    assert (report.status, status, rendered["status"]) == ("ok", 0, "ok")
    document = to_document(report)
    assert (document["findings"], document["fixes"]) == (rendered["findings"], rendered["fixes"])
    assert report.facts.runtime.ssl_available is True
