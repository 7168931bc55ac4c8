"""Fragments of the page shell that the apps fill in and that refresh themselves: every page
loads each registered URL with HTMX after it has shown, and again every ``every`` seconds
(the activities' due reminders, say). An app registers one in ``AppConfig.ready()``::

    from crm.shell import ShellPoll, polls

    polls.register(ShellPoll(key="reminders", url_name="activities:reminders", order=10,
                             permission="activities.view_activity"))
"""

from dataclasses import dataclass

from .links import fixed_url
from .registry import Registry


@dataclass(frozen=True)
class ShellPoll:
    key: str
    url_name: str
    order: int = 100
    every: int = 60  # seconds
    permission: str | None = None


class PollRegistry(Registry[ShellPoll]):
    kind = "Shell poll"

    def for_user(self, user) -> list[dict]:
        return [
            {"key": poll.key, "url": fixed_url(poll.url_name), "every": poll.every}
            for poll in self.ordered()
            if not poll.permission or user.has_perm(poll.permission)
        ]


polls = PollRegistry()
