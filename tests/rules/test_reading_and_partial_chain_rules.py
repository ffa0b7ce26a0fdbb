"""The rules on what OpenSSL loads from a file, and on chains anchored at an intermediate (pure: facts in)."""

from __future__ import annotations

from helpers.records import SYSTEM_BUNDLE, bundle, certificate, facts, host, runtime, with_bundles

from cadoctor._model import Finding, RootHolder, Severity
from cadoctor._record import replace
from cadoctor._rules import trust
from cadoctor._rules.hosts import host_findings

PRIVATE = "/srv/app/intermediate.pem"
INTERMEDIATE = "CN=Example Intermediate"
ROOT = "CN=Example Private Root"


def _partial(verifies: bool) -> RootHolder:
    """A store that trusts the chain's intermediate in place of a root."""
    reason = None if verifies else "unable to get issuer certificate"
    return RootHolder(PRIVATE, ("env:SSL_CERT_FILE",), verifies, reason, True, INTERMEDIATE)


def test_a_file_openssl_loads_nothing_from_is_an_error() -> None:
    """A CA file of which OpenSSL loads no certificate is an error: everything that reads it trusts nothing there."""
    broken = bundle(SYSTEM_BUNDLE, "system", certificates=0, unparseable=140, problems=("OpenSSL stops reading",))
    [finding] = trust.bundle_unparseable(with_bundles(facts(), broken))
    assert (finding.severity, finding.evidence["parsed"], finding.evidence["unloaded"]) == (Severity.ERROR, 0, 140)
    assert "OpenSSL loads none of the 140 certificates" in finding.summary


def test_one_file_under_two_names_is_one_finding() -> None:
    """cert.pem and ca-certificates.crt, one real file, give one bundle-unparseable finding."""
    broken = bundle(SYSTEM_BUNDLE, "system", certificates=139, unparseable=1, problems=("a block",))
    alias = replace(broken, path="/usr/lib/ssl/cert.pem", roles=("compiled-cafile",))
    assert [f.evidence["path"] for f in trust.bundle_unparseable(with_bundles(facts(), broken, alias))] == [
        SYSTEM_BUNDLE
    ]


def test_a_damaged_file_comes_before_the_variable_that_names_it() -> None:
    """When SSL_CERT_FILE names a file OpenSSL loads nothing from, bundle-unparseable is the first finding."""
    damaged = bundle(PRIVATE, "env:SSL_CERT_FILE", "in-effect:cafile", certificates=0, unparseable=3, marked=3)
    damaged = replace(damaged, read_by="OpenSSL 3.0.19", problems=("OpenSSL stops reading at line 9: bad end line",))
    examined = with_bundles(
        replace(facts(), runtime=replace(runtime(), environment={"SSL_CERT_FILE": PRIVATE})), damaged
    )
    codes = [f.code for f in trust.diagnose(examined) if f.severity is Severity.ERROR]
    assert codes.index("bundle-unparseable") < codes.index("env-path-invalid")
    [invalid] = [f for f in trust.diagnose(examined) if f.code == "env-path-invalid"]
    assert "OpenSSL loads none of them" in invalid.summary


def test_an_older_python_is_told_what_the_store_of_an_intermediate_needs() -> None:
    """A failed handshake whose only store trusts the intermediate says that 3.13 accepts it and what this one needs."""
    chain = (certificate("CN=app.example.test", INTERMEDIATE), certificate(INTERMEDIATE, ROOT))
    failed = host("host-unknown-ca", chain=chain, top_issuer=ROOT, holders=(_partial(False),))
    [finding] = host_findings(facts(hosts=(failed,)))
    assert (
        "%s trusts %r, an intermediate, in place of a root: Python 3.13 and later accept the chain there (their "
        "default context sets VERIFY_X509_PARTIAL_CHAIN), Python 3.12.3 does not; add the root that issued it to "
        "that store, or set ctx.verify_flags |= ssl.VERIFY_X509_PARTIAL_CHAIN where the code builds its context"
        % (PRIVATE, INTERMEDIATE)
    ) in finding.summary
    assert finding.evidence["holders"] == [
        {
            "path": PRIVATE,
            "roles": ["env:SSL_CERT_FILE"],
            "verifies": False,
            "partial_chain": True,
            "anchor": INTERMEDIATE,
        }
    ]


def test_a_handshake_that_rests_on_partial_chain_is_an_info_finding() -> None:
    """A successful handshake anchored at an intermediate is host-partial-chain, naming the store and the root."""
    succeeded = host(None, partial_anchor=INTERMEDIATE, top_issuer=ROOT, holders=(_partial(True),))
    examined = facts(hosts=(succeeded,), runtime=replace(runtime(), python_version="3.13.0"))
    assert list(host_findings(examined)) == [
        Finding(
            "host-partial-chain",
            Severity.INFO,
            "app.example.test: the chain verified only because Python 3.13.0's default context sets "
            "VERIFY_X509_PARTIAL_CHAIN: %s trusts %r, an intermediate, and no root above it; Pythons before 3.13, "
            "and clients that build their own context without the flag, fail this host: add the root %r to that "
            "store" % (PRIVATE, INTERMEDIATE, ROOT),
            {
                "target": "app.example.test",
                "anchor": INTERMEDIATE,
                "root": ROOT,
                "stores": [PRIVATE],
                "python": "3.13.0",
            },
        )
    ]
