"""The client rules: the table's rows, and each client's store by its row, the variables and switches set."""

from __future__ import annotations

import pytest
from helpers.records import (
    CERTIFI,
    COMPILED_CAFILE,
    COMPILED_CAPATH,
    GRPC_ROOTS,
    PRIVATE,
    SYSTEM_BUNDLE,
    bundle,
    directory,
    distribution,
    facts,
    local_root,
    missing,
    process_subject,
    runtime,
    with_bundles,
    with_clients,
    with_environment,
)

from cadoctor._model import Bundle, ClientTrust, Facts, Finding, Injector, Setting, Severity, TrustSource
from cadoctor._record import replace
from cadoctor._rules import client_table
from cadoctor._rules.clients import client_findings, judge, values_of

UV_BINARY_ROOTS = "/srv/app/venv/lib/python3.12/site-packages/certifi/mozilla.pem"
BOTOCORE_BUNDLE = "/srv/app/venv/lib/python3.12/site-packages/botocore/cacert.pem"


def trust_of(examined: Facts) -> dict[str, ClientTrust]:
    """Each judged client's store, by name."""
    return {client.name: client.trust for client in judge(examined)}


# The table


@pytest.mark.parametrize(
    ("version", "key"),
    [
        ("2.32.3", (2, 32, 3)),
        ("2026.10.19.post1", (2026, 10, 19)),
        ("1.2.3rc1", (1, 2, 3)),
        ("0.28.1+local.7", (0, 28, 1)),
        ("24", (24,)),
    ],
)
def test_a_version_is_read_as_its_first_three_release_numbers(version: str, key: tuple[int, ...]) -> None:
    """Release numbers only: pre-release, post-release and local parts do not move a client across a row."""
    assert client_table.version_key(version) == key


@pytest.mark.parametrize(
    ("name", "version", "python", "family"),
    [
        ("httpx", "0.27.2", "", "httpx<0.28"),
        ("httpx", "0.28.0", "", "httpx>=0.28"),
        ("httpx2", "2.2.9", "", "httpx2<2.3"),
        ("httpx2", "2.3.0", "", "httpx2 2.3-2.15"),
        ("httpx2", "2.16.0", "", "httpx2>=2.16"),
        ("pip", "24.1.2", "3.12.3", "pip 23.3-24.1"),
        ("pip", "21.1.3", "3.12.3", "pip<22.2"),
        ("pip", "24.2", "3.12.3", "pip>=24.2"),
        ("pip", "24.2", "3.9.18", "pip>=24.2 on Python<3.10"),
        ("pip", "24.2", "", "pip>=24.2"),  # without a Python version, the first row that fits the client
        ("uv", "0.4.30", "", "uv<0.9.10"),
        ("uv", "0.9.10", "", "uv 0.9.10-0.10"),
        ("uv", "0.11.3", "", "uv 0.11"),
        ("uv", "0.13.9", "", "uv>=0.12"),
        ("botocore", "1.43.53", "", "botocore<1.43.54"),
        ("botocore", "1.44.8", "", "botocore>=1.43.54"),
        ("requests", "2.27.1", "", "requests<2.28"),
        ("grpcio", "1.76.0", "", "grpcio>=1.76"),
        ("openai", "2.9.0", "", "openai<3"),
        ("anthropic", "1.0.0", "", "anthropic>=1"),
    ],
)
def test_the_row_is_chosen_by_client_version_and_python(name: str, version: str, python: str, family: str) -> None:
    """A row covers its client from `since` up to `before`, and on the Pythons it names."""
    rule = client_table.rule_for(name, version, python)
    assert rule is not None
    assert rule.family == family


def test_an_unknown_client_has_no_row() -> None:
    """A distribution the table does not describe is not judged."""
    assert client_table.rule_for("left-pad", "1.0") is None


# values_of, and each client's store


def test_values_are_the_variables_set_and_the_configuration_keys_by_their_rule_names() -> None:
    """Empty variables are not values; pip.conf's cert joins them as 'pip.conf cert', other keys are not read."""
    examined = with_environment(
        facts(
            settings=(
                Setting("pip", "cert", "/srv/pip.pem", "/etc/pip.conf"),
                Setting("pip", "index-url", "https://x", "/etc/pip.conf"),
            )
        ),
        REQUESTS_CA_BUNDLE="/srv/r.pem",
        SSL_CERT_FILE="",
    )
    assert values_of(examined) == {"REQUESTS_CA_BUNDLE": "/srv/r.pem", "pip.conf cert": "/srv/pip.pem"}


