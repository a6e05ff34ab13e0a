"""Staff for tests: a user with a role at a restaurant, as `staff_create` makes them."""

from django.contrib.auth import get_user_model

from restaurant.venues.models import Restaurant, StaffMember

PASSWORD = "a-long-test-password"


def staff_user(
    restaurant: Restaurant, role: str = StaffMember.Role.MANAGER, username=None, **fields
):
    """A user (made if ``username`` is new, numbered when None) with ``role`` at
    ``restaurant``; password `PASSWORD`. Managers get ``is_staff`` (the admin), as in
    `restaurant.venues.services.staff_member_create`."""
    User = get_user_model()
    username = username or f"{role}-{restaurant.slug}-{User.objects.count()}"
    user = User.objects.filter(username=username).first()
    if user is None:
        fields.setdefault("is_staff", role == StaffMember.Role.MANAGER)
        user = User.objects.create_user(username=username, password=PASSWORD, **fields)
    StaffMember.objects.create(user=user, restaurant=restaurant, role=role)
    return user
