"""Keyset pagination for sortable lists: the page after a cursor, never OFFSET, so page 1,000
costs what page 1 costs when an index matches the order.

A cursor is the sort values of the last row shown plus its id, signed so that a tampered
cursor is refused (read as the first page), e.g. ``?after=WyJLb3bDoWNzIiwgMTJd:…``.
"""

import base64
import datetime
import decimal
import json

from django.core import signing
from django.db.models import Q

_SIGNER = signing.Signer(salt="crm.keyset")


def _plain(value):
    if isinstance(value, datetime.datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, datetime.date):
        return {"d": value.isoformat()}
    if isinstance(value, decimal.Decimal):
        return {"n": str(value)}
    return value


def _typed(value):
    if isinstance(value, dict) and "dt" in value:
        return datetime.datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and "d" in value:
        return datetime.date.fromisoformat(value["d"])
    if isinstance(value, dict) and "n" in value:
        return decimal.Decimal(value["n"])
    return value


def encode(values: list) -> str:
    raw = json.dumps([_plain(v) for v in values], ensure_ascii=False, separators=(",", ":"))
    return _SIGNER.sign(base64.urlsafe_b64encode(raw.encode()).decode().rstrip("="))


def decode(cursor: str) -> list | None:
    if not cursor:
        return None
    try:
        payload = _SIGNER.unsign(cursor)
        padded = payload + "=" * (-len(payload) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
    except (signing.BadSignature, ValueError, UnicodeDecodeError):
        return None
    return [_typed(v) for v in values] if isinstance(values, list) else None


def after_condition(fields: list[str], values: list) -> Q:
    """Rows after ``values`` in the order of ``fields`` (a leading ``-`` means descending),
    written so that PostgreSQL can start an index range scan at the first field:
    ``a >= va AND (a > va OR (b >= vb AND (b > vb OR …)))``."""
    condition = None
    for field, value in reversed(list(zip(fields, values, strict=True))):
        name = field.lstrip("-")
        op_strict, op_loose = ("lt", "lte") if field.startswith("-") else ("gt", "gte")
        strict = Q(**{f"{name}__{op_strict}": value})
        if condition is None:
            condition = strict
        else:
            condition = Q(**{f"{name}__{op_loose}": value}) & (strict | condition)
    return condition


def page_keys(queryset, *, order: list[str], after: str = "", size: int = 50):
    """(primary keys, next cursor or None) of one page. Only the sort columns and the key are
    read, so an index on them answers alone (an index-only scan) and rows skipped on the way
    (by a scope or a filter) cost no table reads; fetch the page's rows by key afterwards."""
    values = decode(after)
    if values is not None and len(values) == len(order):
        queryset = queryset.filter(after_condition(order, values))
    names = [field.lstrip("-") for field in order]
    columns = names if "id" in names or "pk" in names else [*names, "pk"]
    rows = list(queryset.order_by(*order).values_list(*columns)[: size + 1])
    has_next = len(rows) > size
    rows = rows[:size]
    key_index = columns.index("id") if "id" in columns else columns.index("pk")
    cursor = encode(list(rows[-1][: len(order)])) if has_next and rows else None
    return [row[key_index] for row in rows], cursor


def page(queryset, *, order: list[str], after: str = "", size: int = 50, rows=None):
    """(rows, next cursor or None): ``size`` rows of ``queryset`` in ``order`` (which must end
    with a unique field such as ``id``) after the cursor: the keys first (``page_keys``), then
    the rows by key, in two queries whatever ``queryset`` annotates or prefetches. ``rows``
    (default ``queryset``) is what the rows are read from: the scoped, filtered ``queryset``
    chose the keys, so an unfiltered one with the display's joins may fetch them."""
    keys, cursor = page_keys(queryset, order=order, after=after, size=size)
    return rows_by_key(queryset if rows is None else rows, keys), cursor


def rows_by_key(queryset, keys: list) -> list:
    """The rows of ``queryset`` with primary keys ``keys``, in the order of ``keys`` (one
    query): the second half of a page whose keys were chosen elsewhere."""
    fetched = {row.pk: row for row in queryset.filter(pk__in=keys).order_by()}
    return [fetched[key] for key in keys if key in fetched]


def capped_count(queryset, cap: int) -> int:
    """How many rows ``queryset`` holds, counted up to ``cap + 1`` (a result above ``cap``
    means "more than ``cap``"): ``SELECT count(*) FROM (SELECT id … LIMIT cap + 1)``, so a
    large result costs the reading of ``cap + 1`` keys, never the whole table."""
    return queryset.order_by().values("pk")[: cap + 1].count()


def count_within(count, *, milliseconds: int) -> int | None:
    """``count()`` (one counting query, ``capped_count`` say) when PostgreSQL answers within
    ``milliseconds``, else None: the statement is cancelled at that time (a ``statement_timeout``
    local to a transaction or savepoint that is always rolled back, so the limit ends with it).
    A count that would cost more than its page is not shown rather than paid for."""
    from django.db import OperationalError, connection, transaction

    if milliseconds <= 0:
        return None
    try:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [f"{milliseconds}ms"]
                )
            found = count()
            transaction.set_rollback(True)
            return found
    except OperationalError:  # QueryCanceled: over the time
        return None


# A page before a cursor ("Previous page") is read as the page after it in the opposite order,
# then turned round: its cost is that of a page forwards (the same index, scanned backwards),
# and the address holds one cursor whatever the page's depth.


def window(fetch, *, after: list | None, before: list | None, size: int):
    """(keys, the sort values the next page starts after or None, those the previous page ends
    before or None) of the page after ``after`` or, given ``before``, of the page that ends just
    before it. ``fetch(values, backwards, limit)`` gives up to ``limit`` rows ``(sort values,
    key)`` after ``values`` (None: from the start), in the opposite order when ``backwards``.
    Nothing before ``before`` (rows removed since, say) gives the first page."""
    if before is not None:
        rows = fetch(before, True, size + 1)
        if rows:
            more = len(rows) > size
            rows = rows[:size][::-1]
            return [key for _values, key in rows], rows[-1][0], rows[0][0] if more else None
        after = None
    rows = fetch(after, False, size + 1)
    more = len(rows) > size
    rows = rows[:size]
    following = rows[-1][0] if more else None
    previous = rows[0][0] if after is not None and rows else None
    return [key for _values, key in rows], following, previous


def _opposite(order: list[str]) -> list[str]:
    return [field[1:] if field.startswith("-") else f"-{field}" for field in order]


def page_window(queryset, *, order: list[str], after: str = "", before: str = "", size: int = 50):
    """(primary keys, next cursor or None, previous cursor or None) of one page of
    ``queryset`` in ``order``, after the cursor ``after`` or before ``before`` (``window``);
    an index-only read of the keys as ``page_keys``."""
    names = [field.lstrip("-") for field in order]
    columns = names if "id" in names or "pk" in names else [*names, "pk"]
    key_index = columns.index("id") if "id" in columns else columns.index("pk")

    def fetch(values, backwards, limit):
        fields = _opposite(order) if backwards else order
        rows = queryset
        if values is not None:
            rows = rows.filter(after_condition(fields, values))
        found = rows.order_by(*fields).values_list(*columns)[:limit]
        return [(list(row[: len(order)]), row[key_index]) for row in found]

    def cursor(text):
        values = decode(text)
        return values if values is not None and len(values) == len(order) else None

    keys, following, previous = window(fetch, after=cursor(after), before=cursor(before), size=size)
    return (
        keys,
        encode(following) if following is not None else None,
        encode(previous) if previous is not None else None,
    )