def test_with_nothing_set_each_client_trusts_its_default_store() -> None:
    """urllib reads the CA file in effect, requests certifi, grpcio its own bundle, uv its compiled-in roots."""
    examined = with_clients(("requests", "2.32.3"), ("grpcio", "1.66.0"), ("uv", "0.5.4"), mozilla=UV_BINARY_ROOTS)
    assert trust_of(examined) == {
        "urllib (stdlib)": ClientTrust("openssl-defaults", COMPILED_CAFILE, 140, "default"),
        "requests": ClientTrust("certifi", CERTIFI, 140, "default"),
        "grpcio": ClientTrust("own-bundle", GRPC_ROOTS, None, "default"),
        "uv": ClientTrust("compiled-in", None, None, "default", stand_in=UV_BINARY_ROOTS),
    }
    assert [c.verdict for c in judge(examined)] == ["ok", "ok", "ok", "ok"]


def test_the_openssl_store_is_the_first_folder_when_no_file_is_in_effect() -> None:
    """Without a CA file in effect, the stdlib's store is named by its first CA folder; with neither, by nothing."""
    folder = facts(runtime=runtime(cafile=None))
    nothing = facts(runtime=runtime(cafile=None, capaths=()))
    assert trust_of(folder)["urllib (stdlib)"] == ClientTrust("openssl-defaults", COMPILED_CAPATH, 0, "default")
    assert trust_of(nothing)["urllib (stdlib)"] == ClientTrust("openssl-defaults", None, None, "default")


def test_own_or_certifi_takes_certifi_when_there_is_one_else_the_bundle_shipped() -> None:
    """botocore and httplib2 use certifi when importable, else their own bundle; without either, nothing."""
    with_certifi = with_clients(("botocore", "1.35.0"))
    without = with_clients(certifi=False, distributions=(distribution("botocore", "1.35.0", BOTOCORE_BUNDLE),))
    neither = with_clients(("botocore", "1.35.0"), certifi=False)
    assert trust_of(with_certifi)["botocore"] == ClientTrust("certifi", CERTIFI, 140, "default")
    assert trust_of(without)["botocore"] == ClientTrust("own-bundle", BOTOCORE_BUNDLE, None, "default")
    assert trust_of(neither)["botocore"] == ClientTrust("missing", None, 0, "default")
    assert [c.verdict for c in judge(neither)] == ["ok", "fails: its CA setting is unusable"]


def test_a_store_read_lightly_has_no_certificate_count() -> None:
    """A bundle looked at without being parsed (a light look) gives no count rather than zero."""
    examined = with_bundles(
        with_clients(("requests", "2.32.3")), bundle(CERTIFI, "certifi", parsed=False, certificates=0)
    )
    assert trust_of(examined)["requests"].certificates is None


# Switches, variables, injectors


@pytest.mark.parametrize(
    ("name", "version", "variable", "value", "kind", "mode"),
    [
        ("uv", "0.13.9", "UV_SYSTEM_CERTS", "1", "system", "uv>=0.12 --system-certs"),
        ("uv", "0.13.9", "UV_NATIVE_TLS", " TRUE ", "system", "uv>=0.12 --system-certs"),
        ("uv", "0.5.4", "UV_NATIVE_TLS", "1", "system", "uv<0.11 --native-tls"),
        ("grpcio", "1.85.3", "GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK", "yes", "system", "grpcio system roots"),
        ("pip", "24.1", "PIP_USE_FEATURE", "fast-deps truststore", "truststore", "pip --use-feature=truststore"),
        ("pip", "26.3", "PIP_USE_DEPRECATED", "legacy-certs", "own-bundle", "pip --use-deprecated=legacy-certs"),
    ],
)
def test_a_switch_moves_a_client_to_another_store(
    name: str, version: str, variable: str, value: str, kind: str, mode: str
) -> None:
    """A switch set to a true value (or naming its word in pip's list) moves the client to its mode's row."""
    installed = with_clients(certifi=False, distributions=(distribution(name, version, GRPC_ROOTS),))
    examined = with_environment(installed, **{variable: value})
    (judged,) = [c for c in judge(examined) if c.name == name]
    assert (judged.trust.kind, judged.trust.source, judged.family) == (kind, "switch", mode)
    assert judged.notes == ("%s=%s moves it to %s" % (variable, value.strip(), mode),)


