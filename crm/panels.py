"""The home page ("my day") is made of panels that the apps contribute.

A panel is a template plus a function that returns its context for the signed-in user.
Apps register theirs in ``AppConfig.ready()``::

    from crm.panels import Panel, panels

    def my_tasks(request):
        return {"tasks": Task.objects.visible_to(request.user).open()[:10]}

    panels.register(Panel(key="my-tasks", title=_("My tasks"), context=my_tasks,
                          template="activities/panels/my_tasks.html",
                          order=20, permission="activities.view_task"))

Each panel's ``context`` runs a constant number of queries, whatever the user's data.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest

from .registry import Registry


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    context: Callable[[HttpRequest], dict]
    order: int = 100
    # Bootstrap column classes: a panel takes a third of a wide screen, all of a phone's.
    width: str = "col-12 col-lg-6 col-xxl-4"
    permission: str | None = None


class PanelRegistry(Registry[Panel]):
    kind = "Panel"

    def for_request(self, request: HttpRequest) -> list[dict]:
        shown = []
        for panel in self.ordered():
            if panel.permission and not request.user.has_perm(panel.permission):
                continue
            shown.append({"panel": panel, "context": panel.context(request)})
        return shown


panels = PanelRegistry()
