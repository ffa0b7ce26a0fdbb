"""The rules: a pure function from facts to findings. No rule opens a file or looks at the clock."""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping

from cadoctor._model import Bundle, Facts, Finding, Severity
from cadoctor._rules.anchors import anchor_findings
from cadoctor._rules.ca_values import env_path_invalid as env_path_invalid  # one of RULES, named here too
from cadoctor._rules.ca_values import in_effect, trust_served
from cadoctor._rules.clients import client_findings, injector_findings
from cadoctor._rules.hosts import host_findings
from cadoctor._rules.images import other_pythons
from cadoctor._rules.public_roots import override_replaces_defaults
from cadoctor._rules.stacks import about_default_paths, reads_default_paths, stack_findings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    Rule = Callable[[Facts], Iterator[Finding]]

ERROR, WARNING, INFO = Severity.ERROR, Severity.WARNING, Severity.INFO


# Variables whose file replaces, not extends, the client's roots.


def _describe(bundle: Bundle | None) -> str:
    """Say in a few words what a path holds."""
    if bundle is None:
        return "not inspected"
    if bundle.error:
        return bundle.error
    if bundle.kind == "directory":
        return "%d hash links, %d wrong, %d unlinked certificate files" % (
            bundle.hash_links,
            bundle.hash_mismatches,
            bundle.unlinked,
        )
    return "%d certificates" % bundle.certificates


def ssl_unavailable(facts: Facts) -> Iterator[Finding]:
    """Python has no usable ssl module."""
    if not facts.runtime.ssl_available:
        yield Finding(
            "ssl-unavailable",
            ERROR,
            "Python cannot import ssl: %s" % facts.runtime.ssl_error,
            {"error": facts.runtime.ssl_error, "executable": facts.runtime.executable},
        )


def openssl_config_broken(facts: Facts) -> Iterator[Finding]:
    """Creating a default context fails, usually because of the OpenSSL configuration."""
    runtime = facts.runtime
    if runtime.ssl_available and runtime.context_ok is False:
        library = facts.ssl_library
        default_conf = os.path.join(library.openssldir, "openssl.cnf") if library and library.openssldir else None
        conf = runtime.environment.get("OPENSSL_CONF") or default_conf
        yield Finding(
            "openssl-config-broken",
            ERROR,
            "ssl.create_default_context() fails: %s (configuration: %s)" % (runtime.context_error, conf),
            {
                "error": runtime.context_error,
                "openssl_conf": runtime.environment.get("OPENSSL_CONF"),
                "default_config": default_conf,
            },
        )


def trust_store_empty(facts: Facts) -> Iterator[Finding]:
    """No CA file loads and no hashed directory serves: every verification will fail."""
    runtime = facts.runtime
    if not runtime.ssl_available or runtime.context_ok is False or trust_served(facts):
        return
    cafile, capaths = in_effect(facts)
    file_path = runtime.cafile.path if runtime.cafile else None
    yield Finding(
        "trust-store-empty",
        ERROR,
        "The default context trusts nothing: CA file %s (%s), CA directories %s"
        % (file_path, _describe(cafile), ", ".join("%s (%s)" % (b.path, _describe(b)) for b in capaths) or "none"),
        {
            "cafile": file_path,
            "cafile_source": runtime.cafile.source if runtime.cafile else None,
            "capaths": [c.path for c in runtime.capaths],
            "certificates_loaded": runtime.context_loaded,
        },
    )


def _windows_store_serves(facts: Facts) -> bool:
    """On Windows, ssl loads the system certificate store: a missing OPENSSLDIR there is the normal case."""
    return facts.runtime.system == "win32" and facts.runtime.context_loaded > 0


def openssldir_missing(facts: Facts) -> Iterator[Finding]:
    """The libcrypto in use was built for a directory this host does not have."""
    library = facts.ssl_library
    if library is not None and library.openssldir_exists is False:
        yield Finding(
            "openssldir-missing",
            INFO if _windows_store_serves(facts) else WARNING,
            "%s was compiled with OPENSSLDIR %s, which does not exist here" % (library.path, library.openssldir),
            {"library": library.path, "openssldir": library.openssldir, "version": library.version},
        )


