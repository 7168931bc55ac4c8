"""A user's access profile, read once per request from the shared cache instead of six to eight
queries: their permissions (what ``user.has_perm`` answers from), their own companies, their
subordinates (the hierarchy scope), which kinds of object grants they hold and the people of
their current company (the owner filters' choices).

``AccessProfileMiddleware`` (right after Django's ``AuthenticationMiddleware``) attaches the
profile to ``request.user`` in the attributes that ``ModelBackend``, ``crm.scoping`` and
``crm.hierarchy`` already cache their answers in for the request, so nothing else changes:
without the middleware (Celery tasks, the shell) everything is asked from the database as before.

The **user row** itself is cached beside the profile, under the same generation, by the
authentication backend ``CachingModelBackend``: a signed-in request reads its session (Redis,
``crm.sessions``), the generation and then the user with its profile in one round trip, and asks
the database nothing. A login saves only ``last_login``, which changes no profile and bumps
nothing; any other save of a user (a password, the active flag, a name) bumps the generation.

The profile is keyed by a **generation** number that every change to what it is built from
bumps (signals on users, permissions, groups, memberships, companies, supervisor links and
django-guardian grants; again after the transaction commits, so that a request that read the old
state in between cannot keep it). Writes that bypass signals (raw SQL, ``QuerySet.update``) must
call ``bump()``; without it, what they changed shows within ``PROFILE_SECONDS`` plus the
worker's ``LOCAL_SECONDS``, when the cached copies expire. When the cache cannot be
reached the profile is built from the database, so a Redis outage slows pages, never breaks them.
"""

from __future__ import annotations

import contextvars
import copy
import logging
import threading
import time
from functools import partial

from cachetools import TTLCache
from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction
from django.utils.functional import SimpleLazyObject

log = logging.getLogger(__name__)

GENERATION_KEY = "crm:access:generation"
PROFILE_SECONDS = 300
# Part of every profile's key: raise it when the profile's contents change, so that a new
# release never reads a profile an older one cached.
PROFILE_FORMAT = 4


def generation() -> int:
    value = cache.get(GENERATION_KEY)
    if value is None:
        # A number never used before (time-based), so entries that outlived a lost counter are
        # not read again.
        fresh = time.time_ns() // 1000
        cache.add(GENERATION_KEY, fresh, None)
        value = cache.get(GENERATION_KEY) or fresh
    return int(value)


def _increment() -> None:
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # the counter is gone: start a new one
        cache.add(GENERATION_KEY, time.time_ns() // 1000, None)
    except Exception:  # noqa: BLE001 - what it holds expires within PROFILE_SECONDS
        log.warning("access profiles: the cache cannot be reached to bump the generation")


def bump(*args, **kwargs) -> None:
    """Forget every cached profile: now, and again once the current transaction commits."""
    _increment()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_increment)


def build(user) -> dict:
    """The profile of ``user`` from the database."""
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from .hierarchy import _DOWN, _query
    from .models import Company, User

    companies = list(
        Company.objects.filter(memberships__user=user, is_active=True)
        .order_by("name")
        .values_list("pk", "name")
    )
    grants = set(
        UserObjectPermission.objects.filter(user=user)
        .values_list("content_type_id", "permission__codename")
        .distinct()
    ) | set(
        GroupObjectPermission.objects.filter(group__user=user)
        .values_list("content_type_id", "permission__codename")
        .distinct()
    )
    ids = [pk for pk, _name in companies]
    current = user.current_company_id if user.current_company_id in ids else (ids or [None])[0]
    colleagues = [
        (u.pk, str(u))
        for u in User.objects.filter(is_active=True, memberships__company_id=current)
        .only("pk", "username", "first_name", "last_name")
        .order_by("last_name", "first_name", "pk")
    ]
    return {
        "perms": frozenset(ModelBackend().get_all_permissions(user)),
        "companies": tuple(companies),
        "subordinates": frozenset(row[0] for row in _query(_DOWN, user.pk)) - {user.pk},
        "grants": frozenset(grants),
        "colleagues": tuple(colleagues),
    }


