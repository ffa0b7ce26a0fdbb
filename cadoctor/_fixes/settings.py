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

from cadoctor._facts.interpreters.distributions import aws_profile_of, config_text, pip_scopes
from cadoctor._facts.interpreters.ini import (
    BLANK,
    CONTINUATION,
    DEFAULTS,
    HEADER,
    KEY,
    OTHER,
    REMARK,
    IniLine,
    first_bracket,
    indent_of,
    ini_lines,
)
from cadoctor._fixes.bundles import best_bundle
from cadoctor._fixes.proven import proven_stores
from cadoctor._fixes.rehash import rehash_fix
from cadoctor._fixes.shell import env_lines, ini_edit_line, sh_quote
from cadoctor._model import Client, ConfigEdit, Facts, Finding, Fix, HostCheck, Setting
from cadoctor._rules.client_judgement import judge, reading_of, value_of
from cadoctor._rules.client_table import SETTINGS
from cadoctor._rules.client_values import (
    BREAKS,
    LOADS,
    NO_VERIFICATION,
    NOTHING,
    STORE,
    UNHASHED,
    kind_of,
    resolved,
)
from cadoctor._text import has_control

# Each setting: the variable that points its client at another file of that kind, and the INI section it is in.
_FILES = {"aws config ca_bundle": "AWS_CONFIG_FILE", "pip.conf cert": "PIP_CONFIG_FILE"}
_CODES = ("env-path-invalid", "verification-disabled", "client-setting-refused")


def _broken(facts: Facts) -> dict[str, list[Client]]:
    """The clients each CA value stops, or leaves without a certificate, by the value's name.

    A value the client reads for its own store counts whether it decides that store or only adds to it (pip >=
    24.2 adds its `cert` to truststore's: a folder it finds nothing in hides the root it holds); OpenSSL's default
    paths count where they decide the client's store.
    """
    found: dict[str, list[Client]] = {}
    hurting = (*BREAKS, NO_VERIFICATION, NOTHING)
    for client in judge(facts):
        names = [name for name, effect in client.effects.items() if effect in hurting and _own(client, name)]
        if client.trust.effect in hurting:
            names.append(client.trust.source)
        for name in dict.fromkeys(names):
            found.setdefault(name, []).append(client)
    return found


def _own(client: Client, name: str) -> bool:
    """Whether the client reads the value for its own store (not as one of OpenSSL's default paths)."""
    reading = reading_of(client, name)
    return reading is not None and reading.part == STORE


def _section(facts: Facts, name: str) -> str:
    """The INI section a setting is read from: the AWS profile in use, pip's global one."""
    if name != "aws config ca_bundle":
        return "global"
    profile = facts.runtime.environment.get("AWS_PROFILE") or "default"
    return "default" if profile == "default" else "profile " + profile


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
            fixes.extend(_setting_fixes(facts, name, names, addresses, host))
            fixes.extend(_rehash_fixes(facts, name, value, hurt, addresses))
            continue
        fine = [c for c in judge(facts) if c.effects.get(name) == LOADS]
        if not fine:
            change: dict[str, str | None] = {name: None}
            said = "no client here loads it" if value else "an empty value"
            if code == "client-setting-refused":
                said = "a value its version does not know"
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
) -> list[Fix]:
    """Change the setting in its file: a store proven for the host (else the OS's), or no value at all.

    Without the value the client reads its next source. Each edit is printed as a line that makes it, and tried
    on a copy of the file.
    """
    setting = _setting(facts, name)
    if setting is None or has_control(setting.source) or has_control(setting.section):
        return []
    client, key = SETTINGS[name]
    section, variable = setting.section or _section(facts, name), _FILES[name]
    target = _target(facts, host)
    first = first_bracket(facts.runtime.python_version)  # the section as the client's configparser finds it
    edits = [ConfigEdit(setting.source, section, key, target, variable, first_bracket=first)] if target else []
    triable = _removal_triable(facts, setting)
    edits.append(ConfigEdit(setting.source, section, key, None, variable, triable=triable, first_bracket=first))
    fixes = []
    for edit in edits:
        if edit.value is None:
            summary = "Remove %s from [%s] in %s: %s then reads its next source" % (key, section, edit.file, client)
            line = "in %s, section [%s]: delete the line `%s = ...`" % (edit.file, section, key)
        else:
            summary = "Set %s = %s in [%s] of %s for %s" % (key, edit.value, section, edit.file, ", ".join(names))
            line = "in %s, section [%s]: %s = %s" % (edit.file, section, key, edit.value)
        shell = _tool_line(facts, setting, edit) or ini_edit_line(edit.file, section, key, edit.value, first)
        fixes.append(
            Fix(
                kind="config",
                summary=summary,
                addresses=addresses,
                edit=edit,
                lines={"shell": shell, "file": line},
                clients=names,
                trial_host=host,
                evidence=None if edit.triable else "not tried: %s is read whatever %s names" % (edit.file, variable),
            )
        )
    return fixes


