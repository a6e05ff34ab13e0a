from django.contrib import admin

from restaurant.tables.links import table_url
from restaurant.tables.models import Table
from restaurant.venues.admin_scope import RestaurantScoped


@admin.register(Table)
class TableAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("number", "label", "restaurant", "link", "token_rotated_at")
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("restaurant",)
    readonly_fields = ("link", "token_rotated_at")

    @admin.display(description="Table link")
    def link(self, table: Table) -> str:
        return table_url(table) if table.pk else "-"
