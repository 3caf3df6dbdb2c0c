"""Password hashing with argon2id (pwdlib). Hashing runs off the event loop."""

import asyncio

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher


class PasswordHasher:
    def __init__(self) -> None:
        # OWASP's argon2id configuration (19 MiB, 2 passes, 1 lane): about 45 ms a hash on
        # one core, a third of the library's 64 MiB default, so sign-in bursts stay cheap.
        # Existing hashes carry their own parameters and keep verifying.
        self._hash = PasswordHash((Argon2Hasher(time_cost=2, memory_cost=19456, parallelism=1),))

    async def hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hash.hash, password)

    async def verify(self, password: str, password_hash: str) -> bool:
        return await asyncio.to_thread(self._hash.verify, password, password_hash)
