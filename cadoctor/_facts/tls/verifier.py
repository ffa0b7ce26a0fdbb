"""Would this store accept that chain? Asked of the libcrypto already loaded, offline, as a client's handshake would.

One connection serves every client: the chain a server sent is verified here against each client's own store
(certifi, a bundle a library ships, a variable's file) with OpenSSL's own `X509_verify_cert` — the verifier
those clients run — so the answer follows OpenSSL's rules, not a stricter RFC 5280 reading. Never loads a
new copy of OpenSSL (the handle comes from `_ssl`, opened with RTLD_NOLOAD).
"""

from __future__ import annotations

import contextlib
import ctypes
import os

from cadoctor._facts.certs.der import MalformedDER, certificate_parts, name_text, subject_of
from cadoctor._facts.certs.names import with_subject
from cadoctor._facts.certs.openssl_reading import certificate_der, loaded_libcrypto
from cadoctor._facts.certs.pem import noted_certificates
from cadoctor._facts.child import libraries
from cadoctor._model import StoreVerdict
from cadoctor._record import replace


class _Verifier:
    """The libcrypto functions a chain verification needs, bound once."""

    def __init__(self, handle: ctypes.CDLL) -> None:
        vp, bind = ctypes.c_void_p, libraries.bind
        self.d2i = bind(handle, "d2i_X509", vp, [vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long])
        self.x509_free = bind(handle, "X509_free", None, [vp])
        self.store_new = bind(handle, "X509_STORE_new", vp, [])
        self.store_free = bind(handle, "X509_STORE_free", None, [vp])
        self.load = bind(handle, "X509_STORE_load_locations", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_char_p])
        self.add = bind(handle, "X509_STORE_add_cert", ctypes.c_int, [vp, vp])
        self.stack_new = bind(handle, "OPENSSL_sk_new_null", vp, [])
        self.stack_push = bind(handle, "OPENSSL_sk_push", ctypes.c_int, [vp, vp])
        self.stack_free = bind(handle, "OPENSSL_sk_free", None, [vp])
        self.ctx_new = bind(handle, "X509_STORE_CTX_new", vp, [])
        self.ctx_init = bind(handle, "X509_STORE_CTX_init", ctypes.c_int, [vp, vp, vp, vp])
        self.ctx_free = bind(handle, "X509_STORE_CTX_free", None, [vp])
        self.verify = bind(handle, "X509_verify_cert", ctypes.c_int, [vp])
        self.set_flags = bind(handle, "X509_STORE_CTX_set_flags", None, [vp, ctypes.c_ulong])
        self.error = bind(handle, "X509_STORE_CTX_get_error", ctypes.c_int, [vp])
        self.error_text = bind(handle, "X509_verify_cert_error_string", ctypes.c_char_p, [ctypes.c_long])
        self.current = bind(handle, "X509_STORE_CTX_get_current_cert", vp, [vp])
        self.i2d = bind(handle, "i2d_X509", ctypes.c_int, [vp, ctypes.POINTER(vp)])

    def certificate(self, der: bytes) -> int | None:
        """An X509 object from DER (None when it does not parse)."""
        buffer = ctypes.c_char_p(der)
        pointer: int | None = self.d2i(None, ctypes.byref(buffer), len(der))
        return pointer or None

    def check(
        self, chain: list[int], location: str, issuers: set[bytes], supplied: set[bytes], flags: int = 0
    ) -> StoreVerdict:
        """Verify the leaf with the rest as untrusted intermediates against one CA file or hashed folder.

        `flags`: the verification flags of the context that verifies (`X509_V_FLAG_*`, as `ssl.VERIFY_*`).
        """
        store = self.store_new()
        untrusted = self.stack_new()
        context = self.ctx_new()
        try:
            if os.path.isdir(location):  # looked up by subject hash on demand, as OpenSSL does for a CA path
                loaded = self.load(store, None, os.fsencode(location)) == 1
            else:
                loaded = self._add_file(store, location, issuers, supplied)
            if not loaded:
                return StoreVerdict(location, False, "it holds no certificate OpenSSL can load")
            for certificate in chain[1:]:
                self.stack_push(untrusted, certificate)
            self.ctx_init(context, store, chain[0], untrusted)
            if flags:
                self.set_flags(context, flags)
            if self.verify(context) == 1:
                return StoreVerdict(location, True)
            text = self.error_text(self.error(context)) or b"verification failed"
            return StoreVerdict(location, False, text.decode("utf-8", "replace"), rejected=self._rejected(context))
        finally:
            self.ctx_free(context)
            self.stack_free(untrusted)
            self.store_free(store)

    def _rejected(self, context: int) -> str | None:
        """The subject of the certificate verification failed at (OpenSSL's current certificate), or None."""
        current = self.current(context)
        der = certificate_der(self.i2d, current) if current else None
        if der is None:
            return None
        try:
            return name_text(certificate_parts(der).subject)
        except (MalformedDER, ValueError):
            return None

    def _add_file(self, store: int, path: str, issuers: set[bytes], supplied: set[bytes]) -> bool:
        """Add the certificates OpenSSL loads from a CA file that a path from the chain can reach, found by name.

        OpenSSL 3's d2i_X509 costs about 0.3 ms a certificate: decoding all 144 of a system bundle would cost more
        than the handshake. Names are compared raw (the reader in `der` takes microseconds), then canonical
        (`names`), following issuers through the file: only what path building could use is decoded. A name the
        chain's own certificates carry (an intermediate the server sent) is looked up raw only: a stored copy of
        it has the same bytes, and canonicalising subjects of the file for it would cost more than the rest.
        What the file gives is what OpenSSL loads from it (`pem_certificates`): a file with one damaged block
        gives nothing, as it gives a client nothing. A file an earlier check kept as holding none of the names is not
        read (`kept_subjects`): nothing in it could be added.
        """
        from cadoctor._facts.certs import kept_subjects

        loads = kept_subjects.lacks(path, False, issuers)
        if loads is not None:
            return loads
        ders = noted_certificates(path, issuers)[0]
        wanted, chosen, seen = list(issuers), [], set()
        while wanted:
            name = wanted.pop()
            for der in with_subject(ders, name, exact=name in supplied):
                if der not in seen:
                    seen.add(der)
                    chosen.append(der)
                    with contextlib.suppress(MalformedDER):
                        wanted.append(certificate_parts(der).issuer)
        added = 0
        for der in chosen:
            certificate = self.certificate(der)
            if certificate is not None:
                added += self.add(store, certificate) == 1
                self.x509_free(certificate)
        # a file of certificates none of which the chain reaches still loads: one that parses is enough to know
        return added > 0 or any(subject_of(der) is not None for der in ders)


