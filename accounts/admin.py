"""Accounts for support staff: find one by e-mail, see when they joined and how they sign
in, send a reset mail. Read-only, and no hash anywhere (not even Django's masked summary)."""
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .mail import send_reset_mail
from .models import Account


@admin.register(Account)
class AccountAdmin(admin.ModelAdmin):
    list_display = ["email", "name", "joined", "sign_in", "last_sign_in", "is_active"]
    list_filter = ["joined"]
    search_fields = ["email", "name", "=id"]
    ordering = ["-joined"]
    fields = ["id", "email", "name", "joined", "sign_in", "last_sign_in", "is_active", "google_id", "github_id"]
    readonly_fields = fields
    list_select_related = ["user"]
    actions = ["send_password_reset"]

    @admin.display(description="Signs in with")
    def sign_in(self, account: Account) -> str:
        return ", ".join(account.sign_in_methods) or "nothing (disabled)"

    @admin.display(description="Last sign-in")
    def last_sign_in(self, account: Account) -> object:
        return account.user.last_login

    @admin.display(boolean=True, description="Active")
    def is_active(self, account: Account) -> bool:
        return account.user.is_active

    @admin.action(description="Send a password reset mail", permissions=["view"])
    def send_password_reset(self, request: HttpRequest, accounts: QuerySet[Account]) -> None:
        sent = [account.email for account in accounts.select_related("user") if send_reset_mail(account)]
        failed = accounts.count() - len(sent)
        if sent:
            self.message_user(request, f"Sent a reset mail to {', '.join(sent)}.", messages.SUCCESS)
        if failed:
            self.message_user(request, f"{failed} mail(s) could not be sent; see the log.", messages.ERROR)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # people sign up themselves (POST /auth/register or a provider)

    def has_delete_permission(self, request: HttpRequest, obj: Account | None = None) -> bool:
        return False
