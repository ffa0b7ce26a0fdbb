"""The client rules' answers: the stores a handshake cannot speak for, each client's verdict on a host, and the
findings about clients (a host one fails, local roots lacking, variables ignored or replacing a store).
"""

from __future__ import annotations

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAFILE,
    PRIVATE,
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    facts,
    host,
    missing,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._model import Bundle, Client, ClientTrust, Finding, HostClient, Injector, Severity, StoreVerdict
from cadoctor._record import replace
from cadoctor._rules.clients import client_findings, host_verdicts, injector_findings, own_stores, path_effects

UV_BINARY_ROOTS = "/srv/app/venv/lib/python3.12/site-packages/certifi/mozilla.pem"
CORP = frozenset({"corp-root"})


def client(
    name: str, kind: str, path: str | None = None, also: tuple[str, ...] = (), stand_in: str | None = None
) -> Client:
    """A judged client with a store of that kind."""
    return Client(name, "1.0", name, ClientTrust(kind, path, 140, "default", also, stand_in), (), "")


# own_stores, path_effects


def test_own_stores_are_every_store_besides_the_os_one_once() -> None:
    """The paths a handshake of the default context cannot speak for: own bundles, additions, stand-ins."""
    clients = (
        client("urllib", "openssl-defaults", COMPILED_CAFILE, also=(PRIVATE,)),
        client("requests", "certifi", CERTIFI),
        client("httpx", "certifi", CERTIFI),
        client("uv", "compiled-in", None, stand_in=UV_BINARY_ROOTS),
        client("broken", "missing", "/srv/gone"),
        client("pip", "truststore", COMPILED_CAFILE),
    )
    assert own_stores(clients) == [PRIVATE, CERTIFI, UV_BINARY_ROOTS]


def test_path_effects_name_each_client_by_its_own_rule() -> None:
    """A value's effect per client: ignored by those that do not read it, else what their reading does with it."""
    examined = with_bundles(
        with_environment(
            with_clients(
                ("requests", "2.32.3"), ("httpx", "0.27.0"), ("uv", "0.13.9"), ("httpx2", "2.1.0"), ("left-pad", "1.0")
            ),
            SSL_CERT_FILE="/srv/gone",
        ),
        missing("/srv/gone"),
    )
    assert path_effects(examined, "SSL_CERT_FILE") == {
        "requests": "ignores it",
        "httpx": "ignores it (as if unset)",
        "uv": "trusts nothing from it nor from its default roots",
        "httpx2": "raises FileNotFoundError, IsADirectoryError or ssl.SSLError building the client",
    }
    grpc = with_environment(with_clients(("grpcio", "1.66.0"), certifi=False), SSL_CERT_FILE="/srv/gone")
    assert path_effects(grpc, "SSL_CERT_FILE") == {"grpcio": "ignores it"}


def test_a_failure_that_is_not_about_trust_fails_every_client_alike() -> None:
    """A name mismatch fails each client with the same reason, whatever its store; no TLS answer judges none."""
    mismatch = host("host-hostname-mismatch", verify_message="Hostname mismatch")
    clients = (client("urllib", "openssl-defaults"), client("requests", "certifi", CERTIFI))
    assert host_verdicts(mismatch, clients) == (
        HostClient("urllib", False, "Hostname mismatch"),
        HostClient("requests", False, "Hostname mismatch"),
    )
    unreachable = host("host-unreachable", verify_message=None, reason=None, error="connection refused")
    assert host_verdicts(unreachable, clients[:1]) == (
        HostClient("urllib", None, "no TLS answer (connection refused)"),
    )


def test_os_store_clients_take_the_handshake_answer_or_a_file_they_add() -> None:
    """Clients on the OS store pass when the handshake did, or when a file they add verifies the chain."""
    failed = host("host-unknown-ca", stores=(StoreVerdict(PRIVATE, True),))
    clients = (
        client("urllib", "openssl-defaults"),
        client("pip", "truststore", also=(PRIVATE,)),
        client("grpc", "system", also=("/srv/other.pem",)),
    )
    assert host_verdicts(failed, clients) == (
        HostClient("urllib", False, "unable to get local issuer certificate"),
        HostClient("pip", True, None),
        HostClient("grpc", False, "unable to get local issuer certificate"),
    )
    assert host_verdicts(host(None), clients[:1]) == (HostClient("urllib", True, None),)


