"""The trust rules about what the sources hold and what runs them, one branch at a time: bundles, certifi, the
libraries, OpenSSL's version, who can write the store, strictness, known runtimes; the exact findings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAFILE,
    LIBCRYPTO,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    facts,
    healthy_bundles,
    library,
    local_root,
    runtime,
    system_library,
    unserved,
    with_bundles,
    with_environment,
)

from cadoctor._model import Bundle, Exposure, Facts, Finding, Severity, TrustSource
from cadoctor._record import replace
from cadoctor._rules import trust

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO

Rule = Callable[[Facts], Iterator[Finding]]


def found(rule: Rule, examined: Facts) -> list[Finding]:
    """What one rule says about the facts."""
    return list(rule(examined))


# bundle-unparseable, bundle-expired-roots


def test_blocks_that_do_not_parse_are_a_warning_with_the_problems() -> None:
    """A bundle whose marked blocks do not all load in OpenSSL is bundle-unparseable, with its counts and problems."""
    broken = bundle(SYSTEM_BUNDLE, "system", certificates=139, unparseable=1, problems=("block 7: bad base64",))
    assert found(trust.bundle_unparseable, with_bundles(facts(), broken)) == [
        Finding(
            "bundle-unparseable",
            WARNING,
            "%s: OpenSSL loads 139 of the 140 certificates it carries (block 7: bad base64)" % SYSTEM_BUNDLE,
            {
                "path": SYSTEM_BUNDLE,
                "parsed": 139,
                "marked": 140,
                "unloaded": 1,
                "problems": ["block 7: bad base64"],
                "truncated_scan": False,
                "read_by": None,
                "hosts": [],
            },
        )
    ]


def test_unparseable_blocks_in_a_local_anchor_folder_are_left_to_the_os_tools() -> None:
    """The local anchor folders are inputs to update-ca-certificates, not stores: they are not judged."""
    anchors = directory("/usr/local/share/ca-certificates", "local-anchors", unparseable=2, marked=3)
    assert found(trust.bundle_unparseable, with_bundles(facts(), anchors)) == []


@pytest.mark.parametrize(
    ("expired", "not_yet_valid", "version", "severity"),
    [
        (1, 0, (3, 0, 0, 13, 0), INFO),  # OpenSSL >= 1.1 skips a few stale roots
        (0, 1, (3, 0, 0, 13, 0), INFO),
        (1, 0, (1, 0, 2, 11, 0), WARNING),  # an OpenSSL before 1.1 picks an expired root and fails
        (60, 10, (3, 0, 0, 13, 0), WARNING),  # half the bundle stale bites on any version
    ],
)
def test_stale_roots_in_effect_are_info_unless_old_openssl_or_mostly_stale(
    expired: int, not_yet_valid: int, version: tuple[int, ...], severity: Severity
) -> None:
    """Expired or not yet valid roots in effect: info, a warning on OpenSSL < 1.1 or when half are stale."""
    stale = bundle(COMPILED_CAFILE, "in-effect:cafile", expired=expired, not_yet_valid=not_yet_valid)
    examined = with_bundles(facts(runtime=runtime(openssl_version_info=version)), stale)
    assert found(trust.bundle_expired_roots, examined) == [
        Finding(
            "bundle-expired-roots",
            severity,
            "%s: %d expired and %d not yet valid of 140 certificates" % (COMPILED_CAFILE, expired, not_yet_valid),
            {"path": COMPILED_CAFILE, "expired": expired, "not_yet_valid": not_yet_valid, "certificates": 140},
        )
    ]


def test_stale_roots_outside_the_sources_in_effect_are_not_counted() -> None:
    """A bundle the default context does not read may hold expired roots without a finding."""
    examined = with_bundles(facts(), bundle(SYSTEM_BUNDLE, "system", expired=140))
    assert found(trust.bundle_expired_roots, examined) == []


# certifi-lacks-system-roots


def _certifi_and_system(*certifi_roles: str, system_identities: frozenset[str]) -> Facts:
    """certifi's bundle (the public roots) and the OS's (the public roots and maybe more)."""
    return with_bundles(
        facts(),
        bundle(CERTIFI, "certifi", *certifi_roles),
        bundle(SYSTEM_BUNDLE, "system", identities=system_identities),
    )


def test_roots_the_os_has_and_certifi_lacks_are_info_while_nothing_relies_on_certifi() -> None:
    """certifi lacking the OS's extra roots is info when no client here is told to use certifi's file."""
    examined = _certifi_and_system(system_identities=frozenset({"public-root-1", "corp-root"}))
    assert found(trust.certifi_lacks_system_roots, examined) == [
        Finding(
            "certifi-lacks-system-roots",
            INFO,
            "1 roots of %s are not in certifi's %s" % (SYSTEM_BUNDLE, CERTIFI),
            {
                "system": SYSTEM_BUNDLE,
                "certifi": CERTIFI,
                "missing": 1,
                "local_anchors": [],
                "certifi_in_effect_as": [],
            },
        )
    ]


def test_certifi_relied_on_and_local_anchors_make_it_a_warning_naming_them() -> None:
    """When a variable names certifi's file, it is a warning; the anchor folders holding the roots are named."""
    examined = _certifi_and_system("env:REQUESTS_CA_BUNDLE", system_identities=frozenset({"corp-root"}))
    anchors = directory("/usr/local/share/ca-certificates", "local-anchors", identities=frozenset({"corp-root"}))
    examined = with_bundles(examined, anchors, directory("/etc/pki/trust/anchors", "local-anchors"))
    (finding,) = found(trust.certifi_lacks_system_roots, examined)
    assert finding.severity == WARNING
    assert finding.summary.endswith(" (including locally added CAs from /usr/local/share/ca-certificates)")
    assert finding.evidence["local_anchors"] == ["/usr/local/share/ca-certificates"]
    assert finding.evidence["certifi_in_effect_as"] == ["env:REQUESTS_CA_BUNDLE"]


