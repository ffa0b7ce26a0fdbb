"""The runtime probe's JSON turned into the model: what an interpreter (this one or another) said of itself."""

from __future__ import annotations

from cadoctor._facts.binary.openssl_build import loaded_library
from cadoctor._model import LoadedLibrary, Runtime, TrustSource
from cadoctor._record import replace

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def runtime_from_probe(facts: dict[str, Any]) -> tuple[Runtime, tuple[LoadedLibrary, ...]]:
    """Build the model from the runtime probe's JSON."""
    python = facts["python"]
    platform = facts["platform"]
    ssl = facts["ssl"]
    trust = facts.get("trust") or {}
    context = facts.get("default_context") or {}
    raw = ssl.get("default_verify_paths_raw") or {}
    cafile = trust.get("cafile")
    libraries = facts.get("libraries") or {}
    runtime = Runtime(
        python_version=python["version"],
        implementation=python["implementation"],
        executable=python["executable"],
        prefix=python["prefix"],
        base_prefix=python["base_prefix"],
        hints=tuple(python["hints"]),
        system=platform["system"],
        os_release=dict(platform.get("os_release") or {}),
        euid=platform.get("euid"),
        ssl_available=bool(ssl["available"]),
        ssl_error=ssl.get("error"),
        openssl_version=ssl.get("openssl_version"),
        openssl_version_info=tuple(ssl.get("version_info") or ()),
        ssl_module_file=ssl.get("module_file"),
        cafile_env=raw.get("cafile_env"),
        capath_env=raw.get("capath_env"),
        compiled_cafile=raw.get("cafile"),
        compiled_capath=raw.get("capath"),
        cafile=TrustSource(cafile["path"], cafile["source"]) if cafile else None,
        capaths=tuple(TrustSource(c["path"], c["source"]) for c in trust.get("capaths", [])),
        **_context_fields(context),
        libraries_available=bool(libraries.get("available")),
        libraries_reason=libraries.get("reason"),
        environment=dict(facts.get("environment") or {}),
        certifi=python.get("certifi"),
        site_folders=tuple(python.get("site_folders") or ()),
    )
    loaded = tuple(_library_from_probe(item) for item in libraries.get("items", []))
    return runtime, loaded


def _context_fields(context: dict[str, Any]) -> dict[str, Any]:
    """The runtime's fields that say what a default context loaded (`child.ssl_module.context_facts`)."""
    return {
        "context_ok": context.get("ok"),
        "context_error": context.get("error"),
        "context_skipped": context.get("skipped"),
        "context_loaded": int(context.get("x509_ca") or 0),
    }


def with_context(runtime: Runtime, context: dict[str, Any]) -> Runtime:
    """The runtime with what a default context loaded, counted after the probe (`subjects/context_count.py`)."""
    return replace(runtime, **_context_fields(context))


def _library_from_probe(item: dict[str, Any]) -> LoadedLibrary:
    """One library the probe described: its build strings are the item's own keys."""
    return loaded_library(
        item["path"],
        item["realpath"],
        item["role"],
        item,
        in_use=bool(item["in_use"]),
        deleted=bool(item["deleted"]),
        replaced=bool(item["replaced"]),
        openssldir_exists=item.get("openssldir_exists"),
    )
