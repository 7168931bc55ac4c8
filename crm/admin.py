from django import forms
from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group, Permission
from django.db.models import Q
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from mptt.admin import MPTTModelAdmin

from .hierarchy import subordinate_ids
from .models import Company, Department, Membership, Role, SupervisorLink, User, WorkerHeartbeat
from .permissions import PermissionMultipleChoiceField, permission_label

admin.site.site_header = _("CRM administration")
admin.site.site_title = _("CRM administration")
admin.site.index_title = _("Settings and master data")


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["company"]
    filter_horizontal = ["roles"]
    verbose_name_plural = _("own companies")


class SupervisorInline(admin.TabularInline):
    model = SupervisorLink
    fk_name = "user"
    extra = 0
    autocomplete_fields = ["supervisor"]
    verbose_name = _("supervisor")
    verbose_name_plural = _("supervisors (a user may have several)")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ("username", "last_name", "first_name", "email", "is_active", "is_staff")
    list_filter = ("is_active", "is_staff", "is_superuser", "groups", "memberships__company")
    ordering = ("last_name", "first_name", "username")
    search_fields = ("username", "first_name", "last_name", "email")
    inlines = [MembershipInline, SupervisorInline]
    readonly_fields = ("effective_functions", "people_in_scope")
    fieldsets = (
        *DjangoUserAdmin.fieldsets,
        (
            _("Effective access"),
            {"fields": ("current_company", "effective_functions", "people_in_scope")},
        ),
    )

    @admin.display(description=_("effective functions (from all groups)"))
    def effective_functions(self, obj):
        if obj.pk is None:
            return "–"
        if obj.is_superuser:
            return _("Superuser: every function.")
        perms = Permission.objects.filter(Q(group__user=obj) | Q(user=obj))
        rows = (
            perms.distinct()
            .select_related("content_type")
            .order_by("content_type__app_label", "codename")
        )
        return format_html_join(
            "",
            "<div>{} <small class='text-secondary'>({}.{})</small></div>",
            ((permission_label(p), p.content_type.app_label, p.codename) for p in rows),
        ) or _("none")

    @admin.display(description=_("whose records they see (themselves and subordinates)"))
    def people_in_scope(self, obj):
        if obj.pk is None:
            return "–"
        people = User.objects.filter(pk__in=subordinate_ids(obj)).order_by(
            "last_name", "first_name"
        )
        return format_html_join("", "<div>{}</div>", ((str(p),) for p in [obj, *people]))


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ("name", "tax_number", "registration_number", "is_active")
    search_fields = ("name", "tax_number")
    list_filter = ("is_active",)


@admin.register(Department)
class DepartmentAdmin(MPTTModelAdmin):
    list_display = ("name", "company")
    list_filter = ("company",)
    search_fields = ("name",)


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("name", "code")
    prepopulated_fields = {"code": ("name",)}


@admin.register(SupervisorLink)
class SupervisorLinkAdmin(admin.ModelAdmin):
    list_display = ("user", "supervisor", "created_at")
    autocomplete_fields = ["user", "supervisor"]
    search_fields = ("user__last_name", "user__username", "supervisor__last_name")


class GroupForm(forms.ModelForm):
    class Meta:
        model = Group
        fields = ["name", "permissions"]

    def clean_permissions(self):
        permissions = self.cleaned_data.get("permissions")
        if not permissions:
            raise forms.ValidationError(
                _("A permission group needs at least one function; choose them below.")
            )
        return permissions


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(DjangoGroupAdmin):
    form = GroupForm

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "permissions":  # named in the admin's language
            kwargs["form_class"] = PermissionMultipleChoiceField
        return super().formfield_for_manytomany(db_field, request, **kwargs)


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ("queue", "beat_at", "hostname")
    readonly_fields = ("queue", "beat_at", "hostname")

    def has_add_permission(self, request):
        return False


from .messaging import admin as messaging_admin  # noqa: E402, F401 - registers the outbox admin
