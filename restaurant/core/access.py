"""TRANSITIONAL: the staff views' old rule (`is_staff`), kept only until every view asks the
role table instead (restaurant/venues/roles.py, `may`). The staff sockets' access moved to
restaurant/venues/access.py. Delete this module once nothing imports it."""

from django.contrib.auth.decorators import user_passes_test


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


staff_required = user_passes_test(is_staff, login_url="admin:login")
