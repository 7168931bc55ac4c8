"""Expressions the apps' registrations share: typed values of a jsonb attribute, a related
row's value by subquery."""

from django.db.models import BooleanField, DateField, DecimalField, F, Func, TextField, Value
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast


class _JsonPath(Func):
    """``jsonb_path_query_first(column, path::jsonpath)``: a value of the given JSON type or
    NULL, so that a malformed stored value is an empty cell, never an SQL error."""

    function = "jsonb_path_query_first"
    template = "%(function)s(%(expressions)s::jsonpath)"


class _JsonText(Func):
    template = "(%(expressions)s #>> '{}')"
    output_field = TextField()


def json_value(column: str, key: str, kind: str):
    """The attribute ``key`` of the jsonb ``column`` as ``kind`` (text, number, date,
    boolean); values of another JSON type read as NULL."""
    if kind in ("text", "choice"):
        return KeyTextTransform(key, column)
    json_type = {"number": "number", "money": "number", "boolean": "boolean", "date": "string"}
    path = f'$."{key}" ? (@.type() == "{json_type[kind]}")'
    found = _JsonPath(F(column), Value(path))
    if kind in ("number", "money"):
        return Cast(found, DecimalField(max_digits=30, decimal_places=6))
    if kind == "boolean":
        return Cast(found, BooleanField())
    dated = _JsonPath(
        F(column), Value(f'$."{key}" ? (@ like_regex "^[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}}$")')
    )
    return Cast(_JsonText(dated), DateField())
