"""Clues in the text around an error line that decide between the causes its family names, and the reranking.

A message family names every cause its words allow (`table.py`); what the rest of a paste shows often settles
which one it is: `CAfile: none` (no CA file at all), a log stamped 1970 (a clock never set), an expired root named
next to the error (a stale root in the client's own store), a corporate proxy (interception). Each clue is a row:
the code it puts first, the families it reranks, the phrases or dates that show it, and the public threads of
explain's corpus it was learnt from (`tests/rules/data/explain_corpus.json` holds each as an entry with its settled
cause). Rows are in priority order: when two clues apply to one cause, the first row decides.

Dates are judged without a clock (`dates.py`): against fixed dates of the public PKI below and the validity dates
the same paste prints. Every expression is linear in the text: fixed phrases (`phrases.py`), and bounded windows
around the few places an expired certificate or a date is shown.
"""

from __future__ import annotations

import datetime
import re

from cadoctor._record import record
from cadoctor._rules.explain.dates import readings
from cadoctor._rules.explain.phrases import Context, Text, context

TYPE_CHECKING = False
if TYPE_CHECKING:
    from cadoctor._rules.explain.dates import Reading

# A clock that reads a year before this one was never set (1970, 1980 and 2000 are the usual reset values): no
# certificate a server presents to a TLS client of today's libraries started before it, and the oldest libraries
# that print these messages are younger.
CLOCK_FLOOR = datetime.date(2005, 1, 1)

# Let's Encrypt's DST Root CA X3 expired on 2021-09-30 while its default chain still led to it through a
# cross-signed ISRG Root X1 until that cross-sign expired on 2024-09-30: in between, a client that still holds the
# old root and builds the long chain (OpenSSL 1.0.x, GnuTLS before 3.6.14, wget 1.14, old node) says "expired".
DST_ROOT_EXPIRED = datetime.date(2021, 9, 30)
DST_CROSS_SIGN_EXPIRED = datetime.date(2024, 9, 30)


@record
class Clue:
    """One row of the table: what the text shows, which code it puts first, in which families' causes.

    Attributes:
        source: Phrases (one regex) that show the clue, or "" when only `finder` shows it.
        also: Phrases that must show too (the clue is their conjunction), or "".
        unless: Phrases that rule the clue out (a negation, another side of the same words), or "".
        finder: The name of a computed finder over dates or certificate lines (`FINDERS`), or "".
        sources: The threads of explain's corpus that show the clue, each with its settled cause.

    """

    name: str
    promotes: str
    reranks: tuple[str, ...]
    reason: str
    sources: tuple[str, ...]
    source: str = ""
    also: str = ""
    unless: str = ""
    finder: str = ""


# Families whose words leave the chain's fault open: an untrusted root, or no reason given at all.
_UNTRUSTED = (
    "local-issuer",
    "self-signed-in-chain",
    "verify-failed",
    "gnutls-verify",
    "boringssl-verify",
    "mbedtls-verify",
    "peer-unverified",
    "go-unknown-authority",
    "rustls-unknown-issuer",
    "java-pkix",
)
_EXPIRY = ("expired", "go-expired", "outside-validity")
_GENERIC = ("verify-failed", "gnutls-verify", "boringssl-verify", "mbedtls-verify", "peer-unverified")

_PROXY = (
    r"\bproxy\b|\bproxies\b|\bproxyerror\b|\bintercepted\b|\bintercepting\b|\binterception\b|\binspection\b|"
    r"\bintrospection\b|\bmitm\b|\bman in the middle\b|\bman-in-the-middle\b|\bfirewall\b|\bvpn\b|\bcorporate\b|"
    r"\bcompany's proxy\b|\bcompany network\b|\bcompany wide proxy\b|\boffice network\b|\bfaked certificates\b|"
    r"\brewrite all the certs\b|\brewrites the ssl certificates\b|\bre-sign\b|\bre-signs\b|\bproxyhost\b|"
    # The OS store's own clients work where this one, with its own roots, fails: the root is a local addition.
    r"\bcurl works\b|\bcurl can work properly\b|\bcurl work fine\b|\bworks with curl\b|\bwget works\b"
)

