from django.contrib import admin

from .models import (
    DiscountRule,
    PriceList,
    PriceListItem,
    Product,
    ProductCategory,
    SalesSettings,
    Stage,
    Subcontractor,
)


@admin.register(ProductCategory)
class ProductCategoryAdmin(admin.ModelAdmin):
    list_display = ["code", "name_hu", "name_en", "order"]
    list_editable = ["order"]
    search_fields = ["code", "name_hu", "name_en"]


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "name_hu",
        "kind",
        "unit",
        "vat_rate",
        "category",
        "price_huf",
        "active",
    ]
    list_filter = ["active", "kind", "category", "vat_rate"]
    search_fields = ["code", "name_hu", "name_en"]
    readonly_fields = ["created_at", "updated_at", "created_by", "version"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        else:
            obj.version += 1
        super().save_model(request, obj, form, change)


class PriceListItemInline(admin.TabularInline):
    model = PriceListItem
    autocomplete_fields = ["product"]
    extra = 3


@admin.register(PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "company",
        "currency",
        "partner",
        "tag",
        "valid_from",
        "valid_until",
        "active",
    ]
    list_filter = ["company", "currency", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["partner"]
    inlines = [PriceListItemInline]
    readonly_fields = ["created_at", "updated_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(DiscountRule)
class DiscountRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "kind", "percent", "valid_from", "valid_until", "active"]
    list_filter = ["company", "kind", "active"]
    search_fields = ["name"]
    autocomplete_fields = ["product", "with_product", "partner"]
    readonly_fields = ["created_at", "updated_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(SalesSettings)
class SalesSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "discount_mode", "manual_discount_limit"]


@admin.register(Stage)
class StageAdmin(admin.ModelAdmin):
    """Each own company's stages: their order, meaning, default probability and automation."""

    list_display = ["name_hu", "company", "status", "probability", "automation", "order", "active"]
    list_filter = ["company", "status", "active"]
    list_editable = ["order", "probability", "active"]


@admin.register(Subcontractor)
class SubcontractorAdmin(admin.ModelAdmin):
    list_display = ["partner", "company", "trade", "active"]
    list_filter = ["company", "active"]
    search_fields = ["partner__name", "trade"]
    autocomplete_fields = ["partner"]


from . import invoice_admin  # noqa: E402, F401 - invoicing settings, read-only invoices
