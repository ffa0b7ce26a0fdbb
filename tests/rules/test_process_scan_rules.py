"""The rules of `cadoctor ps`: copies whose processes trust nothing, missing OPENSSLDIRs, deleted libraries."""

from __future__ import annotations

import pytest
from helpers.records import LIBCRYPTO, bundle, library, missing

from cadoctor._model import Bundle, Finding, LoadedLibrary, Severity
from cadoctor._model.processes import LibraryGroup, ProcessEntry, ProcessScan, TrustVerdict
from cadoctor._record import replace
from cadoctor._rules.processes import diagnose_ps, judge_trust

# What the scan's light looks saw at the compiled locations: nothing there, or a bundle of some bytes.
EMPTY = TrustVerdict(
    "/usr/lib/ssl/cert.pem",
    ("/usr/lib/ssl/certs",),
    "compiled",
    detail="/usr/lib/ssl/cert.pem: does not exist",
    looked=(missing("/usr/lib/ssl/cert.pem", "in-effect:cafile"), missing("/usr/lib/ssl/certs", "in-effect:capath")),
)
SERVED = TrustVerdict(
    "/usr/lib/ssl/cert.pem",
    ("/usr/lib/ssl/certs",),
    "compiled",
    detail="200000 bytes",
    looked=(bundle("/usr/lib/ssl/cert.pem", "in-effect:cafile"), missing("/usr/lib/ssl/certs", "in-effect:capath")),
)


def process(pid: int, trust: TrustVerdict | None = EMPTY, consumer: str = "program", **changes: object) -> ProcessEntry:
    """One process mapping the copy, run by root."""
    return replace(ProcessEntry(pid, "root", "/usr/sbin/daemon", trust, consumer=consumer), **changes)


def scan(*processes: ProcessEntry, copy: LoadedLibrary | None = None) -> ProcessScan:
    """A scan that found one OpenSSL file mapped by these processes."""
    group = LibraryGroup("fd:01", 1234, copy or library(in_use=False), processes)
    return ProcessScan((group,), (), len(processes), 1)


def test_processes_whose_copy_trusts_nothing_are_one_error_per_copy() -> None:
    """Processes reading default paths that hold nothing: trust-store-empty naming the copy, the detail, the PIDs."""
    assert diagnose_ps(scan(process(10), process(11), process(12, SERVED))) == (
        Finding(
            "trust-store-empty",
            Severity.ERROR,
            "2 process(es) using %s trust nothing (/usr/lib/ssl/cert.pem: does not exist): PID 10, 11" % LIBCRYPTO,
            {"library": LIBCRYPTO, "pids": [10, 11]},
        ),
    )


@pytest.mark.parametrize(
    ("consumer", "options", "counted"),
    [
        ("node", (), False),  # node trusts its bundled roots
        ("node", ("--use-openssl-ca",), True),
        ("grpc-core", (), False),
        ("python-ssl", (), True),
    ],
)
def test_a_process_whose_stack_does_not_read_the_paths_is_not_empty(
    consumer: str, options: tuple[str, ...], counted: bool
) -> None:
    """Only processes whose stack reads the default paths (always, or by a switch they were given) trust nothing."""
    found = diagnose_ps(scan(process(10, consumer=consumer, options=options)))
    assert [f.code for f in found] == (["trust-store-empty"] if counted else [])


def test_a_process_whose_trust_was_not_judged_is_not_counted() -> None:
    """A process without a verdict (its environment unreadable) is not said to trust nothing."""
    assert diagnose_ps(scan(process(10, trust=None))) == ()


