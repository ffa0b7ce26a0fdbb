"""Which bundle a fix may name: a regular file that parses, that only its owner can write."""

from __future__ import annotations

import os
from collections.abc import Mapping

from cadoctor._model import Bundle, Facts, Fix
from cadoctor._text import has_control


def trustworthy(bundle: Bundle, unread: bool = False) -> bool:
    """A bundle we may point a process at: a regular file that parses, nobody else can write, mostly valid.

    Its path must also be one a person can read and paste exactly: no control characters. `unread`: a file only
    looked at (a host check's light look) may be named too, in lines a person runs, never in a tried fix.
    """
    return (
        not has_control(bundle.path)
        and bundle.kind == "file"
        and bundle.file_type == "regular"
        and (bundle.certificates > 0 or (unread and not bundle.parsed and bool(bundle.size)))
        and not bundle.exposures
        and not bundle.mostly_stale
    )


def best_bundle(facts: Facts, exclude: str | None = None, unread: bool = False) -> Bundle | None:
    """The bundle a fix should name: the OS's own first, then certifi's (`unread`: see `trustworthy`)."""
    for role in ("system", "certifi"):
        for bundle in facts.bundles:
            if role in bundle.roles and bundle.path != exclude and trustworthy(bundle, unread):
                return bundle
    return None


HASHED_FILES = ".[0-9]*"  # after a subject hash: a hashed folder's certificate files for it, <hash>.0, <hash>.1, ...


def hashed_files(part: str) -> bool:
    """Whether a part of a joined file names a hashed folder's files for one subject hash (`<folder>/<hash>.[0-9]*`)."""
    name = os.path.basename(part)
    stem = name[: -len(HASHED_FILES)]
    return name.endswith(HASHED_FILES) and len(stem) == 8 and all(c in "0123456789abcdef" for c in stem)


def join_command(parts: tuple[str, ...], joined: str) -> str:
    """The shell line that writes `joined` from `parts`, one after the other, a newline between each.

    Every path is quoted; a hashed folder's part keeps its `<hash>.[0-9]*` pattern outside the quotes so that the
    shell expands it, and each file it names is followed by a newline too: a file without a final newline would
    otherwise glue its END line to the next BEGIN line, which OpenSSL does not read.
    """
    from cadoctor._fixes.shell import sh_quote

    def piece(part: str) -> str:
        """One part as the shell must write it."""
        if hashed_files(part):
            pattern = "%s/%s" % (sh_quote(os.path.dirname(part)), os.path.basename(part))
            return 'for f in %s; do cat "$f"; echo; done' % pattern
        return "cat %s" % sh_quote(part)

    return "(%s) > %s" % ("; echo; ".join(piece(p) for p in parts), sh_quote(joined))


def joined_lines(parts: tuple[str, ...], joined: str, env: Mapping[str, str | None]) -> dict[str, str]:
    """The lines of an env fix whose file must be joined first: the join, then the variables (shell, Dockerfile)."""
    from cadoctor._fixes.shell import dockerfile_lines, shell_lines

    join = join_command(parts, joined)
    lines = {"shell": join + "\n" + shell_lines(env)}
    docker = dockerfile_lines(env)
    if docker is not None:
        lines["dockerfile"] = "RUN " + join + "\n" + docker
    return lines


def merged_fix(facts: Facts, private: str, addresses: tuple[str, ...], variable: str = "SSL_CERT_FILE") -> Fix | None:
    """One file holding the public roots and a private CA's, for a variable that replaces the whole store.

    The lines build it beside the private file; the trial builds the same join in a scratch file and checks that
    a public root and the private CA's chain are both trusted through it.
    """
    public = best_bundle(facts, exclude=private)
    own = facts.bundle(private)
    if public is None or own is None or not trustworthy(own):
        return None  # the joined file lands beside the private one: a folder others can write would expose it
    stem, _ = os.path.splitext(private)
    merged = stem + "+public-roots.pem"
    change: dict[str, str | None] = {variable: merged}
    return Fix(
        kind="env",
        summary="Join the public roots of %s and %s in one file and point %s at it (it keeps both; rebuild it "
        "when the OS store changes)" % (public.path, private, variable),
        addresses=addresses,
        env=change,
        lines=joined_lines((public.path, private), merged, change),
        sample_source=public.path,
        merge=(public.path, private),
    )