CLUES: tuple[Clue, ...] = (
    Clue(
        "clock-behind",
        "host-not-yet-valid",
        (*_EXPIRY, "not-yet-valid", "go-not-yet-valid", *_GENERIC),
        "the paste shows this machine's clock behind the certificate's start (a date before any certificate in use "
        "today was issued, or before the start date printed beside it): a device that never set its clock",
        (
            "https://github.com/gumstix/yocto-manifest/issues/43",
            "https://github.com/awslabs/amazon-kinesis-video-streams-webrtc-sdk-c/issues/915",
            "https://github.com/Amab/SWADroid/issues/130",
            "https://github.com/skycoin/skywire-testnet/issues/77",
            "https://github.com/jetkvm/kvm/issues/538",
        ),
        source=r"\bdate is wrong\b|\bdate is incorrect\b|\bdate is set incorrectly\b|\bdate was wrong\b|"
        r"\btime is wrong\b|\btime was wrong\b|\bclock is wrong\b|\bclock is off\b|\bclock is behind\b|"
        r"\bclock was wrong\b|\bclock is out of sync\b|\btime is out of sync\b|\bwrong date\b|\bwrong time\b|"
        r"\bwrong clock\b|\bwrong system time\b|\bincorrect date\b|\bincorrect time\b",
        finder="clock",
    ),
    Clue(
        "stale-root",
        "bundle-expired-roots",
        ("expired", "outside-validity", *_GENERIC),  # Go never chooses an expired root over a valid path
        "the certificate that expired is a root in this client's own store (named next to the error, or Let's "
        "Encrypt's DST Root CA X3 between its expiry on 2021-09-30 and its cross-sign's on 2024-09-30, or with an "
        "old client: wget 1.1x, OpenSSL 1.0.x, CentOS 6 or 7): the client or its bundle chooses the expired root; "
        "refresh the store (remove the expired root), not the server",
        (
            "https://github.com/pypa/manylinux/issues/1203",
            "https://github.com/hestiacp/hestiacp/issues/2164",
            "https://github.com/ruby/rubygems/issues/1800",
            "https://github.com/ruby/rubygems/issues/1765",
            "https://github.com/ruby/rubygems/issues/1745",
        ),
        finder="stale-root",
    ),
    Clue(
        "no-ca-file",
        "trust-store-empty",
        _UNTRUSTED,
        "the client says it was given no CA file and no CA directory (or Python's default verify paths are both "
        "None): it trusts nothing (an image or chroot without ca-certificates, a libcurl or OpenSSL built without a "
        "default bundle)",
        (
            "https://github.com/vapor/toolbox/issues/404",
            "https://github.com/jenkinsci/docker-ssh-agent/issues/265",
            "https://github.com/gantasmo/theDAW/pull/92",
            "https://github.com/coolsnowwolf/lede/issues/7974",
        ),
        source=r"\bcafile: none crlfile: none\b|\bcafile: none\s{1,12}capath: none\b|"
        r"\bdefaultverifypaths\(cafile=none, capath=none\b",  # ssl.get_default_verify_paths(): neither exists
    ),
    Clue(
        "interception",
        "host-intercepted",
        (*_UNTRUSTED, "self-signed-leaf", "incomplete-chain", "revocation-unchecked"),
        "the paste says a proxy, firewall or corporate network is in the way, or that curl (the OS store) works "
        "where this client fails: most likely it intercepts TLS and re-signs connections with a root the OS store "
        "may hold but this client's own store (certifi, webpki-roots, a JDK's cacerts, an image's bundle) lacks",
        (
            "https://github.com/nbafrank/uvr/issues/201",
            "https://github.com/r-lib/rig/issues/295",
            "https://github.com/golang/go/issues/18519",
            "https://github.com/elixir-lang/elixir/issues/13169",
            "https://github.com/hexpm/hex/issues/146",
            "https://github.com/abraunegg/onedrive/issues/1356",
            "https://github.com/rust-lang/cargo/issues/1180",
            "https://github.com/dotnet/dotnet-docker/issues/2648",
            "https://github.com/lovell/sharp/issues/1618",
            "https://github.com/run-llama/llama_cloud_services/issues/348",
        ),
        source=_PROXY,
        unless=r"\bnot behind\b|\bbut i'm not\b|\bwithout (a |any )?proxy\b|\bno vpn\b|\bthere is not vpn\b|"
        r"\bproxy authentication required\b|\btunnel connection failed\b",
    ),
    Clue(
        "own-openssl-without-roots",
        "trust-store-empty",
        _UNTRUSTED,
        "this runtime brings its own OpenSSL (Anaconda's) whose default CA file is not there: it does not read "
        "the system's roots",
        ("https://github.com/ContinuumIO/anaconda-issues/issues/137",),
        source=r"\banaconda distribution\b|\banaconda3\\|\banaconda3/|\bminiconda3\\|\bminiconda3/|"
        r"\bcannot find my system ssl certificates\b",
    ),
    Clue(
        "windows-openssl-client",
        "trust-store-empty",
        _UNTRUSTED,
        "an OpenSSL-based client on Windows (PHP's cURL, libcurl, RubyInstaller): it has no CA bundle unless one "
        "is configured (curl.cainfo, CURLOPT_CAINFO, SSL_CERT_FILE), and does not read the Windows store",
        (
            "https://github.com/googleworkspace/php-samples/issues/8",
            "https://github.com/Alecaddd/awps/issues/3",
            "https://github.com/dlang/phobos/pull/1043",
            "https://github.com/springlobby/springlobby/issues/862",
            "https://github.com/oneclick/rubyinstaller/issues/324",
        ),
        source=r"\bc:\\|\bd:\\|\bc:/ruby|\bon windows\b|\bwindows only\b|\bwindows 7\b|\bwindows 8\b|\bwindows 10\b|"
        r"\bwindows 11\b|\bxampp\b|\bwamp\b|\bwamp64\b",
        also=r"\bcurl error\b|\bcurlexception\b|\blibcurl\b|\bguzzlehttp\b|\bcurl\.cainfo\b|\bssl connect returned=",
        # RubyGems checks rubygems.org against the certificates it bundles: a failure there is a root they lack.
        unless=r"\brubygems\.org\b",
    ),
    Clue(
        "php-curl-without-bundle",
        "trust-store-empty",
        _UNTRUSTED,
        "PHP's cURL (Guzzle's `cURL error 60`): PHP builds for Windows and macOS stacks (XAMPP, WAMP, MAMP) carry "
        "no CA bundle until php.ini names one (curl.cainfo, openssl.cafile)",
        (
            "https://github.com/onekb/ChatGPT/issues/5",
            "https://github.com/Jeroen-G/laravel-packager/issues/35",
        ),
        source=r"\bguzzlehttp\b|\bcurl error 60\b|\bcurlfactory\.php\b|\bcurl\.cainfo\b|\bphp\.ini\b",
    ),
    Clue(
        "image-without-roots",
        "trust-store-empty",
        (*_UNTRUSTED, "no-ca-bundle"),  # curl's 77: the compiled-in bundle is absent from the image
        "the program runs in a container image built without CA certificates (scratch, busybox, a base image "
        "without the ca-certificates package): install them or copy the bundle into the image",
        (
            "https://github.com/segmentio/chamber/pull/330",
            "https://github.com/argoproj/argo-workflows/issues/8805",
            "https://github.com/oven-sh/bun/issues/5353",
            "https://github.com/oven-sh/bun/pull/33136",
        ),
        source=r"\bfrom scratch\b|\bscratch image\b|\busing .scratch\b|\bfrom busybox\b|\bfrom alpine\b|"
        r"\bfrom debian\b|\bfrom ubuntu\b|\bdocker run\b|\brun apt-get\b|\brun curl\b|\brun wget\b|"
        r"\brun git clone\b|\bcertificates are missing\b|\bno ca certificates\b|\bno ca-certificates\b|"
        r"\bwithout ca-certificates\b|\bca-certificates is not installed\b|\bca-certificates not installed\b",
        unless=r"\berror response from daemon\b|\bdocker pull\b|\bunable to find image\b|\bpulling repository\b|"
        r"\bgcr\.io/distroless\b",
    ),
)


