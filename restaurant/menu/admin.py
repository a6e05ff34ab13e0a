"""Menu admin. Saves go through the menu services' broadcast, so a dish marked sold out or
repriced here reaches every open table page at once, like one marked from the kitchen."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import FilteredSelectMultiple
from django.db import models, transaction
from django.db.models import Count, F
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from restaurant.menu.models import Category, Dish, Option, OptionGroup, ServiceHours, Tag
from restaurant.menu.money import MoneyField, decimals, format_money
from restaurant.menu.photos import dish_photo_changed, photo_urls
from restaurant.menu.services import dish_set_sold_out, menu_dish_changed
from restaurant.venues.admin_scope import (
    RestaurantScoped,
    restaurant_lookup,
    restaurant_of,
    scoped,
)
from restaurant.venues.days import business_date
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
                if not isinstance(value, models.Model):
                    continue  # a many-to-many choice: links, not where the row belongs
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


def group_label(group: OptionGroup) -> str:
    """An option group as a picker lists it: groups may share a name (two sizes, priced
    differently), so its options and their prices follow it. Needs `options` prefetched and
    `restaurant` selected."""
    currency = group.restaurant.currency
    options = "、".join(
        f"{o.name} +{format_money(o.price, currency)}" if o.price else o.name
        for o in group.options.all()
    )
    return f"{group.name} ({options})" if options else group.name


def _links_checked(form_class, field: str):
    """``form_class`` refusing, in the many-to-many ``field``, rows of another restaurant than
    the form's row (read from the row, or for a new one from its category or restaurant
    field): the link table cannot check it, and a superuser's picker lists every restaurant's.
    """

    class LinksChecked(form_class):
        def clean(self):
            data = super().clean()
            owner = restaurant_of(self.instance) if self.instance.pk else None
            for name in ("restaurant", "category"):
                if owner is None and isinstance(data.get(name), models.Model):
                    owner = restaurant_of(data[name])
            others = [row for row in data.get(field) or () if owner is not None
                      and restaurant_of(row).pk != owner.pk]  # fmt: skip
            if others:
                self.add_error(field, f"{', '.join(map(str, others))}: of another restaurant "
                                      f"than {owner}.")  # fmt: skip
            return data

    LinksChecked.__name__ = form_class.__name__
    return LinksChecked


def _own_rows(request, model, restaurant_id: int | None):
    """The rows of ``model`` a picker offers: the edited row's restaurant's, else those of the
    restaurants the person manages (all for a superuser)."""
    queryset = model._default_manager.all()
    if restaurant_id is not None:
        return queryset.filter(restaurant_id=restaurant_id)
    return scoped(queryset, request.user)


class OptionChoicesFormSet(forms.BaseInlineFormSet):
    """A set meal's choice names a dish of the group's own restaurant: checked against the
    group being saved, a new one too (`Option.clean` cannot: its group is not saved yet)."""

    def clean(self):
        super().clean()
        restaurant_id = self.instance.restaurant_id
        for form in self.forms:
            dish = getattr(form, "cleaned_data", {}).get("dish")
            if dish is not None and dish.restaurant_id != restaurant_id:
                form.add_error("dish", "a dish of this group's restaurant")


class OptionInline(RestaurantScoped, MoneyInYuan, admin.TabularInline):
    model = Option
    formset = OptionChoicesFormSet
    # `dish`: a set meal's choice (套餐: "pick 1 of 3 mains"), made at that dish's station.
    fields = ("name", "name_en", "price", "dish", "sold_out", "sort_order")
    extra = 1


class OptionGroupForm(forms.ModelForm):
    """A group with the dishes it is offered on, chosen here as well as on each dish's page."""

    dishes = forms.ModelMultipleChoiceField(
        Dish.objects.none(), required=False,
        widget=FilteredSelectMultiple("dishes", is_stacked=False),
        help_text="The dishes that offer this choice: dishes of the group's restaurant.",
    )  # fmt: skip
    dish_choices = Dish.objects.none()  # set per request (`OptionGroupAdmin.get_form`)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dishes"].queryset = self.dish_choices
        if self.instance.pk is not None:
            self.fields["dishes"].initial = list(self.instance.dishes.values_list("pk", flat=True))

    def clean(self):
        # A group of dish choices makes a set of each dish it is offered on: none may be
        # counted (a set is counted through its dishes). Its saved options are asked here;
        # a new one's, on their own rows (OptionChoicesFormSet).
        data = super().clean()
        sets = self.instance.pk is not None and self.instance.options.filter(dish__isnull=False)
        counted = [d for d in data.get("dishes") or [] if d.is_counted]
        if sets and sets.exists() and counted:
            self.add_error("dishes", f"{counted[0].name} is counted: a set meal cannot be.")
        return data


@admin.register(OptionGroup)
class OptionGroupAdmin(RestaurantScoped, admin.ModelAdmin):
    """A group is defined once per restaurant, its options inline, and offered on any of its
    dishes (chosen here or on the dish's page)."""

    form = OptionGroupForm
    fields = ("restaurant", "name", "name_en", "min_choices", "max_choices", "sort_order",
              "dishes")  # fmt: skip
    list_display = ("name", "name_en", "restaurant", "min_choices", "max_choices", "dish_count")
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("restaurant",)
    inlines = [OptionInline]
    search_fields = ("name", "name_en")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_dishes=Count("dishes"))

    @admin.display(description="dishes", ordering="_dishes")
    def dish_count(self, group: OptionGroup) -> int:
        return group._dishes

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        choices = _own_rows(request, Dish, obj.restaurant_id if obj else None)
        form = type(form.__name__, (form,), {"dish_choices": choices.order_by("name")})
        return _links_checked(form, "dishes")

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # Through the link's own signal (m2m_changed): the menu version moves when it changed.
        form.instance.dishes.set(form.cleaned_data["dishes"])


