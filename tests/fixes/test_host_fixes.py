"""Fixes for failed handshakes: trust a root a bundle here holds, rebuild the OS store, or ask the server's operator."""

from __future__ import annotations

import re

import pytest
from helpers.records import PRIVATE, SYSTEM_BUNDLE, bundle, certificate, facts, holder, host, with_bundles

from cadoctor._fixes.hosts import host_fixes
from cadoctor._fixes.shell import env_lines
from cadoctor._model import Exposure, Facts, Fix, HostCheck
from cadoctor._record import replace

ROOT = "CN=Example Private Root"
CORP = frozenset({"corp-root"})


def fixes_for(checked: HostCheck, examined: Facts | None = None) -> list[Fix]:
    """The fixes for one host on the given (or healthy) facts."""
    return host_fixes(replace(examined or facts(), hosts=(checked,)), ())


# host-unknown-ca


def test_a_holder_that_keeps_the_public_roots_is_pointed_at_or_loaded_on_top() -> None:
    """A bundle that holds the root and the public roots: point the variable at it, or load it in code."""
    holding = "/srv/ca-with-corp.pem"
    examined = with_bundles(facts(), bundle(holding, "env:REQUESTS_CA_BUNDLE"))
    checked = host("host-unknown-ca", holders=(holder(holding, "env:REQUESTS_CA_BUNDLE"),))
    change: dict[str, str | None] = {"SSL_CERT_FILE": holding}
    assert fixes_for(checked, examined) == [
        Fix(
            "env",
            "For urllib (stdlib): point SSL_CERT_FILE at %s, which holds %s and the public roots (%s verified the "
            "chain of app.example.test)" % (holding, ROOT, holding),
            ("host-unknown-ca",),
            env=change,
            lines=env_lines(change),
            trial_host=checked,
            clients=("urllib (stdlib)",),
        ),
        Fix(
            "code",
            "Load %s on top of the default roots where the code builds its context" % holding,
            ("host-unknown-ca",),
            lines={
                "python": "import ssl\ncontext = ssl.create_default_context()\n"
                "context.load_verify_locations(cafile=%r)  # on top of the default roots" % holding
            },
            add_cafile=holding,
            trial_host=checked,
        ),
    ]


