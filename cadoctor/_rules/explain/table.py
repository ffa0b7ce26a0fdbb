r"""The message families `explain` knows, most specific first, and the contexts that say which side printed one.

Phrases are written as the libraries print them (from their sources: OpenSSL's reason strings, Go's
crypto/x509 errors, rustls' CertificateError, Java's PKIX exceptions, libpq, schannel, GnuTLS, NSS, mbed TLS),
lowercase, with `_` read as a space. Each alternative starts with a word it holds whole (`\b` where the word
opens the phrase), which is what lets a text that lacks it skip the family; `tests/test_safety.py` checks both.
Two families are built from tables `check --host` reads too: the interception products and the alerts about a
certificate.
"""

from __future__ import annotations

from cadoctor._rules import interception
from cadoctor._rules.certificate_alerts import CERTIFICATE_ALERTS
from cadoctor._rules.explain.phrases import Context, Pattern, context, pattern, whole_words

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
        r"\bsslserversocketimpl\b|\btls server:|, in accept\b|\bserve forever\b|\bincoming connection\b|"
        r"\bgunicorn\b|\bcheroot\b|"
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
    # A CA file being handed to the TLS library (where an OS error means that file).
    context(
        "cafile",
        r"\bload verify locations\b|\bssl wrap socket\b|\bca certs\b|\bcafile\b|\bcapath\b|\bcert reqs\b|"
        r"\bverify=|\bca bundle\b|\bca-bundle\b|\bcacert\b|\bcertifi\b|\bcreate default context\b|"
        r"\bsslcontext\b|\bssl context\b|\bsslerror\b|\bssl \.py\b|\bssl\.py\b|\.pem\b|\.crt\b|"
        r"\brequests ca bundle\b|\bssl cert file\b|\bsslrootcert\b",
    ),
    context(
        "framework",
        r"/library/frameworks/python\.framework|\binstall certificates\.command\b|/applications/python 3\.",
    ),
)


_UNTRUSTED = (
    r"\bunable to get local issuer\b|\bunable to get issuer cert locally\b|"
    r"\bself-signed certificate in (the )?certificate chain\b|\bself signed certificate in (the )?certificate "
    r"chain\b|\bself signed cert in chain\b|\bsigned by unknown authority\b|\bunknownissuer\b|"
    r"\bpkix path building failed\b|"
    r"\bunable to find valid certification path\b|\bsec e untrusted root\b|\bcertificate verify failed\b(?![:\]])"
)


# Alerts a peer sends when it rejects a certificate: which certificate depends on which side received it.
_ALERTS = whole_words(phrase for alert in CERTIFICATE_ALERTS for phrase in alert.printed)


