"""Reports are shared (tickets, CI artefacts, monitoring): no password, token or URL credential ever leaves in one.

Secrets reach cadoctor from outside: proxy variables (`http://user:PASSWORD@proxy:3128`), the command lines and
environments of examined processes (`postgresql://app:PASSWORD@db/prod`, `--password=...`, `PGPASSWORD`), config
values and pasted messages. Every renderer and every line on stderr passes its text through here, once, at the
edge: what cadoctor reads keeps the real values (a handshake through the proxy needs them), what it writes does not.

- The userinfo of any URL becomes `user:****@`, or `****@` when it is a single part (a token used as the user
  name), as pip's `redact_auth_from_url` writes it.
- The value of an option, a `name=value` pair, a URL query parameter or an environment variable whose name says
  password, token, secret, credential or key becomes `****`.

Every function here runs in time linear in its input: they read text from outside.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

TYPE_CHECKING = False
if TYPE_CHECKING:  # `typing` is not loaded at run time: every command imports this module
    from typing import Any

MASK = "****"
# A name that says its value is a secret: PASSWORD, PGPASSWORD, passwd, pwd, api_token, GITHUB_TOKEN, secret,
# AWS_SECRET_ACCESS_KEY, --api-key, --key, credentials, auth. Not --keyring-provider or KEYFILE: those name a
# choice or a file; a path to a key is no secret, but `--key` alone is masked (its value may be one).
_SECRET = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|token|secret|credential|auth|api[-_]?key|(?:^|[-_.])key$|private[-_]?key",
    re.IGNORECASE,
)
# `name=value` and `--name value` in free text (a joined command line, a conninfo string, a message): the name
# starts where no word character or dash precedes it; the value runs to the next blank, quote or separator.
_PAIR = re.compile(r"(?<![\w-])(-{1,2}[A-Za-z][\w.-]*(?:=|[ \t]+)|[A-Za-z_][\w.-]*=)([^\s'\"&;,]+)")
_URL_END = frozenset(" \t\r\n\v\f/?#\"'<>`")  # where an authority ends: its path, query, fragment, a blank, a quote


def secret_name(name: str) -> bool:
    """Whether a variable's, option's or parameter's name says its value is a secret."""
    return bool(_SECRET.search(name.lstrip("-")))


def _userinfo_redacted(text: str) -> str:
    """Each URL's userinfo replaced (`scheme://user:****@host`), found by a single forward scan."""
    out: list[str] = []
    at = 0
    while True:
        found = text.find("://", at)
        if found < 0:
            break
        start = found + 3
        end = start
        while end < len(text) and text[end] not in _URL_END:
            end += 1
        sign = text.rfind("@", start, end)
        if sign >= 0:
            user, colon, _password = text[start:sign].partition(":")
            out.append(text[at:start])
            out.append("%s:%s" % (user, MASK) if colon and user else MASK)
            at = sign
        else:
            out.append(text[at:end])
            at = end
    out.append(text[at:])
    return "".join(out)


def _pair_redacted(match: re.Match[str]) -> str:
    """One `name=value` or `--name value`: the value masked when the name says secret."""
    head, value = match.groups()
    if not secret_name(head.rstrip("= \t")) or value == MASK:
        return match.group(0)
    return head + MASK


def redacted(text: str) -> str:
    """`text` with URL credentials and the values of secret-named options and pairs masked."""
    if "@" in text:
        text = _userinfo_redacted(text)
    if "=" in text or "-" in text:
        text = _PAIR.sub(_pair_redacted, text)
    return text


def redacted_argv(argv: list[str] | tuple[str, ...]) -> list[str]:
    """A command line with each secret masked: `--password x` and `--password=x` alike, URLs' userinfo too."""
    out: list[str] = []
    hide_next = False
    for arg in argv:
        if hide_next:
            out.append(MASK)
            hide_next = False
            continue
        if arg.startswith("-") and "=" not in arg and secret_name(arg):
            hide_next = True
        out.append(redacted(arg))
    return out


def redacted_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """An environment with each secret-named variable's value masked, and URL credentials in the others."""
    return {name: MASK if value and secret_name(name) else redacted(value) for name, value in environ.items()}


_VARIABLE = re.compile(r"[A-Z_][A-Z0-9_]*")  # an environment variable's name, as a document's key


def redacted_document(document: dict[str, Any]) -> dict[str, Any]:
    """A JSON-ready document with every secret masked: strings, argv-like lists, and variables by their names.

    A key masks its value only when it is a variable's name (`PGPASSWORD`, `AWS_SECRET_ACCESS_KEY`): the
    document's own fields (`"key": "cert"`, a pip setting's name) are not secrets.
    """
    return {
        key: MASK
        if isinstance(item, str) and item and _VARIABLE.fullmatch(str(key)) and secret_name(str(key))
        else _masked(item)
        for key, item in document.items()
    }


def _masked(value: object) -> object:
    """One value of a document, masked."""
    if isinstance(value, str):
        return redacted(value)
    if isinstance(value, dict):
        return redacted_document(value)
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(item, str) for item in value):
            return redacted_argv([str(item) for item in value])
        return [_masked(item) for item in value]
    return value
