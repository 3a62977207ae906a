"""Text signals: the lexicon matched with jieba, pkuseg and spacy-pkuseg, and without
segmentation, on the labelled sample tests/data/text_signals_sample.tsv.

    python bench/text_signals.py [--repeat 5] [--errors] [--lexicon PATH]

Prints, per method: precision, recall and F1 (micro over (sentence, category) labels),
on the whole sample and on its held-out rows (written after the lexicon was frozen),
per-category figures, load time and time per 1,000 sentences. Results and their
reading: docs/text-signals.md.

Methods:
- naive: every lexicon term found as a substring fires (no negation, hedge, question,
  actor or exclusion rules): what a plain keyword list does.
- substring: all the rules, terms found as substrings, negation by characters.
- jieba: all the rules, terms on jieba's word boundaries (the lexicon as user words).
- pkuseg: the same with pkuseg 0.0.25 and the MSRA model its package ships.
- spacy-pkuseg: the same with spacy-pkuseg; its own models are downloaded from GitHub at
  first use, so it is given pkuseg's shipped model (or $CARENET_PKUSEG_MODEL).
A segmenter that is not installed is reported as skipped.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "carenet.settings")

from carenet.alerts.text import (  # noqa: E402
    Lexicon,
    Matcher,
    Segmenter,
    SignalCategory,
    jieba_segmenter,
    load_lexicon,
)

SAMPLE = ROOT / "tests" / "data" / "text_signals_sample.tsv"
HELD_OUT_FROM = 220  # rows (0-based, header excluded) from here were written after the freeze

Labels = list[set[str]]


def read_sample(path: Path = SAMPLE) -> tuple[list[str], Labels]:
    sentences, labels = [], []
    lines = path.read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        if not line.strip():
            continue
        sentence, _, categories = line.partition("\t")
        sentences.append(sentence)
        labels.append({c for c in categories.split(",") if c})
    return sentences, labels


def naive(lexicon: Lexicon) -> Callable[[str], set[str]]:
    def find(sentence: str) -> set[str]:
        return {
            spec.category.value
            for spec in lexicon.categories
            if any(p.search(sentence) for p in spec.terms)
        }

    return find


def _quiet() -> contextlib.ExitStack:
    stack = contextlib.ExitStack()
    stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
    stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
    return stack


def load_pkuseg(lexicon: Lexicon) -> Segmenter:
    import pkuseg

    with _quiet():
        segmenter = pkuseg.pkuseg(user_dict=list(lexicon.user_words))
    return segmenter.cut


def _pkuseg_model() -> str:
    if os.environ.get("CARENET_PKUSEG_MODEL"):
        return os.environ["CARENET_PKUSEG_MODEL"]
    try:
        import pkuseg
    except ImportError:
        ontonotes = Path.home() / ".pkuseg" / "spacy_ontonotes"
        if ontonotes.is_dir():
            return str(ontonotes)
        raise ImportError("no model: spacy-pkuseg downloads its models at first use") from None
    return str(Path(pkuseg.__file__).parent / "models" / "default")


def load_spacy_pkuseg(lexicon: Lexicon) -> Segmenter:
    import spacy_pkuseg

    model = _pkuseg_model()
    with _quiet():
        segmenter = spacy_pkuseg.pkuseg(model_name=model, user_dict=list(lexicon.user_words))
    return segmenter.cut


def scores(gold: Labels, got: Labels, category: str | None = None) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for g, p in zip(gold, got, strict=True):
        if category is not None:
            g, p = g & {category}, p & {category}
        tp += len(g & p)
        fp += len(p - g)
        fn += len(g - p)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="passes over the sample to time")
    parser.add_argument("--errors", action="store_true", help="list the sentences each gets wrong")
    parser.add_argument("--lexicon", type=Path, help="another lexicon file (an older version)")
    args = parser.parse_args()

    lexicon = load_lexicon(args.lexicon) if args.lexicon else load_lexicon()
    sentences, gold = read_sample()
    held = slice(HELD_OUT_FROM, None)
    print(f"lexicon {lexicon.version}: {len(lexicon.user_words)} user words")
    print(
        f"sample: {len(sentences)} sentences, {sum(1 for g in gold if g)} with a signal, "
        f"{sum(len(g) for g in gold)} labels; held out: rows {HELD_OUT_FROM + 1}-{len(sentences)}"
    )

    loaders: dict[str, Callable[[], Callable[[str], set[str]]]] = {
        "naive": lambda: naive(lexicon),
        "substring": lambda: _categories(Matcher(lexicon, None)),
        "jieba": lambda: _categories(Matcher(lexicon, jieba_segmenter(lexicon.user_words))),
        "pkuseg": lambda: _categories(Matcher(lexicon, load_pkuseg(lexicon))),
        "spacy-pkuseg": lambda: _categories(Matcher(lexicon, load_spacy_pkuseg(lexicon))),
    }
    rows = []
    per_category: dict[str, Labels] = {}
    for name, load in loaders.items():
        started = time.perf_counter()
        try:
            find = load()
        except ImportError as error:
            print(f"{name}: skipped ({error})")
            continue
        load_seconds = time.perf_counter() - started
        got = [find(s) for s in sentences]  # first pass warms caches
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            for s in sentences:
                find(s)
            best = min(best, time.perf_counter() - started)
        per_1000 = best / len(sentences) * 1000
        rows.append(
            (name, scores(gold, got), scores(gold[held], got[held]), load_seconds, per_1000)
        )
        per_category[name] = got
        if args.errors:
            for s, g, p in zip(sentences, gold, got, strict=True):
                if g != p:
                    print(f"  {name}: {s}  gold={sorted(g)} got={sorted(p)}")

    print()
    print(
        f"{'method':<13} {'P':>6} {'R':>6} {'F1':>6} | held out {'P':>6} {'R':>6} {'F1':>6}"
        f" | {'load s':>7} {'s/1000':>7}"
    )
    for name, (p, r, f), (hp, hr, hf), load_seconds, per_1000 in rows:
        print(
            f"{name:<13} {p:6.3f} {r:6.3f} {f:6.3f} |          {hp:6.3f} {hr:6.3f} {hf:6.3f}"
            f" | {load_seconds:7.2f} {per_1000:7.3f}"
        )

    print()
    names = list(per_category)
    print(f"{'category (P/R, whole sample)':<28} {'n':>3}  " + "  ".join(f"{n:>13}" for n in names))
    for category in SignalCategory:
        n = sum(1 for g in gold if category.value in g)
        cells = []
        for name in names:
            p, r, _ = scores(gold, per_category[name], category.value)
            cells.append(f"{p:5.2f} / {r:5.2f}")
        print(f"{category.value:<28} {n:>3}  " + "  ".join(f"{c:>13}" for c in cells))


def _categories(matcher: Matcher) -> Callable[[str], set[str]]:
    return lambda sentence: {s.category.value for s in matcher.find(sentence)}


if __name__ == "__main__":
    main()
