"""TEMPORARY stand-in for ``carenet.alerts.text.find_signals`` until the real matcher
(another branch) is merged: a few obvious phrases, a negation just before them skips
them. Removed at the merge; nothing else imports it."""

from __future__ import annotations

from dataclasses import dataclass

from carenet.alerts.text import SignalCategory

_PHRASES = {
    SignalCategory.SELF_HARM: ("不想活了", "想死", "自杀", "割腕"),
    SignalCategory.DOMESTIC_VIOLENCE: ("打他", "打她", "家暴"),
    SignalCategory.BULLYING: ("被欺负", "欺负他", "欺负她"),
    SignalCategory.RUNNING_AWAY: ("离家出走",),
    SignalCategory.DROPOUT: ("不想上学", "辍学"),
    SignalCategory.CHILD_LABOUR: ("出去打工",),
}
_NEGATIONS = ("没有", "没", "不是", "并未")


@dataclass(frozen=True)
class TextSignal:
    category: SignalCategory
    phrase: str
    start: int
    end: int
    sentence: str


def find_signals(text: str) -> list[TextSignal]:
    found = []
    for category, phrases in _PHRASES.items():
        for phrase in phrases:
            start = text.find(phrase)
            if start == -1:
                continue
            if any(n in text[max(0, start - 2) : start] for n in _NEGATIONS):
                continue
            found.append(TextSignal(category, phrase, start, start + len(phrase), text))
            break
    return sorted(found, key=lambda s: s.start)
