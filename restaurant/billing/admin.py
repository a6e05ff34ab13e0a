"""The till in the admin: the restaurant's till settings (its charges in the currency's major
unit, like every price), and the record of payments and closed checks, read-only (the till
writes them; the admin may not rewrite the night's money)."""

from django.contrib import admin

from restaurant.billing.models import ClosedCheck, Payment
from restaurant.menu.money import MoneyField, format_money
from restaurant.venues.admin import RestaurantAdmin
from restaurant.venues.admin_scope import RestaurantScoped
from restaurant.venues.models import Restaurant, Station

TILL_FIELDS = ("cover_charge", "service_percent", "rounding", "payment_methods",
               "receipt_station", "day_starts_at")  # fmt: skip


class TillRestaurantAdmin(RestaurantAdmin):
    """The restaurant's page, with its till settings together and the cover charge in yuan."""

    def get_fieldsets(self, request, obj=None):
        fields = [f for f in self.get_fields(request, obj) if f not in TILL_FIELDS]
        return [(None, {"fields": fields}), ("Till", {"fields": TILL_FIELDS})]

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._till_currency = obj.currency if obj else "CNY"
        request._till_restaurant = obj
        return super().get_form(request, obj, change=change, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "cover_charge":
            return MoneyField(
                currency=getattr(request, "_till_currency", "CNY"), required=True,
                label="Cover charge per guest", help_text=db_field.help_text,
            )  # fmt: skip
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "receipt_station":
            # Only the restaurant's own stations (a new restaurant has none yet).
            owner = getattr(request, "_till_restaurant", None)
            kwargs["queryset"] = Station.objects.filter(restaurant=owner) if owner else (
                Station.objects.none())  # fmt: skip
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(Restaurant)
admin.site.register(Restaurant, TillRestaurantAdmin)


class ReadOnly:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _money(row, field: str) -> str:
    return format_money(getattr(row, field), row.restaurant.currency)


@admin.register(ClosedCheck)
class ClosedCheckAdmin(RestaurantScoped, ReadOnly, admin.ModelAdmin):
    list_display = ("closed_at", "business_date", "table", "guests", "total_text", "paid_text",
                    "unpaid_reason", "closed_by")  # fmt: skip
    list_filter = ("business_date", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("restaurant", "session__table", "closed_by")
    date_hierarchy = "closed_at"
    exclude = ("receipt_token",)  # the diner's key to the receipt, not staff's to pass on

    @admin.display(description="table")
    def table(self, row):
        return row.session.table

    @admin.display(description="total")
    def total_text(self, row):
        return _money(row, "total")

    @admin.display(description="paid")
    def paid_text(self, row):
        return _money(row, "paid")


@admin.register(Payment)
class PaymentAdmin(RestaurantScoped, ReadOnly, admin.ModelAdmin):
    list_display = ("at", "business_date", "kind", "method", "amount_text", "target", "reason",
                    "state", "by")  # fmt: skip
    list_filter = ("business_date", "kind", "method", "state",
                   ("restaurant", admin.RelatedOnlyFieldListFilter))  # fmt: skip
    list_select_related = ("restaurant", "by")
    date_hierarchy = "at"

    @admin.display(description="amount")
    def amount_text(self, row):
        return _money(row, "amount")
