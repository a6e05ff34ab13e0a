from django.conf import settings
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.static import serve

from restaurant.billing import urls as billing_urls
from restaurant.core import views as core_views
from restaurant.dining import views as dining_views
from restaurant.floor import views as floor_views
from restaurant.floor import waiter_views
from restaurant.kitchen import views as kitchen_views
from restaurant.menu import views as menu_views
from restaurant.site import views as site_views
from restaurant.tables import views as tables_views
from restaurant.venues import views as venues_views

# The staff side (and the menu), served twice under the same names: at the root for the
# person's only or picked restaurant (`/kitchen/`, the contract's forms) and under
# `/r/<slug>/` for a named one. `reverse("kitchen")` gives the first,
# `reverse("kitchen", kwargs={"slug": ...})` the second; every view takes an optional `slug`.
restaurant_patterns = [
    path("api/menu/", menu_views.menu_api, name="menu-api"),
    path("kitchen/", kitchen_views.kitchen_display, name="kitchen"),
    path("kitchen/api/recent/", kitchen_views.kitchen_recent, name="kitchen-recent"),
    path("kitchen/station/<slug:code>/", kitchen_views.kitchen_station, name="kitchen-station"),
    path("staff/", floor_views.floor, name="staff-floor"),
    path("staff/api/floor/", floor_views.floor_api, name="staff-floor-api"),
    path("staff/tables/<int:number>/open/", floor_views.table_open, name="staff-table-open"),
    path("staff/tables/<int:number>/close/", floor_views.table_close, name="staff-table-close"),
    path("staff/tables/<int:number>/rotate/", tables_views.table_rotate, name="staff-table-rotate"),
    path("staff/tables/<int:number>/bill/", floor_views.table_bill, name="staff-table-bill"),
    path("staff/tables/<int:number>/order/", waiter_views.waiter_order, name="staff-waiter-order"),
    path(
        "staff/orders/<int:order_id>/accept/", floor_views.order_accept, name="staff-order-accept"
    ),
    path("staff/tables/<int:number>/qr.svg", tables_views.table_qr, name="staff-table-qr"),
    path("staff/qr-sheet/", tables_views.qr_sheet, name="staff-qr-sheet"),
    path("staff/adjustments/", kitchen_views.adjustments_page, name="staff-adjustments"),
    *billing_urls.staff_patterns,
]

urlpatterns = [
    path("", site_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    # The icon's name carries its content hash, known once the app runs: looked up per request.
    path("favicon.ico", lambda request: HttpResponseRedirect(static("favicon.svg"))),
    path("metrics", core_views.metrics, name="metrics"),
    path("t/<str:token>/", dining_views.table_page, name="table"),
    path("t/<str:token>/join/", dining_views.table_join, name="table-join"),
    path("api/t/<str:token>/bill/", dining_views.bill_api, name="bill-api"),
    *billing_urls.diner_patterns,
    path("staff/login/", venues_views.StaffLoginView.as_view(), name="staff-login"),
    path("staff/logout/", venues_views.StaffLogoutView.as_view(), name="staff-logout"),
    path("staff/restaurants/", venues_views.restaurants, name="staff-restaurants"),
    path("staff/pair/<str:secret>/", venues_views.device_pair_view, name="staff-device-pair"),
    path("", include(restaurant_patterns)),
    path("r/<slug:slug>/", include(restaurant_patterns)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

if settings.SERVE_MEDIA:
    # The embedded server's uploads (dish photos); in production nginx serves /media/ itself.
    urlpatterns += [
        re_path(r"^media/(?P<path>.+)$", serve, {"document_root": settings.MEDIA_ROOT}),
    ]
