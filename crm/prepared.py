"""Constant statements that busy pages run on every request, prepared once per database
connection, so that PostgreSQL plans them once instead of on every run.

Planning was most of what such statements cost: the partner page's row took 0.55 ms to plan and
0.1 ms to run (``EXPLAIN ANALYZE`` on the benchmark's million partners). Django sends every
query with its values written in (client-side binding), which PostgreSQL must plan afresh each
time, and it keeps psycopg's automatic preparation off. Turning both on for every query was
measured and refused: the search box's ``LIKE 'text%'`` got a generic plan after the fifth run
and took 110 ms instead of 13. So preparing is opt-in, statement by statement, for constant SQL
whose best plan does not depend on the values (look-ups by id, equality on indexed columns).

``prepared_cursor()`` is Django's cursor wrapper (queries are logged and counted as usual) around
a psycopg cursor with server-side parameters on the same connection and transaction; psycopg
keeps the prepared statements per connection (``prepared_max``, 100 by default). Off with
``DATABASE_PREPARED_STATEMENTS=false`` (needed behind a transaction-pooling PgBouncer).

They are planned once, for any values: the connections run with ``plan_cache_mode =
force_generic_plan`` (crm/settings.py), which only concerns statements with server-side
parameters: these, and the triggers' PL/pgSQL statements that read a variable (the table's oid,
say), whose plans do not depend on it either (the import benchmark measured the same rows per
second with and without the setting: 7,481 and 7,260 at 100,000 rows). Left to choose,
PostgreSQL kept planning some of them on every run (custom plans): the home page's panels spent
1.9 ms planning to run 0.6 ms. A statement added here must therefore have one good plan
whatever its values; ``pg_prepared_statements`` shows what each one got.
"""

import psycopg
from django.conf import settings
from django.db import connection
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.base import ModelState
from django.db.models.signals import post_init, pre_init


def prepared_cursor():
    """A cursor for constant statements with ``%(name)s`` parameters, prepared on first use in
    each connection (or Django's usual cursor when preparing is turned off)."""
    if not settings.DATABASE_PREPARED_STATEMENTS:
        return connection.cursor()
    connection.ensure_connection()
    raw = connection.connection
    # Only these cursors bind on the server; Django's own never prepare, whatever this says.
    if raw.prepare_threshold != 0:
        raw.prepare_threshold = 0
    wrapper = _LoggedCursor if connection.queries_logged else CursorWrapper
    return wrapper(psycopg.Cursor(raw), connection)


class _LoggedCursor(CursorDebugWrapper):
    """Logs the statement with its values written in, as Django's own cursors do (a prepared
    statement leaves psycopg nothing to show), so counting and capturing tools see it."""

    def execute(self, sql, params=None):
        shown = self.db.ops.compose_sql(sql, params)
        with self.debug_sql(shown, None, use_last_executed_query=False):
            return CursorWrapper.execute(self, sql, params)


def fetch_models(model, sql: str, params: dict) -> list:
    """Instances of ``model`` from a prepared statement whose columns are the model's fields
    (by column name) and extra values, which become attributes, as ``Model.objects.raw()``."""
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        plan = _plans.get((model, sql))
        if plan is None or plan.width != _width(cursor):
            plan = _plans[model, sql] = _Plan(model, [c.name for c in cursor.description])
    fields, picks, converted, extras = plan.fields, plan.picks, plan.converted, plan.extras
    found = []
    for row in rows:
        values = [row[i] for i in picks]
        for k, col, converters in converted:
            for convert in converters:
                values[k] = convert(values[k], col, connection)
        instance = loaded(model, fields, values, connection.alias)
        for i, name in extras:
            setattr(instance, name, row[i])
        found.append(instance)
    return found


def _width(cursor) -> int:
    """The number of columns of the cursor's result, without building its description."""
    result = getattr(cursor.cursor, "pgresult", None)  # psycopg's; Django's cursor has none
    return result.nfields if result is not None else len(cursor.description)


class _Plan:
    """How a statement's columns become a model's fields and extra attributes: worked out once
    per model and statement (the statements are constant), again if its width changes (a
    migration under a running worker)."""

    def __init__(self, model, names: list[str]):
        self.width = len(names)
        position = {name: i for i, name in enumerate(names)}
        # from_db() takes the values in the model's field order
        present = [f for f in model._meta.concrete_fields if f.column in position]
        self.fields = [f.attname for f in present]
        self.picks = [position[f.column] for f in present]
        columns = {f.column for f in present}
        self.extras = [(i, n) for i, n in enumerate(names) if n not in columns]
        # the fields' own conversions (JSON text to Python, say), as the ORM applies them
        self.converted = [
            (k, f.cached_col, converters)
            for k, f in enumerate(present)
            if (converters := f.get_db_converters(connection))
        ]


_plans: dict[tuple, _Plan] = {}


def loaded(model, field_names: list[str], values: list, alias: str = "default"):
    """``model.from_db(alias, field_names, values)``, about four times cheaper: the values go
    straight into the instance's ``__dict__``, which is all that ``Model.__init__``'s
    ``setattr`` per field does for a new instance (the foreign keys' descriptors also forget a
    cached related object, which a new instance has not). A model with ``pre_init`` or
    ``post_init`` receivers gets ``from_db``, which sends them."""
    if pre_init.has_listeners(model) or post_init.has_listeners(model):
        return model.from_db(alias, field_names, values)
    instance = model.__new__(model)
    instance._state = state = ModelState()
    state.adding, state.db = False, alias
    instance.__dict__.update(zip(field_names, values, strict=True))
    return instance
