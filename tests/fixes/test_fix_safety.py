"""Properties of every fix, for any facts generated: never weaker verification, always addressed, ranked, printable.

The facts are drawn from small pools of paths, bundles, variables, libraries, hosts and clients that reach
every rule and every fix (a value repeated in a pool is drawn more often: mostly healthy parts, so that the
fixes that need a good bundle are reached too); the rules find what they find, propose() answers, and the
properties hold of the answer whatever it is.
"""

from __future__ import annotations

import re

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    PRIVATE,
    SYSTEM_BUNDLE,
    bundle,
    distribution,
    facts,
    healthy_bundles,
    holder,
    host,
    library,
    local_root,
    process_subject,
    runtime,
    stack,
    system_library,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cadoctor._fixes.propose import KIND_RANK, propose
from cadoctor._model import (
    Bundle,
    Exposure,
    Facts,
    Finding,
    Fix,
    Injector,
    Setting,
    Severity,
    StoreVerdict,
    TrustSource,
)
from cadoctor._rules.trust import diagnose

NOWHERE = "/cadoctor-test-nowhere"  # libraries live here: realpath() of a name that exists nowhere is the name
HOSTILE = ("/srv/ca\n.pem", "/srv/\x1b]0;x\x07.pem", "/srv/\u202eca.pem")  # no line can carry these as they are
PATHS = (
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    SYSTEM_BUNDLE,
    CERTIFI,
    PRIVATE,
    "/srv/gone",
    "/srv/it's $(id) `id`.pem",
    "relative.pem",
    "/usr/local/share/ca-certificates",
    *HOSTILE,
)
ROLES = (
    "system",
    "certifi",
    "local-anchors",
    "in-effect:cafile",
    "env:SSL_CERT_FILE",
    "env:REQUESTS_CA_BUNDLE",
    "compiled-cafile",
    "compiled-capath",
)
VARIABLES = (
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "AWS_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "NIX_SSL_CERT_FILE",
    "OPENSSL_CONF",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "NODE_OPTIONS",
    "PGSSLROOTCERT",
    "UV_SYSTEM_CERTS",
    "PIP_USE_FEATURE",
    "PYTHONHTTPSVERIFY",  # set by someone: a fix may never lean on it
)
IDENTITIES = st.frozensets(st.sampled_from(("public-root-1", "public-root-2", "public-root-3", "corp-root")))
WRITABLE = Exposure("/srv", 1000, 0o777, "writable by every user")


@st.composite
def bundles(draw: st.DrawFn) -> Bundle:
    """One inventoried location: a file, a folder, or something else, in any state the inventory records."""
    path = draw(st.sampled_from(PATHS))
    roles = tuple(draw(st.sets(st.sampled_from(ROLES), max_size=3)))
    shape = draw(st.sampled_from(("file", "directory", "missing", "fifo", "relative")))
    if shape == "missing":
        return Bundle(path, roles, "other", "missing", error="does not exist")
    if shape == "fifo":
        return Bundle(path, roles, "other", "fifo", error="a fifo, not a regular file")
    if shape == "relative":
        return Bundle(path, roles, "other", "relative", error="relative path")
    certificates = draw(st.sampled_from((0, 1, 140, 140)))
    return Bundle(
        path,
        roles,
        shape,
        "regular" if shape == "file" else "directory",
        size=draw(st.sampled_from((0, 4096, 4096))),
        certificates=certificates if shape == "file" else 0,
        marked=certificates,
        unparseable=draw(st.sampled_from((0, 0, 1))),
        expired=draw(st.sampled_from((0, 0, 1, certificates))),
        strict_violations=draw(st.sampled_from((0, 0, 2))),
        hash_links=draw(st.sampled_from((0, 3))) if shape == "directory" else 0,
        hash_mismatches=draw(st.sampled_from((0, 0, 1))) if shape == "directory" else 0,
        unlinked=draw(st.sampled_from((0, 2))) if shape == "directory" else 0,
        exposures=draw(st.sampled_from(((), (), (), (WRITABLE,)))),
        parsed=draw(st.sampled_from((True, True, False))),
        identities=draw(IDENTITIES),
    )


@st.composite
def inventories(draw: st.DrawFn) -> tuple[Bundle, ...]:
    """The healthy defaults, certifi and an OS bundle with a local root, some of them replaced by drawn bundles."""
    known = [*healthy_bundles()]
    if draw(st.booleans()):
        known.append(bundle(CERTIFI, "certifi"))
    if draw(st.booleans()):
        known.append(bundle(SYSTEM_BUNDLE, "system", identities=frozenset({"public-root-1", "corp-root"})))
    if draw(st.booleans()):
        known.append(
            bundle(draw(st.sampled_from((PRIVATE, *HOSTILE))), certificates=1, identities=frozenset({"corp-root"}))
        )
    drawn = draw(st.lists(bundles(), max_size=4, unique_by=lambda b: b.path))
    paths = {b.path for b in drawn}
    return (*(b for b in known if b.path not in paths and draw(st.sampled_from((True, True, False)))), *drawn)


