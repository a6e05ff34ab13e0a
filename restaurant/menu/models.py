"""A restaurant's menu. Prices are integers in minor units (2800 = 28.00)."""

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from restaurant.core.models import Bilingual
from restaurant.menu.photos import photo_upload_to, validate_photo
from restaurant.venues.models import Restaurant, Station, StaysWithItsRestaurant


class Category(StaysWithItsRestaurant, Bilingual):
    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="categories")
    # Paused by hand (the fryer is down): its dishes cannot be sent until it is back.
    ordering_paused = models.BooleanField(default=False)
    # Rice or tea for every guest: a diner's round is refused until the meal holds at least
    # one of its dishes per guest (restaurant/kitchen/required.py).
    required_per_guest = models.BooleanField(
        default=False, help_text="Every guest orders at least one of these (rice, tea)."
    )
    sort_order = models.IntegerField(default=0)
    # Where its dishes are made, unless a dish says otherwise (Dish.station_for).
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="categories"
    )

    class Meta:
        ordering = ["sort_order", "pk"]
        verbose_name_plural = "categories"

    def clean(self):
        super().clean()
        if self.station_id and self.station.restaurant_id != self.restaurant_id:
            raise ValidationError({"station": "a station of this category's restaurant"})


class Tag(StaysWithItsRestaurant, Bilingual):
    """A mark on dishes that diners filter by: vegetarian, contains nuts, seafood, gluten...
    Each restaurant keeps its own list (what it must declare differs by place)."""

    restaurant = models.ForeignKey(Restaurant, on_delete=models.PROTECT, related_name="tags")
    # Shown beside the dish and on the filter chip: an emoji or one or two characters.
    icon = models.CharField(max_length=8, blank=True)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]


class Dish(StaysWithItsRestaurant, Bilingual):
    # Its category's restaurant, carried on the row so that every menu query is scoped by one
    # indexed column; `save` takes it from the category, so the two cannot disagree. Like a
    # category's, it never changes: a dish moves only to a category of its own restaurant.
    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="dishes", editable=False
    )
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
    # The switch by hand. A counted dish (`stock`) is also sold out when its count is 0.
    sold_out = models.BooleanField(default=False)
    # 限量: portions left to sell on `stock_date` (the business day); empty: not counted. A
    # round takes its portions when it is sent; a void or a cancel gives them back
    # (restaurant/menu/stock.py).
    stock = models.PositiveIntegerField(
        null=True, blank=True, help_text="Portions left today. Empty: not counted."
    )
    # What each business day starts with; empty: the count ends with its day.
    stock_par = models.PositiveIntegerField(
        null=True, blank=True, help_text="Portions each day starts with. Empty: counted today only."
    )
    stock_date = models.DateField(null=True, blank=True, editable=False)
    # 打包费: added to each portion packed to take away (minor units).
    packing_fee = models.PositiveIntegerField(
        default=0, help_text="Added to each portion packed to take away (打包)."
    )
    # 起售份数: the fewest portions one line may order.
    min_qty = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1)], help_text="The fewest portions per order."
    )
    spice = models.PositiveSmallIntegerField(
        default=0, choices=[(0, "not spicy"), (1, "mild"), (2, "medium"), (3, "hot")]
    )
    tags = models.ManyToManyField(Tag, blank=True, related_name="dishes")
    # Groups of the dish's own restaurant (the admin's form checks it: the link table cannot),
    # in the groups' order (`OptionGroup.Meta.ordering`).
    option_groups = models.ManyToManyField(
        "OptionGroup", blank=True, related_name="dishes",
        help_text="Choices offered with it (spice level, size...), of its own restaurant.",
    )  # fmt: skip
    sort_order = models.IntegerField(default=0)
    # Routed elsewhere than its category's station (a cold dish listed under mains).
    station = models.ForeignKey(
        Station, null=True, blank=True, on_delete=models.SET_NULL, related_name="dishes",
        help_text="Leave empty to use the category's station.",
    )  # fmt: skip
    # Minutes before a diner may nudge it (催菜); empty: its station's target.
    target_minutes = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["category__sort_order", "sort_order", "pk"]
        verbose_name_plural = "dishes"

    # A count moves under its row's lock, by rounds and voids (restaurant/menu/stock.py): a
    # whole-row save of a dish read earlier (an admin page, a list's check box) must not write
    # back the count it read. Such a save leaves these alone unless `write_count` is set (the
    # admin sets it when a manager typed a new count).
    COUNT_FIELDS = frozenset({"stock", "stock_date"})

    def save(self, *args, **kwargs):
        if self.category_id is not None:
            self.restaurant_id = self.category.restaurant_id
            if kwargs.get("update_fields") is not None and "category" in kwargs["update_fields"]:
                kwargs["update_fields"] = {*kwargs["update_fields"], "restaurant"}
        whole = kwargs.get("update_fields") is None and not self._state.adding
        if whole and self.pk is not None and not getattr(self, "write_count", False):
            kwargs["update_fields"] = [
                f.name
                for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.COUNT_FIELDS
            ]
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        same = not (self.station_id and self.category_id) or (
            self.station.restaurant_id == self.category.restaurant_id
        )
        if not same:
            raise ValidationError({"station": "a station of this dish's restaurant"})
        # A set meal is sent as its dishes (restaurant/kitchen/sets.py): counted by them.
        if self.is_counted and self.pk is not None and self.offers_dishes():
            raise ValidationError({"stock": "A set meal is counted through its dishes."})

    @property
    def is_counted(self) -> bool:
        """限量: a count today or one each day starts with (restaurant/menu/stock.py)."""
        return self.stock is not None or self.stock_par is not None

    @property
    def is_sold_out(self) -> bool:
        """Switched off by hand, or counted and none left."""
        return self.sold_out or self.stock == 0

    def offers_dishes(self) -> bool:
        """A set meal: its options name dishes (restaurant/kitchen/sets.py)."""
        return Option.objects.filter(group__dishes=self.pk, dish__isnull=False).exists()

    def station_for(self, default: Station | None = None) -> Station | None:
        """Where this dish is made: its own station, else its category's, else ``default``
        (the caller passes the restaurant's first station, read once per round). None: the
        restaurant has no stations, its one board shows everything."""
        return self.station or self.category.station or default


