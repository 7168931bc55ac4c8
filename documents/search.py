"""Full-text search of documents: what was typed as a PostgreSQL text query in the
``hungarian_unaccent`` configuration (Hungarian stems, accents ignored: ``kotbert`` finds
``kötbérrel``), matched against the search rows' vectors (title, description and the file's
text, ``documents.text_models``) through their GIN index, ranked, with a highlighted snippet.

Every result comes from ``Document.objects.visible_to(user)``. The ranking reads each match's
vector, so it is capped: the best of the first ``CANDIDATES`` matches are shown (the page says
so when there are more; more words narrow it), ``PAGE_SIZE`` a page, at most ``MAX_PAGES`` pages.
"""

import contextlib
import datetime
import html
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import (
    SearchHeadline,
    SearchQuery,
    SearchQueryCombinable,
    SearchQueryField,
    SearchRank,
)
from django.db import connection, transaction
from django.db.models import F, Func, Value
from django.db.models.functions import Greatest, Left, Lower, StrIndex, Substr
from django.utils.translation import gettext_lazy as _

from .extraction import MARKS
from .models import Document, Folder
from .text_models import CONFIG

CANDIDATES = 200
PAGE_SIZE = 20
MAX_PAGES = 10
MAX_QUERY = 200
# ts_headline parses (and stems) every word of the text it is given, a few milliseconds for
# 10,000 characters: it gets a window of the text around the first place where the start of
# a typed word stands (found with a plain substring search on the unaccented text), within
# the first HEADLINE_CHARS characters.
HEADLINE_CHARS = 100_000
WINDOW_BEFORE = 150
WINDOW = 1200
HEADLINE_OPTIONS = 'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
WORD = re.compile(r"\w+")


def text_query(text: str, *, prefix: bool = False):
    """The text query of ``text``: web-search syntax (``"…"`` phrases, ``or``, ``-word``), or
    with ``prefix`` (the box, as one types) every word must match, the last one as a prefix.
    None when nothing searchable was typed."""
    text = (text or "").strip()[:MAX_QUERY]
    words = WORD.findall(text)
    if not words:
        return None
    if prefix:
        raw = " & ".join(f"'{word}'" for word in words[:-1])
        raw += (" & " if raw else "") + f"'{words[-1]}':*"
        return SearchQuery(raw, config=CONFIG, search_type="raw") | StemmedFirst(raw, "to_tsquery")
    return SearchQuery(text, config=CONFIG, search_type="websearch") | StemmedFirst(
        text, "websearch_to_tsquery"
    )


class StemmedFirst(SearchQueryCombinable, Func):
    """The second reading of what was typed (as the vectors have it, migration 0003): stemmed
    in Hungarian with its accents, then the accents removed from the stems."""

    output_field = SearchQueryField()

    def __init__(self, text: str, function: str):
        self.template = (
            f"unaccent({function}('hungarian'::regconfig, %(expressions)s)::text)::tsquery"
        )
        super().__init__(Value(text))


def needle(text: str) -> str:
    """What the headline's window looks for: the start of the first typed word (not one
    excluded with ``-``), without accents, short enough to stand before any ending
    (``kötbérrel`` → ``kotbe``)."""
    for match in re.finditer(r"(^|\s)(-?)(\w+)", text or ""):
        word = match.group(3)
        if match.group(2) or len(word) < 3:
            continue
        plain = unicodedata.normalize("NFKD", word.lower())
        plain = "".join(c for c in plain if not unicodedata.combining(c))
        return plain[: max(4, len(plain) - 4)]
    return ""


