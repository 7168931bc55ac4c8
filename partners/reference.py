"""The partner app's reference lists, read on every list page: kept in the shared cache
(``crm.reference``), forgotten when an admin changes them."""

from crm.reference import reference

from .models import AttributeDefinition, Industry, Tag


@reference(Industry)
def industries() -> list[Industry]:
    return list(Industry.objects.order_by("code"))


def industry_by_id() -> dict[int, Industry]:
    return {industry.pk: industry for industry in industries()}


@reference(Tag)
def tags() -> list[Tag]:
    return list(Tag.objects.order_by("name"))


@reference(AttributeDefinition)
def attribute_definitions() -> list[AttributeDefinition]:
    """The active definitions of every target, in their order."""
    return list(AttributeDefinition.objects.filter(active=True).order_by("order", "pk"))
