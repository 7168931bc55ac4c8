from django import template

from activities import rows

register = template.Library()


@register.simple_tag
def activity_rows(activities, show_partner=False):
    """``{% activity_rows activities show_partner=True %}``: the table rows (activities.rows)."""
    return rows.table_rows(activities, show_partner=show_partner)


@register.simple_tag
def activity_panel_items(activities):
    """``{% activity_panel_items panel.rows %}``: a home page panel's items."""
    return rows.panel_items(activities)
