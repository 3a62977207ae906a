"""Danger signals in the free text of care records (talks, home visits, counselling, calls).

Pure Python, no models: the alert services call `find_signals(text)` and decide what to
raise. The phrases live in `data/lexicon.toml`; how they are matched, and the negation,
hedge, question and actor rules, are described in docs/text-signals.md.

Privacy: nothing here logs or prints the text or a phrase.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
import tomllib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

LEXICON_PATH = Path(__file__).with_name("data") / "lexicon.toml"

# A segmenter cuts a sentence into words whose concatenation is the sentence.
Segmenter = Callable[[str], Sequence[str]]

_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = _SENTENCE_END + "，,、：:"
_GAP = "…"


class SignalCategory(StrEnum):
    SELF_HARM = "self_harm"
    ABUSE = "abuse"
    DOMESTIC_VIOLENCE = "domestic_violence"
    BULLYING = "bullying"
    SEXUAL_HARM = "sexual_harm"
    RUNNING_AWAY = "running_away"
    DROPOUT = "dropout"
    CHILD_LABOUR = "child_labour"


CATEGORY_LABELS: dict[SignalCategory, Promise] = {
    SignalCategory.SELF_HARM: _("自伤自杀"),
    SignalCategory.ABUSE: _("虐待"),
    SignalCategory.DOMESTIC_VIOLENCE: _("家庭暴力"),
    SignalCategory.BULLYING: _("欺凌"),
    SignalCategory.SEXUAL_HARM: _("性侵害"),
    SignalCategory.RUNNING_AWAY: _("离家出走、失踪"),
    SignalCategory.DROPOUT: _("辍学"),
    SignalCategory.CHILD_LABOUR: _("未成年外出打工"),
}


@dataclass(frozen=True)
class TextSignal:
    category: SignalCategory
    phrase: str  # the words that fired, as they stand in the text (text[start:end])
    start: int  # character offsets in the text given to find_signals
    end: int
    sentence: str  # the sentence it fired in


# --- the lexicon ------------------------------------------------------------------------


@dataclass(frozen=True)
class _Category:
    category: SignalCategory
    terms: tuple[re.Pattern[str], ...]
    exclude: tuple[re.Pattern[str], ...]
    hedge_cancels: bool
    # nearest actor before the end of a match -> "keep", "drop" or a category value
    actor: dict[str, str]


@dataclass(frozen=True)
class Lexicon:
    version: str
    source: str
    categories: tuple[_Category, ...]
    groups: dict[str, tuple[str, ...]]
    negations: frozenset[str]
    negation_window: int
    negation_window_chars: int
    hedges: tuple[str, ...]
    question_markers: tuple[str, ...]
    affirm_whole: frozenset[str]
    affirm_words: tuple[str, ...]
    user_words: tuple[str, ...]  # whole words for the segmenter's dictionary


def _pieces(term: str) -> Iterator[str]:
    """Split a term into literals, "{group}" and "…"."""
    for piece in re.split(r"(\{\w+\}|…)", term):
        if piece:
            yield piece


def _compile(term: str, groups: dict[str, tuple[str, ...]], gap: int) -> re.Pattern[str]:
    no_clause_end = "[^" + re.escape(_CLAUSE_END) + "]"
    parts = []
    for piece in _pieces(term):
        if piece == _GAP:
            parts.append(f"{no_clause_end}{{0,{gap}}}?")
        elif piece.startswith("{"):
            words = sorted(groups[piece[1:-1]], key=len, reverse=True)
            parts.append("(?:" + "|".join(map(re.escape, words)) + ")")
        else:
            parts.append(re.escape(piece))
    return re.compile("".join(parts))


def _whole_words(term: str, groups: dict[str, tuple[str, ...]]) -> Iterator[str]:
    """The words a term adds to the segmenter's dictionary: the term itself with its
    groups spelled out, or, for a term with gaps, its literal pieces of two or more."""
    pieces = list(_pieces(term))
    if _GAP in pieces:
        for piece in pieces:
            if piece != _GAP and not piece.startswith("{") and len(piece) >= 2:
                yield piece
        return
    options = [groups[p[1:-1]] if p.startswith("{") else (p,) for p in pieces]
    for combination in itertools.product(*options):
        yield "".join(combination)


def load_lexicon(path: Path = LEXICON_PATH) -> Lexicon:
    with path.open("rb") as f:
        data: dict[str, Any] = tomllib.load(f)
    groups = {name: tuple(words) for name, words in data["groups"].items()}
    gap = int(data["gap"])
    categories = []
    user_words: dict[str, None] = {}
    for key, spec in data["categories"].items():
        for term in spec["terms"]:
            user_words.update(dict.fromkeys(_whole_words(term, groups)))
        actor = {group: str(action) for group, action in spec.get("actor", {}).items()}
        for group, action in actor.items():
            if group not in groups or action not in ("keep", "drop", *SignalCategory):
                raise ValueError(f"lexicon: bad actor rule {group} = {action} in {key}")
        categories.append(
            _Category(
                category=SignalCategory(key),
                terms=tuple(_compile(t, groups, gap) for t in spec["terms"]),
                exclude=tuple(_compile(t, groups, gap) for t in spec.get("exclude", [])),
                hedge_cancels=bool(spec["hedge_cancels"]),
                actor=actor,
            )
        )
    return Lexicon(
        version=str(data["version"]),
        source=str(data["source"]),
        categories=tuple(categories),
        groups=groups,
        negations=frozenset(data["negation"]["words"]),
        negation_window=int(data["negation"]["window"]),
        negation_window_chars=int(data["negation"]["window_chars"]),
        hedges=tuple(data["hedge"]["words"]),
        question_markers=tuple(data["question"]["markers"]),
        affirm_whole=frozenset(data["question"]["affirm_whole"]),
        affirm_words=tuple(data["question"]["affirm_words"]),
        user_words=tuple(w for w in user_words if len(w) >= 2),
    )


@cache
def _lexicon() -> Lexicon:
    return load_lexicon()


def lexicon_version() -> str:
    return _lexicon().version


# --- segmentation -----------------------------------------------------------------------


def jieba_segmenter(user_words: Sequence[str]) -> Segmenter:
    """A jieba tokenizer of its own (the global one is left alone) that keeps the
    lexicon's words whole. Loading takes about a second."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # silence "Building prefix dict ..." on stderr
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in user_words:
        tokenizer.add_word(word)
    return lambda sentence: tokenizer.lcut(sentence, HMM=False)


