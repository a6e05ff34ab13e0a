"""The restaurant and its menu. Prices are integers in minor units (2800 = 28.00)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import get_language

from restaurant.menu.photos import photo_upload_to, validate_photo


class Bilingual(models.Model):
    """Chinese name first (the restaurant's language), English where the restaurant gives one."""

    name = models.CharField(max_length=80)
    name_en = models.CharField(max_length=80, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    def display_name(self, language: str | None = None) -> str:
        language = language or get_language() or "zh-hans"
        if language.startswith("en") and self.name_en:
            return self.name_en
        return self.name


class Restaurant(Bilingual):
    """One per deployment (``Restaurant.current()``)."""

    name = models.CharField(max_length=80, default="RestaurantOrder")
    currency = models.CharField(max_length=3, default="CNY")
    staff_opens_tables = models.BooleanField(
        default=False,
        help_text="When on, a table's dining session opens only when staff open the table.",
    )
    hold_first_round = models.BooleanField(
        default=True,
        help_text="When on, the first round of a meal that a diner's scan opened (not staff) "
        "waits for staff to accept it before the kitchen starts on it.",
    )
    idle_close_minutes = models.PositiveIntegerField(
        default=30,
        help_text="A meal with no one online and nothing ordered ends by itself after this many "
        "minutes without activity (a diner online, a cart change). 0: never.",
    )
    calls_on_kitchen = models.BooleanField(
        default=False,
        help_text="When on, waiter calls show on the kitchen display too, not only on the floor.",
    )
    # Bumped by every menu change (restaurant/menu/signals.py), so that a page can tell its
    # copy of the menu is old and each process its cached catalog (restaurant/menu/catalog.py).
    menu_version = models.PositiveIntegerField(default=1)

    def save(self, *args, **kwargs):
        # Saving an edited restaurant (its name, say) must not write back the menu_version it
        # was loaded with: a process could then take an older menu for the current one.
        if self.pk and not self._state.adding and kwargs.get("update_fields") is None:
            kwargs["update_fields"] = [
                f.attname for f in self._meta.concrete_fields
                if not f.primary_key and f.name != "menu_version"
            ]  # fmt: skip
        super().save(*args, **kwargs)

    @classmethod
    def current(cls) -> "Restaurant":
        restaurant = cls.objects.order_by("pk").first()
        return restaurant or cls.objects.create()


class Category(Bilingual):
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name_plural = "categories"


class Dish(Bilingual):
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="dishes")
    description = models.CharField(max_length=200, blank=True)
    description_en = models.CharField(max_length=200, blank=True)
    price = models.PositiveIntegerField(validators=[MinValueValidator(0)])
    photo = models.ImageField(
        upload_to=photo_upload_to, blank=True, validators=[validate_photo],
        help_text="A photo of the dish (JPEG, PNG or WebP, up to 8 MB). Phones get it resized.",
    )  # fmt: skip
    image = models.CharField(
        max_length=200, blank=True,
        help_text="Without a photo: a picture's static path or URL.",
    )  # fmt: skip
    sold_out = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["category__sort_order", "sort_order", "pk"]
        verbose_name_plural = "dishes"


class OptionGroup(Bilingual):
    """A choice on a dish: spice level (min 1, max 1), add-ons (min 0, max 3)..."""

    dish = models.ForeignKey(Dish, on_delete=models.CASCADE, related_name="option_groups")
    min_choices = models.PositiveSmallIntegerField(default=0)
    max_choices = models.PositiveSmallIntegerField(default=1)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(max_choices__gte=models.F("min_choices"))
                & models.Q(max_choices__gte=1),
                name="option_group_min_le_max",
            )
        ]


class Option(Bilingual):
    group = models.ForeignKey(OptionGroup, on_delete=models.CASCADE, related_name="options")
    price = models.IntegerField(default=0, help_text="Added to the dish price")
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]
