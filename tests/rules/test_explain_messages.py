"""explain's reading of real messages: ones raised by this suite's own handshakes, and ones from the libraries."""

from __future__ import annotations

import json
import re
import socket
import ssl
from pathlib import Path
from typing import Any

import pytest
from helpers.pki import make_chain
from helpers.servers import answer_http, close_after_hello, serve, server_context, tls_handler

from cadoctor._rules.explain.phrases import Text
from cadoctor._rules.explain.reading import explain
from cadoctor._rules.explain.table import CONTEXTS, PATTERNS

# Messages as the libraries print them (formats from their sources and issue trackers), with the finding code
# the first likely cause must carry.
LIBRARY_MESSAGES = [
    (
        "requests.exceptions.SSLError: HTTPSConnectionPool(host='pypi.org', port=443): Max retries exceeded with url: "
        "/simple/ (Caused by SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate "
        "verify failed: unable to get local issuer certificate (_ssl.c:1006)')))",
        "host-unknown-ca",
    ),
    (
        "urllib3.exceptions.SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: self-signed "
        "certificate in certificate chain (_ssl.c:1006)",
        "host-unknown-ca",
    ),
    (
        "httpx.ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: certificate has expired "
        "(_ssl.c:1006)",
        "host-expired",
    ),
    (
        "aiohttp.client_exceptions.ClientConnectorCertificateError: Cannot connect to host example.com:443 ssl:True "
        '[SSLCertVerificationError: (1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname '
        "mismatch, certificate is not valid for 'example.com'. (_ssl.c:1006)\")]",
        "host-hostname-mismatch",
    ),
    (
        "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None)) after connection "
        "broken by 'SSLError(SSLEOFError(8, '[SSL: UNEXPECTED_EOF_WHILE_READING] EOF occurred in violation of "
        "protocol (_ssl.c:1006)'))': /simple/requests/",
        "host-connection-reset",
    ),
    (
        "OSError: Could not find a suitable TLS CA certificate bundle, invalid path: /etc/ssl/certs/ca-bundle.crt",
        "env-path-invalid",
    ),
    ("curl: (60) SSL certificate problem: unable to get local issuer certificate", "host-unknown-ca"),
    ("curl: (60) SSL certificate problem: self-signed certificate", "host-unknown-ca"),
    (
        "curl: (77) error setting certificate file: /etc/pki/tls/certs/ca-bundle.crt",
        "env-path-invalid",
    ),
    ("curl: (35) error:0A00010B:SSL routines::wrong version number", "host-not-tls"),
    (
        "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to example.com:443",
        "host-connection-reset",
    ),
    (
        "fatal: unable to access 'https://git.example.com/repo.git/': server certificate verification failed. "
        "CAfile: none CRLfile: none",
        "host-unknown-ca",
    ),
    (
        "fatal: unable to access 'https://github.com/org/repo.git/': SSL certificate problem: unable to get local "
        "issuer certificate",
        "host-unknown-ca",
    ),
    ("Error: unable to verify the first certificate\n    at TLSSocket.onConnectSecure", "host-incomplete-chain"),
    ("Error: self-signed certificate in certificate chain { code: 'SELF_SIGNED_CERT_IN_CHAIN' }", "host-unknown-ca"),
    (
        "Error [ERR_TLS_CERT_ALTNAME_INVALID]: Hostname/IP does not match certificate's altnames",
        "host-hostname-mismatch",
    ),
    (
        "Warning: Ignoring extra certs from `/corp/root.pem`, load failed: error:80000002:system library::No such "
        "file or directory",
        "env-path-invalid",
    ),
    ("verify error:num=20:unable to get local issuer certificate", "host-unknown-ca"),
    ("verify error:num=21:unable to verify the first certificate", "host-incomplete-chain"),
    ("ssl.SSLError: [SSL: TLSV1_ALERT_UNKNOWN_CA] tlsv1 alert unknown ca (_ssl.c:2578)", "host-client-cert-rejected"),
    ("[SSL: SSLV3_ALERT_HANDSHAKE_FAILURE] sslv3 alert handshake failure (_ssl.c:1006)", "host-handshake-failure"),
    ("ssl.SSLError: [SSL: BAD_WRITE_RETRY] bad write retry (_ssl.c:2427)", None),
    ("[SSL: UNSAFE_LEGACY_RENEGOTIATION_DISABLED] unsafe legacy renegotiation disabled", "host-handshake-failure"),
    ("ssl.SSLError: [SSL: CA_MD_TOO_WEAK] ca md too weak (_ssl.c:4035)", "host-handshake-failure"),
    (
        "ssl.SSLCertVerificationError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: Basic "
        "Constraints of CA cert not marked critical (_ssl.c:1028)",
        "strict-verification",
    ),
    (
        "pip._vendor.urllib3.exceptions.ProxyError: ('Unable to connect to proxy', OSError('Tunnel connection "
        "failed: 407 Proxy Authentication Required'))",
        "host-unreachable",
    ),
    ("ModuleNotFoundError: No module named '_ssl'", "ssl-unavailable"),
    (
        "WARNING: pip is configured with locations that require TLS/SSL, however the ssl module in Python is not "
        "available.",
        "ssl-unavailable",
    ),
    ("socket.gaierror: [Errno -2] Name or service not known", "host-unreachable"),
    ("TimeoutError: _ssl.c:989: The handshake operation timed out", "host-timeout"),
]


