"""Adopting the original's `users` table: every user keeps their id (so their tasks stay
theirs), their e-mail, name, provider link, and their password.

The original stored raw bcrypt hashes (`$2b$12$...`); Django's BCryptPasswordHasher
reads them as `bcrypt$<raw hash>` (accounts.hashers), and the next sign-in re-hashes
with the default hasher. The `users` table itself is left alone (the original's other
tables point at it). Running it again adopts only users not adopted yet.
"""
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import User
from django.db import transaction

from tasks import sql
from tasks.models import Owner

from .models import Account, normalize_email, username_for

ORIGINAL_TABLE = "users"
REQUIRED_COLUMNS = {"id", "email", "name", "password_hash"}


def original_columns() -> set[str]:
    rows = sql.execute_all("SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                           "AND table_name = %s", [ORIGINAL_TABLE])
    return {name for (name,) in rows}


def _original_users(columns: set[str]) -> list[dict[str, object]]:
    optional = [name for name in ["oauth_provider", "oauth_id", "created_at"] if name in columns]
    names = ["id", "email", "name", "password_hash", *optional]
    return [dict(zip(names, row)) for row in sql.execute_all(f"SELECT {', '.join(names)} FROM {ORIGINAL_TABLE} ORDER BY id")]


def password_of(password_hash: object) -> str:
    """Django's encoding of an original hash; no usable password for provider-only users."""
    if isinstance(password_hash, str) and password_hash.startswith(("$2a$", "$2b$", "$2y$")):
        return f"bcrypt${password_hash}"
    return make_password(None)


@transaction.atomic
def adopt_users() -> tuple[int, list[str]]:
    """Create the Account (and auth.User) of every original user not adopted yet; returns
    how many, and the ids left out because another account has their e-mail."""
    columns = original_columns()
    if not REQUIRED_COLUMNS <= columns:
        return 0, []
    adopted, skipped = 0, []
    known_ids = set(Account.objects.values_list("id", flat=True))
    known_emails = set(Account.objects.values_list("email", flat=True))
    for row in _original_users(columns):
        account_id, email = str(row["id"]), normalize_email(str(row["email"]))
        if account_id in known_ids:
            continue
        if email in known_emails:
            skipped.append(account_id)
            continue
        user = User.objects.create(username=username_for(account_id), email=email,
                                   password=password_of(row["password_hash"]))
        provider = row.get("oauth_provider")
        links = {f"{provider}_id": str(row["oauth_id"])} if provider in ("google", "github") and row.get("oauth_id") else {}
        account = Account.objects.create(id=account_id, user=user, email=email, name=str(row["name"])[:100], **links)
        if row.get("created_at"):
            Account.objects.filter(pk=account.pk).update(joined=row["created_at"])
            User.objects.filter(pk=user.pk).update(date_joined=row["created_at"])
        Owner.objects.get_or_create(sub=account_id, defaults={"email": email, "name": account.name})
        known_ids.add(account_id)
        known_emails.add(email)
        adopted += 1
    return adopted, skipped
