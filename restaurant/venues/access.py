"""Who may hold a staff socket: the one place the rule lives, for the kitchen and floor sockets.

A view asks on every request (the session middleware loads the user afresh). A socket is
asked once at its handshake and then lives on, past a logout, a deactivation, a password
change (django/channels#1324) or a role taken away. So a staff socket keeps what it was
opened with (`StaffAccess`: its user, session, restaurant and what it shows) and asks again,
in the database: before every op, when its user's access changes (`staff_access_changed`,
sent on logout, on a save that changes `is_active`, `is_superuser` or the password, and on
every save or delete of one of the user's roles), and on every heartbeat
(`restaurant/realtime/liveness.py`, for what no signal announces: a session that expired or
was deleted, a `QuerySet.update()`). A socket whose access no longer holds closes with 4403.

The access holds while the session is the user's, the user is active, and their role at the
socket's restaurant (whatever it is now) may still see what the socket shows (`view`:
`kitchen.view`, `floor.view`). Each op is then asked against that role
(restaurant/kitchen/ops.py): a refused op is an error, and the socket stays open.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError
from restaurant.venues.models import Restaurant, StaffMember
from restaurant.venues.roles import MANAGER, Action, role_may
from restaurant.venues.scope import picked_id_of, staff_restaurant

RECHECK = "staff.recheck"  # the group message that makes a user's staff sockets ask again
WATCHED_FIELDS = ("is_active", "is_superuser", "password")


def session_digest(session_key: str) -> str:
    """Names a Django session in messages and rows without giving its key away."""
    return hashlib.sha256(session_key.encode()).hexdigest()


@dataclass(frozen=True)
class StaffAccess:
    """What a staff socket was opened with: its user, its Django session and the session's
    auth hash at the handshake, the restaurant it serves and the action that is seeing it
    (`Action.KITCHEN_VIEW` for the kitchen display's socket, `Action.FLOOR_VIEW` for the
    floor's)."""

    user_id: int
    session_key: str
    auth_hash: str
    restaurant_id: int
    view: str


@dataclass(frozen=True)
class Standing:
    """What an access holds now: the user's role at its restaurant, and the restaurant."""

    role: str
    restaurant: Restaurant


class AccessLost(OpError):
    def __init__(self) -> None:
        super().__init__("forbidden", "staff access has ended; sign in again")


def staff_socket_access(
    user, session, *, slug: str | None, view: Action
) -> tuple[StaffAccess, Restaurant] | None:
    """A staff socket's handshake: its access and restaurant, or None when it may not open.

    The restaurant is the one the URL names (``slug``: the user must work there) or, for the
    unprefixed form, the user's only one or the one they picked (restaurant/venues/scope.py);
    the user's role there must allow ``view``."""
    if not (user and user.is_authenticated and user.is_active) or not session.session_key:
        return None
    try:
        restaurant = staff_restaurant(user, slug=slug, picked_id=picked_id_of(session))
    except Http404:
        return None
    if restaurant is None:
        return None  # several restaurants and none picked
    access = StaffAccess(
        user_id=user.pk,
        session_key=session.session_key,
        auth_hash=session.get(HASH_SESSION_KEY) or "",
        restaurant_id=restaurant.pk,
        view=str(Action(view)),
    )
    return (access, restaurant) if staff_access_holds(access) else None


def staff_access_holds(access: StaffAccess) -> bool:
    return access in staff_accesses_holding([access])


def staff_access_require(access: StaffAccess) -> Standing:
    """The access's standing now (the user's current role there); raises `AccessLost` when
    it no longer holds."""
    standing = _standings([access]).get(access)
    if standing is None:
        raise AccessLost
    return standing


def staff_accesses_holding(accesses: Iterable[StaffAccess]) -> set[StaffAccess]:
    """Those of ``accesses`` that still hold, in three queries however many are asked."""
    return set(_standings(accesses))


def _standings(accesses: Iterable[StaffAccess]) -> dict[StaffAccess, Standing]:
    """The standing of each of ``accesses`` that still holds: the session still exists,
    unexpired, and names the user with the auth hash it had at the handshake, which is still
    the user's (a password change makes a new one); the user is active; their role at the
    restaurant (a superuser: manager, while the restaurant exists) may still do the access's
    ``view``. Three queries: sessions, users, roles with their restaurants."""
    accesses = set(accesses)
    if not accesses:
        return {}
    sessions = _sessions_data({a.session_key for a in accesses})
    users = {
        user.pk: user
        for user in get_user_model()._default_manager.filter(
            pk__in={a.user_id for a in accesses}, is_active=True
        )
    }
    restaurant_ids = {a.restaurant_id for a in accesses}
    members = StaffMember.objects.filter(
        user_id__in=set(users), restaurant_id__in=restaurant_ids
    ).select_related("restaurant")
    roles = {(m.user_id, m.restaurant_id): (m.role, m.restaurant) for m in members}
    if any(user.is_superuser for user in users.values()):
        missing = restaurant_ids - {r.pk for _, r in roles.values()}
        restaurants = {r.pk: r for _, r in roles.values()}
        restaurants |= {r.pk: r for r in Restaurant.objects.filter(pk__in=missing)}
    else:
        restaurants = {}
    found: dict[StaffAccess, Standing] = {}
    for access in accesses:
        user = users.get(access.user_id)
        if not _session_holds(access, sessions.get(access.session_key), user):
            continue
        if user.is_superuser:
            restaurant = restaurants.get(access.restaurant_id)
            role, restaurant = (MANAGER, restaurant) if restaurant else (None, None)
        else:
            role, restaurant = roles.get((access.user_id, access.restaurant_id), (None, None))
        if role is not None and role_may(role, access.view, restaurant):
            found[access] = Standing(role, restaurant)
    return found


def _session_holds(access: StaffAccess, data: dict | None, user) -> bool:
    if not data or user is None or not access.auth_hash:
        return False
    if data.get(SESSION_KEY) != user._meta.pk.value_to_string(user):
        return False
    if data.get(BACKEND_SESSION_KEY) not in settings.AUTHENTICATION_BACKENDS:
        return False
    session_hash = data.get(HASH_SESSION_KEY) or ""
    if not constant_time_compare(session_hash, access.auth_hash):
        return False
    # As django.contrib.auth.get_user: the current secret's hash, or a fallback secret's.
    hashes = (user.get_session_auth_hash(), *user.get_session_auth_fallback_hash())
    return any(constant_time_compare(session_hash, h) for h in hashes)


def _sessions_data(keys: set[str]) -> dict[str, dict]:
    """The data of those sessions that exist and have not expired, by key."""
    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):  # database-backed (the default): one query
        rows = store.get_model_class().objects.filter(
            session_key__in=keys, expire_date__gt=timezone.now()
        )
        return {row.session_key: store().decode(row.session_data) for row in rows}
    return {key: data for key in keys if (data := store(key).load())}


