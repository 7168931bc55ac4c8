"""The search texts of a team's partners and contacts, kept in the worker's memory, for the
search box of users who see partners by hierarchy (``partners.search``).

Testing the search text of every partner and contact a team lead may see took PostgreSQL
about 0.4 µs a row, 10–15 ms for a team of 17,000 partners and 34,000 contacts on every
keystroke, however the rows were laid out (measured on the benchmark's data: an index-only
range of the owners' search index, a heap table clustered by owner, ``strpos``, trigram
signatures). Python finds a text in one long string a hundred times faster. So each owner's
texts (``partners_searchentry``: the owners' search index, kept by triggers) are read once per
worker and kept as one string per kind, records separated by NUL (which PostgreSQL text cannot
hold), with the records' offsets and ids beside it.

A copy is used only while it is current: every request reads, in one statement, the latest
entry of each owner of the team in the change log that the triggers append to
(``partners_searchchange``), and reloads the owners whose latest change is not the copy's. The
change is read before the texts, so a write that lands in between makes the next request reload
again rather than keep old texts under a new mark. The copies expire after ``TEXT_SECONDS`` in
any case, and take at most ``MAX_CHARS`` characters per worker (least recently used go first).

The texts only choose candidates: the records shown are read again with the access check in the
same statement (``partners.search``), so a stale or wrong text can hide a record for one request
at worst, never show one the user may not see.
"""

import re
import threading
from array import array
from bisect import bisect_right

from cachetools import TLRUCache

from crm.prepared import prepared_cursor

from .search_index import CONTACT, PARTNER

# What may stand before a word: a space or ASCII punctuation (unaccent turns typographic
# dashes and quotes into these), the same class as the SQL of ``partners.search.WORD_START_SQL``.
# Listed, not "anything but a letter or digit": the trigram index finds a word's start only
# through a short class (it gives up on a negated one and would test every row).
WORD_BEFORE = " !-/:-@[-`{-~"  # as PostgreSQL reads it in brackets: ranges of ASCII
_BEFORE = re.compile(r"(?:^|(?<=[\x00 !-/:-@\[-`{-~]))")  # the same, and NUL, in Python
_BEFORE_CHARS = frozenset(chr(c) for c in (0, *range(32, 48), *range(58, 65), *range(91, 97)))
_BEFORE_CHARS |= frozenset(chr(c) for c in range(123, 127))


def word_start(needle: str) -> re.Pattern:
    """``needle`` where a word starts: at the start of the text or of a record (after the NUL
    between records), or after a space or punctuation (``WORD_BEFORE``)."""
    return re.compile(_BEFORE.pattern + re.escape(needle))


SEPARATOR = "\x00"
MAX_CHARS = 64_000_000  # per worker, about 80 MB with the offsets and ids
TEXT_SECONDS = 3600

LATEST_CHANGES_SQL = """
    SELECT o.owner_id, coalesce((SELECT max(c.id) FROM partners_searchchange c
                                 WHERE c.company_id = %(company)s AND c.owner_id = o.owner_id), 0)
    FROM unnest(%(owners)s::bigint[]) AS o(owner_id)
"""
TEXTS_SQL = """
    SELECT owner_id, kind, record_id, search_text FROM partners_searchentry
    WHERE company_id = %(company)s AND owner_id = ANY(%(owners)s)
    ORDER BY owner_id, kind, record_id
"""


class Texts:
    """One owner's search texts of one kind: ``text`` holds them, each followed by
    ``SEPARATOR``; the record at index ``i`` starts at ``starts[i]`` and ends before
    ``starts[i + 1] - 1``."""

    __slots__ = ("ids", "starts", "text")

    def __init__(self, rows: list[tuple[int, str]]):
        self.ids = array("q", (record_id for record_id, _ in rows))
        self.starts = array("q", [0])
        parts = []
        at = 0
        for _, text in rows:
            parts.append(text)
            at += len(text) + 1
            self.starts.append(at)
        self.text = SEPARATOR.join(parts) + SEPARATOR if parts else ""

    def find(
        self, needle: str, *, starting: bool = False, word: bool = False
    ) -> list[tuple[str, int]]:
        """(text, record id) of the records whose text contains ``needle``; ``starting``:
        starts with it; ``word``: has it at the start of a word (after a character that is not
        a letter or digit: ``kft`` in ``pannon kft.``, ``pan`` in ``dél-pannonia``)."""
        found = []
        text, starts, ids = self.text, self.starts, self.ids
        if word:  # str.find, then the character before: a regular expression that starts
            # with a look-behind tests every position of the text, ten times slower
            at = text.find(needle)
            while at != -1:
                if at == 0 or text[at - 1] in _BEFORE_CHARS:
                    index = bisect_right(starts, at) - 1
                    end = starts[index + 1]
                    found.append((text[starts[index] : end - 1], ids[index]))
                    at = text.find(needle, end)
                else:
                    at = text.find(needle, at + 1)
            return found
        if starting:
            if text.startswith(needle):
                found.append((text[: starts[1] - 1], ids[0]))
            needle = SEPARATOR + needle
        at = text.find(needle)
        while at != -1:
            index = bisect_right(starts, at + 1 if starting else at) - 1
            end = starts[index + 1]
            found.append((text[starts[index] : end - 1], ids[index]))
            at = text.find(needle, end - 1 if starting else end)
        return found

    @property
    def size(self) -> int:
        return len(self.text) + 16 * len(self.ids) + 64


class OwnerTexts:
    __slots__ = ("change", "kinds")

    def __init__(self, change: int, kinds: dict[int, Texts]):
        self.change = change
        self.kinds = kinds

    @property
    def size(self) -> int:
        return sum(t.size for t in self.kinds.values())


_copies: TLRUCache = TLRUCache(
    maxsize=MAX_CHARS,
    ttu=lambda _key, _value, now: now + TEXT_SECONDS,
    getsizeof=lambda value: value.size,
)
_lock = threading.Lock()


def team_texts(company_id: int, owners: list[int]) -> list[OwnerTexts]:
    """The current texts of ``owners`` in the company: two statements when all copies are
    current (the latest changes), three when some owner's must be read again."""
    with prepared_cursor() as cursor:
        cursor.execute(LATEST_CHANGES_SQL, {"company": company_id, "owners": owners})
        latest = dict(cursor.fetchall())
    result, stale = {}, []
    with _lock:
        for owner in owners:
            copy = _copies.get((company_id, owner))
            if copy is not None and copy.change == latest[owner]:
                result[owner] = copy
            else:
                stale.append(owner)
    if stale:
        rows: dict[int, dict[int, list]] = {owner: {PARTNER: [], CONTACT: []} for owner in stale}
        with prepared_cursor() as cursor:
            cursor.execute(TEXTS_SQL, {"company": company_id, "owners": stale})
            for owner, kind, record_id, text in cursor.fetchall():
                rows[owner][kind].append((record_id, text))
        for owner in stale:
            copy = OwnerTexts(
                latest[owner], {kind: Texts(listed) for kind, listed in rows[owner].items()}
            )
            result[owner] = copy
            with _lock:
                _copies[(company_id, owner)] = copy
    return [result[owner] for owner in owners]


def clear() -> None:
    with _lock:
        _copies.clear()
