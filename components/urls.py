from django.urls import path

from rest_framework import routers

from components import views

router = routers.DefaultRouter()
router.include_root_view = False
router.register("categories", views.ComponentCategoryViewSet, basename="component-category")
router.register("templates", views.ComponentTemplateViewSet, basename="component-template")
router.register("instances", views.ComponentInstanceViewSet, basename="component-instance")
router.register("connections", views.ComponentConnectionViewSet, basename="component-connection")
router.register("variables", views.ComponentVariableViewSet, basename="component-variable")

urlpatterns = [
    path("types/", views.ComponentTypesView.as_view(), name="component-types"),
    path("categories-list/", views.CategoriesListView.as_view(), name="component-categories-list"),
    path("schema/<str:type_name>/", views.ComponentSchemaView.as_view(), name="component-schema"),
    path("validate/", views.NodeConfigValidateView.as_view(), name="component-validate"),
    *router.urls,
]
