"""Finding codes reproduced for real: broken libraries and configs, stale, legacy and private CAs, a serverless hint."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from helpers.environment import child_env
from helpers.interpreters import handshake, interpreter_at_least
from helpers.os_store import copy_bundle, system_bundle_or_skip
from helpers.pki import make_ca
from helpers.runs import CHILD_TIMEOUT, check_json, codes, run_cadoctor
from helpers.servers import serve_tls

from cadoctor._commands.check import CLIENTS
from cadoctor._facts.child import jobs
from cadoctor._facts.subjects.this_process import facts_from_probe
from cadoctor._rules.trust import diagnose
from cadoctor._variables import for_child


def test_ssl_that_cannot_load_its_library_is_diagnosed(tmp_path: Path, pip_conf: str) -> None:
    """A broken libssl found through LD_LIBRARY_PATH gives ssl-unavailable and a verified fix dropping that entry."""
    (tmp_path / "libssl.so.3").write_bytes(b"")
    status, report = check_json(child_env(LD_LIBRARY_PATH="%s:/opt/elsewhere" % tmp_path, PIP_CONFIG_FILE=pip_conf))
    assert status == 1
    finding = next(f for f in report["findings"] if f["code"] == "ssl-unavailable")
    assert finding["severity"] == "error"
    assert str(tmp_path / "libssl.so.3") in finding["evidence"]["error"]
    assert report["ssl"]["available"] is False
    fix = report["fixes"][0]
    assert (fix["kind"], fix["env"], fix["verified"]) == ("library", {"LD_LIBRARY_PATH": "/opt/elsewhere"}, True)


def test_bundle_of_expired_roots_is_a_warning(tmp_path: Path) -> None:
    """SSL_CERT_FILE holding only an expired CA warns, with the counts as evidence."""
    expired = make_ca(tmp_path / "old", days=(-400, -5))
    _status, report = check_json(child_env(SSL_CERT_FILE=str(expired.bundle)), "--no-verify")
    finding = next(f for f in report["findings"] if f["code"] == "bundle-expired-roots")
    assert finding["severity"] == "warning"
    assert (finding["evidence"]["expired"], finding["evidence"]["certificates"]) == (1, 1)


def test_a_few_stale_roots_in_a_full_bundle_are_info(tmp_path: Path) -> None:
    """One expired and one not-yet-valid CA added to the system bundle are counted but stay at info level."""
    bundle = copy_bundle(tmp_path)
    for name, days in (("old", (-400, -5)), ("future", (30, 400))):
        bundle.write_bytes(bundle.read_bytes() + make_ca(tmp_path / name, name, days=days).bundle.read_bytes())
    status, report = check_json(child_env(SSL_CERT_FILE=str(bundle)), "--no-verify")
    assert status == 0
    finding = next(
        f for f in report["findings"] if f["code"] == "bundle-expired-roots" and f["evidence"]["path"] == str(bundle)
    )
    assert finding["severity"] == "info"
    assert finding["evidence"]["not_yet_valid"] == 1
    assert finding["evidence"]["expired"] >= 1


def _shadow_certifi(tmp_path: Path) -> Path:
    """Install an old-style certifi (one private root) on a path that shadows the real one; return its bundle."""
    package = tmp_path / "shadow" / "certifi"
    package.mkdir(parents=True)
    bundle = package / "cacert.pem"
    bundle.write_bytes(make_ca(tmp_path / "ca", "cadoctor Shadow Root").bundle.read_bytes())
    (package / "__init__.py").write_text("import os\n\ndef where():\n    return %r\n" % str(bundle))
    return bundle


def test_certifi_lacking_system_roots_warns_when_in_use(tmp_path: Path) -> None:
    """A certifi without the system's roots is a warning once REQUESTS_CA_BUNDLE names it, and info otherwise."""
    system = system_bundle_or_skip()
    bundle = _shadow_certifi(tmp_path)
    pythonpath = str(tmp_path / "shadow")
    _status, quiet = check_json(child_env(PYTHONPATH=pythonpath), "--no-verify")
    _status, loud = check_json(child_env(PYTHONPATH=pythonpath, REQUESTS_CA_BUNDLE=str(bundle)), "--no-verify")
    assert "certifi-lacks-system-roots" in codes(quiet, "info")
    finding = next(f for f in loud["findings"] if f["code"] == "certifi-lacks-system-roots")
    assert finding["severity"] == "warning"
    assert (finding["evidence"]["certifi"], finding["evidence"]["system"]) == (str(bundle), system)
    assert finding["evidence"]["certifi_in_effect_as"] == ["env:REQUESTS_CA_BUNDLE"]
    assert finding["evidence"]["missing"] > 100


def _facts_of(executable: str, env: dict[str, str]) -> dict[str, object]:
    """Run the stdlib-only child in another interpreter and return its facts."""
    out = subprocess.run(
        [executable, "-I", "-S", jobs.FOLDER],
        input=json.dumps({"job": jobs.FACTS, "variables": for_child()}),
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=True,
    )
    facts: dict[str, object] = json.loads(out.stdout)
    return facts


