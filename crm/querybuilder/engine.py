"""A query spec (JSON from the browser, see ``spec``) turned into a scoped queryset.

Nothing of the spec reaches SQL except through the registry: every field, relation, operator
and function is looked up there and refused with a ``QueryError`` naming the part of the query
at fault. Rows always start from the base entity's ``visible_to(user)``; a related entity's rows
in "has … where" from its own ``visible_to(user)``; a field the user has no function for is
refused wherever it appears (column, filter, sort, group, measure).
"""

import datetime
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    Avg,
    BooleanField,
    CharField,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    Exists,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm import keyset
from crm.hierarchy import scope_owner_ids
from crm.scoping import current_company_id

from . import spec as specs
from .registry import Context, Entity, allowed, queryables
from .spec import QueryError
from .values import BadValue, parse_date, parse_number, period

__all__ = ["Built", "QueryError", "build"]

MEASURES = {"count": Count, "sum": Sum, "avg": Avg, "min": Min, "max": Max}
NUMERIC = ("number", "money")


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
class _Level:
    """The named expressions of one SELECT (the query, or an EXISTS inside it)."""

    prefix_tag: str
    exprs: dict = field(default_factory=dict)
    names: dict = field(default_factory=dict)

    def name_for(self, key: str, expression) -> str:
        if key not in self.names:
            name = f"{self.prefix_tag}{len(self.names)}"
            self.names[key] = name
            self.exprs[name] = expression
        return self.names[key]


@dataclass
class _Resolved:
    entity: Entity
    field: object
    prefix: str
    label: str

    def expression(self, context: Context):
        f = self.field
        if f.expression is not None:
            return f.expression(context, self.prefix)
        if f.many:
            model = self.entity.model
            rows = model.objects.filter(pk=OuterRef(self.prefix + "pk")).exclude(
                **{f"{f.orm_path()}__isnull": True}
            )
            return ArraySubquery(rows.values(f.orm_path()))
        return F(self.prefix + f.orm_path())


