"""Shared tablets: a kitchen display or a floor tablet signed in as a device of its restaurant,
with no person's password on it.

A device is a user with no usable password and one `StaffMember` row (``is_device``), whose
role decides what it may do like anyone's. A manager opens a one-time pairing link
(`device_pairing_open`, from the admin or ``manage.py device_link``); opening it on the tablet
signs the tablet in (`device_pair`) and closes the link. Revoking a device is deleting its
`StaffMember` row (a manager does it in the admin; deactivating its user does it too): its
pages and sockets lose access at once (restaurant/venues/access.py).

A device is a device everywhere: no admin (restaurant/venues/admin_site.py), never given a
person's role (`staff_member_create`), and no person is named like one (`<slug>.<name>`).
"""

import hashlib
import re
import secrets
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from restaurant.venues.models import Restaurant, StaffMember

PAIRING_TTL = timedelta(minutes=30)
# What a shared tablet may be: never a manager (the restaurant's settings, staff and menu are
# a person's to change, signed in with their own password).
DEVICE_ROLES = (StaffMember.Role.KITCHEN, StaffMember.Role.WAITER, StaffMember.Role.CASHIER)
# A paired tablet stays signed in this long without anyone typing a password (Django's
# session expiry, set at pairing).
DEVICE_SESSION_AGE = timedelta(days=180)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def device_username(restaurant: Restaurant, name: str) -> str:
    """``<slug>.<name>``: the name in lower case, each run of characters other than letters
    and digits made one hyphen. Raises ValidationError for a name with no letter or digit."""
    handle = re.sub(r"[^\w]+", "-", name.strip().lower()).strip("-_")
    if not handle:
        raise ValidationError("a device needs a name of letters or digits")
    return f"{restaurant.slug}.{handle}"[:150]


def device_create(*, restaurant: Restaurant, role: str, name: str) -> StaffMember:
    """A new device of ``restaurant`` with ``role``; ``name`` says which tablet ("kitchen
    pass"; its username is `device_username`). Raises ValidationError for a role a device may
    not have (`DEVICE_ROLES`: a tablet anyone can pick up is never a manager) or a name
    already taken."""
    if role not in DEVICE_ROLES:
        raise ValidationError(f"a device's role is one of {', '.join(DEVICE_ROLES)}, not {role!r}")
    User = get_user_model()
    username = device_username(restaurant, name)
    with transaction.atomic():
        if User.objects.filter(username=username).exists():
            raise ValidationError(f"a device or user named {username!r} already exists")
        user = User(username=username, first_name=name.strip()[:150])
        user.set_unusable_password()
        user.save()
        return StaffMember.objects.create(
            user=user, restaurant=restaurant, role=role, is_device=True
        )


def device_pairing_open(*, member: StaffMember) -> str:
    """Open a pairing link for the device: returns its secret (192 random bits, shown once;
    only its digest is kept), good for `PAIRING_TTL` and one use. A new link closes the
    last one. Raises ValidationError if ``member`` is a person, not a device."""
    if not member.is_device:
        raise ValidationError("pairing links are for devices; people sign in with a password")
    secret = secrets.token_urlsafe(24)
    member.pairing_digest = _digest(secret)
    member.pairing_expires_at = timezone.now() + PAIRING_TTL
    member.save(update_fields=["pairing_digest", "pairing_expires_at"])
    return secret


def device_pair(*, secret: str):
    """The device user that ``secret`` pairs, closing the link; None when the link is
    unknown, used, expired or its device deactivated."""
    if not secret or len(secret) > 128:
        return None
    with transaction.atomic():
        member = (
            StaffMember.objects.select_for_update()
            .select_related("user")
            .filter(pairing_digest=_digest(secret), is_device=True)
            .first()
        )
        if member is None:
            return None
        fresh = member.pairing_expires_at and member.pairing_expires_at > timezone.now()
        member.pairing_digest = ""
        member.pairing_expires_at = None
        member.save(update_fields=["pairing_digest", "pairing_expires_at"])
        return member.user if fresh and member.user.is_active else None
