"""Values other than a file, and config files, against the real clients: what cadoctor says each client does.

Each test sets a CA variable or setting to a kind of value (a hashed or unhashed folder, an empty value, a FIFO, a
missing path in a config file), runs the real client through the client harness (tests/helpers/clients.py) for
the ground truth, and runs `cadoctor check` on the same interpreter: the client it says raises, hangs or accepts
must be the one that does. Where a fix is proposed, it is applied as printed and the real client run again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, environment, os_store, venvs
from helpers.pki import GeneratedCA
from helpers.runs import CHILD_TIMEOUT, validate

pytestmark = pytest.mark.slow
SYSTEM_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


@pytest.fixture(scope="module")
def python() -> Path:
    """The venv with the real clients from PyPI (botocore 1.44.8, requests, pip, httpx, certifi, ...)."""
    return venvs.clients_venv()


def _check(python: Path, env: dict[str, str], *options: str, prefix: Sequence[str] = ()) -> tuple[int, dict[str, Any]]:
    """`cadoctor check --python <venv> --format json` with exactly `env` (after `prefix`): its status and report."""
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python), *options],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    validate(report, "report-v1.json")
    return done.returncode, report


def _client(report: dict[str, Any], name: str) -> dict[str, Any]:
    """One client of a report, by name."""
    return next(c for c in report["clients"] if c["name"] == name)


def _on_host(report: dict[str, Any], name: str) -> bool | None:
    """Whether cadoctor says the client accepts the checked host's chain."""
    verdict: bool | None = next(c["ok"] for c in report["hosts"][0]["clients"] if c["name"] == name)
    return verdict


def _hashed(tmp_path: Path, ca: GeneratedCA, links: bool = True) -> Path:
    """A folder holding the root's file and, unless told not to, its `<subject-hash>.0` link."""
    folder = tmp_path / ("hashed" if links else "unhashed")
    folder.mkdir()
    (folder / "root.pem").write_bytes(ca.bundle.read_bytes())
    if links:
        (folder / ("%s.0" % os_store.subject_hash(ca.bundle))).symlink_to("root.pem")
    return folder


