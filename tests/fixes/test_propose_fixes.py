"""propose(): the fix each finding gets, its lines and quoting, ranked env, code, library, command, server."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.records import (
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    PRIVATE,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    facts,
    holder,
    host,
    library,
    missing,
    runtime,
    system_library,
    with_bundles,
    with_environment,
)

from cadoctor._fixes.propose import KIND_RANK, propose
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Bundle, Exposure, Facts, Finding, Fix, Severity, TrustSource
from cadoctor._record import replace
from cadoctor._rules.trust import diagnose

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO
WRITABLE = (Exposure("/srv", 1000, 0o777, "writable by every user"),)


def finding(code: str, severity: Severity = ERROR, **evidence: object) -> Finding:
    """A finding as a rule would give it; only the code, the severity and the evidence matter to propose()."""
    return Finding(code, severity, "", evidence)


def nothing_to_name(**changes: object) -> Facts:
    """An empty store on a system whose distribution is unknown, with no bundle a fix could name."""
    return facts(runtime=runtime(context_loaded=0, os_release={}), bundles=(), **changes)


def bad_ssl_cert_file(base: Facts | None = None) -> Facts:
    """SSL_CERT_FILE names a file that does not exist, and it is the CA file in effect."""
    examined = with_environment(base or facts(), SSL_CERT_FILE="/srv/gone")
    examined = replace(
        examined, runtime=replace(examined.runtime, cafile=TrustSource("/srv/gone", "env:SSL_CERT_FILE"))
    )
    return with_bundles(examined, missing("/srv/gone", "in-effect:cafile", "env:SSL_CERT_FILE"))


# An empty or misdirected trust store


def test_a_bad_ssl_cert_file_gets_unset_then_repoint_then_code() -> None:
    """Unset it where the compiled defaults serve, point it at the OS bundle, or load that bundle in code."""
    examined = bad_ssl_cert_file()
    findings = diagnose(examined)
    assert [f.code for f in findings] == ["env-path-invalid"]
    addresses = ("env-path-invalid",)
    unset: dict[str, str | None] = {"SSL_CERT_FILE": None}
    point: dict[str, str | None] = {"SSL_CERT_FILE": SYSTEM_BUNDLE}
    assert propose(examined, findings) == (
        Fix(
            "env",
            "Unset SSL_CERT_FILE: the compiled defaults serve",
            addresses,
            env=unset,
            lines=env_lines(unset),
            sample_source=SYSTEM_BUNDLE,
        ),
        Fix(
            "env",
            "Point SSL_CERT_FILE at %s (140 certificates)" % SYSTEM_BUNDLE,
            addresses,
            env=point,
            lines=env_lines(point),
            sample_source=SYSTEM_BUNDLE,
        ),
        Fix(
            "code",
            "Load %s explicitly where the code builds its context" % SYSTEM_BUNDLE,
            addresses,
            cafile=SYSTEM_BUNDLE,
            lines={"python": "import ssl\ncontext = ssl.create_default_context(cafile=%r)" % SYSTEM_BUNDLE},
            sample_source=SYSTEM_BUNDLE,
        ),
    )


def test_a_warning_about_another_clients_variable_gets_no_trust_fix() -> None:
    """Only an error about Python's own variables, or an empty store, calls for the trust fixes."""
    examined = facts()
    assert propose(examined, (finding("env-path-invalid", WARNING, variable="REQUESTS_CA_BUNDLE"),)) == ()


def test_compiled_defaults_that_do_not_serve_or_are_exposed_are_not_offered() -> None:
    """No 'unset' when the compiled file and folder are empty, missing, or writable by others."""
    exposed = bundle(COMPILED_CAFILE, "compiled-cafile", exposures=WRITABLE)
    examined = with_bundles(bad_ssl_cert_file(), exposed, directory(COMPILED_CAPATH, "compiled-capath", hash_links=0))
    kinds = [(fix.kind, dict(fix.env or {})) for fix in propose(examined, diagnose(examined))]
    assert ("env", {"SSL_CERT_FILE": None}) not in kinds
    assert ("env", {"SSL_CERT_FILE": SYSTEM_BUNDLE}) in kinds


