"""Menu admin. Saves go through the menu services' broadcast, so a dish marked sold out or
repriced here reaches every open table page at once, like one marked from the kitchen."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Subquery
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Restaurant
from restaurant.menu.money import MoneyField, format_money
from restaurant.menu.photos import dish_photo_changed, photo_urls
from restaurant.menu.services import dish_set_sold_out, menu_dish_changed

BROADCAST_FIELDS = ("sold_out", "price")


class MoneyInYuan:
    """Admin forms take and show prices in the currency's major unit (restaurant/menu/money.py):
    typing 68 for a ¥68 dish stores 6800 fen, and 6800 shows as 68.00."""

    money_fields = ("price",)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.money_fields:
            return MoneyField(
                currency=Restaurant.current().currency,
                allow_negative=db_field.model is Option,  # an option may take money off
                required=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def with_currency(queryset):
    """Rows carrying the restaurant's currency (`_currency`), for money_column: one query."""
    first = Restaurant.objects.order_by("pk").values("currency")[:1]
    return queryset.annotate(_currency=Subquery(first))


def money_column(field: str, description: str):
    """A list column showing ``field`` (minor units) formatted for the page's language (Babel)."""

    @admin.display(description=description, ordering=field)
    def column(self, obj) -> str:
        currency = getattr(obj, "_currency", None) or Restaurant.current().currency
        return format_money(getattr(obj, field), currency)

    return column


@admin.register(Restaurant)
class RestaurantAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "currency", "staff_opens_tables", "menu_version")
    readonly_fields = ("menu_version",)


class DishInline(MoneyInYuan, admin.TabularInline):
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


class OptionInline(MoneyInYuan, admin.TabularInline):
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
class DishAdmin(MoneyInYuan, admin.ModelAdmin):
    list_display = ("name", "name_en", "category", "price_shown", "sold_out", "sort_order")
    readonly_fields = ("photo_preview",)
    fields = ("category", "name", "name_en", "description", "description_en", "price",
              "photo", "photo_preview", "image", "sold_out", "sort_order")  # fmt: skip
    list_editable = ("sold_out", "sort_order")  # prices are changed on the dish's page
    price_shown = money_column("price", "price")

    def get_queryset(self, request):
        return with_currency(super().get_queryset(request))

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
