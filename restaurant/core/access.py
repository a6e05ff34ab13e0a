"""Who is staff: the one place the rule lives, for the staff views and the staff sockets.

A view asks on every request (the session middleware loads the user afresh). A socket is
asked once at its handshake and then lives on, past a logout, a deactivation or a password
change (django/channels#1324). So a staff socket keeps what it was opened with
(`StaffAccess`) and asks again, in the database: before every op, when its user's access
changes (`staff_access_changed`, sent on logout and on a save that changes `is_active`,
`is_staff` or the password), and on every heartbeat (`restaurant/realtime/liveness.py`, for
what no signal announces: a session that expired or was deleted, a `QuerySet.update()` of
users). A socket whose access no longer holds closes with 4403.
"""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import import_module

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.auth.decorators import user_passes_test
from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import post_delete, post_save, pre_save
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from restaurant.realtime import groups
from restaurant.realtime.broadcast import broadcast_on_commit, group_message
from restaurant.realtime.errors import OpError

RECHECK = "staff.recheck"  # the group message that makes a user's staff sockets ask again
WATCHED_FIELDS = ("is_active", "is_staff", "password")


def is_staff(user) -> bool:
    return bool(user and user.is_authenticated and user.is_active and user.is_staff)


# The staff views' decorator: the admin's `staff_member_required`, on this module's rule.
staff_required = user_passes_test(is_staff, login_url="admin:login")


def session_digest(session_key: str) -> str:
    """Names a Django session in messages and rows without giving its key away."""
    return hashlib.sha256(session_key.encode()).hexdigest()


@dataclass(frozen=True)
class StaffAccess:
    """What a staff socket was opened with: its user, its Django session, and the session's
    auth hash at the handshake."""

    user_id: int
    session_key: str
    auth_hash: str


class AccessLost(OpError):
    def __init__(self) -> None:
        super().__init__("forbidden", "staff access has ended; sign in again")


def staff_access_of(user, session) -> StaffAccess | None:
    """A staff socket's handshake: its access, or None when it may not open."""
    if not is_staff(user) or not session.session_key:
        return None
    access = StaffAccess(user.pk, session.session_key, session.get(HASH_SESSION_KEY) or "")
    return access if staff_access_holds(access) else None


def staff_access_holds(access: StaffAccess) -> bool:
    return access in staff_accesses_holding([access])


def staff_access_require(access: StaffAccess) -> None:
    if not staff_access_holds(access):
        raise AccessLost


def staff_accesses_holding(accesses: Iterable[StaffAccess]) -> set[StaffAccess]:
    """Those of ``accesses`` that still hold, in two queries however many are asked: the
    session still exists, unexpired, and names the user with the auth hash it had at the
    handshake, which is still the user's (a password change makes a new one); the user is
    active and staff."""
    accesses = set(accesses)
    if not accesses:
        return set()
    sessions = _sessions_data({a.session_key for a in accesses})
    users = {
        user.pk: user
        for user in get_user_model()._default_manager.filter(
            pk__in={a.user_id for a in accesses}, is_active=True, is_staff=True
        )
    }
    return {a for a in accesses if _holds(a, sessions.get(a.session_key), users.get(a.user_id))}


def _holds(access: StaffAccess, data: dict | None, user) -> bool:
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


def connect_signals() -> None:
    user_model = get_user_model()
    user_logged_out.connect(_logged_out, dispatch_uid="staff-access-logout")
    pre_save.connect(_user_saving, sender=user_model, dispatch_uid="staff-access-saving")
    post_save.connect(_user_saved, sender=user_model, dispatch_uid="staff-access-saved")
    post_delete.connect(_user_deleted, sender=user_model, dispatch_uid="staff-access-deleted")
