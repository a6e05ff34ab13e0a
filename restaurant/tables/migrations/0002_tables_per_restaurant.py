# Each restaurant its own tables, numbered from 1 in each; tokens stay unique across all, so
# printed QR codes keep working. Existing tables go to the first restaurant.

import django.db.models.deletion
from django.db import migrations, models


def assign(apps, schema_editor):
    Restaurant = apps.get_model("venues", "Restaurant")
    Table = apps.get_model("tables", "Table")
    if Table.objects.filter(restaurant__isnull=True).exists():
        first = Restaurant.objects.order_by("pk").first() or Restaurant.objects.create(slug="main")
        Table.objects.filter(restaurant__isnull=True).update(restaurant=first)


class Migration(migrations.Migration):

    dependencies = [
        ("tables", "0001_initial"),
        ("venues", "0002_slug_language_staff"),
    ]

    operations = [
        migrations.AddField(
            model_name="table",
            name="restaurant",
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name="tables", to="venues.restaurant"),
        ),
        migrations.RunPython(assign, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="table",
            name="restaurant",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="tables", to="venues.restaurant"),
        ),
        migrations.AlterField(
            model_name="table",
            name="number",
            field=models.PositiveIntegerField(),
        ),
        migrations.AlterModelOptions(name="table", options={"ordering": ["restaurant", "number"]}),
        migrations.AddConstraint(
            model_name="table",
            constraint=models.UniqueConstraint(fields=("restaurant", "number"), name="table_number_unique"),
        ),
    ]
