"""The fix trial: one candidate fix applied in a fresh interpreter, and the trust it then yields.

Preloads a library, names CA locations, verifies sample roots with the loaded libcrypto (`X509_verify_cert`),
and can make one real handshake; then imports the program's own extension modules, which a library swap may
break.
"""

from __future__ import annotations

import os

from .connect import handshake
from .libraries import bind, library_facts, library_handle
from .openssl_paths import blocking_cafile, blocking_sources, trust_sources
from .ssl_module import context_facts, ssl_facts

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Optional


def trial(request: Dict[str, Any]) -> Dict[str, Any]:
    """Apply one candidate fix in this fresh interpreter and report what trust it yields.

    With `depends` (never with a host), also what the answer follows from, for an answer kept between checks. The
    libraries to preload are loaded first of all, before anything imports ssl (recording does): they are taken by
    their paths, and what they mapped with the rest of the process's mappings.
    """
    outcome: Dict[str, Any] = {"preloaded": [], "error": None}
    if not _preloaded(request.get("preload", []), outcome):
        return outcome
    if not request.get("depends") or request.get("host"):
        return _trial(request, outcome)
    from .depends import Depends

    with Depends() as depends:
        for path in request.get("preload", []):
            depends.take(path)
        _trial(request, outcome)
    outcome["depends"], outcome["mapped"] = depends.listed(), depends.mapped
    return outcome


def _preloaded(paths: List[str], outcome: Dict[str, Any]) -> bool:
    """Load each library globally, as LD_PRELOAD would; False (the error in `outcome`) when one does not load."""
    import ctypes

    for path in paths:
        try:
            ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
            outcome["preloaded"].append(path)
        except OSError as exc:
            outcome["error"] = "cannot preload %s: %s" % (path, exc)
            return False
    return True


def _trial(request: Dict[str, Any], outcome: Dict[str, Any]) -> Dict[str, Any]:
    """The trial once the libraries are preloaded (see `trial`): `outcome` completed and returned."""
    facts = ssl_facts()
    outcome["ssl"] = facts
    if not facts["available"]:
        outcome["error"] = facts["error"]
        return outcome
    import ssl

    cafile, capath = request.get("cafile"), request.get("capath")
    blocked = blocking_cafile(cafile) if cafile else blocking_sources(trust_sources(facts))
    if blocked:
        outcome["error"] = blocked
        return outcome
    try:
        context = ssl.create_default_context(cafile=cafile, capath=capath)
        if request.get("add_cafile"):
            context.load_verify_locations(cafile=request["add_cafile"])  # on top of the defaults
        counted = context_facts(context)
        outcome["loaded"] = None if counted.get("skipped") else counted["x509_ca"]
    except Exception as exc:
        outcome["error"] = "%s: %s" % (type(exc).__name__, exc)
        return outcome
    import base64

    samples = [base64.b64decode(item) for item in request.get("samples", [])]
    outcome["roots"] = _verify_roots(samples, cafile, capath) if samples else None
    target = request.get("host")
    if target and target.get("client_cert"):
        try:  # the client certificate --client-cert names, presented as the check's own handshakes present it
            context.load_cert_chain(target["client_cert"], target.get("client_key"))
        except Exception as exc:
            outcome["error"] = "cannot load the client certificate %s: %s" % (target["client_cert"], exc)
            return outcome
    if target:
        outcome["handshake"] = handshake(
            context, target["host"], target["port"], target["server_name"], float(target["timeout"])
        )
    outcome["libraries"] = library_facts(facts)
    outcome["imports"] = _import_all(request.get("imports", []))
    return outcome


def _verify_roots(samples: List[bytes], cafile: Optional[str], capath: Optional[str]) -> Dict[str, Any]:
    """Check each sample root against the store a default context builds, with the loaded libcrypto."""
    import _ssl
    import ctypes

    module_file = getattr(_ssl, "__file__", None)
    handle = library_handle(module_file) if module_file else ctypes.CDLL(None)
    if handle is None or getattr(handle, "X509_verify_cert", None) is None:
        return {"error": "X509_verify_cert is not reachable from _ssl", "trusted": 0, "tried": 0}
    vp = ctypes.c_void_p
    d2i = bind(handle, "d2i_X509", vp, [vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long])
    store_new = bind(handle, "X509_STORE_new", vp, [])
    default_paths = bind(handle, "X509_STORE_set_default_paths", ctypes.c_int, [vp])
    load_locations = bind(handle, "X509_STORE_load_locations", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_char_p])
    ctx_new = bind(handle, "X509_STORE_CTX_new", vp, [])
    ctx_init = bind(handle, "X509_STORE_CTX_init", ctypes.c_int, [vp, vp, vp, vp])
    verify = bind(handle, "X509_verify_cert", ctypes.c_int, [vp])
    get_error = bind(handle, "X509_STORE_CTX_get_error", ctypes.c_int, [vp])
    ctx_free = bind(handle, "X509_STORE_CTX_free", None, [vp])
    store_free = bind(handle, "X509_STORE_free", None, [vp])
    x509_free = bind(handle, "X509_free", None, [vp])
    store = store_new()
    if cafile or capath:
        encode = os.fsencode
        load_locations(store, encode(cafile) if cafile else None, encode(capath) if capath else None)
    else:
        default_paths(store)
    trusted = 0
    errors: List[int] = []
    for der in samples:
        buffer = ctypes.c_char_p(der)
        certificate = d2i(None, ctypes.byref(buffer), len(der))
        if not certificate:
            errors.append(-1)
            continue
        context = ctx_new()
        ctx_init(context, store, certificate, None)
        if verify(context) == 1:
            trusted += 1
        else:
            errors.append(get_error(context))
        ctx_free(context)
        x509_free(certificate)
    store_free(store)
    return {"error": None, "trusted": trusted, "tried": len(samples), "verify_errors": errors}


def _import_all(names: List[str]) -> Dict[str, Optional[str]]:
    """Import the program's own extension modules after a fix: each one's error, or None when it imports."""
    from importlib import import_module

    errors: Dict[str, Optional[str]] = {}
    for name in names[:20]:
        try:
            import_module(name)
            errors[name] = None
        except Exception as exc:  # the module's own failure is the answer (a library swap it cannot live with)
            errors[name] = "%s: %s" % (type(exc).__name__, exc)
    return errors
