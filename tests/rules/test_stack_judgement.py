"""The native stacks judged by their rows: whose default paths count, what the program ignores, extra copies."""

from __future__ import annotations

import pytest
from helpers.records import LIBCRYPTO, OPENSSLDIR, facts, library, process_subject, runtime, stack, with_environment

from cadoctor._model import Facts, Finding, Severity, Stack
from cadoctor._record import replace
from cadoctor._rules import stack_table
from cadoctor._rules.stacks import (
    DEFAULT_PATH_CODES,
    about_default_paths,
    judge_stacks,
    program_stack,
    reads_default_paths,
    stack_findings,
)

NODE = "/usr/bin/node"
VENDORED = "/srv/app/venv/lib/python3.12/site-packages/psycopg2_binary.libs/libcrypto-fb8d5b21.so.3"


def node(*command: str, **environment: str) -> Facts:
    """node examined by --pid: its in-use libcrypto is node's stack; `command` is its argv after `node`."""
    examined = facts(
        runtime=runtime(python_version=""),
        stacks=(stack("node"),),
        subject=process_subject(NODE, "node", *command, "server.js"),
    )
    return with_environment(examined, **environment)


def vendored_copy(consumer_version: int | None = 16, **library_changes: object) -> Facts:
    """This interpreter with psycopg2's vendored libcrypto beside its own, built for a directory this host lacks."""
    missing_dir: dict[str, object] = {"in_use": False, "openssldir": "/build/ssl", "openssldir_exists": False}
    copy = library(VENDORED, **{**missing_dir, **library_changes})
    return facts(
        libraries=(library(), copy),
        stacks=(stack("python-ssl"), stack("libpq", VENDORED, consumer_version=consumer_version)),
    )


def codes(found: list[Finding]) -> list[str]:
    """The codes of some findings, in order."""
    return [f.code for f in found]


# The table


@pytest.mark.parametrize(
    ("consumer", "version", "when"),
    [
        ("libpq", 15, stack_table.NEVER),  # before 16, sslrootcert=system names a file called "system"
        ("libpq", 16, stack_table.SWITCHED),
        ("libpq", None, stack_table.SWITCHED),  # version unknown: the switch may exist
        ("node", 12, stack_table.SWITCHED),  # node's row names no first version
        ("python-ssl", None, stack_table.ALWAYS),
        ("gnutls", None, stack_table.NOT_OPENSSL),
    ],
)
def test_when_default_paths_count_depends_on_the_version_that_brought_the_switch(
    consumer: str, version: int | None, when: str
) -> None:
    """A switched consumer older than its switch never reads the default paths; others keep their row's answer."""
    assert stack_table.default_paths_of(stack_table.stack_rule(consumer), version) == when


@pytest.mark.parametrize(
    ("consumer", "version", "words", "reads"),
    [
        ("node", None, ["node", "server.js"], False),
        ("node", None, ["node", "--use-openssl-ca", "server.js"], True),
        ("node", None, ["node", "--use-system-ca=1"], True),  # a flag with a value
        ("libpq", 16, ["sslrootcert=system"], True),
        ("libpq", 16, ["sslrootcert=/srv/root.crt"], False),  # the option names a file: not the switch
        ("libpq", 15, ["sslrootcert=system"], False),
        ("python-ssl", None, [], True),
        ("librdkafka", None, ["--use-openssl-ca"], False),
        ("jsse", None, [], False),
    ],
)
def test_a_consumer_reads_the_default_paths_always_or_with_its_switch(
    consumer: str, version: int | None, words: list[str], reads: bool
) -> None:
    """Switches match as a flag or `flag=value`; an option whose value differs from the switch's does not."""
    assert stack_table.reads_paths(stack_table.stack_rule(consumer), version, words) is reads


def test_an_unknown_consumer_is_judged_as_a_program() -> None:
    """A consumer the table lacks is a program reading OpenSSL's default paths."""
    assert stack_table.stack_rule("erlang").consumer == "program"


# The program's own stack


def test_this_interpreter_has_no_program_stack_and_reads_its_default_paths() -> None:
    """Without stacks (this interpreter), the default paths count, as Python's ssl always reads them."""
    assert program_stack(facts()) is None
    assert reads_default_paths(facts()) is True
    assert program_stack(facts(libraries=())) is None


def test_the_program_stack_is_the_one_of_the_copy_in_use() -> None:
    """The stack whose library is the in-use copy is the program's."""
    examined = vendored_copy()
    assert program_stack(examined) == stack("python-ssl")


@pytest.mark.parametrize(
    ("command", "environment", "reads"),
    [
        ((), {}, False),
        (("--use-openssl-ca",), {}, True),
        ((), {"NODE_OPTIONS": "--max-old-space-size=512 --use-openssl-ca"}, True),
        ((), {"NODE_OPTIONS": "--title 'a b' --use-system-ca"}, True),
        ((), {"NODE_OPTIONS": "--use-openssl-ca 'unbalanced"}, False),  # node would refuse to start
    ],
)
def test_node_reads_the_default_paths_only_with_a_switch_in_argv_or_node_options(
    command: tuple[str, ...], environment: dict[str, str], reads: bool
) -> None:
    """node's switch counts in its command line or in NODE_OPTIONS, unless NODE_OPTIONS cannot be parsed."""
    assert reads_default_paths(node(*command, **environment)) is reads