@pytest.mark.parametrize(
    ("name", "version", "variable"),
    [
        ("uv", "0.5.4", "UV_SYSTEM_CERTS"),  # uv reads UV_SYSTEM_CERTS since 0.11
        ("grpcio", "1.66.0", "GRPC_USE_SYSTEM_ROOTS_OVER_LANGUAGE_CALLBACK"),  # grpcio reads it since 1.76
    ],
)
def test_a_switch_the_version_does_not_read_moves_nothing(name: str, version: str, variable: str) -> None:
    """A version that predates its switch keeps its default store."""
    examined = with_environment(with_clients((name, version)), **{variable: "1"})
    (judged,) = [c for c in judge(examined) if c.name == name]
    assert judged.trust.source == "default"


def test_a_switch_in_a_configuration_file_counts_as_its_variable() -> None:
    """uv.toml's system-certs = true moves uv to the OS store, as UV_SYSTEM_CERTS would."""
    examined = with_clients(("uv", "0.13.9"), settings=(Setting("uv", "system-certs", "true", "/srv/uv.toml"),))
    assert trust_of(examined)["uv"].kind == "system"


@pytest.mark.parametrize("value", ["0", "false", "off", ""])
def test_a_switch_set_to_a_false_value_moves_nothing(value: str) -> None:
    """Only true values switch: UV_SYSTEM_CERTS=0 leaves uv on its compiled-in roots."""
    examined = with_environment(with_clients(("uv", "0.13.9")), UV_SYSTEM_CERTS=value)
    assert trust_of(examined)["uv"].kind == "compiled-in"


def test_a_replacing_variable_becomes_the_whole_store() -> None:
    """REQUESTS_CA_BUNDLE naming a usable file replaces requests' certifi; urllib still reads its own defaults."""
    examined = with_bundles(
        with_environment(with_clients(("requests", "2.32.3")), REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE),
        bundle(SYSTEM_BUNDLE, "system", "env:REQUESTS_CA_BUNDLE"),
    )
    assert trust_of(examined)["requests"] == ClientTrust("variable", SYSTEM_BUNDLE, 140, "REQUESTS_CA_BUNDLE")
    assert trust_of(examined)["urllib (stdlib)"].kind == "openssl-defaults"


def test_only_the_first_variable_set_counts_for_a_first_only_client() -> None:
    """requests reads REQUESTS_CA_BUNDLE > CURL_CA_BUNDLE: with both set, the second is not read, and said so."""
    examined = with_bundles(
        with_environment(
            with_clients(("requests", "2.32.3")), REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE, CURL_CA_BUNDLE="/srv/gone"
        ),
        missing("/srv/gone"),
    )
    (_, requests) = judge(examined)
    assert requests.trust.path == SYSTEM_BUNDLE
    assert requests.notes == ("CURL_CA_BUNDLE=/srv/gone is not read: REQUESTS_CA_BUNDLE comes first",)
    assert requests.effects == {"REQUESTS_CA_BUNDLE": "loads", "CURL_CA_BUNDLE": "not read"}


def test_pip_adds_the_first_of_its_variables_on_top_of_truststore() -> None:
    """pip >= 24.2 keeps truststore and adds the first of REQUESTS_CA_BUNDLE > ... > PIP_CERT; PIP_CERT loses."""
    examined = with_bundles(
        with_environment(with_clients(("pip", "24.2")), PIP_CERT=PRIVATE, REQUESTS_CA_BUNDLE=SYSTEM_BUNDLE),
        bundle(PRIVATE, "env:PIP_CERT"),
    )
    (_, pip) = judge(examined)
    assert pip.trust == ClientTrust("truststore", COMPILED_CAFILE, 140, "default", also=(SYSTEM_BUNDLE,))
    assert pip.notes == (
        "PIP_CERT=%s is not read: REQUESTS_CA_BUNDLE comes first" % PRIVATE,
        "adds REQUESTS_CA_BUNDLE=%s" % SYSTEM_BUNDLE,
    )


