"""Full-text search of documents: what was typed as a PostgreSQL text query in the
``hungarian_unaccent`` configuration (Hungarian stems, accents ignored: ``kotbert`` finds
``kötbérrel``), matched against the search rows' vectors (title, description and the file's
text, ``documents.text_models``) through their GIN index, ranked, with a highlighted snippet.

Every result comes from ``Document.objects.visible_to(user)``. The ranking reads each match's
vector, so it is capped: the best of the first ``CANDIDATES`` matches are shown (the page says
so when there are more; more words narrow it), ``PAGE_SIZE`` a page, at most ``MAX_PAGES`` pages.
"""

import datetime
import html
import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db.models import F
from django.db.models.functions import Left
from django.utils.translation import gettext_lazy as _

from .extraction import MARKS
from .models import Document, Folder
from .text_models import CONFIG

CANDIDATES = 1000
PAGE_SIZE = 20
MAX_PAGES = 10
MAX_QUERY = 200
# ts_headline parses the text it shows: only the start of a very long one.
HEADLINE_CHARS = 200_000
HEADLINE_OPTIONS = 'MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'
WORD = re.compile(r"\w+")


def text_query(text: str, *, prefix: bool = False) -> SearchQuery | None:
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
        return SearchQuery(raw, config=CONFIG, search_type="raw")
    return SearchQuery(text, config=CONFIG, search_type="websearch")


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


def matches(user, query: SearchQuery, filters: Filters | None = None):
    """The documents ``user`` sees that match ``query`` (unordered, uncapped)."""
    documents = Document.objects.visible_to(user).filter(fulltext__vector=query)
    return filters.apply(documents) if filters else documents


def ranked(user, query: SearchQuery, filters: Filters | None = None, *, headline: bool = True):
    """The best of the first ``CANDIDATES`` matches, best first, with ``rank`` and (with
    ``headline``) ``headline``, the snippet as ts_headline gives it (``snippet_html``)."""
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
                Left("fulltext__body", HEADLINE_CHARS),
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


def snippet_html(headline: str) -> str:
    """The snippet as safe HTML: the text escaped, then its matches in ``<mark>``."""
    text = " ".join((headline or "").split())
    text = html.escape(text, quote=False)
    return text.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>")


def count_capped(user, query: SearchQuery, filters: Filters | None = None) -> int:
    """How many documents match, counted up to ``CANDIDATES`` + 1 (more: "over 1,000")."""
    return matches(user, query, filters).values("pk")[: CANDIDATES + 1].count()


# ----------------------------------------------------------------------------- the global box


def find_for_box(user, text: str, limit: int):
    """The global search box's documents: best first, the last word as a prefix."""
    from crm.search import SearchHit

    query = text_query(text, prefix=True)
    if query is None or len(text.strip()) < 3:
        return []
    rows = ranked(user, query, headline=False)[:limit]
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
