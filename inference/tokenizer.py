"""The fleet's shared tokenizer: byte-level BPE with one token per digit.

Every model of a fleet must use the same token ids, or a cloud correction would mean a
different string on the device. `tokenizer_hash` fingerprints the id mapping; loaders
compare it and refuse a mismatch (`TokenizerMismatchError`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from pathlib import Path

from transformers import PreTrainedTokenizerFast

from inference.errors import InferenceError, TokenizerMismatchError

EOS = "<|endoftext|>"
TOKENIZER_FILE = "tokenizer.json"

# texts two tokenizers with one vocabulary must split alike (digits, spaces, punctuation,
# newlines, unicode): a pre-tokenizer or normalizer of their own changes these, not the hash
PROBES = (
    "Q: What is 12 + 5?\nA: 17",
    "3.14159 1,000,000 2024-01-31 007",
    "  two  spaces,\ta tab and   three",
    "Hello, world! (a) [b] {c}; x=y-z/2 \"quoted\" it's",
    "line one\n\nline three\r\n    indented\n",
    "café naïve Zürich 日本語 😀 — ½",
)


def train_tokenizer(texts: Iterable[str], vocab_size: int) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on `texts`; every digit is its own token.

    Single-digit tokens make arithmetic learnable by small models (every number is
    spelled the same way in every context).
    """
    from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

    if vocab_size < 300:
        raise InferenceError(f"vocab_size={vocab_size} is too small for byte-level BPE: use >= 300")
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        # one piece per digit; a leading space stays with the first digit (" 3", "2")
        pre_tokenizers.Split(Regex(r" ?[0-9]"), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=[EOS],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False,
    )
    tok.train_from_iterator(texts, trainer=trainer)
    return PreTrainedTokenizerFast(tokenizer_object=tok, eos_token=EOS, bos_token=EOS,
                                   pad_token=EOS, unk_token=None)


def tokenizer_hash(tokenizer: PreTrainedTokenizerFast) -> str:
    """sha256 of the token -> id mapping (the part models depend on), hex."""
    vocab = sorted(tokenizer.get_vocab().items(), key=lambda kv: kv[1])
    return hashlib.sha256(json.dumps(vocab, ensure_ascii=False).encode("utf-8")).hexdigest()


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load a tokenizer saved with `save_pretrained` (a folder holding tokenizer.json)."""
    return PreTrainedTokenizerFast.from_pretrained(str(path))


def check_same(expected_hash: str, tokenizer: PreTrainedTokenizerFast, what: str,
               against: str = "the fleet") -> None:
    """Raise TokenizerMismatchError unless `tokenizer` hashes to `expected_hash`, the hash of
    `against`'s tokenizer (the fleet's, or the one model a second must match)."""
    actual = tokenizer_hash(tokenizer)
    if actual != expected_hash:
        raise TokenizerMismatchError(
            f"{what} uses a different tokenizer (hash {actual[:12]}) than {against} "
            f"(hash {expected_hash[:12]}): all models of a fleet must share one tokenizer; "
            f"bring models saved with one tokenizer.json, or re-export {what.removeprefix('model ')} with {against}'s"
        )


def check_same_splits(expected: PreTrainedTokenizerFast, tokenizer: PreTrainedTokenizerFast, what: str,
                      against: str) -> None:
    """Raise TokenizerMismatchError unless `tokenizer` gives the ids `expected` (`against`'s
    tokenizer) gives for every probe text: one vocabulary (one hash) with another pre-tokenizer,
    normalizer or post-processor reads the same text as other tokens."""
    for text in PROBES:
        want, got = encode_prompt(expected, text), encode_prompt(tokenizer, text)
        if want != got:
            raise TokenizerMismatchError(
                f"{what} splits text otherwise than {against}, with the same vocabulary (hash "
                f"{tokenizer_hash(tokenizer)[:12]}): {text!r} is {got} for {what.removeprefix('model ')} and "
                f"{want} for {against} (another pre-tokenizer or normalizer in its tokenizer.json); all models "
                f"of a fleet must share one tokenizer: save {what.removeprefix('model ')} with {against}'s "
                "tokenizer.json"
            )


def stop_token_ids(tokenizer: PreTrainedTokenizerFast, stops: tuple[str, ...]) -> frozenset[int]:
    """Ids of every token whose text contains one of `stops` (e.g. "\\n" also sits inside
    merged tokens such as ".\\n"): the decoder's `stop_ids` for those stop strings. A stop
    string spread over several tokens is not caught; single characters always are."""
    if not stops:
        return frozenset()
    return frozenset(i for i, text in enumerate(_token_texts(tokenizer))
                     if any(s in text for s in stops) and i != tokenizer.eos_token_id)


def number_token_ids(tokenizer: PreTrainedTokenizerFast) -> frozenset[int]:
    """Ids of every token whose text holds a decimal digit (" 3", "25", "2nd"): the cache's
    `ServeRule.number_tokens`. Decoded text, not the raw vocabulary string, so byte-fallback
    pieces such as "<0x41>" (an "A") do not count."""
    return frozenset(i for i, text in enumerate(_token_texts(tokenizer)) if any(c.isdecimal() for c in text))


def _token_texts(tokenizer: PreTrainedTokenizerFast) -> list[str]:
    """The decoded text of every token id, alone (index = id)."""
    return tokenizer.batch_decode([[i] for i in range(len(tokenizer))])


def encode_prompt(tokenizer: PreTrainedTokenizerFast, text: str) -> list[int]:
    """Token ids of a text prompt, exactly as the decoder tokenizes it (special tokens such
    as a BOS are added when the tokenizer's own post-processor adds them): every entry
    point (CLI, device agent, cloud server) goes through here, so a text prompt and the
    decoder's own ids for it give the same continuation."""
    return list(tokenizer(text)["input_ids"])