# -- computed finders -------------------------------------------------------------------------------------------

_EXPIRED = re.compile(r"(?:certificate|cert) has expired|\bexpired at\b|\bnum=10\b|\berror 10 at\b")
_ROOT_NAME = re.compile(r"\broot ca\b|\bca root\b|\broot x\d\b|\broot r\d\b|\broot certificate\b")
_LEAF_EXPIRED = re.compile(r"\berror 10 at 0 depth\b|\bdepth=0\b[^\n]{0,200}\n[^\n]{0,40}\bnum=10\b")
_ANCHORS = ("expired", "num=10", "error 10 at")  # every match of _EXPIRED holds one of them
_LETS_ENCRYPT = re.compile(r"\blet's encrypt\b|\bcn ?= ?r3\b|\bdst root ca x3\b|\bisrg root x1\b")
# Clients that build Let's Encrypt's long chain to DST Root CA X3 while they hold it: before the root expired they
# verified, so an expiry they report on that chain is the root's.
_OLD_CLIENT = re.compile(r"\bwget 1\.1[0-9]\b|\bopenssl[ /]1\.0\.\d|\bcentos (linux )?release [67]\b|\bcentos [67]\b")


def _dates(text: Text) -> list[Reading]:
    """The dates the text shows, read once."""
    if text.dates is None:
        text.dates = readings(text.folded, text.words)
    return text.dates