def test_a_bad_folder_beside_a_bad_file_is_unset_as_the_file_is_repointed() -> None:
    """With both variables unusable, pointing SSL_CERT_FILE at the OS bundle also unsets SSL_CERT_DIR."""
    examined = with_bundles(
        with_environment(bad_ssl_cert_file(), SSL_CERT_DIR="/srv/nodir"),
        missing("/srv/nodir", "env:SSL_CERT_DIR"),
        missing(COMPILED_CAFILE, "compiled-cafile"),
        directory(COMPILED_CAPATH, "compiled-capath", hash_links=0),
    )
    findings = (
        finding("trust-store-empty"),
        finding("env-path-invalid", variable="SSL_CERT_FILE"),
        finding("env-path-invalid", variable="SSL_CERT_DIR"),
    )
    (point, code) = propose(examined, findings)
    assert point.env == {"SSL_CERT_FILE": SYSTEM_BUNDLE, "SSL_CERT_DIR": None}
    assert point.addresses == code.addresses == ("trust-store-empty", "env-path-invalid")


@pytest.mark.parametrize(
    ("release", "command"),
    [
        ({"ID": "debian"}, "apt-get install --reinstall ca-certificates && update-ca-certificates"),
        ({"ID": "rocky", "ID_LIKE": "rhel centos fedora"}, "dnf reinstall ca-certificates && update-ca-trust"),
        ({"ID": "alpine"}, "apk add ca-certificates && update-ca-certificates"),
    ],
)
def test_with_no_bundle_to_name_the_distributions_ca_package_is_installed(
    release: dict[str, str], command: str
) -> None:
    """An empty store and no trustworthy bundle anywhere: the os-release family's command reinstalls the CAs."""
    examined = facts(runtime=runtime(os_release=release, context_loaded=0), bundles=())
    assert propose(examined, (finding("trust-store-empty"),)) == (
        Fix(
            "command",
            "Install the distribution's CA certificates",
            ("trust-store-empty",),
            command=command,
            lines={"shell": command},
        ),
    )


def test_an_unknown_distribution_without_a_bundle_gets_no_fix() -> None:
    """No bundle to name and no known CA package: nothing is invented."""
    assert propose(nothing_to_name(), (finding("trust-store-empty"), finding("openssldir-missing", WARNING))) == ()


def test_a_bundle_others_can_write_or_mostly_expired_is_never_named() -> None:
    """The OS bundle writable by others, or half stale, is passed over for certifi's."""
    certifi = "/srv/venv/certifi/cacert.pem"
    examined = facts(
        runtime=runtime(context_loaded=0),
        bundles=(
            bundle(SYSTEM_BUNDLE, "system", exposures=WRITABLE),
            bundle("/etc/pki/tls/certs/ca-bundle.crt", "system", expired=70),
            bundle(certifi, "certifi"),
        ),
    )
    fixes = propose(examined, (finding("trust-store-empty"),))
    assert [fix.env for fix in fixes if fix.kind == "env"] == [{"SSL_CERT_FILE": certifi}]


# Libraries


def test_an_ld_library_path_that_pulled_in_the_library_is_dropped(tmp_path: Path) -> None:
    """The entry holding the libcrypto in use is removed from LD_LIBRARY_PATH, the others kept in order."""
    folder = str(tmp_path / "lib")
    examined = with_environment(
        nothing_to_name(libraries=(library(folder + "/libcrypto.so.3"),)), LD_LIBRARY_PATH="/opt/a:%s/:/opt/b" % folder
    )
    (fix,) = propose(examined, (finding("trust-store-empty"),))
    change: dict[str, str | None] = {"LD_LIBRARY_PATH": "/opt/a:/opt/b"}
    assert fix == Fix(
        "library",
        "Drop %s/ from LD_LIBRARY_PATH so the loader picks the system libcrypto" % folder,
        ("trust-store-empty",),
        env=change,
        lines=env_lines(change),
    )