def test_a_missing_openssldir_names_what_each_consumer_depending_on_it_loses() -> None:
    """A copy whose OPENSSLDIR is absent: each consumer that reads it, with its switch and fix, in a warning."""
    copy = library(in_use=False, openssldir="/build/ssl", openssldir_exists=False)
    found = diagnose_ps(
        scan(
            process(10, SERVED),
            process(11, SERVED, consumer="node"),
            process(12, SERVED, consumer="libpq", consumer_version=15),  # before 16: never reads them
            process(13, SERVED, consumer="librdkafka"),
            copy=copy,
        )
    )
    assert found == (
        Finding(
            "openssldir-missing",
            Severity.WARNING,
            "%s was compiled with OPENSSLDIR /build/ssl, which does not exist for PID 10, 11, 12, 13: the program "
            "finds no roots there (fix: SSL_CERT_FILE); node finds no roots there with --use-openssl-ca (fix: "
            "NODE_EXTRA_CA_CERTS)" % LIBCRYPTO,
            {"library": LIBCRYPTO, "openssldir": "/build/ssl", "pids": [10, 11, 12, 13]},
        ),
    )


def test_a_missing_openssldir_that_no_consumer_reads_is_no_finding() -> None:
    """When every consumer of the copy trusts by other means, its missing OPENSSLDIR does not matter."""
    copy = library(in_use=False, openssldir="/build/ssl", openssldir_exists=False)
    assert diagnose_ps(scan(process(10, SERVED, consumer="grpc-core"), copy=copy)) == ()


def test_a_deleted_copy_is_a_warning_and_findings_come_worst_first() -> None:
    """A copy deleted after it was mapped asks for a restart; the error about trust comes before it."""
    found = diagnose_ps(scan(process(10), copy=library(in_use=False, deleted=True)))
    assert found == (
        Finding(
            "trust-store-empty",
            Severity.ERROR,
            "1 process(es) using %s trust nothing (/usr/lib/ssl/cert.pem: does not exist): PID 10" % LIBCRYPTO,
            {"library": LIBCRYPTO, "pids": [10]},
        ),
        Finding(
            "library-deleted",
            Severity.WARNING,
            "%s was deleted after PID 10 mapped it: restart them to load the current one" % LIBCRYPTO,
            {"path": LIBCRYPTO, "pids": [10]},
        ),
    )


def test_a_long_list_of_pids_is_cut_after_ten() -> None:
    """Twelve processes are named by their first ten PIDs and a count of the rest."""
    (finding,) = diagnose_ps(scan(*(process(pid) for pid in range(100, 112))))
    assert finding.summary.endswith("PID 100, 101, 102, 103, 104, 105, 106, 107, 108, 109 and 2 more")
    assert finding.evidence["pids"] == list(range(100, 112))


def test_a_scan_without_groups_has_no_finding() -> None:
    """Nothing mapped OpenSSL: nothing to say."""
    assert diagnose_ps(ProcessScan((), (), 0, 0)) == ()


def test_the_rules_judge_what_the_scan_looked_at() -> None:
    """A file of some bytes serves, a missing file and a folder without hash links do not: judged once per verdict."""
    judged = judge_trust(scan(process(10), process(11, SERVED)))
    assert [p.trust.usable for p in judged.groups[0].processes if p.trust is not None] == [False, True]


EXTRA = bundle("/srv/extra.pem", "env:NODE_EXTRA_CA_CERTS", size=680)


