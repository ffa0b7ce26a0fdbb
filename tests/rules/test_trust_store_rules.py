"""The trust rules about the store in effect, one branch at a time: ssl and its context, the default paths, the CA
variables, hashed folders; facts built here, the exact findings each rule yields, and diagnose()'s order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from helpers.records import (
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    LIBCRYPTO,
    OPENSSLDIR,
    bundle,
    directory,
    distribution,
    facts,
    library,
    missing,
    process_subject,
    runtime,
    stack,
    unserved,
    with_bundles,
    with_environment,
)

from cadoctor._model import Bundle, Facts, Finding, Severity, TrustSource
from cadoctor._record import replace
from cadoctor._rules import trust
from cadoctor._variables import CA_VARIABLES as CONSUMERS

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
OPENSSL_USERS = CONSUMERS["SSL_CERT_FILE"]

Rule = Callable[[Facts], Iterator[Finding]]


def found(rule: Rule, examined: Facts) -> list[Finding]:
    """What one rule says about the facts."""
    return list(rule(examined))


# ssl-unavailable, openssl-config-broken


def test_a_healthy_interpreter_has_no_finding() -> None:
    """Facts where the compiled defaults serve 140 roots give no finding at all."""
    assert trust.diagnose(facts()) == ()


def test_ssl_that_cannot_be_imported_is_an_error_naming_the_interpreter() -> None:
    """An ssl module that fails to import is ssl-unavailable, with the error and the executable."""
    examined = facts(runtime=runtime(ssl_available=False, ssl_error="libssl.so.3: cannot open shared object file"))
    assert found(trust.ssl_unavailable, examined) == [
        Finding(
            "ssl-unavailable",
            ERROR,
            "Python cannot import ssl: libssl.so.3: cannot open shared object file",
            {"error": "libssl.so.3: cannot open shared object file", "executable": "/usr/bin/python3.12"},
        )
    ]


def test_a_context_that_fails_names_the_library_default_configuration() -> None:
    """A failing default context without OPENSSL_CONF names OPENSSLDIR/openssl.cnf as the configuration read."""
    examined = facts(runtime=runtime(context_ok=False, context_error="no such provider"))
    assert found(trust.openssl_config_broken, examined) == [
        Finding(
            "openssl-config-broken",
            ERROR,
            "ssl.create_default_context() fails: no such provider (configuration: /usr/lib/ssl/openssl.cnf)",
            {"error": "no such provider", "openssl_conf": None, "default_config": "/usr/lib/ssl/openssl.cnf"},
        )
    ]


def test_a_context_that_fails_under_openssl_conf_names_that_file() -> None:
    """With OPENSSL_CONF set, the summary names it as the configuration, and the evidence keeps both."""
    examined = facts(
        runtime=runtime(context_ok=False, context_error="bad", environment={"OPENSSL_CONF": "/srv/openssl.cnf"})
    )
    (finding,) = found(trust.openssl_config_broken, examined)
    assert finding.summary.endswith("(configuration: /srv/openssl.cnf)")
    assert finding.evidence == {
        "error": "bad",
        "openssl_conf": "/srv/openssl.cnf",
        "default_config": OPENSSLDIR + "/openssl.cnf",
    }


def test_a_failing_context_without_a_known_library_has_no_default_configuration() -> None:
    """Without the library in use (or its OPENSSLDIR), no default configuration is guessed."""
    examined = facts(runtime=runtime(context_ok=False, context_error="bad"), libraries=())
    (finding,) = found(trust.openssl_config_broken, examined)
    assert (finding.evidence["default_config"], finding.summary) == (
        None,
        "ssl.create_default_context() fails: bad (configuration: None)",
    )


@pytest.mark.parametrize(
    "changes",
    [{"context_ok": None}, {"context_ok": True}, {"ssl_available": False, "context_ok": False}],
)
def test_a_context_not_made_or_made_fine_is_no_configuration_problem(changes: dict[str, object]) -> None:
    """Only a context that was made and failed, with ssl importable, says the configuration is broken."""
    assert found(trust.openssl_config_broken, facts(runtime=runtime(**changes))) == []


# trust-store-empty


def test_a_default_context_that_trusts_nothing_is_an_error_describing_each_source() -> None:
    """No certificate loaded and a folder without links: trust-store-empty, each source described."""
    examined = with_bundles(unserved(), missing(COMPILED_CAFILE, "in-effect:cafile", "compiled-cafile"))
    assert found(trust.trust_store_empty, examined) == [
        Finding(
            "trust-store-empty",
            ERROR,
            "The default context trusts nothing: CA file /usr/lib/ssl/cert.pem (does not exist), CA directories "
            "/usr/lib/ssl/certs (0 hash links, 0 wrong, 0 unlinked certificate files)",
            {
                "cafile": COMPILED_CAFILE,
                "cafile_source": "compiled",
                "capaths": [COMPILED_CAPATH],
                "certificates_loaded": 0,
            },
        )
    ]


def test_an_empty_store_says_what_an_uninspected_file_and_no_folder_are() -> None:
    """A CA file never inspected reads 'not inspected'; no CA directory reads 'none'."""
    examined = unserved(
        runtime=runtime(context_loaded=0, cafile=TrustSource("/elsewhere.pem", "env:SSL_CERT_FILE"), capaths=())
    )
    (finding,) = found(trust.trust_store_empty, examined)
    assert finding.summary == (
        "The default context trusts nothing: CA file /elsewhere.pem (not inspected), CA directories none"
    )
    assert (finding.evidence["cafile_source"], finding.evidence["capaths"]) == ("env:SSL_CERT_FILE", [])


def test_an_empty_store_counts_the_certificates_of_a_file_that_loaded_none() -> None:
    """A context that was made and loaded nothing is believed over a CA file that parses; the file is counted."""
    examined = unserved(runtime=runtime(context_loaded=0, capaths=()))
    (finding,) = found(trust.trust_store_empty, examined)
    assert finding.summary == (
        "The default context trusts nothing: CA file /usr/lib/ssl/cert.pem (140 certificates), CA directories none"
    )


def test_without_a_context_a_usable_ca_file_serves() -> None:
    """When no context was made (a process read from outside), a CA file holding certificates counts as served."""
    examined = unserved(runtime=runtime(context_loaded=0, context_ok=None))
    assert found(trust.trust_store_empty, examined) == []


def test_without_a_context_an_empty_ca_file_does_not_serve() -> None:
    """When no context was made, a CA file with no certificate and no linked folder is an empty store."""
    empty = bundle(COMPILED_CAFILE, "in-effect:cafile", certificates=0, marked=0, size=0)
    examined = with_bundles(unserved(runtime=runtime(context_loaded=0, context_ok=None)), empty)
    assert [f.code for f in found(trust.trust_store_empty, examined)] == ["trust-store-empty"]


def test_a_hashed_folder_alone_serves() -> None:
    """A folder with working hash links serves even when the context loaded nothing (folders load lazily)."""
    examined = facts(runtime=runtime(context_loaded=0))
    assert found(trust.trust_store_empty, examined) == []


@pytest.mark.parametrize(
    ("version", "serves"),
    [((3, 0, 0, 13, 0), True), ((1, 1, 1, 23, 15), False)],
    ids=["OpenSSL 3 opens it as a store", "OpenSSL 1.1 looks it up by hash"],
)
def test_a_file_named_as_the_ca_directory_serves_only_where_openssl_opens_it_as_a_store(
    version: tuple[int, ...], serves: bool
) -> None:
    """SSL_CERT_DIR naming a file of certificates: OpenSSL 3's store lookup loads it, 1.1's hash lookup finds nothing.

    With no CA file and nothing loaded, the store is empty only where the folder's value cannot serve as a store.
    """
    examined = with_bundles(
        facts(
            runtime=runtime(
                context_loaded=0,
                cafile=None,
                capaths=(TrustSource("/srv/ca.pem", "env:SSL_CERT_DIR"),),
                openssl_version_info=version,
            )
        ),
        bundle("/srv/ca.pem", "in-effect:capath", "env:SSL_CERT_DIR"),
    )
    assert [f.code for f in found(trust.trust_store_empty, examined)] == ([] if serves else ["trust-store-empty"])


@pytest.mark.parametrize("changes", [{"ssl_available": False}, {"context_ok": False}])
def test_no_empty_store_is_claimed_when_no_context_could_be_judged(changes: dict[str, object]) -> None:
    """Without ssl, or with a context that failed, the empty store is not claimed on top of that failure."""
    assert found(trust.trust_store_empty, unserved(runtime=runtime(context_loaded=0, **changes))) == []


# openssldir-missing, default-cafile-missing, default-capath-missing


def test_a_missing_openssldir_is_a_warning_naming_the_library() -> None:
    """A libcrypto built for a directory this host lacks is openssldir-missing, a warning."""
    examined = facts(libraries=(library(openssldir="/build/ssl", openssldir_exists=False),))
    assert found(trust.openssldir_missing, examined) == [
        Finding(
            "openssldir-missing",
            WARNING,
            "%s was compiled with OPENSSLDIR /build/ssl, which does not exist here" % LIBCRYPTO,
            {"library": LIBCRYPTO, "openssldir": "/build/ssl", "version": "OpenSSL 3.0.13 30 Jan 2024"},
        )
    ]


def test_a_missing_openssldir_on_windows_with_the_system_store_loaded_is_info() -> None:
    """On Windows, where ssl loads the system store, a missing OPENSSLDIR is the normal case: info."""
    examined = facts(
        runtime=runtime(system="win32"), libraries=(library(openssldir="C:/build/ssl", openssldir_exists=False),)
    )
    assert [(f.code, f.severity) for f in found(trust.openssldir_missing, examined)] == [("openssldir-missing", INFO)]


@pytest.mark.parametrize("exists", [True, None])
def test_an_openssldir_that_exists_or_was_not_looked_at_is_no_finding(exists: bool | None) -> None:
    """Only an OPENSSLDIR known to be absent is reported; an unknown one is not guessed at."""
    assert found(trust.openssldir_missing, facts(libraries=(library(openssldir_exists=exists),))) == []


def test_no_library_in_use_means_no_openssldir_finding() -> None:
    """Without the libcrypto in use (statically linked, unknown), the rule has nothing to judge."""
    assert found(trust.openssldir_missing, facts(libraries=(library(in_use=False, openssldir_exists=False),))) == []


def test_missing_compiled_defaults_are_info_and_a_warning_when_nothing_else_serves() -> None:
    """A missing compiled CA file is info; a missing compiled folder is a warning when the file does not serve."""
    examined = with_bundles(
        facts(), missing(COMPILED_CAFILE, "compiled-cafile"), missing(COMPILED_CAPATH, "compiled-capath")
    )
    assert found(trust.default_paths_missing, examined) == [
        Finding(
            "default-cafile-missing",
            INFO,
            "The compiled default CA file /usr/lib/ssl/cert.pem does not exist",
            {"path": COMPILED_CAFILE},
        ),
        Finding(
            "default-capath-missing",
            WARNING,
            "The compiled default CA directory /usr/lib/ssl/certs does not exist",
            {"path": COMPILED_CAPATH},
        ),
    ]


@pytest.mark.parametrize(
    ("runtime_changes", "cafile_usable"),
    [
        ({"capaths": (TrustSource("/srv/certs", "env:SSL_CERT_DIR"),)}, False),  # a variable overrides the folder
        ({"cafile": TrustSource("/srv/ca.pem", "env:SSL_CERT_FILE")}, False),  # a variable overrides the file
        ({}, True),  # the compiled file serves
        ({"system": "win32"}, False),  # Windows loads its own store
    ],
)
def test_a_missing_compiled_folder_is_info_when_something_else_serves(
    runtime_changes: dict[str, object], cafile_usable: bool
) -> None:
    """A missing compiled folder matters little when a variable overrides it, the file serves, or Windows loads."""
    cafile = (
        bundle(COMPILED_CAFILE, "compiled-cafile") if cafile_usable else missing(COMPILED_CAFILE, "compiled-cafile")
    )
    examined = with_bundles(
        facts(runtime=runtime(**runtime_changes)), cafile, missing(COMPILED_CAPATH, "compiled-capath")
    )
    capath = [f for f in found(trust.default_paths_missing, examined) if f.code == "default-capath-missing"]
    assert [f.severity for f in capath] == [INFO]


def test_compiled_defaults_not_inspected_or_present_say_nothing() -> None:
    """Compiled paths that exist, or were never inventoried, give no default-path finding; nor does a missing ssl."""
    assert found(trust.default_paths_missing, facts()) == []
    assert found(trust.default_paths_missing, facts(bundles=())) == []
    gone = with_bundles(facts(runtime=runtime(ssl_available=False)), missing(COMPILED_CAFILE, "compiled-cafile"))
    assert found(trust.default_paths_missing, gone) == []


# env-path-invalid


@pytest.mark.parametrize(
    ("variable", "target", "problem"),
    [
        ("SSL_CERT_FILE", Bundle("ca.pem", (), "other", "relative", error="relative path"), "is relative (ca.pem)"),
        ("SSL_CERT_FILE", missing("/srv/ca.pem"), "does not exist"),
        (
            "SSL_CERT_FILE",
            Bundle("/srv/ca.pem", (), "other", "symlink-loop", error="symbolic link loop"),
            "symbolic link loop",
        ),
        (
            "SSL_CERT_FILE",
            Bundle("/srv/ca.pem", (), "other", "unreadable", error="permission denied"),
            "permission denied",
        ),
        ("SSL_CERT_FILE", directory("/srv/ca.pem"), "is a hashed folder, not a file"),
        (
            "SSL_CERT_FILE",
            Bundle("/srv/ca.pem", (), "other", "fifo", error="a fifo, not a regular file"),
            "a fifo, not a regular file",
        ),
        ("SSL_CERT_FILE", bundle("/srv/ca.pem", size=0, certificates=0, marked=0), "is an empty file"),
        (
            "SSL_CERT_FILE",
            bundle("/srv/ca.pem", certificates=0, marked=2),
            "holds no parseable certificate (2 blocks marked)",
        ),
        ("SSL_CERT_DIR", bundle("/srv/ca.pem", size=0, certificates=0, marked=0), "is a file, not a directory"),
        ("SSL_CERT_DIR", missing("/srv/ca.pem"), "does not exist"),
    ],
)
def test_each_unusable_target_of_a_variable_is_named(variable: str, target: Bundle, problem: str) -> None:
    """What a CA variable names is judged by what that variable needs: a file with certificates, or a folder."""
    examined = with_bundles(with_environment(facts(), **{variable: target.path}), target)
    (finding,) = found(trust.env_path_invalid, examined)
    assert finding.code == "env-path-invalid"
    hangs = {"urllib (stdlib)": "hangs opening it"} if target.file_type == "fifo" else {}  # Python's own ssl too
    assert finding.evidence == {
        "variable": variable,
        "path": target.path,
        "problem": problem,
        "consumers": OPENSSL_USERS,
        "clients": hangs,
    }
    said = "here: urllib (stdlib) hangs opening it" if hangs else "affects %s" % OPENSSL_USERS
    assert finding.summary == "%s=%s %s; %s" % (variable, target.path, problem, said)


@pytest.mark.parametrize(
    ("version", "severity", "problem"),
    [
        (
            (3, 0, 0, 13, 0),
            INFO,
            "is a file, not a directory: OpenSSL 3 opens it as a store and loads its certificates, so it works here; "
            "OpenSSL 1.1 and LibreSSL look certificates up in it by hash and find none",
        ),
        ((1, 1, 1, 23, 15), WARNING, "is a file, not a directory"),
    ],
    ids=["OpenSSL 3", "OpenSSL 1.1"],
)
def test_a_file_of_certificates_named_as_the_ca_folder_is_said_as_this_openssl_reads_it(
    version: tuple[int, ...], severity: Severity, problem: str
) -> None:
    """SSL_CERT_DIR naming a PEM file works with OpenSSL 3 (a note) and serves nothing with 1.1 (a warning)."""
    examined = with_bundles(
        with_environment(facts(runtime=runtime(openssl_version_info=version)), SSL_CERT_DIR="/srv/ca.pem"),
        bundle("/srv/ca.pem"),
    )
    (finding,) = found(trust.env_path_invalid, examined)
    assert (finding.severity, finding.evidence["problem"]) == (severity, problem)


@pytest.mark.parametrize(
    ("variable", "target"),
    [
        ("SSL_CERT_FILE", bundle("/srv/ca.pem")),
        ("SSL_CERT_FILE", bundle("/srv/ca.pem", parsed=False, certificates=0)),  # a light look: not read, not judged
        ("SSL_CERT_DIR", directory("/srv/ca.pem")),
        ("REQUESTS_CA_BUNDLE", bundle("/srv/ca.pem")),
    ],
)
def test_a_usable_target_is_no_finding(variable: str, target: Bundle) -> None:
    """A variable naming a file of certificates (or a folder, for SSL_CERT_DIR) is fine, as is an unread file."""
    examined = with_bundles(with_environment(facts(), **{variable: target.path}), target)
    assert found(trust.env_path_invalid, examined) == []


def test_an_uninspected_target_is_not_judged() -> None:
    """A variable whose target was not inventoried (a light look) gives no finding rather than a guess."""
    assert found(trust.env_path_invalid, with_environment(facts(), SSL_CERT_FILE="/srv/unseen.pem")) == []


def test_an_empty_variable_no_client_is_hurt_by_is_info_and_an_empty_folder_entry_is_skipped() -> None:
    """REQUESTS_CA_BUNDLE='' is 'set but empty' (info: no client here minds); SSL_CERT_DIR's '' is a separator."""
    examined = with_bundles(
        with_environment(facts(), REQUESTS_CA_BUNDLE="", SSL_CERT_DIR=os.pathsep + "/srv/certs"),
        directory("/srv/certs"),
    )
    assert found(trust.env_path_invalid, examined) == [
        Finding(
            "env-path-invalid",
            INFO,
            "REQUESTS_CA_BUNDLE is set but empty",
            {"variable": "REQUESTS_CA_BUNDLE", "value": "", "consumers": CONSUMERS["REQUESTS_CA_BUNDLE"]},
        )
    ]