def _clock(text: Text) -> tuple[int, int] | None:
    """A clock reading before CLOCK_FLOOR, or before a validity start the same text prints; else None."""
    found = _dates(text)
    starts = [reading.day for reading in found if reading.kind == "start"]
    latest_start = max(starts) if starts else None
    for reading in found:
        if reading.kind != "clock":
            continue
        if reading.day < CLOCK_FLOOR or (latest_start is not None and reading.day < latest_start):
            return reading.start, reading.end
    return None


_NEAR = 400  # characters around an expired error where the certificate it names is looked for
_SHOWN_EXPIRIES = 64  # expired errors looked at: a paste shows its error near the top, a long log repeats it


def _expiries(folded: str) -> list[re.Match[str]]:
    """The first expired errors of the text, in order: found by their fixed words, then matched where they are."""
    found: list[re.Match[str]] = []
    for anchor in _ANCHORS:
        at = folded.find(anchor)
        while at != -1 and len(found) < 3 * _SHOWN_EXPIRIES:
            match = _EXPIRED.search(folded, max(0, at - len("certificate has ")), at + len(anchor) + 3)
            if match is not None and match.start() <= at < match.end():
                found.append(match)
            at = folded.find(anchor, at + 1)
    found.sort(key=lambda match: match.start())
    return found[:_SHOWN_EXPIRIES]


def _stale_root(text: Text) -> tuple[int, int] | None:
    """An expired root named on the error's line or the one before it, or Let's Encrypt's chain while DST expired."""
    folded = text.folded
    if not {b"expired", b"10"} & text.words:  # no certificate said to be expired
        return None
    expiries = _expiries(folded)
    if not expiries:
        return None
    leaf = folded.find("depth=0") != -1 or folded.find("error 10 at 0 depth") != -1
    if leaf and _LEAF_EXPIRED.search(folded):  # the certificate that expired is the server's own
        return None
    for expired in expiries:
        window = max(0, expired.start() - _NEAR)
        line = folded.rfind("\n", window, expired.start())  # the end of the line above, if it is near
        above = folded.rfind("\n", window, line) + 1 if line != -1 else window
        above = max(above, window)
        end = folded.find("\n", expired.end(), expired.end() + _NEAR)
        root = _ROOT_NAME.search(folded, above, expired.end() + _NEAR if end == -1 else end)
        if root is not None:
            return root.start(), expired.end()
    if not {b"encrypt", b"r3", b"x3", b"x1"} & text.words:
        return None
    chain = _LETS_ENCRYPT.search(folded)
    if chain is None:
        return None
    for reading in _dates(text):
        if reading.kind == "clock" and DST_ROOT_EXPIRED <= reading.day < DST_CROSS_SIGN_EXPIRED:
            return chain.start(), chain.end()
    old = _OLD_CLIENT.search(folded)
    return (old.start(), old.end()) if old is not None else None


FINDERS = {"clock": _clock, "stale-root": _stale_root}

_CONTEXTS: dict[str, Context] = {}


def _context(source: str) -> Context:
    """The phrases of one regex, cut once."""
    if source not in _CONTEXTS:
        _CONTEXTS[source] = context(source[:40], source)
    return _CONTEXTS[source]


def shown(clue: Clue, text: Text) -> tuple[int, int] | None:
    """Where the text shows the clue, or None: its phrases or its finder, with `also` and without `unless`."""
    if clue.unless and _context(clue.unless).search(text) is not None:
        return None
    if clue.also and _context(clue.also).search(text) is None:
        return None
    span = _context(clue.source).search(text) if clue.source else None
    if span is None and clue.finder:
        span = FINDERS[clue.finder](text)
    return span