@admin.register(Option)
class OptionAdmin(RestaurantScoped, MoneyInYuan, admin.ModelAdmin):
    """Options across groups, for the sold-out switch (the list's check box): saving it moves
    the menu version, and open menus fetch the menu again."""

    fields = ("group", "name", "name_en", "price", "dish", "sold_out", "sort_order")
    list_display = ("name", "name_en", "group", "price_shown", "sold_out")
    list_editable = ("sold_out",)
    ordering = ("group__sort_order", "group__name", "group_id", "sort_order", "pk")  # by group
    list_filter = (("group__restaurant", admin.RelatedOnlyFieldListFilter), "sold_out")
    list_select_related = ("group",)
    search_fields = ("name", "name_en", "group__name")
    price_shown = money_column("price", "price")

    def get_queryset(self, request):
        return with_currency(super().get_queryset(request))


def tag_label(tag: Tag, *, restaurant: bool = False) -> str:
    """A tag as the dish's page lists it: its icon and both names; with its restaurant where
    the page may list several restaurants' (a superuser's new dish)."""
    label = " ".join(filter(None, (tag.icon, tag.name, tag.name_en and f"· {tag.name_en}")))
    return f"{label} ({tag.restaurant})" if restaurant else label


@admin.register(Tag)
class TagAdmin(RestaurantScoped, admin.ModelAdmin):
    """A restaurant's own marks for its dishes (vegetarian, contains nuts...), which diners
    filter the menu by; the icon (an emoji) shows on each dish and on the filter chip."""

    list_display = ("name", "name_en", "icon", "restaurant", "sort_order")
    list_editable = ("sort_order",)
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter),)
    fields = ("restaurant", "name", "name_en", "icon", "sort_order")


def count_text(stock, par) -> str:
    return f"{'' if stock is None else stock}|{'' if par is None else par}"


class DishForm(forms.ModelForm):
    # The count and daily count as the page showed them: a save that leaves them so does not
    # write back a count rounds have taken from since (`DishAdmin.save_model`).
    count_shown = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            self.fields["count_shown"].initial = count_text(
                self.instance.stock, self.instance.stock_par
            )

    def clean(self):
        # A set meal (groups whose options name dishes) is counted through its dishes: asked
        # of the groups posted here, not of those saved (Dish.clean sees only those).
        data = super().clean()
        counted = data.get("stock") is not None or data.get("stock_par") is not None
        groups = data.get("option_groups") or []
        if counted and Option.objects.filter(group__in=groups, dish__isnull=False).exists():
            self.add_error("stock", "A set meal is counted through its dishes.")
        return data


@admin.register(Dish)
class DishAdmin(RestaurantScoped, MoneyInYuan, admin.ModelAdmin):
    form = DishForm
    money_fields = ("price", "packing_fee")
    list_display = ("name", "name_en", "category", "price_shown", "sold_out", "sort_order")
    readonly_fields = ("photo_preview",)
    fields = ("category", "name", "name_en", "description", "description_en", "price",
              "packing_fee",
              "photo", "photo_preview", "image", "sold_out", "stock", "stock_par", "count_shown",
              "min_qty",
              "spice", "tags",
              "option_groups", "sort_order", "station", "target_minutes")  # fmt: skip
    filter_horizontal = ("option_groups",)
    list_editable = ("sold_out", "sort_order")  # prices are changed on the dish's page
    price_shown = money_column("price", "price")

    def get_queryset(self, request):
        return with_currency(super().get_queryset(request))

    # Only the categories of the dishes listed: the plain filter lists every restaurant's.
    list_filter = (("category", admin.RelatedOnlyFieldListFilter), "sold_out")
    search_fields = ("name", "name_en")
    list_select_related = ("category", "restaurant")
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

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The option groups offered: the dish's restaurant's (`formfield_for_manytomany`).
        request._dish_restaurant_id = obj.restaurant_id if obj is not None else None
        form = super().get_form(request, obj, change=change, **kwargs)
        return _links_checked(_links_checked(form, "option_groups"), "tags")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "tags":
            # A restaurant's few tags, as boxes to tick; only its own (`get_form` checks a
            # new dish's against its category's restaurant).
            own = getattr(request, "_dish_restaurant_id", None)
            kwargs["queryset"] = _own_rows(request, Tag, own).select_related("restaurant")
            kwargs["widget"] = forms.CheckboxSelectMultiple
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label_from_instance = lambda tag: tag_label(tag, restaurant=own is None)
            return field
        if db_field.name == "option_groups":
            own = getattr(request, "_dish_restaurant_id", None)
            groups = _own_rows(request, OptionGroup, own).select_related("restaurant")
            kwargs["queryset"] = groups.prefetch_related("options")
            field = super().formfield_for_manytomany(db_field, request, **kwargs)
            field.label_from_instance = group_label
            return field
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "spice":
            # Its select always sends a level; a form posted without one (a script's) keeps
            # the dish's level rather than failing.
            field.required = False
        if db_field.name == "packing_fee":  # 打包费, in yuan; left empty: none
            field.required, field.empty_value = False, 0
        return field

    def save_model(self, request, obj, form, change):
        replaced = change and "photo" in form.changed_data and form.initial.get("photo")
        shown = form.cleaned_data.get("count_shown")
        typed = count_text(form.cleaned_data.get("stock"), form.cleaned_data.get("stock_par"))
        if "stock" in form.fields and (not change or shown != typed):  # not the list's boxes
            # A count typed here is today's (restaurant/menu/stock.py reads it by its day). Left
            # as the page showed it, the count stays what rounds made of it since (Dish.save).
            obj.write_count = True
            obj.stock_date = business_date(obj.category.restaurant)
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
