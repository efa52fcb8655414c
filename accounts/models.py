"""Who signs in here: Django's own auth.User (password hash, last_login, is_active), plus
the Account profile that holds what the API knows a user by (README "Accounts")."""
import uuid

from django.contrib.auth.models import User
from django.db import models, transaction
from django.db.models.functions import Lower

from .passwords import hash_password

MAX_ID_LENGTH = 255  # the token's `sub`, like tasks' user_id


def normalize_email(email: str) -> str:
    """The original's rule: addresses are stored and compared trimmed and lower-cased."""
    return email.strip().lower()


def username_for(account_id: str) -> str:
    # auth.User.username holds at most 150 characters; ids are UUIDs (36) but an adopted
    # original id may be anything up to 255.
    return account_id if len(account_id) <= 150 else f"sha256:{uuid.uuid5(uuid.NAMESPACE_URL, account_id)}"


class AccountQuerySet(models.QuerySet["Account"]):
    def with_email(self, email: str) -> "AccountQuerySet":
        return self.filter(email=normalize_email(email))

    def register(self, *, name: str, email: str, password: str | None, account_id: str | None = None,
                 **sign_in: str) -> "Account":
        """Create the auth.User and its Account in one transaction; `password=None` is an
        account that signs in only through a provider (google_id / github_id in sign_in).
        An e-mail taken meanwhile raises IntegrityError from the unique index."""
        account_id = account_id or str(uuid.uuid4())
        email = normalize_email(email)
        with transaction.atomic():
            # None: an unusable password, as Django's docs say.
            user = User.objects.create(username=username_for(account_id), email=email, password=hash_password(password))
            return self.create(id=account_id, user=user, email=email, name=name, **sign_in)


class Account(models.Model):
    """A person who signs in to TaskFlow: `id` is the tokens' `sub` and so tasks' user_id."""

    id = models.CharField(max_length=MAX_ID_LENGTH, primary_key=True)
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="account")
    # Unique as stored, and stored lower-cased (the check): case-insensitively unique with
    # a plain b-tree index that `email = %s` lookups use.
    email = models.EmailField(max_length=255, unique=True, help_text="Stored trimmed and lower-cased")
    name = models.CharField(max_length=100)
    google_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    github_id = models.CharField(max_length=255, null=True, blank=True, unique=True)
    joined = models.DateTimeField(auto_now_add=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(email=Lower("email")), name="account_email_lower_case")]

    def __str__(self) -> str:
        return self.email

    @property
    def sign_in_methods(self) -> list[str]:
        """How this person can sign in, for support staff (never the hash itself)."""
        return [method for method, present in [
            ("password", self.user.has_usable_password()),
            ("google", bool(self.google_id)),
            ("github", bool(self.github_id)),
        ] if present]

    @transaction.atomic
    def link_provider(self, provider: str, provider_id: str) -> None:
        setattr(self, f"{provider}_id", provider_id)
        self.save(update_fields=[f"{provider}_id"])


class SignInCounter(models.Model):
    """Sign-in attempts of one client address or e-mail in the current fixed window
    (accounts/throttle.py writes these with one upsert each)."""

    key = models.CharField(max_length=320, primary_key=True)
    window_start = models.DateTimeField(db_index=True)
    attempts = models.IntegerField()

    def __str__(self) -> str:
        return f"{self.key}: {self.attempts}"


class OAuthState(models.Model):
    """A started provider sign-in: the `state` sent to the provider and the PKCE verifier
    that only the token exchange may see. In PostgreSQL, so the callback may reach any
    web process; deleted when used (single use)."""

    state = models.CharField(max_length=64, primary_key=True)
    provider = models.CharField(max_length=20)
    code_verifier = models.CharField(max_length=128)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self) -> str:
        return f"{self.provider} {self.created:%Y-%m-%d %H:%M}"
