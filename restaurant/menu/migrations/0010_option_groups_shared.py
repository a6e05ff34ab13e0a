# Option groups defined once per restaurant and attached to many dishes: every group keeps its
# options and ids, takes its dish's restaurant, and is attached to that dish; cart lines and
# rounds (which name options by id) are untouched. No manual step.
#
# Backwards, a group attached to several dishes becomes one copy per dish (options copied, new
# ids), and a group attached to none is deleted: the old schema had a dish on every group.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def groups_to_restaurants(apps, schema_editor):
    """Each group: its dish's restaurant, and that dish attached through the new link table."""
    Dish = apps.get_model("menu", "Dish")
    OptionGroup = apps.get_model("menu", "OptionGroup")
    link = Dish._meta.get_field("option_groups").remote_field.through
    OptionGroup.objects.update(
        restaurant_id=Subquery(
            Dish.objects.filter(pk=OuterRef("dish_id")).values("restaurant_id")[:1]
        )
    )
    pairs = OptionGroup.objects.exclude(dish=None).values_list("pk", "dish_id")
    link.objects.bulk_create(
        [link(dish_id=dish_id, optiongroup_id=group_id) for group_id, dish_id in pairs],
        batch_size=500,
    )


def groups_back_to_dishes(apps, schema_editor):
    Dish = apps.get_model("menu", "Dish")
    OptionGroup = apps.get_model("menu", "OptionGroup")
    Option = apps.get_model("menu", "Option")
    link = Dish._meta.get_field("option_groups").remote_field.through
    dishes_of: dict[int, list[int]] = {}
    links = link.objects.order_by("dish_id").values_list("optiongroup_id", "dish_id")
    for group_id, dish_id in links:
        dishes_of.setdefault(group_id, []).append(dish_id)
    for group in OptionGroup.objects.order_by("pk"):
        dish_ids = dishes_of.get(group.pk)
        if not dish_ids:
            group.delete()
            continue
        group.dish_id = dish_ids[0]
        group.save(update_fields=["dish"])
        options = list(Option.objects.filter(group_id=group.pk).order_by("pk"))
        for dish_id in dish_ids[1:]:
            copy = OptionGroup.objects.create(
                dish_id=dish_id, restaurant_id=group.restaurant_id, name=group.name,
                name_en=group.name_en, min_choices=group.min_choices,
                max_choices=group.max_choices, sort_order=group.sort_order,
            )  # fmt: skip
            Option.objects.bulk_create(
                Option(
                    group=copy,
                    name=o.name,
                    name_en=o.name_en,
                    price=o.price,
                    sold_out=o.sold_out,
                    sort_order=o.sort_order,
                )
                for o in options
            )


class Migration(migrations.Migration):
    dependencies = [
        ("menu", "0009_stock_tags_minimums"),
        ("venues", "0008_till"),
    ]

    operations = [
        # The old link steps aside (no reverse name, nullable so that it can come back
        # empty when this is reversed) for `Dish.option_groups`.
        migrations.AlterField(
            model_name="optiongroup",
            name="dish",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="menu.dish",
            ),
        ),
        migrations.AddField(
            model_name="optiongroup",
            name="restaurant",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="option_groups",
                to="venues.restaurant",
            ),
        ),
        migrations.AddField(
            model_name="dish",
            name="option_groups",
            field=models.ManyToManyField(
                blank=True,
                help_text="Choices offered with it (spice level, size...), of its own restaurant.",
                related_name="dishes",
                to="menu.optiongroup",
            ),
        ),
        migrations.RunPython(groups_to_restaurants, groups_back_to_dishes),
        migrations.AlterField(
            model_name="optiongroup",
            name="restaurant",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="option_groups",
                to="venues.restaurant",
            ),
        ),
        migrations.RemoveField(
            model_name="optiongroup",
            name="dish",
        ),
    ]
