"""INI texts as real AWS configs and pip.conf files hold them, for property tests of the INI reader and editor.

Sections, keys (in every spelling configparser accepts), botocore's nested blocks, comments, blank lines, CRLF
endings and the junk configparser refuses; most texts are files configparser reads, some are not.
"""

from __future__ import annotations

from hypothesis import strategies as st

HEADERS = (
    "[default]",
    "[ default ]",
    "[profile dev]",
    '[profile "my dev"]',
    "[DEFAULT]",
    "[global]",
    "  [global]",
    "[a]b]",
    "[default] ; a note",
)
BODY = (
    "ca_bundle = /etc/ssl/corp.pem",
    "CA_BUNDLE=/srv/upper.pem",
    "  ca_bundle : /srv/indented.pem",
    "ca_bundle =",
    "cert = ~/certs",
    "region=eu-west-1 # not a comment",
    "s3 =",
    "  addressing_style = path",
    "  ca_bundle = /srv/nested.pem",
    "\tmore text",
    "# ca_bundle = /commented.pem",
    "; cert = /commented",
    "   # indented comment",
    "",
    "  ",
    "\r",
)
JUNK = ("no separator here", "= no key", "ca_bundle = /before-any-section.pem")


def _name(line: str) -> str:
    """What makes two lines clash in one file: a key's name, or a section's (configparser refuses either twice)."""
    stripped = line.strip()
    return stripped.split("=")[0].split(":")[0].strip().lower() if stripped[:1] not in ("#", ";", "") else line


body = st.lists(st.sampled_from(BODY), max_size=5, unique_by=_name)
blocks = st.lists(st.tuples(st.sampled_from(HEADERS), body), max_size=4, unique_by=lambda block: block[0].strip())
texts = st.tuples(
    st.lists(st.sampled_from(BODY[-6:] + JUNK), max_size=2),  # before the first section: comments, blanks, junk
    blocks,
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
).map(
    lambda parts: (
        parts[2].join(parts[0] + [line for header, body in parts[1] for line in (header, *body)])
        + (parts[2] if parts[3] else "")
    )
)
