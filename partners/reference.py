"""The partner app's reference lists, read on every list page: kept in the shared cache
(``crm.reference``), forgotten when an admin changes them."""

import contextlib
import functools

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from crm.access import prefetched
from crm.reference import reference

from .models import AttributeDefinition, ColumnChoice, ContactType, Industry, Tag


@reference(Industry)
def industries() -> list[Industry]:
    return list(Industry.objects.order_by("code"))


def industry_by_id() -> dict[int, Industry]:
    return {industry.pk: industry for industry in industries()}


@reference(Tag)
def tags() -> list[Tag]:
    return list(Tag.objects.order_by("name"))


@reference(ContactType)
def contact_types() -> list[ContactType]:
    return list(ContactType.objects.order_by("order", "pk"))


@reference(AttributeDefinition)
def attribute_definitions() -> list[AttributeDefinition]:
    """The active definitions of every target, in their order."""
    return list(AttributeDefinition.objects.filter(active=True).order_by("order", "pk"))


def _column_key(user_id: int, screen: str) -> str:
    return f"partners:columns:{user_id}:{screen}"


def column_keys() -> list:
    """``user_id -> cache key`` of each list's column choice: read in the same round trip as
    the access generation on every signed-in request (``crm.access.with_generation``, from
    ``PartnersConfig.ready``), so that a list page asks the cache nothing more for them."""
    from .tables import SCREENS

    return [functools.partial(_column_key, screen=screen) for screen in SCREENS]


def column_choice(user, screen: str) -> list[str] | None:
    """The columns ``user`` (the request's) chose for a list (None: the default ones), kept in
    the cache; a save or delete of the choice forgets it (signals below)."""
    key = _column_key(user.pk, screen)
    asked, cached = prefetched(user, key)  # read with the request's user (crm.access)
    if not asked:
        with contextlib.suppress(Exception):  # the cache only accelerates
            cached = cache.get(key)
    if cached is not None:
        return cached["columns"]
    row = ColumnChoice.objects.filter(user_id=user.pk, screen=screen).first()
    columns = row.columns if row else None
    with contextlib.suppress(Exception):
        cache.set(key, {"columns": columns}, 3600)
    return columns


def _forget_columns(sender, instance, **kwargs) -> None:
    key = _column_key(instance.user_id, instance.screen)

    def forget() -> None:
        with contextlib.suppress(Exception):
            cache.delete(key)

    forget()
    transaction.on_commit(forget)


post_save.connect(_forget_columns, sender=ColumnChoice, dispatch_uid="partners.columns.save")
post_delete.connect(_forget_columns, sender=ColumnChoice, dispatch_uid="partners.columns.delete")
