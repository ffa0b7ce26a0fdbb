"""The `ssl` module's facts: whether the standard library's imports, its OpenSSL, and what a default context loads.

`ssl` is imported only once nothing shadows it: a user's own ssl.py is named, never run.
"""

from __future__ import annotations

import os
import sys

from .interpreter import find_spec
from .libraries import same_file
from .openssl_paths import blocking_configuration, blocking_sources, trust_sources

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, Optional


def _shadowing_ssl() -> Optional[str]:
    """Name a file that would be imported as `ssl` instead of the standard library's, without running it."""
    if "ssl" in sys.modules or getattr(sys, "frozen", False):
        return None
    spec = find_spec("ssl")
    origin = getattr(spec, "origin", None)
    stdlib = os.path.dirname(getattr(os, "__file__", "") or "")
    if not origin or not stdlib or not os.path.isfile(origin) or same_file(os.path.dirname(origin), stdlib):
        return None
    return "import ssl would load %s, which shadows the standard library's ssl: rename it" % origin


def ssl_facts() -> Dict[str, Any]:
    """Import ssl and record what OpenSSL it reports and where its default paths point."""
    shadow = _shadowing_ssl()
    if shadow is not None:
        return {"available": False, "error": shadow}
    blocked = blocking_configuration()
    if blocked is not None:  # importing ssl would never return: not tried
        return {"available": False, "error": blocked}
    try:
        import _ssl
        import ssl
    except Exception as exc:  # any import failure is the fact we report
        return {"available": False, "error": "%s: %s" % (type(exc).__name__, exc)}
    for module in (ssl, _ssl):
        if not hasattr(module, "get_default_verify_paths"):
            # A file of the user's (often their own script called ssl.py) shadows the standard library.
            where = getattr(module, "__file__", None) or "a module without a file"
            return {
                "available": False,
                "error": "import %s loads %s, which is not the standard library's module: rename it"
                % (module.__name__, where),
            }
    raw = _ssl.get_default_verify_paths()
    filtered = ssl.get_default_verify_paths()
    return {
        "available": True,
        "error": None,
        "openssl_version": ssl.OPENSSL_VERSION,
        "version_info": list(ssl.OPENSSL_VERSION_INFO),
        "module_file": getattr(_ssl, "__file__", None),
        "default_verify_paths_raw": {"cafile_env": raw[0], "cafile": raw[1], "capath_env": raw[2], "capath": raw[3]},
        "default_verify_paths": {"cafile": filtered.cafile, "capath": filtered.capath},
    }


def default_context_obstacle() -> Optional[str]:
    """Why this process cannot safely make a default context (no usable ssl, a CA file that blocks), or None."""
    facts = ssl_facts()
    if not facts["available"]:
        return "ssl is unavailable: %s" % facts["error"]
    return blocking_sources(trust_sources(facts))


INJECTED = "the default context is truststore's (injected at start): it asks the OS store on demand"


def context_facts(context: Any) -> Dict[str, Any]:
    """Count what a new default context loaded: take it before any handshake, which loads directory roots lazily."""
    try:
        stats = context.cert_store_stats()
    except NotImplementedError:  # truststore.SSLContext, injected by pip-system-certs or the program
        return {"ok": True, "error": None, "skipped": INJECTED, "x509": 0, "x509_ca": 0}
    return {"ok": True, "error": None, "x509": stats.get("x509", 0), "x509_ca": stats.get("x509_ca", 0)}


def default_context_facts(trust: Dict[str, Any]) -> Dict[str, Any]:
    """Create a default context and count what it loaded (directories load lazily, so they count 0).

    `trust`: the sources it reads (`trust_sources`): one that would block (a FIFO) means no context is made.
    """
    import ssl

    skipped = blocking_sources(trust)
    if skipped:
        return {"ok": None, "error": None, "skipped": skipped, "x509": 0, "x509_ca": 0}
    try:
        context = ssl.create_default_context()
    except Exception as exc:
        return {"ok": False, "error": "%s: %s" % (type(exc).__name__, exc), "x509": 0, "x509_ca": 0}
    return context_facts(context)
