from functools import partial

from django.conf import settings

from .menu import menu
from .models import Company
from .prepared import loaded
from .shell import polls


def shell(request) -> dict:
    """What the base layout needs on every page: the menu, the languages, the companies."""
    user = getattr(request, "user", None)
    context = {
        "shell_languages": settings.LANGUAGES,
        "main_menu": [],
        "my_companies": [],
        "current_company": None,
        "shell_polls": [],
    }
    if not (user and user.is_authenticated):
        return context
    # Called by the template only when the top bar is drawn, not when it comes from memory
    # (crm.fragments).
    context["main_menu"] = partial(menu.for_user, user, request.path)
    # A middleware may silence the polls for the request (forced closure: activities).
    if not getattr(request, "shell_polls_off", False):
        context["shell_polls"] = polls.for_user(user)
    known = getattr(user, "_crm_companies", None)  # (pk, name) by name: crm.access
    if known is not None:
        companies = [loaded(Company, ["id", "name"], [pk, name]) for pk, name in known]
    else:
        companies = list(
            Company.objects.filter(memberships__user=user, is_active=True).order_by("name")
        )
    user._crm_company_ids = frozenset(c.pk for c in companies)
    context["my_companies"] = companies
    context["current_company"] = next(
        (c for c in companies if c.pk == user.current_company_id),
        companies[0] if companies else None,
    )
    return context
