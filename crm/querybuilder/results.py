"""A built query's results: a screen page, a capped count, chart data, the filters in words,
values for showing and for spreadsheets, and the audience ids."""

import contextlib
import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import keyset

from . import spec as specs
from .registry import Entity
from .spec import QueryError


@contextlib.contextmanager
def time_limit(seconds: float, *, serial: bool = False):
    """Runs the statements inside under a ``statement_timeout`` of ``seconds`` (local to a
    transaction, so it ends with it); a statement over the time is a ``QueryError`` asking the
    user to narrow the query, never a 500 and never a worker held for minutes.

    ``serial``: without parallel workers, for a page of rows (``LIMIT 51``): walking an index
    in order until the page is full, two workers each walk ahead on their own and read about
    three times the rows (15,000 instead of 5,600 for a manager's page of 50 here), on the
    cores that the other requests need."""
    settings_sql = "SELECT set_config('statement_timeout', %s, true)"
    if serial:
        settings_sql += ", set_config('max_parallel_workers_per_gather', '0', true)"
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(settings_sql, [f"{int(seconds * 1000)}ms"])
            yield
    except OperationalError as error:
        if getattr(error, "__cause__", None).__class__.__name__ != "QueryCanceled":
            raise
        raise QueryError(
            _("The query took longer than %(n)s seconds: narrow it with a filter, or export it.")
            % {"n": int(seconds)},
            _("Query"),
        ) from None


@dataclass
class Column:
    key: str
    label: str
    type: str
    many: bool = False
    choices: dict | None = None


@dataclass
class Page:
    rows: list
    next: str | None
    previous: str | None


