"""Who may open the admin: a superuser, or a manager of some restaurant (what they see there is
cut to their restaurants: restaurant/venues/admin_scope.py). A cook, a waiter, a cashier or a
device gets no admin, whatever ``is_staff`` says.

`restaurant.venues.admin_apps.AdminConfig` replaces ``django.contrib.admin`` in
INSTALLED_APPS to make `StaffAdminSite` the default site.
"""

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError

from restaurant.venues.models import StaffMember
from restaurant.venues.roles import MANAGER


def may_use_admin(user) -> bool:
    """A superuser, or a person who manages a restaurant. Never a device (a user with any
    device row), whatever its roles elsewhere: a tablet that stays signed in without a
    password does not edit menus or staff."""
    if not (user and user.is_authenticated and user.is_active):
        return False
    if StaffMember.objects.filter(user_id=user.pk, is_device=True).exists():
        return False
    if user.is_superuser:
        return True
    return StaffMember.objects.filter(user_id=user.pk, role=MANAGER).exists()


class ManagerAuthenticationForm(AdminAuthenticationForm):
    """The admin's sign-in: a manager or a superuser (Django's asks for ``is_staff``)."""

    def confirm_login_allowed(self, user):
        AuthenticationForm.confirm_login_allowed(self, user)  # active
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class StaffAdminSite(admin.AdminSite):
    login_form = ManagerAuthenticationForm

    def has_permission(self, request):
        return may_use_admin(request.user)
