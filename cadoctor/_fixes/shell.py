"""Quoting for the ready-to-paste lines of env fixes: no path can inject a command."""

from __future__ import annotations

from collections.abc import Mapping


def sh_quote(value: str) -> str:
    """Quote for POSIX sh: single quotes, with each embedded quote closed, escaped and reopened."""
    return "'" + value.replace("'", "'\"'\"'") + "'"


def shell_lines(env: Mapping[str, str | None]) -> str:
    """`export VAR='value'` and `unset VAR` lines for a POSIX shell."""
    return "\n".join(
        "unset %s" % name if value is None else "export %s=%s" % (name, sh_quote(value)) for name, value in env.items()
    )


def _double_quoted(value: str, extra: Mapping[str, str]) -> str:
    """Quote in double quotes, escaping backslash, quote and the given extra characters."""
    out = value.replace("\\", "\\\\").replace('"', '\\"')
    for char, escaped in extra.items():
        out = out.replace(char, escaped)
    return '"' + out + '"'


def dockerfile_lines(env: Mapping[str, str | None]) -> str | None:
    """`ENV VAR="value"` lines; None when a value cannot be expressed (newlines) or a variable must be unset."""
    if any(v is None or "\n" in v or "\r" in v for v in env.values()):
        return None
    return "\n".join("ENV %s=%s" % (n, _double_quoted(v, {"$": "\\$"})) for n, v in env.items() if v is not None)


def systemd_lines(env: Mapping[str, str | None]) -> str | None:
    """`Environment="VAR=value"` lines for a unit's [Service] section; `UnsetEnvironment=` for removals."""
    if any(v is not None and ("\n" in v or "\r" in v) for v in env.values()):
        return None
    return "\n".join(
        "UnsetEnvironment=%s" % n if v is None else "Environment=%s" % _double_quoted("%s=%s" % (n, v), {"%": "%%"})
        for n, v in env.items()
    )


def env_lines(env: Mapping[str, str | None]) -> dict[str, str]:
    """Every ready form of an environment change that can express it."""
    lines = {"shell": shell_lines(env)}
    for name, render in (("dockerfile", dockerfile_lines), ("systemd", systemd_lines)):
        text = render(env)
        if text is not None:
            lines[name] = text
    return lines


# One key of one INI section set (or, with an empty value, removed), every other line kept byte for byte: the lines
# are read as configparser reads them (`_facts.interpreters.ini`), and `_fixes.settings.edited` is this program's
# twin in Python, which the trials use. The whole file is read first, then written in place (its owner, mode and
# links kept; no copy of it left anywhere). Only POSIX awk: ENVIRON, match, sub, tolower. It holds no single quote:
# the line quotes it whole. CADOCTOR_HEADERS=first: a header ends at its first `]`, as configparser before 3.10 reads.
INI_EDIT = r"""function emit(line) { kept[++count] = line }
function release(  i) { for (i = 1; i <= waiting; i++) emit(held[i]); waiting = 0 }
BEGIN { s = ENVIRON["CADOCTOR_SECTION"]; k = ENVIRON["CADOCTOR_KEY"]; v = ENVIRON["CADOCTOR_VALUE"]
  f = (ENVIRON["CADOCTOR_HEADERS"] == "first"); cur = "\n"; done = (v == "") }
{ t = $0; sub(/^[ \t\r\f\v]+/, "", t); sub(/[ \t\r\f\v]+$/, "", t)
  if (t == "" || t ~ /^[#;]/) { if (cur == s && !done) held[++waiting] = $0; else emit($0); next }
  n = match($0, /[^ \t\r\f\v]/) - 1
  if (inkey && n > indent) { if (!mine) { release(); emit($0) }; next }
  inkey = 0; mine = 0
  if (f ? t ~ /^\[[^]]+]/ : t ~ /^\[.+]/) {
    if (cur == s && !done) { emit(substr($0, 1, n) k " = " v); done = 1 }
    release(); cur = substr(t, 2); if (f) sub(/].*$/, "", cur); else sub(/][^]]*$/, "", cur); emit($0); next }
  c = match(t, /[=:]/)
  if (cur != "\n" && c > 1) {
    name = substr(t, 1, c - 1); sub(/[ \t\r\f\v]+$/, "", name); inkey = 1; indent = n
    if (cur == s && tolower(name) == k) { mine = 1; if (!done) { release(); emit(substr($0, 1, n) k " = " v); done = 1 }
      next } }
  release(); emit($0) }
END { if (!done) { if (cur != s) emit("[" s "]"); emit(k " = " v) }
  release(); for (i = 1; i <= count; i++) print kept[i] > ARGV[1]
  close(ARGV[1]) }"""


def ini_edit_line(file: str, section: str, key: str, value: str | None, first: bool = False) -> str:
    """The shell line that sets `key = value` in `[section]` of an INI file (None: removes the key), nothing else.

    The section, key and value reach awk through its environment, never through its program text or `-v` (which
    would read backslashes as escapes). `first`: headers end at their first `]` (a client on Python < 3.10).
    """
    settings = "CADOCTOR_SECTION=%s CADOCTOR_KEY=%s CADOCTOR_VALUE=%s" % (
        sh_quote(section),
        sh_quote(key.lower()),
        sh_quote(value or ""),
    )
    if first:
        settings += " CADOCTOR_HEADERS=first"
    return "%s awk '%s' %s" % (settings, INI_EDIT, sh_quote(file))
