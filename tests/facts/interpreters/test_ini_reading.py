"""INI files read line by line as configparser reads them: the same sections, keys and values, on any text it reads."""

from __future__ import annotations

import configparser
import sys

from helpers.ini_texts import texts
from hypothesis import given, settings

from cadoctor._facts.interpreters.ini import (
    CONTINUATION,
    DEFAULTS,
    HEADER,
    KEY,
    first_bracket,
    ini_lines,
    ini_sections,
    ini_value,
)

FIRST = first_bracket("%d.%d.%d" % sys.version_info[:3])  # this Python's own header rule, as its configparser's


def _parsed(text: str) -> configparser.RawConfigParser | None:
    """What the clients' RawConfigParser reads from the text, None when it refuses the file."""
    parser = configparser.RawConfigParser()
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


@settings(max_examples=400, deadline=None)
@given(texts)
def test_every_section_key_and_value_is_the_one_configparser_reads(text: str) -> None:
    """On any file configparser accepts, the reader finds its sections, and each key's value and inheritance."""
    parser = _parsed(text)
    if parser is None:
        return
    sections = ini_sections(text, FIRST)
    assert set(sections) - {DEFAULTS} == set(parser.sections())
    assert set(sections.get(DEFAULTS, {})) == set(parser.defaults())
    for section in parser.sections():
        assert set(parser.options(section)) == set(sections[section]) | set(sections.get(DEFAULTS, {}))
        for key in parser.options(section):
            found = ini_value(sections, section, key)
            assert found == (parser.get(section, key), section if key in sections[section] else DEFAULTS)


def test_a_nested_block_continues_its_key_and_a_comment_does_not_end_it() -> None:
    """botocore's `s3 =` block: its indented lines continue `s3`, so its `ca_bundle` is no key of the profile."""
    text = "[default]\ns3 =\n  # why\n  ca_bundle = /nested.pem\nregion = eu\n"
    kinds = [(line.kind, line.key) for line in ini_lines(text)]
    assert kinds == [(HEADER, None), (KEY, "s3"), ("comment", "s3"), (CONTINUATION, "s3"), (KEY, "region")]
    assert ini_value(ini_sections(text), "default", "ca_bundle") is None


def test_a_header_keeps_its_spaces_and_a_default_key_is_inherited() -> None:
    """`[ default ]` is not `default`; a DEFAULT key answers for every section that lacks its own."""
    text = "[DEFAULT]\nca_bundle = /all.pem\n[ default ]\nregion = eu\n[profile dev]\nca_bundle = /dev.pem\n"
    sections = ini_sections(text)
    assert ini_value(sections, " default ", "ca_bundle") == ("/all.pem", DEFAULTS)
    assert ini_value(sections, "profile dev", "ca_bundle") == ("/dev.pem", "profile dev")
    assert ini_value(sections, "default", "ca_bundle") is None


def test_before_python_3_10_a_header_ends_at_its_first_bracket() -> None:
    """`[a]b]` is section `a` for Python 3.9's configparser and `a]b` for 3.10's; `[]x]` is no header before 3.10."""
    assert (first_bracket("3.9.18"), first_bracket("3.10.13"), first_bracket("3.13.0")) == (True, False, False)
    assert set(ini_sections("[a]b]\nk = v\n", first=True)) == {"a"}
    assert set(ini_sections("[a]b]\nk = v\n")) == {"a]b"}
    assert [line.kind for line in ini_lines("[]x]\n", first=True)] == ["other"]