@contextlib.contextmanager
def index_plans():
    """The matches found through the GIN index, never by testing every row's vector: for a
    common word the planner would otherwise read (and decompress) thousands of vectors one by
    one to fill the capped candidate list, 10-100 times slower (bench/documents_search.py).
    Sequential and plain index scans are off for the statements of this block (bitmap scans
    remain, which is how a GIN index is read)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        yield


@dataclass
class Filters:
    folder: Folder | None = None  # this folder and those below it
    type: str = ""
    date_from: datetime.date | None = None  # the current file's upload day
    date_to: datetime.date | None = None
    partner: object | None = None  # a partner the documents are linked to

    def apply(self, documents):
        if self.folder is not None:
            documents = documents.filter(
                folder__tree_id=self.folder.tree_id,
                folder__lft__gte=self.folder.lft,
                folder__rght__lte=self.folder.rght,
            )
        if self.type:
            documents = documents.filter(type=self.type)
        if self.date_from:
            documents = documents.filter(current_version__uploaded_at__date__gte=self.date_from)
        if self.date_to:
            documents = documents.filter(current_version__uploaded_at__date__lte=self.date_to)
        if self.partner is not None:
            documents = documents.linked_to(self.partner)
        return documents


def matches(user, query, filters: Filters | None = None):
    """The documents ``user`` sees that match ``query`` (unordered, uncapped)."""
    documents = Document.objects.visible_to(user).filter(fulltext__vector=query)
    return filters.apply(documents) if filters else documents


def ranked(user, query, filters: Filters | None = None, *, headline: str = ""):
    """The best of the first ``CANDIDATES`` matches, best first, with ``rank`` and (given
    ``headline``, the typed text) ``headline``, the snippet as ts_headline gives it
    (``snippet_html``). Run it inside ``index_plans()``."""
    candidates = matches(user, query, filters).values("pk")[:CANDIDATES]
    found = (
        Document.objects.filter(pk__in=candidates)
        .select_related("folder", "current_version")
        .annotate(rank=SearchRank(F("fulltext__vector"), query))
        .order_by("-rank", "-pk")
    )
    if headline:
        found = found.annotate(
            headline=SearchHeadline(
                _window(needle(headline)),
                query,
                config=CONFIG,
                start_sel=MARKS[0],
                stop_sel=MARKS[1],
                max_words=30,
                min_words=12,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        )
    return found


def _window(start: str):
    """The part of the text the headline is made from (``HEADLINE_CHARS``)."""
    body = F("fulltext__body")
    if not start:
        return Left(body, WINDOW)
    found = StrIndex(Lower(Func(Left(body, HEADLINE_CHARS), function="unaccent")), Value(start))
    return Substr(body, Greatest(found - WINDOW_BEFORE, Value(1)), WINDOW)


def snippet_html(headline: str) -> str:
    """The snippet as safe HTML: the text escaped, then its matches in ``<mark>``."""
    text = " ".join((headline or "").split())
    text = html.escape(text, quote=False)
    return text.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>")


def count_capped(user, query, filters: Filters | None = None) -> int:
    """How many documents match, counted up to ``CANDIDATES`` + 1 (more: "over 1,000")."""
    return matches(user, query, filters).values("pk")[: CANDIDATES + 1].count()


# ----------------------------------------------------------------------------- the global box


def find_for_box(user, text: str, limit: int):
    """The global search box's documents: best first, the last word as a prefix."""
    from crm.search import SearchHit

    query = text_query(text, prefix=True)
    if query is None or len(text.strip()) < 3:
        return []
    with index_plans():
        rows = list(ranked(user, query)[:limit])
    return [
        SearchHit(
            url=document.get_absolute_url(),
            title=document.title or str(_("(untitled)")),
            detail=" · ".join(
                part
                for part in (
                    str(document.get_type_display()),
                    document.folder.name if document.folder else "",
                    document.current_version.original_name if document.current_version else "",
                )
                if part
            ),
            icon="file-earmark-text",
        )
        for document in rows
    ]


def register() -> None:
    """The documents' part of the global search box (``DocumentsConfig.ready``)."""
    from crm.search import SearchProvider, providers

    providers.register(
        SearchProvider(
            key="documents",
            label=_("Documents"),
            find=find_for_box,
            order=30,
            permission="documents.view_document",
            more_url="documents:search",
        )
    )
