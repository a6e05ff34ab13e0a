"""Creating restaurants and their staff (the `restaurant_create` and `staff_create` commands,
the admin and the demo go through these)."""

from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from restaurant.venues.models import Restaurant, StaffMember, currency_validator, slug_validator

Role = StaffMember.Role


def restaurant_create(
    *, name: str, slug: str, currency: str = "CNY", name_en: str = "", language: str = ""
) -> Restaurant:
    """A new restaurant. ``currency``: an ISO 4217 code (CNY, JPY, ...), upper-cased.

    Raises ValidationError on a bad or taken slug, a currency that is not an ISO 4217 code
    (`currency_validator`, as the admin checks it), or a language the deployment does not
    offer."""
    from django.conf import settings

    slug = slug.strip().lower()
    slug_validator(slug)
    currency = currency.strip().upper()
    try:
        currency_validator(currency)
    except ValidationError:
        raise ValidationError(
            f"currency must be a three-letter ISO 4217 code (CNY, JPY, ...), not {currency!r}"
        ) from None
    name = name.strip()
    if not name:
        raise ValidationError("a restaurant needs a name")
    language = language or settings.LANGUAGE_CODE
    if language not in dict(settings.LANGUAGES):
        offered = ", ".join(dict(settings.LANGUAGES))
        raise ValidationError(f"language must be one of {offered}, not {language!r}")
    try:
        with transaction.atomic():
            return Restaurant.objects.create(
                name=name, name_en=name_en.strip(), slug=slug, currency=currency,
                language=language,
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(f"a restaurant with slug {slug!r} already exists") from None


def device_like_username(username: str) -> bool:
    """Whether ``username`` has the form of a device's name, ``<restaurant slug>.<name>``
    (restaurant/venues/devices.py) for any restaurant: a person may not be named so, or a
    manager could make a "device" of another restaurant, or a person pass for one."""
    slug, dot, _rest = username.strip().lower().partition(".")
    return bool(dot) and Restaurant.objects.filter(slug=slug).exists()


def is_device_user(user) -> bool:
    """A device is a device everywhere: a user with any device row."""
    return StaffMember.objects.filter(user_id=user.pk, is_device=True).exists()


def staff_member_create(
    *, restaurant: Restaurant, role: str, username: str, password: str | None
) -> StaffMember:
    """A person with ``role`` at ``restaurant``; their user is made if it does not exist (a
    person working at two restaurants is one user with two roles).

    A new user's ``password`` must pass the deployment's validators (settings
    AUTH_PASSWORD_VALIDATORS); an existing user keeps theirs (``password`` is not used).
    Managers get ``is_staff`` (the admin); other roles work in the product's own pages.
    Devices are made by `restaurant.venues.devices.device_create`, never here: a username of
    a device's form (``<slug>.<name>``, `device_like_username`) is refused, and so is an
    existing user who is a device (a tablet's password-less session must not become a
    person's role). Whom a manager may add in the admin is narrower (`forms.py`).
    Raises ValidationError: an unknown role, a bad username or password, a device, a user who
    already has a role here."""
    if role not in Role.values:
        raise ValidationError(f"role must be one of {', '.join(Role.values)}, not {role!r}")
    User = get_user_model()
    username = username.strip()
    User.username_validator(username)
    with transaction.atomic():
        user = User.objects.select_for_update().filter(username=username).first()
        if user is not None and is_device_user(user):
            raise ValidationError(f"{username!r} is a device, not a person")
        if device_like_username(username):
            raise ValidationError(
                f"{username!r} has the form of a device's name (<restaurant>.<name>); choose "
                "another username for a person"
            )
        if user is None:
            if not password:
                raise ValidationError("a new user needs a password")
            user = User(username=username, is_active=True)
            password_validation.validate_password(password, user)
            user.set_password(password)
            user.save()
        if StaffMember.objects.filter(user=user, restaurant=restaurant).exists():
            raise ValidationError(f"{username!r} already has a role at {restaurant.slug!r}")
        if role == Role.MANAGER and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        return StaffMember.objects.create(user=user, restaurant=restaurant, role=role)