def default_paths_missing(facts: Facts) -> Iterator[Finding]:
    """The compiled default CA file or directory is absent."""
    runtime = facts.runtime
    if not runtime.ssl_available:
        return
    cafile = facts.bundle(runtime.compiled_cafile)
    if cafile is not None and cafile.file_type == "missing":
        yield Finding(
            "default-cafile-missing",
            INFO,
            "The compiled default CA file %s does not exist" % runtime.compiled_cafile,
            {"path": runtime.compiled_cafile},
        )
    capath = facts.bundle(runtime.compiled_capath)
    if capath is not None and capath.file_type == "missing":
        overridden = any(c.source != "compiled" for c in runtime.capaths) or (
            runtime.cafile is not None and runtime.cafile.source != "compiled"
        )
        served_otherwise = overridden or (cafile is not None and cafile.usable) or _windows_store_serves(facts)
        severity = INFO if served_otherwise else WARNING
        yield Finding(
            "default-capath-missing",
            severity,
            "The compiled default CA directory %s does not exist" % runtime.compiled_capath,
            {"path": runtime.compiled_capath},
        )


def capath_unhashed(facts: Facts) -> Iterator[Finding]:
    """A CA directory in effect has certificates OpenSSL cannot find: no (or wrong) hash links."""
    cafile, capaths = in_effect(facts)
    for bundle in capaths:
        if bundle.kind != "directory":
            continue
        working = bundle.working_links
        if working == 0 and bundle.unlinked:
            severity = WARNING if cafile is not None and cafile.usable else ERROR
            yield Finding(
                "capath-unhashed",
                severity,
                "%s holds %d certificate files but no hash links: OpenSSL finds nothing there"
                % (bundle.path, bundle.unlinked),
                {"path": bundle.path, "unlinked": bundle.unlinked, "hash_links": bundle.hash_links},
            )
        elif bundle.hash_mismatches or bundle.unlinked:
            yield Finding(
                "capath-unhashed",
                WARNING,
                "%s has %d hash links that do not match their certificate and %d certificate files no link reaches"
                % (bundle.path, bundle.hash_mismatches, bundle.unlinked),
                {"path": bundle.path, "hash_mismatches": bundle.hash_mismatches, "unlinked": bundle.unlinked},
            )


def bundle_unparseable(facts: Facts) -> Iterator[Finding]:
    """A bundle carries certificates that OpenSSL does not load: damaged blocks, or blocks it never reads.

    What counts is OpenSSL's own reading (the loaded libcrypto's, where the file is not plain PEM): one bad block
    and a CA file loads nothing at all, an error for everything that reads it; some blocks skipped is a warning.
    """
    reported: set[str] = set()
    for bundle in facts.bundles:
        real = bundle.realpath or bundle.path
        if not bundle.unparseable or "local-anchors" in bundle.roles or real in reported:
            continue  # a file reached under several names (cert.pem, ca-certificates.crt) is reported once
        reported.add(real)
        nothing = bundle.certificates == 0 and bundle.kind == "file"
        what = "loads none" if nothing else "loads %d" % bundle.certificates
        # a failed handshake's root among what it drops: this file is why that host is not trusted
        needed = [h.target for h in facts.hosts for r in h.holders if r.dropped and r.path == bundle.path]
        yield Finding(
            "bundle-unparseable",
            ERROR if nothing or needed else WARNING,
            "%s: OpenSSL %s of the %d certificates it carries (%s)%s"
            % (
                bundle.path,
                what,
                bundle.marked,
                "; ".join(bundle.problems) or "blocks that do not parse",
                "; among those it drops is the root %s needs" % " and ".join(needed) if needed else "",
            ),
            {
                "path": bundle.path,
                "parsed": bundle.certificates,
                "marked": bundle.marked,
                "unloaded": bundle.unparseable,
                "problems": list(bundle.problems),
                "truncated_scan": bundle.truncated,
                "read_by": bundle.read_by,
                "hosts": needed,
            },
        )


