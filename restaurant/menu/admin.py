"""Menu admin. Saves go through the menu services' broadcast, so a dish marked sold out or
repriced here reaches every open table page at once, like one marked from the kitchen."""

from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Restaurant
from restaurant.menu.photos import dish_photo_changed, photo_urls
from restaurant.menu.services import dish_set_sold_out, menu_dish_changed

BROADCAST_FIELDS = ("sold_out", "price")


@admin.register(Restaurant)
class RestaurantAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "currency", "staff_opens_tables", "menu_version")
    readonly_fields = ("menu_version",)


class DishInline(admin.TabularInline):
    model = Dish
    fields = ("name", "name_en", "price", "sold_out", "sort_order")
    extra = 0
    show_change_link = True


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "sort_order")
    list_editable = ("sort_order",)
    inlines = [DishInline]


class OptionGroupInline(admin.TabularInline):
    model = OptionGroup
    fields = ("name", "name_en", "min_choices", "max_choices", "sort_order")
    extra = 0
    show_change_link = True  # its options are edited on the group's page


class OptionInline(admin.TabularInline):
    model = Option
    fields = ("name", "name_en", "price", "sort_order")
    extra = 1


@admin.register(OptionGroup)
class OptionGroupAdmin(admin.ModelAdmin):
    list_display = ("name", "dish", "min_choices", "max_choices")
    list_select_related = ("dish",)
    inlines = [OptionInline]
    search_fields = ("name", "dish__name")


@admin.register(Dish)
class DishAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "category", "price", "sold_out", "sort_order")
    readonly_fields = ("photo_preview",)
    fields = ("category", "name", "name_en", "description", "description_en", "price",
              "photo", "photo_preview", "image", "sold_out", "sort_order")  # fmt: skip
    list_editable = ("price", "sold_out", "sort_order")
    list_filter = ("category", "sold_out")
    search_fields = ("name", "name_en")
    list_select_related = ("category",)
    inlines = [OptionGroupInline]
    actions = ["mark_sold_out", "mark_available"]

    class Media:
        # Shows the chosen file before it is saved (a static module: the policy allows no
        # inline script).
        js = ("js/admin_photo.js",)

    @admin.display(description="photo as phones see it")
    def photo_preview(self, dish: Dish) -> str:
        if not dish.photo:
            return mark_safe('<img class="photo-preview" alt="" hidden>')  # a constant
        return format_html(
            '<img class="photo-preview" src="{}" alt="" width="240">',
            photo_urls(dish.photo.name)[480],
        )

    def save_model(self, request, obj, form, change):
        replaced = change and "photo" in form.changed_data and form.initial.get("photo")
        super().save_model(request, obj, form, change)
        if "photo" in form.changed_data:
            dish_photo_changed(dish=obj, replaced=replaced.name if replaced else "")
        if change and any(f in form.changed_data for f in BROADCAST_FIELDS):
            menu_dish_changed(dish=obj)

    @admin.action(description="Mark sold out")
    def mark_sold_out(self, request, queryset):
        self._set_sold_out(request, queryset, True)

    @admin.action(description="Mark available")
    def mark_available(self, request, queryset):
        self._set_sold_out(request, queryset, False)

    def _set_sold_out(self, request, queryset, sold_out: bool):
        with transaction.atomic():
            for dish_id in queryset.values_list("pk", flat=True):
                dish_set_sold_out(dish_id=dish_id, sold_out=sold_out)
        messages.success(request, f"{queryset.count()} dishes updated.")
