"""``{% subscription_button folder=f %}`` / ``{% subscription_button document=d %}``: the
subscribe form of a folder's or document's page (one query: the user's subscription)."""

from django import template

from ..subscriptions import Mode, subscription_of

register = template.Library()


@register.inclusion_tag("documents/partials/subscription_button.html", takes_context=True)
def subscription_button(context, folder=None, document=None):
    request = context["request"]
    return {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "folder": folder,
        "document": document,
        "subscription": subscription_of(request.user, folder=folder, document=document),
        "modes": Mode.choices,
    }
