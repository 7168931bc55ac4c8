"""Reference lists that pages read on every request and admins change rarely (industries, tags,
attribute definitions, …), kept in the shared cache so that a page reads one with a single
cache round trip instead of a query (and a count and a cursor, for a form's select box)::

    @reference(Industry)
    def industries() -> list[Industry]:
        return list(Industry.objects.order_by("code"))

Values are kept under a **generation** that any change bumps: in Redis, and in each worker's
memory for the generation that the request read with its user (``crm.access``), so a page gets
its lists without a round trip and a change shows everywhere on the next request. Values are
shared between requests: treat them as read-only.

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
import threading
import time

from cachetools import TTLCache
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

log = logging.getLogger(__name__)

SECONDS = 3600
# Bumped by every change to any reference list: part of every value's key, so a change is seen
# by every process on its next request. Read once per request with the user (crm.access).
GENERATION_KEY = "crm:ref:generation"
# The values this worker has read, by (key, generation), for LOCAL_SECONDS: a page gets its
# lists without a cache round trip or unpickling.
LOCAL_SECONDS = 300
_local: TTLCache[tuple[str, int], object] = TTLCache(200, LOCAL_SECONDS)
_local_lock = threading.Lock()


def _generation() -> int:
    """The reference generation of this request (read with the user), else from the cache."""
    from .access import request_value

    found, value = request_value(GENERATION_KEY)
    if not found:
        value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, time.time_ns() // 1000, None)
        value = cache.get(GENERATION_KEY)
    return int(value)


def generation() -> int | None:
    """The reference generation of this request (None when the cache cannot be reached): part
    of the key of what is drawn from the lists and kept (``crm.fragments``)."""
    try:
        return _generation()
    except Exception:  # noqa: BLE001 - nothing is kept without the cache
        return None


def _bump() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # the counter is gone: a new one, never used before
        cache.add(GENERATION_KEY, time.time_ns() // 1000, None)
    except Exception:  # noqa: BLE001 - an unreachable cache holds nothing stale
        log.warning("reference lists: the cache cannot be reached to forget them")


def reference(*models):
    def decorator(build):
        name = f"crm:ref:{build.__module__}.{build.__qualname__}"

        def forget(*args, **kwargs) -> None:
            _bump()
            if transaction.get_connection().in_atomic_block:
                transaction.on_commit(_bump)

        for model in models:
            uid = f"{name}:{model._meta.label}"
            post_save.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}:save")
            post_delete.connect(forget, sender=model, weak=False, dispatch_uid=f"{uid}:delete")

        @functools.wraps(build)
        def get():
            try:
                current = _generation()
            except Exception:  # noqa: BLE001
                log.warning("reference lists: the cache cannot be reached; reading the database")
                return build()
            with _local_lock:
                local = _local.get((name, current))
            if local is not None:
                return local
            key = f"{name}:{current}"
            try:
                value = cache.get(key)
            except Exception:  # noqa: BLE001
                value = None
            if value is None:
                value = build()
                try:
                    cache.set(key, value, SECONDS)
                except Exception:  # noqa: BLE001
                    log.warning("reference lists: the cache cannot be reached to keep %s", key)
            with _local_lock:
                _local[(name, current)] = value
            return value

        get.forget = forget
        return get

    return decorator
