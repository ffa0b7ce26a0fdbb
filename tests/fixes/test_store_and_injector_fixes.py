"""Fixes for a client whose own store is gone, and for clients pip-system-certs before 5 makes ignore their file.

Each points the clients at a store that exists and holds what they need, through a variable they really read
as judged (an injector's, a resolver's changes included), tried by those clients; the lasting change is a command.
"""

from __future__ import annotations

from helpers.records import (
    CERTIFI,
    PRIVATE,
    PUBLIC_ROOTS,
    SYSTEM_BUNDLE,
    bundle,
    distribution,
    holder,
    host,
    missing,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._fixes.clients import injector_fixes, store_fixes
from cadoctor._fixes.hosts import host_fixes
from cadoctor._model import Bundle, Facts, Injector, Subject
from cadoctor._record import replace
from cadoctor._rules.trust import diagnose

SITE = "/srv/app/venv/lib/python3.12/site-packages"
CORP = frozenset({"corp-root"})


def gone(store: Bundle) -> Facts:
    """requests and httpx whose store (certifi's where()) is `store`, the OS bundle a fix may name."""
    requests = replace(distribution("requests", "2.32.3"), store=store.path, store_kind="file", store_decided="x")
    base = with_clients(("httpx", "0.28.1"))
    runtime = replace(base.runtime, certifi=store.path, executable="/srv/app/venv/bin/python")
    examined = replace(base, runtime=runtime, distributions=(*base.distributions, requests))
    return with_bundles(examined, store, bundle(SYSTEM_BUNDLE, "system", samples=(b"public-root-der",)))


def test_a_deleted_certifi_bundle_gets_the_variables_that_reach_its_clients_and_certifi_back() -> None:
    """REQUESTS_CA_BUNDLE for requests, SSL_CERT_FILE for httpx, at the OS bundle, tried; then reinstalling certifi."""
    examined = gone(missing(CERTIFI, "certifi"))
    env, command = store_fixes(examined, diagnose(examined))
    assert env.env == {"REQUESTS_CA_BUNDLE": SYSTEM_BUNDLE, "SSL_CERT_FILE": SYSTEM_BUNDLE}
    assert env.clients == ("httpx", "requests")
    assert env.addresses == ("client-store-missing",)
    assert env.trial_samples == (b"public-root-der",)
    assert env.summary.endswith("their default store %s does not exist" % CERTIFI)
    assert (command.kind, command.verified, command.command) == (
        "command",
        None,
        "'/srv/app/venv/bin/python' -m pip install --force-reinstall certifi",
    )


def test_a_store_inside_an_archive_is_not_fixed_by_reinstalling() -> None:
    """A zipped certifi is rebuilt with its app, not reinstalled: only the variables are proposed."""
    inside = Bundle(SITE + "/deps.zip/certifi/cacert.pem", ("certifi",), "other", "unreadable", error="Not a directory")
    examined = gone(replace(inside, path="/srv/app/deps.zip/certifi/cacert.pem"))
    assert [f.kind for f in store_fixes(examined, diagnose(examined))] == ["env"]


def test_an_image_gets_no_reinstall_command_and_nothing_without_a_store_to_name() -> None:
    """In an image (--root) no interpreter of it is run from here; with no OS bundle or certifi, no variable either."""
    examined = replace(gone(missing(CERTIFI, "certifi")), subject=Subject("root", None, True, "files", root="/img"))
    assert [f.kind for f in store_fixes(examined, diagnose(examined))] == ["env"]
    bare = replace(examined, bundles=tuple(b for b in examined.bundles if "system" not in b.roles))
    assert store_fixes(bare, diagnose(bare)) == []


def test_truststore_is_not_offered_to_a_client_that_raises_on_its_own_store() -> None:
    """truststore injected or not, requests still opens its missing bundle first: the host fix leaves it out."""
    examined = gone(missing(CERTIFI, "certifi"))
    examined = replace(examined, hosts=(host(None, holders=(holder(SYSTEM_BUNDLE, "system"),), public_root=False),))
    truststore = [f for f in host_fixes(examined, ()) if f.inject == "truststore"]
    assert all("requests" not in f.clients for f in truststore)


def clearing(**variables: str) -> Facts:
    """requests under pip-system-certs 4.0, the private root only in PRIVATE, these variables set."""
    examined = with_clients(("requests", "2.32.3"), ("pip-system-certs", "4.0"))
    examined = replace(examined, injectors=(Injector("pip-system-certs", SITE + "/pip_system_certs.pth", "import x"),))
    examined = with_bundles(
        with_environment(examined, **variables),
        bundle(PRIVATE, certificates=1, identities=CORP),
        bundle(SYSTEM_BUNDLE, "system", identities=PUBLIC_ROOTS),
    )
    checked = host(holders=(holder(PRIVATE),), public_root=False)
    return replace(examined, hosts=(checked,))


def test_a_cleared_file_reaches_requests_through_ssl_cert_file_joined_with_the_public_roots() -> None:
    """pip-system-certs 4 clears REQUESTS_CA_BUNDLE; the default CA file still counts: the joined file goes there."""
    examined = clearing(REQUESTS_CA_BUNDLE=PRIVATE)
    env, command = injector_fixes(examined, diagnose(examined))
    joined = "/srv/app/private-ca+public-roots.pem"
    assert env.env == {"SSL_CERT_FILE": joined}
    assert env.merge == (SYSTEM_BUNDLE, PRIVATE)
    assert env.clients == ("requests",)
    assert env.addresses == ("client-injector", "host-unknown-ca")
    assert env.trial_host == examined.hosts[0]
    assert "SSL_CERT_FILE=" in env.lines["shell"]
    assert command.command is not None
    assert command.command.endswith("-m pip install --upgrade 'pip-system-certs>=5'")


def test_the_injector_gives_no_env_fix_without_a_host_that_needs_it() -> None:
    """A cleared variable without a failing host: the upgrade alone."""
    examined = replace(clearing(REQUESTS_CA_BUNDLE=PRIVATE), hosts=())
    assert [f.kind for f in injector_fixes(examined, diagnose(examined))] == ["command"]