@pytest.mark.parametrize(
    ("name", "version", "variable", "effect", "kind"),
    [
        ("requests", "2.32.3", "REQUESTS_CA_BUNDLE", "raises", "variable"),
        ("uv", "0.13.9", "SSL_CERT_FILE", "yields nothing", "variable"),
        ("httpx", "0.27.0", "SSL_CERT_FILE", None, "certifi"),
        ("grpcio", "1.66.0", "GRPC_DEFAULT_SSL_ROOTS_FILE_PATH", None, "own-bundle"),
    ],
)
def test_a_missing_path_does_what_each_client_does_with_one(
    name: str, version: str, variable: str, effect: str | None, kind: str
) -> None:
    """A variable naming nothing: requests raises, uv 0.12 trusts nothing, httpx 0.27 and grpcio fall back."""
    examined = with_bundles(
        with_environment(with_clients((name, version)), **{variable: "/srv/gone"}), missing("/srv/gone")
    )
    (judged,) = [c for c in judge(examined) if c.name == name]
    assert (judged.trust.kind, judged.trust.effect) == (kind, effect)
    if effect == "raises":
        assert (judged.trust.path, judged.trust.source) == ("/srv/gone", variable)
        assert judged.verdict == "raises on %s=/srv/gone" % variable
    elif effect is None:
        assert judged.effects == {variable: "treated as unset"}


@pytest.mark.parametrize(
    ("inventory", "target", "usable"),
    [
        ("light", None, True),  # not looked at in a light look: assumed to load
        ("full", None, False),  # not looked at although everything was: it is not there
        ("light", bundle(PRIVATE, parsed=False, certificates=0), True),  # a non-empty regular file
        ("light", bundle(PRIVATE, parsed=False, certificates=0, size=0), False),  # an empty one
        ("light", directory(PRIVATE, parsed=False, hash_links=3), True),  # a folder with hash names
        ("light", directory(PRIVATE, parsed=False, hash_links=0), False),  # its names looked at: none to find
        ("light", missing(PRIVATE), False),
    ],
)
def test_a_variable_read_lightly_is_judged_by_the_file_alone(
    inventory: str, target: Bundle | None, usable: bool
) -> None:
    """Without certificates read, a variable's target counts when it is a non-empty file or a hashed folder."""
    examined = with_environment(with_clients(("requests", "2.32.3"), inventory=inventory), REQUESTS_CA_BUNDLE=PRIVATE)
    if target is not None:
        examined = with_bundles(examined, target)
    trust = trust_of(examined)["requests"]
    assert (trust.kind == "variable" and trust.effect is None) is usable


def test_an_injector_moves_every_ssl_client_to_truststore() -> None:
    """A .pth injecting truststore moves urllib and requests to the OS store, never grpcio's own TLS."""
    pth = "/srv/app/venv/lib/python3.12/site-packages/pip-system-certs.pth"
    examined = with_clients(
        ("requests", "2.32.3"),
        ("grpcio", "1.66.0"),
        injectors=(Injector("pip-system-certs", pth, "import pip_system_certs.bootstrap"),),
    )
    stdlib, requests, grpcio = judge(examined)
    assert stdlib.trust == ClientTrust("truststore", COMPILED_CAFILE, None, pth)
    assert requests.trust == ClientTrust("truststore", None, None, pth)
    assert requests.notes == ("pip-system-certs injects truststore at every start (%s)" % pth,)
    assert grpcio.trust.kind == "own-bundle"


def test_a_process_that_is_not_python_has_no_stdlib_client() -> None:
    """Examining node by --pid: no urllib to judge."""
    examined = facts(subject=process_subject("/usr/bin/node"))
    assert judge(examined) == ()


def test_judging_the_same_facts_twice_gives_the_same_answer() -> None:
    """judge keeps the last answer for the very same facts object (a check asks several times)."""
    examined = with_clients(("requests", "2.32.3"))
    assert judge(examined) is judge(examined)
    assert judge(replace(examined)) == judge(examined)


# Local roots


