"""The CA file and directories a default context reads, resolved as OpenSSL resolves them.

Small and stdlib-only on purpose: the self-check's healthy path imports it beside `ssl` at every cold start.
"""

from __future__ import annotations

import os
import stat

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Dict, List, Mapping, Optional


def trust_sources(ssl_facts: Dict[str, Any], environ: Optional[Mapping[str, str]] = None) -> Dict[str, Any]:
    """Resolve the CA file and directories a default context reads, the way OpenSSL does (in `environ`)."""
    env = os.environ if environ is None else environ
    raw = ssl_facts["default_verify_paths_raw"]
    file_env = raw["cafile_env"]
    dir_env = raw["capath_env"]
    if str(ssl_facts.get("openssl_version")).startswith("LibreSSL"):
        # LibreSSL names the variables but never reads them: only the compiled defaults apply.
        return {
            "cafile": {"path": raw["cafile"], "source": "compiled"},
            "capaths": [{"path": raw["capath"], "source": "compiled"}],
        }
    if env.get(file_env) is not None:
        cafile = {"path": env[file_env], "source": "env:" + file_env}
    else:
        cafile = {"path": raw["cafile"], "source": "compiled"}
    capaths: List[Dict[str, str]] = []
    if env.get(dir_env) is not None:
        # OpenSSL searches every entry of the list, even where Python's filtered view shows None.
        for entry in env[dir_env].split(os.pathsep):
            if entry:
                capaths.append({"path": entry, "source": "env:" + dir_env})
    else:
        capaths.append({"path": raw["capath"], "source": "compiled"})
    return {"cafile": cafile, "capaths": capaths}


def blocking_cafile(path: Optional[str]) -> Optional[str]:
    """Say why OpenSSL must not read this CA file (a FIFO or a device would block or never end), or None."""
    if not path:
        return None
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return None
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    return "%s is not a regular file: OpenSSL could block reading it" % path


def blocking_sources(trust: Dict[str, Any]) -> Optional[str]:
    """Say why a default context must not be made (its CA file, or an SSL_CERT_DIR entry, would block), or None.

    OpenSSL 3 also opens each SSL_CERT_DIR entry as a store URI: a FIFO there blocks the context as one in
    SSL_CERT_FILE does.
    """
    paths = [trust["cafile"]["path"]] + [c["path"] for c in trust["capaths"] if c["source"] != "compiled"]
    return next((why for why in map(blocking_cafile, paths) if why), None)
