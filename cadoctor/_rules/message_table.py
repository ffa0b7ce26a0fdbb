r"""The message families `explain` knows, most specific first, and the contexts that say which side printed one.

Phrases are written as the libraries print them, lowercase, with `_` read as a space (so OpenSSL's reason code
`CERT_HAS_EXPIRED` and its reason string `cert has expired` are one phrase). Each alternative starts with a word
it holds whole (`\b` where the word opens the phrase), which is what lets a text that lacks it skip the family;
`tests/test_safety.py` checks both.
"""

from __future__ import annotations

from cadoctor._rules.message_patterns import Context, Pattern, context, pattern

# Where a message shows its side: the server logging a handshake it accepted, or a client connecting.
CONTEXTS: tuple[Context, ...] = (
    context(
        "server",
        r"\bssl accept\b|\bserver side=true\b|\bsslize\b|\bssl error on\b|\bhandler exception\b|"
        r"\btls handshake error from\b|\bwhile ssl handshaking\b(?! to upstream)|\bin handshake \(server\b|"
        r"\bssl3 get client hello\b|\bssl23 get client hello\b|\bssl3 get client certificate\b|"
        r"\bssl3 get client key exchange\b|\btls process client hello\b|\btls process client certificate\b|"
        r"\btls early post process client hello\b|\btls post process client hello\b|\bstatem srvr\.c\b|"
        r"\bs3 srvr\.c\b|\bs23 srvr\.c\b|\btlsclienterror\b|\bserverhandshaker\b|\bsslserversocket\b|"
        r"\bsslserversocketimpl\b|"
        r"\btls server:|, in accept\b|\bserve forever\b|\bincoming connection\b|\bgunicorn\b|\bcheroot\b|"
        r"\btomcat\.util\.net\b|\beclipse\.jetty\.server\b|\baspnetcore\.server\.kestrel\b|\bminissl\b",
    ),
    context(
        "client",
        r"\bssl connect\b|\bssl3 get server hello\b|\bssl23 get server hello\b|\bssl3 get server certificate\b|"
        r"\btls process server certificate\b|\btls process server hello\b|\btls post process server certificate\b|"
        r"\btls process ske dhe\b|\btls process key exchange\b|\bstatem clnt\.c\b|\bs3 clnt\.c\b|\bs23 clnt\.c\b|"
        r"\bhttpsconnectionpool\b|\burllib3\b|\brequests\.exceptions\b|\burlopen error\b|\bhttpx\b|"
        r"\baiohttp\.client|\bcannot connect to host\b|\bmax retries exceeded\b|\bcurl: \(|"
        r"\bcurl error\b|\bfatal: unable to access\b|\bonconnectsecure\b|\bnpm err!|\bcould not fetch url\b|"
        r"\bnassl\b|\bs client\b|\bin connection to\b|\berror trying to connect\b|\berror sending request\b|"
        r"\bget \"https:|\bpost \"https:|\bclienthandshaker\b|\btls client:|\bto upstream\b|\bupstream ssl\b|"
        r"\bopenssl ssl read:|\bserver hostname=|\bclient error \(connect\)",
    ),
    # A certificate or key being loaded by this program (to serve, or to present as a client certificate).
    context(
        "loading",
        r"\bssl ctx use certificate|\bssl ctx use privatekey|\bload cert chain\b|\bcreatesecurecontext\b|"
        r"/secure-context\b|\bsetcerts\b|\bah02562\b|\bah02565\b|\bfailed to configure certificate\b|"
        r"\bcrt-list\b|\bunable to load chain certificate\b|\bssl ctx add1 chain cert\b|"
        r"\bssl ctx add extra chain cert\b|\buse certificate chain file\b|\bcannot load certificate\b|"
        r"\bsslcertificatefile\b|\bcertfile\b|\bkeyfile\b",
    ),
)


# Alerts a peer sends when it rejects a certificate: which certificate depends on which side received it.
_ALERTS = (
    r"\btlsv1 alert unknown ca\b|\bsslv3 alert bad certificate\b|\bsslv3 alert certificate unknown\b|"
    r"\balert certificate required\b|\btlsv1 alert access denied\b|\bsslv3 alert unsupported certificate\b|"
    r"\breceived fatal alert: (bad certificate|certificate unknown|unknown ca|certificate required|"
    r"access denied|unsupported certificate|badcertificate|unknownca|certificateunknown|"
    r"certificaterequired)\b|\bremote error: tls: (bad certificate|unknown certificate authority|"
    r"unknown certificate|certificate required|access denied)\b|\bssl error bad cert alert\b|"
    r"\bssl error unknown ca alert\b|\bssl error certificate unknown alert\b|"
    r"\breceived (server|client) alert: fatal - (unknown ca|bad certificate|certificate unknown|"
    r"certificate required)\b|\bpeer does not recognize and trust the ca\b"
)

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
        "server-rejects-client-certificate",
        r"\bclient ssl certificate verify error\b|\bclient sent no required ssl certificate\b|"
        r"\bpeer did not return a certificate\b|\bno certificate returned\b",
        ("host-client-cert-rejected",),
        "this message was printed by the server: it rejected the client's certificate (or its lack of one)",
        "which CA the server accepts for client certificates, and the certificate the client presents",
        host=False,
    ),
    pattern(
        "client-cert",
        _ALERTS,
        ("host-client-cert-rejected",),
        "the server sent this alert: it rejected our client certificate (or the lack of one); local trust is not "
        "at fault",
        "whether the server requires a client certificate, and present it with --client-cert",
        when="client",
    ),
    pattern(
        "client-rejected-server-certificate",
        _ALERTS,
        ("host-unknown-ca", "host-incomplete-chain"),
        "this message was printed by the server: the client rejected its certificate, because the client does not "
        "trust the CA that issued it (a private or self-signed CA not installed on the client) or because the "
        "server does not send its intermediate; send the full chain, or make the clients trust the CA",
        "the server's chain as a client sees it (run from a client machine)",
        when="server",
    ),
    pattern(
        "certificate-alert",
        _ALERTS,
        ("host-client-cert-rejected", "host-unknown-ca"),
        "the peer sent this alert: it rejected a certificate. If this program is the client, the server rejected "
        "our client certificate (or the lack of one); if it is the server, the client does not trust the server's "
        "certificate (its CA, or a missing intermediate)",
        "which side printed it; from a client, the server's chain and whether it requires a client certificate",
        when="side-unknown",
    ),
    pattern(
        "weak-local-certificate",
        r"\bca md too weak\b|\bee key too small\b|\bca key too small\b",
        (),
        "this program's own certificate or key (the one it loads to serve, or to present) is below its OpenSSL's "
        "security level: a SHA-1 or MD5 signature (ca md too weak) or a key under 2048 bits (ee key too small). "
        "It is refused when loaded, before any connection: reissue it with SHA-256 and a 2048-bit RSA or EC key",
        "the certificate file the program loads (openssl x509 -noout -text -in FILE)",
        host=False,
        when="loading",
    ),
    pattern(
        "weak-crypto",
        r"\bca md too weak\b|\bee key too small\b|\bca key too small\b|\bdh key too small\b|"
        r"\bunsafe legacy renegotiation disabled\b",
        ("host-handshake-failure",),
        "a key, signature or renegotiation is below what this OpenSSL's security level accepts: the server's "
        "(the fix is on the server), or, when the message comes from loading a certificate, this program's own",
        "the server's TLS configuration (the fix is on the server)",
        unless="loading",
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