@pytest.mark.parametrize(
    "bundles",
    [
        (bundle(CERTIFI, "certifi"), bundle(SYSTEM_BUNDLE, "system")),  # the same roots
        (bundle(SYSTEM_BUNDLE, "system", "certifi", identities=frozenset({"x"})),),  # certifi is the OS bundle
        (bundle(CERTIFI, "certifi", certificates=0), bundle(SYSTEM_BUNDLE, "system", identities=frozenset({"x"}))),
        (bundle(CERTIFI, "certifi"), directory("/etc/ssl/certs", "system", identities=frozenset({"x"}))),
    ],
)
def test_certifi_is_compared_only_with_a_different_system_file(bundles: tuple[Bundle, ...]) -> None:
    """No finding without a certifi that parses, a system bundle file apart from it, and a root it lacks."""
    examined = replace(facts(), bundles=(*healthy_bundles()[:2], *bundles))
    assert found(trust.certifi_lacks_system_roots, examined) == []


# library-deleted, library-override


@pytest.mark.parametrize(
    ("deleted", "replaced", "what"), [(True, False, "was deleted"), (False, True, "was replaced by another file")]
)
def test_a_library_changed_on_disk_after_loading_is_a_warning(deleted: bool, replaced: bool, what: str) -> None:
    """A mapped library deleted or replaced since it was loaded: the process runs old code until restarted."""
    examined = facts(libraries=(library(deleted=deleted, replaced=replaced),))
    assert found(trust.library_deleted, examined) == [
        Finding(
            "library-deleted",
            WARNING,
            "%s %s after it was loaded: the process runs the old code until restarted" % (LIBCRYPTO, what),
            {"path": LIBCRYPTO, "deleted": deleted, "replaced": replaced},
        )
    ]


def test_libraries_pulled_in_by_ld_library_path_are_one_warning_per_variable(tmp_path: Path) -> None:
    """libcrypto and libssl from an LD_LIBRARY_PATH folder are one library-override naming both and the system's."""
    folder = str(tmp_path)
    crypto, ssl = folder + "/libcrypto.so.3", folder + "/libssl.so.3"
    examined = facts(
        runtime=runtime(environment={"LD_LIBRARY_PATH": folder + "/"}),
        libraries=(
            library(crypto),
            library(ssl, role="libssl", in_use=False),
            library(folder + "/libz.so", role="other"),
        ),
        system_libraries=(system_library("libcrypto.so.3", folder + "/sys/libcrypto.so.3"),),
    )
    assert found(trust.library_override, examined) == [
        Finding(
            "library-override",
            WARNING,
            "LD_LIBRARY_PATH made the process load %s instead of %s/sys/libcrypto.so.3, %s" % (crypto, folder, ssl),
            {
                "variable": "LD_LIBRARY_PATH",
                "value": folder + "/",
                "loaded": [crypto, ssl],
                "system": [folder + "/sys/libcrypto.so.3", None],
            },
        )
    ]