_default_lock = threading.Lock()
_default_matcher: Matcher | None = None


def _matcher() -> Matcher:
    """The process's matcher, built once (jieba loads lazily, under a lock)."""
    global _default_matcher
    if _default_matcher is None:
        with _default_lock:
            if _default_matcher is None:
                lexicon = _lexicon()
                _default_matcher = Matcher(lexicon, jieba_segmenter(lexicon.user_words))
    return _default_matcher


def find_signals(text: str) -> list[TextSignal]:
    """The danger signals in a care record's text: at most one per category and
    sentence, in the order they stand in the text."""
    if not text or not text.strip():
        return []
    return _matcher().find(text)


# --- matching ---------------------------------------------------------------------------


@dataclass
class _Candidate:
    category: SignalCategory
    spec: _Category
    start: int  # offsets in the sentence
    end: int


def _spans(text: str, ends: str) -> list[tuple[int, int]]:
    """(start, end) of the pieces of text closed by one of `ends` (the end included)."""
    spans, start = [], 0
    for i, char in enumerate(text):
        if char in ends:
            spans.append((start, i + 1))
            start = i + 1
    if start < len(text):
        spans.append((start, len(text)))
    return spans


class Matcher:
    """The lexicon matched with one segmenter, or with none (plain substrings, for the
    benchmark's baseline)."""

    def __init__(self, lexicon: Lexicon, segmenter: Segmenter | None) -> None:
        self.lexicon = lexicon
        self.segmenter = segmenter
        self._actor_words = {
            name: tuple(sorted(words, key=len, reverse=True))
            for name, words in lexicon.groups.items()
        }

    def find(self, text: str) -> list[TextSignal]:
        clauses = _spans(text, _CLAUSE_END)
        signals: list[TextSignal] = []
        for s_start, s_end in _spans(text, _SENTENCE_END):
            sentence = text[s_start:s_end]
            if not sentence.strip():
                continue
            for candidate in self._sentence(sentence, s_start, clauses, text):
                signals.append(
                    TextSignal(
                        category=candidate.category,
                        phrase=text[s_start + candidate.start : s_start + candidate.end],
                        start=s_start + candidate.start,
                        end=s_start + candidate.end,
                        sentence=sentence.strip(),
                    )
                )
        return signals

    def _tokens(self, sentence: str) -> list[tuple[int, int]] | None:
        if self.segmenter is None:
            return None
        spans, position = [], 0
        for token in self.segmenter(sentence):
            found = sentence.find(token, position)
            if not token or found < 0:
                continue
            spans.append((found, found + len(token)))
            position = found + len(token)
        return spans

    def _sentence(
        self, sentence: str, offset: int, clauses: list[tuple[int, int]], text: str
    ) -> list[_Candidate]:
        tokens = self._tokens(sentence)
        starts = {a for a, _ in tokens} if tokens is not None else None
        ends = {b for _, b in tokens} if tokens is not None else None

        candidates: list[_Candidate] = []
        for spec in self.lexicon.categories:
            excluded = [(m.start(), m.end()) for p in spec.exclude for m in p.finditer(sentence)]
            for pattern in spec.terms:
                for m in pattern.finditer(sentence):
                    a, b = m.start(), m.end()
                    if starts is not None and ends is not None:
                        if a not in starts or b not in ends:
                            continue
                    if any(x < b and a < y for x, y in excluded):
                        continue
                    candidates.append(_Candidate(spec.category, spec, a, b))

        # Longer matches first: a term holding a negation (不想活) beats the shorter one.
        kept: list[_Candidate] = []
        for c in sorted(candidates, key=lambda c: (c.start - c.end, c.start)):
            if all(c.end <= k.start or k.end <= c.start for k in kept):
                kept.append(c)

        hedged = any(h in sentence for h in self.lexicon.hedges)
        result: dict[SignalCategory, _Candidate] = {}
        for c in sorted(kept, key=lambda c: c.start):
            if c.spec.hedge_cancels and hedged:
                continue
            if self._negated(sentence, c, tokens):
                continue
            if self._unanswered_question(offset + c.start, clauses, text):
                continue
            category = self._by_actor(sentence, c, starts, ends)
            if category is not None and category not in result:
                c.category = category
                result[category] = c
        return sorted(result.values(), key=lambda c: c.start)

    def _clause_start(self, sentence: str, position: int) -> int:
        return max((i + 1 for i in range(position) if sentence[i] in _CLAUSE_END), default=0)

    def _negated(self, sentence: str, c: _Candidate, tokens: list[tuple[int, int]] | None) -> bool:
        clause_start = self._clause_start(sentence, c.start)
        negations = self.lexicon.negations
        if tokens is not None:
            before = [(a, b) for a, b in tokens if a >= clause_start and b <= c.start]
            window = before[-self.lexicon.negation_window :]
            return any(sentence[a:b] in negations for a, b in window)
        prefix = sentence[clause_start : c.start]
        limit = self.lexicon.negation_window_chars
        for word in negations:
            at = prefix.rfind(word)
            if at >= 0 and len(prefix) - (at + len(word)) <= limit:
                return True
        return False

    def _unanswered_question(
        self, position: int, clauses: list[tuple[int, int]], text: str
    ) -> bool:
        """A yes/no question ("有没有人欺负你？") fires only if the next clause says yes."""
        index = next(i for i, (a, b) in enumerate(clauses) if a <= position < b)
        a, b = clauses[index]
        if not any(m in text[a:b] for m in self.lexicon.question_markers):
            return False
        if index + 1 >= len(clauses):
            return True
        x, y = clauses[index + 1]
        answer = text[x:y].strip(_CLAUSE_END + " \t“”\"'‘’")
        if answer in self.lexicon.affirm_whole:
            return False
        if any(w in answer for w in self.lexicon.affirm_words) and not any(
            n in answer for n in self.lexicon.negations if n not in ("无",)
        ):
            return False
        return True

    def _by_actor(
        self,
        sentence: str,
        c: _Candidate,
        starts: set[int] | None,
        ends: set[int] | None,
    ) -> SignalCategory | None:
        """Who acts decides: a parent working away is not child labour, a classmate who
        hits is bullying. The actor is the nearest actor word before the match's end in
        its clause; in a clause without one (an elided subject), the sentence's first."""
        rules = c.spec.actor
        if not rules:
            return c.category
        found: list[tuple[int, int, str]] = []  # (start, end, group)
        for group in rules:
            for word in self._actor_words[group]:
                at = sentence.find(word)
                while 0 <= at and at + len(word) <= c.end:
                    aligned = (
                        starts is None or ends is None or (at in starts and at + len(word) in ends)
                    )
                    if aligned:
                        found.append((at, at + len(word), group))
                    at = sentence.find(word, at + 1)
        if not found:
            return c.category
        clause_start = self._clause_start(sentence, c.start)
        in_clause = [f for f in found if f[0] >= clause_start]
        if in_clause:
            group = max(in_clause, key=lambda f: (f[1], f[1] - f[0]))[2]
        else:
            group = min(found, key=lambda f: (f[0], f[0] - f[1]))[2]
        action = rules[group]
        if action == "keep":
            return c.category
        if action == "drop":
            return None
        return SignalCategory(action)
