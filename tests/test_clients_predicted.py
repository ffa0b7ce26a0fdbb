"""cadoctor's verdict per client against what the real clients do, on one loopback server, scenario by scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import artefacts
import clients
import pytest
from conftest import CHILD_TIMEOUT, GeneratedCA, make_ca

pytestmark = pytest.mark.slow
NAMES = {"urllib (stdlib)": "urllib"}  # cadoctor's name of a client -> the harness's, where they differ


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCA:
    """A private root that no store on the host holds."""
    return make_ca(tmp_path_factory.mktemp("predicted-ca"), "cadoctor Predicted Root")


@pytest.fixture(scope="module")
def port(ca: GeneratedCA) -> Iterator[int]:
    """The loopback server (HTTP/1.1 404, gRPC UNIMPLEMENTED) presenting a leaf from `ca`."""
    with clients.serve_clients(ca.cert, ca.key) as port:
        yield port


@pytest.fixture(scope="module")
def python() -> Path:
    """The venv with the real clients from PyPI."""
    return artefacts.clients_venv()


def _predicted(
    python: Path, port: int, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> tuple[int, dict[str, bool | None]]:
    """`cadoctor check --python <venv> --host` as JSON: its exit status and each client's verdict on the host."""
    command = ["check", "--format", "json", "--no-verify", "--python", str(python), "--host", "localhost:%d" % port]
    done = subprocess.run(
        [*prefix, sys.executable, "-m", "cadoctor", *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    return done.returncode, {NAMES.get(c["name"], c["name"]): c["ok"] for c in report["hosts"][0]["clients"]}


def _compare(python: Path, port: int, env: dict[str, str], prefix: tuple[str, ...] = ()) -> tuple[int, dict[str, str]]:
    """Every client both sides know: cadoctor's verdict must be the real client's (Y = accepted)."""
    status, predicted = _predicted(python, port, env, prefix)
    real = {
        name: clients.outcome(python, name, port, env, prefix=prefix) for name in predicted if name in clients.CLIENTS
    }
    assert len(real) >= 8, predicted
    wrong = {n: (predicted[n], real[n]) for n in real if predicted[n] is not (real[n] == "Y")}
    assert not wrong, "cadoctor (ok) vs the real client (Y/N/X): %r" % wrong
    return status, real


def test_s1_root_only_in_the_os_store(python: Path, port: int, ca: GeneratedCA) -> None:
    """Root only in the OS store: cadoctor says which clients fail (requests, httpx, botocore, grpcio) and exits 1."""
    with clients.os_store_with(ca.bundle) as store:
        status, real = _compare(python, port, clients.client_env(), store.prefix)
    assert real["urllib"] == "Y"
    assert real["requests"] == "N"
    assert status == 1  # client-host-fails: the default context verified a host that requests would fail


def test_s2_root_only_in_ssl_cert_file(python: Path, port: int, ca: GeneratedCA) -> None:
    """Root only in SSL_CERT_FILE: httpx and urllib accept it, requests and botocore do not, as cadoctor says."""
    _compare(python, port, clients.client_env(SSL_CERT_FILE=str(ca.bundle)))


def test_s3_root_only_in_a_hashed_ssl_cert_dir(python: Path, port: int, ca: GeneratedCA, tmp_path: Path) -> None:
    """Root only in a hashed SSL_CERT_DIR: the OpenSSL-default clients and httpx accept it."""
    directory = tmp_path / "certs"
    directory.mkdir()
    (directory / ("%s.0" % clients.subject_hash(ca.bundle))).write_bytes(ca.bundle.read_bytes())
    _compare(python, port, clients.client_env(SSL_CERT_DIR=str(directory)))


def test_s4_root_only_in_requests_ca_bundle(python: Path, port: int, ca: GeneratedCA) -> None:
    """Root only in REQUESTS_CA_BUNDLE: requests, botocore and pip accept it; urllib and httpx do not."""
    _compare(python, port, clients.client_env(REQUESTS_CA_BUNDLE=str(ca.bundle)))


def test_s5_root_only_in_curl_ca_bundle(python: Path, port: int, ca: GeneratedCA) -> None:
    """Root only in CURL_CA_BUNDLE: requests and pip accept it (after REQUESTS_CA_BUNDLE); botocore does not."""
    _compare(python, port, clients.client_env(CURL_CA_BUNDLE=str(ca.bundle)))