@pytest.mark.parametrize("variable", ["LD_PRELOAD", "DYLD_INSERT_LIBRARIES"])
def test_a_preloaded_library_is_blamed_on_the_preload_variable(variable: str, tmp_path: Path) -> None:
    """A libcrypto named in LD_PRELOAD (space or colon separated) is attributed to it, before any folder list."""
    path = "%s/libcrypto.so.3" % tmp_path
    environment = {variable: "/x/libfoo.so %s" % path, "LD_LIBRARY_PATH": str(tmp_path)}
    (finding,) = found(
        trust.library_override, facts(runtime=runtime(environment=environment), libraries=(library(path),))
    )
    assert (finding.evidence["variable"], finding.evidence["loaded"], finding.evidence["system"]) == (
        variable,
        [path],
        [None],
    )


def test_the_loaders_own_copy_or_an_identical_one_is_no_override(tmp_path: Path) -> None:
    """A library that is the system's (same real path) or byte for byte the same is no override."""
    path = "%s/libcrypto.so.3" % tmp_path
    environment = {"LD_LIBRARY_PATH": str(tmp_path)}
    same = facts(
        runtime=runtime(environment=environment),
        libraries=(library(path),),
        system_libraries=(system_library("libcrypto.so.3", path),),
    )
    identical = facts(runtime=runtime(environment=environment), libraries=(library(path, same_bytes_as="/usr/lib/x"),))
    unrelated = facts(runtime=runtime(environment={"LD_LIBRARY_PATH": "/opt/other"}), libraries=(library(path),))
    assert found(trust.library_override, same) == []
    assert found(trust.library_override, identical) == []
    assert found(trust.library_override, unrelated) == []


# openssl-outdated, libressl-ignores-env


@pytest.mark.parametrize("name", ["LibreSSL 3.3.6", "BoringSSL", "AWS-LC 1.20"])
def test_a_tls_library_other_than_openssl_is_a_warning(name: str) -> None:
    """ssl on LibreSSL, BoringSSL or AWS-LC: trust paths and variables behave differently."""
    examined = facts(runtime=runtime(openssl_version=name))
    assert found(trust.openssl_outdated, examined) == [
        Finding(
            "openssl-outdated",
            WARNING,
            "ssl runs on %s, not OpenSSL: trust paths and variables behave differently" % name,
            {"version": name},
        )
    ]


def test_an_openssl_before_111_is_a_warning() -> None:
    """OpenSSL 1.1.0 and older are outdated; 1.1.1 is not."""
    old = facts(runtime=runtime(openssl_version="OpenSSL 1.0.2k-fips", openssl_version_info=(1, 0, 2, 11, 15)))
    current = facts(runtime=runtime(openssl_version="OpenSSL 1.1.1w", openssl_version_info=(1, 1, 1, 23, 15)))
    assert found(trust.openssl_outdated, old) == [
        Finding(
            "openssl-outdated",
            WARNING,
            "ssl runs on OpenSSL 1.0.2k-fips, older than OpenSSL 1.1.1",
            {"version": "OpenSSL 1.0.2k-fips"},
        )
    ]
    assert found(trust.openssl_outdated, current) == []


def test_no_ssl_module_is_not_an_outdated_one() -> None:
    """Without ssl, the version is not judged (ssl-unavailable says enough)."""
    examined = facts(runtime=runtime(ssl_available=False, openssl_version=None, openssl_version_info=()))
    assert found(trust.openssl_outdated, examined) == []


def test_libressl_with_the_variables_set_says_they_are_ignored() -> None:
    """On LibreSSL, SSL_CERT_FILE and SSL_CERT_DIR are named as ignored; unset, nothing is said."""
    libre = runtime(openssl_version="LibreSSL 3.3.6", environment={"SSL_CERT_FILE": "/a", "SSL_CERT_DIR": "/b"})
    assert found(trust.libressl_ignores_env, facts(runtime=libre)) == [
        Finding(
            "libressl-ignores-env",
            INFO,
            "SSL_CERT_FILE and SSL_CERT_DIR is set, but LibreSSL ignores it: only load_verify_locations works",
            {"variables": ["SSL_CERT_FILE", "SSL_CERT_DIR"], "version": "LibreSSL 3.3.6"},
        )
    ]
    assert found(trust.libressl_ignores_env, facts(runtime=replace(libre, environment={}))) == []
    assert found(trust.libressl_ignores_env, with_environment(facts(), SSL_CERT_FILE="/a")) == []