@pytest.mark.parametrize(
    ("command", "reads"),
    [
        ((), True),  # its build turned --use-openssl-ca on
        (("--use-bundled-ca",), False),  # and --use-bundled-ca turns it off
    ],
)
def test_a_node_built_to_use_openssls_store_reads_the_default_paths_unless_told_otherwise(
    command: tuple[str, ...], reads: bool
) -> None:
    """A node configured with --openssl-use-def-ca-store reads the default paths, and tells so in its store."""
    examined = node(*command)
    examined = replace(examined, stacks=(replace(examined.stacks[0], build_switches=("--use-openssl-ca",)),))
    assert reads_default_paths(examined) is reads
    (judged,) = judge_stacks(examined)
    assert judged.store.endswith("(its build turns on --use-openssl-ca, which --use-bundled-ca undoes)")
    found = codes(list(stack_findings(with_environment(examined, SSL_CERT_FILE="/srv/ca.pem"))))
    assert found == ([] if reads else ["stack-ignores-variable"])


def test_pgsslrootcert_system_is_libpqs_switch() -> None:
    """PGSSLROOTCERT=system is sslrootcert=system's default: libpq then reads its OpenSSL's paths, unless before 16."""
    examined = facts(stacks=(stack("libpq"),), subject=process_subject("/usr/bin/psql", "psql"))
    assert reads_default_paths(examined) is False
    assert reads_default_paths(with_environment(examined, PGSSLROOTCERT="system")) is True  # version unknown
    versioned = replace(examined, stacks=(stack("libpq", consumer_version=16),))
    assert reads_default_paths(with_environment(versioned, PGSSLROOTCERT="system")) is True
    assert reads_default_paths(with_environment(versioned, PGSSLROOTCERT="/srv/root.crt")) is False
    old = replace(examined, stacks=(stack("libpq", consumer_version=15),))
    assert reads_default_paths(with_environment(old, PGSSLROOTCERT="system")) is False


@pytest.mark.parametrize(
    ("finding", "about"),
    [
        *((Finding(code, Severity.INFO, ""), True) for code in sorted(DEFAULT_PATH_CODES)),
        (Finding("env-path-invalid", Severity.ERROR, "", {"variable": "SSL_CERT_FILE"}), True),
        (Finding("override-replaces-defaults", Severity.ERROR, "", {"variable": "SSL_CERT_DIR"}), True),
        (Finding("env-path-invalid", Severity.ERROR, "", {"variable": "REQUESTS_CA_BUNDLE"}), False),
        (Finding("library-deleted", Severity.WARNING, "", {"variable": "SSL_CERT_FILE"}), False),
    ],
)
def test_findings_about_the_default_paths_are_named_by_code_or_by_variable(finding: Finding, about: bool) -> None:
    """Default-path codes always; a bad or replacing variable only when it is SSL_CERT_FILE or SSL_CERT_DIR."""
    assert about_default_paths(finding) is about


# judge_stacks


def test_each_stack_is_told_what_it_trusts_and_whether_its_default_paths_count() -> None:
    """The program's stack by the program's switches, others by their row, a stack that is not OpenSSL unjudged."""
    examined = replace(
        node("--use-openssl-ca"),
        stacks=(
            stack("node"),
            stack("libpq", VENDORED, consumer_version=15),
            stack("gnutls", "/usr/lib/libgnutls.so.30", implementation="GnuTLS", library=None),
        ),
    )
    judged = judge_stacks(examined)
    libpq = stack_table.stack_rule("libpq")
    assert [(s.consumer, s.reads_default_paths) for s in judged] == [("node", True), ("libpq", False), ("gnutls", None)]
    assert judged[0].store == stack_table.stack_rule("node").store
    assert judged[1].store == libpq.store + " (this version predates sslrootcert=system: it never reads them)"
    assert judged[2].store == stack_table.stack_rule("gnutls").store


# stack_findings


def test_node_ignoring_ssl_cert_file_is_a_warning_naming_its_own_variable() -> None:
    """SSL_CERT_FILE set for node without --use-openssl-ca: stack-ignores-variable, with NODE_EXTRA_CA_CERTS."""
    examined = node(SSL_CERT_FILE="/srv/ca.pem", SSL_CERT_DIR="")
    assert list(stack_findings(examined)) == [
        Finding(
            "stack-ignores-variable",
            Severity.WARNING,
            "node ignores SSL_CERT_FILE=/srv/ca.pem: it trusts its bundled Mozilla roots (compiled in) and "
            "NODE_EXTRA_CA_CERTS (unless started with --use-openssl-ca or --use-system-ca); the roots there are not "
            "trusted by it. NODE_EXTRA_CA_CERTS adds a file to its roots",
            {"consumer": "node", "variable": "SSL_CERT_FILE", "path": "/srv/ca.pem", "fix": "NODE_EXTRA_CA_CERTS"},
        )
    ]
    assert list(stack_findings(node("--use-openssl-ca", SSL_CERT_FILE="/srv/ca.pem"))) == []


