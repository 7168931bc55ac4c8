"""Full-text search of documents: what was typed as a PostgreSQL text query in the
``hungarian_unaccent`` configuration (Hungarian stems, accents ignored: ``kotbert`` finds
``kötbérrel``), matched against the search rows' vectors (title, description and the file's
text, ``documents.text_models``) through their GIN index, ranked, with a highlighted snippet.

Every result comes from ``Document.objects.visible_to(user)``. The ranking reads each match's
vector, so it is capped: the best of the first ``CANDIDATES`` matches are shown (the page says
so when there are more; more words narrow it), ``PAGE_SIZE`` a page, at most ``MAX_PAGES`` pages.
A page of results is one statement (``PAGE_SQL``: matches, ranks, count and the page's
snippets) and one more for the page's documents, whatever the number of matches.
"""

import datetime
import html
import re
import unicodedata
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchQueryCombinable, SearchQueryField
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Func, Value
from django.db.models.sql import Query
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .extraction import MARKS
from .models import TYPE_COLOURS, Document, DocumentType, Folder
from .text_models import CONFIG, DocumentText

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
HEADLINE_OPTIONS = (
    f'StartSel="{MARKS[0]}", StopSel="{MARKS[1]}", MaxWords=30, MinWords=12, MaxFragments=2,'
    ' FragmentDelimiter=" … "'
)
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


@dataclass
class Hit:
    """A found document as the result lists show it (built from the page's statement: no
    model instances, no further queries)."""

    pk: int
    rank: float
    title: str
    type: str
    folder_name: str  # "" when in no folder
    file_name: str  # the current version's, "" before any file
    uploaded_at: datetime.datetime | None
    snippet: str = ""  # the passage with its matches in <mark>, safe HTML

    def get_type_display(self) -> str:
        return str(DocumentType(self.type).label) if self.type in DocumentType else self.type

    @property
    def type_colour(self) -> str:
        return TYPE_COLOURS.get(self.type, "light")

    def get_absolute_url(self) -> str:
        return reverse("documents:detail", args=[self.pk])


class Results(list):
    """A page of ``Hit``, best first, with ``total``: the matches counted up to
    ``CANDIDATES`` + 1."""

    def __init__(self, hits=(), *, total: int = 0):
        super().__init__(hits)
        self.total = total


def ranked(
    user,
    query,
    filters: Filters | None = None,
    *,
    headline: str = "",
    offset: int = 0,
    limit: int = CANDIDATES,
) -> Results:
    """The best of the first ``CANDIDATES`` matches that ``user`` sees, best first: ``limit``
    of them from ``offset``, as ``Hit``; their snippets given ``headline`` (the typed text).
    One statement whatever the number of matches (``PAGE_SQL``)."""
    visible = Document.objects.visible_to(user)
    if filters:
        visible = filters.apply(visible)
    try:
        visible_sql, visible_params = visible.values("pk").query.sql_with_params()
    except EmptyResultSet:  # sees no document at all
        return Results()
    query_sql, query_params = _compiled(query)
    snippet, plain, snippet_params = "''", "", []
    if headline:
        start = needle(headline) or MARKS[0]  # nothing to look for: the start of the text
        snippet = SNIPPET_SQL.format(config=CONFIG, before=WINDOW_BEFORE, window=WINDOW)
        plain = PLAIN_SQL.format(chars=HEADLINE_CHARS)
        snippet_params = [start, start.capitalize(), start.upper(), HEADLINE_OPTIONS]
    sql = PAGE_SQL.format(
        query=query_sql,
        visible=visible_sql,
        candidates=CANDIDATES,
        snippet=snippet,
        plain=plain,
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*query_params, *visible_params, limit, offset, *snippet_params])
        rows = cursor.fetchall()
    results = Results(total=rows[0][0] if rows else 0)
    for _total, pk, rank, title, kind, folder, file, uploaded, text in rows:
        if pk is not None:
            hit = Hit(pk, rank, title, kind, folder or "", file or "", uploaded)
            hit.snippet = snippet_html(text) if text else ""
            results.append(hit)
    return results