def test_dropping_the_only_entry_unsets_ld_library_path_and_control_characters_stop_it(tmp_path: Path) -> None:
    """When nothing is left the variable is unset; an entry with a control character is never put in a line."""
    folder = str(tmp_path)
    only = with_environment(nothing_to_name(libraries=(library(folder + "/libcrypto.so.3"),)), LD_LIBRARY_PATH=folder)
    (fix,) = propose(only, (finding("trust-store-empty"),))
    assert fix.env == {"LD_LIBRARY_PATH": None}
    hostile = with_environment(only, LD_LIBRARY_PATH="%s:/opt/\x1b]0;x\x07" % folder)
    assert propose(hostile, (finding("trust-store-empty"),)) == ()


def test_the_loaders_own_libcrypto_is_preloaded_before_ssl(tmp_path: Path) -> None:
    """A private libcrypto in use while the loader's cache has one with a real OPENSSLDIR: preload that pair."""
    system = str(tmp_path / "usr-lib")
    examined = nothing_to_name(
        libraries=(library(str(tmp_path / "opt" / "libcrypto.so.3"), openssldir_exists=False),),
        system_libraries=(
            system_library("libcrypto.so.3", system + "/libcrypto.so.3"),
            system_library("libssl.so.3", system + "/libssl.so.3"),
        ),
    )
    (fix,) = propose(examined, (finding("trust-store-empty"), finding("openssldir-missing", WARNING)))
    preload = (system + "/libcrypto.so.3", system + "/libssl.so.3")
    assert fix == Fix(
        "library",
        "Load the system libcrypto (OPENSSLDIR /usr/lib/ssl) before ssl is imported",
        ("openssldir-missing", "trust-store-empty"),
        preload=preload,
        lines={
            "python": "import ctypes\nctypes.CDLL(%r, mode=ctypes.RTLD_GLOBAL)\n"
            "ctypes.CDLL(%r, mode=ctypes.RTLD_GLOBAL)\nimport ssl  # must come after the preload" % preload,
            "shell": "export LD_PRELOAD='%s:%s'" % preload,
        },
    )


@pytest.mark.parametrize(
    "system_changes",
    [
        {"openssldir_exists": False},  # the loader's own copy is no better
        {"soname": "libcrypto.so.1.1"},  # no copy of that name in the cache
    ],
)
def test_no_preload_without_a_better_copy_of_the_same_name(tmp_path: Path, system_changes: dict[str, object]) -> None:
    """The preload is offered only for the same soname with an OPENSSLDIR that exists, and a libssl beside it."""
    system = str(tmp_path / "usr-lib")
    crypto = system_library("libcrypto.so.3", system + "/libcrypto.so.3")
    examined = nothing_to_name(
        libraries=(library(str(tmp_path / "opt" / "libcrypto.so.3")),),
        system_libraries=(replace(crypto, **system_changes), system_library("libssl.so.3", system + "/libssl.so.3")),
    )
    assert propose(examined, (finding("trust-store-empty"),)) == ()


def test_a_static_ssl_or_the_loaders_own_copy_gets_no_library_fix(tmp_path: Path) -> None:
    """OpenSSL linked into _ssl cannot be swapped; the loader's own copy is already the one to load."""
    path = str(tmp_path / "libcrypto.so.3")
    own = nothing_to_name(
        libraries=(library(path),),
        system_libraries=(system_library("libcrypto.so.3", path), system_library("libssl.so.3", path)),
    )
    static = replace(own, libraries=(library(path, role="static"),))
    for examined in (own, static):
        assert propose(examined, (finding("trust-store-empty"),)) == ()


