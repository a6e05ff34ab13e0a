"""Menu admin. Saves go through the menu services' broadcast, so a dish marked sold out or
repriced here reaches every open table page at once, like one marked from the kitchen."""

from django.contrib import admin, messages
from django.db import transaction
from django.db.models import F
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from restaurant.menu.models import Category, Dish, Option, OptionGroup, ServiceHours
from restaurant.menu.money import MoneyField, decimals, format_money
from restaurant.menu.photos import dish_photo_changed, photo_urls
from restaurant.menu.services import dish_set_sold_out, menu_dish_changed
from restaurant.venues.admin_scope import RestaurantScoped, restaurant_lookup, restaurant_of
from restaurant.venues.models import Restaurant
from restaurant.venues.roles import managed_restaurant_ids

BROADCAST_FIELDS = ("sold_out", "price")


def _form_currency(request, obj) -> str:
    """The currency a form's prices are in: the row's restaurant's (for an inline, the parent
    row's). A new row's restaurant is not known until it is saved: then the currency of the
    restaurants the person manages, when they share one (`MoneyInYuan` checks the rest)."""
    restaurant = restaurant_of(obj)
    if restaurant is not None:
        return restaurant.currency
    ids = managed_restaurant_ids(request.user)
    restaurants = Restaurant.objects.order_by("pk")
    if ids is not None:
        restaurants = restaurants.filter(pk__in=ids)
    currencies = list(restaurants.values_list("currency", flat=True).distinct()[:2])
    return currencies[0] if currencies else "CNY"


class MoneyInYuan:
    """Admin forms take and show prices in the currency's major unit (restaurant/menu/money.py):
    typing 68 for a ¥68 dish stores 6800 fen, and 6800 shows as 68.00. The currency is the
    row's restaurant's."""

    money_fields = ("price",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        request._money_currency = _form_currency(request, obj)
        form = super().get_form(request, obj, change=change, **kwargs)
        return _currency_checked(form, request._money_currency)

    def get_formset(self, request, obj=None, **kwargs):  # an inline: obj is the parent row
        request._money_currency = _form_currency(request, obj)
        return super().get_formset(request, obj, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name in self.money_fields:
            return MoneyField(
                currency=getattr(request, "_money_currency", None) or _form_currency(request, None),
                allow_negative=db_field.model is Option,  # an option may take money off
                required=not db_field.blank,
                label=db_field.verbose_name.capitalize(),
                help_text=db_field.help_text,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


def _currency_checked(form_class, currency: str):
    """A new row whose restaurant (through its category or dish) counts money otherwise than
    the form did (a yen restaurant has no fen) is refused, not stored a hundredfold."""

    class CurrencyChecked(form_class):
        def clean(self):
            data = super().clean()
            for name, value in data.items():
                field = self.fields.get(name)
                model = getattr(getattr(field, "queryset", None), "model", None)
                if model is None or restaurant_lookup(model) is None:
                    continue
                owner = restaurant_of(value)
                if owner is not None and decimals(owner.currency) != decimals(currency):
                    price = next((f for f in MoneyInYuan.money_fields if f in self.fields), None)
                    self.add_error(price, f"{owner} counts prices in {owner.currency}: save "
                                          "this without a price first, then set it.")  # fmt: skip
            return data

    CurrencyChecked.__name__ = form_class.__name__
    return CurrencyChecked


def with_currency(queryset):
    """Rows carrying their restaurant's currency (`_currency`), for money_column: one query."""
    path = restaurant_lookup(queryset.model)
    return queryset.annotate(_currency=F(f"{path}__currency"))


def money_column(field: str, description: str):
    """A list column showing ``field`` (minor units) formatted for the page's language (Babel)."""

    @admin.display(description=description, ordering=field)
    def column(self, obj) -> str:
        currency = getattr(obj, "_currency", None) or restaurant_of(obj).currency
        return format_money(getattr(obj, field), currency)

    return column


class DishInline(RestaurantScoped, MoneyInYuan, admin.TabularInline):
    model = Dish
    fields = ("name", "name_en", "price", "sold_out", "sort_order")
    extra = 0
    show_change_link = True


class CategoryHoursInline(RestaurantScoped, admin.TabularInline):
    """A category's own hours (breakfast, the late menu): none, and it follows the
    restaurant's."""

    model = ServiceHours
    fields = ("weekday", "opens", "closes")
    extra = 0
    verbose_name_plural = "service hours (none: the restaurant's)"


@admin.register(Category)
class CategoryAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("name", "name_en", "restaurant", "station", "ordering_paused", "sort_order")
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter),)
    list_editable = ("ordering_paused", "sort_order")
    inlines = [CategoryHoursInline, DishInline]


@admin.register(ServiceHours)
class ServiceHoursAdmin(RestaurantScoped, admin.ModelAdmin):
    """When a restaurant takes orders (rows without a category; none: always) and when a
    category is served. A span closing before it opens runs past midnight; one closing when it
    opens lasts 24 hours."""

    list_display = ("restaurant", "category", "weekday", "opens", "closes")
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter), "weekday")


class OptionGroupInline(RestaurantScoped, admin.TabularInline):
    model = OptionGroup
    fields = ("name", "name_en", "min_choices", "max_choices", "sort_order")
    extra = 0
    show_change_link = True  # its options are edited on the group's page


class OptionInline(RestaurantScoped, MoneyInYuan, admin.TabularInline):
    model = Option
    fields = ("name", "name_en", "price", "sort_order")
    extra = 1


@admin.register(OptionGroup)
class OptionGroupAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("name", "dish", "min_choices", "max_choices")
    list_select_related = ("dish",)
    inlines = [OptionInline]
    search_fields = ("name", "dish__name")


@admin.register(Dish)
class DishAdmin(RestaurantScoped, MoneyInYuan, admin.ModelAdmin):
    list_display = ("name", "name_en", "category", "price_shown", "sold_out", "sort_order")
    readonly_fields = ("photo_preview",)
    fields = ("category", "name", "name_en", "description", "description_en", "price",
              "photo", "photo_preview", "image", "sold_out", "sort_order", "station",
              "target_minutes")  # fmt: skip
    list_editable = ("sold_out", "sort_order")  # prices are changed on the dish's page
    price_shown = money_column("price", "price")

    def get_queryset(self, request):
        return with_currency(super().get_queryset(request))

    # Only the categories of the dishes listed: the plain filter lists every restaurant's.
    list_filter = (("category", admin.RelatedOnlyFieldListFilter), "sold_out")
    search_fields = ("name", "name_en")
    list_select_related = ("category", "restaurant")
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
            for dish in queryset.select_related("restaurant"):
                dish_set_sold_out(restaurant=dish.restaurant, dish_id=dish.pk, sold_out=sold_out)
        messages.success(request, f"{queryset.count()} dishes updated.")
