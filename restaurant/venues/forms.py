"""Forms of the staff side: adding a member of staff in the admin."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from restaurant.venues.devices import device_create, device_username
from restaurant.venues.models import StaffMember
from restaurant.venues.services import staff_member_create


class StaffMemberAddForm(forms.ModelForm):
    """A role at a restaurant for a person, new (with a password) or existing (by username),
    or for a new shared device (no password: it pairs through a one-time link). Saving goes
    through the services (`staff_member_create`, `device_create`), as the commands do."""

    username = forms.CharField(
        label=_("Username"), max_length=150,
        help_text=_("An existing user gets this role too (their password stays as it is). "
                    "For a device: its name, e.g. “kitchen pass”."),
    )  # fmt: skip
    is_device = forms.BooleanField(
        label=_("A shared tablet (device)"), required=False,
        help_text=_("No password: open a pairing link for it from the list (action "
                    "“Open a pairing link”) and open that link on the tablet."),
    )  # fmt: skip
    password1 = forms.CharField(
        label=_("Password"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("For a new person only."),
    )  # fmt: skip
    password2 = forms.CharField(
        label=_("Password again"), required=False, strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )  # fmt: skip

    class Meta:
        model = StaffMember
        fields = ["restaurant", "role"]

    def clean(self):
        data = super().clean()
        restaurant, username = data.get("restaurant"), (data.get("username") or "").strip()
        if restaurant is None or not username:
            return data
        User = get_user_model()
        if data.get("is_device"):
            try:
                handle = device_username(restaurant, username)
            except ValidationError as error:
                raise ValidationError({"username": error.messages}) from None
            if User.objects.filter(username=handle).exists():
                self.add_error("username", _("A device or user with that name already exists."))
            return data
        try:
            User.username_validator(username)
        except ValidationError as error:
            raise ValidationError({"username": error.messages}) from None
        user = User.objects.filter(username=username).first()
        if user is not None:
            if StaffMember.objects.filter(user=user, restaurant=restaurant).exists():
                self.add_error("username", _("This user already has a role at this restaurant."))
            return data
        password1, password2 = data.get("password1"), data.get("password2")
        if not password1:
            self.add_error("password1", _("A new person needs a password."))
        elif password1 != password2:
            self.add_error("password2", _("The two passwords differ."))
        else:
            try:
                password_validation.validate_password(password1, User(username=username))
            except ValidationError as error:
                self.add_error("password1", error)
        return data

    def save(self, commit=True):
        data = self.cleaned_data
        if data.get("is_device"):
            member = device_create(
                restaurant=data["restaurant"], role=data["role"], name=data["username"]
            )
        else:
            member = staff_member_create(
                restaurant=data["restaurant"], role=data["role"],
                username=data["username"], password=data.get("password1") or None,
            )  # fmt: skip
        self.instance = member
        self.save_m2m = lambda: None  # the admin calls it after a commit=False save
        return member