# trust-writable


def test_a_source_in_effect_others_can_write_is_an_error_with_each_exposure() -> None:
    """A CA file in effect whose folder is world-writable is trust-writable, the mode shown in octal."""
    exposure = Exposure("/usr/lib/ssl", 0, 0o777, "writable by every user")
    writable = bundle(COMPILED_CAFILE, "in-effect:cafile", exposures=(exposure,))
    assert found(trust.trust_writable, with_bundles(facts(), writable)) == [
        Finding(
            "trust-writable",
            ERROR,
            "/usr/lib/ssl/cert.pem can be changed by others: /usr/lib/ssl is writable by every user",
            {
                "path": COMPILED_CAFILE,
                "exposures": [{"path": "/usr/lib/ssl", "uid": 0, "mode": "0777", "reason": "writable by every user"}],
            },
        )
    ]


def test_exposures_count_only_for_sources_in_use_that_exist() -> None:
    """A writable bundle nobody reads, or a source that is not a file or folder, is not trust-writable."""
    exposure = (Exposure("/srv", 1000, 0o775, "writable by group 50"),)
    unused = bundle("/srv/spare.pem", "system", exposures=exposure)
    named = bundle("/srv/named.pem", "env:REQUESTS_CA_BUNDLE", exposures=exposure)
    device = Bundle("/srv/dev", ("in-effect:cafile",), "other", "char-device", exposures=exposure)
    codes = [f.evidence["path"] for f in found(trust.trust_writable, with_bundles(facts(), unused, named, device))]
    assert codes == ["/srv/named.pem"]


# strict-verification


def test_python_313_reports_roots_strict_verification_rejects() -> None:
    """From Python 3.13 on, CA certificates in effect that break X509_STRICT are info, with the count."""
    legacy = bundle(COMPILED_CAFILE, "in-effect:cafile", strict_violations=3)
    examined = with_bundles(facts(runtime=runtime(python_version="3.13.1")), legacy)
    assert found(trust.strict_verification, examined) == [
        Finding(
            "strict-verification",
            INFO,
            "/usr/lib/ssl/cert.pem: 3 CA certificates lack a critical basicConstraints, a key usage or a subject key "
            "identifier; "
            "Python 3.13.1 rejects chains that end at them",
            {"path": COMPILED_CAFILE, "certificates": 3},
        )
    ]


@pytest.mark.parametrize("version", ["3.12.7", "", "node 20"])
def test_older_pythons_and_programs_are_not_strict(version: str) -> None:
    """Before 3.13, or for a program that is not Python (no version to read), strictness does not apply."""
    legacy = bundle(COMPILED_CAFILE, "in-effect:cafile", strict_violations=3)
    examined = with_bundles(facts(runtime=runtime(python_version=version)), legacy)
    assert found(trust.strict_verification, examined) == []


# runtime-known-issue


def _issues(examined: Facts) -> list[tuple[Severity, dict[str, object]]]:
    """The known issues of a runtime, by severity and evidence."""
    return [(f.severity, dict(f.evidence)) for f in found(trust.runtime_known_issue, examined)]


def test_the_python_org_macos_framework_without_certificates_is_a_warning() -> None:
    """python.org's macOS build that trusts nothing: run 'Install Certificates.command'."""
    examined = unserved(runtime=runtime(hints=("python.org-macos",), context_loaded=0))
    assert _issues(examined) == [(WARNING, {"distribution": "python.org-macos", "expected": COMPILED_CAFILE})]
    assert _issues(facts(runtime=runtime(hints=("python.org-macos",)))) == []


def test_conda_is_info_naming_its_own_cafile() -> None:
    """A conda environment trusts its own CA file: said as info."""
    examined = facts(runtime=runtime(hints=("conda",)))
    assert _issues(examined) == [(INFO, {"distribution": "conda", "cafile": COMPILED_CAFILE})]