def test_each_entry_of_the_folder_list_is_judged_on_its_own() -> None:
    """SSL_CERT_DIR holds a list: only the entry that is not a folder is reported."""
    examined = with_bundles(
        with_environment(facts(), SSL_CERT_DIR="/srv/certs%s/srv/file.pem" % os.pathsep),
        directory("/srv/certs"),
        bundle("/srv/file.pem"),
    )
    assert [f.evidence["path"] for f in found(trust.env_path_invalid, examined)] == ["/srv/file.pem"]


@pytest.mark.parametrize(
    ("variable", "served", "severity"),
    [
        ("SSL_CERT_FILE", True, ERROR),  # the file Python's ssl reads: an error even when a folder serves
        ("SSL_CERT_DIR", True, WARNING),  # the folder, while something else serves: a warning
        ("SSL_CERT_DIR", False, ERROR),  # the folder, when nothing serves: an error
        ("REQUESTS_CA_BUNDLE", False, WARNING),  # another client's variable: a warning
    ],
)
def test_the_severity_follows_whether_python_ssl_reads_the_variable(
    variable: str, served: bool, severity: Severity
) -> None:
    """A bad SSL_CERT_FILE is an error; a bad SSL_CERT_DIR only when nothing else serves; others warn."""
    base = facts() if served else unserved()
    examined = with_bundles(with_environment(base, **{variable: "/srv/gone"}), missing("/srv/gone"))
    assert [f.severity for f in found(trust.env_path_invalid, examined)] == [severity]