def test_ssl_that_fails_to_load_a_library_from_ld_library_path_drops_that_entry() -> None:
    """ssl-unavailable naming a library under an LD_LIBRARY_PATH entry: drop that entry so ssl loads the system's."""
    examined = facts(
        runtime=runtime(
            ssl_available=False,
            ssl_error="/srv/broken/libssl.so.3: file too short",
            environment={"LD_LIBRARY_PATH": "/srv/broken/:/opt/ok"},
        )
    )
    change: dict[str, str | None] = {"LD_LIBRARY_PATH": "/opt/ok"}
    assert propose(examined, (finding("ssl-unavailable"),)) == (
        Fix(
            "library",
            "Drop /srv/broken/ from LD_LIBRARY_PATH so that ssl loads the system libraries",
            ("ssl-unavailable",),
            env=change,
            lines=env_lines(change),
        ),
    )
    unrelated = replace(examined, runtime=replace(examined.runtime, ssl_error="No module named '_ssl'"))
    assert propose(unrelated, (finding("ssl-unavailable"),)) == ()


# A private CA in place of the public roots


@pytest.mark.parametrize(
    ("release", "anchor", "refresh"),
    [
        ({"ID": "ubuntu", "ID_LIKE": "debian"}, "/usr/local/share/ca-certificates", "update-ca-certificates"),
        ({"ID": "fedora"}, "/etc/pki/ca-trust/source/anchors", "update-ca-trust extract"),
        ({"ID": "opensuse-leap", "ID_LIKE": "suse opensuse"}, "/etc/pki/trust/anchors", "update-ca-certificates"),
        ({"ID": "arch"}, "/etc/ca-certificates/trust-source/anchors", "update-ca-trust"),
    ],
)
def test_a_private_ca_is_added_to_the_os_store_by_its_distributions_tool(
    release: dict[str, str], anchor: str, refresh: str
) -> None:
    """Instead of replacing every root, the private CA is copied to the anchor folder and the store rebuilt."""
    examined = facts(runtime=runtime(os_release=release))
    found = finding("override-replaces-defaults", WARNING, variable="REQUESTS_CA_BUNDLE", path="/srv/it's ca.pem")
    command = "cp '/srv/it'\"'\"'s ca.pem' '%s/it'\"'\"'s ca.pem.crt' && %s && unset REQUESTS_CA_BUNDLE" % (
        anchor,
        refresh,
    )
    assert propose(examined, (found,)) == (
        Fix(
            "command",
            "Add the private CA to the OS store instead of replacing all roots",
            ("override-replaces-defaults",),
            command=command,
            lines={"shell": command},
        ),
    )


def test_a_private_ca_file_named_crt_keeps_its_name_and_an_unknown_os_gets_no_command() -> None:
    """update-ca-certificates reads only `.crt` files: a name already ending so is kept; no family, no command."""
    found = finding("override-replaces-defaults", WARNING, variable="REQUESTS_CA_BUNDLE", path="/srv/corp.crt")
    (fix,) = propose(facts(), (found,))
    assert fix.command == (
        "cp '/srv/corp.crt' '/usr/local/share/ca-certificates/corp.crt' && update-ca-certificates && unset "
        "REQUESTS_CA_BUNDLE"
    )
    assert propose(facts(runtime=runtime(os_release={"ID": ""})), (found,)) == ()


def test_the_default_contexts_own_override_is_also_joined_with_the_public_roots() -> None:
    """SSL_CERT_FILE with only a private CA: a joined file comes first (env), then the OS store command."""
    examined = with_bundles(facts(), bundle(PRIVATE, "env:SSL_CERT_FILE", certificates=1))
    found = finding("override-replaces-defaults", variable="SSL_CERT_FILE", path=PRIVATE)
    merged, command = propose(examined, (found,))
    assert (merged.kind, merged.env, merged.merge) == (
        "env",
        {"SSL_CERT_FILE": "/srv/app/private-ca+public-roots.pem"},
        (SYSTEM_BUNDLE, PRIVATE),
    )
    assert command.kind == "command"
    untrusted = with_bundles(examined, bundle(PRIVATE, "env:SSL_CERT_FILE", certificates=1, exposures=WRITABLE))
    assert [fix.kind for fix in propose(untrusted, (found,))] == ["command"]


# Commands for one finding each


