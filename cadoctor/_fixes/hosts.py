"""Fixes for live handshakes: trust a root that a bundle here holds, verified by a handshake."""

from __future__ import annotations

from cadoctor._fixes.shell import env_lines
from cadoctor._model import Facts, Finding, Fix


def host_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """For an untrusted root that a bundle here holds: point at that bundle, or load it on top of the defaults."""
    from cadoctor._fixes.bundles import trustworthy

    fixes: list[Fix] = []
    variable = facts.runtime.cafile_env or "SSL_CERT_FILE"
    for host in facts.hosts:
        if host.code != "host-unknown-ca":
            continue
        for holder in host.holders:
            bundle = facts.bundle(holder.path)
            if not holder.verifies or bundle is None or not trustworthy(bundle):
                continue
            change: dict[str, str | None] = {variable: holder.path}
            fixes.append(
                Fix(
                    kind="env",
                    summary="Point %s at %s, which holds %s (it replaces the default roots)"
                    % (variable, holder.path, host.top_issuer),
                    addresses=("host-unknown-ca",),
                    env=change,
                    lines=env_lines(change),
                    trial_host=host,
                )
            )
            snippet = (
                "import ssl\ncontext = ssl.create_default_context()\n"
                "context.load_verify_locations(cafile=%r)  # on top of the default roots" % holder.path
            )
            fixes.append(
                Fix(
                    kind="code",
                    summary="Load %s on top of the default roots where the code builds its context" % holder.path,
                    addresses=("host-unknown-ca",),
                    lines={"python": snippet},
                    add_cafile=holder.path,
                    trial_host=host,
                )
            )
            break
    return fixes
