"""``{% collateral_toggle folder %}``: the documents page's button that marks a folder as sales
collateral, for those who may (admins and the folder's managers)."""

from django import template

from ..collateral import in_collateral, may_mark

register = template.Library()


@register.inclusion_tag("documents/partials/collateral_toggle.html", takes_context=True)
def collateral_toggle(context, folder):
    user = context["request"].user
    return {
        "csrf_token": context.get("csrf_token"),
        "folder": folder,
        "may_mark": may_mark(user, folder),
        "inherited": not folder.is_collateral and in_collateral(folder),
    }
