"""The filter part of a query: nested AND/OR groups, "has / has no" over relations, and one
condition per field with the operators of its type, values parsed the Hungarian way."""

import datetime
from dataclasses import dataclass, field

from django.contrib.postgres.expressions import ArraySubquery
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.hierarchy import scope_owner_ids

from . import spec as specs
from .registry import Context, Entity
from .spec import QueryError
from .values import BadValue, parse_date, parse_number, period

NUMERIC = ("number", "money")


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

    def nullable(self, base_model) -> bool:
        """Whether the value may be NULL: a computed or many-valued one, or a path from
        ``base_model`` with a nullable field or foreign key on its way."""
        if self.field.expression is not None or self.field.many:
            return True
        model = base_model
        for name in (self.prefix + self.field.orm_path()).split("__"):
            try:
                found = model._meta.get_field(name)
            except (FieldDoesNotExist, AttributeError):
                return True
            if found.null:
                return True
            model = found.related_model if found.is_relation else None
        return False


class Conditions:
    """The filter half of the query builder (``engine._Builder``)."""

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
        link = _m2m_link(model, path)
        if link is not None:  # the link table alone: one index probe, no join back
            through, source, target = link
            rows = through.objects.filter(**{source: OuterRef(resolved.prefix + "pk")})
            path = target
        else:
            rows = model.objects.filter(pk=OuterRef(resolved.prefix + "pk"))
        if op in ("empty", "not_empty"):
            has = Exists(rows if link else rows.filter(**{f"{path}__isnull": False}))
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


_DAY = datetime.timedelta(days=1)


def _m2m_link(model, path: str):
    """(link model, its field to ``model``, its field to the values) when ``path`` is a
    many-to-many field of ``model`` (a contact's types): "has a value among …" is then asked of
    the link table's rows alone, instead of the model joined to it again (which PostgreSQL
    probed row by row after the contact's other conditions, a page of activities of partners
    "with a financial contact" testing each contact's visibility first)."""
    if "__" in path:
        return None
    try:
        found = model._meta.get_field(path)
    except FieldDoesNotExist:
        return None
    if not found.many_to_many or found.auto_created:
        return None
    return found.remote_field.through, found.m2m_field_name(), found.m2m_reverse_field_name()


def _moment(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
