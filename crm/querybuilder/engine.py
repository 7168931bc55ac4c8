"""A query spec (JSON from the browser, see ``spec``) turned into a scoped queryset.

Nothing of the spec reaches SQL except through the registry: every field, relation, operator
and function is looked up there and refused with a ``QueryError`` naming the part of the query
at fault. Rows always start from the base entity's ``visible_to(user)``; a related entity's rows
in "has … where" from its own ``visible_to(user)``; a field the user has no function for is
refused wherever it appears (column, filter, sort, group, measure).
"""

import datetime

from django.db.models import (
    Avg,
    BooleanField,
    CharField,
    Count,
    DateField,
    DateTimeField,
    DecimalField,
    IntegerField,
    Max,
    Min,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.scoping import current_company_id

from . import spec as specs
from .conditions import NUMERIC, Conditions, _Level, _Resolved
from .registry import Context, Entity, allowed, queryables
from .results import Built, Column
from .spec import QueryError

__all__ = ["Built", "QueryError", "build"]

MEASURES = {"count": Count, "sum": Sum, "avg": Avg, "min": Min, "max": Max}


class _Builder(Conditions):
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
            shown[name] = _sortable(resolved, self.context, entity.model)
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
            by_key=rows.annotate(**shown),
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


_SORT_NULL = {
    "text": (Value(""), CharField()),
    "number": (Value(-(10**15)), DecimalField()),
    "money": (Value(-(10**15)), DecimalField()),
    "date": (Value(datetime.date(1, 1, 1)), DateField()),
    "boolean": (Value(False), BooleanField()),
    "user": (Value(0), IntegerField()),
}


def _sortable(resolved: _Resolved, context, base_model):
    """A sort key without NULLs (they sort first), so that keyset pages never skip a row; a
    value that cannot be NULL as it is, so that an index in its order can serve the page."""
    kind = resolved.field.type
    expression = resolved.expression(context)
    if not resolved.nullable(base_model):
        return expression
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


def build(spec: dict, user, *, params: dict | None = None) -> Built:
    """The query ``spec`` as ``user`` may run it; ``QueryError`` for anything wrong in it."""
    if not user.has_perm("crm.run_query_builder"):
        raise QueryError(_("You may not use the query builder."), _("Query"))
    return _Builder(spec, user, params).build()
