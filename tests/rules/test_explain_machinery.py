"""explain's machinery, apart from its table: phrases and their words, ordered pairs, hosts named in a message.

The table's readings are tested on real messages in tests/test_explain.py; here each piece gets its edge cases.
"""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cadoctor._rules.explain.phrases import FOLD, Text, alternatives, pattern, phrases, words_in
from cadoctor._rules.explain.reading import MATCH_SHOWN, explain, find_host, valid_target


@pytest.mark.parametrize(
    ("source", "parts"),
    [
        ("a|b", ["a", "b"]),
        (r"b(c|d)|e", ["b(c|d)", "e"]),  # a group is kept whole
        (r"[|x]|y", ["[|x]", "y"]),  # a bar inside a class separates nothing
        (r"e\|f|g", [r"e\|f", "g"]),  # an escaped bar neither
        ("only", ["only"]),
    ],
)
def test_a_regex_is_cut_into_its_top_level_alternatives(source: str, parts: list[str]) -> None:
    """Only bars outside groups, classes and escapes separate alternatives."""
    assert alternatives(source) == parts


@pytest.mark.parametrize(
    ("source", "prefix", "words"),
    [
        (r"\bcert has expired\b", "cert has expired", {b"cert", b"has", b"expired"}),
        ("cert has expired", "cert has expired", {b"has"}),  # at an edge a match may extend the word
        (r"(?<!not )\bself signed\b", "self signed", {b"self", b"signed"}),  # a lookbehind consumes nothing
        (
            r"\bunable to get local issuers? certificate",
            "unable to get local issuer",
            {b"unable", b"to", b"get", b"local"},
        ),
        (r"\bwrong version number\b|x", "wrong version number", {b"wrong", b"version", b"number"}),
        (r"\bssl\.py\b", "ssl.py", {b"ssl", b"py"}),  # an escaped dot is literal
        (r"\bcode \d+\b", "code ", {b"code"}),  # a class ends the literal start
        (r"\bx509: (certificate)", "x509: ", {b"x509"}),  # so does a group
    ],
)
def test_a_phrase_knows_its_literal_start_and_the_words_any_match_holds_whole(
    source: str, prefix: str, words: set[bytes]
) -> None:
    """The prefix is where every match begins; the words are those the prefix holds with a boundary on each side."""
    phrase = phrases(source)[0]
    assert (phrase.prefix, set(phrase.words)) == (prefix, words)


def test_words_at_an_edge_of_the_literal_are_not_promised() -> None:
    """`abc` at the start or end of a literal may be part of a longer word in the text: only inner words count."""
    assert words_in("abc def ghi") == {b"def"}
    assert words_in("\0abc def\0") == {b"abc", b"def"}


def test_a_phrase_is_skipped_without_its_words_and_found_where_its_regex_is() -> None:
    """A text lacking a word of the phrase is not searched; otherwise the first match's span is given, and kept."""
    (phrase,) = phrases(r"\bcertificate verify failed\b")
    text = Text("SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer")
    assert phrase.search(text) == (5, 30)  # folded: `_` reads as a space, letters lowered
    assert text.seen[phrase.source] == (5, 30)
    assert phrase.search(Text("certificate verify")) is None


def test_an_ordered_pair_matches_only_on_one_line() -> None:
    """`first` then `then` count when they share a line, the span running from one to the other."""
    family = pattern(
        "cafile-missing",
        r"\bnever matches here\b",
        ("x",),
        "",
        "",
        ordered=((r"\broot file\b", r"\bdoes not exist\b"),),
    )
    assert family.search(Text("the root file /x does not exist")) == (4, 31)
    assert family.search(Text("the root file /x\ndoes not exist")) is None
    assert family.search(Text("root file ok\nroot file /y does not exist")) == (13, 40)
    assert family.search(Text("does not exist, no root here")) is None  # `first` absent: not even searched


_WORDS = st.sampled_from(
    ("cert", "has", "expired", "certificate", "verify", "failed", "self", "signed", " ", "_", "\n")
)
_NOISE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=3)


@settings(database=None, deadline=None, max_examples=200)
@given(st.lists(st.one_of(_WORDS, _NOISE), max_size=20).map("".join))
def test_the_word_index_never_hides_a_match(sample: str) -> None:
    """For any text, each phrase is found exactly where its regex alone finds it in the folded text."""
    text = Text(sample)
    for source in (r"\bcert has expired\b", r"\bcertificate verify failed\b", r"(?<!not )\bself signed\b", "has exp"):
        (phrase,) = phrases(source)
        plain = re.search(source, sample.translate(FOLD))
        assert phrase.search(text) == (plain.span() if plain else None)