class OptionGroup(StaysWithItsRestaurant, Bilingual):
    """A choice offered on dishes: spice level (min 1, max 1), add-ons (min 0, max 3)...
    Defined once per restaurant and attached to any of its dishes (`Dish.option_groups`)."""

    restaurant = models.ForeignKey(
        Restaurant, on_delete=models.PROTECT, related_name="option_groups"
    )
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
    # 套餐: choosing this option puts that dish in the set (a group "pick 1 of 3 mains"); each
    # part goes to its own station as its own kitchen item (restaurant/kitchen/sets.py).
    dish = models.ForeignKey(
        "Dish", null=True, blank=True, on_delete=models.PROTECT, related_name="as_set_part",
        help_text="Set meals: the dish this choice puts in the set (made at its own station).",
    )  # fmt: skip
    sold_out = models.BooleanField(default=False)
    sort_order = models.IntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "pk"]

    def clean(self):
        super().clean()
        if (
            self.dish_id is not None
            and self.group_id is not None
            and self.dish.restaurant_id != self.group.restaurant_id
        ):
            raise ValidationError({"dish": "a dish of this group's restaurant"})
        sets = Option.objects.filter(group__dishes=self.dish_id, dish__isnull=False)
        if self.dish_id is not None and sets.exists():
            # A set is sent as its dishes, one level deep (restaurant/kitchen/sets.py).
            raise ValidationError({"dish": "A set meal cannot be a choice of another set."})


class ServiceHours(models.Model):
    """When a restaurant takes orders (no rows: always), or a category is served (breakfast,
    lunch, the late menu; no rows: whenever the restaurant is). One row per weekday and
    span; a span that closes before it opens runs past midnight, and one that closes when it
    opens lasts the whole 24 hours from then. In the deployment's time zone (TIME_ZONE)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0
        TUESDAY = 1
        WEDNESDAY = 2
        THURSDAY = 3
        FRIDAY = 4
        SATURDAY = 5
        SUNDAY = 6

    restaurant = models.ForeignKey(Restaurant, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="hours"
    )
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens = models.TimeField()
    closes = models.TimeField()

    class Meta:
        ordering = ["weekday", "opens", "pk"]
        verbose_name_plural = "service hours"

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens:%H:%M}–{self.closes:%H:%M}"

    def save(self, *args, **kwargs):
        # A category's row (the category page's inline): its restaurant is the category's.
        if self.restaurant_id is None and self.category_id is not None:
            self.restaurant_id = self.category.restaurant_id
        super().save(*args, **kwargs)

    def clean(self):
        if (
            self.category_id is not None
            and self.restaurant_id is not None
            and self.category.restaurant_id != self.restaurant_id
        ):
            raise ValidationError({"category": "A category of another restaurant."})
