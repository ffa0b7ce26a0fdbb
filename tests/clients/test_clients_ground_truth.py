"""Real client libraries against a loopback server: the harness reproduces the measured rows of CLIENTS.md here.

The verdicts of the scenarios (S1, S2, S4, ...) are the session's one measurement (`truth`), which
test_clients_predicted.py holds cadoctor's prediction against.
"""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest
from helpers import clients, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA, make_ca

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the measured rows are Linux (Debian) ones"
)

# CLIENTS.md, main table, columns S1 (root only in the OS store), S2 (only in SSL_CERT_FILE) and S4 (only in
# REQUESTS_CA_BUNDLE), for the clients venv (certifi installed: rows botocore+certifi and httplib2+certifi).
EXPECTED: dict[str, dict[str, str]] = {
    "S1": {
        "urllib": "Y",
        "http.client": "Y",
        "requests": "N",
        "httpx": "N",
        "urllib3": "Y",
        "aiohttp": "Y",
        "botocore": "N",
        "grpcio": "N",
        "httplib2": "N",
        "pip": "Y" if sys.version_info >= (3, 10) else "N",  # pip turns its truststore off below Python 3.10
        "websockets": "Y",
        "tornado": "Y",
    },
    "S2": {
        "urllib": "Y",
        "http.client": "Y",
        "requests": "N",
        "httpx": "Y",
        "urllib3": "Y",
        "aiohttp": "Y",
        "botocore": "N",
        "grpcio": "N",
        "httplib2": "N",
        "pip": "Y" if sys.version_info >= (3, 10) else "N",  # SSL_CERT_FILE reaches pip through truststore only
        "websockets": "Y",
        "tornado": "Y",
    },
    "S4": {
        "urllib": "N",
        "http.client": "N",
        "requests": "Y",
        "httpx": "N",
        "urllib3": "N",
        "aiohttp": "N",
        "botocore": "Y",
        "grpcio": "N",
        "httplib2": "N",
        "pip": "Y",
        "websockets": "N",
        "tornado": "N",
    },
}


@pytest.fixture(scope="module")
def other_ca(tmp_path_factory: pytest.TempPathFactory) -> GeneratedCA:
    """An unrelated root, for variables that name a real bundle without the server's root."""
    return make_ca(tmp_path_factory.mktemp("ground-truth-other"), "cadoctor Unrelated Root")


@pytest.mark.slow
@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_s1_root_only_in_the_os_store(clients_python: Path, truth: clients.Measurements) -> None:
    """With the root only in a private copy of /etc/ssl/certs, OpenSSL-default clients and pip verify, no others."""
    assert {n: o.code for n, o in truth.matrix(clients_python, "S1").items()} == EXPECTED["S1"]


@pytest.mark.slow
@pytest.mark.index
def test_s2_root_only_in_ssl_cert_file(clients_python: Path, truth: clients.Measurements) -> None:
    """SSL_CERT_FILE reaches OpenSSL-default clients, httpx and pip, but not requests, botocore, grpcio or httplib2."""
    assert {n: o.code for n, o in truth.matrix(clients_python, "S2").items()} == EXPECTED["S2"]


@pytest.mark.slow
@pytest.mark.index
def test_s4_root_only_in_requests_ca_bundle(clients_python: Path, truth: clients.Measurements) -> None:
    """REQUESTS_CA_BUNDLE reaches requests, botocore and pip only."""
    assert {n: o.code for n, o in truth.matrix(clients_python, "S4").items()} == EXPECTED["S4"]


@pytest.mark.index
def test_grpcio_honours_only_its_own_roots_variable(clients_python: Path, truth: clients.Measurements) -> None:
    """GRPC_DEFAULT_SSL_ROOTS_FILE_PATH makes grpcio verify (Y); a missing one silently falls back to roots.pem (N)."""
    with_roots = truth.observe(clients_python, "grpcio", "grpc-roots")
    assert with_roots.code == "Y", with_roots
    assert "UNIMPLEMENTED" in with_roots.evidence
    missing = child_env(GRPC_DEFAULT_SSL_ROOTS_FILE_PATH=str(truth.ca.bundle.parent / "missing.pem"))
    assert clients.outcome(clients_python, "grpcio", truth.port, missing) == "N"


@pytest.mark.index
def test_botocore_bundle_depends_on_whether_certifi_is_importable(
    clients_python: Path, truth: clients.Measurements
) -> None:
    """botocore.httpsession.where() is certifi's bundle where certifi imports and botocore's own where it doesn't."""
    with_certifi = truth.says(clients_python, clients.BOTOCORE_WHERE)
    bare = venvs.botocore_without_certifi_venv()
    without = truth.says(bare, clients.BOTOCORE_WHERE)
    assert with_certifi.endswith("/certifi/cacert.pem"), with_certifi
    assert without.endswith("/botocore/cacert.pem"), without
    assert truth.outcome(bare, "botocore", "none") == "N"
    assert clients.outcome(bare, "botocore", truth.port, child_env(AWS_CA_BUNDLE=str(truth.ca.bundle))) == "Y"


@pytest.mark.index
def test_botocore_prefers_aws_ca_bundle_over_requests_ca_bundle(
    clients_python: Path, truth: clients.Measurements, other_ca: GeneratedCA
) -> None:
    """AWS_CA_BUNDLE > REQUESTS_CA_BUNDLE: only the first counts, in either order of right and wrong root."""
    right, wrong = str(truth.ca.bundle), str(other_ca.bundle)
    env = child_env(AWS_CA_BUNDLE=right, REQUESTS_CA_BUNDLE=wrong)
    assert clients.outcome(clients_python, "botocore", truth.port, env) == "Y"
    env = child_env(AWS_CA_BUNDLE=wrong, REQUESTS_CA_BUNDLE=right)
    assert clients.outcome(clients_python, "botocore", truth.port, env) == "N"