def test_an_unhashed_folder_is_rehashed_with_its_path_quoted() -> None:
    """capath-unhashed: `openssl rehash` on the folder, quoted for the shell."""
    found = finding("capath-unhashed", WARNING, path="/srv/my certs")
    assert propose(facts(), (found,)) == (
        Fix(
            "command",
            "Create the hash links OpenSSL looks for",
            ("capath-unhashed",),
            command="openssl rehash '/srv/my certs'",
            lines={"shell": "openssl rehash '/srv/my certs'"},
        ),
    )


@pytest.mark.parametrize("code", ["host-unknown-ca", "host-incomplete-chain"])
def test_a_folder_holding_a_failing_hosts_root_is_rehashed_for_that_hosts_own_failure(code: str) -> None:
    """The links are what a host whose root sits unlinked in the folder needs: the fix addresses that host's code.

    A chain that stops short of the root (host-incomplete-chain) is as much that host's failure as an unknown CA; a
    fix said to address a code the report does not carry is refused by the ranking (hypothesis found it).
    """
    folder = "/srv/my certs"
    examined = replace(facts(), hosts=(host(code, holders=(holder(folder),)), host(None)))
    fix = propose(examined, (finding("capath-unhashed", WARNING, path=folder),))[0]
    assert (fix.summary, fix.addresses) == (
        "Create the hash links OpenSSL looks for (app.example.test needs the root it holds)",
        ("capath-unhashed", code),
    )


def test_a_writable_source_is_given_back_to_root_each_path_quoted_once() -> None:
    """trust-writable: chown and chmod on every exposed path, sorted, deduplicated and quoted."""
    exposures = [{"path": "/srv/ca dir"}, {"path": "/srv/ca dir/ca.pem"}, {"path": "/srv/ca dir"}]
    found = finding("trust-writable", path="/srv/ca dir/ca.pem", exposures=exposures)
    command = "chown root '/srv/ca dir' '/srv/ca dir/ca.pem' && chmod go-w '/srv/ca dir' '/srv/ca dir/ca.pem'"
    assert propose(facts(), (found,)) == (
        Fix(
            "command",
            "Let only root change /srv/ca dir/ca.pem",
            ("trust-writable",),
            command=command,
            lines={"shell": command},
        ),
    )


def test_a_broken_configuration_named_by_openssl_conf_is_unset() -> None:
    """openssl-config-broken with OPENSSL_CONF set: unset it; without it, there is no safe change to offer."""
    change: dict[str, str | None] = {"OPENSSL_CONF": None}
    examined = with_environment(facts(), OPENSSL_CONF="/srv/openssl.cnf")
    assert propose(examined, (finding("openssl-config-broken"),)) == (
        Fix(
            "env",
            "Unset OPENSSL_CONF so the library reads its own configuration",
            ("openssl-config-broken",),
            env=change,
            lines=env_lines(change),
        ),
    )
    assert propose(facts(), (finding("openssl-config-broken"),)) == ()


def test_python_org_macos_runs_its_install_certificates_step() -> None:
    """The python.org framework gets its own installer step, the path quoted (it holds spaces)."""
    examined = facts(runtime=runtime(python_version="3.12.7", system="darwin"))
    command = "'/Applications/Python 3.12/Install Certificates.command'"
    found = finding("runtime-known-issue", WARNING, distribution="python.org-macos")
    assert propose(examined, (found,)) == (
        Fix(
            "command",
            "Run the python.org installer's 'Install Certificates' step for Python 3.12",
            ("runtime-known-issue",),
            command=command,
            lines={"shell": command},
        ),
    )
    assert propose(examined, (finding("runtime-known-issue", INFO, distribution="conda"),)) == ()


