"""What `redact` masks by default: a reviewer's proxy saw a non-ASCII e-mail, a phone number in
pairs and a PIN in single digits reach the cloud ("07 12 34 56 78", "PIN 4 9 2 7"), and a card
in groups masked group by group."""

import pytest

from inference.privacy import PLACEHOLDER, PrivacyPolicy, strictest

REDACT = PrivacyPolicy("redact")


@pytest.mark.parametrize("text, masked", [
    ("write to bob.private@exämple.de", "write to [redacted]"),
    ("or jö@x.com.", "or [redacted]."),
    ("call 07 12 34 56 78 now", "call [redacted] now"),
    ("PIN 4 9 2 7,", "PIN [redacted],"),
    ("card 4111 1111 1111 1111.", "card [redacted]."),
    ("card 4111-1111-1111-1111", "card [redacted]"),
    ("SSN 123-45-6789", "SSN [redacted]"),
    ("alice.secret@example.com", "[redacted]"),
])
def test_personal_numbers_and_addresses_are_masked_whole(text, masked):
    assert REDACT.redact(text) == masked
    assert REDACT.cloud_prompt(text) == masked


def test_a_questions_small_numbers_stay():
    question = "Q: Ben has 20 cards. She loses 4 of her cards. 12 + 34 = ? 10 - 5 and 3.5 kg"
    assert REDACT.redact(question) == question and PLACEHOLDER not in REDACT.redact(question)


def test_the_strictest_mode_wins_and_an_unknown_one_is_refused():
    from inference.errors import InferenceError

    assert strictest(None, "allow", "redact") == "redact"
    assert strictest("local-only", "allow") == "local-only" and strictest(None, None) is None
    with pytest.raises(InferenceError, match="'public'"):
        strictest("allow", "public")
