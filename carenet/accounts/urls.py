from django.urls import path

from carenet.accounts import views

urlpatterns = [
    path("", views.security, name="account_security"),
    path("password/", views.password_change, name="password_change"),
    path("two-factor/", views.otp_setup, name="account_otp_setup"),
    path("two-factor/disable/", views.otp_disable, name="account_otp_disable"),
    path("two-factor/verify/", views.otp_verify, name="account_otp_verify"),
    path("tokens/", views.tokens, name="account_tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="account_token_revoke"),
]