# A page of results in one statement. The matches come from the GIN index only: they are read
# in a subquery the planner may not merge into the rest (OFFSET 0), so that it never tests the
# documents' vectors one by one instead (each a value of about 13 kB stored apart, read and
# decompressed: for a common word hundreds of times slower than the index); the text query
# reaches it as an init plan's value, unknown when planning, so the plan is the same for every
# word (no planner settings needed, which cost the page a transaction and three round trips).
# A match is kept when its document is visible (the documents' visible_to and the filters,
# joined by primary key), the first CANDIDATES + 1; only those are counted and ranked (ts_rank
# reads each one's vector), and only the page's rows get their document's fields and a snippet.
PAGE_SQL = """
WITH query AS MATERIALIZED (SELECT {query} AS q),
matched AS MATERIALIZED (
    SELECT m.document_id AS id, m.vector
    FROM (
        SELECT t.document_id, t.vector FROM documents_documenttext t
        WHERE t.vector @@ (SELECT q FROM query) OFFSET 0
    ) m
    WHERE m.document_id IN ({visible})
    LIMIT {candidates} + 1
),
page AS (
    SELECT c.id, ts_rank(c.vector, (SELECT q FROM query)) AS rank
    FROM (SELECT id, vector FROM matched LIMIT {candidates}) c
    ORDER BY rank DESC, c.id DESC
    LIMIT %s OFFSET %s
)
SELECT n.total, p.id, p.rank, d.title, d.type, f.name, v.original_name, v.uploaded_at,
    {snippet}
FROM (SELECT count(*) AS total FROM matched) n
LEFT JOIN page p ON true
LEFT JOIN documents_document d ON d.id = p.id
LEFT JOIN documents_folder f ON f.id = d.folder_id
LEFT JOIN documents_documentversion v ON v.id = d.current_version_id
LEFT JOIN documents_documenttext t ON t.document_id = p.id
{plain}
ORDER BY p.rank DESC, p.id DESC
"""

# The snippet of a row of the page: ts_headline on a window of the text around the first place
# where the start of the first typed word stands, accents removed (computed once a row: OFFSET 0
# keeps PostgreSQL from repeating it in each use), written as typed, capitalised or in capitals
# (lower-casing the whole text would cost more than all the rest of the snippet).
SNIPPET_SQL = """ts_headline('{config}'::regconfig, substr(t.body, greatest(coalesce(least(
    nullif(strpos(plain.text, %s), 0), nullif(strpos(plain.text, %s), 0),
    nullif(strpos(plain.text, %s), 0)
) - {before}, 1), 1), {window}), (SELECT q FROM query), %s)"""
PLAIN_SQL = """LEFT JOIN LATERAL (
    SELECT unaccent(left(t.body, {chars})) AS text OFFSET 0
) plain ON p.id IS NOT NULL"""


def _compiled(expression) -> tuple[str, list]:
    """The SQL of a text query (``text_query``) and its parameters."""
    query = Query(DocumentText)
    compiler = query.get_compiler(connection=connection)
    sql, params = expression.resolve_expression(query).as_sql(compiler, connection)
    return sql, list(params)


def snippet_html(headline: str) -> str:
    """The snippet as safe HTML: the text escaped, then its matches in ``<mark>``."""
    text = " ".join((headline or "").split())
    text = html.escape(text, quote=False)
    return text.replace(MARKS[0], "<mark>").replace(MARKS[1], "</mark>")


# ----------------------------------------------------------------------------- the global box


def find_for_box(user, text: str, limit: int):
    """The global search box's documents: best first, the last word as a prefix."""
    from crm.search import SearchHit

    query = text_query(text, prefix=True)
    if query is None or len(text.strip()) < 3:
        return []
    rows = ranked(user, query, limit=limit)
    return [
        SearchHit(
            url=document.get_absolute_url(),
            title=document.title or str(_("(untitled)")),
            detail=" · ".join(
                part
                for part in (
                    document.get_type_display(),
                    document.folder_name,
                    document.file_name,
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
