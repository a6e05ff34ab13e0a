"""Orders are read-mostly here: statuses move on the kitchen display, where every move is
checked and reaches the table."""

from django.contrib import admin

from restaurant.kitchen.models import Order, OrderItem, WaiterCall
from restaurant.menu.admin import money_column, with_currency
from restaurant.venues.admin_scope import RestaurantScoped


class OrderItemInline(RestaurantScoped, admin.TabularInline):
    model = OrderItem
    fields = ("name", "qty", "option_names", "note", "added_by", "unit_price")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("pk", "table", "restaurant", "round", "status", "total_shown", "created_at")
    total_shown = money_column("total", "total")
    list_filter = ("status", "created_at", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("session__table", "restaurant")
    readonly_fields = ("session", "round", "status", "submitted_by", "total", "created_at",
                       "status_changed_at")  # fmt: skip
    inlines = [OrderItemInline]
    date_hierarchy = "created_at"

    def get_queryset(self, request):
        return with_currency(super().get_queryset(request))

    @admin.display(description="table")
    def table(self, order: Order) -> str:
        return str(order.session.table)

    def has_add_permission(self, request):
        return False


@admin.register(WaiterCall)
class WaiterCallAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("table", "restaurant", "reason", "status", "created_at", "done_at")
    list_filter = ("status", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("table", "restaurant")
    readonly_fields = ("table", "session", "diner", "reason", "created_at", "done_at")