def bundle_expired_roots(facts: Facts) -> Iterator[Finding]:
    """Certificates in effect are outside their validity period."""
    cafile, capaths = in_effect(facts)
    old_openssl = facts.runtime.openssl_version_info[:2] < (1, 1)
    for bundle in [b for b in [cafile, *capaths] if b is not None]:
        stale = bundle.expired + bundle.not_yet_valid
        if not stale:
            continue
        # OpenSSL >= 1.1 skips an expired root when another path exists; most of a bundle expired still bites.
        severity = WARNING if old_openssl or bundle.mostly_stale else INFO
        yield Finding(
            "bundle-expired-roots",
            severity,
            "%s: %d expired and %d not yet valid of %d certificates"
            % (bundle.path, bundle.expired, bundle.not_yet_valid, bundle.certificates),
            {
                "path": bundle.path,
                "expired": bundle.expired,
                "not_yet_valid": bundle.not_yet_valid,
                "certificates": bundle.certificates,
            },
        )


def certifi_lacks_system_roots(facts: Facts) -> Iterator[Finding]:
    """Roots the OS trusts are missing from certifi, so certifi-based clients fail where curl works."""
    certifi = next((b for b in facts.bundles if "certifi" in b.roles and b.certificates), None)
    system = next((b for b in facts.bundles if "system" in b.roles and b.kind == "file" and b.certificates), None)
    if certifi is None or system is None or certifi.path == system.path:
        return
    missing = system.identities - certifi.identities
    if not missing:
        return
    anchors = [b for b in facts.bundles if "local-anchors" in b.roles and b.identities & missing]
    # It bites this process only where certifi's file is what a client in it is told to trust.
    relied_on = [r for r in certifi.roles if r.startswith(("in-effect:", "env:"))]
    severity = WARNING if relied_on else INFO
    yield Finding(
        "certifi-lacks-system-roots",
        severity,
        "%d roots of %s are not in certifi's %s%s"
        % (
            len(missing),
            system.path,
            certifi.path,
            " (including locally added CAs from %s)" % ", ".join(b.path for b in anchors) if anchors else "",
        ),
        {
            "system": system.path,
            "certifi": certifi.path,
            "missing": len(missing),
            "local_anchors": [b.path for b in anchors],
            "certifi_in_effect_as": relied_on,
        },
    )


def library_deleted(facts: Facts) -> Iterator[Finding]:
    """A mapped library changed on disk after it was loaded."""
    for lib in facts.libraries:
        if lib.deleted or lib.replaced:
            what = "was deleted" if lib.deleted else "was replaced by another file"
            yield Finding(
                "library-deleted",
                WARNING,
                "%s %s after it was loaded: the process runs the old code until restarted" % (lib.path, what),
                {"path": lib.path, "deleted": lib.deleted, "replaced": lib.replaced},
            )


def library_override(facts: Facts) -> Iterator[Finding]:
    """LD_LIBRARY_PATH, LD_PRELOAD or DYLD_* made the process load another libcrypto than the loader's own."""
    env = facts.runtime.environment
    pulled: dict[str, list[tuple[str, str | None]]] = {}
    for lib in facts.libraries:
        if lib.role not in ("libcrypto", "libssl"):
            continue
        cause = _override_cause(env, lib.path, lib.realpath)
        system = next((s for s in facts.system_libraries if s.soname == os.path.basename(lib.path)), None)
        if cause is None or (system is not None and os.path.realpath(system.path) == lib.realpath):
            continue
        if lib.same_bytes_as:  # a bundled copy identical to the loader's own (PyInstaller's _internal): no change
            continue
        pulled.setdefault(cause, []).append((lib.path, system.path if system else None))
    for cause, loaded in pulled.items():
        yield Finding(
            "library-override",
            WARNING,
            "%s made the process load %s"
            % (
                cause,
                ", ".join("%s%s" % (path, " instead of %s" % system if system else "") for path, system in loaded),
            ),
            {
                "variable": cause,
                "value": env.get(cause),
                "loaded": [path for path, _ in loaded],
                "system": [system for _, system in loaded],
            },
        )


def _override_cause(env: Mapping[str, str], path: str, realpath: str) -> str | None:
    """Name the variable that put a library's folder (or the library itself) first in the loader's search."""
    for variable in ("LD_PRELOAD", "DYLD_INSERT_LIBRARIES"):
        if any(p in (path, realpath) for p in env.get(variable, "").replace(" ", ":").split(":")):
            return variable
    folders = {os.path.dirname(path), os.path.dirname(realpath)}
    for variable in ("LD_LIBRARY_PATH", "DYLD_LIBRARY_PATH", "DYLD_FALLBACK_LIBRARY_PATH"):
        if folders & {os.path.normpath(e) for e in env.get(variable, "").split(os.pathsep) if e}:
            return variable
    return None


