"""Orders are read-mostly here: statuses move on the kitchen display, where every move is
checked and reaches the table."""

from django.contrib import admin

from restaurant.kitchen.models import AdjustReason, ItemAdjustment, Order, OrderItem, WaiterCall
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


@admin.register(AdjustReason)
class AdjustReasonAdmin(RestaurantScoped, admin.ModelAdmin):
    """The restaurant's reasons for taking a dish back (退菜) or giving it free (赠菜): staff
    pick one (restaurant/kitchen/adjustments.py). A reason used once stays (the audit reads
    it): switch it off (``active``) instead of deleting it."""

    list_display = ("name", "name_en", "restaurant", "for_void", "for_comp", "active",
                    "sort_order")  # fmt: skip
    list_filter = ("for_void", "for_comp", "active",
                   ("restaurant", admin.RelatedOnlyFieldListFilter))  # fmt: skip
    list_editable = ("for_void", "for_comp", "active", "sort_order")
    fields = ("restaurant", "name", "name_en", "for_void", "for_comp", "active", "sort_order")


@admin.register(ItemAdjustment)
class ItemAdjustmentAdmin(RestaurantScoped, admin.ModelAdmin):
    """The audit trail, read only: adjustments are made and decided by staff on the floor."""

    list_display = ("at", "restaurant", "item", "kind", "qty", "reason_text", "state", "by",
                    "decided_by")  # fmt: skip
    list_filter = ("kind", "state", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("restaurant", "item", "by", "decided_by")
    date_hierarchy = "at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
