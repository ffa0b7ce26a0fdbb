"""What cadoctor names as each client's store and its verdicts in a few setups, against the real library.

The verdicts per column of CLIENTS.md (S1-S5 and the rest) are test_client_matrix.py's; here, the store behind
them (the bundle botocore's where() returns, grpc's roots variable, pip 24.1's vendored certifi) and setups beyond
the columns. What the real clients do is the session's one measurement (`truth`), which
test_clients_ground_truth.py also holds to CLIENTS.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import clients, os_store, venvs
from helpers.environment import child_env
from helpers.pki import GeneratedCA
from helpers.runs import check_json, validate

pytestmark = pytest.mark.index  # the real clients' venvs from PyPI
NAMES = {"urllib (stdlib)": "urllib"}  # cadoctor's name of a client -> the harness's, where they differ


def _predicted(
    python: Path, port: int, env: dict[str, str], prefix: tuple[str, ...] = ()
) -> tuple[int, dict[str, bool | None]]:
    """`cadoctor check --python <venv> --host` as JSON: its exit status and each client's verdict on the host."""
    command = ["--no-verify", "--python", str(python), "--host", "localhost:%d" % port]
    status, report = check_json(env, *command, prefix=prefix)
    validate(report, "report-v1.json")
    return status, {NAMES.get(c["name"], c["name"]): c["ok"] for c in report["hosts"][0]["clients"]}


def _report(python: Path, env: dict[str, str]) -> dict[str, Any]:
    """`check --python` as JSON, validated against the schema."""
    _status, report = check_json(env, "--no-verify", "--python", str(python))
    validate(report, "report-v1.json")
    return report


def _clients_of(python: Path, env: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Each client of that interpreter by name."""
    return {c["name"]: c for c in _report(python, env)["clients"]}


def test_botocore_trusts_certifi_when_importable_and_its_own_bundle_otherwise(
    clients_python: Path, truth: clients.Measurements
) -> None:
    """The bundle cadoctor names for botocore is the one botocore.httpsession.where() returns, certifi or not."""
    env = child_env()
    for python in (clients_python, venvs.botocore_without_certifi_venv()):
        trust = _clients_of(python, env)["botocore"]["trust"]
        where = truth.says(python, clients.BOTOCORE_WHERE)  # the library itself, as the ground truth asked it
        assert trust["path"] == where
        assert trust["kind"] == ("certifi" if "/certifi/" in where else "own-bundle")


def test_grpc_follows_its_roots_variable(clients_python: Path, truth: clients.Measurements) -> None:
    """grpcio trusts its roots.pem, or the file GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names, as the real grpcio does."""
    assert _clients_of(clients_python, child_env())["grpcio"]["trust"]["path"].endswith("roots.pem")
    trust = _clients_of(clients_python, truth.env("grpc-roots"))["grpcio"]["trust"]
    assert (trust["kind"], trust["path"]) == ("variable", str(truth.ca.bundle))
    assert truth.outcome(clients_python, "grpcio", "grpc-roots") == "Y"  # and the real grpcio verifies with it


def test_pip_24_1_is_its_certifi_only_and_a_current_pip_reads_the_os_store(
    clients_python: Path, truth: clients.Measurements
) -> None:
    """pip 24.1 trusts its vendored certifi alone; the current pip trusts the OS store through truststore."""
    env = child_env()
    old_python = venvs.old_pip_venv()
    old = _clients_of(old_python, env)["pip"]
    assert (old["version"], old["trust"]["kind"]) == ("24.1.2", "own-bundle")
    assert old["trust"]["path"].endswith("pip/_vendor/certifi/cacert.pem")
    assert truth.outcome(old_python, "pip", "S2") == "N"  # the real pip 24.1 ignores what OpenSSL would read
    new = _clients_of(clients_python, env)["pip"]
    expected = "truststore" if sys.version_info >= (3, 10) else "own-bundle"  # pip turns truststore off below 3.10
    assert new["trust"]["kind"] == expected


def test_pip_system_certs_is_named_as_an_injector_and_moves_requests_to_the_os_store(
    truth: clients.Measurements,
) -> None:
    """pip-system-certs 5's .pth is found (not run) and requests in its venv is judged by truststore."""
    python = venvs.pip_system_certs_venv()
    report = _report(python, child_env())
    requests = next(c for c in report["clients"] if c["name"] == "requests")
    assert requests["trust"]["kind"] == "truststore"
    assert "client-injector" in {f["code"] for f in report["findings"]}
    assert truth.outcome(python, "requests", "S2") == "Y"  # the real requests there reads what OpenSSL reads


def test_a_corporate_only_ssl_cert_file_breaks_httpx_not_urllib(clients_python: Path, ca: GeneratedCA) -> None:
    """SSL_CERT_FILE with only a private root replaces httpx's store (public sites fail there), not urllib's."""
    report = _report(clients_python, child_env(SSL_CERT_FILE=str(ca.bundle)))
    replaces = [f for f in report["findings"] if f["code"] == "client-variable-replaces"]
    assert len(replaces) == 1
    assert "httpx" in replaces[0]["evidence"]["clients"]
    assert "urllib (stdlib)" not in replaces[0]["evidence"]["clients"]


@pytest.mark.root("a private mount namespace over /etc/ssl/certs")
@pytest.mark.parametrize(
    "switch",
    [{}, {"UV_SYSTEM_CERTS": "1"}, {"UV_NATIVE_TLS": "1"}, {"UV_CONFIG_FILE": "system-certs"}],
    ids=["compiled-in", "UV_SYSTEM_CERTS", "UV_NATIVE_TLS", "uv.toml"],
)
def test_uv_is_judged_as_the_real_uv_behaves(
    switch: dict[str, str], port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """uv 0.13.9 from PyPI: its compiled-in roots fail a root only the OS store has; each switch to it helps."""
    python = venvs.uv_venv()
    if switch.get("UV_CONFIG_FILE"):
        config = tmp_path / "uv.toml"
        config.write_text("system-certs = true\n")
        switch = {"UV_CONFIG_FILE": str(config)}
    env = child_env(**switch)
    with os_store.os_store_with(ca.bundle) as store:
        _, predicted = _predicted(python, port, env, store.prefix)
        real = clients.outcome(python, "uv", port, env, prefix=store.prefix)
    assert real == ("N" if not switch else "Y")
    assert predicted["uv"] is (real == "Y")


def test_botocore_reads_ca_bundle_from_its_config_file(
    clients_python: Path, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """`ca_bundle` in the AWS config file: the real botocore accepts the host, and cadoctor names that file."""
    config = tmp_path / "aws-config"
    config.write_text("[default]\nca_bundle = %s\n" % ca.bundle)
    env = child_env(AWS_CONFIG_FILE=str(config))
    status, predicted = _predicted(clients_python, port, env)
    assert clients.outcome(clients_python, "botocore", port, env) == "Y"
    assert predicted["botocore"] is True
    trust = _clients_of(clients_python, env)["botocore"]["trust"]
    assert (trust["path"], trust["source"]) == (str(ca.bundle), "aws config ca_bundle")
    assert status == 1  # the default context does not trust the private root: the host fails there
