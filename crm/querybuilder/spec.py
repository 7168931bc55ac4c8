"""The shape of a query spec (the JSON the builder page sends and a saved query keeps), its
limits, the operators each field type offers, and the query's filters told in words.

    {"base": "partners",
     "columns": ["name", "city", "owner"],
     "filter": {"any": false, "items": [{"field": "county", "op": "equals", "value": "PE"},
                                        {"relation": "activities", "has": true,
                                         "filter": {"items": [...]}}]},
     "sort": [{"field": "name", "desc": false}],
     "group": {"by": [{"field": "owner"}], "measures": [{"fn": "count"}]}}
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .values import RELATIVE, RELATIVE_KEYS

MAX_DEPTH = 3  # relations followed in one path
MAX_NESTING = 6  # groups and relations inside each other
MAX_CONDITIONS = 100
MAX_IN = 1000
MAX_COLUMNS = 40
MAX_SORT = 5
MAX_GROUP_BY = 3
MAX_MEASURES = 6


class QueryError(ValueError):
    """What is wrong with a query, in the user's language, and which part of it (``part``)."""

    def __init__(self, message, part=""):
        super().__init__(str(message))
        self.part = str(part)


OP_LABELS = {
    "contains": gettext_lazy("contains"),
    "not_contains": gettext_lazy("does not contain"),
    "starts_with": gettext_lazy("starts with"),
    "equals": gettext_lazy("is"),
    "not_equals": gettext_lazy("is not"),
    "in": gettext_lazy("is one of"),
    "not_in": gettext_lazy("is none of"),
    "empty": gettext_lazy("is empty"),
    "not_empty": gettext_lazy("is not empty"),
    "lt": gettext_lazy("less than"),
    "lte": gettext_lazy("at most"),
    "gt": gettext_lazy("more than"),
    "gte": gettext_lazy("at least"),
    "between": gettext_lazy("between"),
    "before": gettext_lazy("before"),
    "after": gettext_lazy("after"),
    "relative": gettext_lazy("in the period"),
    "is_true": gettext_lazy("is yes"),
    "is_false": gettext_lazy("is no"),
    "me": gettext_lazy("is me"),
    "my_team": gettext_lazy("is me or my team"),
}
_EMPTY = ["empty", "not_empty"]
OPS = {
    "text": ["contains", "not_contains", "starts_with", "equals", "not_equals", "in", *_EMPTY],
    "number": ["equals", "not_equals", "lt", "lte", "gt", "gte", "between", "in", *_EMPTY],
    "date": ["relative", "equals", "before", "after", "between", *_EMPTY],
    "boolean": ["is_true", "is_false", "empty"],
    "choice": ["equals", "not_equals", "in", "not_in", *_EMPTY],
    "user": ["me", "my_team", "equals", "in", "not_in", *_EMPTY],
}
OPS["money"] = OPS["number"]
OPS["datetime"] = OPS["date"]
# Operators that take no value.
NO_VALUE = {"empty", "not_empty", "is_true", "is_false", "me", "my_team"}

TRUNCS = {
    "day": gettext_lazy("day"),
    "week": gettext_lazy("week"),
    "month": gettext_lazy("month"),
    "quarter": gettext_lazy("quarter"),
    "year": gettext_lazy("year"),
}
FNS = {
    "count": gettext_lazy("count"),
    "sum": gettext_lazy("sum"),
    "avg": gettext_lazy("average"),
    "min": gettext_lazy("minimum"),
    "max": gettext_lazy("maximum"),
}
__all__ = ["RELATIVE", "RELATIVE_KEYS", "QueryError"]


def trunc_label(key: str) -> str:
    return str(TRUNCS[key])


def fn_label(key: str) -> str:
    return str(FNS[key])


def _list(value, limit: int, part) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        raise QueryError(_("This part of the query is not understood."), part)
    if len(value) > limit:
        raise QueryError(_("At most %(n)s may be given here.") % {"n": limit}, part)
    return value


def shape(spec) -> dict:
    """``spec`` with every part present and of the right kind, or a ``QueryError``."""
    if not isinstance(spec, dict):
        raise QueryError(_("The query is not understood."), _("Query"))
    columns = _list(spec.get("columns"), MAX_COLUMNS, _("Columns"))
    sort = _list(spec.get("sort"), MAX_SORT, _("Sort"))
    if not all(isinstance(item, dict) for item in sort):
        raise QueryError(_("This part of the query is not understood."), _("Sort"))
    filters = spec.get("filter") or {"items": []}
    if not isinstance(filters, dict):
        raise QueryError(_("This part of the query is not understood."), _("Filter"))
    group = spec.get("group") or {}
    if not isinstance(group, dict):
        raise QueryError(_("This part of the query is not understood."), _("Group"))
    by = _list(group.get("by"), MAX_GROUP_BY, _("Group"))
    measures = _list(group.get("measures"), MAX_MEASURES, _("Measures"))
    if not all(isinstance(item, dict) and "field" in item for item in by):
        raise QueryError(_("This part of the query is not understood."), _("Group"))
    if not all(isinstance(item, dict) for item in measures):
        raise QueryError(_("This part of the query is not understood."), _("Measures"))
    return {
        "base": spec.get("base"),
        "columns": columns,
        "filter": filters,
        "sort": sort,
        "group": {"by": by, "measures": measures},
    }


def _value_text(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def describe(builder, entity, node, *, prefix="") -> list[str]:
    """The top-level conditions of ``node`` in words ("County is Pest")."""
    lines = []
    joiner = f" {_('or')} " if node.get("any") else f" {_('and')} "
    for item in node.get("items") or []:
        lines.append(_describe_one(builder, entity, item, joiner))
    if node.get("any") and lines:
        return [joiner.join(lines)]
    return lines


def _describe_one(builder, entity, item, joiner) -> str:
    if "items" in item:
        inner = f" {_('or')} " if item.get("any") else f" {_('and')} "
        return (
            "(" + inner.join(_describe_one(builder, entity, i, inner) for i in item["items"]) + ")"
        )
    if "relation" in item:
        target, _prefix, labels, _last = builder.follow(
            entity, item["relation"].split("."), "", many_last=True
        )
        inner = item.get("filter") or {}
        words = describe(builder, target, inner)
        has = _("has") if item.get("has", True) is not False else _("has no")
        where = f" ({', '.join(words)})" if words else ""
        return f"{has} {' › '.join(labels)}{where}"
    resolved = builder.resolve(entity, item.get("field"), "")
    op = item.get("op")
    text = f"{resolved.label} {OP_LABELS.get(op, op)}"
    if op in NO_VALUE:
        return text
    value = item.get("value")
    if op == "relative":
        value = dict(RELATIVE).get(value, value)
    elif resolved.field.type == "choice":
        labels = dict(resolved.field.choice_pairs())
        values = value if isinstance(value, list) else [value]
        value = [labels.get(v, labels.get(str(v), v)) for v in values]
    if item.get("ask") and item.get("param") and builder.params.get(item["param"]):
        value = builder.params[item["param"]]
    return f"{text} {_value_text(value)}"