def test_a_hashed_folder_in_requests_ca_bundle_is_a_ca_folder_to_requests_and_an_error_to_botocore(
    python: Path, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """requests verifies with the folder and botocore raises on it: cadoctor says both, and names botocore's error."""
    env = environment.child_env(REQUESTS_CA_BUNDLE=str(_hashed(tmp_path, ca)))
    assert clients.outcome(python, "requests", port, env) == "Y"
    assert clients.outcome(python, "botocore", port, env) == "X"
    _, report = _check(python, env, "--no-verify", "--host", "localhost:%d" % port)
    assert _on_host(report, "requests") is True
    assert _on_host(report, "botocore") is False
    assert _client(report, "botocore")["trust"]["effect"] == "raises"
    invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    assert invalid["severity"] == "error"
    assert invalid["evidence"]["clients"]["requests"] == "loads it"
    assert invalid["evidence"]["clients"]["botocore"].startswith("raises")


def test_an_unhashed_folder_gives_requests_nothing_without_an_error(
    python: Path, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """requests takes a folder without hash links and finds no root there (N, no error), as cadoctor says."""
    folder = _hashed(tmp_path, ca, links=False)
    env = environment.child_env(REQUESTS_CA_BUNDLE=str(folder))
    assert clients.outcome(python, "requests", port, env) == "N"
    _, report = _check(python, env, "--no-verify", "--host", "localhost:%d" % port)
    assert _on_host(report, "requests") is False
    assert _client(report, "requests")["trust"]["effect"] == "yields nothing"
    assert any(f["kind"] == "command" and str(folder) in (f["command"] or "") for f in report["fixes"])


def test_a_folder_fix_for_botocore_keeps_requests_and_works_through_botocore(
    python: Path, port: int, ca: GeneratedCA
) -> None:
    """With the root in the OS store, REQUESTS_CA_BUNDLE=/etc/ssl/certs: botocore's own variable fixes it, tried."""
    env = environment.child_env(REQUESTS_CA_BUNDLE="/etc/ssl/certs")
    with os_store.os_store_with(ca.bundle) as store:
        assert clients.outcome(python, "botocore", port, env, prefix=store.prefix) == "X"
        _, report = _check(python, env, "--host", "localhost:%d" % port, prefix=store.prefix)
        (fix,) = [f for f in report["fixes"] if f["env"] == {"AWS_CA_BUNDLE": SYSTEM_BUNDLE}]
        assert fix["verified"] is True, fix["evidence"]
        assert "botocore" in fix["clients"]
        fixed = {**env, **fix["env"]}
        assert clients.outcome(python, "botocore", port, fixed, prefix=store.prefix) == "Y"
        assert clients.outcome(python, "requests", port, fixed, prefix=store.prefix) == "Y"


def test_an_empty_requests_ca_bundle_is_harmless_to_requests_and_an_error_for_botocore(python: Path, port: int) -> None:
    """REQUESTS_CA_BUNDLE='': requests ignores it; botocore 1.44 raises, before 1.43.54 it verifies nothing (3.9's).

    The host's root is in no store, so only a botocore that verifies nothing accepts it: the real outcome tells which
    botocore this is, and cadoctor must say the same. Unsetting the variable is the fix botocore verifies.
    """
    env = environment.child_env(REQUESTS_CA_BUNDLE="")
    real = clients.outcome(python, "botocore", port, env)
    assert clients.outcome(python, "requests", port, env) == "N"  # certifi, which lacks the private root
    status, report = _check(python, env)
    assert status == 1
    assert _client(report, "requests")["trust"]["effect"] is None
    if real == "X":
        assert _client(report, "botocore")["verdict"] == "raises on REQUESTS_CA_BUNDLE=''"
        invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
        assert invalid["evidence"]["clients"]["requests"] == "ignores it (as if unset)"
    else:
        assert real == "Y"
        assert _client(report, "botocore")["verdict"] == "verifies no certificate: REQUESTS_CA_BUNDLE=''"
        disabled = next(f for f in report["findings"] if f["code"] == "verification-disabled")
        assert (disabled["severity"], [c["name"] for c in disabled["evidence"]["clients"]]) == ("error", ["botocore"])
        assert "requests ignores it (as if unset)" in disabled["summary"]
    (unset,) = [f for f in report["fixes"] if f["env"] == {"REQUESTS_CA_BUNDLE": None}]
    assert unset["verified"] is True, unset["evidence"]
    unset_env = {k: v for k, v in env.items() if k != "REQUESTS_CA_BUNDLE"}
    assert clients.outcome(python, "botocore", port, unset_env) == "N"  # it verifies again (with its own store)


def test_a_fifo_is_said_to_hang_the_clients_that_open_it_and_cadoctor_never_opens_it(
    python: Path, tmp_path: Path
) -> None:
    """SSL_CERT_FILE naming a FIFO: Python's ssl blocks on it (shown with a timeout); cadoctor says so, at once."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    env = environment.child_env(SSL_CERT_FILE=str(fifo))
    with pytest.raises(subprocess.TimeoutExpired):  # the real stdlib client: its default context never comes
        subprocess.run([str(python), "-c", "import ssl; ssl.create_default_context()"], env=env, timeout=3, check=False)
    status, report = _check(python, env, "--no-verify")
    assert status == 1
    assert _client(report, "urllib (stdlib)")["verdict"] == "hangs on SSL_CERT_FILE=%s" % fifo
    assert _client(report, "httpx")["trust"]["effect"] == "hangs"
    assert _client(report, "requests")["trust"]["effect"] is None  # it does not read SSL_CERT_FILE
    invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
    assert invalid["severity"] == "error"


def test_a_fifo_in_ssl_cert_dir_does_not_block_the_check(python: Path, tmp_path: Path) -> None:
    """OpenSSL 3 opens SSL_CERT_DIR as a store: a FIFO there would block a default context; cadoctor makes none."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    status, report = _check(python, environment.child_env(SSL_CERT_DIR=str(fifo)), "--no-verify")
    assert status == 1
    assert _client(report, "urllib (stdlib)")["trust"]["effect"] == "hangs"
    assert report["ssl"]["default_context"]["skipped"]


def _aws_config(tmp_path: Path, line: str) -> Path:
    """An AWS config file whose default profile holds one line."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\nregion = us-east-1\n%s\n" % line)
    return config


def test_a_stale_ca_bundle_in_the_aws_config_is_an_error_with_a_config_fix_botocore_verifies(
    python: Path, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """ca_bundle naming a missing file: botocore raises; cadoctor's config fix, tried on a copy, makes it succeed."""
    config = _aws_config(tmp_path, "ca_bundle = %s" % (tmp_path / "gone.pem"))
    env = {**environment.child_env(), "AWS_CONFIG_FILE": str(config)}
    with os_store.os_store_with(ca.bundle) as store:
        assert clients.outcome(python, "botocore", port, env, prefix=store.prefix) == "X"
        _, report = _check(python, env, "--host", "localhost:%d" % port, prefix=store.prefix)
        assert _client(report, "botocore")["trust"]["effect"] == "raises"
        invalid = next(f for f in report["findings"] if f["code"] == "env-path-invalid")
        assert (invalid["severity"], invalid["evidence"]["setting"]) == ("error", str(config))
        (fix,) = [f for f in report["fixes"] if f["kind"] == "config" and f["edit"]["value"] == SYSTEM_BUNDLE]
        assert fix["verified"] is True, fix["evidence"]
        assert fix["edit"] == {
            "file": str(config),
            "section": "default",
            "key": "ca_bundle",
            "value": SYSTEM_BUNDLE,
            "variable": "AWS_CONFIG_FILE",
        }
        config.write_text("[default]\nregion = us-east-1\nca_bundle = %s\n" % SYSTEM_BUNDLE)  # applied as printed
        assert clients.outcome(python, "botocore", port, env, prefix=store.prefix) == "Y"
    assert config.read_text().count("ca_bundle") == 1  # the trial wrote a copy, never the file


def test_an_empty_ca_bundle_setting_makes_botocore_raise(python: Path, port: int, tmp_path: Path) -> None:
    """`ca_bundle =` with nothing after it: botocore 1.44 raises InvalidConfigError, an older one verifies nothing.

    Which one runs here (3.9 gets botocore 1.42) is measured: the host's root is in no store, so a botocore that
    accepts it verifies nothing. cadoctor must say what the real one does.
    """
    env = {**environment.child_env(), "AWS_CONFIG_FILE": str(_aws_config(tmp_path, "ca_bundle ="))}
    real = clients.outcome(python, "botocore", port, env)
    _, report = _check(python, env, "--no-verify")
    if real == "X":
        assert _client(report, "botocore")["verdict"] == "raises on aws config ca_bundle=''"
    else:
        assert real == "Y"
        assert _client(report, "botocore")["verdict"] == "verifies no certificate: aws config ca_bundle=''"
        assert any(f["code"] == "verification-disabled" for f in report["findings"])


def test_a_missing_pip_conf_cert_makes_pip_raise_and_a_config_fix_pip_verifies(
    python: Path, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """pip.conf cert naming a missing file: pip raises; setting cert to the OS bundle (root added) works for pip.

    The trial builds pip's session without its User-Agent, whose distro facts come from running `lsb_release`: a
    stand-in first on the trial's PATH says whether it ran.
    """
    config = tmp_path / "pip.conf"
    config.write_text("[global]\ncert = %s\n" % (tmp_path / "gone.pem"))
    env = {**environment.child_env(), "PIP_CONFIG_FILE": str(config)}
    spy = tmp_path / "spy"
    spy.mkdir()
    (spy / "lsb_release").write_text("#!/bin/sh\necho ran >> %s\n" % (tmp_path / "lsb-release-ran"))
    (spy / "lsb_release").chmod(0o755)
    with os_store.os_store_with(ca.bundle) as store:
        assert clients.outcome(python, "pip", port, env, prefix=store.prefix) == "X"
        spied = {**env, "PATH": "%s:%s" % (spy, env["PATH"])}
        _, report = _check(python, spied, "--host", "localhost:%d" % port, prefix=store.prefix)
        assert not (tmp_path / "lsb-release-ran").exists()
        assert _client(report, "pip")["trust"]["effect"] == "raises"
        (fix,) = [f for f in report["fixes"] if f["kind"] == "config" and f["edit"]["value"] == SYSTEM_BUNDLE]
        assert fix["verified"] is True, fix["evidence"]
        config.write_text("[global]\ncert = %s\n" % SYSTEM_BUNDLE)
        assert clients.outcome(python, "pip", port, env, prefix=store.prefix) == "Y"


def test_uv_with_both_ssl_cert_file_and_dir_is_judged_by_both(port: int, ca: GeneratedCA) -> None:
    """This machine's default: SSL_CERT_FILE and SSL_CERT_DIR both set; uv 0.13.9 loads both and verifies."""
    python = venvs.uv_venv()
    env = environment.child_env(SSL_CERT_FILE=SYSTEM_BUNDLE, SSL_CERT_DIR="/etc/ssl/certs")
    with os_store.os_store_with(ca.bundle) as store:
        assert clients.outcome(python, "uv", port, env, prefix=store.prefix) == "Y"
        _, report = _check(python, env, "--no-verify", "--host", "localhost:%d" % port, prefix=store.prefix)
    trust = _client(report, "uv")["trust"]
    assert (trust["path"], trust["also"]) == (SYSTEM_BUNDLE, ["/etc/ssl/certs"])
    assert _on_host(report, "uv") is True
    failing = [f for f in report["findings"] if f["code"] == "client-host-fails"]
    assert all("uv" not in [c["name"] for c in f["evidence"]["clients"]] for f in failing)  # pip's certifi may


def test_a_file_named_as_the_ca_folder_works_with_openssl_3_and_is_said_to(
    python: Path, port: int, ca: GeneratedCA
) -> None:
    """SSL_CERT_DIR naming the private root's PEM file: OpenSSL 3 opens the value as a store, urllib verifies.

    cadoctor agrees with the real handshake (the host verifies, no trust-store claim) and keeps a note that an
    OpenSSL 1.1 would find nothing there, instead of calling the value unusable.
    """
    env = environment.child_env(SSL_CERT_DIR=str(ca.bundle))
    assert clients.outcome(python, "urllib", port, env) == "Y"
    _, report = _check(python, env, "--no-verify", "--host", "localhost:%d" % port)
    assert report["hosts"][0]["ok"] is True
    assert _on_host(report, "urllib (stdlib)") is True
    (invalid,) = [f for f in report["findings"] if f["code"] == "env-path-invalid"]
    assert invalid["severity"] == "info"
    assert invalid["evidence"]["problem"].startswith("is a file, not a directory: OpenSSL 3 opens it as a store")
    assert not any(f["code"] == "trust-store-empty" for f in report["findings"])