def test_own_store_clients_take_the_offline_verdict_against_their_store() -> None:
    """Clients with their own store get that store's verdict, or None with the reason it was not checked."""
    checked = host(
        None,
        stores=(StoreVerdict(CERTIFI, False, "unable to get local issuer certificate"), StoreVerdict(PRIVATE, True)),
    )
    clients = (
        client("requests", "certifi", CERTIFI),
        client("botocore", "variable", PRIVATE),
        client("httplib2", "own-bundle", "/srv/unchecked.pem"),
        client("broken", "missing"),
    )
    assert host_verdicts(checked, clients) == (
        HostClient("requests", False, "unable to get local issuer certificate (against %s)" % CERTIFI),
        HostClient("botocore", True, None),
        HostClient("httplib2", None, "its store was not checked"),
        HostClient("broken", False, "its CA setting is unusable"),
    )
    unchecked = replace(checked, stores=(), stores_problem="the verifier could not run")
    assert host_verdicts(unchecked, clients[:1]) == (HostClient("requests", None, "the verifier could not run"),)


def test_compiled_in_roots_are_judged_by_mozillas_set_standing_in() -> None:
    """uv's compiled-in roots are judged against certifi's copy of Mozilla's set, when it was checked."""
    uv = (client("uv", "compiled-in", stand_in=UV_BINARY_ROOTS),)
    refused = host(None, stores=(StoreVerdict(UV_BINARY_ROOTS, False, "self-signed certificate in chain"),))
    assert host_verdicts(refused, uv) == (
        HostClient(
            "uv",
            False,
            "self-signed certificate in chain (against %s: Mozilla's set, standing in for the roots compiled into it)"
            % UV_BINARY_ROOTS,
        ),
    )
    accepted = host(None, stores=(StoreVerdict(UV_BINARY_ROOTS, True),))
    assert host_verdicts(accepted, uv) == (HostClient("uv", True, None),)
    assert host_verdicts(host(None), uv) == (
        HostClient("uv", None, "roots compiled into the binary: not checked here"),
    )


# client_findings


def test_a_host_the_default_context_verified_but_a_client_fails_is_an_error() -> None:
    """The handshake passed, but requests (certifi) would not: client-host-fails names it with its reason."""
    checked = host(None, stores=(StoreVerdict(CERTIFI, False, "unable to get local issuer certificate"),))
    examined = with_clients(("requests", "2.32.3"), hosts=(checked, host("host-hostname-mismatch")))
    reason = "unable to get local issuer certificate (against %s)" % CERTIFI
    assert [f for f in client_findings(examined) if f.code == "client-host-fails"] == [
        Finding(
            "client-host-fails",
            Severity.ERROR,
            "app.example.test verified with the default context, but requests would fail it: requests: %s" % reason,
            {"target": "app.example.test", "clients": [{"name": "requests", "reason": reason}]},
        )
    ]


def test_a_variable_a_client_ignores_is_a_warning_when_it_names_roots_that_client_lacks() -> None:
    """REQUESTS_CA_BUNDLE with a private root: urllib ignores it and lacks that root, so the root stays untrusted."""
    examined = with_bundles(
        with_environment(with_clients(), REQUESTS_CA_BUNDLE=PRIVATE),
        bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", identities=PUBLIC_ROOTS | CORP),
    )
    assert [f for f in client_findings(examined) if f.code == "client-variable-ignored"] == [
        Finding(
            "client-variable-ignored",
            Severity.WARNING,
            "REQUESTS_CA_BUNDLE is set, but urllib (stdlib) ignores it (urllib (stdlib) reads SSL_CERT_FILE > "
            "SSL_CERT_DIR): the certificates it names that they lack stay untrusted there",
            {"variable": "REQUESTS_CA_BUNDLE", "path": PRIVATE, "clients": ["urllib (stdlib)"]},
        )
    ]


