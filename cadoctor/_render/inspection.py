"""`cadoctor inspect` as JSON and as human lines."""

from __future__ import annotations

from cadoctor._model import SCHEMA_VERSION, LoadedLibrary, plain
from cadoctor._redact import redacted_document
from cadoctor._render.terminal import counted, printable_lines
from cadoctor._version import __version__

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from cadoctor._model.inspection import Inspection

# What `linkage` says, for readers of the JSON.
LINKAGES = {
    "is-openssl": "the file is OpenSSL's libcrypto or libssl",
    "static": "OpenSSL is linked into the file",
    "dynamic": "the file gets OpenSSL from the loader (directly or through another library)",
    "unknown": "unknown: a library it needs cannot be found here",
    "none": "no OpenSSL in the file or its dependencies",
}


def to_document(inspections: list[Inspection], root: str | None) -> dict[str, Any]:
    """The JSON document of an inspection (schema_version 1); `root` is the image's, None for this host's files."""
    return redacted_document(_document(inspections, root))


def _document(inspections: list[Inspection], root: str | None) -> dict[str, Any]:
    """The document before its secrets are masked."""
    return {
        "schema_version": SCHEMA_VERSION,
        "cadoctor_version": __version__,
        "root": root,
        "files": plain(inspections),
    }


def _openssl_line(library: LoadedLibrary) -> str:
    """Flavour, version and compiled directories in one line; a directory the build did not set is `not set`."""
    if library.openssldir in (None, "n/a"):
        where = "OPENSSLDIR not set (%s reads no compiled directory)" % (library.flavour or "this build")
    else:
        state = "exists" if library.openssldir_exists else "missing" if library.openssldir_exists is False else "?"
        where = "OPENSSLDIR %s (%s here)" % (library.openssldir, state)
    extra = "".join(
        "; %s %s" % (name, value)
        for name, value in (("ENGINESDIR", library.enginesdir), ("MODULESDIR", library.modulesdir))
        if value not in (None, "n/a")
    )
    return "%s; %s%s" % (library.version or library.flavour or "unknown version", where, extra)


def to_text(inspections: list[Inspection], width: int | None = None) -> str:
    """Human lines: per path, what it is, and the OpenSSL or certificates in it; folded to `width` if one is given."""
    lines: list[str | tuple[str, int | None]] = []  # a line, or a line and its hang: it continues under its text
    for item in inspections:
        lines.append(item.path)
        if not item.readable:
            lines.append(("  cannot read: %s" % item.error, len("cannot read: ")))
            continue
        if item.kind in ("bundle", "directory") and item.bundle is not None:
            bundle = item.bundle
            if item.kind == "directory":
                lines.append(
                    "  CA directory: %s (%d wrong), %s without a link"
                    % (
                        counted(bundle.hash_links, "hash link"),
                        bundle.hash_mismatches,
                        counted(bundle.unlinked, "certificate file"),
                    )
                )
            lines.append(
                "  %s (%d marked, %d unparseable, %d expired, %s)"
                % (
                    counted(bundle.certificates, "certificate"),
                    bundle.marked,
                    bundle.unparseable,
                    bundle.expired,
                    counted(bundle.duplicates, "duplicate"),
                )
            )
            for problem in bundle.problems:
                lines.append(("  problem: %s" % problem, len("problem: ")))
            continue
        if item.kind == "other":
            lines.append("  %s" % item.error)
            continue
        if item.elf is not None:
            elf = item.elf
            soname = ", soname %s" % elf.soname if elf.soname else ""
            lines.append("  ELF %d-bit %s, %s%s" % (elf.bits, elf.kind, elf.machine, soname))
        if item.error:
            lines.append(("  damaged: %s" % item.error, len("damaged: ")))
        lines.append(("  OpenSSL: %s" % LINKAGES[item.linkage or "none"], len("OpenSSL: ")))
        if item.openssl is not None and item.openssl.openssldir:
            lines.append("    %s" % _openssl_line(item.openssl))
        for dependency in item.dependencies:
            via = " via %s" % " -> ".join(dependency.via) if dependency.via else ""
            where = "%s (%s)" % (dependency.path, dependency.found_by) if dependency.path else "not found"
            carries = " (OpenSSL linked in)" if dependency.openssl and dependency.openssl.role == "static" else ""
            lines.append(("    needs %s%s: %s%s" % (dependency.soname, via, where, carries), len("needs ")))
            if dependency.openssl is not None:
                lines.append("      %s" % _openssl_line(dependency.openssl))
    return printable_lines(lines, width)
