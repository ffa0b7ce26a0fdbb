r"""The message families `explain` knows, most specific first.

Phrases are written as the libraries print them, lowercase, with `_` read as a space (so OpenSSL's reason code
`CERT_HAS_EXPIRED` and its reason string `cert has expired` are one phrase). Each alternative starts with a word
it holds whole (`\b` where the word opens the phrase), which is what lets a text that lacks it skip the family;
`tests/test_safety.py` checks both.
"""

from __future__ import annotations

from cadoctor._rules.message_patterns import Pattern, pattern

# Most specific first: the first rows that match decide the order of the causes shown.
PATTERNS: tuple[Pattern, ...] = (
    pattern(
        "strict-ca",
        r"\bbasic constraints of ca cert not marked critical\b|\bmissing authority key identifier\b|"
        r"\bca cert does not include key usage\b|\bmissing subject key identifier\b",
        ("strict-verification",),
        "Python 3.13+ verifies with VERIFY_X509_STRICT, which rejects this legacy or home-made CA certificate",
        "which CA in the bundles in effect lacks a critical basicConstraints or a key identifier",
        host=False,
    ),
    pattern(
        "no-ssl-module",
        r"\bno module named '? ?ssl\b|\bssl module (in python )?is not available\b|"
        r"\bcan't connect to https url because the ssl module is not available\b",
        ("ssl-unavailable",),
        "this Python has no usable ssl module (built without OpenSSL, or its libssl/libcrypto fails to load)",
        "which libssl the interpreter needs and whether LD_LIBRARY_PATH points elsewhere",
        host=False,
    ),
    pattern(
        "no-ca-bundle",
        r"\bcould not find a suitable tls ca certificate bundle\b|\berror setting certificate (verify )?"
        r"(locations|file)\b|\bignoring extra certs from\b|\bx509 lookup\b",
        ("env-path-invalid", "trust-store-empty"),
        "a CA bundle path (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, "
        "a verify= argument) names a file that is missing, empty or unreadable, or certifi's file was stripped",
        "every CA variable and the files they name",
        host=False,
        ordered=(
            (r"\bcafile:|\bca file:", r"\bcapath\b|\bca path\b"),
            (r"\bcafile\b", r"\bno such file\b|\bdoes not exist\b"),
        ),
    ),
    pattern(
        "incomplete-chain",
        r"\bunable to verify the first certificate\b|\bunable to verify leaf signature\b|\bnum=21\b|"
        r"\berror 21 at\b|\bverify (error|code)[:= ]{1,4}21\b",
        ("host-incomplete-chain",),
        "the server did not send an intermediate certificate its chain needs (browsers fetch it, OpenSSL does not)",
        "which certificate the server's chain is missing",
    ),
    pattern(
        "self-signed-in-chain",
        r"\bself-signed certificate in (the )?certificate chain\b|\bself signed certificate in (the )?certificate "
        r"chain\b|\bself signed cert in chain\b|\bnum=19\b|\berror 19 at\b",
        ("host-unknown-ca", "host-intercepted"),
        "the chain ends at a root this client does not trust: a private CA, or a TLS-intercepting proxy's root",
        "the chain's root and which bundles on disk (OS store, certifi) hold it",
    ),
    pattern(
        "self-signed-leaf",
        r"\bdepth zero self signed cert\b|\bself-signed certificate\b(?! in)|\bself signed certificate\b(?! in)|"
        r"\bnum=18\b",
        ("host-unknown-ca",),
        "the server presents a self-signed certificate that this client does not trust",
        "the certificate the server presents and whether any bundle here holds it",
    ),
    pattern(
        "local-issuer",
        r"\bunable to get local issuer\b|\bunable to get issuer cert locally\b|\bunable to get issuer certificate\b|"
        r"\bnum=(20|2)\b|\berror (20|2) at\b|\bserver certificate verification failed\b|"
        r"(?<!internal:)\bcertificate verify failed\b(?!\]|: (hostname|ip address|certificate has expired|self))",
        ("host-unknown-ca", "host-incomplete-chain", "trust-store-empty"),
        "no trusted root was found for the server's chain: the root is missing from the store this process uses "
        "(a private or interception CA, certifi instead of the OS store, an empty store), or the server sent an "
        "incomplete chain",
        "the server's chain, where its root is on disk, and what this interpreter trusts",
    ),
    pattern(
        "expired",
        r"\bcertificate has expired\b|\bcert has expired\b|\bcertificate expired\b|\bnum=10\b|\berror 10 at\b",
        ("host-expired", "bundle-expired-roots"),
        "a certificate in the chain is past its end date (or an expired root is still used by an old OpenSSL)",
        "the chain's validity dates against this host's clock",
    ),
    pattern(
        "not-yet-valid",
        r"\bcertificate is not yet valid\b|\bcert not yet valid\b|\bnum=9\b|\berror 9 at\b",
        ("host-not-yet-valid",),
        "a certificate's start date is in the future: usually this machine's clock is wrong",
        "the certificate's dates against this host's clock",
    ),
    pattern(
        "hostname",
        r"\bhostname mismatch\b|\bdoesn't match\b|\bdoes not match\b|\bip address mismatch\b|"
        r"\bno alternative certificate subject name matches\b|\berr tls cert altname invalid\b|\bnum=(62|64)\b",
        ("host-hostname-mismatch",),
        "the certificate does not name the host that was asked for; no CA bundle change helps",
        "which names the certificate carries",
    ),
    pattern(
        "client-cert",
        r"\btlsv1 alert unknown ca\b|\balert certificate required\b|\bcertificate required\b|"
        r"\bsslv3 alert bad certificate\b|\balert certificate unknown\b|\btlsv1 alert access denied\b",
        ("host-client-cert-rejected",),
        "the server sent this alert: it rejected our client certificate (or the lack of one); local trust is not "
        "at fault",
        "whether the server requires a client certificate, and present it with --client-cert",
    ),
    pattern(
        "weak-crypto",
        r"\bca md too weak\b|\bee key too small\b|\bdh key too small\b|\bunsafe legacy renegotiation disabled\b",
        ("host-handshake-failure",),
        "the server uses a key, signature or renegotiation that this OpenSSL's security level refuses",
        "the server's TLS configuration (the fix is on the server)",
    ),
    pattern(
        "no-common-protocol",
        r"\balert handshake failure\b|\bno shared cipher\b|\bno protocols available\b|\bunsupported protocol\b|"
        r"\balert protocol version\b|\btlsv1 unrecognized name\b|\binsufficient security\b|\bhandshake failure\b",
        ("host-handshake-failure", "host-client-cert-rejected"),
        "client and server share no protocol version or cipher (or, with TLS 1.2, the server wanted a client "
        "certificate)",
        "the protocols and ciphers the server accepts",
    ),
    pattern(
        "not-tls",
        r"\bwrong version number\b|\brecord layer failure\b|\bpacket length too long\b|\] http request\b|"
        r":http request\b|\bunknown protocol\b|\brecord length mismatch\b",
        ("host-not-tls",),
        "the port does not speak TLS: plain HTTP, a proxy's port, or http:// vs https:// confused",
        "what answers on that port",
    ),
    pattern(
        "bad-write-retry",
        r"\bbad write retry\b",
        (),
        "the application retried an SSL write with a different buffer: a non-blocking socket or one connection "
        "shared between threads or green threads (gevent, eventlet); not a trust problem",
        "how the client code reuses connections across threads",
        host=False,
    ),
    pattern(
        "eof",
        r"\bunexpected eof while reading\b|\beof occurred in violation of protocol\b|\bssl error syscall\b|"
        r"\bconnection has been closed \(eof\)|\bconnection reset by peer\b|\beconnreset\b|\bsocket hang up\b|"
        r"\bserver disconnected\b|\bconnection aborted\b|\bremote end closed connection\b",
        ("host-connection-reset",),
        "the connection was closed during the handshake: a proxy, a firewall or middlebox, or the server itself",
        "whether a proxy sits in the way (HTTPS_PROXY) and what the server logs",
    ),
    pattern(
        "proxy",
        r"\btunnel connection failed\b|\bproxyerror\b|\bproxy authentication required\b|\bconnect tunnel failed\b|"
        r"\bunable to connect to proxy\b",
        ("host-unreachable",),
        "the HTTP proxy refused or broke the CONNECT tunnel",
        "HTTPS_PROXY/NO_PROXY and the proxy's answer",
        ordered=((r" 407\b", r"\bproxy"), (r"\bproxy\b", r" 407\b")),
    ),
    pattern(
        "timeout",
        r"\btimed out\b|\betimedout\b|\bconnecttimeout\b|\bconnecttimeouterror\b|\breadtimeout\b|"
        r"\breadtimeouterror\b",
        ("host-timeout",),
        "nothing answered in time: a firewall dropping packets, a dead proxy, or an overloaded server",
        "whether the host answers at all within a timeout",
    ),
    pattern(
        "unreachable",
        r"\bconnection refused\b|\beconnrefused\b|\bname or service not known\b|\bnodename nor servname\b|"
        r"\bgetaddrinfo\b|\benotfound\b|\bcould not resolve host\b|\btemporary failure in name resolution\b|"
        r"\bno route to host\b|\bnetwork is unreachable\b",
        ("host-unreachable",),
        "the host name does not resolve or nothing accepts the connection: not a TLS problem yet",
        "name resolution and the port",
    ),
)
