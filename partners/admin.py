from django.contrib import admin, messages
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from .models import (
    AttributeDefinition,
    Contact,
    ContactRole,
    ContactType,
    ExternalId,
    ImportJob,
    Industry,
    Partner,
    PartnerAddress,
    PartnerFinancials,
    PartnerOwner,
    Tag,
)


@admin.register(AttributeDefinition)
class AttributeDefinitionAdmin(admin.ModelAdmin):
    list_display = ["label_hu", "label_en", "target", "key", "kind", "required", "order", "active"]
    list_filter = ["target", "kind", "active"]
    list_editable = ["order", "active"]
    search_fields = ["label_hu", "label_en", "key"]


@admin.register(ContactType)
class ContactTypeAdmin(admin.ModelAdmin):
    list_display = ["name_hu", "name_en", "single", "order"]
    list_editable = ["order"]

    def save_model(self, request, obj, form, change):
        """The single-only rule is copied onto the contacts' type rows (the database enforces
        it there); turning it on while a partner already has two such contacts is refused."""
        try:
            with transaction.atomic():
                super().save_model(request, obj, form, change)
                ContactRole.objects.filter(type=obj).update(single=obj.single)
        except IntegrityError:
            obj.single = False
            self.message_user(
                request,
                _(
                    "Some partners already have more than one contact of this type, so it"
                    " cannot be made single-only. The rest of the change was not saved."
                ),
                messages.ERROR,
            )


@admin.register(Industry)
class IndustryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_hu", "name_en"]
    search_fields = ["code", "name_hu", "name_en"]


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    list_display = ["name", "colour"]
    search_fields = ["name"]


class AddressInline(admin.TabularInline):
    model = PartnerAddress
    extra = 0


class FinancialsInline(admin.TabularInline):
    model = PartnerFinancials
    extra = 0


class ExternalIdInline(admin.TabularInline):
    model = ExternalId
    extra = 0


class OwnerInline(admin.TabularInline):
    model = PartnerOwner
    extra = 0
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "tax_number", "city", "updated_at"]
    search_fields = ["name", "short_name", "tax_number"]
    show_full_result_count = False
    readonly_fields = ["version", "created_at", "updated_at", "created_by"]
    autocomplete_fields = ["industry"]
    inlines = [AddressInline, FinancialsInline, ExternalIdInline, OwnerInline]

    def get_queryset(self, request):
        return Partner.objects.visible_to(request.user)


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["family_name", "given_name", "partner", "position"]
    search_fields = ["family_name", "given_name"]
    show_full_result_count = False
    raw_id_fields = ["partner", "responsible"]
    readonly_fields = ["version", "created_at", "updated_at", "created_by", "erased_at"]

    def get_queryset(self, request):
        return Contact.objects.visible_to(request.user).select_related("partner")


@admin.register(ImportJob)
class ImportJobAdmin(admin.ModelAdmin):
    list_display = ["original_name", "kind", "state", "created_by", "created_at", "failed_count"]
    list_filter = ["kind", "state"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
