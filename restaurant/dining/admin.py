from django.contrib import admin

from restaurant.dining.models import Diner, DiningSession


class DinerInline(admin.TabularInline):
    model = Diner
    fields = ("name", "color", "joined_at")
    readonly_fields = fields
    extra = 0


@admin.register(DiningSession)
class DiningSessionAdmin(admin.ModelAdmin):
    list_display = ("pk", "table", "status", "seq", "opened_at", "closed_at")
    list_filter = ("status",)
    readonly_fields = ("table", "status", "seq", "cart_seq", "diners_joined", "opened_at",
                       "closed_at")  # fmt: skip
    inlines = [DinerInline]

    def has_add_permission(self, request):
        return False