def test_a_variable_ignored_by_clients_with_their_own_copy_is_info_when_it_adds_nothing() -> None:
    """httplib2 and botocore keep certifi; a REQUESTS_CA_BUNDLE holding the same roots is only info."""
    examined = with_environment(
        with_clients(("httplib2", "0.22.0"), ("botocore", "1.35.0")), REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE
    )
    (finding,) = [f for f in client_findings(examined) if f.code == "client-variable-ignored"]
    assert finding.severity == Severity.INFO
    assert finding.summary == ("REQUESTS_CA_BUNDLE is set, but httplib2 ignores it (httplib2 reads HTTPLIB2_CA_CERTS)")
    assert finding.evidence["clients"] == ["httplib2"]  # botocore reads REQUESTS_CA_BUNDLE itself


def test_no_client_is_deaf_when_each_honours_a_variable_set_or_uses_truststore() -> None:
    """A client that honours another variable set, or trusts through truststore, is not called deaf."""
    examined = with_environment(
        with_clients(("pip", "24.2"), ("requests", "2.32.3")),
        REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE,
        SSL_CERT_FILE=SYSTEM_BUNDLE,
    )
    assert [f for f in client_findings(examined) if f.code == "client-variable-ignored"] == []


def test_a_variable_that_replaces_a_store_with_only_private_roots_is_a_warning() -> None:
    """requests told to use a file of one private root fails every public site."""
    examined = with_bundles(
        with_environment(with_clients(("requests", "2.32.3"), ("httpx", "0.28.1")), REQUESTS_CA_BUNDLE=PRIVATE),
        bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", certificates=1, identities=CORP),
    )
    assert [f for f in client_findings(examined) if f.code == "client-variable-replaces"] == [
        Finding(
            "client-variable-replaces",
            Severity.WARNING,
            "REQUESTS_CA_BUNDLE=%s holds 1 certificates and none of the public roots, and it replaces the whole "
            "store of requests: public sites fail there" % PRIVATE,
            {"variable": "REQUESTS_CA_BUNDLE", "path": PRIVATE, "clients": ["requests"]},
        )
    ]


@pytest.mark.parametrize(
    "target",
    [
        bundle(PRIVATE, certificates=1, identities=CORP | {"public-root-1"}),  # it keeps a public root
        bundle(PRIVATE, certificates=1, identities=CORP, parsed=False),  # not read
    ],
)
def test_a_replacing_variable_keeping_public_roots_or_unread_is_no_finding(target: Bundle) -> None:
    """A private bundle that also holds a public root, or was not read, is not said to break public sites."""
    examined = with_bundles(with_environment(with_clients(("requests", "2.32.3")), REQUESTS_CA_BUNDLE=PRIVATE), target)
    assert [f for f in client_findings(examined) if f.code == "client-variable-replaces"] == []


def test_without_certifi_there_is_no_yardstick_for_replacement() -> None:
    """No certifi and no OS bundle file: which roots are public is not known, so nothing is said; the OS's serves."""
    examined = with_bundles(
        with_environment(with_clients(("requests", "2.32.3"), certifi=False), REQUESTS_CA_BUNDLE=PRIVATE),
        bundle(PRIVATE, certificates=1, identities=CORP),
    )
    without_os = replace(examined, bundles=tuple(b for b in examined.bundles if "system" not in b.roles))
    assert [f for f in client_findings(without_os) if f.code == "client-variable-replaces"] == []
    assert [f.code for f in client_findings(examined) if f.code == "client-variable-replaces"] == [
        "client-variable-replaces"
    ]


@pytest.mark.parametrize(
    ("name", "tail"),
    [
        ("pip-system-certs", "; pip-system-certs before 5 also ignores verify= paths and the CA variables"),
        ("truststore", ""),
    ],
)
def test_an_injector_is_info_with_its_line(name: str, tail: str) -> None:
    """A .pth that injects truststore is client-injector, info, with pip-system-certs' older quirk named."""
    pth = "/srv/site/%s.pth" % name
    examined = facts(injectors=(Injector(name, pth, "import x"),))
    assert list(injector_findings(examined)) == [
        Finding(
            "client-injector",
            Severity.INFO,
            "%s (%s) injects truststore into every interpreter start of this environment: its clients trust the "
            "OS store%s" % (name, pth, tail),
            {"injector": name, "path": pth, "line": "import x"},
        )
    ]
