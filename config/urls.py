from django.contrib import admin
from django.urls import include, path

from restaurant.core import views as core_views
from restaurant.dining import views as dining_views
from restaurant.menu import views as menu_views

urlpatterns = [
    path("", core_views.landing, name="landing"),
    path("healthz", core_views.healthz, name="healthz"),
    path("t/<str:token>/", dining_views.table_page, name="table"),
    path("api/menu/", menu_views.menu_api, name="menu-api"),
    path("api/t/<str:token>/bill/", dining_views.bill_api, name="bill-api"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