def setting_edit(facts: Facts, name: str, value: str) -> ConfigEdit | None:
    """The edit that sets a setting (by the rules' name) to `value` where its client reads it, or None when unset.

    A trial makes it on a copy of the file, named by the client's variable (a rehash fix's hashed copy of a folder).
    """
    setting = _setting(facts, name)
    if setting is None:
        return None
    section, first = setting.section or _section(facts, name), first_bracket(facts.runtime.python_version)
    return ConfigEdit(setting.source, section, SETTINGS[name][1], value, _FILES[name], first_bracket=first)


def _setting(facts: Facts, name: str) -> Setting | None:
    """The setting a rules name stands for, as its client reads it (the file read last wins)."""
    client, key = SETTINGS[name]
    found = [s for s in facts.settings if (s.client, s.key) == (client, key)]
    return found[-1] if found else None


def _target(facts: Facts, host: HostCheck | None) -> str | None:
    """The file a setting is pointed at: one proven to verify the host's chain as it is, else the OS's bundle.

    A configuration file names one file: a holder that must first be joined with the public roots is left to the
    fixes that write the joined file.
    """
    if host is not None:  # the default context may verify it while the client that reads the setting fails it
        proven = next((store.path for store in proven_stores(facts, host) if not store.parts), None)
        if proven is not None and not has_control(proven):
            return proven
    best = best_bundle(facts)
    return best.path if best is not None else None


def _removal_triable(facts: Facts, setting: Setting) -> bool:
    """Whether a copy named by the client's variable stands for the file once the key is removed from it.

    botocore reads its one config file; pip, when PIP_CONFIG_FILE names a file, reads that one instead of its
    user files but still reads its global and site files: a key can be taken away from a user file or from
    PIP_CONFIG_FILE's own in a trial, never from a global or site file.
    """
    if setting.client != "pip":
        return True
    environment = facts.runtime.environment
    return (
        setting.source == environment.get("PIP_CONFIG_FILE")
        or setting.source in (pip_scopes(environment, facts.runtime.prefix)["user"])
    )


def _tool_line(facts: Facts, setting: Setting, edit: ConfigEdit) -> str | None:
    """The client's own tool making exactly this edit of this file, when it is installed and would; else None.

    Only on this host, and only for a file the tool rewrites with nothing else changed: pip's `config` writes the
    file anew without its comments, the AWS CLI replaces the first line its section has for the key.
    """
    if facts.subject is not None and facts.subject.root is not None:
        return None
    text = config_text(edit.file)
    if text is None:
        return None
    lines = list(ini_lines(text, edit.first_bracket))
    if setting.client == "pip":
        return _pip_tool_line(facts, edit, lines)
    if setting.client == "botocore":
        return _aws_tool_line(setting, edit, lines)
    return None


def _pip_tool_line(facts: Facts, edit: ConfigEdit, lines: list[IniLine]) -> str | None:
    """`python -m pip config --SCOPE set|unset SECTION.cert`: the examined interpreter's pip on the file it writes.

    pip picks the file from the scope and the user's environment: only for this interpreter or --python (the
    user's own environment, PIP_CONFIG_FILE unset), only for the last file of a scope, and only for a file with
    no comment, continued value or DEFAULT section (pip rewrites the whole file and would not keep them).
    """
    environment = facts.runtime.environment
    if facts.subject is not None and facts.subject.kind != "interpreter":
        return None
    if "PIP_CONFIG_FILE" in environment or not any(d.name == "pip" for d in facts.distributions):
        return None
    scopes = pip_scopes(environment, facts.runtime.prefix)
    scope = next((name for name, files in scopes.items() if files and files[-1] == edit.file), None)
    plain = all(line.kind in (BLANK, HEADER, KEY) and line.section != DEFAULTS for line in lines)
    if scope is None or not plain or has_control(facts.runtime.executable):
        return None
    change = (
        "set %s.%s %s" % (edit.section, edit.key, sh_quote(edit.value))
        if edit.value
        else "unset %s.%s"
        % (
            edit.section,
            edit.key,
        )
    )
    return "%s -m pip config --%s %s" % (sh_quote(facts.runtime.executable), scope, change)