def test_a_frozen_app_with_a_build_machine_openssldir_is_a_warning_when_nothing_serves() -> None:
    """A frozen app carrying a missing OPENSSLDIR warns only when nothing serves."""
    lib = (library(openssldir="/build/ssl", openssldir_exists=False),)
    served = facts(runtime=runtime(hints=("frozen",)), libraries=lib)
    broken = unserved(runtime=runtime(hints=("frozen",), context_loaded=0), libraries=lib)
    assert _issues(served) == []
    assert _issues(broken) == [(WARNING, {"distribution": "frozen", "openssldir": "/build/ssl"})]


def test_nix_without_nix_ssl_cert_file_warns_only_when_nothing_serves() -> None:
    """Nix's Python without NIX_SSL_CERT_FILE: a warning when nothing serves, info otherwise, silent when set."""
    assert _issues(unserved(runtime=runtime(hints=("nix",), context_loaded=0))) == [(WARNING, {"distribution": "nix"})]
    assert _issues(facts(runtime=runtime(hints=("nix",)))) == [(INFO, {"distribution": "nix"})]
    assert _issues(facts(runtime=runtime(hints=("nix",), environment={"NIX_SSL_CERT_FILE": "/x"}))) == []


def test_python_build_standalone_warns_when_its_guessed_paths_do_not_serve() -> None:
    """python-build-standalone looks in /etc/ssl: a warning only when that serves nothing."""
    examined = unserved(runtime=runtime(hints=("python-build-standalone",), context_loaded=0))
    assert _issues(examined) == [(WARNING, {"distribution": "python-build-standalone"})]
    assert _issues(facts(runtime=runtime(hints=("python-build-standalone",)))) == []


def test_each_serverless_platform_is_info() -> None:
    """Lambda, Azure Functions and Cloud Run are each named as info, in that order."""
    examined = facts(runtime=runtime(hints=("google-cloud-run", "aws-lambda", "azure-functions")))
    assert _issues(examined) == [
        (INFO, {"distribution": "aws-lambda"}),
        (INFO, {"distribution": "azure-functions"}),
        (INFO, {"distribution": "google-cloud-run"}),
    ]


def test_a_cx_freeze_app_lacking_local_roots_warns_and_names_them() -> None:
    """A cx_Freeze app's snapshot of roots that lacks a root of this system's store is a warning naming it."""
    snapshot = "/opt/app/lib/certifi/cacert.pem"
    examined = with_bundles(
        facts(
            runtime=runtime(hints=("cx_freeze", "frozen"), cafile=TrustSource(snapshot, "env:SSL_CERT_FILE")),
            local_roots=(local_root("CN=Corp Root", "corp-root"), local_root("CN=Held", "public-root-1")),
        ),
        bundle(snapshot, "in-effect:cafile"),
    )
    assert found(trust.runtime_known_issue, examined) == [
        Finding(
            "runtime-known-issue",
            WARNING,
            "cx_Freeze application: its frozen ssl sets SSL_CERT_FILE=%s at import (a copy of the build machine's "
            "roots, 140 certificates), so the OS store is never read: it lacks 1 root(s) added to this system's "
            "store (CN=Corp Root)" % snapshot,
            {"distribution": "cx_freeze", "cafile": snapshot, "missing_local_roots": ["CN=Corp Root"]},
        )
    ]


def test_a_cx_freeze_app_holding_every_local_root_is_info_and_an_unread_snapshot_is_said() -> None:
    """Without a missing local root it is info; a snapshot never read is 'not read' and lacks every local root."""
    snapshot = "/opt/app/lib/certifi/cacert.pem"
    base = facts(runtime=runtime(hints=("cx_freeze",), cafile=TrustSource(snapshot, "env:SSL_CERT_FILE")))
    (held,) = found(trust.runtime_known_issue, with_bundles(base, bundle(snapshot, "in-effect:cafile")))
    assert held.severity == INFO
    assert held.summary.endswith("; roots added to the system store later will not be trusted")
    unread = replace(base, local_roots=(local_root("CN=Corp Root", "corp-root"),))
    (finding,) = found(trust.runtime_known_issue, unread)
    assert "(a copy of the build machine's roots, not read)" in finding.summary
    assert finding.evidence["missing_local_roots"] == ["CN=Corp Root"]


def test_a_cx_freeze_app_without_a_ca_file_says_nothing_of_its_snapshot() -> None:
    """No CA file in effect: there is no snapshot to speak of."""
    assert _issues(facts(runtime=runtime(hints=("cx_freeze",), cafile=None))) == []
