"""Which bundle a fix may name: a regular file that parses, that only its owner can write."""

from __future__ import annotations

import os

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


def merged_fix(facts: Facts, private: str, addresses: tuple[str, ...], variable: str = "SSL_CERT_FILE") -> Fix | None:
    """One file holding the public roots and a private CA's, for a variable that replaces the whole store.

    The lines build it beside the private file; the trial builds the same join in a scratch file and checks that
    a public root and the private CA's chain are both trusted through it.
    """
    from cadoctor._fixes.shell import dockerfile_lines, sh_quote, shell_lines

    public = best_bundle(facts, exclude=private)
    own = facts.bundle(private)
    if public is None or own is None or not trustworthy(own):
        return None  # the joined file lands beside the private one: a folder others can write would expose it
    stem, _ = os.path.splitext(private)
    merged = stem + "+public-roots.pem"
    join = "(cat %s; echo; cat %s) > %s" % (sh_quote(public.path), sh_quote(private), sh_quote(merged))
    change: dict[str, str | None] = {variable: merged}
    lines = {"shell": join + "\n" + shell_lines(change)}
    env = dockerfile_lines(change)
    if env is not None:
        lines["dockerfile"] = "RUN " + join + "\n" + env
    return Fix(
        kind="env",
        summary="Join the public roots of %s and %s in one file and point %s at it (it keeps both; rebuild it "
        "when the OS store changes)" % (public.path, private, variable),
        addresses=addresses,
        env=change,
        lines=lines,
        sample_source=public.path,
        merge=(public.path, private),
    )
