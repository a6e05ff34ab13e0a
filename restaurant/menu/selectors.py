"""Reads of the menu."""

from django.db.models import Prefetch
from django.templatetags.static import static

from restaurant.menu.models import Category, Dish, Option, OptionGroup
from restaurant.menu.photos import photo_urls
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


def dish_payload(dish: Dish) -> dict:
    return {
        "id": dish.pk,
        "name": dish.name,
        "name_en": dish.name_en,
        "description": dish.description,
        "description_en": dish.description_en,
        "price": dish.price,
        **dish_images(dish),
        "sold_out": dish.sold_out,
        "option_groups": [
            {
                "id": group.pk,
                "name": group.name,
                "name_en": group.name_en,
                "min": group.min_choices,
                "max": group.max_choices,
                "options": [
                    {"id": o.pk, "name": o.name, "name_en": o.name_en, "price": o.price}
                    for o in group.options.all()
                ],
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
    categories = Category.objects.filter(restaurant=restaurant).prefetch_related(
        Prefetch("dishes", dishes)
    )
    return {
        "version": restaurant.menu_version,
        "currency": restaurant.currency,
        "restaurant": {"name": restaurant.name, "name_en": restaurant.name_en},
        "categories": [
            {
                "id": c.pk,
                "name": c.name,
                "name_en": c.name_en,
                "dishes": [dish_payload(d) for d in c.dishes.all()],
            }
            for c in categories
        ],
    }


def dishes_sold_out(*, restaurant: Restaurant) -> list[int]:
    dishes = Dish.objects.filter(restaurant=restaurant, sold_out=True)
    return list(dishes.values_list("pk", flat=True))
