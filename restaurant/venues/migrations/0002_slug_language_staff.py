# Many restaurants: each gets a slug (its staff URLs) and a default language, and staff get
# roles per restaurant. Existing restaurants are named "main", "main-2", ... in id order.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

import restaurant.venues.models


def name_slugs(apps, schema_editor):
    Restaurant = apps.get_model("venues", "Restaurant")
    for index, restaurant in enumerate(Restaurant.objects.order_by("pk")):
        restaurant.slug = "main" if index == 0 else f"main-{index + 1}"
        restaurant.save(update_fields=["slug"])


class Migration(migrations.Migration):

    dependencies = [
        ("venues", "0001_initial"),
        ("menu", "0005_restaurant_moves_to_venues"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelTable(name="restaurant", table=None),
        migrations.AlterModelOptions(name="restaurant", options={"ordering": ["pk"]}),
        migrations.AddField(
            model_name="restaurant",
            name="slug",
            field=models.CharField(max_length=40, null=True),
        ),
        migrations.AddField(
            model_name="restaurant",
            name="language",
            field=models.CharField(choices=[("zh-hans", "简体中文"), ("en", "English")], default="zh-hans", help_text="The language its pages open in when a browser asks for none it offers.", max_length=10),
        ),
        migrations.RunPython(name_slugs, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="restaurant",
            name="slug",
            field=models.CharField(max_length=40, unique=True, validators=[restaurant.venues.models.slug_validator]),
        ),
        migrations.CreateModel(
            name="StaffMember",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("role", models.CharField(choices=[("manager", "Owner / manager"), ("cashier", "Cashier"), ("waiter", "Waiter"), ("kitchen", "Kitchen")], max_length=10)),
                ("is_device", models.BooleanField(default=False)),
                ("pairing_digest", models.CharField(blank=True, editable=False, max_length=64)),
                ("pairing_expires_at", models.DateTimeField(blank=True, editable=False, null=True)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("restaurant", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="staff", to="venues.restaurant")),
                ("user", models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name="memberships", to=settings.AUTH_USER_MODEL)),
            ],
            options={
                "ordering": ["restaurant", "role", "user__username"],
                "constraints": [
                    models.UniqueConstraint(fields=("user", "restaurant"), name="one_role_per_restaurant"),
                    models.UniqueConstraint(condition=models.Q(("pairing_digest", ""), _negated=True), fields=("pairing_digest",), name="pairing_digest_unique"),
                ],
            },
        ),
    ]
