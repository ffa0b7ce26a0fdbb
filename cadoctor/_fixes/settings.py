"""Fixes for a CA value some client cannot use: unset it, give that client its own variable, change the setting.

A value is judged by each client's own reading of it (`_rules.client_judgement`). The fix keeps what works for
the clients that read it fine and gives the ones it breaks (they raise, hang, abort, verify nothing or find no
certificate in it) something they can load: no client reads it well, so it goes (unset, or the setting removed
from its file); some do (requests takes a hashed folder in REQUESTS_CA_BUNDLE), so the breaking client gets its
own variable, read before this one, pointed at the system bundle (AWS_CA_BUNDLE for botocore); a folder without
hash links gets them. Each is tried by the clients it is for, a setting on an edited copy of its file.
"""

from __future__ import annotations

import os
import stat

from cadoctor._fixes.bundles import best_bundle
from cadoctor._fixes.shell import env_lines, sh_quote
from cadoctor._model import Client, ConfigEdit, Facts, Finding, Fix, HostCheck
from cadoctor._rules.client_judgement import judge, reading_of, value_of
from cadoctor._rules.client_table import SETTINGS
from cadoctor._rules.client_values import BREAKS, LOADS, NO_VERIFICATION, NOTHING, UNHASHED, kind_of, resolved
from cadoctor._text import has_control

# Each setting: the variable that points its client at another file of that kind, and the INI section it is in.
_FILES = {"aws config ca_bundle": "AWS_CONFIG_FILE", "pip.conf cert": "PIP_CONFIG_FILE"}
_CODES = ("env-path-invalid", "verification-disabled")


def _broken(facts: Facts) -> dict[str, list[Client]]:
    """The clients each CA value stops, or leaves without a certificate, by the value's name."""
    found: dict[str, list[Client]] = {}
    for client in judge(facts):
        if client.trust.effect in (*BREAKS, NO_VERIFICATION, NOTHING):
            found.setdefault(client.trust.source, []).append(client)
    return found


def _section(facts: Facts, name: str) -> str:
    """The INI section a setting is read from: the AWS profile in use, pip's global one."""
    if name != "aws config ca_bundle":
        return "global"
    profile = facts.runtime.environment.get("AWS_PROFILE") or "default"
    return "default" if profile == "default" else "profile " + profile


def _setting_file(facts: Facts, name: str) -> str | None:
    """The configuration file a setting was read from (the last one read wins, as the client reads them)."""
    client, key = SETTINGS[name]
    found = [s.source for s in facts.settings if (s.client, s.key) == (client, key)]
    return found[-1] if found else None


def value_fixes(facts: Facts, findings: tuple[Finding, ...]) -> list[Fix]:
    """Fixes for the values env-path-invalid and verification-disabled report, each for the clients it breaks."""
    reported = {str(f.evidence.get("variable")): f.code for f in findings if f.code in _CODES}
    host = facts.hosts[0] if facts.hosts else None
    target = best_bundle(facts)
    fixes: list[Fix] = []
    for name, hurt in _broken(facts).items():
        code = reported.get(name)
        value = value_of(facts, name)
        if code is None or value is None or has_control(value):
            continue
        names = tuple(c.name for c in hurt)
        addresses = (code,)
        if name in SETTINGS:
            fixes.extend(_setting_fixes(facts, name, names, addresses, host, target.path if target else None))
            continue
        fine = [c for c in judge(facts) if c.effects.get(name) == LOADS]
        if not fine:
            change: dict[str, str | None] = {name: None}
            said = "no client here loads it" if value else "an empty value"
            fixes.append(_env_fix("Unset %s (%s): %s" % (name, said, ", ".join(names)), change, addresses, names, host))
        elif target is not None:
            for client in hurt:
                own = _own_variable(client, name, fine)
                if own is not None:
                    change = {own: target.path}
                    summary = "Point %s at %s for %s, and leave %s to %s" % (
                        own,
                        target.path,
                        client.name,
                        name,
                        ", ".join(c.name for c in fine),
                    )
                    fixes.append(_env_fix(summary, change, addresses, (client.name,), host))
        fixes.extend(_rehash_fixes(facts, name, value, hurt, addresses))
    return fixes


def _own_variable(client: Client, name: str, fine: list[Client]) -> str | None:
    """The variable the client reads before `name` that no client reading `name` fine reads: where it alone looks."""
    readings = [v for v in client.variables if reading_of(client, v) is not None]
    if name not in readings:
        return None
    others = {v for c in fine for v in c.variables}
    return next((v for v in readings[: readings.index(name)] if v not in SETTINGS and v not in others), None)


