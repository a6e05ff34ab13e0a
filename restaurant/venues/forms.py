"""Forms of the staff side: adding a member of staff in the admin, changing one's role."""

from django import forms
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from restaurant.venues.devices import device_create, device_username
from restaurant.venues.models import StaffMember
from restaurant.venues.roles import MANAGER, managed_restaurant_ids
from restaurant.venues.services import device_like_username, is_device_user, staff_member_create

# What a manager is told about any existing user they may not add: no more than a new person
# of that name would learn (the name is taken), not whose it is or what they are.
TAKEN = _("This username is taken.")
DEVICE_LIKE = _("Names of the form “<restaurant>.<name>” are kept for devices: choose another.")
NO_MANAGER_DEVICE = _("A device cannot be a manager: the admin is for people, who sign in with "
                      "their password.")  # fmt: skip


class StaffMemberAddForm(forms.ModelForm):
    """A role at a restaurant for a person, new (with a password) or existing (by username),
    or for a new shared device (no password: it pairs through a one-time link). Saving goes
    through the services (`staff_member_create`, `device_create`), as the commands do.

    An existing user is given the role only when they are already a person on the staff of a
    restaurant the one adding them manages (`acting_user`, set by the admin; a superuser may
    add anyone who is not a device). Anyone else, another restaurant's manager or tablet, a
    superuser, a deactivated user, is "taken", as for any name in use: a manager cannot pull
    someone else's account, or a paired tablet's session, into their restaurant."""

    acting_user = None  # who is adding: the admin sets it (None may add no existing user)

    username = forms.CharField(
        label=_("Username"), max_length=150,
        help_text=_("Someone already on the staff of a restaurant you manage gets this role "
                    "too (their password stays as it is). For a device: its name, e.g. "
                    "“kitchen pass”."),
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
            if data.get("role") == MANAGER:
                self.add_error("role", NO_MANAGER_DEVICE)
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
        if device_like_username(username):
            self.add_error("username", DEVICE_LIKE)
            return data
        user = User.objects.filter(username=username).first()
        if user is not None:
            if not self._may_add_existing(user):
                self.add_error("username", TAKEN)
            elif StaffMember.objects.filter(user=user, restaurant=restaurant).exists():
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

    def _may_add_existing(self, user) -> bool:
        actor = self.acting_user
        if actor is None or not actor.is_authenticated or is_device_user(user):
            return False
        if actor.is_superuser:
            return True
        if not user.is_active or user.is_superuser:
            return False
        return StaffMember.objects.filter(
            user=user, is_device=False, restaurant_id__in=managed_restaurant_ids(actor)
        ).exists()

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


class StaffMemberChangeForm(forms.ModelForm):
    """A member's role, changed in the admin: a device's may not become manager. A kitchen
    member may be kept to one of the restaurant's stations (`StaffMember.clean`)."""

    class Meta:
        model = StaffMember
        fields = ["role", "station"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "station" in self.fields and self.instance.restaurant_id:
            stations = self.fields["station"].queryset
            self.fields["station"].queryset = stations.filter(
                restaurant_id=self.instance.restaurant_id
            )

    def clean_role(self):
        role = self.cleaned_data.get("role")
        if self.instance.is_device and role == MANAGER:
            raise ValidationError(NO_MANAGER_DEVICE)
        return role
