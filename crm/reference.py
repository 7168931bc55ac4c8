"""Reference lists that pages read on every request and admins change rarely (industries, tags,
attribute definitions, …), kept in the shared cache so that a page reads one with a single
cache round trip instead of a query (and a count and a cursor, for a form's select box)::

    @reference(Industry)
    def industries() -> list[Industry]:
        return list(Industry.objects.order_by("code"))

The decorated function takes no arguments (keep every language and every target in the one
value and pick in Python). Saving or deleting a row of a named model forgets the value, at once
and again after the transaction commits; apps import their reference modules in
``AppConfig.ready()`` so that the signals are connected in every process. Writes that bypass
signals (``QuerySet.update``, raw SQL) call ``forget()``. When the cache cannot be reached the
function runs against the database.
"""

from __future__ import annotations

import functools
import logging

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)

SECONDS = 3600


def reference(*models):
    def decorator(build):
        key = f"crm:ref:{build.__module__}.{build.__qualname__}"

        def delete() -> None:
            try:
                cache.delete(key)
            except Exception:  # noqa: BLE001 - an unreachable cache holds nothing stale
                log.warning("reference lists: the cache cannot be reached to forget %s", key)

        def forget(*args, **kwargs) -> None:
            delete()
            if transaction.get_connection().in_atomic_block:
                transaction.on_commit(delete)

        for model in models:
            uid = f"{key}:{model._meta.label}"
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}:delete")

        @functools.wraps(build)
        def get():
            try:
                value = cache.get(key)
            except Exception:  # noqa: BLE001
                log.warning("reference lists: the cache cannot be reached; reading the database")
                return build()
            if value is None:
                value = build()
                try:
                    cache.set(key, value, SECONDS)
                except Exception:  # noqa: BLE001
                    log.warning("reference lists: the cache cannot be reached to keep %s", key)
            return value

        get.forget = forget
        return get

    return decorator
