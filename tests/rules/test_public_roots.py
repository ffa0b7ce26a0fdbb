"""Mozilla's roots as the yardstick: which bundle stands for them, and an override that holds none of them."""

from __future__ import annotations

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAPATH,
    PRIVATE,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    distribution,
    facts,
    with_bundles,
    with_environment,
)

from cadoctor._model import Bundle, Facts, Finding, Severity
from cadoctor._record import replace
from cadoctor._rules.public_roots import lacks_public_roots, override_replaces_defaults, public_reference

CORP = frozenset({"corp-root"})
WHOLE = "%s=%s holds 1 certificates and none of the 140 public roots in %s"  # variable, path, reference


def private_override(variable: str, *clients: tuple[str, str], served: bool = True) -> Facts:
    """A variable naming a file of one private root; `served`: the compiled folder still has working links."""
    base = facts(distributions=tuple(distribution(name, version) for name, version in clients))
    if not served:
        base = with_bundles(base, directory(COMPILED_CAPATH, "in-effect:capath", hash_links=0))
    return with_bundles(
        with_environment(base, **{variable: PRIVATE}),
        bundle(PRIVATE, "env:" + variable, certificates=1, identities=CORP),
    )


def test_the_reference_is_certifi_else_the_os_bundle_file() -> None:
    """certifi's bundle stands for the public roots; without it, the OS's bundle file; a folder never does."""
    with_certifi = with_bundles(facts(), bundle(CERTIFI, "certifi"))
    assert public_reference(with_certifi) == bundle(CERTIFI, "certifi")
    assert public_reference(facts()) == bundle(SYSTEM_BUNDLE, "system")
    only_folders = replace(
        facts(), bundles=(directory("/etc/ssl/certs", "system"), bundle(CERTIFI, "certifi", certificates=0))
    )
    assert public_reference(only_folders) is None


@pytest.mark.parametrize(
    ("examined", "judged", "lacks"),
    [
        (facts(), bundle(PRIVATE, identities=CORP), True),
        (facts(), bundle(PRIVATE, identities=CORP | {"public-root-2"}), False),  # one public root is enough
        (facts(), bundle(SYSTEM_BUNDLE, "system", identities=CORP), False),  # the reference itself
        (replace(facts(), bundles=()), bundle(PRIVATE, identities=CORP), False),  # nothing to compare with
    ],
)
def test_a_bundle_lacks_the_public_roots_when_it_shares_none_with_the_reference(
    examined: Facts, judged: Bundle, lacks: bool
) -> None:
    """A bundle is private-only when it shares no root with the reference and is not the reference itself."""
    assert lacks_public_roots(examined, judged) is lacks


def test_ssl_cert_file_with_only_a_private_root_and_no_folder_serving_is_an_error() -> None:
    """The default context's own file replaced by a private root, no hashed folder behind it: public sites fail."""
    examined = private_override("SSL_CERT_FILE", ("httpx", "0.28.1"), served=False)
    assert list(override_replaces_defaults(examined)) == [
        Finding(
            "override-replaces-defaults",
            Severity.ERROR,
            WHOLE
            % ("SSL_CERT_FILE", PRIVATE, SYSTEM_BUNDLE)
            + ": no hashed folder serves them either: public sites fail for the default context (urllib, and every "
            "client on Python's ssl defaults) and for httpx",
            {
                "variable": "SSL_CERT_FILE",
                "path": PRIVATE,
                "certificates": 1,
                "reference": SYSTEM_BUNDLE,
                "default_context_fails": True,
                "clients": ["httpx"],
            },
        )
    ]


def test_the_error_without_clients_names_only_the_default_context() -> None:
    """With no client replacing its store by it, the error names the default context alone."""
    (finding,) = override_replaces_defaults(private_override("SSL_CERT_FILE", served=False))
    assert finding.summary.endswith("(urllib, and every client on Python's ssl defaults)")
    assert finding.evidence["clients"] == []


@pytest.mark.parametrize(
    ("clients", "effect"),
    [
        (
            (("httpx", "0.28.1"),),
            "httpx takes it as the whole store and fail public sites",
        ),
        (
            (("httpx", "0.28.1"), ("uv", "0.5.4")),
            "httpx, uv take it as the whole store and fail public sites",
        ),
        ((), "a client that takes it as its whole store (httpx, uv) fails public sites"),
    ],
)
def test_ssl_cert_file_beside_a_serving_folder_is_a_warning_naming_who_breaks(
    clients: tuple[tuple[str, str], ...], effect: str
) -> None:
    """The default context still finds public roots in its folder: a warning naming the clients that do not."""
    (finding,) = override_replaces_defaults(private_override("SSL_CERT_FILE", *clients))
    assert (finding.severity, finding.evidence["default_context_fails"]) == (Severity.WARNING, False)
    assert finding.summary == WHOLE % ("SSL_CERT_FILE", PRIVATE, SYSTEM_BUNDLE) + (
        ": the default context still finds public roots in %s, but %s" % (COMPILED_CAPATH, effect)
    )


@pytest.mark.parametrize(
    ("clients", "where"), [((("requests", "2.32.3"),), "requests"), ((), "the clients that read it")]
)
def test_another_clients_variable_is_a_warning_for_its_clients(
    clients: tuple[tuple[str, str], ...], where: str
) -> None:
    """REQUESTS_CA_BUNDLE with only a private root: a warning that public sites fail in the clients reading it."""
    (finding,) = override_replaces_defaults(private_override("REQUESTS_CA_BUNDLE", *clients, served=False))
    assert finding.severity == Severity.WARNING
    assert finding.summary == WHOLE % ("REQUESTS_CA_BUNDLE", PRIVATE, SYSTEM_BUNDLE) + ": public sites fail in " + where
    assert finding.evidence["default_context_fails"] is False


@pytest.mark.parametrize("variable", ["SSL_CERT_DIR", "NODE_EXTRA_CA_CERTS"])
def test_variables_that_add_rather_than_replace_are_not_judged(variable: str) -> None:
    """A folder list, or node's extra certificates, adds to the roots: no replacement to speak of."""
    assert list(override_replaces_defaults(private_override(variable))) == []


def test_an_override_that_keeps_a_public_root_is_empty_or_unseen_is_no_finding() -> None:
    """A file with a public root, with no certificate, or never inventoried replaces nothing worth saying."""
    keeps = with_bundles(private_override("SSL_CERT_FILE"), bundle(PRIVATE, identities=CORP | {"public-root-1"}))
    empty = with_bundles(private_override("SSL_CERT_FILE"), bundle(PRIVATE, certificates=0, identities=frozenset()))
    unseen = with_environment(facts(), SSL_CERT_FILE="/srv/unseen.pem")
    for examined in (keeps, empty, unseen):
        assert list(override_replaces_defaults(examined)) == []


def test_without_a_reference_nothing_is_judged() -> None:
    """No certifi and no OS bundle file: which roots are public is unknown."""
    examined = replace(private_override("SSL_CERT_FILE"), bundles=(bundle(PRIVATE, certificates=1, identities=CORP),))
    assert list(override_replaces_defaults(examined)) == []


def test_the_default_variable_is_the_one_the_runtime_reads() -> None:
    """An interpreter whose OpenSSL reads another variable for its file judges SSL_CERT_FILE as another client's."""
    examined = private_override("SSL_CERT_FILE", served=False)
    examined = replace(examined, runtime=replace(examined.runtime, cafile_env="NIX_SSL_CERT_FILE"))
    (finding,) = override_replaces_defaults(examined)
    assert (finding.severity, finding.evidence["default_context_fails"]) == (Severity.WARNING, False)