@st.composite
def generated_facts(draw: st.DrawFn) -> Facts:
    """Facts from the pools: a runtime in any state, its libraries, bundles, hosts, clients and stacks."""
    environment = draw(
        st.dictionaries(
            st.sampled_from(VARIABLES),
            st.sampled_from((*PATHS, "", "0", "1", "truststore", "system", NOWHERE + "/lib", "--use-openssl-ca")),
            max_size=5,
        )
    )
    if draw(st.booleans()):  # a private CA's file named by a variable that replaces the roots
        environment[draw(st.sampled_from(("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")))] = draw(
            st.sampled_from((PRIVATE, *HOSTILE))
        )
    cafile = draw(st.one_of(st.none(), st.sampled_from(PATHS)))
    the_runtime = runtime(
        python_version=draw(st.sampled_from(("3.12.3", "3.13.1", "3.9.18", ""))),
        hints=tuple(
            draw(st.sets(st.sampled_from(("conda", "frozen", "nix", "cx_freeze", "python.org-macos")), max_size=2))
        ),
        os_release=draw(st.sampled_from(({"ID": "debian"}, {"ID": "fedora"}, {}))),
        ssl_available=draw(st.sampled_from((True, True, True, False))),
        ssl_error="%s/libssl.so.3: file too short" % NOWHERE,
        openssl_version=draw(st.sampled_from(("OpenSSL 3.0.13 30 Jan 2024", "LibreSSL 3.3.6", "OpenSSL 1.0.2k"))),
        openssl_version_info=draw(st.sampled_from(((3, 0, 0, 13, 0), (1, 0, 2, 11, 0)))),
        cafile=None
        if cafile is None
        else TrustSource(cafile, draw(st.sampled_from(("compiled", "env:SSL_CERT_FILE")))),
        capaths=tuple(TrustSource(p, "compiled") for p in draw(st.lists(st.sampled_from(PATHS), max_size=2))),
        context_ok=draw(st.sampled_from((True, False, None))),
        context_error="bad configuration",
        context_loaded=draw(st.sampled_from((0, 140))),
        environment=environment,
        certifi=draw(st.sampled_from((None, CERTIFI))),
    )
    libraries = tuple(
        library(
            "%s/%s/libcrypto.so.3" % (NOWHERE, draw(st.sampled_from(("lib", "opt")))),
            in_use=draw(st.booleans()),
            role=draw(st.sampled_from(("libcrypto", "libssl", "static"))),
            deleted=draw(st.booleans()),
            openssldir_exists=draw(st.sampled_from((True, False, None))),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    system = (
        (
            system_library("libcrypto.so.3", NOWHERE + "/sys/libcrypto.so.3"),
            system_library("libssl.so.3", NOWHERE + "/sys/libssl.so.3"),
        )
        if draw(st.booleans())
        else ()
    )
    hosts = tuple(
        host(
            draw(
                st.sampled_from(
                    (None, "host-unknown-ca", "host-incomplete-chain", "host-expired", "host-hostname-mismatch")
                )
            ),
            holders=tuple(
                holder(
                    p,
                    *draw(st.sets(st.sampled_from(ROLES), max_size=2)),
                    verifies=draw(st.sampled_from((True, False, None))),
                )
                for p in draw(st.lists(st.sampled_from(PATHS), max_size=2))
            ),
            public_root=draw(st.sampled_from((True, False, None))),
            stores=tuple(
                StoreVerdict(p, draw(st.booleans()), "x") for p in draw(st.lists(st.sampled_from(PATHS), max_size=2))
            ),
        )
        for _ in range(draw(st.integers(0, 2)))
    )
    clients = draw(
        st.lists(
            st.sampled_from(
                (
                    ("requests", "2.32.3"),
                    ("botocore", "1.35.0"),
                    ("httpx", "0.28.1"),
                    ("grpcio", "1.66.0"),
                    ("uv", "0.5.4"),
                    ("pip", "24.2"),
                )
            ),
            max_size=3,
            unique=True,
        )
    )
    node = draw(st.booleans())
    return facts(
        runtime=the_runtime,
        libraries=libraries,
        system_libraries=system,
        bundles=draw(inventories()),
        hosts=hosts,
        distributions=tuple(
            distribution(name, version, draw(st.sampled_from((None, PRIVATE)))) for name, version in clients
        ),
        injectors=(Injector("pip-system-certs", "/srv/site/pip-system-certs.pth", "import x"),)
        if draw(st.booleans())
        else (),
        local_roots=(local_root("CN=Corp Root", "corp-root"),) if draw(st.booleans()) else (),
        settings=(Setting("pip", "cert", draw(st.sampled_from(PATHS)), "/etc/pip.conf"),)
        if draw(st.booleans())
        else (),
        stacks=(stack("node", libraries[0].path),) if node and libraries else (),
        subject=process_subject("/usr/bin/node", "node", "server.js") if node else None,
        mozilla=draw(st.sampled_from((None, CERTIFI))),
    )


def answer(examined: Facts) -> tuple[tuple[Finding, ...], tuple[Fix, ...]]:
    """The findings and the fixes proposed for them."""
    findings = diagnose(examined)
    return findings, propose(examined, findings)


def texts(fix: Fix) -> list[str]:
    """Everything a fix says or would have run: its summary, lines, command, variables and locations."""
    env = fix.env or {}
    return [
        fix.summary,
        *fix.lines.values(),
        fix.command or "",
        *env,
        *(value or "" for value in env.values()),
        fix.cafile or "",
        fix.capath or "",
        fix.add_cafile or "",
        *fix.preload,
        *fix.merge,
        fix.inject or "",
    ]


# Ways to turn verification off, in Python, requests, curl, git, node, pip: none may appear in any fix.
WEAKENING = re.compile(
    r"CERT_NONE|verify\s*=\s*False|check_hostname\s*=\s*False|_create_unverified_context|verify_mode"
    r"|PYTHONHTTPSVERIFY|NODE_TLS_REJECT_UNAUTHORIZED|GIT_SSL_NO_VERIFY|--insecure|\s-k\s|trusted-host|sslverify",
    re.IGNORECASE,
)
SETTINGS = settings(
    database=None,  # no .hypothesis examples in the tree
    derandomize=True,  # the same facts on every run: a property that fails here fails everywhere
    deadline=None,
    max_examples=150,  # about 10 ms each: diagnose and propose on deep facts
    suppress_health_check=[HealthCheck.too_slow],
)


@SETTINGS
@given(generated_facts())
def test_no_fix_ever_weakens_verification(examined: Facts) -> None:
    """No fix names CERT_NONE, verify=False, check_hostname=False, PYTHONHTTPSVERIFY or kin, nor empties a variable."""
    _, fixes = answer(examined)
    for fix in fixes:
        for text in texts(fix):
            assert not WEAKENING.search(text), (fix, text)
        for name, value in (fix.env or {}).items():
            assert value is None or value.strip(), "%s would be set to nothing: %r" % (name, fix)


@SETTINGS
@given(generated_facts())
def test_every_fix_addresses_a_finding_and_fixes_come_ranked(examined: Facts) -> None:
    """Each fix addresses findings that were found; env fixes come first, then code, library, command, server."""
    findings, fixes = answer(examined)
    codes = {finding.code for finding in findings}
    for fix in fixes:
        assert fix.addresses, fix
        assert set(fix.addresses) <= codes, (fix.addresses, codes)
    ranks = [KIND_RANK[fix.kind] for fix in fixes]
    assert ranks == sorted(ranks)


@SETTINGS
@given(generated_facts())
def test_an_env_fix_never_points_at_a_bundle_others_can_write(examined: Facts) -> None:
    """A variable a fix sets never names an inventoried bundle with an exposure, nor one that holds no certificate."""
    _, fixes = answer(examined)
    for fix in fixes:
        for value in (fix.env or {}).values():
            named = examined.bundle(value)
            if named is not None and fix.kind == "env":
                assert not named.exposures, (fix, named)
                assert named.certificates > 0, (fix, named)


@SETTINGS
@given(generated_facts())
def test_no_pasted_line_or_variable_carries_a_name_holding_a_control_character(examined: Facts) -> None:
    """A name with a line break, an escape or a bidirectional override is never in a fix's lines or variables."""
    _, fixes = answer(examined)
    for fix in fixes:
        # The summary is shown escaped (`_text.printable`), Python lines quote with repr(); what is pasted or set:
        for text in (*fix.lines.values(), fix.command or "", *(v or "" for v in (fix.env or {}).values())):
            assert not any(hostile in text for hostile in HOSTILE), (fix, text)


@pytest.mark.parametrize(
    "finding",
    [
        Finding("override-replaces-defaults", Severity.WARNING, "", {"variable": "SSL_CERT_FILE", "path": HOSTILE[0]}),
        Finding("capath-unhashed", Severity.WARNING, "", {"path": HOSTILE[1]}),
        Finding("trust-writable", Severity.ERROR, "", {"path": HOSTILE[2], "exposures": [{"path": HOSTILE[2]}]}),
    ],
)
def test_a_command_never_names_a_path_holding_a_control_character(finding: Finding) -> None:
    """A finding about a path no line can carry as it is gets no command naming that path."""
    for fix in propose(facts(), (finding,)):
        assert not any(hostile in (fix.command or "") for hostile in HOSTILE), fix
