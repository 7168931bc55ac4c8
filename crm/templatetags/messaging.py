from django import template
from django.contrib.contenttypes.models import ContentType

from crm.messaging.models import Message

register = template.Library()

PANEL_SIZE = 10


@register.inclusion_tag("crm/messaging/inc/record_messages.html", takes_context=True)
def record_messages(context, record):
    """The "messages" panel any record page can include: ``{% record_messages partner %}``.
    Shows the latest messages about the record that the user may see."""
    user = context["request"].user
    content_type = ContentType.objects.get_for_model(record)
    rows = list(
        Message.objects.visible_to(user)
        .filter(content_type=content_type, object_id=str(record.pk))
        .order_by("-pk")[: PANEL_SIZE + 1]
    )
    return {
        "messages": rows[:PANEL_SIZE],
        "more": len(rows) > PANEL_SIZE,
        "about": f"{content_type.app_label}.{content_type.model}.{record.pk}",
    }
