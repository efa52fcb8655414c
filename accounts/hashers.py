"""The hasher of the raw bcrypt hashes adopted from the original (accounts/adoption.py)."""
from django.contrib.auth.hashers import BCryptPasswordHasher

BCRYPT_MAX_BYTES = 72


class AdoptedBCryptPasswordHasher(BCryptPasswordHasher):
    """Django's `bcrypt$<hash>`, verifying passwords as the original's bcrypt did.

    bcrypt before 5.0 (the original's) silently used only the first 72 bytes of a
    password; bcrypt 5 refuses longer ones with ValueError, which would turn an adopted
    user's long password into a 500. Truncating here gives the hash the original made.
    New hashes are never made with it: it is not first in PASSWORD_HASHERS, and the
    first sign-in re-hashes with the default."""

    def encode(self, password: str, salt: bytes) -> str:
        data = self._load_library().hashpw(password.encode()[:BCRYPT_MAX_BYTES], salt)
        return f"{self.algorithm}${data.decode('ascii')}"