def test_a_holder_of_only_the_private_root_is_joined_with_the_public_roots() -> None:
    """A private CA's file alone would break public sites: it is joined with the OS bundle, tried on the host."""
    examined = with_bundles(facts(), bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", certificates=1, identities=CORP))
    checked = host("host-unknown-ca", holders=(holder(PRIVATE, "env:REQUESTS_CA_BUNDLE"),))
    merged, code = fixes_for(checked, examined)
    assert (merged.kind, merged.env, merged.merge, merged.trial_host) == (
        "env",
        {"SSL_CERT_FILE": "/srv/app/private-ca+public-roots.pem"},
        (SYSTEM_BUNDLE, PRIVATE),
        checked,
    )
    assert (code.kind, code.add_cafile) == ("code", PRIVATE)


def test_a_private_holder_with_no_public_bundle_to_join_is_only_loaded_on_top() -> None:
    """When the public roots' only bundle may not be named (others can write it), no joined file is offered."""
    writable = (Exposure("/etc/ssl", 1000, 0o777, "writable by every user"),)
    examined = facts(
        bundles=(
            bundle(SYSTEM_BUNDLE, "system", exposures=writable),
            bundle(PRIVATE, "env:REQUESTS_CA_BUNDLE", certificates=1, identities=CORP),
        )
    )
    checked = host("host-unknown-ca", holders=(holder(PRIVATE, "env:REQUESTS_CA_BUNDLE"),))
    assert [(fix.kind, fix.add_cafile) for fix in fixes_for(checked, examined)] == [("code", PRIVATE)]


def test_holders_that_do_not_verify_are_unread_or_untrustworthy_are_skipped() -> None:
    """Only a holder the chain verifies against, that was inventoried and may be named, is used; two are tried."""
    examined = with_bundles(
        facts(), bundle("/srv/expired.pem", expired=140), bundle("/srv/good.pem"), bundle("/srv/second.pem")
    )
    checked = host(
        "host-unknown-ca",
        holders=(
            holder("/srv/fails.pem", verifies=False, reason="certificate has expired"),
            holder("/srv/unknown.pem", verifies=None),
            holder("/srv/not-inventoried.pem"),
            holder("/srv/expired.pem"),
            holder("/srv/good.pem"),
            holder("/srv/second.pem"),
        ),
    )
    assert [fix.add_cafile or (fix.env or {}).get("SSL_CERT_FILE") for fix in fixes_for(checked, examined)] == [
        "/srv/good.pem",
        "/srv/second.pem",
        "/srv/good.pem",
    ]


@pytest.mark.parametrize(
    ("folder", "command"),
    [
        ("/etc/pki/ca-trust/source/anchors", "update-ca-trust extract"),
        ("/usr/local/share/ca-certificates", "update-ca-certificates"),
        ("/srv/anchors", "update-ca-certificates"),  # a folder not in the table: the common command
    ],
)
def test_a_root_waiting_in_an_anchor_folder_asks_to_rebuild_the_os_store(folder: str, command: str) -> None:
    """The root sits in a local anchor folder the store was not rebuilt from: the distribution's command, not tried."""
    checked = host("host-unknown-ca", holders=(holder(folder, "local-anchors", verifies=None),))
    assert fixes_for(checked) == [
        Fix(
            "command",
            "%s holds %r, but the OS store was not rebuilt since it was put there: run %s (as root) to add it"
            % (folder, ROOT, command),
            ("host-unknown-ca",),
            command=command,
            lines={"shell": command},
            evidence="not tried: it changes the OS store; run cadoctor check --host app.example.test again afterwards",
        )
    ]


def test_no_copy_of_the_root_here_asks_for_it_from_its_owner_never_from_the_connection() -> None:
    """No bundle holds the root: the lines join a ROOT.pem the user obtains with the public roots, untried."""
    (fix,) = fixes_for(host("host-unknown-ca"))
    command = "cat '%s' ROOT.pem > ca-bundle-with-root.pem\nexport SSL_CERT_FILE=\"$PWD/ca-bundle-with-root.pem\"" % (
        SYSTEM_BUNDLE
    )
    assert fix == Fix(
        "command",
        "If %r is your CA's (a private CA, a cluster's, your proxy's), get its root certificate from its operator as "
        "ROOT.pem and join it with the public roots (or add it to the OS store)" % ROOT,
        ("host-unknown-ca",),
        command=command,
        lines={"shell": command},
        evidence="not tried: no copy of that root is on this host, and one taken from this connection would trust "
        "whoever answered",
    )


def test_the_lines_for_a_missing_root_name_a_bundle_only_looked_at_or_the_usual_one() -> None:
    """A light look's unread OS bundle may be named in lines a person runs; with none, Debian's usual path."""
    unread = facts(bundles=(bundle("/etc/pki/tls/certs/ca-bundle.crt", "system", parsed=False, certificates=0),))
    (fix,) = fixes_for(host("host-unknown-ca"), unread)
    assert fix.command is not None
    assert fix.command.startswith("cat '/etc/pki/tls/certs/ca-bundle.crt' ROOT.pem")
    (fallback,) = fixes_for(host("host-unknown-ca"), facts(bundles=()))
    assert fallback.command is not None
    assert fallback.command.startswith("cat '/etc/ssl/certs/ca-certificates.crt' ROOT.pem")


def test_an_unknown_ca_without_a_chain_gets_no_fix() -> None:
    """Nothing was presented: there is no root to ask for."""
    assert fixes_for(host("host-unknown-ca", chain=())) == []


# What the server must change


def _server(checked: HostCheck) -> Fix:
    """The one server-side fix for a host."""
    (fix,) = fixes_for(checked)
    assert fix.kind == "server"
    assert fix.addresses == (checked.code,)
    assert fix.evidence == (
        "a change on the server: nothing to apply here; see what it sends with the check line, then run cadoctor "
        "check --host %s again" % checked.target
    )
    return fix


def test_an_incomplete_chain_asks_for_the_full_chain_and_says_where_the_ca_publishes_it() -> None:
    """The operator must send the missing intermediate; the CA's published URL is named when it is clean."""
    leaf = certificate("CN=app.example.test", "CN=Int", ca_issuers=("http://x y/bad", "http://ca.example.test/i.crt"))
    fix = _server(host("host-incomplete-chain", missing_issuer="CN=Int", chain=(leaf,)))
    assert fix.summary == (
        "The server must send 'CN=Int' after its own certificate (a full-chain file: nginx ssl_certificate, Apache "
        "SSLCertificateFile, HAProxy crt); its CA publishes it at http://ca.example.test/i.crt"
    )
    assert fix.lines == {
        "check": "openssl s_client -connect 'app.example.test:443' -servername 'app.example.test' -showcerts </dev/null"
    }
    hostile = certificate("CN=app.example.test", "CN=Int", ca_issuers=("http://ca\x1b[2J/i.crt",))
    plain = _server(host("host-incomplete-chain", missing_issuer="CN=Int", chain=(hostile,)))
    assert plain.summary.endswith("HAProxy crt)")


def test_an_incomplete_chain_with_nothing_presented_still_asks_for_the_chain() -> None:
    """Without a chain, no URL is named."""
    assert _server(host("host-incomplete-chain", missing_issuer="CN=Int", chain=())).summary.endswith("HAProxy crt)")


_NOW = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00"


def test_an_expired_certificate_is_for_its_operator_to_renew_with_this_hosts_clock_shown() -> None:
    """An expired leaf: renew it; the summary shows this host's clock (UTC) so a wrong clock shows too."""
    fix = _server(host("host-expired"))
    assert re.fullmatch(
        r"The server's certificate 'CN=app\.example\.test' expired on 2026-01-01T00:00:00\+00:00 \(this host's "
        r"clock: %s\): its operator must renew it" % _NOW,
        fix.summary,
    )
    assert _server(host("host-expired", chain=())).summary.startswith("The server's certificate None expired on ? (")


def test_a_certificate_not_yet_valid_points_at_the_clock_or_the_operator() -> None:
    """A leaf valid only later: either this host's clock is wrong or the operator installed it too early."""
    fix = _server(host("host-not-yet-valid"))
    assert re.fullmatch(
        r"The server's certificate 'CN=app\.example\.test' is valid from 2025-01-01T00:00:00\+00:00 and this host's "
        r"clock says %s: if the clock is right, the operator installed it too early; if not, set this host's clock "
        r"\(NTP\)" % _NOW,
        fix.summary,
    )
    assert _server(host("host-not-yet-valid", chain=())).summary.startswith(
        "The server's certificate None is valid from ?"
    )


def test_a_name_mismatch_lists_the_names_the_certificate_carries() -> None:
    """The certificate's names (ten at most) against the name asked for; connect by one of them or add it."""
    names = tuple("n%d.example.test" % i for i in range(12))
    fix = _server(host("host-hostname-mismatch", chain=(certificate("CN=x", "CN=Int", names=names),)))
    assert fix.summary == (
        "The certificate names %s, not app.example.test: connect with a name it carries, or its operator must add "
        "app.example.test" % ", ".join(names[:10])
    )
    bare = _server(host("host-hostname-mismatch", chain=()))
    assert bare.summary.startswith("The certificate names no DNS name or IP address, not app.example.test")


def test_the_check_line_brackets_an_ipv6_address_and_quotes_the_name() -> None:
    """An IPv6 host is bracketed before its port; every argument is quoted for the shell."""
    checked = host("host-expired", target="[2001:db8::1]:8443", host="2001:db8::1", port=8443, server_name="db'x")
    fix = _server(checked)
    assert fix.lines == {
        "check": "openssl s_client -connect '[2001:db8::1]:8443' -servername 'db'\"'\"'x' -showcerts </dev/null"
    }


@pytest.mark.parametrize(
    "code", [None, "host-timeout", "host-unreachable", "host-client-cert-rejected", "host-not-tls"]
)
def test_failures_no_local_or_server_change_addresses_get_no_fix(code: str | None) -> None:
    """A success, a timeout, an unreachable host, a refused client certificate: no trust fix to propose."""
    assert fixes_for(host(code)) == []
