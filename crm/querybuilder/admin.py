from django.contrib import admin

from .models import ExportRecord, SavedQuery, ScheduledReport


@admin.register(SavedQuery)
class SavedQueryAdmin(admin.ModelAdmin):
    list_display = ("name", "owner", "company", "builtin", "updated_at")
    list_filter = ("company",)
    search_fields = ("name", "description", "builtin")
    list_select_related = ("owner", "company")
    raw_id_fields = ("owner",)
    filter_horizontal = ("shared_with_users", "shared_with_groups")
    readonly_fields = ("version", "created_at", "updated_at", "created_by")


@admin.register(ExportRecord)
class ExportRecordAdmin(admin.ModelAdmin):
    """The audit of exports: read only."""

    list_display = ("created_at", "user", "saved_query", "format", "rows", "state")
    list_filter = ("format", "state")
    search_fields = ("user__username", "user__last_name", "saved_query__name")
    list_select_related = ("user", "saved_query")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ScheduledReport)
class ScheduledReportAdmin(admin.ModelAdmin):
    list_display = ("saved_query", "company", "frequency", "weekday", "day_of_month", "active")
    list_filter = ("frequency", "active", "company")
    list_select_related = ("saved_query", "company")
    raw_id_fields = ("saved_query",)
    filter_horizontal = ("recipients",)
    readonly_fields = ("last_sent_on", "created_by", "created_at")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
