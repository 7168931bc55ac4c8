"""The platform's own panels on the home page."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import workdays
from .panels import Panel, panels


def today_context(request) -> dict:
    today = timezone.localdate()
    upcoming = workdays.next_holiday(today)
    return {
        "today": today,
        "is_working_day": workdays.is_working_day(today),
        "holiday_today": workdays.holiday_name(today),
        "next_working_day": workdays.add_working_days(today, 1),
        "next_holiday": upcoming,
    }


def register_menu() -> None:
    from .menu import MenuItem, menu

    menu.register(
        MenuItem(
            key="outbox",
            label=_("Outbox"),
            url_name="messaging:outbox",
            icon="envelope-paper",
            order=900,
            permission="crm.view_message",
        )
    )


def register_panels() -> None:
    panels.register(
        Panel(
            key="today",
            title=_("Today"),
            template="crm/panels/today.html",
            context=today_context,
            order=0,
        )
    )
