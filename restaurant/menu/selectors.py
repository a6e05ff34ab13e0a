"""Reads of the menu."""

from django.db.models import Prefetch
from django.templatetags.static import static

from restaurant.menu.models import Category, Dish, Option, OptionGroup, Tag
from restaurant.menu.photos import photo_urls
from restaurant.menu.pinyin import initials
from restaurant.menu.stock import stock_counts, stock_of
from restaurant.venues.days import business_date
from restaurant.venues.models import Restaurant


def dish_images(dish: Dish) -> dict:
    """`image`: the picture's URL (the contract); a photo's 480 px copy where there is one,
    with `image_srcset` offering its sizes; else the dish's static path or URL, and no
    `image_srcset` (an empty one on every dish was 3% of the table page's first load)."""
    if dish.photo:
        urls = photo_urls(dish.photo.name)
        srcset = ", ".join(f"{url} {width}w" for width, url in urls.items())
        return {"image": urls[min(urls)], "image_srcset": srcset}
    image = dish.image
    if image and not image.startswith(("/", "http://", "https://")):
        image = static(image)
    return {"image": image}


def option_payload(option: Option) -> dict:
    """An option of a group; `sold_out: true` only on one switched off (none on the rest);
    `dish_id` only on a set meal's choice of a dish (restaurant/kitchen/sets.py), which is
    sold out too when that dish is (`menu_payload`)."""
    payload = {"id": option.pk, "name": option.name, "name_en": option.name_en,
               "price": option.price}  # fmt: skip
    if option.dish_id is not None:
        payload["dish_id"] = option.dish_id
    if option.sold_out:
        payload["sold_out"] = True
    return payload


def _set_choices_sold_out(menu: dict) -> dict:
    """A set meal's choice of a dish that is sold out (switched off, none left) is sold out."""
    out = {d["id"] for c in menu["categories"] for d in c["dishes"] if d["sold_out"]}
    for category in menu["categories"]:
        for dish in category["dishes"]:
            for group in dish["option_groups"]:
                for option in group["options"]:
                    if option.get("dish_id") in out:
                        option["sold_out"] = True
    return menu


def dish_marks(dish: Dish) -> dict:
    """What the menu's search and filters match: `py`, the pinyin initials of the dish's name
    (restaurant/menu/pinyin.py); `tags`, its tags' ids in the restaurant's order (`tags`
    prefetched); `spice`, 1 mild to 3 hot. Each is left out where it is empty or 0: absent
    means none (on every dish of a menu they were bytes of each phone's first load)."""
    marks = {}
    if py := initials(dish.name):
        marks["py"] = py
    if tag_ids := [tag.pk for tag in dish.tags.all()]:
        marks["tags"] = tag_ids
    if dish.spice:
        marks["spice"] = dish.spice
    return marks


def restaurant_tags(*, restaurant: Restaurant) -> list[dict]:
    """The restaurant's tags in their order: `[{id, name, name_en, icon}]`."""
    tags = Tag.objects.filter(restaurant=restaurant).values_list("pk", "name", "name_en", "icon")
    return [{"id": pk, "name": name, "name_en": name_en, "icon": icon}
            for pk, name, name_en, icon in tags]  # fmt: skip


def dish_payload(dish: Dish, today=None) -> dict:
    """``today``: the restaurant's business date, for counted dishes (restaurant/menu/stock.py):
    `stock` is their portions left (absent: not counted), and 0 makes them `sold_out`."""
    stock = stock_of(dish, today) if today is not None else dish.stock
    counted = {} if stock is None else {"stock": stock}
    return {
        "id": dish.pk,
        "name": dish.name,
        "name_en": dish.name_en,
        "description": dish.description,
        "description_en": dish.description_en,
        "price": dish.price,
        **dish_images(dish),
        **dish_marks(dish),
        "sold_out": dish.sold_out or stock == 0,
        **counted,
        # 起售份数: only where it is more than one (the rest of the menu stays as it was).
        **({"min_qty": dish.min_qty} if dish.min_qty > 1 else {}),
        # 打包: what a portion packed to take away costs more; only where there is a fee.
        **({"packing_fee": dish.packing_fee} if dish.packing_fee else {}),
        "option_groups": [
            {
                "id": group.pk,
                "name": group.name,
                "name_en": group.name_en,
                "min": group.min_choices,
                "max": group.max_choices,
                "options": [option_payload(o) for o in group.options.all()],
            }
            for group in dish.option_groups.all()
        ],
    }


