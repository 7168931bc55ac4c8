from django.contrib import admin
from django.template import TemplateSyntaxError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import Message, MessageEvent, MessageTemplate, Suppression
from .services import render_template, sanitise_html

# The sample record a template preview is rendered with. Apps with richer records (partners,
# contacts, invoices) will add their fields here as they arrive.
SAMPLE_CONTEXT = {
    "name": "Minta Márta",
    "contact": {
        "name": "Minta Márta",
        "first_name": "Márta",
        "last_name": "Minta",
        "email": "minta.marta@pelda.hu",
    },
    "partner": {"name": "Minta Kereskedelmi Kft.", "tax_number": "10773381-2-44"},
    "company": {"name": "Példa Kereskedelmi Kft."},
}


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    list_display = ("key", "language", "channel", "subject", "updated_at")
    list_filter = ("channel", "language")
    search_fields = ("key", "subject")
    readonly_fields = ("preview",)
    fields = ("key", "language", "channel", "subject", "body_html", "body_text", "preview")

    @admin.display(description=_("preview with a sample record"))
    def preview(self, obj):
        if obj is None or obj.pk is None:
            return _("Save the template to see a preview.")
        try:
            subject, html, text = render_template(obj, SAMPLE_CONTEXT)
        except TemplateSyntaxError as exc:
            return str(exc)
        return format_html(
            '<div class="crm-template-preview"><p><strong>{}</strong></p>'
            '<div style="border:1px solid #ccc;padding:8px;max-width:640px">{}</div>'
            '<pre style="white-space:pre-wrap">{}</pre></div>',
            subject,
            _safe(sanitise_html(html)),
            text,
        )


def _safe(html: str):
    from django.utils.safestring import mark_safe

    return mark_safe(html)  # noqa: S308 - sanitised by nh3 just before


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    readonly_fields = ("at", "from_status", "to_status", "detail")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """Read-only: messages change only through the outbox services."""

    list_display = ("created_at", "channel", "recipient", "subject", "status", "attempts")
    list_filter = ("status", "channel", "marketing")
    search_fields = ("recipient", "subject", "idempotency_key", "provider_id")
    inlines = [MessageEventInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).visible_to(request.user)


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("address", "reason", "created_at")
    list_filter = ("reason",)
    search_fields = ("address",)
