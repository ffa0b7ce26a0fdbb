"""explain's clues: the text around an error line that decides which of its family's causes comes first.

Each clue row of `clues.CLUES` is tested here on small texts built for its edges; the real pastes it was learnt
from, with the causes their threads settled on, are the corpus entries tests/rules/test_explain_messages.py holds.
"""

from __future__ import annotations

import inspect
import json
from pathlib import Path

import pytest

from cadoctor._rules.explain import clues, dates
from cadoctor._rules.explain.dates import readings
from cadoctor._rules.explain.phrases import FOLD
from cadoctor._rules.explain.reading import Cause, explain
from cadoctor._rules.explain.table import PATTERNS

CORPUS = json.loads((Path(__file__).parent / "data" / "explain_corpus.json").read_text(encoding="utf-8"))

GNUTLS = (
    "fatal: unable to access 'https://git.example.test/r.git/': server certificate verification failed. "
    "CAfile: /etc/ssl/certs/ca-certificates.crt CRLfile: none"
)


def _first(text: str) -> Cause:
    """The first cause explain gives for a text it knows."""
    found = explain(text)
    assert found.known, text
    return found.causes[0]


def _clue(cause: Cause) -> str | None:
    """The name of the clue that ranked a cause, or None."""
    return cause.clue.name if cause.clue else None


def test_a_clock_that_was_never_set_puts_not_yet_valid_first() -> None:
    """A `date` or log stamp before any certificate in use was issued makes an undetailed failure a clock problem."""
    for clock in ("$ date\nSat Jan  1 00:47:51 UTC 2000", "[1970/01/01 02:06:28:1157] E: SSL error"):
        first = _first(GNUTLS + "\n" + clock)
        assert (first.codes[0], _clue(first)) == ("host-not-yet-valid", "clock-behind")
        assert first.clue is not None
        assert first.clue.matched[:3] in ("Jan", "197")
    assert _first(GNUTLS + "\n$ date\nSat Jan  1 00:47:51 UTC 2022").codes[0] == "host-unknown-ca"


def test_a_certificates_own_dates_and_a_build_date_are_not_the_clock() -> None:
    """Validity dates (`Not Before:`, `expired at`) and dates without a time of day (a version's) read no clock."""
    expired = _first("Not Before: May 30 10:48:38 2000 GMT\nverify error: certificate has expired")
    assert (expired.codes[0], _clue(expired)) == ("host-expired", None)
    built = _first("OpenSSL 0.9.7d 17 Mar 2004\nSSLError: certificate verify failed")
    assert _clue(built) is None
    folded = "not after : may 30 10:48:38 2000 gmt, current time 2023-05-18 is after 2023-04-23t06:01:48z"
    assert [(r.day.year, r.kind) for r in readings(folded)] == [(2000, "end"), (2023, "clock"), (2023, "end")]


@pytest.mark.parametrize(
    ("clock", "code"), [("Sun Jan 01 01:04:42", "host-not-yet-valid"), ("Fri Dec 20 09:00:00", "host-expired")]
)
def test_a_clock_is_judged_against_the_validity_start_the_paste_prints(clock: str, code: str) -> None:
    """Android's `current time: …, validation time: …` is not yet valid when the clock reads before the start."""
    text = "SSLHandshakeException: current time: %s GMT+01:00 2012, validation time: Mon Nov 05 01:00:00 GMT+01:00 2012"
    assert _first(text % clock).codes[0] == code


def test_dates_are_read_in_the_forms_pastes_print_them() -> None:
    """A log's ISO stamp, `date`'s output, Erlang's day-first report and a slashed stamp are read, in order."""
    text = "[2021-10-06 08:26:19] Sat Jan  1 00:47:51 UTC 2000 ==== 1-Feb-2017::10:25:07 [1970/01/01 02:06:28:1157]"
    found = readings(text.translate(FOLD))
    assert [(r.day.isoformat(), r.kind) for r in found] == [
        ("2021-10-06", "clock"),
        ("2000-01-01", "clock"),
        ("2017-02-01", "clock"),
        ("1970-01-01", "clock"),
    ]
    assert readings("2021-13-45 10:10 and feb 30 10:10:10 2020".translate(FOLD)) == []  # no such days


def test_dates_are_judged_without_asking_the_clock() -> None:
    """The clue rules compare dates with fixed ones and the paste's own, never with today: same text, same answer."""
    for module in (clues, dates):
        source = inspect.getsource(module)
        assert "today(" not in source
        assert ".now(" not in source
        assert "time.time" not in source
    fixed = (clues.CLOCK_FLOOR, clues.DST_ROOT_EXPIRED, clues.DST_CROSS_SIGN_EXPIRED)
    assert [day.isoformat() for day in fixed] == ["2005-01-01", "2021-09-30", "2024-09-30"]