def test_an_invalid_variable_says_what_each_installed_client_does_with_it() -> None:
    """The finding names each client's own reaction to the bad variable: requests raises, urllib3 ignores it."""
    examined = with_bundles(
        with_environment(
            facts(distributions=(distribution("requests", "2.32.3"), distribution("urllib3", "2.2.1"))),
            REQUESTS_CA_BUNDLE="/srv/gone",
        ),
        missing("/srv/gone"),
    )
    (finding,) = found(trust.env_path_invalid, examined)
    raises = "raises OSError: Could not find a suitable TLS CA certificate bundle, invalid path"
    assert finding.evidence["clients"] == {"requests": raises, "urllib3": "ignores it"}
    assert finding.summary.endswith("; here: requests %s" % raises)  # urllib3, which ignores it, in evidence only
    assert finding.severity == ERROR  # requests, installed here, raises on it


# capath-unhashed


def test_a_folder_of_certificates_without_links_is_an_error_when_no_file_serves() -> None:
    """Certificate files no link reaches, in the only source: capath-unhashed as an error."""
    unlinked = directory(COMPILED_CAPATH, "in-effect:capath", hash_links=0, unlinked=12)
    examined = with_bundles(facts(), unlinked, missing(COMPILED_CAFILE, "in-effect:cafile"))
    assert found(trust.capath_unhashed, examined) == [
        Finding(
            "capath-unhashed",
            ERROR,
            "/usr/lib/ssl/certs holds 12 certificate files but no hash links: OpenSSL finds nothing there",
            {"path": COMPILED_CAPATH, "unlinked": 12, "hash_links": 0},
        )
    ]


