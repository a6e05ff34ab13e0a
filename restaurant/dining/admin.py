from django.contrib import admin

from restaurant.dining.models import Diner, DiningSession
from restaurant.venues.admin_scope import RestaurantScoped


class DinerInline(RestaurantScoped, admin.TabularInline):
    model = Diner
    fields = ("name", "color", "joined_at")
    readonly_fields = fields
    extra = 0


@admin.register(DiningSession)
class DiningSessionAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("pk", "table", "restaurant", "status", "seq", "opened_at", "closed_at")
    list_filter = ("status", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("table", "restaurant")
    readonly_fields = ("table", "status", "seq", "cart_seq", "diners_joined", "opened_at",
                       "closed_at")  # fmt: skip
    inlines = [DinerInline]

    def has_add_permission(self, request):
        return False