def test_a_cx_freeze_app_lacking_local_roots_is_pointed_at_the_system_store() -> None:
    """cx_Freeze keeps SSL_CERT_FILE set to its snapshot: the fix points it at the OS bundle instead."""
    snapshot = "/opt/app/lib/certifi/cacert.pem"
    found = finding(
        "runtime-known-issue", WARNING, distribution="cx_freeze", cafile=snapshot, missing_local_roots=["CN=Corp"]
    )
    change: dict[str, str | None] = {"SSL_CERT_FILE": SYSTEM_BUNDLE}
    assert propose(facts(), (found,)) == (
        Fix(
            "env",
            "Start the app with SSL_CERT_FILE=%s (the system store)" % SYSTEM_BUNDLE,
            ("runtime-known-issue",),
            env=change,
            lines=env_lines(change),
            sample_source=SYSTEM_BUNDLE,
        ),
    )
    only_certifi = facts(bundles=(bundle("/srv/venv/certifi/cacert.pem", "certifi"),))
    assert propose(only_certifi, (found,)) == ()  # certifi lacks the local roots too


def test_libressl_gets_the_variables_locations_loaded_in_code() -> None:
    """LibreSSL ignores SSL_CERT_FILE and SSL_CERT_DIR: the code loads what they name, when it serves."""
    examined = with_bundles(
        with_environment(facts(), SSL_CERT_FILE="/srv/ca.pem", SSL_CERT_DIR="/srv/certs"),
        bundle("/srv/ca.pem"),
        directory("/srv/certs"),
    )
    found = finding("libressl-ignores-env", INFO)
    assert propose(examined, (found,)) == (
        Fix(
            "code",
            "Load /srv/ca.pem and /srv/certs explicitly: this TLS library does not read the variables",
            ("libressl-ignores-env",),
            cafile="/srv/ca.pem",
            capath="/srv/certs",
            lines={
                "python": "import ssl\ncontext = ssl.create_default_context()\n"
                "context.load_verify_locations(cafile='/srv/ca.pem', capath='/srv/certs')"
            },
        ),
    )
    folder_only = with_bundles(examined, missing("/srv/ca.pem"))
    (fix,) = propose(folder_only, (found,))
    assert (fix.cafile, fix.capath) == (None, "/srv/certs")
    assert fix.lines["python"].endswith("context.load_verify_locations(capath='/srv/certs')")
    assert propose(with_bundles(folder_only, missing("/srv/certs")), (found,)) == ()


def test_a_deleted_library_asks_for_a_restart() -> None:
    """library-deleted: restart the process; nothing to run for it but the process itself."""
    found = finding("library-deleted", WARNING, path="/usr/lib/x86_64-linux-gnu/libssl.so.3")
    assert propose(facts(), (found,)) == (
        Fix("command", "Restart the process so that it maps the current libssl.so.3", ("library-deleted",)),
    )


# Ranking and duplicates


def test_fixes_are_ranked_by_kind_and_each_change_is_offered_once() -> None:
    """Env (and config) before code before library before command; the same change from two findings appears once."""
    assert list(KIND_RANK) == ["env", "config", "code", "library", "command", "server"]
    assert KIND_RANK["config"] == KIND_RANK["env"]
    examined = with_environment(bad_ssl_cert_file(), OPENSSL_CONF="/srv/openssl.cnf")
    findings = (
        finding("library-deleted", WARNING, path=COMPILED_CAFILE),
        finding("capath-unhashed", WARNING, path="/srv/a"),
        finding("capath-unhashed", WARNING, path="/srv/a"),
        finding("openssl-config-broken"),
        *diagnose(examined),
    )
    fixes = propose(examined, findings)
    assert [fix.kind for fix in fixes] == ["env", "env", "env", "code", "command", "command"]
    assert [fix.command for fix in fixes].count("openssl rehash '/srv/a'") == 1


def test_a_missing_bundle_is_not_a_candidate(tmp_path: Path) -> None:
    """A bundle that is not a regular file (a folder, a missing name) is never what a fix points at."""
    examined = facts(
        runtime=runtime(context_loaded=0),
        bundles=(directory(SYSTEM_BUNDLE, "system"), Bundle(str(tmp_path), ("system",), "other", "fifo")),
    )
    assert [fix.kind for fix in propose(examined, (finding("trust-store-empty"),))] == ["command"]
