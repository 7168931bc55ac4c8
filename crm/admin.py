from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import User, WorkerHeartbeat

admin.site.site_header = _("CRM administration")
admin.site.site_title = _("CRM administration")
admin.site.index_title = _("Settings and master data")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "email", "is_active", "is_staff")
    ordering = ("last_name", "first_name", "username")


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("queue", "beat_at", "hostname")
    readonly_fields = ("queue", "beat_at", "hostname")

    def has_add_permission(self, request):
        return False