def _env_fix(
    summary: str,
    change: dict[str, str | None],
    addresses: tuple[str, ...],
    names: tuple[str, ...],
    host: HostCheck | None,
) -> Fix:
    """An environment change tried by the clients it is for (a real request to the host, when there is one)."""
    return Fix(
        kind="env",
        summary=summary,
        addresses=addresses,
        env=change,
        lines=env_lines(change),
        clients=names,
        trial_host=host,
    )


def _setting_fixes(
    facts: Facts,
    name: str,
    names: tuple[str, ...],
    addresses: tuple[str, ...],
    host: HostCheck | None,
    target: str | None,
) -> list[Fix]:
    """Change the setting in its file: the system bundle, or no value, so that the client reads its next source."""
    source = _setting_file(facts, name)
    if source is None or has_control(source):
        return []
    client, key = SETTINGS[name]
    section, variable = _section(facts, name), _FILES[name]
    # pip reads its global and user files whatever PIP_CONFIG_FILE names, and that one last: a copy can set a key,
    # it cannot take one away from the others
    removable = variable != "PIP_CONFIG_FILE" or source == facts.runtime.environment.get(variable)
    edits = [ConfigEdit(source, section, key, target, variable)] if target else []
    edits.append(ConfigEdit(source, section, key, None, variable, triable=removable))
    fixes = []
    for edit in edits:
        if edit.value is None:
            summary = "Remove %s from [%s] in %s: %s then reads its next source" % (key, section, source, client)
            line = "in %s, section [%s]: delete the line `%s = ...`" % (source, section, key)
        else:
            summary = "Set %s = %s in [%s] of %s for %s" % (key, edit.value, section, source, ", ".join(names))
            line = "in %s, section [%s]: %s = %s" % (source, section, key, edit.value)
        fixes.append(
            Fix(
                kind="config",
                summary=summary,
                addresses=addresses,
                edit=edit,
                lines={"file": line},
                clients=names,
                trial_host=host,
                evidence=None if edit.triable else "not tried: %s is read whatever %s names" % (source, variable),
            )
        )
    return fixes


def _rehash_fixes(facts: Facts, name: str, value: str, hurt: list[Client], addresses: tuple[str, ...]) -> list[Fix]:
    """A folder read by hash lookup that has no hash link: the links OpenSSL looks for."""
    folder = resolved(value, facts.runtime.cwd)
    bundle = facts.bundle(folder)
    if bundle is None or has_control(folder) or kind_of(value, bundle, facts.inventory == "light") != UNHASHED:
        return []
    if not any(c.trust.effect == NOTHING for c in hurt):
        return []
    command = "openssl rehash %s" % sh_quote(folder)
    return [
        Fix(
            kind="command",
            summary="Create the hash links OpenSSL looks for in %s (%s reads it as a CA folder)" % (folder, name),
            addresses=addresses,
            command=command,
            lines={"shell": command},
        )
    ]


def edited(text: str, section: str, key: str, value: str | None) -> str:
    """An INI file's text with one key of one section set (or removed); every other line as it was.

    The key's lines in that section are replaced by one `key = value` (none when removing); a section or key that
    is not there is added.
    """
    out: list[str] = []
    current, written = None, False
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("[") and stripped.endswith("]"):
            if current == section and not written and value is not None:
                out.append("%s = %s" % (key, value))
                written = True
            current = stripped[1:-1].strip()
        elif current == section and stripped.split("=", 1)[0].split(":", 1)[0].strip().lower() == key:
            if value is not None and not written:
                out.append("%s = %s" % (key, value))
                written = True
            continue
        out.append(line)
    if value is not None and not written:
        if current != section:
            out.append("[%s]" % section)
        out.append("%s = %s" % (key, value))
    return "\n".join(out) + "\n"


def edited_copy(edit: ConfigEdit, folder: str, index: int) -> str:
    """Write the edited copy of a configuration file in `folder` (a trial's scratch) and name it."""
    text = ""
    try:
        fd = os.open(edit.file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))  # a FIFO never blocks the trial
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                text = os.read(fd, 256 * 1024).decode("utf-8", "replace")
        finally:
            os.close(fd)
    except OSError:
        pass  # an unreadable file: the copy holds the edited key alone
    path = os.path.join(folder, "config-%d" % index)
    with open(path, "w", encoding="utf-8") as out:
        out.write(edited(text, edit.section, edit.key, edit.value))
    return path