@pytest.mark.parametrize(("message", "code"), LIBRARY_MESSAGES, ids=range(len(LIBRARY_MESSAGES)))
def test_library_message(message: str, code: str | None) -> None:
    """Each message is known, and its first cause carries the expected finding code (or none, for app bugs)."""
    found = explain(message)
    assert found.known
    first = found.causes[0]
    assert (code in first.codes) if code else first.codes == ()


# Real messages pasted in public GitHub threads, with the text around the error line that the reporter pasted,
# each with the cause its thread settled on (`settled`, a finding code; null for a problem outside trust), the codes
# fair as a first cause (`codes`), the clue of the paste that decides between them (`clue`: a row of
# `clues.CLUES`, `interception-product`, or null when the paste carries none), the side that printed it, and the
# thread (`source`, the citation).
CORPUS = json.loads((Path(__file__).parent / "data" / "explain_corpus.json").read_text(encoding="utf-8"))
CLUED = [entry for entry in CORPUS if entry["clue"]]


def _right(entry: dict[str, Any]) -> bool:
    """Whether the message is known and its first cause carries one of the entry's codes (or none, when none fit)."""
    found = explain(entry["message"])
    if not found.known:
        return False
    codes = found.causes[0].codes
    return bool(set(entry["codes"]) & set(codes)) if entry["codes"] else codes == ()


def _settled_first(entry: dict[str, Any]) -> bool:
    """Whether the first cause's first code is the cause the entry's thread settled on."""
    found = explain(entry["message"])
    if not found.known:
        return False
    codes = found.causes[0].codes
    return codes[:1] == (entry["settled"],) if entry["settled"] else codes == ()


@pytest.mark.parametrize("entry", CORPUS, ids=["%s-%d" % (e["family"], i) for i, e in enumerate(CORPUS)])
def test_real_message(entry: dict[str, Any]) -> None:
    """A real message is known, and its first cause carries a code its thread settled on."""
    assert _right(entry), (entry["message"], entry["codes"], explain(entry["message"]).causes[:1])


@pytest.mark.parametrize("entry", CLUED, ids=["%s-%s" % (e["clue"], e["source"].split("/")[-3]) for e in CLUED])
def test_a_clue_in_the_paste_puts_the_settled_cause_first(entry: dict[str, Any]) -> None:
    """Where the paste carries a deciding clue, the first cause's first code is the settled one, by that clue."""
    first = explain(entry["message"]).causes[0]
    assert first.codes[0] == entry["settled"], (entry["source"], first)
    if entry["clue"] == "interception-product":
        assert first.name == "interception-product"
    else:
        assert first.clue is not None
        assert first.clue.name == entry["clue"], (entry["source"], first.clue)