def _aws_tool_line(setting: Setting, edit: ConfigEdit, lines: list[IniLine]) -> str | None:
    """`aws configure set ca_bundle VALUE --profile NAME` with the config file named, when the CLI is on PATH.

    The CLI finds `[default]` or `[profile NAME]` as written, and replaces the first line of it whose name is
    `ca_bundle` by `ca_bundle = VALUE`: the same edit when that section is plain (keys, comments and blank lines
    only) and sets the key once, unindented. It cannot remove a key.
    """
    profile = aws_profile_of(edit.section)
    if setting.tool is None or has_control(setting.tool) or edit.value is None or profile is None:
        return None
    if any(c.isspace() or c in "'\"" for c in profile) or edit.section != (
        "default" if profile == "default" else "profile " + profile
    ):
        return None
    own = [line for line in lines if line.section == edit.section]
    keys = [line for line in own if line.kind == KEY and line.key == edit.key]
    if any(line.kind in (CONTINUATION, OTHER) for line in own) or len(keys) != 1:
        return None
    headers = [line.text for line in own if line.kind == HEADER]
    if not keys[0].text.startswith(edit.key) or headers != ["[%s]" % edit.section]:
        return None
    return "AWS_CONFIG_FILE=%s %s configure set %s %s --profile %s" % (
        sh_quote(edit.file),
        sh_quote(setting.tool),
        edit.key,
        sh_quote(edit.value),
        sh_quote(profile),
    )


def _rehash_fixes(facts: Facts, name: str, value: str, hurt: list[Client], addresses: tuple[str, ...]) -> list[Fix]:
    """A folder read by hash lookup that has no hash link: the links OpenSSL looks for.

    A failing host whose root the folder holds needs them too: the fix then answers for that host's failure.
    """
    folder = resolved(value, facts.runtime.cwd)
    bundle = facts.bundle(folder)
    if bundle is None or has_control(folder) or kind_of(value, bundle, facts.inventory == "light") != UNHASHED:
        return []
    if not any(c.effects.get(name) == NOTHING for c in hurt):
        return []
    needing = [h for h in facts.hosts if not h.ok and any(x.path == folder for x in h.holders)]
    for_hosts = tuple(dict.fromkeys(str(h.code) for h in needing if h.code))
    summary = "Create the hash links OpenSSL looks for in %s (%s reads it as a CA folder)" % (folder, name)
    if needing:
        summary += "; %s needs the root it holds" % ", ".join(h.target for h in needing)
    return [rehash_fix(facts, folder, summary, addresses + tuple(c for c in for_hosts if c not in addresses))]


def edited(text: str, section: str, key: str, value: str | None, first: bool = False) -> str:
    """An INI file's text with one key of one section set (None: removed); every other line as it was.

    The Python twin of the awk program the fix prints (`shell.INI_EDIT`), line for line, so that the trial tries
    the very edit the user makes: the section's first line for the key becomes `key = value` (indented as it was),
    its other lines for the key go (and the lines that continue them); a key the section lacks is added after its
    last key, a section the file lacks at its end. Blank and comment lines stay where they are. `first`: section
    headers end at their first `]` (the client's Python is older than 3.10).
    """
    out: list[str] = []
    held: list[str] = []  # blank and comment lines at the section's end, until the key's line is written
    done, mine, current = value is None, False, None
    line_for_key = "%s = %s" % (key.lower(), value)
    for line in ini_lines(text, first):
        # the key's line takes the indentation of the line it replaces, or of the header it goes before: the lines
        # after it are then no deeper than it, and none of them becomes a continuation of its value
        indent = line.text[: indent_of(line.text)]
        if line.kind in (BLANK, REMARK):
            (held if current == section and not done else out).append(line.text)
            continue
        if line.kind == CONTINUATION:
            if not mine:
                out.extend(held)
                held.clear()
                out.append(line.text)
            continue
        mine = False
        if line.kind == HEADER:
            if current == section and not done:
                out.append(indent + line_for_key)
                done = True
            out.extend(held)
            held.clear()
            current = line.section
            out.append(line.text)
            continue
        if line.kind == KEY and current == section and line.key == key.lower():
            mine = True
            if not done:
                out.extend(held)
                held.clear()
                out.append(indent + line_for_key)
                done = True
            continue
        out.extend(held)
        held.clear()
        out.append(line.text)
    if not done:
        if current != section:
            out.append("[%s]" % section)
        out.append(line_for_key)
    out.extend(held)
    return "".join(line + "\n" for line in out)


def edited_copy(edit: ConfigEdit, folder: str, index: int) -> str:
    """Write the edited copy of a configuration file in `folder` (a trial's scratch) and name it.

    The file is read as the client reads it, and never blocks (a FIFO is no file: the copy holds the key alone).
    """
    text = config_text(edit.file) or ""
    path = os.path.join(folder, "config-%d" % index)
    with open(path, "w", encoding="utf-8") as out:
        out.write(edited(text, edit.section, edit.key, edit.value, edit.first_bracket))
    return path
