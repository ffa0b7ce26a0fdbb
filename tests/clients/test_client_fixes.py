"""Fixes for clients whose store lacks a root the OS store has: proposed, verified by that client, and working."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA, make_ca

pytestmark = [pytest.mark.slow, pytest.mark.index]  # every client's venv from PyPI, each trying the fixes


def _check(
    store: os_store.OsStore, python: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[int, dict[str, Any]]:
    """`cadoctor check --python <venv> --format json` with the fixes tried, run on top of the private OS store."""
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python), *extra]
    done = store.run(argv, env or child_env(), timeout=180)
    assert "Traceback" not in done.stderr, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def _fix(report: dict[str, Any], kind: str) -> dict[str, Any]:
    """The one fix of `kind` proposed for clients."""
    fixes: list[dict[str, Any]] = [f for f in report["fixes"] if f["kind"] == kind and f["clients"]]
    assert len(fixes) == 1, fixes
    return fixes[0]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_local_roots_are_named_and_the_fix_is_verified_by_each_client(ca: GeneratedCA) -> None:
    """A root added by the administrator: requests, httpx and botocore are named, and each library confirms the fix."""
    python = venvs.clients_venv()
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        _, report = _check(store, python)
    (finding,) = [f for f in report["findings"] if f["code"] == "client-lacks-local-roots"]
    assert {"requests", "httpx", "botocore"} <= {c["name"] for c in finding["evidence"]["clients"]}
    assert ca.name in finding["summary"]
    fix = _fix(report, "env")
    assert fix["env"]["REQUESTS_CA_BUNDLE"] == "/etc/ssl/certs/ca-certificates.crt"
    assert {"requests", "botocore"} <= set(fix["clients"])
    assert fix["verified"] is True, fix["evidence"]
    trusted = re.search(
        r"requests uses /etc/ssl/certs/ca-certificates\.crt, which trusts (\d+) of the (\d+) root", fix["evidence"]
    )
    assert trusted is not None, fix["evidence"]
    assert trusted[1] == trusted[2] != "0", fix["evidence"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_trials_side_by_side_show_what_one_child_shows(ca: GeneratedCA, port: int) -> None:
    """Each library in a child of its own, or all in one: the same fixes, verdicts, evidence and trials, host or not."""
    python = venvs.clients_venv()
    fixes: dict[str, list[list[dict[str, Any]]]] = {}
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        for workers in ("1", "2"):
            env = child_env(CADOCTOR_TRIAL_WORKERS=workers)
            for extra in ((), ("--host", "localhost:%d" % port)):
                _, report = _check(store, python, "--no-cache", *extra, env=env)
                fixes.setdefault(workers, []).append(report["fixes"])
    assert fixes["1"] == fixes["2"]
    tried = [f for found in fixes["2"] for f in found if f["trials"]]
    assert len({t["through"] for f in tried for t in f["trials"]}) > 2, tried  # several libraries, several children
    assert all(f["verified"] is True for f in tried if f["kind"] == "env"), tried


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_a_client_holding_one_of_two_local_roots_is_counted_once_everywhere(ca: GeneratedCA, tmp_path: Path) -> None:
    """Two roots added by the administrator; REQUESTS_CA_BUNDLE names certifi's roots with the first: requests lacks 1.

    The finding, requests' verdict and the fix's evidence say the same counts, each from the one computation (the
    finding once said "the 2 roots" for every client it named).
    """
    import certifi

    other = make_ca(tmp_path / "other", "cadoctor Second Local Root")
    partial = tmp_path / "certifi-and-one.pem"
    partial.write_bytes(Path(certifi.where()).read_bytes() + ca.bundle.read_bytes())
    with os_store.os_store_with(ca.bundle, other.bundle, anchors=True) as store:
        argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(venvs.clients_venv())]
        done = store.run(argv, child_env(REQUESTS_CA_BUNDLE=str(partial)), timeout=180)
    report = json.loads(done.stdout)
    (finding,) = [f for f in report["findings"] if f["code"] == "client-lacks-local-roots"]
    lacks = {c["name"]: c["lacks"] for c in finding["evidence"]["clients"]}
    local = [root["subject"] for root in report["local_roots"]]  # this machine may have added roots of its own
    assert {"CN=" + ca.name, "CN=" + other.name} <= set(local)
    assert "CN=" + ca.name not in lacks["requests"]
    assert "CN=" + other.name in lacks["requests"]
    assert "CN=" + ca.name in lacks["httpx"]  # certifi, which REQUESTS_CA_BUNDLE does not change
    lacked, total = len(lacks["requests"]), len(local)
    assert lacked == total - 1
    assert "requests (variable) lacks %d" % lacked in finding["summary"]
    assert "of the %d roots added to the system store" % total in finding["summary"]
    verdicts = {c["name"]: c["verdict"] for c in report["clients"]}
    assert verdicts["requests"] == "lacks %d local root%s" % (lacked, "" if lacked == 1 else "s")


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_with_the_host_the_fix_is_verified_by_real_requests_and_applying_it_works(ca: GeneratedCA, port: int) -> None:
    """With --host: exit 1, the fix succeeds in a real request through each client, and so does requests.get."""
    python = venvs.clients_venv()
    with os_store.os_store_with(ca.bundle, anchors=True) as store:
        status, report = _check(store, python, "--host", "localhost:%d" % port)
        fix = _fix(report, "env")
        before = clients.outcome(python, "requests", port, child_env(), prefix=store.prefix)
        after = {
            name: clients.outcome(python, name, port, child_env(**fix["env"]), prefix=store.prefix)
            for name in ("requests", "botocore", "httpx")
        }
    assert status == 1
    verdicts = {c["name"]: c["ok"] for c in report["hosts"][0]["clients"]}
    assert verdicts["requests"] is False
    assert verdicts["urllib (stdlib)"] is True
    assert fix["verified"] is True, fix["evidence"]
    assert "a real request to localhost:%d" % port in fix["evidence"]
    assert "requests (through requests 2." in fix["evidence"]
    assert "succeeded: the host answered HTTP 404" in fix["evidence"]
    assert "botocore (through botocore 1." in fix["evidence"]
    assert before == "N"
    assert after == {"requests": "Y", "botocore": "Y", "httpx": "Y"}


def test_a_root_only_in_ssl_cert_file_is_reached_through_that_file_not_the_system_bundle(
    ca: GeneratedCA, port: int
) -> None:
    """Root only in SSL_CERT_FILE: the fix that leads joins that file with the public roots; requests confirms it."""
    python = venvs.clients_venv()
    argv = [sys.executable, "-m", "cadoctor", "check", "--format", "json", "--python", str(python)]
    argv += ["--host", "localhost:%d" % port]
    env = child_env(SSL_CERT_FILE=str(ca.bundle))
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=180, check=False)
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    fix = report["fixes"][0]
    assert (fix["kind"], fix["addresses"]) == ("env", ["client-host-fails"])
    assert "requests" in fix["clients"]
    assert set(fix["env"].values()) == {str(ca.bundle.parent / "ca+public-roots.pem")}
    assert fix["verified"] is True, fix["evidence"]
    assert "requests (through requests 2." in fix["evidence"]
    assert "succeeded: the host answered HTTP 404" in fix["evidence"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_the_truststore_fix_is_verified_by_requests_made_after_injecting_it(ca: GeneratedCA, port: int) -> None:
    """truststore installed: injecting it first makes requests and httpx accept a root only the OS store has."""
    python = venvs.truststore_venv()
    with os_store.os_store_with(ca.bundle) as store:
        status, report = _check(store, python, "--host", "localhost:%d" % port)
    assert status == 1
    fix = _fix(report, "code")
    assert "truststore.inject_into_ssl()" in fix["lines"]["python"]
    assert fix["verified"] is True, fix["evidence"]
    assert "with truststore injected" in fix["evidence"]
    assert {"requests", "httpx"} <= set(fix["clients"])


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_without_truststore_installed_its_fix_is_not_claimed(ca: GeneratedCA, port: int) -> None:
    """truststore absent: the code fix says it was not tried and why, never that it works."""
    python = venvs.clients_venv()
    with os_store.os_store_with(ca.bundle) as store:
        _, report = _check(store, python, "--host", "localhost:%d" % port)
    fix = _fix(report, "code")
    assert fix["verified"] is None
    assert "truststore is not installed" in fix["evidence"]