class _Builder:
    def __init__(self, spec: dict, user, params: dict | None):
        self.user = user
        self.params = params or {}
        self.context = Context(
            user=user, company_id=current_company_id(user), today=timezone.localdate()
        )
        self.spec = specs.shape(spec)
        self.conditions = 0

    # ------------------------------------------------------------------ resolving paths
    def entity(self) -> Entity:
        key = self.spec["base"]
        entity = queryables.get(key) if isinstance(key, str) else None
        if entity is None or not entity.base or not entity.may_use(self.user):
            raise QueryError(_("There is no such kind of record to ask about."), _("Base"))
        return entity

    def follow(self, entity: Entity, segments: list[str], part: str, *, many_last: bool):
        """The relations of ``segments`` from ``entity``: to-one all the way (``many_last``:
        the last one may be to-many). Returns (entity reached, ORM prefix, labels, relation)."""
        if len(segments) > specs.MAX_DEPTH:
            raise QueryError(_("A path may follow at most three relations."), part)
        prefix, labels, seen, last = "", [], {entity.key}, None
        for number, key in enumerate(segments, start=1):
            relation = entity.relation(key)
            if relation is None or not allowed(self.user, relation):
                raise QueryError(_("Unknown relation: %(name)s.") % {"name": key}, part)
            target = queryables.get(relation.target)
            if target is None:
                raise QueryError(_("Unknown relation: %(name)s.") % {"name": key}, part)
            if relation.many and not (many_last and number == len(segments)):
                raise QueryError(
                    _("%(name)s has several records: ask for it as a condition (has …).")
                    % {"name": relation.label},
                    part,
                )
            if target.key in seen and not relation.many:
                raise QueryError(_("The path goes round in a circle."), part)
            seen.add(target.key)
            labels.append(str(relation.label))
            if not relation.many:
                prefix += relation.path + "__"
            entity, last = target, relation
        return entity, prefix, labels, last

    def resolve(self, entity: Entity, path, part: str) -> _Resolved:
        if not isinstance(path, str) or not path or len(path) > 200:
            raise QueryError(_("A field is missing."), part)
        *relations, key = path.split(".")
        target, prefix, labels, _last = self.follow(entity, relations, part, many_last=False)
        found = target.field(key)
        if found is None or not allowed(self.user, found):
            raise QueryError(_("Unknown field: %(name)s.") % {"name": path}, part)
        label = " › ".join([*labels, str(found.label)])
        return _Resolved(target, found, prefix, label)

    # ------------------------------------------------------------------ filters
    def condition(self, entity: Entity, node, level: _Level, prefix: str, number: str, depth: int):
        if depth > specs.MAX_NESTING:
            raise QueryError(_("The conditions are nested too deep."), _("Filter %s") % number)
        if not isinstance(node, dict):
            raise QueryError(_("This condition is not understood."), _("Filter %s") % number)
        if "items" in node:
            items = node.get("items") or []
            if not isinstance(items, list):
                raise QueryError(_("This condition is not understood."), _("Filter %s") % number)
            parts = [
                self.condition(
                    entity, item, level, prefix, f"{number}.{i}" if number else str(i), depth + 1
                )
                for i, item in enumerate(items, start=1)
            ]
            parts = [p for p in parts if p is not None]
            if not parts:
                return None
            combined = parts[0]
            for p in parts[1:]:
                combined = (combined | p) if node.get("any") else (combined & p)
            return combined
        self.conditions += 1
        if self.conditions > specs.MAX_CONDITIONS:
            raise QueryError(
                _("A query may have at most %(n)s conditions.") % {"n": specs.MAX_CONDITIONS},
                _("Filter %s") % number,
            )
        if "relation" in node:
            return self.related(entity, node, level, prefix, number, depth)
        part = _("Filter %s") % number
        resolved = self.resolve(entity, node.get("field"), part)
        part = _("Filter %(n)s (%(field)s)") % {"n": number, "field": resolved.label}
        if not resolved.field.filterable:
            raise QueryError(_("This field cannot be filtered on."), part)
        resolved.prefix = prefix + resolved.prefix
        value = node.get("value")
        if node.get("ask") and node.get("param"):
            asked = self.params.get(str(node["param"]))
            if asked not in (None, "", []):
                value = asked
        return self.leaf(resolved, str(node.get("op") or ""), value, level, part)

    def related(self, entity, node, level, prefix, number, depth):
        part = _("Filter %s") % number
        path = node.get("relation")
        if not isinstance(path, str) or not path:
            raise QueryError(_("A relation is missing."), part)
        target, more, labels, relation = self.follow(entity, path.split("."), part, many_last=True)
        inner = node.get("filter") or {"items": []}
        has = node.get("has", True) is not False
        if not relation.many:  # to-one: the same SELECT, through the join
            condition = self.condition(target, inner, level, prefix + more, number, depth + 1)
            if condition is None:
                condition = Q(**{f"{prefix}{more}pk__isnull": False})
            return condition if has else ~condition
        outer = prefix + more[: -len("__")] if more else prefix.rstrip("_")
        link = f"{outer}__pk" if outer else "pk"
        rows = target.rows_for(self.user).filter(**{relation.back: OuterRef(link)})
        if relation.where is not None:
            rows = rows.filter(relation.where(self.context))
        sub = _Level(prefix_tag=f"r{depth}_{number.replace('.', '_')}_")
        condition = self.condition(target, inner, sub, "", number, depth + 1)
        rows = rows.alias(**sub.exprs)
        if condition is not None:
            rows = rows.filter(condition)
        exists = Exists(rows)
        return exists if has else ~exists

    def leaf(self, resolved: _Resolved, op: str, value, level: _Level, part: str):
        kind = resolved.field.type
        if op not in specs.OPS[kind]:
            raise QueryError(_("This operator does not fit this field."), part)
        if resolved.field.many:
            return self.many_leaf(resolved, op, value, part)
        name = level.name_for(
            f"f:{resolved.prefix}{resolved.field.key}@{id(resolved.entity)}",
            resolved.expression(self.context),
        )
        try:
            return self.lookup(name, resolved, op, value)
        except BadValue as error:
            raise QueryError(str(error), part) from None

    def many_leaf(self, resolved: _Resolved, op: str, value, part: str):
        model, path = resolved.entity.model, resolved.field.orm_path()
        rows = model.objects.filter(pk=OuterRef(resolved.prefix + "pk"))
        if op in ("empty", "not_empty"):
            has = Exists(rows.filter(**{f"{path}__isnull": False}))
            return ~has if op == "empty" else has
        try:
            values = self.choice_values(resolved, op, value)
        except BadValue as error:
            raise QueryError(str(error), part) from None
        has = Exists(rows.filter(**{f"{path}__in": values}))
        return ~has if op in ("not_equals", "not_in") else has

    def choice_values(self, resolved, op, value) -> list:
        raw = value if op in ("in", "not_in") else [value]
        if not isinstance(raw, list) or not raw:
            raise BadValue(_("Choose at least one value."))
        if len(raw) > specs.MAX_IN:
            raise BadValue(_("At most %(n)s values may be listed.") % {"n": specs.MAX_IN})
        known = {str(v): v for v, _label in resolved.field.choice_pairs()}
        chosen = []
        for item in raw:
            if str(item) not in known:
                raise BadValue(_("%(value)s is not one of the choices.") % {"value": item})
            chosen.append(known[str(item)])
        return chosen

    def lookup(self, name: str, resolved: _Resolved, op: str, value):
        kind = resolved.field.type
        if op == "empty":
            return Q(**{f"{name}__isnull": True}) | (Q(**{name: ""}) if kind == "text" else Q())
        if op == "not_empty":
            condition = Q(**{f"{name}__isnull": False})
            return condition & ~Q(**{name: ""}) if kind == "text" else condition
        if kind == "text":
            return self.text_lookup(name, op, value)
        if kind in NUMERIC:
            return self.compare(name, op, value, parse_number)
        if kind in ("date", "datetime"):
            return self.date_lookup(name, op, value, datetime_field=kind == "datetime")
        if kind == "boolean":
            return Q(**{name: op == "is_true"})
        if kind == "choice":
            values = self.choice_values(resolved, op, value)
            condition = Q(**{f"{name}__in": values})
            return ~condition if op in ("not_equals", "not_in") else condition
        # user
        if op == "me":
            return Q(**{name: self.user.pk})
        if op == "my_team":
            return Q(**{f"{name}__in": sorted(scope_owner_ids(self.user))})
        ids = self.user_ids(value, many=op in ("in", "not_in"))
        condition = Q(**{f"{name}__in": ids})
        return ~condition if op == "not_in" else condition

    @staticmethod
    def user_ids(value, *, many: bool) -> list[int]:
        raw = value if many else [value]
        if not isinstance(raw, list) or not raw:
            raise BadValue(_("Choose a user."))
        if len(raw) > specs.MAX_IN:
            raise BadValue(_("At most %(n)s values may be listed.") % {"n": specs.MAX_IN})
        try:
            return [int(item) for item in raw]
        except (TypeError, ValueError):
            raise BadValue(_("Choose a user.")) from None

    @staticmethod
    def text_lookup(name, op, value):
        if op == "in":
            if not isinstance(value, list) or not value:
                raise BadValue(_("List at least one value."))
            if len(value) > specs.MAX_IN:
                raise BadValue(_("At most %(n)s values may be listed.") % {"n": specs.MAX_IN})
            return Q(**{f"{name}__in": [str(v)[:500] for v in value]})
        text = str(value if value is not None else "")[:500]
        if not text:
            raise BadValue(_("Type a text to look for."))
        lookups = {
            "contains": "icontains",
            "not_contains": "icontains",
            "starts_with": "istartswith",
            "equals": "iexact",
            "not_equals": "iexact",
        }
        condition = Q(**{f"{name}__{lookups[op]}": text})
        return ~condition if op in ("not_contains", "not_equals") else condition

    @staticmethod
    def compare(name, op, value, parse):
        if op == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise BadValue(_("Give both ends of the range."))
            low, high = parse(value[0]), parse(value[1])
            return Q(**{f"{name}__gte": low, f"{name}__lte": high})
        if op == "in":
            if not isinstance(value, list) or not value:
                raise BadValue(_("List at least one value."))
            if len(value) > specs.MAX_IN:
                raise BadValue(_("At most %(n)s values may be listed.") % {"n": specs.MAX_IN})
            return Q(**{f"{name}__in": [parse(v) for v in value]})
        number = parse(value)
        lookups = {"equals": "exact", "not_equals": "exact", "lt": "lt", "lte": "lte"}
        lookups |= {"gt": "gt", "gte": "gte"}
        condition = Q(**{f"{name}__{lookups[op]}": number})
        return ~condition if op == "not_equals" else condition

    def date_lookup(self, name, op, value, *, datetime_field: bool):
        if op == "relative":
            if value not in specs.RELATIVE_KEYS:
                raise BadValue(_("Choose a period."))
            first, last = period(value, self.context.today)
        elif op == "between":
            if not isinstance(value, list | tuple) or len(value) != 2:
                raise BadValue(_("Give both ends of the range."))
            first, last = parse_date(value[0]), parse_date(value[1])
        else:
            first = last = parse_date(value)
        if not datetime_field:
            bounds = {"equals": (first, last), "before": (None, first - _DAY)}
            bounds |= {"after": (last + _DAY, None)}
            low, high = bounds.get(op, (first, last))
            condition = Q()
            if low is not None:
                condition &= Q(**{f"{name}__gte": low})
            if high is not None:
                condition &= Q(**{f"{name}__lte": high})
            return condition
        start, end = _moment(first), _moment(last + _DAY)
        if op == "before":
            return Q(**{f"{name}__lt": start})
        if op == "after":
            return Q(**{f"{name}__gte": end})
        return Q(**{f"{name}__gte": start, f"{name}__lt": end})

    # ------------------------------------------------------------------ the whole query
    def build(self) -> "Built":
        entity = self.entity()
        level = _Level(prefix_tag="q")
        condition = self.condition(entity, self.spec["filter"], level, "", "", 0)
        rows = entity.rows_for(self.user)
        group = self.spec["group"]
        if group["by"]:
            return self.grouped(entity, rows, level, condition)
        columns, shown = [], {}
        for number, path in enumerate(self.spec["columns"] or entity.default_columns, start=1):
            resolved = self.resolve(entity, path, _("Column %s") % number)
            name = f"c{number - 1}"
            shown[name] = resolved.expression(self.context)
            columns.append(self.column(path, resolved))
        if not columns:
            raise QueryError(_("Choose at least one column."), _("Columns"))
        order = []
        for number, item in enumerate(self.spec["sort"], start=1):
            part = _("Sort %s") % number
            resolved = self.resolve(entity, item.get("field"), part)
            if not resolved.field.sortable or resolved.field.many:
                raise QueryError(_("The rows cannot be sorted by this field."), part)
            name = f"s{number - 1}"
            shown[name] = _sortable(resolved, self.context)
            order.append(("-" if item.get("desc") else "") + name)
        filtered = rows.alias(**level.exprs)
        if condition is not None:
            filtered = filtered.filter(condition)
        order.append("-pk" if not order or self.spec["sort"][-1].get("desc") else "pk")
        return Built(
            entity=entity,
            columns=columns,
            grouped=False,
            filtered=filtered,
            queryset=filtered.annotate(**shown).values_list(
                *[f"c{i}" for i in range(len(columns))]
            ),
            annotated=filtered.annotate(**shown),
            order=order,
            builder=self,
        )

    def grouped(self, entity, rows, level, condition) -> "Built":
        group = self.spec["group"]
        keys, columns = {}, []
        for number, item in enumerate(group["by"], start=1):
            part = _("Group %s") % number
            resolved = self.resolve(entity, item.get("field"), part)
            if not resolved.field.groupable or resolved.field.many:
                raise QueryError(_("The rows cannot be grouped by this field."), part)
            expression = resolved.expression(self.context)
            trunc = item.get("trunc") or ""
            column = self.column(item["field"], resolved)
            if trunc:
                if resolved.field.type not in ("date", "datetime") or trunc not in specs.TRUNCS:
                    raise QueryError(_("Only dates can be grouped by a period."), part)
                output = DateField()
                expression = Trunc(expression, trunc, output_field=output)
                column.type = "date"
                column.label = f"{column.label} ({specs.trunc_label(trunc)})"
            keys[f"g{number - 1}"] = expression
            columns.append(column)
        measures = {}
        for number, item in enumerate(group["measures"] or [{"fn": "count"}], start=1):
            part = _("Measure %s") % number
            fn = item.get("fn")
            if fn not in MEASURES:
                raise QueryError(_("Unknown function."), part)
            name = f"m{number - 1}"
            if fn == "count":
                measures[name] = Count("pk")
                columns.append(Column(name, str(specs.fn_label(fn)), "number"))
                continue
            resolved = self.resolve(entity, item.get("field"), part)
            if resolved.field.type not in NUMERIC or resolved.field.many:
                raise QueryError(_("Only numbers can be summed or averaged."), part)
            measures[name] = MEASURES[fn](resolved.expression(self.context))
            label = f"{specs.fn_label(fn)}: {resolved.label}"
            columns.append(Column(name, label, resolved.field.type))
        order = []
        for number, item in enumerate(self.spec["sort"], start=1):
            key = item.get("field")
            target = _grouped_sort_name(key, group["by"], measures)
            if target is None:
                raise QueryError(
                    _("A grouped query is sorted by its groups or measures."), _("Sort %s") % number
                )
            order.append(("-" if item.get("desc") else "") + target)
        order += [name for name in keys if name not in {o.lstrip("-") for o in order}]
        filtered = rows.alias(**level.exprs)
        if condition is not None:
            filtered = filtered.filter(condition)
        names = [*keys, *measures]
        queryset = (
            filtered.annotate(**keys)
            .values(*keys)
            .annotate(**measures)
            .order_by(*order)
            .values_list(*names)
        )
        return Built(
            entity=entity,
            columns=columns,
            grouped=True,
            filtered=filtered,
            queryset=queryset,
            annotated=None,
            order=order,
            builder=self,
        )

    def column(self, key: str, resolved: _Resolved) -> Column:
        choices = None
        if resolved.field.type == "choice":
            choices = dict(resolved.field.choice_pairs())
        return Column(key, resolved.label, resolved.field.type, resolved.field.many, choices)