@dataclass
class Built:
    """A query ready to run: its columns and its scoped, filtered queryset."""

    entity: Entity
    columns: list[Column]
    grouped: bool
    filtered: object  # the base rows after scope and filters, no columns
    queryset: object  # values_list of the result rows, in column order
    annotated: object  # row mode: ``filtered`` with the columns and sort keys
    order: list[str]
    builder: object  # engine._Builder: the spec, the user, the paths
    # Row mode: the scoped rows with the columns, without the filters, which chose the page's
    # keys already (a page's 50 rows are read by key without testing their conditions again).
    by_key: object = None
    _names: dict = field(default_factory=dict)
    _groups: list | None = None

    # ---------------------------------------------------------------- showing values
    def prepare(self, rows) -> None:
        """Reads the names of the users in ``rows`` (one query), for ``display_row``."""
        wanted = set()
        for index, column in enumerate(self.columns):
            if column.type != "user":
                continue
            for row in rows:
                value = row[index]
                values = value if isinstance(value, list) else [value]
                wanted.update(v for v in values if v is not None and v not in self._names)
        if wanted:
            from django.contrib.auth import get_user_model

            for user in (
                get_user_model()
                .objects.filter(pk__in=wanted)
                .only("username", "first_name", "last_name")
            ):
                self._names[user.pk] = str(user)

    def show(self, value, column: Column):
        if isinstance(value, list):
            return ", ".join(str(self.show(v, column)) for v in value if v is not None)
        if value is None:
            return None
        if column.type == "choice":
            return column.choices.get(value, value)
        if column.type == "user":
            return self._names.get(value, value)
        if column.type == "boolean":
            return _("yes") if value else _("no")
        if column.type == "datetime" and isinstance(value, datetime.datetime):
            return timezone.localtime(value)
        return value

    def display_row(self, row) -> list:
        return [self.show(value, column) for value, column in zip(row, self.columns, strict=True)]

    def export_value(self, value, column: Column):
        shown = self.show(value, column)
        if isinstance(shown, datetime.datetime):
            return shown.replace(tzinfo=None)
        return shown

    # ---------------------------------------------------------------- reading
    def page(self, *, after: str = "", before: str = "", size: int = 50) -> Page:
        """One screen page: keyset for rows (two queries), the first groups for a grouped
        query (``QUERY_MAX_GROUPS``); display-ready values."""
        if self.grouped:
            rows = self.group_rows()
            return Page([self.display_row(r) for r in rows], None, None)
        names = [f"c{i}" for i in range(len(self.columns))]
        with time_limit(settings.QUERY_SCREEN_SECONDS, serial=True):
            keys, following, previous = keyset.page_window(
                self.annotated, order=self.order, after=after, before=before, size=size
            )
            fetched = {
                row[0]: row[1:]
                for row in (self.by_key if self.by_key is not None else self.annotated)
                .filter(pk__in=keys)
                .order_by()
                .values_list("pk", *names)
            }
        rows = [fetched[key] for key in keys if key in fetched]
        self.prepare(rows)
        return Page([self.display_row(r) for r in rows], following, previous)

    def group_rows(self) -> list:
        """The first ``QUERY_MAX_GROUPS`` groups, read once (the page and its chart share them)."""
        if self._groups is None:
            with time_limit(settings.QUERY_SCREEN_SECONDS):
                self._groups = list(self.queryset[: settings.QUERY_MAX_GROUPS])
            self.prepare(self._groups)
        return self._groups

    def count(self, *, cap: int = 10_000) -> int | None:
        """Result rows (groups for a grouped query) up to ``cap + 1``, or None when counting
        takes longer than ``QUERY_COUNT_MILLISECONDS``."""
        if self.grouped:
            return keyset.count_within(
                lambda: self.queryset.order_by()[: cap + 1].count(),
                milliseconds=settings.QUERY_COUNT_MILLISECONDS,
            )
        return keyset.count_within(
            lambda: keyset.capped_count(self.filtered, cap),
            milliseconds=settings.QUERY_COUNT_MILLISECONDS,
        )

    def chart(self) -> dict | None:
        """A grouped result as Chart.js data: one group → a dataset per measure; two → the
        first group's values as datasets of the first measure over the second's."""
        if not self.grouped:
            return None
        groups = len(self.builder.spec["group"]["by"])
        rows = self.group_rows()
        shown = [self.display_row(r) for r in rows]
        text = [[_label(v) for v in row[:groups]] for row in shown]
        if groups == 1:
            measures = self.columns[groups:]
            return {
                "labels": [t[0] for t in text],
                "datasets": [
                    {"label": str(m.label), "data": [_number(r[groups + i]) for r in rows]}
                    for i, m in enumerate(measures)
                ],
            }
        # the second grouping's values in their own order (weeks in time), not as first seen
        raw = {t[1]: row[1] for t, row in zip(text, rows, strict=True)}
        labels = sorted(raw, key=lambda label: _order_key(raw[label]))
        series: dict = {}
        for t, row in zip(text, rows, strict=True):
            series.setdefault(t[0], dict.fromkeys(labels, 0))[t[1]] = _number(row[groups])
        return {
            "labels": labels,
            "datasets": [{"label": k, "data": list(v.values())} for k, v in series.items()],
        }

    def describe(self) -> list[str]:
        """The filters in words, one line per top-level condition."""
        return specs.describe(self.builder, self.entity, self.builder.spec["filter"])

    def ids(self, kind: str = "partner"):
        """The audience: ids of the partners (or contacts) of the result rows, a queryset."""
        path = self.entity.audience.get(kind)
        if path is None:
            raise QueryError(_("This query gives no %(kind)s.") % {"kind": kind}, _("Base"))
        return self.filtered.exclude(**{f"{path}__isnull": True}).values_list(path, flat=True)


def _label(value) -> str:
    if isinstance(value, datetime.date):
        from django.utils.formats import date_format

        return date_format(value, "SHORT_DATE_FORMAT")
    return "" if value is None else str(value)


def _order_key(value):
    """Sorts values of one column (None first) whatever their type."""
    return (value is not None, value if value is not None else 0)


def _number(value):
    return float(value) if value is not None else 0
