from django.contrib import admin
from django.contrib.auth.models import Permission

from crm.permissions import PermissionChoiceField

from .models import Activity, ActivityType, GoogleAccount, TaskName
from .services import activity_delete


@admin.register(ActivityType)
class ActivityTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name_hu",
        "name_en",
        "code",
        "kind",
        "has_result",
        "function",
        "order",
        "active",
    ]
    list_filter = ["kind", "active"]
    list_editable = ["order", "active"]
    search_fields = ["name_hu", "name_en", "code"]
    filter_horizontal = ["follow_ups"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "function":
            # The functions of Meta.permissions (collection calls, …), not the model CRUD ones,
            # named in the admin's language.
            kwargs["queryset"] = (
                Permission.objects.exclude(codename__regex=r"^(add|change|delete|view)_")
                .select_related("content_type")
                .order_by("content_type__app_label", "codename")
            )
            kwargs["form_class"] = PermissionChoiceField
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(TaskName)
class TaskNameAdmin(admin.ModelAdmin):
    list_display = ["name_hu", "name_en", "order", "active"]
    list_editable = ["order", "active"]
    search_fields = ["name_hu", "name_en"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    """For the admins' repairs: the list is scoped like every other (``visible_to``)."""

    list_display = ["subject", "type", "partner", "owner", "starts_at", "outcome", "closed_at"]
    list_filter = ["kind", "outcome", "type"]
    search_fields = ["subject"]
    raw_id_fields = ["partner", "contact", "follows", "owner", "created_by", "closed_by"]
    filter_horizontal = ["participants"]
    date_hierarchy = "starts_at"

    def get_queryset(self, request):
        return Activity.objects.visible_to(request.user).select_related("type", "partner", "owner")

    def delete_model(self, request, obj):
        activity_delete(user=request.user, activity=obj)

    def delete_queryset(self, request, queryset):
        for activity in queryset:
            activity_delete(user=request.user, activity=activity)


@admin.register(GoogleAccount)
class GoogleAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "state", "calendar_id", "created_at", "last_error"]
    list_filter = ["state"]
    readonly_fields = ["user", "state", "last_error", "created_at"]
    search_fields = ["user__username", "user__last_name"]
