"""The admin of restaurants and their staff. A manager sees and changes only the restaurants
they manage (never adds or deletes one), and adds or removes only their staff; a superuser
sees all (restaurant/venues/admin_scope.py)."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from restaurant.venues.admin_scope import RestaurantScoped
from restaurant.venues.devices import PAIRING_TTL, device_pairing_open
from restaurant.venues.forms import StaffMemberAddForm, StaffMemberChangeForm
from restaurant.venues.models import Restaurant, StaffMember, Station


@admin.register(Restaurant)
class RestaurantAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("name", "name_en", "slug", "currency", "language", "staff_opens_tables",
                    "menu_version")  # fmt: skip
    readonly_fields = ("menu_version",)

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        if obj is not None and not request.user.is_superuser:
            # The slug is in every staff URL and bookmark of the restaurant: the deployment's
            # operator changes it, not the restaurant.
            fields = (*fields, "slug")
        return fields


@admin.register(Station)
class StationAdmin(RestaurantScoped, admin.ModelAdmin):
    """A restaurant's stations: what each makes is set on its categories (or a dish)."""

    list_display = ("name", "name_en", "code", "restaurant", "target_minutes", "sort_order")
    list_filter = (("restaurant", admin.RelatedOnlyFieldListFilter),)
    list_editable = ("target_minutes", "sort_order")
    fields = ("restaurant", "name", "name_en", "code", "target_minutes", "sort_order")


@admin.register(StaffMember)
class StaffMemberAdmin(RestaurantScoped, admin.ModelAdmin):
    list_display = ("user", "restaurant", "role", "is_device", "pairing_open", "created_at")
    list_filter = ("role", ("restaurant", admin.RelatedOnlyFieldListFilter), "is_device")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "restaurant")
    actions = ["open_pairing_link"]
    add_form = StaffMemberAddForm
    form = StaffMemberChangeForm
    add_fieldsets = (
        (None, {"fields": ("restaurant", "role", "username", "is_device", "password1",
                           "password2")}),
    )  # fmt: skip
    fields = ("user", "restaurant", "role", "station", "is_device", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # A role is changed here; the person and the restaurant are not (remove the row and
        # add another). Passwords are each person's own (a superuser sets them in Users).
        return ("user", "restaurant", "is_device", "created_at") if obj else ()

    def get_fieldsets(self, request, obj=None):
        return self.add_fieldsets if obj is None else super().get_fieldsets(request, obj)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
            kwargs["fields"] = None
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:  # whom it may give a role depends on who adds (StaffMemberAddForm)
            form = type(form.__name__, (form,), {"acting_user": request.user})
        return form

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        # an added member was made by the form, through the services

    @admin.display(description=_("pairing link open"), boolean=True)
    def pairing_open(self, member: StaffMember) -> bool | None:
        return bool(member.pairing_digest) if member.is_device else None

    @admin.action(description=_("Open a pairing link (devices)"))
    def open_pairing_link(self, request, queryset):
        """Each selected device gets a new one-time link, shown once here; people are
        skipped (they sign in with their password)."""
        minutes = int(PAIRING_TTL.total_seconds() // 60)
        skipped = 0
        for member in queryset.select_related("user", "restaurant"):
            if not member.is_device:
                skipped += 1
                continue
            secret = device_pairing_open(member=member)
            url = request.build_absolute_uri(reverse("staff-device-pair", args=[secret]))
            messages.warning(
                request,
                _("Open this link on the tablet “%(device)s” within %(minutes)d minutes; it "
                  "works once and is not shown again: %(url)s")
                % {"device": member.user.get_full_name() or member.user.username,
                   "minutes": minutes, "url": url},
            )  # fmt: skip
        if skipped:
            messages.info(request, _("People sign in with their password: %(n)d skipped.")
                          % {"n": skipped})  # fmt: skip