def test_clients_with_their_own_copy_lack_the_local_roots_and_say_how_many() -> None:
    """certifi and a client's bundle lack the administrator's roots; the OS store's clients do not."""
    examined = with_clients(
        ("requests", "2.32.3"),
        ("botocore", "1.35.0"),
        local_roots=(local_root("CN=Corp Root", "corp-root"), local_root("CN=Lab Root", "lab-root")),
    )
    assert [(c.name, c.verdict) for c in judge(examined)] == [
        ("urllib (stdlib)", "ok"),
        ("requests", "lacks 2 local roots"),
        ("botocore", "lacks 2 local roots"),
    ]
    findings = [f for f in client_findings(examined) if f.code == "client-lacks-local-roots"]
    assert findings == [
        Finding(
            "client-lacks-local-roots",
            Severity.WARNING,
            "requests (certifi), botocore (certifi) trust a store without the 2 roots added to the system store "
            "(CN=Corp Root; CN=Lab Root): hosts under them fail there while curl and urllib work",
            {
                "roots": ["CN=Corp Root", "CN=Lab Root"],
                "found_in": [SYSTEM_BUNDLE],
                "clients": [
                    {"name": "requests", "trust": "certifi", "path": CERTIFI, "lacks": ["CN=Corp Root", "CN=Lab Root"]},
                    {"name": "botocore", "trust": "certifi", "path": CERTIFI, "lacks": ["CN=Corp Root", "CN=Lab Root"]},
                ],
            },
        )
    ]


def test_one_client_lacking_one_root_is_said_in_the_singular() -> None:
    """One client and one root: 'trusts', 'root', 'it'."""
    examined = with_clients(("requests", "2.32.3"), local_roots=(local_root("CN=Corp Root", "corp-root"),))
    (finding,) = [f for f in client_findings(examined) if f.code == "client-lacks-local-roots"]
    assert finding.summary == (
        "requests (certifi) trusts a store without the 1 root added to the system store (CN=Corp Root): hosts "
        "under it fail there while curl and urllib work"
    )
    assert [c.verdict for c in judge(examined)] == ["ok", "lacks 1 local root"]


def test_a_client_holding_some_local_roots_is_counted_once_the_same_everywhere() -> None:
    """certifi holds one of two local roots (a public root also added locally), a bundle neither: each own count.

    The finding, the Clients section's verdict and the evidence all say what `lacking` says for that client.
    """
    examined = with_bundles(
        with_clients(
            ("requests", "2.32.3"),
            ("grpcio", "1.66.0"),
            local_roots=(local_root("CN=Corp Root", "corp-root"), local_root("CN=Public", "public-root-1")),
        ),
        bundle(GRPC_ROOTS, "client:grpcio", identities=frozenset({"other-root"})),
    )
    verdicts = {c.name: c.verdict for c in judge(examined)}
    assert (verdicts["requests"], verdicts["grpcio"]) == ("lacks 1 local root", "lacks 2 local roots")
    (finding,) = [f for f in client_findings(examined) if f.code == "client-lacks-local-roots"]
    assert finding.summary.startswith(
        "requests (certifi) lacks 1, grpcio (own-bundle) lacks 2 of the 2 roots added to the system store "
        "(CN=Corp Root; CN=Public)"
    ), finding.summary
    lacks = {c["name"]: c["lacks"] for c in finding.evidence["clients"]}
    assert lacks == {"requests": ["CN=Corp Root"], "grpcio": ["CN=Corp Root", "CN=Public"]}


def test_a_store_not_read_holds_no_local_root() -> None:
    """A client's store that was not parsed (or not found) is taken to lack every local root."""
    unread = with_bundles(
        with_clients(("requests", "2.32.3"), local_roots=(local_root("CN=Corp Root", "public-root-1"),)),
        bundle(CERTIFI, "certifi", parsed=False),
    )
    assert judge(unread)[1].verdict == "lacks 1 local root"
    held = with_clients(("requests", "2.32.3"), local_roots=(local_root("CN=Public", "public-root-1"),))
    assert judge(held)[1].verdict == "ok"


def test_the_runtime_source_of_a_client_store_is_the_cafile_in_effect() -> None:
    """A CA file chosen by SSL_CERT_FILE is what urllib trusts: its path and count come from that bundle."""
    examined = with_bundles(
        facts(runtime=runtime(cafile=TrustSource(PRIVATE, "env:SSL_CERT_FILE"))),
        bundle(PRIVATE, "in-effect:cafile", certificates=3),
    )
    assert trust_of(examined)["urllib (stdlib)"] == ClientTrust("openssl-defaults", PRIVATE, 3, "default")
