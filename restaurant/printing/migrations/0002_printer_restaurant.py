import django.db.models.deletion
from django.db import migrations, models


def restaurant_from_station(apps, schema_editor):
    Printer = apps.get_model("printing", "Printer")
    for printer in Printer.objects.select_related("station"):
        printer.restaurant_id = printer.station.restaurant_id
        printer.save(update_fields=["restaurant"])


class Migration(migrations.Migration):
    dependencies = [
        ("printing", "0001_printers"),
        ("venues", "0005_stations"),
    ]

    operations = [
        migrations.AddField(
            model_name="printer",
            name="restaurant",
            field=models.ForeignKey(
                editable=False, null=True, on_delete=django.db.models.deletion.CASCADE,
                related_name="+", to="venues.restaurant",
            ),
        ),
        migrations.RunPython(restaurant_from_station, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="printer",
            name="restaurant",
            field=models.ForeignKey(
                editable=False, on_delete=django.db.models.deletion.CASCADE, related_name="+",
                to="venues.restaurant",
            ),
        ),
    ]