@pytest.mark.index
@pytest.mark.parametrize(
    ("client", "variables"),
    [
        pytest.param("requests", {"REQUESTS_CA_BUNDLE": "missing"}, id="requests-D2"),
        pytest.param("pip", {"REQUESTS_CA_BUNDLE": "missing"}, id="pip-D2"),
        pytest.param("httpx", {"SSL_CERT_FILE": "missing"}, id="httpx-D1"),
        pytest.param("botocore", {"AWS_CA_BUNDLE": "missing"}, id="botocore-D3"),
        pytest.param("httplib2", {"HTTPLIB2_CA_CERTS": "missing"}, id="httplib2-D3"),
    ],
)
def test_a_client_that_refuses_its_ca_setting_is_x(
    clients_python: Path, truth: clients.Measurements, tmp_path: Path, client: str, variables: dict[str, str]
) -> None:
    """A variable naming a missing file makes these clients raise: X."""
    env = child_env(**{k: str(tmp_path / v) if v else v for k, v in variables.items()})
    observed = clients.observe(clients_python, client, truth.port, env)
    assert observed.code == "X", observed


@pytest.mark.index
def test_botocore_empty_requests_ca_bundle_is_an_error_or_no_verification(
    clients_python: Path, truth: clients.Measurements
) -> None:
    """REQUESTS_CA_BUNDLE='' raises (X) where botocore checks it (#3751), else turns verification off (Y)."""
    checked = truth.says(
        clients_python,
        "import botocore, botocore.endpoint as e; print(hasattr(e.EndpointCreator, '_validate_verify_value'))",
    )
    observed = clients.observe(clients_python, "botocore", truth.port, child_env(REQUESTS_CA_BUNDLE=""))
    assert observed.code == ("X" if checked == "True" else "Y"), observed
    assert truth.outcome(clients_python, "botocore", "none") == "N"


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_pip_24_1_trusts_only_its_vendored_certifi(truth: clients.Measurements) -> None:
    """pip 24.1.2 ignores the OS store (S1 = N) and takes REQUESTS_CA_BUNDLE (S4 = Y)."""
    old = venvs.old_pip_venv()
    assert truth.outcome(old, "pip", "S1") == "N"
    assert truth.outcome(old, "pip", "S4") == "Y"


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_pip_system_certs_makes_requests_trust_the_os_store(truth: clients.Measurements) -> None:
    """With pip-system-certs 5 in the venv, requests verifies against the OS store (S1 = Y) and SSL_CERT_FILE (S2)."""
    injected = venvs.pip_system_certs_venv()
    assert truth.outcome(injected, "requests", "S1") == "Y"
    assert truth.outcome(injected, "requests", "S2") == "Y"


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_the_private_os_store_never_touches_the_real_one(ca: GeneratedCA) -> None:
    """Inside the namespace the copy (bundle and hashed link) is /etc/ssl/certs; outside nothing changed at all."""
    before = os_store.snapshot()
    with os_store.os_store_with(ca.bundle) as store:
        stem = os_store.subject_hash(ca.bundle)
        listing = store.run(["/bin/sh", "-c", "ls /etc/ssl/certs"], child_env())
        assert listing.returncode == 0, listing.stderr
        assert "%s.0" % stem in listing.stdout.split()
        assert not (os_store.SYSTEM_CERTS / ("%s.0" % stem)).exists()
        assert os_store.snapshot() == before
        assert os_store.snapshot(store.directory) != before
    assert os_store.snapshot() == before
    done = os_store.run_in_os_store(["/bin/cat", "/etc/ssl/certs/ca-certificates.crt"], child_env(), [ca.bundle])
    assert done.returncode == 0, done.stderr
    assert ca.bundle.read_text().strip() in done.stdout
    assert os_store.snapshot() == before


@pytest.mark.index
@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
def test_without_hash_links_only_the_bundle_file_finds_the_root(
    clients_python: Path, truth: clients.Measurements
) -> None:
    """RHEL-like store: urllib verifies through the bundle, but not when SSL_CERT_FILE leaves it the hashed dir."""
    python, port = clients_python, truth.port
    elsewhere = child_env(SSL_CERT_FILE="/nonexistent/cadoctor.pem")  # D1: capath alone remains
    assert truth.outcome(python, "urllib", "S1") == "Y"  # Debian's store: the bundle and the hashed links
    assert clients.outcome(python, "urllib", port, elsewhere, prefix=truth.prefix("S1")) == "Y"
    with os_store.os_store_with(truth.ca.bundle, hash_links=False) as rhel:
        assert sorted(p.name for p in rhel.directory.iterdir()) == [os_store.SYSTEM_BUNDLE_NAME]
        assert clients.outcome(python, "urllib", port, child_env(), prefix=rhel.prefix) == "Y"
        assert clients.outcome(python, "urllib", port, elsewhere, prefix=rhel.prefix) == "N"


@pytest.mark.index
def test_a_refused_connection_is_a_harness_error_not_a_verdict(clients_python: Path) -> None:
    """Nothing listening is neither Y, N nor X: outcome raises OutcomeError instead of guessing."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with pytest.raises(clients.OutcomeError, match="not about certificates"):
        clients.outcome(clients_python, "requests", closed, child_env())