_DAY = datetime.timedelta(days=1)


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


_SORT_NULL = {
    "text": (Value(""), CharField()),
    "number": (Value(-(10**15)), DecimalField()),
    "money": (Value(-(10**15)), DecimalField()),
    "date": (Value(datetime.date(1, 1, 1)), DateField()),
    "boolean": (Value(False), BooleanField()),
    "user": (Value(0), IntegerField()),
}


def _sortable(resolved: _Resolved, context):
    """A sort key without NULLs (they sort first), so that keyset pages never skip a row."""
    kind = resolved.field.type
    expression = resolved.expression(context)
    if kind == "datetime":
        low = Value(datetime.datetime(1, 1, 2, tzinfo=datetime.UTC))
        return Coalesce(expression, low, output_field=DateTimeField())
    if kind == "choice":
        pairs = resolved.field.choice_pairs()
        numeric = bool(pairs) and isinstance(pairs[0][0], int)
        low = Value(0) if numeric else Value("")
        return Coalesce(expression, low)
    low, output = _SORT_NULL[kind]
    return Coalesce(expression, low, output_field=output)


def _grouped_sort_name(key, by, measures) -> str | None:
    if key in measures:
        return key
    for number, item in enumerate(by):
        if item.get("field") == key:
            return f"g{number}"
    return None


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
    builder: _Builder
    _names: dict = field(default_factory=dict)

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
            rows = list(self.queryset[: settings.QUERY_MAX_GROUPS])
            self.prepare(rows)
            return Page([self.display_row(r) for r in rows], None, None)
        keys, following, previous = keyset.page_window(
            self.annotated, order=self.order, after=after, before=before, size=size
        )
        names = [f"c{i}" for i in range(len(self.columns))]
        fetched = {
            row[0]: row[1:]
            for row in self.annotated.filter(pk__in=keys).order_by().values_list("pk", *names)
        }
        rows = [fetched[key] for key in keys if key in fetched]
        self.prepare(rows)
        return Page([self.display_row(r) for r in rows], following, previous)

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
        rows = list(self.queryset[: settings.QUERY_MAX_GROUPS])
        self.prepare(rows)
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
        labels = list(dict.fromkeys(t[1] for t in text))
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


def _number(value):
    return float(value) if value is not None else 0


def build(spec: dict, user, *, params: dict | None = None) -> Built:
    """The query ``spec`` as ``user`` may run it; ``QueryError`` for anything wrong in it."""
    if not user.has_perm("crm.run_query_builder"):
        raise QueryError(_("You may not use the query builder."), _("Query"))
    return _Builder(spec, user, params).build()


# Translations shown by the catalog and in messages.
LABELS = {"yes": gettext_lazy("yes"), "no": gettext_lazy("no")}
