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
