"""What the saved-query tests share: the query builder's functions of the default groups and
its e-mail template, put back when a transactional test before flushed the data migrations'
rows (``crm.groups.ensure_default_groups`` knows only the grants registered at start-up)."""

from django.apps import apps

from crm.groups import ensure_default_groups, grant
from crm.querybuilder.defaults import QUERYBUILDER_GRANTS, ensure_templates


def ensure_querybuilder_defaults() -> None:
    ensure_default_groups()
    grant(apps, None, QUERYBUILDER_GRANTS)
    ensure_templates(apps)