def _keys(user_pk: int, current: int | None = None) -> tuple[str, str]:
    """The cache keys of a user's row and of their profile, in the current generation."""
    stem = f"crm:access:{PROFILE_FORMAT}:{current or generation()}:{user_pk}"
    return f"{stem}:user", f"{stem}:profile"


def request_generation(user) -> int | None:
    """The generation that ``user`` (the request's) was read in, or None: what a fragment
    rendered for this user and cached may be keyed by (``crm.fragments``)."""
    return getattr(user, "_crm_generation", None)


def attach(user, profile: dict | None = None, profile_key: str | None = None):
    """Fills the request caches of ``user`` from its profile (given, cached, or built and
    cached)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return user
    if profile is None:
        if profile_key is None:
            try:
                profile_key = _keys(user.pk)[1]
                profile = cache.get(profile_key)
            except Exception:  # noqa: BLE001 - see the module's docstring
                log.warning("access profiles: the cache cannot be reached; reading the database")
                profile_key = None
        if profile is None:
            profile = build(user)
            if profile_key is not None:
                try:
                    cache.set(profile_key, profile, PROFILE_SECONDS)
                except Exception:  # noqa: BLE001
                    log.warning("access profiles: the cache cannot be reached to store a profile")
    user._perm_cache = set(profile["perms"])
    user._crm_company_ids = frozenset(pk for pk, _name in profile["companies"])
    user._crm_companies = profile["companies"]  # shared by requests: read only
    user._crm_subordinate_ids = profile["subordinates"]
    user._crm_grants = profile["grants"]
    user._crm_colleagues = profile["colleagues"]
    return user


# Keys that other apps want read on every signed-in request, in the same round trip as the
# generation (``with_generation``): functions of the user's id that give a cache key.
_with_generation: list = []


# Cache keys the same for every user, read on every signed-in request (crm.reference's
# generation).
_constant_keys: list[str] = []


def with_generation_constant(key: str) -> None:
    """Registers a key read beside the generation on every signed-in request, for everyone;
    ``request_value(key)`` answers from it during the request."""
    if key not in _constant_keys:
        _constant_keys.append(key)


def with_generation(key_of) -> None:
    """Registers ``key_of(user_id) -> cache key``, read beside the generation on every
    signed-in request; ``prefetched(user, key)`` answers from it (apps' ``ready()``)."""
    if key_of not in _with_generation:
        _with_generation.append(key_of)


# What was read with the generation for the current request (crm.reference reads its own
# generation here): an empty dict for each request (AccessProfileMiddleware), filled by
# CachingModelBackend when the request's user is read; None outside requests.
_request_values: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "crm_request_values", default=None
)


def request_value(key: str):
    """(True, value) when ``key`` was read with the generation for the current request (value
    None: missing from the cache), else (False, None)."""
    known = _request_values.get()
    if known is None or key not in known:
        return False, None
    return True, known[key]


def prefetched(user, key: str):
    """(True, value) when ``key`` was read for this request's ``user`` (value None: missing
    from the cache), else (False, None)."""
    known = getattr(user, "_crm_prefetched", None)
    if known is None or key not in known:
        return False, None
    return True, known[key]


# The user rows and profiles of this worker's recent requests, by (generation, user): a page
# gets them without a second round trip or unpickling. The generation, read from Redis on
# every request, turns any change into a miss; they also expire after LOCAL_SECONDS, which with
# the shared cache's PROFILE_SECONDS bounds what a write that bypasses the signals leaves stale.
LOCAL_SIZE = 1000
LOCAL_SECONDS = 60
_local: TTLCache[tuple[int, int], tuple] = TTLCache(LOCAL_SIZE, LOCAL_SECONDS)
_local_lock = threading.Lock()