@pytest.mark.parametrize(
    ("host", "port", "target"),
    [
        ("example.test", None, "example.test"),
        ("example.test", "443", "example.test"),  # the default port is left out
        ("example.test", "8443", "example.test:8443"),
        ("example.test", "0", None),
        ("example.test", "65536", None),
        ("[2001:db8::1]", "8443", "[2001:db8::1]:8443"),
        ("[1.2]", None, None),  # brackets hold an IPv6 address or nothing
        ("[2001:db8::zz]", None, None),
        ("-bad.example.test", None, None),  # a label never starts with a hyphen
        ("a" * 64 + ".test", None, None),  # nor passes 63 characters
        ("x." * 127 + "test", None, None),  # and a name stays within 253
        ("example.test.", None, "example.test."),
    ],
)
def test_a_target_is_a_host_name_or_address_with_a_real_port(host: str, port: str | None, target: str | None) -> None:
    """Only a DNS name, an IPv4 or a bracketed IPv6 address with a port from 1 to 65535 makes a target."""
    assert valid_target(host, port) == target


@pytest.mark.parametrize(
    ("message", "host"),
    [
        ("HTTPSConnectionPool(host='API.Example.test', port=8443): Max retries", "API.Example.test:8443"),
        ("Cannot connect to host pypi.example.test:443 ssl:True", "pypi.example.test"),
        ("curl: (60) Failed to connect to proxy.example.test port 3128", "proxy.example.test:3128"),
        ("fatal: unable to access 'https://git.example.test/repo.git/': SSL", "git.example.test"),
        ('Get "https://registry.example.test:5000/v2/": x509: unknown authority', "registry.example.test:5000"),
        ("see https://docs.example.test/ssl for help", None),  # a link mentioned is not the connection
        ("Error { host: 'node.example.test', code: 'X', port: 444 }", "node.example.test:444"),
        ("host: 'far.example.test'" + " " * 500 + "port: 444", None),  # the port is too far to belong to it
        ("host='bad_name!', port=1", None),
        ("host='-bad.test', port=1 then host='good.test', port=8443", "good.test:8443"),  # the first that parses
    ],
)
def test_the_host_of_the_failing_connection_is_read_from_the_message(message: str, host: str | None) -> None:
    """The host comes from where libraries name the connection's peer, never from a URL merely mentioned."""
    assert find_host(message) == host


def test_an_unknown_message_is_said_to_be_unknown() -> None:
    """Text that matches no family: not known, no cause, no side."""
    answer = explain("everything is fine")
    assert (answer.known, answer.causes, answer.side, answer.host) == (False, (), None, None)


def test_a_long_match_is_shown_cut_and_the_command_names_the_host() -> None:
    """The matched text is cut at MATCH_SHOWN characters; a family that needs the host gets `--host HOST`."""
    message = "HTTPSConnectionPool(host='api.example.test', port=443): certificate verify failed: " + "x" * 400
    answer = explain(message)
    assert answer.known
    assert answer.host == "api.example.test"
    assert all(len(cause.matched) <= MATCH_SHOWN + 3 for cause in answer.causes)
    assert any(cause.command == "cadoctor check --host api.example.test" for cause in answer.causes)
    assert answer.side == "client"
    assert answer.side_evidence == "HTTPSConnectionPool"


@pytest.mark.parametrize(
    ("message", "side", "reading"),
    [
        ("SSL_accept failed: tlsv1 alert unknown ca", "server", "client-rejected-server-certificate"),
        ("urllib3 ... SSLError: tlsv1 alert unknown ca", "client", "client-cert"),
        ("SSLError: tlsv1 alert unknown ca", None, "certificate-alert"),
        ("SSL_accept ... urllib3: tlsv1 alert unknown ca", None, "certificate-alert"),  # both sides: unknown
    ],
)
def test_an_alert_is_read_by_the_side_that_printed_it(message: str, side: str | None, reading: str) -> None:
    """One side's phrases name the side; both or neither leave it unknown, and the reading follows."""
    answer = explain(message)
    assert answer.side == side
    assert [cause.name for cause in answer.causes if "alert" in cause.name or "client" in cause.name] == [reading]


def test_a_context_can_rule_a_reading_out() -> None:
    """`ca md too weak` while loading this program's certificate is its own problem, not the server's weak crypto."""
    loading = [cause.name for cause in explain("SSL_CTX_use_certificate: ca md too weak").causes]
    handshake = [cause.name for cause in explain("handshake: ca md too weak").causes]
    assert ("weak-local-certificate" in loading, "weak-crypto" in loading) == (True, False)
    assert ("weak-local-certificate" in handshake, "weak-crypto" in handshake) == (False, True)