def test_real_messages_first_cause_rate() -> None:
    """None is unrecognised; 95% get a fair first cause, 80% the settled one first; the corpus is cited and settled."""
    assert len(CORPUS) >= 236
    assert all(e["source"].startswith("https://github.com/") for e in CORPUS)
    assert len({e["source"] for e in CORPUS}) == len(CORPUS)  # one entry a thread
    assert all((e["settled"] in e["codes"]) if e["codes"] else e["settled"] is None for e in CORPUS)
    assert all(explain(e["message"]).known for e in CORPUS)
    assert sum(map(_right, CORPUS)) >= 0.95 * len(CORPUS)
    assert sum(map(_settled_first, CORPUS)) >= 0.80 * len(CORPUS)
    assert len(CLUED) >= 45


def test_words_never_hide_a_match() -> None:
    """On every message, each phrase is found exactly where its regex alone finds it: the word index only skips."""
    phrases = [p for row in PATTERNS for p in row.phrases] + [p for row in CONTEXTS for p in row.phrases]
    for message in [e["message"] for e in CORPUS] + [m for m, _code in LIBRARY_MESSAGES]:
        text = Text(message)
        for phrase in phrases:
            alone = re.search(phrase.source, text.folded)
            assert phrase.search(text) == (alone and alone.span()), (phrase.source, message)


SERVER_SIDE = [
    "ERROR OpenSSL::SSL::SSLError: SSL_accept returned=1 errno=0 state=error: tlsv1 alert unknown ca",
    "http: TLS handshake error from 10.1.2.3:52044: remote error: tls: bad certificate",
    "*1 SSL_do_handshake() failed (SSL: error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48) "
    "while SSL handshaking, client: 1.2.3.4, server: 0.0.0.0:443",
    'File "/usr/lib/python3.11/ssl.py", line 1405, in accept\n    newsock = self.context.wrap_socket(newsock,\n'
    "ssl.SSLError: [SSL: SSLV3_ALERT_CERTIFICATE_UNKNOWN] sslv3 alert certificate unknown (_ssl.c:1006)",
]


@pytest.mark.parametrize("message", SERVER_SIDE, ids=range(len(SERVER_SIDE)))
def test_an_alert_the_server_received_means_the_client_rejected_its_certificate(message: str) -> None:
    """A server's log receiving unknown_ca or bad_certificate says the client distrusts the server's chain."""
    found = explain(message)
    assert found.side == "server"
    assert found.causes[0].codes == ("host-unknown-ca", "host-incomplete-chain")
    assert all("host-client-cert-rejected" not in cause.codes for cause in found.causes)


def test_an_alert_the_client_received_means_the_server_rejected_our_certificate() -> None:
    """The same alert in a client's message is about our client certificate; with no side shown, both readings."""
    client = explain("curl: (56) OpenSSL SSL_read: error:0A000412:SSL routines::sslv3 alert bad certificate, errno 0")
    assert (client.side, client.causes[0].codes) == ("client", ("host-client-cert-rejected",))
    either = explain("handshake: tlsv1 alert unknown ca")
    assert either.side is None
    assert either.causes[0].codes == ("host-client-cert-rejected", "host-unknown-ca")


def test_a_weak_certificate_being_loaded_is_a_local_problem() -> None:
    """`ca md too weak` while this program loads its own certificate is not the server's fix, unlike in a handshake."""
    loading = explain('nginx: [emerg] SSL_CTX_use_certificate("/etc/nginx/cert.pem") failed (SSL: ee key too small)')
    assert [c.name for c in loading.causes] == ["weak-local-certificate"]
    assert loading.causes[0].codes == ()
    handshake = explain("error:0A00018A:SSL routines:tls_process_ske_dhe:dh key too small")
    assert handshake.causes[0].codes == ("host-handshake-failure",)


def test_interception_comes_first_when_the_message_shows_it() -> None:
    """A named interception product, or a proxy named beside an unverified chain, puts host-intercepted first."""
    named = explain(
        'x509: certificate signed by unknown authority (... candidate authority certificate "Zscaler Root CA")'
    )
    proxied = explain("ProxyError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1006)")
    plain = explain("x509: certificate signed by unknown authority")
    assert named.causes[0].codes[0] == proxied.causes[0].codes[0] == "host-intercepted"
    assert proxied.causes[0].clue is not None
    assert proxied.causes[0].clue.matched == "ProxyError"
    assert plain.causes[0].codes[0] == "trust-store-empty"  # Go's own order: most often an image without a bundle
    assert plain.causes[0].clue is None


