from django.urls import path

from rest_framework import routers

from authentication import views
from authentication.api_tokens.views import ApiTokenViewSet
from authentication.oauth import views as oauth_views

app_name = "authentication"

urlpatterns = [
    path("register/", views.RegisterView.as_view(), name="register"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("token/refresh/", views.RefreshView.as_view(), name="token-refresh"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("profile/", views.ProfileView.as_view(), name="profile"),
    path("change-password/", views.ChangePasswordView.as_view(), name="change-password"),
    path("stats/", views.StatsView.as_view(), name="stats"),
    path("oauth/providers/", oauth_views.ProviderListView.as_view(), name="oauth-providers"),
    path("oauth/exchange/", oauth_views.ExchangeView.as_view(), name="oauth-exchange"),
    path("oauth/<slug:provider>/start/", oauth_views.StartView.as_view(), name="oauth-start"),
    path("oauth/<slug:provider>/callback/", oauth_views.CallbackView.as_view(), name="oauth-callback"),
]

router = routers.SimpleRouter()
router.register("oauth/accounts", oauth_views.IdentityViewSet, basename="oauth-account")
router.register("tokens", ApiTokenViewSet, basename="api-token")
urlpatterns += router.urls
