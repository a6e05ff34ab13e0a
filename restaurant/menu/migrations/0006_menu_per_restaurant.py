# Each restaurant its own menu: existing categories and dishes go to the first restaurant
# (made, as "main", if there is none yet), with no manual step.

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def first_restaurant(apps):
    Restaurant = apps.get_model("venues", "Restaurant")
    return Restaurant.objects.order_by("pk").first() or Restaurant.objects.create(slug="main")


def assign(apps, schema_editor):
    Category = apps.get_model("menu", "Category")
    Dish = apps.get_model("menu", "Dish")
    if Category.objects.exists():
        Category.objects.filter(restaurant__isnull=True).update(restaurant=first_restaurant(apps))
    Dish.objects.update(
        restaurant_id=Subquery(
            Category.objects.filter(pk=OuterRef("category_id")).values("restaurant_id")[:1]
        )
    )


class Migration(migrations.Migration):

    dependencies = [
        ("menu", "0005_restaurant_moves_to_venues"),
        ("venues", "0002_slug_language_staff"),
    ]

    operations = [
        migrations.AddField(
            model_name="category",
            name="restaurant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="categories", to="venues.restaurant"),
        ),
        migrations.AddField(
            model_name="dish",
            name="restaurant",
            field=models.ForeignKey(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="dishes", to="venues.restaurant"),
        ),
        migrations.RunPython(assign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="category",
            name="restaurant",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="categories", to="venues.restaurant"),
        ),
        migrations.AlterField(
            model_name="dish",
            name="restaurant",
            field=models.ForeignKey(editable=False, on_delete=django.db.models.deletion.PROTECT, related_name="dishes", to="venues.restaurant"),
        ),
    ]
