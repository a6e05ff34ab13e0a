# Before roles, every active `is_staff` user had the whole staff side of the one restaurant:
# each keeps it, as a manager of the first restaurant (superusers need no role).

from django.conf import settings
from django.db import migrations


def keep_access(apps, schema_editor):
    app_label, model_name = settings.AUTH_USER_MODEL.split(".")
    User = apps.get_model(app_label, model_name)
    Restaurant = apps.get_model("venues", "Restaurant")
    StaffMember = apps.get_model("venues", "StaffMember")
    staff = User.objects.filter(is_staff=True, is_superuser=False)
    if not staff.exists():
        return
    first = Restaurant.objects.order_by("pk").first() or Restaurant.objects.create(slug="main")
    for user in staff:
        StaffMember.objects.get_or_create(user=user, restaurant=first, defaults={"role": "manager"})


class Migration(migrations.Migration):

    dependencies = [
        ("venues", "0002_slug_language_staff"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [migrations.RunPython(keep_access, migrations.RunPython.noop)]
