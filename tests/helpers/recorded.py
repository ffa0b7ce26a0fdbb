"""Facts recorded on platforms these machines cannot run, read back as the model's records for the pure rules."""

from __future__ import annotations

from typing import Any

from cadoctor._model import Bundle, Exposure, Facts, LoadedLibrary, Runtime, SystemLibrary, TrustSource


def facts_from_json(data: dict[str, Any]) -> Facts:
    """Read facts recorded on another platform, for the pure rules."""
    rt = dict(data["runtime"])
    rt["hints"] = tuple(rt["hints"])
    rt["openssl_version_info"] = tuple(rt["openssl_version_info"])
    rt["cafile"] = TrustSource(**rt["cafile"]) if rt.get("cafile") else None
    rt["capaths"] = tuple(TrustSource(**c) for c in rt["capaths"])
    bundles: list[Bundle] = []
    for b in data["bundles"]:
        entry = dict(b)
        entry["roles"] = tuple(entry["roles"])
        entry["problems"] = tuple(entry.get("problems", ()))
        entry["exposures"] = tuple(Exposure(**e) for e in entry.get("exposures", ()))
        entry["identities"] = frozenset(entry.get("identities", ()))
        entry.pop("samples", None)
        bundles.append(Bundle(**entry))
    return Facts(
        runtime=Runtime(**rt),
        libraries=tuple(LoadedLibrary(**lib) for lib in data["libraries"]),
        system_libraries=tuple(SystemLibrary(**lib) for lib in data.get("system_libraries", [])),
        bundles=tuple(bundles),
    )