def test_the_python_org_framework_is_read_as_its_known_issue() -> None:
    """A python.org macOS framework traceback failing to verify points at Install Certificates.command first."""
    found = explain(CORPUS[10]["message"])
    assert "/Library/Frameworks/Python.framework" in CORPUS[10]["message"]
    assert found.causes[0].codes[0] == "runtime-known-issue"
    assert found.causes[0].command == "cadoctor check"


def test_words_are_whole_words() -> None:
    """ENOTFOUND inside FileNotFoundError is not a DNS failure, and Go's "is before" is not yet valid, not expired."""
    oserror = explain(
        "ssl_wrap_socket: context.load_verify_locations(ca_certs) FileNotFoundError: [Errno 2] No such file"
    )
    assert [c.codes for c in oserror.causes] == [("env-path-invalid",)]
    go = explain("x509: certificate has expired or is not yet valid: current time 2017-11-28T17:25:51Z is before 2023")
    assert [c.codes for c in go.causes] == [("host-not-yet-valid",)]


@pytest.mark.parametrize(
    ("message", "name", "code"),
    [
        ("TypeError: cafile, capath and cadata cannot be all omitted", "no-ca-source", "trust-store-empty"),
        (
            "curl: (60) Peer certificate cannot be authenticated with known CA certificates",
            "peer-unverified",
            "host-unknown-ca",
        ),
        (
            "Error: Peer certificate cannot be authenticated with given CA certificates.",
            "peer-unverified",
            "host-unknown-ca",
        ),
        ("[60] SSL peer certificate or SSH remote key was not OK", "peer-unverified", "host-unknown-ca"),
        ("SSL: :certify: ssl_handshake.erl:1523:Fatal error: unknown ca", "local-issuer", "host-unknown-ca"),
        (
            "SSLHandshakeException: current time: Sun Jan 01 2012, validation time: Mon Nov 05 2012",
            "outside-validity",
            "host-not-yet-valid",
        ),
    ],
)
def test_message_shapes_explain_used_to_miss(message: str, name: str, code: str) -> None:
    """Python's no-CA-source TypeError, libcurl's code 60 in both wordings, Erlang's and Android's messages are read."""
    first = explain(message).causes[0]
    assert first.name == name
    assert code in first.codes


def test_corpus_is_large_enough() -> None:
    """At least 25 real-world messages, plus the ones this suite's handshakes raise."""
    assert len(LIBRARY_MESSAGES) >= 25


def test_host_is_taken_from_the_message() -> None:
    """The suggested command names the host the message names."""
    found = explain(LIBRARY_MESSAGES[0][0])
    assert found.causes[0].command == "cadoctor check --host pypi.org"
    assert explain("curl: (35) ... in connection to example.com:8443").host == "example.com:8443"


def _raised(port: int, cafile: str | None = None) -> str:
    """The text of the exception Python's ssl raises against a local server."""
    context = ssl.create_default_context(cafile=cafile)
    try:
        with (
            socket.create_connection(("127.0.0.1", port), timeout=5) as sock,
            context.wrap_socket(sock, server_hostname="localhost") as tls,
        ):
            tls.recv(1)
    except (ssl.SSLError, OSError) as exc:
        return "%s: %s" % (type(exc).__name__, exc)
    return "no error"


def test_messages_raised_by_real_handshakes(tmp_path: Path) -> None:
    """Errors raised by real handshakes against this suite's servers decode to the codes `check --host` gives."""
    chain = make_chain(tmp_path / "pki")
    assert chain.intermediate is not None
    other = make_chain(tmp_path / "other", "cadoctor Other Root", intermediate=False)
    seen = {}
    with serve(tls_handler(server_context(chain.leaf, chain.key, chain.intermediate))) as port:
        seen["host-unknown-ca"] = _raised(port, str(other.root))
    with serve(tls_handler(server_context(chain.leaf, chain.key))) as port:
        seen["host-incomplete-chain"] = _raised(port, str(chain.root))
    with serve(close_after_hello) as port:
        seen["host-connection-reset"] = _raised(port)
    with serve(answer_http) as port:
        seen["host-not-tls"] = _raised(port)
    for code, found in seen.items():
        assert any(code in cause.codes for cause in explain(found).causes), (code, found)
