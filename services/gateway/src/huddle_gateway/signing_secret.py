"""Whether a secret is fit to sign access tokens: long, not known, not low in entropy.

Anyone who knows the secret can sign a token for any member, the instance admin included,
so the gateway refuses to start with one that could be guessed (unless told it runs for
local development only, ``HUDDLE_LOCAL_DEVELOPMENT=true``).
"""

import math
from collections import Counter

MINIMUM_BYTES = 32  # RFC 7518, section 3.2: at least the hash's size for HS256
MINIMUM_ENTROPY_BITS = 128.0

# Secrets that have been published: in this project's docs and code, and the obvious ones.
KNOWN = frozenset(
    {
        "local-development-only-" + "0" * 24,  # `make run`'s fixed secret until 2026-12
        "changeme",
        "change-me",
        "secret",
        "password",
        "jwt-secret",
        "huddle",
        "your-256-bit-secret",  # jwt.io's example
        "supersecret",
        "please-change-this-secret-in-production",
    }
)


def estimated_entropy_bits(secret: str) -> float:
    """Shannon entropy of the secret's characters times its length: an upper bound on what
    it holds, low for repeats and small alphabets ("aaaa…", "abab…", words of one letter
    set). A random value of 32 bytes or more, as hex or base64, is well above the minimum."""
    counts = Counter(secret)
    per_character = -sum(n / len(secret) * math.log2(n / len(secret)) for n in counts.values())
    return per_character * len(secret)


def weakness(secret: str) -> str | None:
    """Why ``secret`` must not sign tokens, or None when it is fit."""
    if secret.strip().lower() in KNOWN:
        return "it is a published secret"
    if len(secret.encode()) < MINIMUM_BYTES:
        return f"it is shorter than {MINIMUM_BYTES} bytes"
    if estimated_entropy_bits(secret) < MINIMUM_ENTROPY_BITS:
        return "it is too predictable (repeated or too few different characters)"
    return None
