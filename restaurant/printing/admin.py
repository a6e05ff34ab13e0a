"""Printers in the admin: a manager sets their stations' printers (and sees the print jobs);
another restaurant's are neither listed nor reachable (restaurant/venues/admin_scope.py)."""

from django.contrib import admin

from restaurant.printing.models import Printer, PrintJob
from restaurant.printing.services import printer_saved
from restaurant.venues.admin_scope import RestaurantScoped


@admin.register(Printer)
class PrinterAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("station", "restaurant", "url", "enabled", "online", "paper", "last_error",
                    "last_seen_at")  # fmt: skip
    list_filter = ("enabled", "paper", ("station__restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("station__restaurant",)
    fields = ("station", "url", "enabled", "answers_status", "online", "paper", "last_error",
              "last_seen_at", "state_changed_at")  # fmt: skip
    readonly_fields = ("online", "paper", "last_error", "last_seen_at", "state_changed_at")

    @admin.display(description="restaurant")
    def restaurant(self, printer: Printer):
        return printer.station.restaurant

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "station") if obj is not None else fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        printer_saved(obj)


@admin.register(PrintJob)
class PrintJobAdmin(RestaurantScoped, admin.ModelAdmin):
    """Read only: jobs move by the worker and by staff on the boards."""

    list_display = ("pk", "station", "order", "kind", "reprint", "state", "attempts",
                    "created_at", "sent_at", "last_error")  # fmt: skip
    list_filter = ("state", "kind", "reprint", ("restaurant", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("station", "order")
    exclude = ("payload",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
