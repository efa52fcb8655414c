"""/auth/ as the original frontend's route handlers call it; each with and without a slash."""
from django.urls import re_path

from .oauth_views import GitHubCallbackView, GoogleCallbackView, ProviderStartView
from .views import ForgotPasswordView, LoginView, RegisterView, ResetPasswordView

urlpatterns = [
    re_path(r"^auth/register/?$", RegisterView.as_view(), name="auth-register"),
    re_path(r"^auth/login/?$", LoginView.as_view(), name="auth-login"),
    re_path(r"^auth/forgot-password/?$", ForgotPasswordView.as_view(), name="auth-forgot-password"),
    re_path(r"^auth/reset-password/?$", ResetPasswordView.as_view(), name="auth-reset-password"),
    re_path(r"^auth/google/?$", ProviderStartView.as_view(provider="google"), name="auth-google"),
    re_path(r"^auth/google/callback/?$", GoogleCallbackView.as_view(), name="auth-google-callback"),
    re_path(r"^auth/github/?$", ProviderStartView.as_view(provider="github"), name="auth-github"),
    re_path(r"^auth/callback/github/?$", GitHubCallbackView.as_view(), name="auth-github-callback"),
]
