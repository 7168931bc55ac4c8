from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "activities"
    verbose_name = _("Activities")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from crm.demo import register as register_demo
        from crm.groups import register_grants
        from crm.menu import MenuItem, menu
        from crm.sections import PageSection, contact_sections, partner_tabs
        from crm.shell import ShellPoll, polls

        from . import demo, panels, queryables, reference, views  # noqa: F401 - reference: its signals
        from .groups import ACTIVITY_GRANTS, TASK_GRANTS

        register_grants(ACTIVITY_GRANTS)
        register_grants(TASK_GRANTS)
        queryables.register()
        from . import templating

        templating.register()  # what document templates may say about activities
        # Whether the user must close meetings first is asked on every page: read it in the
        # same round trip as the access generation.
        from crm.access import with_generation

        from .discipline import overdue_key

        with_generation(overdue_key)
        post_save.connect(_forget_overdue, sender="activities.Activity", dispatch_uid="overdue")
        post_delete.connect(_forget_overdue, sender="activities.Activity", dispatch_uid="overdue")
        register_demo(demo.load_activities)
        menu.register(
            MenuItem(
                key="activities",
                label=_("Activities"),
                url_name="activities:mine",
                icon="calendar-check",
                order=20,
                permission="activities.view_activity",
            )
        )
        menu.register(
            MenuItem(
                key="calendar",
                label=_("Calendar"),
                url_name="activities:calendar",
                icon="calendar3",
                order=21,
                permission="activities.view_activity",
            )
        )
        polls.register(
            ShellPoll(
                key="reminders",
                url_name="activities:reminders",
                order=10,
                permission="activities.view_activity",
            )
        )
        panels.register()
        timeline = {
            "label": _("Timeline"),
            "template": "activities/partials/timeline.html",
            "context": views.timeline_context,
            "permission": "activities.view_activity",
        }
        partner_tabs.register(PageSection(key="timeline", order=15, **timeline))
        contact_sections.register(PageSection(key="timeline", order=10, **timeline))
        # A sales collateral send is recorded on the partner's timeline.
        from documents.collateral import register_send_recorder

        from .collateral import record_send

        register_send_recorder(record_send)


def _forget_overdue(sender, instance, **kwargs) -> None:
    """A saved or deleted activity may start or end its handler's forced closure."""
    from .discipline import forget_overdue

    forget_overdue(instance.owner_id)