def openssl_outdated(facts: Facts) -> Iterator[Finding]:
    """The TLS library is old, or not OpenSSL where clients expect it."""
    runtime = facts.runtime
    version = runtime.openssl_version or ""
    if not runtime.ssl_available:
        return
    if version.startswith(("LibreSSL", "BoringSSL", "AWS-LC")):
        yield Finding(
            "openssl-outdated",
            WARNING,
            "ssl runs on %s, not OpenSSL: trust paths and variables behave differently" % version,
            {"version": version},
        )
    elif runtime.openssl_version_info[:3] < (1, 1, 1):
        yield Finding(
            "openssl-outdated", WARNING, "ssl runs on %s, older than OpenSSL 1.1.1" % version, {"version": version}
        )


def libressl_ignores_env(facts: Facts) -> Iterator[Finding]:
    """LibreSSL does not read SSL_CERT_FILE/SSL_CERT_DIR."""
    runtime = facts.runtime
    if (runtime.openssl_version or "").startswith("LibreSSL"):
        ignored = [n for n in ("SSL_CERT_FILE", "SSL_CERT_DIR") if n in runtime.environment]
        if ignored:
            yield Finding(
                "libressl-ignores-env",
                INFO,
                "%s is set, but LibreSSL ignores it: only load_verify_locations works" % " and ".join(ignored),
                {"variables": ignored, "version": runtime.openssl_version},
            )


def trust_writable(facts: Facts) -> Iterator[Finding]:
    """Someone other than the owner can change what this process trusts."""
    for bundle in facts.bundles:
        in_use = any(r.startswith(("in-effect:", "env:")) for r in bundle.roles)
        if not in_use or bundle.kind not in ("file", "directory") or not bundle.exposures:
            continue
        yield Finding(
            "trust-writable",
            ERROR,
            "%s can be changed by others: %s"
            % (bundle.path, "; ".join("%s is %s" % (e.path, e.reason) for e in bundle.exposures)),
            {
                "path": bundle.path,
                "exposures": [
                    {"path": e.path, "uid": e.uid, "mode": "%04o" % e.mode, "reason": e.reason}
                    for e in bundle.exposures
                ],
            },
        )


def strict_verification(facts: Facts) -> Iterator[Finding]:
    """Python 3.13+ verifies with VERIFY_X509_STRICT, which rejects some legacy CAs."""
    parts = facts.runtime.python_version.split(".")[:2]
    if not all(p.isdigit() for p in parts) or tuple(map(int, parts)) < (3, 13):
        return  # older, or not a Python at all (a program examined by --pid)
    cafile, capaths = in_effect(facts)
    for bundle in [b for b in [cafile, *capaths] if b is not None and b.strict_violations]:
        yield Finding(
            "strict-verification",
            INFO,
            "%s: %d CA certificates lack a critical basicConstraints, a key usage or a subject key identifier; "
            "Python %s rejects chains that end at them"
            % (bundle.path, bundle.strict_violations, facts.runtime.python_version),
            {"path": bundle.path, "certificates": bundle.strict_violations},
        )


