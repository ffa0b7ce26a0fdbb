"""The client matrix's cells that cadoctor got wrong before issue 23, each against the real client on loopback.

pip-system-certs 5 with REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE or PIP_CERT (truststore is injected, and what the
client loads is added to it); google-auth's urllib3 transport with REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE (it reads
no variable while certifi imports); pip's `PIP_USE_DEPRECATED=legacy-certs`; grpc's
`GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK`; uv's system certificates with an empty or a missing SSL_CERT_FILE.
For each, the real client's outcome (Y/N/X) is measured and cadoctor's verdict on the same host compared with it.
"""

from __future__ import annotations

import json
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

# google-auth's AuthorizedHttp builds its PoolManager here when none is given: certifi's bundle when certifi imports.
GOOGLE_AUTH_URLLIB3 = """
import sys, google.auth.transport.urllib3 as transport
http = transport._make_default_http()
try:
    http.request("GET", "https://localhost:%s/" % sys.argv[1], retries=False, timeout=10)
    print("Y")
except Exception as exc:
    print("N" if "CERTIFICATE_VERIFY_FAILED" in repr(exc) else "?: %r" % exc)
"""


def _predicted(python: Path, port: int, env: dict[str, str], prefix: Sequence[str] = ()) -> dict[str, Any]:
    """`cadoctor check --python <venv> --host` as JSON: each client's trust and its verdict on the host."""
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
    report: dict[str, Any] = json.loads(done.stdout)
    validate(report, "report-v1.json")
    verdicts = {c["name"]: c["ok"] for c in report["hosts"][0]["clients"]}
    return {c["name"]: {**c, "ok": verdicts.get(c["name"])} for c in report["clients"]}


def _agrees(predicted: dict[str, Any], real: str) -> bool:
    """A verdict agrees with the real client: accepted is Y, refused N, and X is a client said to raise."""
    if real == "X":
        return bool(predicted["trust"]["effect"] == "raises")
    return bool(predicted["ok"] is (real == "Y"))


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "PIP_CERT"])
def test_pip_system_certs_adds_what_a_variable_names_to_the_os_store(variable: str, port: int, ca: GeneratedCA) -> None:
    """With pip-system-certs 5, requests and pip load the variable's file on top of truststore: both verify."""
    python = venvs.pip_system_certs_venv()
    env = environment.child_env(**{variable: str(ca.bundle)})
    predicted = _predicted(python, port, env)
    for name in ("requests", "pip") if variable != "PIP_CERT" else ("pip",):
        real = clients.outcome(python, name, port, env)
        assert real == "Y", (name, real)
        assert _agrees(predicted[name], real), (name, predicted[name])


@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"])
def test_google_auths_urllib3_transport_reads_no_variable(variable: str, port: int, ca: GeneratedCA) -> None:
    """google-auth's urllib3 transport uses certifi and no variable: it fails where its requests transport verifies."""
    python = venvs.google_auth_venv()
    env = environment.child_env(**{variable: str(ca.bundle)})
    done = subprocess.run(
        [str(python), "-c", GOOGLE_AUTH_URLLIB3, str(port)],
        env=env,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT,
        check=False,
    )
    real = done.stdout.strip()
    assert real == "N", done.stdout + done.stderr
    predicted = _predicted(python, port, env)
    assert _agrees(predicted["google-auth/urllib3"], real)
    assert predicted["google-auth/urllib3"]["trust"]["kind"] == "certifi"
    assert predicted["google-auth"]["ok"] is True  # AuthorizedSession: requests' rules, the variable counts
    assert clients.outcome(python, "requests", port, env) == "Y"  # as requests itself does


def test_pip_legacy_certs_leaves_the_os_store_out(port: int, ca: GeneratedCA) -> None:
    """PIP_USE_DEPRECATED=legacy-certs: pip 26.3 trusts its vendored certifi alone, so a root only the OS has fails."""
    python = venvs.clients_venv()
    env = environment.child_env(PIP_USE_DEPRECATED="legacy-certs")
    with os_store.os_store_with(ca.bundle) as store:
        real = clients.outcome(python, "pip", port, env, prefix=store.prefix)
        predicted = _predicted(python, port, env, store.prefix)
    assert real == "N"
    assert _agrees(predicted["pip"], real)
    # before 3.10 pip has no truststore to leave out (it needs 3.10): its family says so, whatever the variable says
    legacy = "pip --use-deprecated=legacy-certs" if sys.version_info >= (3, 10) else "pip>=24.2 on Python<3.10"
    assert predicted["pip"]["family"] == legacy


def test_grpc_takes_the_os_store_when_told_to_prefer_it(port: int, ca: GeneratedCA) -> None:
    """GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK=true: grpcio 1.85 verifies a root only the OS store holds."""
    python = venvs.clients_venv()
    env = environment.child_env(GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK="true")
    with os_store.os_store_with(ca.bundle) as store:
        real = clients.outcome(python, "grpcio", port, env, prefix=store.prefix)
        predicted = _predicted(python, port, env, store.prefix)
    assert real == "Y"
    assert _agrees(predicted["grpcio"], real)


@pytest.mark.parametrize(
    ("value", "expected"),
    [("", "X"), ("missing", "N")],
    ids=["empty: No CA certificates were loaded", "missing: No default certificates will be trusted"],
)
def test_uv_system_certs_with_an_unusable_ssl_cert_file(
    value: str, expected: str, port: int, ca: GeneratedCA, tmp_path: Path
) -> None:
    """uv 0.13.9 with UV_SYSTEM_CERTS: an empty SSL_CERT_FILE is an error, a missing one drops the OS store."""
    python = venvs.uv_venv()
    path = str(tmp_path / "gone.pem") if value else ""
    env = environment.child_env(UV_SYSTEM_CERTS="1", SSL_CERT_FILE=path)
    with os_store.os_store_with(ca.bundle) as store:
        try:
            real = clients.outcome(python, "uv", port, env, prefix=store.prefix)
        except clients.OutcomeError as exc:  # the harness knows uv's refusals that name the variable only
            real = "X" if "No CA certificates were loaded from the system" in str(exc) else "?: %s" % exc
        predicted = _predicted(python, port, env, store.prefix)
    assert real == expected
    assert _agrees(predicted["uv"], real), predicted["uv"]
