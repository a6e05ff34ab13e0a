from django.contrib import admin

from restaurant.tables.links import table_url
from restaurant.tables.models import Table


@admin.register(Table)
class TableAdmin(admin.ModelAdmin):
    list_display = ("number", "label", "link", "token_rotated_at")
    readonly_fields = ("link", "token_rotated_at")

    @admin.display(description="Table link")
    def link(self, table: Table) -> str:
        return table_url(table) if table.pk else "-"