def test_an_unhashed_folder_beside_a_serving_file_is_a_warning() -> None:
    """The same folder next to a CA file that serves is a warning."""
    unlinked = directory(COMPILED_CAPATH, "in-effect:capath", hash_links=3, hash_mismatches=3, unlinked=12)
    (finding,) = found(trust.capath_unhashed, with_bundles(facts(), unlinked))
    assert (finding.severity, finding.evidence["unlinked"]) == (WARNING, 12)


def test_wrong_links_and_unreached_files_are_counted_in_a_warning() -> None:
    """A folder with some working links but wrong ones and unreached files is a warning with both counts."""
    partial = directory(COMPILED_CAPATH, "in-effect:capath", hash_links=10, hash_mismatches=2, unlinked=1)
    assert found(trust.capath_unhashed, with_bundles(facts(), partial)) == [
        Finding(
            "capath-unhashed",
            WARNING,
            "/usr/lib/ssl/certs has 2 hash links that do not match their certificate and 1 certificate files no link "
            "reaches",
            {"path": COMPILED_CAPATH, "hash_mismatches": 2, "unlinked": 1},
        )
    ]


def test_a_folder_in_effect_that_is_a_file_or_fully_linked_is_not_unhashed() -> None:
    """Only directories are judged, and a fully linked one passes; an empty folder with nothing unlinked too."""
    as_file = bundle(COMPILED_CAPATH, "in-effect:capath")
    empty = directory(COMPILED_CAPATH, "in-effect:capath", hash_links=0)
    assert found(trust.capath_unhashed, with_bundles(facts(), as_file)) == []
    assert found(trust.capath_unhashed, facts()) == []
    assert found(trust.capath_unhashed, with_bundles(facts(), empty)) == []