def test_an_expired_root_named_at_the_error_is_a_stale_root_in_the_client_store() -> None:
    """The expired certificate named on the error's line or the line above is a root: the client's store is stale."""
    same_line = (
        "ERROR:  SSL verification error at depth 2: certificate has expired (10)\n"
        "ERROR:  Certificate /C=BE/O=GlobalSign nv-sa/OU=Root CA/CN=GlobalSign Root CA expired at 2014-01-28T12:00:00Z"
    )
    line_above = (
        "depth=3 O = Digital Signature Trust Co., CN = DST Root CA X3\nverify error:num=10:certificate has expired"
    )
    for text in (same_line, line_above):
        first = _first(text)
        assert (first.codes[0], _clue(first)) == ("bundle-expired-roots", "stale-root")


def test_an_expired_leaf_is_the_servers_even_beside_an_old_root() -> None:
    """`depth=0` expired (the server's own certificate) stays host-expired though the chain names DST Root CA X3."""
    text = (
        "depth=2 O = Digital Signature Trust Co., CN = DST Root CA X3\nverify return:1\n"
        "depth=1 C = US, O = Let's Encrypt, CN = R3\nverify return:1\ndepth=0 CN = example.test\n"
        "verify error:num=10:certificate has expired\nnotAfter=Apr  9 14:23:00 2021 GMT"
    )
    assert (_first(text).codes[0], _clue(_first(text))) == ("host-expired", None)


@pytest.mark.parametrize(
    ("day", "code"),
    [
        ("2021-10-06", "bundle-expired-roots"),
        ("2024-09-29", "bundle-expired-roots"),
        ("2021-08-01", "host-expired"),
        ("2025-01-02", "host-expired"),
    ],
)
def test_lets_encrypt_expired_between_dst_and_its_cross_signs_expiry_is_a_stale_root(day: str, code: str) -> None:
    """wget's `Issued certificate has expired` on Let's Encrypt's chain is the old DST root only in its window."""
    text = (
        "--%s 08:26:19--  https://www.example.test/file\n"
        "ERROR: cannot verify www.example.test's certificate, issued by '/C=US/O=Let's Encrypt/CN=R3':\n"
        "  Issued certificate has expired." % day
    )
    assert _first(text).codes[0] == code


def test_an_old_client_on_lets_encrypts_chain_needs_no_date() -> None:
    """wget 1.1x, OpenSSL 1.0.x or CentOS 6/7 reporting Let's Encrypt's chain expired: the old root, date or not."""
    text = (
        "GNU Wget 1.14 built on linux-gnu.\n"
        "ERROR: cannot verify example.test's certificate, issued by '/C=US/O=Let's Encrypt/CN=R3':\n"
        "  Issued certificate has expired."
    )
    first = _first(text)
    assert (first.codes[0], _clue(first)) == ("bundle-expired-roots", "stale-root")
    assert _first(text.replace("GNU Wget 1.14", "GNU Wget 1.21")).codes[0] == "host-expired"


def test_go_never_blames_the_old_root() -> None:
    """Go's `is after` names the certificate it found expired; Go builds a valid path past an expired root."""
    text = "2022-05-02 10:00:00 Let's Encrypt: x509: certificate has expired or is not yet valid: current time "
    text += "2022-05-02T10:00:00Z is after 2022-05-01T00:00:00Z"
    assert _first(text).codes[0] == "host-expired"


def test_no_ca_file_and_no_ca_directory_is_an_empty_store() -> None:
    """`CAfile: none` beside `CRLfile: none` (GnuTLS) or `CApath: none` (OpenSSL) says nothing is trusted."""
    gnutls = GNUTLS.replace("/etc/ssl/certs/ca-certificates.crt", "none")
    openssl = "*   CAfile: none\n  CApath: none\n* SSL certificate problem: unable to get local issuer certificate"
    for text in (gnutls, openssl):
        first = _first(text)
        assert (first.codes[0], _clue(first)) == ("trust-store-empty", "no-ca-file")
    directory = openssl.replace("CApath: none", "CApath: /etc/ssl/certs")
    assert _clue(_first(directory)) != "no-ca-file"
    python = "DefaultVerifyPaths(cafile=None, capath=None, openssl_cafile='/usr/local/ssl/cert.pem')\n"
    first = _first(python + "SSLError: [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1129)")
    assert (first.codes[0], _clue(first)) == ("trust-store-empty", "no-ca-file")