@pytest.mark.parametrize(
    ("options", "built", "looked", "usable", "own"),
    [
        ((), (), (), True, True),  # its bundled roots, whatever the disk holds
        (("--use-system-ca",), (), (), True, True),  # adds the default paths to its bundled roots
        (("--use-openssl-ca",), (), (), False, False),  # the default paths in place of its bundled roots
        (("--use-openssl-ca",), (), (EXTRA,), True, False),  # NODE_EXTRA_CA_CERTS is added in every case
        (("--use-openssl-ca",), (), (missing("/srv/extra.pem", "env:NODE_EXTRA_CA_CERTS"),), False, False),
        ((), ("--use-openssl-ca",), (), False, False),  # a node configured with --openssl-use-def-ca-store
        (("--use-bundled-ca",), ("--use-openssl-ca",), (), True, True),  # which --use-bundled-ca undoes
    ],
)
def test_node_is_judged_by_its_own_roots_its_switches_and_node_extra_ca_certs(
    options: tuple[str, ...], built: tuple[str, ...], looked: tuple[Bundle, ...], usable: bool, own: bool
) -> None:
    """node with empty default paths trusts its bundled roots unless --use-openssl-ca (given or built) replaces them."""
    trust = replace(EMPTY, looked=(*EMPTY.looked, *looked))
    node = process(10, trust, consumer="node", options=options, build_switches=built)
    (judged,) = judge_trust(scan(node)).groups[0].processes
    assert judged.trust is not None
    assert judged.trust.usable is usable
    assert judged.trust.detail.startswith("node's bundled roots (compiled in);") is own
    assert [f.code for f in diagnose_ps(scan(node))] == ([] if usable else ["trust-store-empty"])
    assert diagnose_ps(judge_trust(scan(node))) == diagnose_ps(scan(node))  # as ps runs them: judged once


def test_nodes_detail_says_what_it_trusts_and_what_it_does_not_read() -> None:
    """The verdict's words: node's bundled roots first, the paths it reads only with a switch, its extra file."""
    trust = replace(EMPTY, looked=(*EMPTY.looked, EXTRA))
    (judged,) = judge_trust(scan(process(10, trust, consumer="node"))).groups[0].processes
    assert judged.trust is not None
    assert judged.trust.detail == (
        "node's bundled roots (compiled in); not read without --use-openssl-ca or --use-system-ca: "
        "/usr/lib/ssl/cert.pem: does not exist; NODE_EXTRA_CA_CERTS=/srv/extra.pem: 680 bytes"
    )


@pytest.mark.parametrize(
    ("consumer", "version", "options", "usable", "detail"),
    [
        ("libpq", 16, (), None, "libpq trusts sslrootcert (default ~/.postgresql/root.crt)"),
        ("libpq", 16, ("sslrootcert=system",), False, "/usr/lib/ssl/cert.pem: does not exist"),
        ("libpq", 15, ("sslrootcert=system",), None, "libpq trusts sslrootcert"),  # before 16: a file named system
        ("librdkafka", None, (), None, "librdkafka trusts ssl.ca.location"),
        ("grpc-core", None, (), None, "grpc core (BoringSSL) trusts grpc's roots.pem"),
        ("python-ssl", None, (), False, "/usr/lib/ssl/cert.pem: does not exist"),
    ],
)
def test_a_stack_that_does_not_read_the_paths_trusts_what_the_program_sets(
    consumer: str, version: int | None, options: tuple[str, ...], usable: bool | None, detail: str
) -> None:
    """Empty default paths make libpq (without sslrootcert=system from 16 on), librdkafka or grpc core trust no less:
    what they trust is set inside the program. Their verdict is `own` (usable None), and says what, and which paths
    it leaves unread; a stack that reads the paths is judged by them."""
    entry = process(10, consumer=consumer, consumer_version=version, options=options)
    (judged,) = judge_trust(scan(entry)).groups[0].processes
    assert judged.trust is not None
    assert (judged.trust.usable, judged.trust.judged) == (usable, True)
    assert judged.trust.detail.startswith(detail), judged.trust.detail
    if usable is None:
        assert judged.trust.detail.endswith(
            "default paths, %s: /usr/lib/ssl/cert.pem: does not exist"
            % ("not read without sslrootcert=system" if consumer == "libpq" and version == 16 else "not read")
        )
    from cadoctor._render.scan import to_document, to_text

    table = to_text(judge_trust(scan(entry)), (), width=100)
    (listed,) = to_document(judge_trust(scan(entry)), ())["groups"][0]["processes"]
    assert listed["trust"]["usable"] is usable
    word = {None: "own", False: "EMPTY"}[usable]
    assert any(line.split()[:3] == ["10", "root", word] for line in table.splitlines()), table