def test_a_stack_without_switches_is_not_told_to_start_with_one() -> None:
    """A program stack that never reads the default paths and has no switch is not offered an empty one."""
    examined = facts(
        runtime=runtime(python_version="", environment={"SSL_CERT_FILE": "/srv/ca.pem"}),
        stacks=(stack("librdkafka"),),
        subject=process_subject("/usr/local/bin/consumer"),
    )
    (finding,) = stack_findings(examined)
    assert "unless started with" not in finding.summary


def test_stacks_that_are_not_openssl_are_listed_as_info() -> None:
    """GnuTLS, NSS and Java are named with what they trust; cadoctor cannot judge them."""
    gnutls = Stack("gnutls", "GnuTLS", "/usr/lib/x86_64-linux-gnu/libgnutls.so.30")
    assert list(stack_findings(facts(stacks=(gnutls,)))) == [
        Finding(
            "stack-not-openssl",
            Severity.INFO,
            "GnuTLS (/usr/lib/x86_64-linux-gnu/libgnutls.so.30) is not OpenSSL: cadoctor cannot judge what verifies "
            "with it; it trusts the system trust file it was built with (Debian: /etc/ssl/certs/ca-certificates.crt)",
            {"consumer": "gnutls", "implementation": "GnuTLS", "path": "/usr/lib/x86_64-linux-gnu/libgnutls.so.30"},
        )
    ]


def test_a_second_copy_whose_consumer_needs_a_missing_openssldir_is_a_warning() -> None:
    """psycopg2's copy built for /build/ssl: libpq 16 with sslrootcert=system would find no roots there."""
    libpq = stack_table.stack_rule("libpq")
    assert list(stack_findings(vendored_copy())) == [
        Finding(
            "multiple-openssl",
            Severity.WARNING,
            "2 OpenSSL copies are loaded: %s (OpenSSL, OPENSSLDIR %s, used by ssl), %s (OpenSSL, OPENSSLDIR "
            "/build/ssl, libpq); libpq's copy has OPENSSLDIR /build/ssl, which does not exist here: "
            "sslrootcert=system finds no roots there (fix: %s)" % (LIBCRYPTO, OPENSSLDIR, VENDORED, libpq.fix),
            {
                "libraries": [
                    {"path": LIBCRYPTO, "openssldir": OPENSSLDIR, "in_use": True, "consumer": "python-ssl"},
                    {"path": VENDORED, "openssldir": "/build/ssl", "in_use": False, "consumer": "libpq"},
                ]
            },
        )
    ]


@pytest.mark.parametrize(
    "examined",
    [
        vendored_copy(consumer_version=15),  # libpq 15 never reads them
        with_environment(vendored_copy(), SSL_CERT_FILE="/srv/ca.pem"),  # a variable gives the copy a store
        vendored_copy(openssldir_exists=None),  # not known to be missing
    ],
)
def test_a_second_copy_whose_paths_do_not_matter_or_serve_is_info(examined: Facts) -> None:
    """Extra copies are listed as info when their consumer never reads the paths or the paths serve."""
    (finding,) = stack_findings(examined)
    assert (finding.code, finding.severity) == ("multiple-openssl", Severity.INFO)


def test_copies_are_counted_by_real_path_and_statically_linked_ones_count() -> None:
    """Two names of one file are one copy; OpenSSL linked into an object (`static`) is a copy."""
    twice = facts(libraries=(library(), library("/lib/x86_64-linux-gnu/libcrypto.so.3", realpath=LIBCRYPTO)))
    assert list(stack_findings(twice)) == []
    static = library("/srv/bin/app", role="static", in_use=False, flavour=None, openssldir="/opt/ssl")
    (finding,) = stack_findings(facts(libraries=(library(), static)))
    assert "/srv/bin/app (OpenSSL, OPENSSLDIR /opt/ssl)" in finding.summary  # no consumer known: none named


def test_a_program_copy_that_depends_on_a_missing_openssldir_says_so_without_a_switch() -> None:
    """The program's row has no switch: its copy with a missing OPENSSLDIR is said to find nothing, by title."""
    other = library("/opt/tool/libcrypto.so.3", in_use=False, openssldir="/build/ssl", openssldir_exists=False)
    examined = replace(node("--use-openssl-ca"), libraries=(library(), other))
    (finding,) = stack_findings(examined)
    assert finding.severity == Severity.WARNING
    assert finding.summary == (
        "2 OpenSSL copies are loaded: %s (OpenSSL, OPENSSLDIR %s, node), /opt/tool/libcrypto.so.3 (OpenSSL, "
        "OPENSSLDIR /build/ssl); the program's copy has OPENSSLDIR /build/ssl, which does not exist here: the "
        "program finds no roots there (fix: SSL_CERT_FILE)" % (LIBCRYPTO, OPENSSLDIR)
    )