def test_a_proxy_in_the_paste_is_interception_unless_the_paste_denies_it() -> None:
    """A corporate proxy or firewall named near a rustls failure puts host-intercepted first; a denial does not."""
    error = "\nerror trying to connect: invalid peer certificate: UnknownIssuer"
    behind = _first("I'm behind a corporate proxy." + error)
    assert (behind.codes[0], _clue(behind)) == ("host-intercepted", "interception")
    for denial in ("I know issues say `I'm behind a corporate firewall` but I'm not.", "There is not VPN enabled."):
        assert _clue(_first(denial + error)) is None
    curl = _first("Note that curl works properly when checking the URL." + error)  # the OS store's client works
    assert (curl.codes[0], _clue(curl)) == ("host-intercepted", "interception")


def test_the_reporters_words_are_clues_too() -> None:
    """A wrong clock said in words, a JVM's proxy setting, a php.ini: each decides like the text that shows it."""
    clock = _first("the board's date is wrong\n" + GNUTLS)
    assert (clock.codes[0], _clue(clock)) == ("host-not-yet-valid", "clock-behind")
    java = _first("java -Dhttps.proxyHost=10.0.0.1 -jar app.jar\nPKIX path building failed")
    assert (java.codes[0], _clue(java)) == ("host-intercepted", "interception")
    php = _first("I set openssl.cafile in php.ini\nSSL certificate problem: unable to get local issuer certificate")
    assert (php.codes[0], _clue(php)) == ("trust-store-empty", "php-curl-without-bundle")


def test_the_windows_clue_needs_an_openssl_client_that_ignores_the_windows_store() -> None:
    """A Windows path is a clue for PHP's cURL or libcurl, not for node, which fails there behind proxies."""
    php = _first(r"C:\xampp\htdocs\index.php: cURL error 60: SSL certificate problem: unable to get local issuer")
    assert (php.codes[0], _clue(php)) == ("trust-store-empty", "windows-openssl-client")
    node = _first(
        'npm ERR! argv "C:\\\\Program Files\\\\nodejs"\nnpm ERR! self signed certificate in certificate chain'
    )
    assert (node.codes[0], _clue(node)) == ("host-intercepted", None)
    gem = "I use Windows 10\nUnable to download data from https://rubygems.org/ - SSL_connect returned=1 errno=0 "
    assert _clue(_first(gem + "state=error: certificate verify failed")) is None  # RubyGems' own roots decide


def test_an_image_without_ca_certificates_is_an_empty_store() -> None:
    """A program run from an image (`docker run`, `FROM scratch`) has an empty store; not the daemon, nor distroless."""
    rustls = "\ntls connection init failed: invalid peer certificate: UnknownIssuer"
    run = _first("docker run --rm example/tool:1.0 fetch" + rustls)
    assert (run.codes[0], _clue(run)) == ("trust-store-empty", "image-without-roots")
    assert _clue(_first("FROM scratch\nx509: certificate signed by unknown authority")) == "image-without-roots"
    for other in ("Error response from daemon: docker run", "docker run -it --rm gcr.io/distroless/base:debug"):
        assert _clue(_first(other + rustls)) is None
    curl = "FROM debian:bookworm-slim\nRUN curl -sSL https://example.test/x\ncurl: (77) error setting certificate "
    first = _first(curl + "file: /etc/ssl/certs/ca-certificates.crt")
    assert (first.codes[0], _clue(first)) == ("trust-store-empty", "image-without-roots")


def test_the_first_clue_row_decides_when_several_show() -> None:
    """`CAfile: none` beats a proxy named in the paste, and a proxy beats a container."""
    proxied = GNUTLS.replace("/etc/ssl/certs/ca-certificates.crt", "none") + "\nwe are behind a corporate proxy"
    assert _clue(_first(proxied)) == "no-ca-file"
    container = "docker run example/tool\nbehind a corporate proxy\nx509: certificate signed by unknown authority"
    assert (_first(container).codes[0], _clue(_first(container))) == ("host-intercepted", "interception")


def test_a_clue_reranks_only_the_families_it_names() -> None:
    """An empty store does not explain an expired certificate: `CAfile: none` leaves `certificate has expired` alone."""
    first = _first("CAfile: none CRLfile: none\ncurl: (60) SSL certificate problem: certificate has expired")
    assert (first.codes[0], _clue(first)) == ("host-expired", None)


def test_every_clue_cites_the_corpus_threads_it_decides() -> None:
    """Each row cites threads of explain's corpus whose paste it decides, settled on its code; its families exist."""
    names = {pattern.name for pattern in PATTERNS}
    corpus = {entry["source"]: entry for entry in CORPUS}
    for clue in clues.CLUES:
        assert clue.sources, clue.name
        for source in clue.sources:
            assert (corpus[source]["clue"], corpus[source]["settled"]) == (clue.name, clue.promotes), source
        assert set(clue.reranks) <= names, clue.name
        assert clue.source or clue.finder, clue.name