def menu_payload(*, restaurant: Restaurant) -> dict:
    """`GET /api/menu/` (`/r/<slug>/api/menu/`): the restaurant's whole menu, categories in
    order, dishes with their options."""
    dishes = Dish.objects.prefetch_related(
        Prefetch(
            "option_groups",
            OptionGroup.objects.prefetch_related(Prefetch("options", Option.objects.all())),
        )
    )
    dishes = dishes.prefetch_related(Prefetch("tags", Tag.objects.only("pk")))
    categories = Category.objects.filter(restaurant=restaurant).prefetch_related(
        Prefetch("dishes", dishes)
    )
    today = business_date(restaurant)
    return _set_choices_sold_out(
        {
            "version": restaurant.menu_version,
            "currency": restaurant.currency,
            "restaurant": {"name": restaurant.name, "name_en": restaurant.name_en},
            "tags": restaurant_tags(restaurant=restaurant),
            "categories": [
                {
                    "id": c.pk,
                    "name": c.name,
                    "name_en": c.name_en,
                    # Every guest orders from it (rice, tea: restaurant/kitchen/required.py).
                    **({"required": True} if c.required_per_guest else {}),
                    "dishes": [dish_payload(d, today) for d in c.dishes.all()],
                }
                for c in categories
            ],
        }
    )


def menu_in_language(menu: dict, *, language: str) -> dict:
    """``menu`` (`menu_payload`'s, left as it is) as the table page in ``language`` ("en",
    else Chinese) loads it (`?lang=`): every byte is part of a phone's first load (150 KB,
    tests/e2e/test_page_weight.py), so

    - descriptions and the names of categories, tags, option groups and options are in the
      page's language only: the other is left out where the row has one in the page's
      language (a page shows one). Dish names stay in both: the search box finds either;
    - each option group comes once, in a top-level `option_groups`, and a dish's
      `option_groups` lists its groups' ids: a restaurant's groups are shared ("spice level"
      on every spicy dish), and written out on each dish they were 3 KB of the demo's menu;
    - what is false, 0 or empty is left out: a dish's `sold_out` and `option_groups`, an
      option's `price` (absent: not sold out, no options, no extra charge).
    """
    english = language.startswith("en")

    def one(row: dict, field: str = "name") -> dict:
        # An English page drops the Chinese only where there is English to show instead.
        drop = f"{field}_en" if not english else field if row.get(f"{field}_en") else None
        return {key: value for key, value in row.items() if key != drop}

    def without_zero(row: dict, *fields: str) -> dict:
        return {key: value for key, value in row.items() if key not in fields or value}

    groups: dict[int, dict] = {}
    categories = []
    for category in menu["categories"]:
        dishes = []
        for dish in category["dishes"]:
            for group in dish["option_groups"]:
                if group["id"] not in groups:
                    options = [without_zero(one(option), "price") for option in group["options"]]
                    groups[group["id"]] = {**one(group), "options": options}
            ids = [group["id"] for group in dish["option_groups"]]
            row = {**one(dish, "description"), "option_groups": ids}
            dishes.append(without_zero(row, "sold_out", "option_groups"))
        categories.append({**one(category), "dishes": dishes})
    tags = [one(tag) for tag in menu["tags"]]
    return {**menu, "tags": tags, "categories": categories, "option_groups": list(groups.values())}


def dishes_sold_out(*, restaurant: Restaurant, counts: dict[int, int] | None = None) -> list[int]:
    """Switched off, or counted with none left today. ``counts``: `stock_counts` of the
    restaurant, when the caller has read them already."""
    dishes = Dish.objects.filter(restaurant=restaurant, sold_out=True)
    if counts is None:
        counts = stock_counts(restaurant=restaurant)
    counted_out = [pk for pk, n in counts.items() if n == 0]
    return sorted({*dishes.values_list("pk", flat=True), *counted_out})
