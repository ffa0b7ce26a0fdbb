"""The dates a pasted text shows, and which of them read the machine's clock rather than a certificate's validity.

`explain` never asks what day it is: a reading is judged only against dates it can know without a clock, the
validity dates the same paste prints (`Not Before:`, Go's `is before`, `not valid until`) and fixed dates of the
public PKI (`clues.py`). So the same text always gets the same answer.

A date reads the clock when it carries a time of day (a log line's stamp, `date`'s output, wget's `--2021-10-06
08:26:19--`) or follows `current time`; it is a certificate's date when a validity label (`notBefore=`, `start
date:`, `is after`, `expired at`) is the nearest label before it on its line. Dates without a time of day and
without a label (a version's build date, `OpenSSL 1.0.2j  26 Sep 2016`) are neither, and are left out.

Every expression here is a fixed run of bounded pieces, tried where the text could hold a date: linear in the text.
"""

from __future__ import annotations

import datetime
import re

from cadoctor._record import record

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]{0,6}\.?"
_YEAR = r"((?:19|20)\d\d)"
_TIME = r"(\d\d):(\d\d)"

# ISO and slashed dates, a time of day optional: 2021-10-06 08:26:19, 2017-11-28T17:25:51Z, [1970/01/01 02:06:28.
_ISO = re.compile(r"(?<!\d)%s[-/](\d\d)[-/](\d\d)(?!\d)(?:(?:t| |::?)%s)?" % (_YEAR, _TIME))
# A month's name first, as `date`, OpenSSL and Java print them: Sat Jan  1 00:47:51 UTC 2000, Jan 28 12:00:00
# 2014 GMT, Sun Jan 01 01:04:42 GMT+01:00 2012 (the zone's offset, when it has one, is one bounded piece).
_NAMED = re.compile(
    r"\b%s {1,2}(\d{1,2}),?(?: %s(?::\d\d)?(?:\.\d{1,9})?)?(?: [a-z]{2,5}(?:[+-]\d\d:?\d\d)?)? %s(?!\d)"
    % (_MONTH, _TIME, _YEAR)
)
# The day first: 26 Mar 2019 17:16:41, 1-Feb-2017::10:25:07 (Erlang's reports).
_DAY_FIRST = re.compile(r"(?<!\d)(\d{1,2})[ -]%s[ -]%s(?!\d)(?:(?: |::?)%s)?" % (_MONTH, _YEAR, _TIME))

# Labels that say whose date follows, nearest first wins: the clock's, a validity period's start, or its end.
_LABELS = re.compile(
    r"current time|system time|not before|notbefore|valid from|start date|validation time|not valid until|"
    r"is before|not yet valid until|not after|notafter|expired at|expire date|expires|expiry|is after|valid to|"
    r"valid until|validity"
)
_LABEL_KIND = {
    "current time": "clock",
    "system time": "clock",
    "not before": "start",
    "notbefore": "start",
    "valid from": "start",
    "start date": "start",
    "validation time": "start",
    "not valid until": "start",
    "not yet valid until": "start",
    "is before": "start",
}
_LOOK_BACK = 48  # characters before a date where its label is looked for (on its own line)


@record
class Reading:
    """One date in the text: when, what it is (`clock`, `start`, `end`) and where."""

    day: datetime.date
    kind: str
    start: int
    end: int


def _label(folded: str, at: int) -> str | None:
    """The kind the nearest label before `at` on its line gives a date, or None without a label."""
    line = folded.rfind("\n", max(0, at - _LOOK_BACK), at) + 1
    found = None
    for label in _LABELS.finditer(folded, max(line, at - _LOOK_BACK), at):
        found = label.group()
    if found is None:
        return None
    return _LABEL_KIND.get(found, "end")


def _day(year: str, month: int, day: str) -> datetime.date | None:
    """The date, or None when the numbers name no day (a version string that happens to look like one)."""
    try:
        return datetime.date(int(year), month, int(day))
    except ValueError:
        return None


_MONTH_WORDS = frozenset(month.encode() for month in _MONTHS)


def readings(folded: str, words: frozenset[bytes] | None = None, limit: int = 256) -> list[Reading]:
    """The dates of the folded text that read the clock or a validity period, in order; at most `limit` a form.

    A paste shows its clock and its certificate's dates in its first lines; a long log repeats its stamps, so the
    first `limit` of each form are enough. With the text's `words`, the forms that spell a month are tried only
    when a word of the text starts with one.
    """
    named = words is None or any(word[:3] in _MONTH_WORDS for word in words)
    found: list[Reading] = []
    for regex in (_ISO, _NAMED, _DAY_FIRST) if named else (_ISO,):
        count = 0
        for match in regex.finditer(folded):
            groups = match.groups()
            if regex is _ISO:
                day = _day(groups[0], int(groups[1]), groups[2])
                timed = groups[3] is not None
            elif regex is _NAMED:
                day = _day(groups[4], _MONTHS.index(groups[0]) + 1, groups[1])
                timed = groups[2] is not None
            else:
                day = _day(groups[2], _MONTHS.index(groups[1]) + 1, groups[0])
                timed = groups[3] is not None
            if day is None:
                continue
            kind = _label(folded, match.start()) or ("clock" if timed else None)
            if kind is not None:
                found.append(Reading(day, kind, match.start(), match.end()))
                count += 1
            if count >= limit:
                break
    return sorted(found, key=lambda reading: reading.start)