# diagnose


def test_findings_come_worst_first_in_rule_order_within_a_severity() -> None:
    """diagnose sorts by severity only, so rules of equal severity keep the order of the RULES table."""
    examined = with_bundles(
        facts(
            runtime=runtime(
                hints=("conda", "aws-lambda"),
                openssl_version="LibreSSL 3.3.6",
                environment={"SSL_CERT_FILE": "/srv/gone"},
            ),
            libraries=(library(deleted=True),),
        ),
        missing("/srv/gone"),
    )
    assert [(f.code, f.severity) for f in trust.diagnose(examined)] == [
        ("env-path-invalid", ERROR),
        ("library-deleted", WARNING),
        ("openssl-outdated", WARNING),
        ("libressl-ignores-env", INFO),
        ("runtime-known-issue", INFO),
        ("runtime-known-issue", INFO),
    ]


def test_a_program_whose_stack_ignores_the_default_paths_drops_the_findings_about_them() -> None:
    """For node without --use-openssl-ca, default-path findings are dropped and stack-ignores-variable says why."""
    examined = with_bundles(
        facts(
            runtime=runtime(python_version="", environment={"SSL_CERT_FILE": "/srv/gone"}),
            libraries=(library(openssldir="/build/ssl", openssldir_exists=False),),
            stacks=(stack("node"),),
            subject=process_subject("/usr/bin/node", "node", "server.js"),
        ),
        missing("/srv/gone"),
    )
    codes = [f.code for f in trust.diagnose(examined)]
    assert codes == ["stack-ignores-variable"]
    switched = replace(examined, subject=process_subject("/usr/bin/node", "node", "--use-openssl-ca", "server.js"))
    assert [f.code for f in trust.diagnose(switched)] == ["env-path-invalid", "openssldir-missing"]


def test_the_rules_table_holds_each_rule_once() -> None:
    """Every rule function appears once in RULES, so no finding is produced twice."""
    assert len(set(trust.RULES)) == len(trust.RULES)