def test_strict_verification_matches_what_python_313_rejects(tmp_path: Path) -> None:
    """A legacy CA fails a real handshake on Python >= 3.13 only, and only there is strict-verification reported."""
    strict_python = interpreter_at_least((3, 13))
    legacy = make_ca(tmp_path / "legacy", "cadoctor Legacy Root", strict=False)
    env = child_env(SSL_CERT_FILE=str(legacy.bundle))
    with serve_tls(legacy) as port:
        if sys.version_info < (3, 13):
            assert handshake(port, env) == "handshake ok ok"
        assert "handshake failed" in handshake(port, env, strict_python)
    found = diagnose(facts_from_probe(_facts_of(strict_python, env), clients=CLIENTS))
    strict = [f for f in found if f.code == "strict-verification"]
    assert (str(legacy.bundle), 1) in [(f.evidence["path"], f.evidence["certificates"]) for f in strict]
    if sys.version_info < (3, 13):
        assert "strict-verification" not in {
            f.code for f in diagnose(facts_from_probe(_facts_of(sys.executable, env), clients=CLIENTS))
        }


def test_serverless_platform_is_recognised() -> None:
    """On AWS Lambda (its variable set) a healthy check adds the serverless hint at info level and exits 0."""
    status, report = check_json(child_env(AWS_LAMBDA_FUNCTION_NAME="orders"), "--no-verify")
    assert status == 0
    finding = next(f for f in report["findings"] if f["code"] == "runtime-known-issue")
    assert (finding["severity"], finding["evidence"]) == ("info", {"distribution": "aws-lambda"})


def test_directory_of_bundles_is_not_called_unhashed(tmp_path: Path) -> None:
    """A CA directory holding only a multi-certificate bundle (the RHEL layout) gets no rehash advice."""
    directory = tmp_path / "certs"
    directory.mkdir()
    copy_bundle(directory, "ca-bundle.crt")
    _status, report = check_json(child_env(SSL_CERT_DIR=str(directory)), "--no-verify")
    entry = next(b for b in report["bundles"] if b["path"] == str(directory))
    assert (entry["hash_links"], entry["unlinked"]) == (0, 0)
    assert "capath-unhashed" not in codes(report)
    assert not [f for f in report["fixes"] if "rehash" in (f["command"] or "")]


def test_a_script_named_ssl_is_reported_without_running_it(tmp_path: Path) -> None:
    """A user's ssl.py in the working directory gives ssl-unavailable naming it, and its code never runs."""
    shadow = tmp_path / "ssl.py"
    shadow.write_text("open(%r, 'w').close()\nprint('not json')\n" % str(tmp_path / "RAN"))
    result = run_cadoctor(["check", "--format", "json", "--no-verify"], child_env(), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    finding = next(f for f in report["findings"] if f["code"] == "ssl-unavailable")
    assert str(shadow) in finding["summary"]
    assert not (tmp_path / "RAN").exists()


def test_private_override_replaces_defaults(tmp_path: Path) -> None:
    """SSL_CERT_FILE holding only a private CA warns that public sites will fail."""
    from helpers.pki import make_ca

    ca = make_ca(tmp_path / "ca")
    status, report = check_json(child_env(SSL_CERT_FILE=str(ca.bundle)), "--no-verify")
    assert status == 0
    finding = next(f for f in report["findings"] if f["code"] == "override-replaces-defaults")
    assert finding["severity"] == "warning"
    assert finding["evidence"]["certificates"] == 1


def test_broken_openssl_conf_is_reported_and_fixed(tmp_path: Path) -> None:
    """OPENSSL_CONF that makes context creation fail is an error, and unsetting it is a verified fix."""
    conf = tmp_path / "openssl.cnf"
    conf.write_text("openssl_conf = x\n[x]\nproviders = p\n[p]\nbogus = b\n[b]\nactivate = 1\n")
    status, report = check_json(child_env(OPENSSL_CONF=str(conf)))
    assert status == 1
    assert "openssl-config-broken" in {f["code"] for f in report["findings"] if f["severity"] == "error"}
    fix = next(f for f in report["fixes"] if f["env"] == {"OPENSSL_CONF": None})
    assert fix["verified"] is True


def test_unset_is_offered_when_the_compiled_defaults_serve(tmp_path: Path) -> None:
    """A dangling SSL_CERT_FILE on a host whose defaults work gets 'unset' as the first, verified fix."""
    copy_bundle(tmp_path)
    _status, report = check_json(child_env(SSL_CERT_FILE=str(tmp_path / "gone.pem")))
    first = report["fixes"][0]
    assert first["env"] == {"SSL_CERT_FILE": None}
    assert first["verified"] is True
    assert first["lines"]["shell"] == "unset SSL_CERT_FILE"