class CachingModelBackend(ModelBackend):
    """Django's ``ModelBackend`` whose ``get_user``, asked on every signed-in request, reads the
    user row and its access profile from the worker's memory or the shared cache (keyed by the
    generation, so every change that matters is seen at once), and the database only when they
    are not there. Logging in, permissions and everything else are ``ModelBackend``'s."""

    def get_user(self, user_id):
        extra = [key_of(user_id) for key_of in _with_generation] + _constant_keys
        try:
            read = cache.get_many([GENERATION_KEY, *extra])
            current = int(read[GENERATION_KEY]) if GENERATION_KEY in read else generation()
        except Exception:  # noqa: BLE001 - see the module's docstring
            log.warning("access profiles: the cache cannot be reached; reading the database")
            return super().get_user(user_id)
        with _local_lock:
            local = _local.get((current, user_id))
        if local is not None:
            user, profile = copy.copy(local[0]), local[1]
            profile_key = None
        else:
            user_key, profile_key = _keys(user_id, current)
            try:
                found = cache.get_many([user_key, profile_key])
            except Exception:  # noqa: BLE001
                found = {}
            user, profile = found.get(user_key), found.get(profile_key)
            if user is None:
                user = super().get_user(user_id)
                if user is None:
                    return None
                try:
                    cache.set(user_key, user, PROFILE_SECONDS)
                except Exception:  # noqa: BLE001
                    log.warning("access profiles: the cache cannot be reached to store a user")
            elif profile is not None:
                with _local_lock:
                    _local[(current, user_id)] = (user, profile)
                user = copy.copy(user)
        if not self.user_can_authenticate(user):
            return None
        user._crm_profile = (profile, profile_key)
        user._crm_generation = current
        user._crm_prefetched = {key: read.get(key) for key in extra}
        # Only inside a request (AccessProfileMiddleware): a user read elsewhere (a task, a
        # test) must not leave its values to whatever runs next in this thread.
        known = _request_values.get()
        if known is not None:
            known.update(user._crm_prefetched)
        return user


def colleagues(user) -> list[tuple[int, str]] | None:
    """(pk, name) of the active members of the user's current company, by name, when the
    request's profile holds them (else None: ask the database)."""
    return getattr(user, "_crm_colleagues", None)


def _user(request):
    from django.contrib.auth.middleware import get_user

    user = get_user(request)
    profile, key = user.__dict__.pop("_crm_profile", (None, None))
    return attach(user, profile, key)


class AccessProfileMiddleware:
    """Replaces ``request.user`` by one that carries its access profile: read at once when the
    request carries a session cookie (a signed-in page reads its user anyway, and every use
    of a lazy object's attribute costs three lookups more: about 90 on a partner page), else
    left lazy (static files, public links, the health check)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        reset = _request_values.set({})  # filled when the user is read (CachingModelBackend)
        try:
            if settings.SESSION_COOKIE_NAME in request.COOKIES:
                request.user = _user(request)
            else:
                request.user = SimpleLazyObject(partial(_user, request))
            return self.get_response(request)
        finally:
            _request_values.reset(reset)


def _user_saved(sender, instance, update_fields=None, **kwargs) -> None:
    """A name, an active flag or the current company is part of profiles; a login (which saves
    only ``last_login``) is not."""
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    bump()


def connect_signals() -> None:
    """Called from ``CrmConfig.ready()``: every change that alters a profile bumps the
    generation."""
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
    from guardian.models import GroupObjectPermission, UserObjectPermission

    from .models import Company, Membership, SupervisorLink, User

    for model in (
        Company,
        Membership,
        SupervisorLink,
        Group,
        Permission,
        UserObjectPermission,
        GroupObjectPermission,
    ):
        post_save.connect(bump, sender=model, dispatch_uid=f"crm.access.save.{model.__name__}")
        post_delete.connect(bump, sender=model, dispatch_uid=f"crm.access.del.{model.__name__}")
    post_delete.connect(bump, sender=User, dispatch_uid="crm.access.del.User")
    post_save.connect(_user_saved, sender=User, dispatch_uid="crm.access.save.User")
    for through in (User.groups.through, User.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(bump, sender=through, dispatch_uid=f"crm.access.m2m.{through.__name__}")
    post_migrate.connect(bump, dispatch_uid="crm.access.migrate")
