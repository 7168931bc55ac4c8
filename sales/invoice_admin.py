"""The admin's invoicing settings per own company (the seller's seat, EU VAT number, bank
account and payment term that invoices copy), imported by ``sales.admin``. Invoices themselves
are issued and cancelled only through ``sales.invoices``, so the admin shows them read-only."""

from django.contrib import admin

from .models import Invoice, InvoiceSettings


@admin.register(InvoiceSettings)
class InvoiceSettingsAdmin(admin.ModelAdmin):
    list_display = ["company", "postcode", "city", "street", "bank_account", "payment_days"]


@admin.register(Invoice)
class InvoiceAdmin(admin.ModelAdmin):
    list_display = ["number", "buyer_name", "issued_on", "due_on", "gross_total", "status"]
    list_filter = ["status", "kind", "company"]
    search_fields = ["number", "buyer_name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
