from django.contrib import admin
from mptt.admin import MPTTModelAdmin

from .models import Folder, FolderGrant


class FolderGrantInline(admin.TabularInline):
    model = FolderGrant
    extra = 1
    autocomplete_fields = ["group", "user"]


@admin.register(Folder)
class FolderAdmin(MPTTModelAdmin):
    list_display = ["name", "company", "is_collateral"]
    list_filter = ["company", "is_collateral"]
    search_fields = ["name"]
    inlines = [FolderGrantInline]


from . import generator_admin  # noqa: E402,F401 - the generator's templates and packs
