"""Kinds of CA values and what the rules make of them: the kind a value's facts give, settings judged as variables,
values that turn verification off, uv's two variables, injectors, google-auth's second transport.
"""

from __future__ import annotations

import pytest
from helpers.records import (
    CERTIFI,
    PRIVATE,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    distribution,
    missing,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._model import Bundle, Client, Facts, Finding, Injector, Setting, Severity
from cadoctor._record import replace
from cadoctor._rules import trust
from cadoctor._rules.client_values import kind_of, resolved
from cadoctor._rules.clients import client_findings, judge


def judged(examined: Facts, name: str) -> Client:
    """The judged client of that name."""
    return next(c for c in judge(examined) if c.name == name)


@pytest.mark.parametrize(
    ("value", "target", "light", "kind"),
    [
        (None, None, False, "unset"),
        ("", None, False, "empty"),
        ("/srv/ca.pem", bundle("/srv/ca.pem"), False, "file"),
        ("/srv/ca.pem", bundle("/srv/ca.pem", size=0, certificates=0), False, "file without certificates"),
        ("/srv/ca.pem", bundle("/srv/ca.pem", certificates=0, marked=2), False, "file without certificates"),
        ("/srv/ca.pem", bundle("/srv/ca.pem", parsed=False, certificates=0), True, "file"),  # not read: its size
        ("/srv/ca.pem", missing("/srv/ca.pem"), False, "missing"),
        ("/srv/ca.pem", None, False, "missing"),  # everything was looked at, and not this: it is not there
        ("/srv/ca.pem", None, True, "file"),  # a light look takes it at its word
        ("/srv/fifo", Bundle("/srv/fifo", (), "other", "fifo"), False, "FIFO or device"),
        ("/dev/zero", Bundle("/dev/zero", (), "other", "char-device"), False, "FIFO or device"),
        ("/srv/d", directory("/srv/d"), False, "hashed folder"),
        ("/srv/d", directory("/srv/d", hash_links=0, unlinked=2), False, "unhashed folder"),
        ("/srv/d", directory("/srv/d", hash_links=0), False, "empty folder"),
        ("/srv/d", directory("/srv/d", hash_links=3, hash_mismatches=3), False, "unhashed folder"),
        ("/srv/l", Bundle("/srv/l", (), "other", "symlink-loop", error="loop"), False, "unreadable"),
        ("ca.pem", Bundle("ca.pem", (), "other", "relative"), False, "relative"),
    ],
)
def test_a_value_has_the_kind_its_facts_give(value: str | None, target: Bundle | None, light: bool, kind: str) -> None:
    """Each kind of value comes from what the facts recorded of its path (or from not finding it)."""
    assert kind_of(value, target, light) == kind


def test_a_relative_path_is_the_working_directorys_when_it_is_known() -> None:
    """ca.pem from /srv/app is /srv/app/ca.pem; without a working directory it stays as it is."""
    assert resolved("ca.pem", "/srv/app") == "/srv/app/ca.pem"
    assert resolved("ca.pem", None) == "ca.pem"
    assert resolved("/etc/ca.pem", "/srv/app") == "/etc/ca.pem"


def test_a_stale_ca_bundle_setting_is_an_error_for_botocore_as_the_variable_would_be() -> None:
    """`ca_bundle` naming a missing file: botocore raises, and env-path-invalid says so, naming the file it is in."""
    examined = with_bundles(
        with_clients(
            ("botocore", "1.44.8"), settings=(Setting("botocore", "ca_bundle", "/srv/gone.pem", "/home/u/.aws/config"),)
        ),
        missing("/srv/gone.pem"),
    )
    assert judged(examined, "botocore").trust.effect == "raises"
    (finding,) = list(trust.env_path_invalid(examined))
    assert (finding.severity, finding.evidence["setting"], finding.evidence["variable"]) == (
        Severity.ERROR,
        "/home/u/.aws/config",
        "aws config ca_bundle",
    )
    assert finding.evidence["clients"]["botocore"].startswith("raises botocore.exceptions.SSLError")


def test_an_empty_value_turns_old_botocore_off_and_is_its_own_error() -> None:
    """REQUESTS_CA_BUNDLE='': botocore 1.29 verifies nothing (verification-disabled), requests ignores it."""
    examined = with_environment(with_clients(("botocore", "1.29.27"), ("requests", "2.32.3")), REQUESTS_CA_BUNDLE="")
    assert judged(examined, "botocore").verdict == "verifies no certificate: REQUESTS_CA_BUNDLE=''"
    assert judged(examined, "requests").trust.effect is None
    (finding,) = [f for f in client_findings(examined) if f.code == "verification-disabled"]
    assert finding == Finding(
        "verification-disabled",
        Severity.ERROR,
        "REQUESTS_CA_BUNDLE='' makes botocore 1.29.27 verify no certificate at all: any server is accepted "
        "(requests ignores it (as if unset))",
        {
            "variable": "REQUESTS_CA_BUNDLE",
            "value": "",
            "setting": None,
            "clients": [{"name": "botocore", "version": "1.29.27", "family": "botocore<1.43.54"}],
        },
    )
    assert list(trust.env_path_invalid(examined)) == []  # verification-disabled says it, once


def test_an_empty_curl_ca_bundle_turned_requests_before_2_28_off_and_not_after() -> None:
    """CURL_CA_BUNDLE='' (psf/requests#6071): requests 2.27 verifies nothing; 2.28 treats it as unset."""
    old = with_environment(with_clients(("requests", "2.27.1")), CURL_CA_BUNDLE="")
    new = with_environment(with_clients(("requests", "2.28.0")), CURL_CA_BUNDLE="")
    assert judged(old, "requests").trust.effect == "verification off"
    assert judged(new, "requests").trust.effect is None
    set_first = with_environment(old, REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE)
    assert judged(set_first, "requests").trust.effect is None


def test_uv_loads_both_ssl_cert_file_and_ssl_cert_dir() -> None:
    """uv 0.13 with both variables set (this machine's default) takes the file and the folder, not one of them."""
    examined = with_environment(with_clients(("uv", "0.13.9")), SSL_CERT_FILE=SYSTEM_BUNDLE, SSL_CERT_DIR="/srv/certs")
    examined = with_bundles(examined, directory("/srv/certs"))
    uv = judged(examined, "uv").trust
    assert (uv.kind, uv.path, uv.also, uv.effect) == ("variable", SYSTEM_BUNDLE, ("/srv/certs",), None)


def test_a_missing_ssl_cert_file_fails_uv_closed_but_its_folder_still_loads() -> None:
    """uv >= 0.12: SSL_CERT_FILE missing drops the default roots; SSL_CERT_DIR's certificates still load."""
    examined = with_bundles(
        with_environment(with_clients(("uv", "0.13.9")), SSL_CERT_FILE="/srv/gone", SSL_CERT_DIR="/srv/certs"),
        missing("/srv/gone"),
        directory("/srv/certs"),
    )
    assert judged(examined, "uv").trust.path == "/srv/certs"
    alone = with_bundles(
        with_environment(with_clients(("uv", "0.13.9")), SSL_CERT_FILE="/srv/gone"), missing("/srv/gone")
    )
    assert judged(alone, "uv").trust.effect == "yields nothing"


def test_httpx_before_0_28_takes_an_empty_ssl_cert_dir_as_the_working_directory() -> None:
    """Path('') is '.': httpx 0.27's CA folder is the process's working directory."""
    examined = with_environment(with_clients(("httpx", "0.27.2")), SSL_CERT_DIR="")
    examined = replace(examined, runtime=replace(examined.runtime, cwd="/srv/app"))
    httpx = judged(examined, "httpx").trust
    assert (httpx.kind, httpx.path, httpx.source) == ("variable", "/srv/app", "SSL_CERT_DIR")


@pytest.mark.parametrize(("version", "adds"), [("5.3", True), ("4.0", False)])
def test_pip_system_certs_5_adds_requests_variable_and_4_drops_it(version: str, adds: bool) -> None:
    """With pip-system-certs, requests trusts the OS store; 5 adds REQUESTS_CA_BUNDLE to it, 4 clears it."""
    pth = "/srv/app/venv/lib/python3.12/site-packages/pip-system-certs.pth"
    examined = with_bundles(
        with_environment(
            with_clients(
                ("requests", "2.34.2"),
                ("pip-system-certs", version),
                injectors=(Injector("pip-system-certs", pth, "import pip_system_certs.bootstrap"),),
            ),
            REQUESTS_CA_BUNDLE=PRIVATE,
        ),
        bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE"),
    )
    requests = judged(examined, "requests").trust
    assert requests.kind == "truststore"
    assert requests.also == ((PRIVATE,) if adds else ())


@pytest.mark.parametrize(("certifi", "kind"), [(True, "certifi"), (False, "openssl-defaults")])
def test_google_auths_urllib3_transport_is_certifi_when_it_imports_else_pythons_own(certifi: bool, kind: str) -> None:
    """google-auth brings two clients: AuthorizedSession (requests' rules) and the urllib3 transport."""
    examined = with_clients(("google-auth", "2.63.0"), ("requests", "2.34.2"), certifi=certifi)
    names = [c.name for c in judge(examined)]
    assert {"google-auth", "google-auth/urllib3"} <= set(names)
    transport = judged(examined, "google-auth/urllib3")
    assert transport.trust.kind == kind
    assert transport.variables == (() if certifi else ("SSL_CERT_FILE", "SSL_CERT_DIR"))


def test_a_distribution_without_a_row_and_a_client_without_its_library_keep_their_own_row() -> None:
    """azure-core without requests installed keeps its own readings (requests' current ones)."""
    examined = with_clients(certifi=True, distributions=(distribution("azure-core", "1.41.0"),))
    assert judged(examined, "azure-core").trust.path == CERTIFI