X509_STRICT, PARTIAL_CHAIN = 0x20, 0x80000  # X509_V_FLAG_X509_STRICT, X509_V_FLAG_PARTIAL_CHAIN (ssl.VERIFY_*)


def default_flags(strict: bool) -> int:
    """The verification flags of a default context: Python 3.13 and later set X509_STRICT and PARTIAL_CHAIN."""
    return X509_STRICT | PARTIAL_CHAIN if strict else 0


def verdicts(
    chain: tuple[bytes, ...], locations: list[str], strict: bool = False, *, anchors: bool = False
) -> tuple[StoreVerdict, ...] | str:
    """The chain (leaf first) checked against each CA file or folder, or why it could not be checked at all.

    `strict` for a Python 3.13 or later, whose default context verifies with X509_STRICT and PARTIAL_CHAIN.
    With `anchors`, each verdict also says whether the chain verifies without any flag (`plain`: as a client that
    builds its own context verifies it, on every Python) and whether the store anchors the chain only at a
    certificate that is not a root (`partial_chain`: it verifies with PARTIAL_CHAIN and not without). The flags
    a client's context carries decide which of the answers is its own (`_rules.verify_flags`).
    """
    if not chain:
        return "the server's chain was not received"
    handle = loaded_libcrypto()
    if handle is None or getattr(handle, "X509_verify_cert", None) is None:
        return "X509_verify_cert is not reachable in the loaded libcrypto (OpenSSL 1.1 or later is needed)"
    verifier = _Verifier(handle)
    certificates = [verifier.certificate(der) for der in chain]
    try:
        if any(c is None for c in certificates):
            return "a certificate of the server's chain does not parse"
        loaded = [c for c in certificates if c is not None]
        issuers: set[bytes] = set()
        supplied: set[bytes] = set()
        for der in chain:  # what a server sends is untrusted: a part that does not parse names no issuer
            with contextlib.suppress(MalformedDER):
                parts = certificate_parts(der)
                issuers.add(parts.issuer)
                supplied.add(parts.subject)
        flags = default_flags(strict)
        found = []
        for path in dict.fromkeys(locations):
            verdict = verifier.check(loaded, path, issuers, supplied, flags)
            if anchors:  # without any flag, then with PARTIAL_CHAIN alone (X509_STRICT is not the question here)
                plain = verdict.ok if not flags else verifier.check(loaded, path, issuers, supplied, 0).ok
                partial = not plain and verifier.check(loaded, path, issuers, supplied, PARTIAL_CHAIN).ok
                verdict = replace(verdict, partial_chain=partial, plain=plain)
            found.append(verdict)
        return tuple(found)
    finally:
        for certificate in certificates:
            if certificate is not None:
                verifier.x509_free(certificate)