# Most specific first: the first rows that match decide the order of the causes shown.
PATTERNS: tuple[Pattern, ...] = (
    pattern(
        "interception-product",
        whole_words(interception.NAMES),
        ("host-intercepted", "host-unknown-ca"),
        "the message names a TLS-intercepting proxy or security product: it re-signs every connection with its own "
        "root, which the OS store may hold but this client's own store (certifi, a bundled or container store) lacks",
        "the chain's root, and which stores hold it: the OS store versus the one this client reads",
    ),
    pattern(
        "macos-framework",
        r"\bunable to get local issuer\b|\bcertificate verify failed\b(?![:\]])",
        ("runtime-known-issue", "trust-store-empty"),
        "python.org's macOS Python trusts only its own <framework>/etc/openssl/cert.pem, which exists once "
        '"Install Certificates.command" (in /Applications/Python 3.x) has been run; until then it trusts nothing',
        "this interpreter's trust store (the framework's cert.pem)",
        host=False,
        when="framework",
    ),
    pattern(
        "revocation-unchecked",
        r"\bcrypt e no revocation check\b|\b0x80092012\b|\bcrypt e revocation offline\b|\b0x80092013\b|"
        r"\brevocation function was unable to check revocation\b|\brevocation server was offline\b|"
        r"\brevocationstatusunknown\b|\bofflinerevocation\b",
        ("host-intercepted", "host-unreachable"),
        "Windows (schannel, .NET) could not check the certificate's revocation: its CRL or OCSP servers are out of "
        "reach, most often because a TLS-intercepting proxy re-signs the connection with a corporate CA that "
        "publishes none, or a firewall blocks them",
        "the chain's root (an interception CA?) and whether its CRL and OCSP addresses answer from here",
    ),
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
        r"\bcan't connect to https url because the ssl module is not available\b|"
        r"\bpython ssl extension was not compiled\b|\bdll load failed while importing  ssl\b|"
        r"\bssl support is not compiled in\b",
        ("ssl-unavailable",),
        "this program has no usable TLS library: Python built without OpenSSL (or its libssl fails to load), "
        "or a libpq built without SSL support",
        "which libssl the interpreter needs and whether LD_LIBRARY_PATH points elsewhere",
        host=False,
        ordered=(
            (r"\blibssl\.so|\blibcrypto\.so", r"\bcannot open shared object file\b"),
            (r"\blibrary not loaded\b", r"\blibssl\b|\blibcrypto\b"),
        ),
    ),
    pattern(
        "empty-store",
        r"\bfailed to load system roots and no roots provided\b|\btrustanchors parameter must be non-empty\b|"
        r"\bno ca chain is set\b|\bsystem root pool is not available\b",
        ("trust-store-empty",),
        "the TLS library found no CA certificate at all: an image without ca-certificates (scratch, distroless, "
        "slim), an empty or missing Java cacerts, or no CA chain configured",
        "what this process trusts, and whether the image has a CA bundle",
        host=False,
    ),
    pattern(
        "extra-cert-duplicate",
        r"\bcert already in hash table\b",
        (),
        "the extra CA file holds a certificate the store already has: harmless, verification still works",
        "nothing to fix; the other certificates of the file are still added",
        host=False,
    ),
    pattern(
        "no-ca-bundle",
        r"\bcould not find a suitable tls ca certificate bundle\b|\berror setting certificate (verify )?"
        r"(locations|file)\b|\bignoring extra certs from\b|\bx509 lookup\b|\bproblem with the ssl ca cert\b|"
        r"\bfailed loading cafile stream\b|\bunable to set verify locations\b",
        ("env-path-invalid", "trust-store-empty"),
        "a CA bundle path (REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO, NODE_EXTRA_CA_CERTS, SSL_CERT_FILE, "
        "curl.cainfo, a verify= argument) names a file that is missing, empty or unreadable, or certifi's file "
        "was stripped",
        "every CA variable and the files they name",
        host=False,
        ordered=(
            (r"\bcafile:|\bca file:", r"\bcapath\b|\bca path\b"),
            (r"\bcafile\b", r"\bno such file\b|\bdoes not exist\b"),
        ),
    ),
    pattern(
        "no-ca-source",
        r"\bcafile, capath and cadata cannot be all omitted\b",
        ("trust-store-empty", "default-cafile-missing", "env-path-invalid"),
        "a library called load_verify_locations() with no CA file, directory or data: it found no bundle to hand "
        "Python's ssl (its own cacert.pem removed by a distribution's package, OpenSSL's default CA file absent "
        "where only a directory exists, an unset variable read as None), so the context would trust nothing",
        "what this interpreter trusts, its default CA file, and the CA variables the library reads",
        host=False,
    ),
    pattern(
        "ca-file-unusable",
        r"\bx509 load cert crl file\b|\bx509 load cert file\b|\bssl ctx load verify locations\b|"
        r"\[x509\] pem lib\b|\[x509: no certificate or crl found\]|\bno certificate or crl found\b|"
        r"\bsslerror: \[errno (2|13|20|21)\]|\bsslerror\(\[errno (2|13|20|21)\]|"
        r"\bcould not read root certificate file\b|: system lib\b|:system lib\b|\bsystem library:fopen\b|"
        r"\bsystem library::no such file\b",
        ("env-path-invalid", "bundle-unparseable"),
        "a file handed to the TLS library (a CA bundle from verify=, cafile, REQUESTS_CA_BUNDLE or SSL_CERT_FILE, "
        "or a certificate or key) is missing, is a directory, cannot be read, or holds no PEM certificate",
        "every CA variable and verify= path, and the files they name",
        host=False,
    ),
    pattern(
        "ca-file-oserror",
        r"\bfilenotfounderror\b|\bisadirectoryerror\b|\bnotadirectoryerror\b|\bpermissionerror\b|"
        r"\[errno (2|13|20|21)\]|\benoent\b|\beisdir\b|\bno such file or directory\b|\bis a directory\b",
        ("env-path-invalid",),
        "the CA file (or directory) this program hands to the TLS library does not exist, is a directory where a "
        "file is expected (or the reverse), or cannot be read",
        "every CA variable and verify= path, and the files they name",
        host=False,
        when="cafile",
    ),
    pattern(
        "libpq-root-certificate",
        r"\bcould not get home directory to locate root certificate file\b",
        ("trust-store-empty", "env-path-invalid"),
        "libpq (psql, psycopg) verifies with sslmode=verify-ca/verify-full against sslrootcert only (default "
        "~/.postgresql/root.crt), never the system store, and that file is missing: point sslrootcert or "
        "PGSSLROOTCERT at the server's CA file, or use sslrootcert=system (PostgreSQL 16+) for a public CA",
        "the libpq stack's trust and PGSSLROOTCERT",
        host=False,
        ordered=((r"\broot certificate file\b", r"\bdoes not exist\b"),),
    ),
    pattern(
        "incomplete-chain",
        r"\bunable to verify the first certificate\b|\bunable to verify leaf signature\b|\bnum=21\b|"
        r"\berror 21 at\b|\bverify (error|code)[:= ]{1,4}21\b",
        ("host-incomplete-chain", "host-unknown-ca"),
        "the server's certificate came alone and no trusted issuer was found for it: either the server did not send "
        "an intermediate certificate its chain needs (browsers fetch it, OpenSSL and node do not), or the certificate "
        "is signed directly by a root this client does not trust (a private CA such as mkcert's or a cluster's, "
        "with no intermediate); OpenSSL and node print the same words for both",
        "the chain the server sends: a certificate that names where its issuer is published (AIA) lacks the "
        "intermediate the server must send; one issued by a root no store here holds needs that root added "
        "(NODE_EXTRA_CA_CERTS for node)",
    ),
    pattern(
        "self-signed-in-chain",
        r"\bself-signed certificate in (the )?certificate chain\b|\bself signed certificate in (the )?certificate "
        r"chain\b|\bself signed cert in chain\b|\bnum=19\b|"
        r"\berror 19 at\b",
        ("host-intercepted", "host-unknown-ca"),  # 10 of the corpus' 11 threads without a clue: interception
        "the chain ends at a self-signed root this client does not trust: most often a TLS-intercepting proxy's "
        "(a public server's chain does not end at an unknown self-signed root), else a private CA's",
        "the chain's root and which bundles on disk (OS store, certifi) hold it",
    ),
    pattern(
        "self-signed-leaf",
        r"\bdepth zero self signed cert\b|\bself-signed certificate\b(?! in)|\bself signed certificate\b(?! in)|"
        r"\bnum=18\b|\bcausedasendentity\b|\bpkix error self signed cert\b|\bselfsigned peer\b",
        ("host-unknown-ca",),
        "the server presents a self-signed certificate that this client does not trust",
        "the certificate the server presents and whether any bundle here holds it",
    ),
    pattern(
        "local-issuer",
        r"\bunable to get local issuer\b|\bunable to get issuer cert locally\b|"
        r"\bunable to get issuer cert(ificate)?\b|\bnum=(20|2)\b|\berror (20|2) at\b|"
        r"\bcertificate issuer is unknown\b|\bissuer is not recognized\b|\bsec error unknown issuer\b|"
        r"\bsec error untrusted issuer\b|\berr cert authority invalid\b|"
        r"\bunable to locally verify the issuer's authority\b|\bsec e untrusted root\b|\b0x80090325\b|"
        r"\bissued by an authority that is not trusted\b|\bcert e untrustedroot\b|\b0x800b0109\b|"
        r"\bterminated in a root certificate which is not trusted\b|\buntrustedroot\b|\bpartialchain\b|"
        r"\binvalid certificate chain\b|\bthe certificate was not trusted\b|\bbad cert,unknown ca\b|"
        r"\bgenerated client alert: fatal - unknown ca\b|\bnet error -202\b|\bfatal error: unknown ca\b|"
        r"\btls alert, 'unknown ca'",
        # The corpus' threads without a clue: interception 8 of 19, then an incomplete chain and an empty store.
        ("host-intercepted", "host-unknown-ca", "host-incomplete-chain", "trust-store-empty"),
        "no trusted root was found for the server's chain: the root is missing from the store this process uses "
        "(most often a TLS-intercepting proxy's, else a private CA, certifi instead of the OS store, an empty "
        "store), or the server sent an incomplete chain",
        "the server's chain, where its root is on disk, and what this interpreter trusts",
    ),
    pattern(
        "go-unknown-authority",
        r"\bsigned by unknown authority\b",
        ("trust-store-empty", "host-unknown-ca", "host-intercepted", "override-replaces-defaults"),  # 7 of 10
        "Go trusts the OS bundle (/etc/ssl/certs/ca-certificates.crt and the like, or SSL_CERT_FILE/SSL_CERT_DIR) "
        "and it holds no root for this chain: most often an image without ca-certificates (scratch, busybox, an "
        "alpine or debian base without the package), else a bundle replaced by a private root alone, a private or "
        "interception CA not added to it, or a server that does not send its intermediate (Go does not fetch it)",
        "the server's chain and the bundle this program's image provides",
    ),
    pattern(
        "rustls-unknown-issuer",
        r"\bunknownissuer\b|\binvalid peer certificate: unknown issuer\b|\bbadsignature\b",
        ("client-lacks-local-roots", "host-intercepted", "host-unknown-ca"),  # 3 of 4 without a clue
        "rustls-based programs (uv, deno, cargo tools, reqwest with rustls) trust their own bundled roots "
        "(webpki-roots) unless told to use the OS store: the server's root, a private or interception CA (or one "
        "regenerated under the same name), is not among them; enable the system store (uv --native-tls, "
        "DENO_TLS_CA_STORE=system) or hand them the CA file",
        "the server's chain and whether the OS store holds its root",
    ),
    pattern(
        "java-pkix",
        r"\bpkix path building failed\b|\bunable to find valid certification path\b|"
        r"\bsuncertpathbuilderexception\b|\btrust anchor for certification path not found\b",
        ("host-unknown-ca", "client-lacks-local-roots", "host-intercepted", "host-incomplete-chain"),
        "Java trusts its own keystore (the JDK's lib/security/cacerts, or -Djavax.net.ssl.trustStore), not the OS "
        "store: the server's root (a private or interception CA) is not in it, the JDK is too old for the root, or "
        "the server sends an incomplete chain",
        "the server's chain, and whether the JDK's cacerts holds its root (keytool -list -cacerts)",
    ),
    pattern(
        "go-not-yet-valid",
        r"\bexpired or is not yet valid: current time [^ \n]{1,40} is before\b",
        ("host-not-yet-valid",),
        "the certificate's start date is after this machine's clock: usually the clock is wrong",
        "the certificate's dates against this host's clock",
    ),
    pattern(
        "go-expired",
        r"\bexpired or is not yet valid: current time [^ \n]{1,40} is after\b",
        ("host-expired", "bundle-expired-roots"),
        "a certificate in the chain is past its end date (or this machine's clock is ahead)",
        "the chain's validity dates against this host's clock",
    ),
    pattern(
        "outside-validity",
        r"\bexpired or is not yet valid\b(?!: current time)|\berr cert date invalid\b|\bnottimevalid\b|"
        r"\bchain validation failed\b|\bnet error -201\b",
        ("host-expired", "host-not-yet-valid"),
        "a certificate is outside its validity period: expired, or not yet valid because this machine's clock is "
        "wrong (a device that has not synchronised its time)",
        "the chain's validity dates against this host's clock",
        ordered=((r"\bcurrent time: ", r"\bvalidation time: "),),
    ),
    pattern(
        "not-yet-valid",
        r"\bcertificate is not yet valid\b|\bcert not yet valid\b|\bnum=9\b|\berror 9 at\b|\bnotvalidyet\b|"
        r"\bcertnotvalidyet\b|\bcertificate not valid yet\b|\bcertificatenotyetvalidexception\b|"
        r"\bcertificate not yet valid\b|\bis not yet activated\b|\bhas not yet been activated\b|"
        r"\bchain uses not yet valid certificate\b|\bvalidity starts in the future\b",
        ("host-not-yet-valid",),
        "a certificate's start date is in the future: usually this machine's clock is wrong",
        "the certificate's dates against this host's clock",
    ),
    pattern(
        "expired",
        r"\bcertificate has expired\b(?! or is not yet valid)|\bcert has expired\b|\bcertificate expired\b|"
        r"\bnum=10\b|\berror 10 at\b|\bcertexpired\b|\bcertificate: expired\b|\binvalidcertificate\(expired\)|"
        r"\bchain uses expired certificate\b|\bvalidity has expired\b|\bvalidity check failed\b|"
        r"\bcertificateexpiredexception\b|\bsec error expired certificate\b|\bsec error expired issuer certificate\b|"
        r"\bsec e cert expired\b|\b0x80090328\b|\bcert e expired\b|\b0x800b0101\b|"
        r"\bbad cert,cert expired\b",
        ("host-expired", "bundle-expired-roots"),
        "a certificate in the chain is past its end date (or an expired root is still used by an old OpenSSL)",
        "the chain's validity dates against this host's clock",
        ordered=((r"\bcertificate of\b", r"\bhas expired\b"),),
    ),
    pattern(
        "hostname",
        r"\bhostname mismatch\b|\bdoesn't match\b|\bdoes not match\b|\bip address mismatch\b|"
        r"\bno alternative certificate subject name matches\b|\berr tls cert altname invalid\b|\bnum=(62|64)\b|"
        r"\bcertificate is valid for\b|\bdoesn't contain any ip sans\b|\bcertificate is not valid for any names\b|"
        r"\brelies on legacy common name field\b|\bnotvalidforname\b|\bcertnotvalidforname\b|"
        r"\bcertificate not valid for name\b|\bno subject alternative names present\b|"
        r"\bno subject alternative names matching\b|\bno subject alternative dns name matching\b|"
        r"\bno name matching\b|\bsslpeerunverifiedexception: hostname\b|\bremotecertificatenamemismatch\b|"
        r"\bsec e wrong principal\b|\b0x80090322\b|\btarget principal name is incorrect\b|\bcert e cn no match\b|"
        r"\bssl error bad cert domain\b|\berr cert common name invalid\b|\bhostname check failed\b|"
        r"\bdid not match expected\b|\bhostname verification failed\b|\bnet error -200\b",
        ("host-hostname-mismatch",),
        "the certificate does not name the host that was asked for; no CA bundle change helps",
        "which names the certificate carries",
    ),
    pattern(
        "mbedtls-verify",
        r"\bx509 - certificate verification failed\b|\b0x2700\b|\bmbedtls err x509 cert verify failed\b",
        ("host-unknown-ca", "host-not-yet-valid", "host-expired", "trust-store-empty"),
        "mbed TLS could not verify the server's certificate and does not say why: on devices most often a clock "
        "never set (the certificate looks not yet valid or expired), else no CA chain loaded or an untrusted root",
        "the device's clock, the CA it loads, and the server's chain",
    ),
    pattern(
        "gnutls-verify",
        r"\bserver certificate verification failed\b|(?<!x509 - )\bcertificate verification failed\b|"
        r"\berror in the certificate verification\b|\bcertificate is not trusted\b",
        ("host-unknown-ca", "host-incomplete-chain", "trust-store-empty", "bundle-expired-roots"),
        "the chain was not verified and this message does not say why (GnuTLS, as in git and apt on Debian and "
        "Ubuntu): a root missing from the bundle named after CAfile (none: no bundle at all), an incomplete chain, "
        "or an expired root still in an old ca-certificates (DST Root CA X3 in 2021)",
        "the server's chain, the bundle the client reads, and its expired roots",
    ),
    pattern(
        "boringssl-verify",
        r"\bopenssl internal:certificate verify failed\b(?!:)",
        ("host-unknown-ca", "client-lacks-local-roots", "bundle-expired-roots", "host-incomplete-chain"),
        "BoringSSL (gRPC core, grpcio, Android, Chromium-based apps) did not verify the chain: gRPC trusts its own "
        "roots.pem, not the OS store (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH names another bundle), so a private or "
        "interception CA is missing from it, its roots.pem is outdated, or the server sends an incomplete chain",
        "the server's chain and the roots the gRPC stack reads",
    ),
    pattern(
        "peer-unverified",
        r"\bpeer certificate cannot be authenticated with (given|known) ca certificates\b|"
        r"\bssl peer certificate or ssh remote key was not ok\b",
        ("host-unknown-ca", "trust-store-empty", "host-incomplete-chain", "host-intercepted"),
        "libcurl's code 60 (CURLE_PEER_FAILED_VERIFICATION; CURLE_SSL_CACERT in libcurl before 7.62, also behind "
        ".NET Core 1.x-2.0's HttpClient on Linux): the chain did not verify against the CA bundle libcurl was "
        "given. No bundle at all (a libcurl on Windows or in an image without one), a bundle lacking the root (a "
        "private or interception CA, a file pinned to one server's old chain), or an incomplete chain",
        "the server's chain, and the CA bundle this libcurl reads (CURLOPT_CAINFO, curl.cainfo, CURL_CA_BUNDLE)",
    ),
    pattern(
        "verify-failed",
        r"(?<!internal:)\bcertificate verify failed\b(?!\]|: (hostname|ip address|certificate has expired|"
        r"certificate is not yet|"
        r"self|basic constraints|missing|unable to get local))|\bapplication verification failure\b|"
        r"\bmost likely a certificate verification issue\b|\bremotecertificatechainerrors\b|"
        r"\bremote certificate is invalid according to the validation procedure\b|"
        r"\bcertificate for this server is invalid\b",
        ("host-unknown-ca", "host-incomplete-chain", "trust-store-empty"),
        "the server's chain was not verified and the message does not say why: most often its root is missing "
        "from the store this process uses (a private or interception CA, an empty store), or the chain is "
        "incomplete",
        "the server's chain, where its root is on disk, and what this interpreter trusts",
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
        "local-certificate-file",
        r"\[ssl\] pem lib\b|\bkey values mismatch\b|\bfailed to find any pem data in\b",
        (),
        "the certificate or key this program loads (cert=, certfile, load_cert_chain) is not PEM or does not "
        "match its key: not a trust problem",
        "the certificate and key files the program loads",
        host=False,
    ),
    pattern(
        "weak-crypto",
        r"\bca md too weak\b|\bee key too small\b|\bca key too small\b|\bdh key too small\b|"
        r"\bunsafe legacy renegotiation disabled\b|\bwrong signature type\b|"
        r"\blegacy sigalg disallowed or unsupported\b|\btls process key exchange:internal error\b|"
        r"\bca signature digest algorithm too weak\b|\bee certificate key too weak\b|"
        r"\bca certificate key too weak\b|\bchain uses insecure algorithm\b",
        ("host-handshake-failure",),
        "a key, signature or renegotiation is below what this OpenSSL's security level accepts: the server's "
        "(the fix is on the server), or, when the message comes from loading a certificate, this program's own",
        "the server's TLS configuration (the fix is on the server)",
        unless="loading",
    ),
    pattern(
        "alert-internal-error",
        r"\btlsv1 alert internal error\b|\bremote error: tls: internal error\b|"
        r"\breceived fatal alert: internal error\b|\bfatal alert: internalerror\b",
        ("host-handshake-failure",),
        "the server answered the handshake with internal_error (alert 80): it failed on its side, often because "
        "the client sent no server name (an old OpenSSL, a connection by IP address) to a server that needs one",
        "the handshake with the server name sent, and the server's logs",
    ),
    pattern(
        "no-common-protocol",
        r"\balert handshake failure\b|\bno shared cipher\b|\bno protocols available\b|\bunsupported protocol\b|"
        r"\balert protocol version\b|\btlsv1 unrecognized name\b|\binsufficient security\b|"
        r"\bhandshake failure\b|\bno ciphers available\b|\bno cipher match\b|\bno cipher suites in common\b|"
        r"\bno cipher suite supported by both\b|\bssl error no cypher overlap\b|\berr ssl version or cipher mismatch\b|"
        r"\bversion too low\b|\btls: protocol version not supported\b|\balert illegal parameter\b|"
        r"\bno appropriate protocol\b|\bsec e algorithm mismatch\b|\b0x80090331\b|"
        r"\bdo not possess a common algorithm\b|\bsec e illegal message\b|\b0x80090326\b|"
        r"\bcould not negotiate a supported cipher suite\b|\bno supported cipher suites have been found\b|"
        r"\ba tls fatal alert has been received\b|\bgnutls handshake\(\) failed: handshake failed\b|"
        r"\bselected protocol version tls\w{1,4} is not accepted\b|\bssl error handshake failure alert\b|"
        r"\bssl error protocol version alert\b|\bnet error -(107|113)\b|"
        r"\berr ssl protocol error\b|\bwrong ssl version\b|\bno suitable signature algorithm\b|\balert decode error\b",
        ("host-handshake-failure", "host-client-cert-rejected"),
        "client and server share no protocol version or cipher (or, with TLS 1.2, the server wanted a client "
        "certificate)",
        "the protocols and ciphers the server accepts",
    ),
    pattern(
        "not-tls",
        r"\bwrong version number\b|\brecord layer failure\b|\bpacket length too long\b|"
        r"\] http request\b|:http request\b|\bunknown protocol\b|\brecord length mismatch\b|"
        r"\bfirst record does not look like a tls handshake\b|\bserver gave http response to https client\b|"
        r"\boversized record received\b|\bunsupported or unrecognized ssl message\b|"
        r"\bunrecognized ssl message\b|\bssl error rx record too long\b|\ban unexpected tls packet was received\b|"
        r"\bplain http request was sent to https port\b|\bserver does not support ssl, but ssl was required\b",
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
        "shared-connection",
        r"\bdecryption failed or bad record mac\b|\bbad record mac\b",
        (),
        "the encrypted stream was corrupted: most often one connection used from several processes or threads "
        "(a pool inherited across fork: psycopg or SQLAlchemy under multiprocessing, gunicorn --preload); not a "
        "trust problem",
        "whether connections are opened before a fork and shared",
        host=False,
    ),
    pattern(
        "eof",
        r"\bunexpected eof while reading\b|\beof occurred in violation of protocol\b|\bssl error syscall\b|"
        r"\bconnection has been closed \(eof\)|\bconnection reset\b|\beconnreset\b|\bsocket hang up\b|"
        r"\bserver disconnected\b|\bconnection aborted\b|\bremote end closed connection\b|\bwinerror 10054\b|"
        r"\b10054\b|\bforcibly closed by the remote host\b|\berrno=(54|104|10054)\b|\berrno (54|104|10054)\b|"
        r"\bconnection was reset\b|\bconnectionreseterror\b|\bwsaeconnreset\b|\bestablished connection was aborted\b|"
        r"\bremote host terminated the handshake\b|\bremote host closed connection during handshake\b|"
        r"\bclient network socket disconnected before secure tls connection was established\b|"
        r"\btls handshake eof\b|\bssl syscall error\b|\beof detected\b|\bssl connection has been closed unexpectedly\b|"
        r"\bserver closed the connection unexpectedly\b|\btls connection was non-properly terminated\b|"
        r"\berror in the pull function\b|\berror in the push function\b|"
        r"\bremote party has closed the transport stream\b|\bunexpected eof or 0 bytes from the transport stream\b|"
        r"\bfailed to receive handshake\b|\bpeer closed connection without sending tls close notify\b|"
        r"\": eof\b|\berr connection reset\b|\bnet error -(100|101)\b|\bserver aborted ssl handshake\b",
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
        r"\breadtimeouterror\b|\btls handshake timeout\b",
        ("host-timeout",),
        "nothing answered in time: a firewall dropping packets, a dead proxy, or an overloaded server",
        "whether the host answers at all within a timeout",
    ),
    pattern(
        "unreachable",
        r"\bconnection refused\b|\beconnrefused\b|\bname or service not known\b|\bnodename nor servname\b|"
        r"\bgetaddrinfo\b|\benotfound\b|\bcould not resolve host\b|\btemporary failure in name resolution\b|"
        r"\bno route to host\b|\bnetwork is unreachable\b|\bno such host\b|\bfailed to establish a new connection\b",
        ("host-unreachable",),
        "the host name does not resolve or nothing accepts the connection: not a TLS problem yet",
        "name resolution and the port",
    ),
)