def runtime_known_issue(facts: Facts) -> Iterator[Finding]:
    """A recognised Python distribution with a known trust quirk."""
    runtime = facts.runtime
    hints = set(runtime.hints)
    served = trust_served(facts)
    library = facts.ssl_library
    if "python.org-macos" in hints and not served:
        yield Finding(
            "runtime-known-issue",
            WARNING,
            "python.org macOS framework without cert.pem: run 'Install Certificates.command'",
            {"distribution": "python.org-macos", "expected": runtime.compiled_cafile},
        )
    if "conda" in hints:
        yield Finding(
            "runtime-known-issue",
            INFO,
            "conda environment: ssl trusts the environment's own %s, not the OS store" % runtime.compiled_cafile,
            {"distribution": "conda", "cafile": runtime.compiled_cafile},
        )
    if "cx_freeze" in hints and runtime.cafile is not None and runtime.cafile.path:
        yield _cx_freeze_snapshot(facts, runtime.cafile.path)
    if "frozen" in hints and library is not None and library.openssldir_exists is False and not served:
        yield Finding(
            "runtime-known-issue",
            WARNING,
            "frozen application carrying a build-machine OPENSSLDIR (%s)" % library.openssldir,
            {"distribution": "frozen", "openssldir": library.openssldir},
        )
    if "nix" in hints and "NIX_SSL_CERT_FILE" not in runtime.environment:
        yield Finding(
            "runtime-known-issue",
            WARNING if not served else INFO,
            "Nix-built Python without NIX_SSL_CERT_FILE",
            {"distribution": "nix"},
        )
    if "python-build-standalone" in hints and not served:
        yield Finding(
            "runtime-known-issue",
            WARNING,
            "python-build-standalone looks in /etc/ssl/cert.pem and /etc/ssl/certs, which do not serve here",
            {"distribution": "python-build-standalone"},
        )
    for platform in ("aws-lambda", "azure-functions", "google-cloud-run"):
        if platform in hints:
            yield Finding(
                "runtime-known-issue",
                INFO,
                "serverless runtime (%s): check trust at cold start with 'import cadoctor.selfcheck'" % platform,
                {"distribution": platform},
            )


def _cx_freeze_snapshot(facts: Facts, cafile: str) -> Finding:
    """A cx_Freeze app trusts the copy of its build machine's roots that its frozen ssl names, never the OS store."""
    bundle = facts.bundle(cafile)
    missing = [r.subject for r in facts.local_roots if bundle is None or r.identity not in bundle.identities]
    count = "%d certificates" % bundle.certificates if bundle is not None else "not read"
    return Finding(
        "runtime-known-issue",
        WARNING if missing else INFO,
        "cx_Freeze application: its frozen ssl sets SSL_CERT_FILE=%s at import (a copy of the build machine's roots, "
        "%s), so the OS store is never read%s"
        % (
            cafile,
            count,
            ": it lacks %d root(s) added to this system's store (%s)" % (len(missing), ", ".join(missing))
            if missing
            else "; roots added to the system store later will not be trusted",
        ),
        {"distribution": "cx_freeze", "cafile": cafile, "missing_local_roots": missing},
    )


RULES: tuple[Rule, ...] = (
    ssl_unavailable,
    openssl_config_broken,
    trust_store_empty,
    openssldir_missing,
    default_paths_missing,
    bundle_unparseable,  # before env-path-invalid: a damaged file says more than "nothing usable there"
    env_path_invalid,
    override_replaces_defaults,
    capath_unhashed,
    bundle_expired_roots,
    certifi_lacks_system_roots,
    library_deleted,
    library_override,
    openssl_outdated,
    libressl_ignores_env,
    trust_writable,
    strict_verification,
    runtime_known_issue,
    anchor_findings,
    injector_findings,  # before the hosts': a host failing because of it has this as its first cause
    host_findings,
    client_findings,
    stack_findings,
    other_pythons,
)


def diagnose(facts: Facts) -> tuple[Finding, ...]:
    """Apply every rule; findings come worst first, the causes of a host's failure first within a severity.

    A cause of a failure seen: a finding whose evidence names the failed hosts that need what it is about (an
    anchor the tool took badly, a bundle that drops the root), and, when a handshake found no root it trusts, the
    findings about the default context's paths. The rest follow in rule order.
    When the program's own stack does not read its OpenSSL's default paths (node without --use-openssl-ca),
    the findings about those paths are left out: `stack-ignores-variable` says what it reads instead.
    """
    findings = [finding for rule in RULES for finding in rule(facts)]
    if not reads_default_paths(facts):
        findings = [f for f in findings if not about_default_paths(f)]
    default_failed = any(host.code == "host-unknown-ca" for host in facts.hosts)  # for want of a root it trusts

    def order(finding: Finding) -> tuple[int, bool]:
        """Worst first; within a severity, a cause of a failure seen first."""
        hosts = finding.evidence.get("hosts")
        cause = (bool(hosts) and isinstance(hosts, list)) or (default_failed and about_default_paths(finding))
        return -finding.severity.rank, not cause

    return tuple(sorted(findings, key=order))
