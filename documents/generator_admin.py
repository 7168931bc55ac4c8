"""Administration of the generator: templates (how a stored file is drawn) and document packs
with their templates and the shared values they ask once."""

from django.contrib import admin

from .generator_models import DocumentTemplate, Pack, PackField, PackItem


@admin.register(DocumentTemplate)
class DocumentTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "engine", "output_type", "company", "active"]
    list_filter = ["company", "engine", "active"]
    search_fields = ["name"]
    raw_id_fields = ["document"]


class PackItemInline(admin.TabularInline):
    model = PackItem
    extra = 1
    autocomplete_fields = ["template"]


class PackFieldInline(admin.TabularInline):
    model = PackField
    extra = 1


@admin.register(Pack)
class PackAdmin(admin.ModelAdmin):
    list_display = ["name", "company", "active"]
    list_filter = ["company", "active"]
    search_fields = ["name"]
    inlines = [PackItemInline, PackFieldInline]
