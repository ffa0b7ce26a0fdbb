"""Mozilla's public roots as a yardstick: whether a bundle holds any of them, or only a private CA."""

from __future__ import annotations

from collections.abc import Iterator

from cadoctor._model import Bundle, Facts, Finding, Severity
from cadoctor._variables import CA_VARIABLES

# Files that replace a store (folders and NODE_EXTRA_CA_CERTS add to one; grpc's system folder replaces its store only
# with its switch on, which `client-variable-replaces` judges by the client)
_REPLACING = tuple(
    name for name in CA_VARIABLES if name not in ("SSL_CERT_DIR", "GRPC_SYSTEM_SSL_ROOTS_DIR", "NODE_EXTRA_CA_CERTS")
)
_FILES = {"pip": "pip.conf", "botocore": "aws config"}  # a client's CA setting, named as the client rules name it


def public_reference(facts: Facts) -> Bundle | None:
    """A bundle of the public roots to compare others with: certifi's, else the OS's bundle file."""
    return next((b for b in facts.bundles if "certifi" in b.roles and b.certificates), None) or next(
        (b for b in facts.bundles if "system" in b.roles and b.kind == "file" and b.certificates), None
    )


def lacks_public_roots(facts: Facts, bundle: Bundle) -> bool:
    """Whether a bundle holds none of the public roots (a private CA's file): used alone, public sites fail."""
    reference = public_reference(facts)
    return reference is not None and bundle.path != reference.path and not bundle.identities & reference.identities


def override_replaces_defaults(facts: Facts) -> Iterator[Finding]:
    """A CA override holds only private roots: private sites work, public ones fail; judged by whom it breaks."""
    from cadoctor._rules.clients import judge

    reference = public_reference(facts)
    if reference is None:
        return
    capaths = [facts.bundle(c.path) for c in facts.runtime.capaths]
    served = [b.path for b in capaths if b is not None and b.kind == "directory" and b.working_links]
    settings = {"%s %s" % (_FILES[s.client], s.key): s.value for s in facts.settings if s.client in _FILES}
    for name in (*_REPLACING, *settings):
        path = facts.runtime.environment.get(name) if name in _REPLACING else settings[name]
        bundle = facts.bundle(path) if path else None
        if bundle is None or not bundle.certificates or not lacks_public_roots(facts, bundle):
            continue
        judged = judge(facts)
        replacing = [c.name for c in judged if c.trust.kind == "variable" and c.trust.path == path]
        shadowed = [c for c in judged if c.effects.get(name) == "not read" and c.decided_by]
        default = name == facts.runtime.cafile_env  # what the default context reads, and everything built on it
        whole = "%s=%s holds %d certificates and none of the %d public roots in %s" % (
            name,
            path,
            bundle.certificates,
            reference.certificates,
            reference.path,
        )
        if default and not served:
            severity, effect = (
                Severity.ERROR,
                "no hashed folder serves them either: public sites fail for the default context",
            )
            effect += " (urllib, and every client on Python's ssl defaults)" + (
                " and for %s" % ", ".join(replacing) if replacing else ""
            )
        elif default:
            severity = Severity.WARNING
            effect = "the default context still finds public roots in %s, but %s" % (
                ", ".join(served),
                "%s take%s it as the whole store and fail public sites"
                % (", ".join(replacing), "s" if len(replacing) == 1 else "")
                if replacing
                else "a client that takes it as its whole store (httpx, uv) fails public sites",
            )
        elif replacing or not shadowed:
            severity = Severity.WARNING
            effect = "public sites fail in %s" % (", ".join(replacing) or "the clients that read it")
        else:  # every client here that reads it reads an earlier variable first: it is set, and unread
            severity = Severity.INFO
            effect = "not read here: %s" % "; ".join("%s reads %s first" % (c.name, c.decided_by) for c in shadowed)
        yield Finding(
            "override-replaces-defaults",
            severity,
            "%s: %s" % (whole, effect),
            {
                "variable": name,
                "path": path,
                "certificates": bundle.certificates,
                "reference": reference.path,
                "default_context_fails": default and not served,
                "clients": replacing,
            },
        )