# --- Telling the sockets ----------------------------------------------------------------------


def staff_access_changed(*, user_id: int, ended_session_key: str | None = None) -> None:
    """After commit, have the user's staff sockets ask again. ``ended_session_key``: a
    session that is ending now (a logout, whose session is flushed only after its signal):
    its sockets close without asking."""
    ended = session_digest(ended_session_key) if ended_session_key else None
    broadcast_on_commit(groups.staff_user_group(user_id), group_message(RECHECK, session=ended))


def _logged_out(sender, request, user, **kwargs) -> None:
    if user is None or user.pk is None:
        return
    session = getattr(request, "session", None)
    staff_access_changed(user_id=user.pk, ended_session_key=getattr(session, "session_key", None))


def _user_saving(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    instance._staff_access_changed = False
    if raw or instance.pk is None:
        return  # fixtures; a new user has no sockets
    if update_fields is not None and not set(update_fields) & set(WATCHED_FIELDS):
        return  # `last_login` on every sign-in, say
    before = sender._default_manager.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()
    instance._staff_access_changed = before is not None and any(
        before[field] != getattr(instance, field) for field in WATCHED_FIELDS
    )


def _user_saved(sender, instance, **kwargs) -> None:
    if getattr(instance, "_staff_access_changed", False):
        staff_access_changed(user_id=instance.pk)


def _user_deleted(sender, instance, **kwargs) -> None:
    staff_access_changed(user_id=instance.pk)


def _role_changed(sender, instance, raw=False, **kwargs) -> None:
    """A role given, changed or taken away: the user's sockets ask again (a waiter made
    cashier no longer sees the kitchen; one whose role is gone, nothing)."""
    if not raw:
        staff_access_changed(user_id=instance.user_id)


def connect_signals() -> None:
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="staff-access-logout")
    pre_save.connect(_user_saving, sender=user_model, dispatch_uid="staff-access-saving")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="staff-access-saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="staff-access-deleted")
    post_save.connect(_role_changed, sender=StaffMember, dispatch_uid="staff-access-role-saved")
    post_delete.connect(_role_changed, sender=StaffMember, dispatch_uid="staff-access-role-deleted")
