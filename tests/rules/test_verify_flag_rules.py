"""Each client judged with its own verification flags, strict rejections named by their source, causes first (pure).

The flags are what tests/clients/test_verify_flags.py measured with the real clients on 3.11 and 3.13: a client on
`ssl.create_default_context()` (or urllib3 from 2.3) verifies as the default context; botocore, httplib2, pymongo,
grpcio and pip build a context without VERIFY_X509_PARTIAL_CHAIN or VERIFY_X509_STRICT on every Python.
"""

from __future__ import annotations

from helpers.records import (
    CERTIFI,
    SYSTEM_BUNDLE,
    bundle,
    certificate,
    distribution,
    facts,
    host,
    runtime,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._model import Anchor, AnchorTool, Facts, HostCheck, RootHolder, Severity, StoreVerdict
from cadoctor._record import replace
from cadoctor._rules import trust
from cadoctor._rules.anchors import anchor_findings
from cadoctor._rules.clients import client_findings, host_verdicts, judge
from cadoctor._rules.hosts import host_findings, strict_sources
from cadoctor._rules.verify_flags import BARE, DEFAULT, flags_of

INTERMEDIATE, ROOT = "CN=Example Intermediate", "CN=Example Private Root"
PRIVATE = "/srv/app/intermediate.pem"
CHAIN = (certificate("CN=app.example.test", INTERMEDIATE), certificate(INTERMEDIATE, ROOT))
ANCHORS = "/usr/local/share/ca-certificates"
DEBIAN = AnchorTool(
    "debian", "update-ca-certificates", "/usr/sbin/update-ca-certificates", "its program", SYSTEM_BUNDLE
)


def _on_313(base: Facts) -> Facts:
    """The facts of a Python 3.13, whose default context verifies with X509_STRICT and PARTIAL_CHAIN."""
    return replace(base, runtime=replace(base.runtime, python_version="3.13.1"))


def _verdicts(examined: Facts, checked: HostCheck) -> dict[str, tuple[bool | None, str | None]]:
    """Each client's verdict on a host, by name."""
    return {v.name: (v.ok, v.reason) for v in host_verdicts(checked, judge(examined))}


def test_the_flags_follow_the_client_and_its_urllib3() -> None:
    """urllib and httpx 0.28 carry the default flags; requests those of its urllib3; botocore and pip none."""
    for urllib3, expected in (("2.8.0", DEFAULT), ("2.2.3", BARE)):
        examined = with_clients(
            ("requests", "2.34.2"), ("urllib3", urllib3), ("httpx", "0.28.1"), ("botocore", "1.44.8")
        )
        clients = judge(examined)
        flags = {c.name: flags_of(c, clients) for c in clients}
        assert flags["urllib (stdlib)"] == DEFAULT
        assert flags["httpx"] == DEFAULT
        assert (flags["requests"], flags["urllib3"]) == (expected, expected)
        assert flags["botocore"] == BARE


def test_on_313_a_partial_chain_passes_the_default_context_and_fails_a_bare_context() -> None:
    """On 3.13 a store of the intermediate serves urllib and requests, not botocore: it is told why."""
    examined = _on_313(with_clients(("requests", "2.34.2"), ("urllib3", "2.8.0"), ("botocore", "1.44.8")))
    examined = with_environment(examined, REQUESTS_CA_BUNDLE=PRIVATE, AWS_CA_BUNDLE=PRIVATE)
    examined = with_bundles(examined, bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", certificates=1))
    store = StoreVerdict(PRIVATE, True, None, partial_chain=False, plain=False)  # ok only with PARTIAL_CHAIN
    checked = host(None, chain=CHAIN, partial_anchor=INTERMEDIATE, default_plain=False, stores=(store,))
    verdicts = _verdicts(examined, checked)
    assert verdicts["urllib (stdlib)"][0] is True
    assert verdicts["requests"][0] is True
    assert verdicts["botocore"][0] is False
    [fails] = [f for f in client_findings(replace(examined, hosts=(checked,))) if f.code == "client-host-fails"]
    assert [c["name"] for c in fails.evidence["clients"]] == ["botocore"]


def test_before_313_a_client_is_told_that_3_13_would_accept_the_intermediate() -> None:
    """On 3.11, requests refusing a store of the intermediate is told why: no PARTIAL_CHAIN, which 3.13 sets."""
    examined = with_clients(("requests", "2.34.2"), ("urllib3", "2.8.0"), runtime=runtime(python_version="3.11.7"))
    examined = with_environment(examined, REQUESTS_CA_BUNDLE=PRIVATE)
    examined = with_bundles(examined, bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", certificates=1))
    store = StoreVerdict(PRIVATE, False, "unable to get issuer certificate", partial_chain=True, plain=False)
    anchor = RootHolder(
        PRIVATE, ("env:REQUESTS_CA_BUNDLE",), False, "unable to get issuer certificate", True, INTERMEDIATE
    )
    checked = host(None, chain=CHAIN, holders=(anchor,), stores=(store,))
    ok, reason = _verdicts(examined, checked)["requests"]
    assert ok is False
    assert reason is not None
    assert "it trusts %r, an intermediate" % INTERMEDIATE in reason
    assert "VERIFY_X509_PARTIAL_CHAIN" in reason
    assert "3.13 would accept it" in reason


def test_a_strict_rejection_fails_only_the_clients_that_apply_the_strict_rules() -> None:
    """On 3.13 a root the strict rules refuse fails urllib and requests; botocore's bare context accepts it."""
    examined = _on_313(with_clients(("requests", "2.34.2"), ("urllib3", "2.8.0"), ("botocore", "1.44.8")))
    examined = with_environment(examined, AWS_CA_BUNDLE=PRIVATE, REQUESTS_CA_BUNDLE=PRIVATE)
    examined = with_bundles(examined, bundle(PRIVATE, "env:AWS_CA_BUNDLE", certificates=1))
    rule = "Basic Constraints of CA cert not marked critical"
    store = StoreVerdict(PRIVATE, False, rule, rejected=ROOT, plain=True)
    checked = host("host-strict-rejected", verify_code=89, verify_message=rule, strict_rejected=ROOT, stores=(store,))
    checked = replace(checked, default_plain=True)
    verdicts = _verdicts(examined, checked)
    assert verdicts["urllib (stdlib)"][0] is False
    assert verdicts["requests"][0] is False
    assert verdicts["botocore"][0] is True


def test_a_strict_rejection_names_the_file_that_supplies_the_ca() -> None:
    """The root SSL_CERT_FILE supplies is named, with who must reissue it; a local anchor's with the tool's rebuild."""
    rule = "CA cert does not include key usage extension"
    held = RootHolder(PRIVATE, ("in-effect:cafile", "env:SSL_CERT_FILE"), None)
    rejected = host("host-strict-rejected", verify_code=92, verify_message=rule, strict_rejected=ROOT, holders=(held,))
    examined = _on_313(facts(hosts=(rejected,)))
    assert strict_sources(examined, rejected) == [PRIVATE]
    [finding] = host_findings(examined)
    assert "%r is the root %s supplies: its operator must reissue that CA" % (ROOT, PRIVATE) in finding.summary
    assert finding.evidence["supplied_by"] == [PRIVATE]
    anchor = Anchor(ANCHORS + "/corp.crt", ANCHORS, "debian", "pem", 1, (ROOT,), taken=True, in_store=True)
    in_os = replace(
        rejected,
        holders=(
            RootHolder(SYSTEM_BUNDLE, ("in-effect:cafile", "system"), None),
            RootHolder(ANCHORS, ("local-anchors",), None),
        ),
    )
    examined = _on_313(facts(hosts=(in_os,), anchors=(anchor,), anchor_tools=(DEBIAN,)))
    assert strict_sources(examined, in_os) == [ANCHORS + "/corp.crt"]
    [finding] = host_findings(examined)
    assert "and that file be replaced with it, then update-ca-certificates run" in finding.summary


def test_a_public_root_the_strict_rules_refuse_has_no_local_repair() -> None:
    """A root of Mozilla's set (TWCA's lacked a subject key identifier): no local change but removing it helps."""
    held = RootHolder(SYSTEM_BUNDLE, ("in-effect:cafile", "system"), None)
    rejected = host(
        "host-strict-rejected",
        verify_code=86,
        verify_message="Missing Subject Key Identifier",
        strict_rejected=ROOT,
        holders=(held,),
        public_root=True,
    )
    [finding] = host_findings(_on_313(facts(hosts=(rejected,))))
    assert "is a public root (Mozilla's set holds it), supplied here by %s" % SYSTEM_BUNDLE in finding.summary
    assert "no local change short of removing it helps" in finding.summary


def test_a_root_copied_into_the_hashed_folder_is_named_where_it_is() -> None:
    """A root no hash link reaches is named by its file: on disk, and never looked up."""
    folder = RootHolder(
        "/etc/ssl/certs",
        ("in-effect:capath", "system"),
        False,
        "unable to get local issuer certificate",
        unlinked=("/etc/ssl/certs/corp.pem",),
    )
    [finding] = host_findings(facts(hosts=(host(holders=(folder,)),)))
    assert "/etc/ssl/certs/corp.pem holds it, but no <hash>.<n> link reaches it" in finding.summary
    assert finding.evidence["holders"][0]["unlinked"] == ["/etc/ssl/certs/corp.pem"]


def test_an_anchor_a_failing_client_needs_is_an_error_and_the_first_cause() -> None:
    """A two-certificate anchor under a host requests fails (the folder it reads has no link): an error, first."""
    examined = with_clients(("requests", "2.34.2"), ("urllib3", "2.8.0"), ("botocore", "1.44.8"))
    examined = with_environment(examined, REQUESTS_CA_BUNDLE="/etc/ssl/certs")
    anchor = Anchor(
        ANCHORS + "/rds.crt",
        ANCHORS,
        "debian",
        "pem",
        2,
        (INTERMEDIATE, ROOT),
        taken=True,
        reason="several",
        in_store=True,
    )
    store = StoreVerdict("/etc/ssl/certs", False, "unable to get local issuer certificate", plain=False)
    served = host(None, chain=CHAIN, stores=(store,))
    examined = replace(examined, hosts=(served,), anchors=(anchor,), anchor_tools=(DEBIAN,))
    [ignored] = anchor_findings(examined)
    assert (ignored.code, ignored.severity, ignored.evidence["hosts"]) == (
        "local-anchor-ignored",
        Severity.ERROR,
        [served.target],
    )
    errors = [f.code for f in trust.diagnose(examined) if f.severity is Severity.ERROR]
    assert errors[0] == "local-anchor-ignored"
    assert "client-host-fails" in errors


def test_a_certificate_the_server_sends_names_no_local_file() -> None:
    """A certificate the server sends is its issuer's to fix: no local file is named."""
    leaf = certificate("CN=app.example.test", ROOT)
    rejected = host(
        "host-strict-rejected",
        verify_code=85,
        verify_message="Missing Authority Key Identifier",
        strict_rejected="CN=app.example.test",
        chain=(leaf,),
        holders=(RootHolder(CERTIFI, ("certifi",), None),),
    )
    assert (
        strict_sources(facts(hosts=(rejected,), distributions=(distribution("certifi", "2026.1.1"),)), rejected) == []
    )
