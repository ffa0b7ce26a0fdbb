"""Fixes for clients whose own store lacks the local roots: the fewest variables that reach them, and truststore."""

from __future__ import annotations

import pytest
from helpers.records import (
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    distribution,
    facts,
    local_root,
    with_bundles,
    with_environment,
)

from cadoctor._fixes.clients import client_fixes
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Facts, Finding, Fix, LocalRoot, Severity

CORP = local_root("CN=Corp Root", "corp-root")
TRUSTSTORE_CODE = (
    "import truststore\ntruststore.inject_into_ssl()  # first thing in the program, before any client object is built\n"
)


def lacking(*clients: str) -> Finding:
    """client-lacks-local-roots naming these clients, as the client rules give it."""
    return Finding("client-lacks-local-roots", Severity.WARNING, "", {"clients": [{"name": name} for name in clients]})


def installed(*clients: tuple[str, str], roots: tuple[LocalRoot, ...] = (CORP,)) -> Facts:
    """These clients installed, local roots the OS bundle holds (it is a bundle a fix may name)."""
    return with_bundles(
        facts(distributions=tuple(distribution(n, v) for n, v in clients), local_roots=roots),
        bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS | {"corp-root"}),
    )


def test_one_variable_that_several_clients_read_covers_them_all() -> None:
    """requests and botocore both read REQUESTS_CA_BUNDLE: one variable, tried with the local roots as samples."""
    examined = installed(("requests", "2.32.3"), ("botocore", "1.35.0"))
    change: dict[str, str | None] = {"REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE}
    assert client_fixes(examined, (lacking("requests", "botocore"),)) == [
        Fix(
            "env",
            "Point REQUESTS_CA_BUNDLE at %s (140 certificates, the local roots included) for botocore, requests"
            % SYSTEM_BUNDLE,
            ("client-lacks-local-roots",),
            env=change,
            lines=env_lines(change),
            clients=("botocore", "requests"),
            trial_samples=(CORP.der,),
        ),
        Fix(
            "code",
            "Let requests, botocore trust the OS store: truststore.inject_into_ssl() before any client is built (pip "
            "install truststore)",
            ("client-lacks-local-roots",),
            lines={"python": TRUSTSTORE_CODE},
            clients=("requests", "botocore"),
            inject="truststore",
            evidence="not tried: without a host, a trial cannot show what truststore changes",
        ),
    ]
    assert client_fixes(examined, (lacking("requests", "botocore"),))[0].trial_samples == (CORP.der,)  # not compared


def test_a_variable_already_set_is_never_overwritten() -> None:
    """REQUESTS_CA_BUNDLE set by someone: it shadows CURL_CA_BUNDLE for requests, so only botocore is reached."""
    examined = with_environment(installed(("requests", "2.32.3"), ("botocore", "1.35.0")), REQUESTS_CA_BUNDLE="/srv/x")
    env, _code = client_fixes(examined, (lacking("requests", "botocore"),))
    assert env.env == {"AWS_CA_BUNDLE": SYSTEM_BUNDLE}
    assert env.summary.startswith("Point AWS_CA_BUNDLE at ")
    assert env.clients == ("botocore",)


def test_clients_outside_the_ssl_module_get_no_truststore_fix() -> None:
    """grpcio and uv verify without Python's ssl: injecting truststore would not reach them."""
    examined = installed(("grpcio", "1.66.0"), ("uv", "0.5.4"))
    (env,) = client_fixes(examined, (lacking("grpcio", "uv"),))
    # uv 0.5 knows UV_NATIVE_TLS only (UV_SYSTEM_CERTS came in 0.11: the client table's rows)
    assert env.env == {"GRPC_DEFAULT_SSL_ROOTS_FILE_PATH": SYSTEM_BUNDLE, "UV_NATIVE_TLS": "1"}
    assert env.clients == ("grpcio", "uv")


def test_without_a_sample_or_a_host_the_env_fix_cannot_be_tried_and_is_not_offered() -> None:
    """Local roots known only by name (no certificate bytes) and no host: only the truststore code remains."""
    nameless = LocalRoot("CN=Corp Root", (SYSTEM_BUNDLE,), identity="corp-root")
    examined = installed(("requests", "2.32.3"), roots=(nameless,))
    assert [fix.kind for fix in client_fixes(examined, (lacking("requests"),))] == ["code"]


@pytest.mark.parametrize(
    "examined",
    [
        installed(("requests", "2.32.3"), roots=(local_root("CN=Lab", "lab-root"),)),  # the OS bundle lacks it too
        facts(distributions=(distribution("requests", "2.32.3"),), local_roots=(CORP,)),  # holds it? not known
    ],
)
def test_no_fix_without_a_system_bundle_holding_every_local_root(examined: Facts) -> None:
    """The variables must point at a bundle with the public and the local roots; without one, nothing is offered."""
    assert client_fixes(examined, (lacking("requests"),)) == []


def test_no_client_finding_means_no_client_fix() -> None:
    """Other findings do not call for client fixes."""
    examined = installed(("requests", "2.32.3"))
    assert client_fixes(examined, (Finding("client-injector", Severity.INFO, "", {}),)) == []
