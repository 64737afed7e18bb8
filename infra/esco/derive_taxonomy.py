#!/usr/bin/env python3
"""Derive Crosswalk's bundled ESCO catalogue from the "mashed" ESCO redistribution.

Usage (from the repository root, with the project venv):

    .venv/bin/python infra/esco/derive_taxonomy.py [SOURCE_DIR] [OUTPUT_DIR] [--sample N] [--seed S]
        [--reference-skills FILE] [--reference-occupations FILE]

SOURCE_DIR (default ../shared/data/esco) holds ``skills.csv`` and ``occupations.csv`` with two columns,
``id`` (concept URI) and ``description``: the preferred label, the alternative labels and the definition
run together with single spaces and no separators. OUTPUT_DIR (default backend/skills/data) receives
``esco_skills.csv.gz`` and ``esco_occupations.csv.gz`` in the official ESCO column layout
(conceptType, conceptUri, preferredLabel, altLabels, description; altLabels newline-separated), so one
importer reads both the bundled files and a real ESCO download. Output is deterministic: rows sorted by
URI, gzip header without name or timestamp.

How the strings are split (all statistics come from the whole corpus; nothing is per-entry):

1. Definition start. Labels are lower-case phrases and the definition is prose that starts a sentence,
   so every capitalised token is a candidate and the first one that looks like a sentence start wins.
   Evidence for: its lower-case form occurs in the entry's own labels ("manage ... Manage staff"), it is
   a frequent definition opener corpus-wide ("The", "Perform"), it is a common lower-case word, function
   words or lower-case words follow it. Evidence against (proper nouns and acronyms inside labels, such
   as "Java", "ICT", "Bengali"): internal capitals, the same capitalised token occurring again in the
   entry outside a sentence start, the token being capitalised mid-sentence more often than not in
   definitions corpus-wide, a run of capitalised tokens after it or a list of names around it. Occupation
   definitions nearly always open with the plural of a label ("Technical directors realise ..."), so for
   occupations a capitalised token that starts a plural noun phrase, headed by a label word and followed
   by a verb that commonly follows such a subject corpus-wide, wins whatever its capitalisation ("ICT
   research consultants perform ..."), unless an earlier candidate itself opens a sentence.
2. Preferred label. For occupations, when that definition subject is exactly the pluralised start of the
   label run, the preferred label is that prefix. For skills whose labels start with a name, the longest
   name the definition's first sentence uses as a subject ("SQL Informix ... The computer language SQL
   is ..."). Otherwise, alternative labels repeat the preferred label's object with another verb or form
   ("manage musical staff", "direct musical staff"), so the preferred label is the longest prefix whose
   tail (all but the first word) recurs later in the run and that ends at a plausible label boundary; a
   preferred label never repeats a content word or a form of its own verb. Failing all that, it ends at the
   first likely boundary of step 3, or else runs up to the first repeated word: this fallback errs towards
   too long rather than cutting a label short.
3. Label boundaries. A naive-Bayes boundary score from corpus-wide label-start and label-end propensities
   of the two words around a gap (bootstrapped from the first and last word of every label run, refined by
   a few rounds of hard EM, backed off to word endings for rare words), plus local evidence: the run's
   last word and the preferred label's head recur as label ends, the run's first word recurs as a label
   start, a bigram repeated inside the entry, common in definitions or inside confident preferred labels
   is cohesive, function words never start or end a label and brackets stay with the label before them.
   A dynamic programme then picks the segmentation, penalising one-word labels and labels that repeat a
   content word (each alternative label states the object once).

``--sample`` prints random entries for a hand check; ``--reference-*`` compares with an official ESCO
CSV (preferred labels where the official label starts the mashed string, and label boundaries where the
official label set reproduces the mashed run exactly).
"""

from __future__ import annotations

import argparse
import collections
import csv
import gzip
import io
import itertools
import math
import random
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SKILL_TYPE = "KnowledgeSkillCompetence"
OCCUPATION_TYPE = "Occupation"
COLUMNS = ("conceptType", "conceptUri", "preferredLabel", "altLabels", "description")

# Characters that may precede the first letter of a sentence (quotes, brackets, a zero-width space
# that occurs in the source) and trail a word.
LEADING = "\u200b'\"\u2018\u201c(["
TRAILING = ".,;:)'\"\u2019\u201d!?"
SENTENCE_END = re.compile("[.!?:;]['\"\u2019\u201d)]*$")
FUNCTION_WORDS = frozenset(
    {
        *("the", "a", "an", "and", "or", "of", "to", "in", "on", "for", "with", "by", "is", "are", "as"),
        *("that", "which", "from", "such", "their", "its", "be", "this", "these", "they", "it", "at"),
        *("into", "using", "used", "including", "can", "may"),
    }
)
SUBJECT_LINKS = frozenset(("and", "of", "in", "for"))
STOP = frozenset(("of", "the", "a", "an", "and", "or", "in", "on", "for", "to", "with", "by", "at", "from", "as"))
NO_LABEL_START = frozenset(("of", "and", "or", "in", "for", "to", "with", "on", "at", "by", "from", "as"))
NO_LABEL_END = STOP | {"&"}


def core(token: str) -> str:
    return token.lstrip(LEADING).rstrip(TRAILING)


def is_cap(token: str) -> bool:
    c = core(token)
    return bool(c) and c[0].isupper()


def is_low(token: str) -> bool:
    c = core(token)
    return bool(c) and c[0].islower()


def plural_norm(token: str) -> str:
    """Crude singular form, enough to match "directors" with "director" or "nannies" with "nanny"."""
    w = core(token).lower()
    for plural, singular in (
        ("women", "woman"),
        ("men", "man"),
        ("people", "person"),
        ("ies", "y"),
        ("ches", "ch"),
        ("shes", "sh"),
        ("sses", "ss"),
        ("xes", "x"),
    ):
        if w.endswith(plural):
            return w[: -len(plural)] + singular
    if w.endswith("s") and not w.endswith("ss") and len(w) > 3:
        return w[:-1]
    return w


def stem(token: str) -> str:
    """Cruder still: "maintaining", "maintain" and "maintained" share one stem."""
    w = core(token).lower()
    for suffix in ("ations", "ation", "ising", "izing", "ings", "ing", "ies", "es", "ed", "s", "e"):
        if w.endswith(suffix) and len(w) - len(suffix) >= 3:
            return w[: -len(suffix)]
    return w


def logit(p: float, clip: float = 4.0) -> float:
    p = min(max(p, 1e-4), 1 - 1e-4)
    return max(-clip, min(clip, math.log(p / (1 - p))))


@dataclass
class Entry:
    uri: str
    text: str
    tokens: list[str]
    starts: list[int]
    split: int | None = None  # index of the first definition token
    subject_echo: int | None = None  # preferred-label length proven by the definition subject
    labels: list[list[str]] | None = None
    pref_confident: bool = False

    @property
    def run(self) -> list[str]:
        return self.tokens[: self.split if self.split is not None else len(self.tokens)]

    @property
    def definition(self) -> str:
        if self.split is None:
            return ""
        return self.text[self.starts[self.split] :].strip()


def tokenize(uri: str, text: str) -> Entry:
    matches = list(re.finditer(r"\S+", text))
    return Entry(uri, text, [m.group() for m in matches], [m.start() for m in matches])


# --------------------------------------------------------------------------------------------------
# 1. Where does the definition start?


class DefinitionSplitter:
    def __init__(self, entries: Sequence[Entry], occupations: bool) -> None:
        self.occupations = occupations
        self.lower_count: collections.Counter[str] = collections.Counter()
        for e in entries:
            for w in e.tokens:
                if is_low(w):
                    self.lower_count[core(w).lower()] += 1
        self.def_start: collections.Counter[str] = collections.Counter()
        self.mid_cap: collections.Counter[str] = collections.Counter()
        self.def_count: collections.Counter[str] = collections.Counter()
        self.run_count: collections.Counter[str] = collections.Counter()
        self.subject_verbs: collections.Counter[str] = collections.Counter()
        # Pass 1 without corpus lexicons gives rough definitions; their statistics then sharpen pass 2.
        self.trained = False
        for e in entries:
            k = self.generic_split(e.tokens)
            if k is None:
                continue
            t = e.tokens
            self.def_start[core(t[k])] += 1
            for w in t[:k]:
                self.run_count[core(w).lower()] += 1
            for j in range(k + 1, len(t)):
                self.def_count[core(t[j]).lower()] += 1
                if is_cap(t[j]) and not SENTENCE_END.search(t[j - 1]):
                    self.mid_cap[core(t[j])] += 1
            m = echo_length(t, k)
            if m and k + m < len(t) and is_low(t[k + m]):
                self.subject_verbs[core(t[k + m]).lower()] += 1
        self.trained = True

    def score(self, t: list[str], i: int, run_lower: set[str]) -> float:
        c = core(t[i])
        lc = c.lower()
        s = 0.0
        if lc in run_lower or plural_norm(t[i]) in run_lower:
            s += 3
        if self.trained:
            starts, mid = self.def_start[c], self.mid_cap[c]
            if starts >= 3 and starts > mid:
                s += 2
            if mid >= 2 and mid >= self.lower_count[lc]:
                s -= 2
        if self.lower_count[lc] >= 5:
            s += 1
        following = [core(x) for x in t[i + 1 : i + 5]]
        if any(x in FUNCTION_WORDS for x in following):
            s += 1
        if i + 1 < len(t):
            if is_low(t[i + 1]):
                s += 1
            elif is_cap(t[i + 1]):
                s -= 1
        if following and not any(x[:1].islower() for x in following[:3]):
            s -= 2
        # Inside a list of names ("... Modeler Sphygmic Software Spreadsheet OxygenOffice ..."), unless the
        # word is a habitual opener ("The Ancient Greek language", "Handle Private Branch Exchange ...").
        habitual_opener = self.trained and self.def_start[c] >= 10 and self.def_start[c] > 5 * self.mid_cap[c]
        names_before = sum(is_cap(x) for x in t[max(0, i - 3) : i])
        if i + 1 < len(t) and is_cap(t[i + 1]) and names_before >= 2 and not habitual_opener:
            s -= 2
        if any(ch.isupper() for ch in c[1:]) or (len(c) > 1 and c.isupper()):
            s -= 2
        for j, x in enumerate(t):
            if j != i and core(x) == c and (j == 0 or not SENTENCE_END.search(t[j - 1])):
                s -= 3
                break
        return s

    def generic_split(self, t: list[str]) -> int | None:
        run_lower: set[str] = set()
        best: tuple[float, int] | None = None
        for i in range(1, len(t)):
            if is_low(t[i - 1]):
                run_lower.add(core(t[i - 1]).lower())
                run_lower.add(plural_norm(t[i - 1]))
            if not is_cap(t[i]):
                continue
            s = self.score(t, i, run_lower)
            if s >= 2:
                return i
            if best is None or s > best[0]:
                best = (s, i)
        return best[1] if best else None

    def subject_at(self, t: list[str], i: int, strict: bool = True) -> int | None:
        """End of a plural subject noun phrase starting at i and followed by a verb, if any.

        Strict: the verb must have followed such a subject elsewhere in the corpus; when the subject is
        exactly the pluralised start of the entry ("Speechwriters research"), that is enough even for a
        word that also occurs in labels, otherwise the word must be a verb more often than a label word.
        Relaxed: any word that is not a common label word will do ("Genealogists trace").
        """
        run_words = {plural_norm(w) for w in t[:i]}
        # "Pultrusion Machine Operators tend": capitals may continue a title-case start (not an acronym)
        first = core(t[i])
        title_case = not (len(first) > 1 and first.isupper())
        for v in range(i + 1, min(len(t), i + 9)):
            previous = t[v - 1]
            if SENTENCE_END.search(previous) or previous.endswith(","):
                return None
            if not is_low(t[v]):
                if is_cap(t[v]) and not title_case:
                    return None  # a new label or sentence; the phrase at i had no verb
                continue
            title_case = False
            word = core(t[v]).lower()
            head = core(previous).lower()
            if plural_norm(previous) != head and plural_norm(previous) in run_words:
                seen_as_verb, in_labels = self.subject_verbs[word], self.run_count[word]
                exact_echo = echo_length(t, i) == v - i
                if seen_as_verb >= 3 and (seen_as_verb > in_labels or exact_echo):
                    return v
                if not strict and (exact_echo or seen_as_verb >= 3 or in_labels <= 2):
                    return v
                # else a plural modifier ("client relations managers"): the head may come later
            if word in FUNCTION_WORDS and word not in SUBJECT_LINKS:
                return None  # "They ensure that the customers ...": not a noun phrase
        return None

    def split(self, e: Entry) -> None:
        t = e.tokens
        generic = self.generic_split(t)
        e.split = generic
        if not self.occupations:
            if generic is not None:
                e.subject_echo = name_in_definition(t[:generic], t[generic:])
            return
        # Digits too: "3D animators are in charge of ..."
        subject = next(
            ((j, v) for j in range(1, len(t)) if (is_cap(t[j]) or t[j][:1].isdigit()) and (v := self.subject_at(t, j))),
            None,
        )
        if subject is None:
            return
        j, v = subject
        # The generic choice stands when it comes first and itself reads as a sentence opening: a
        # typical opener ("The", "A") or a plural subject with a verb-like word after it. Otherwise it
        # is a capitalised word inside the labels ("Smart City consultant") or a later sentence.
        if generic is not None and generic < j:
            opener = self.def_start[core(t[generic])] >= 3
            if opener or self.subject_at(t, generic, strict=False) is not None:
                return
        e.split = j
        m = echo_length(t, j)
        e.subject_echo = m if m == v - j else None


def name_in_definition(run: list[str], definition: list[str]) -> int | None:
    """Length of the longest name at the start of the labels that the definition's first sentence uses
    as a subject ("SQL Informix ... The computer language SQL is ..."), for labels that start with a name.
    """
    if not run or not is_cap(run[0]):
        return None
    sentence: list[str] = []
    for token in definition[:40]:
        sentence.append(core(token))
        if SENTENCE_END.search(token):
            break
    for k in range(len(run), 0, -1):
        # Only where the next label starts with a name too: "Montessori teaching principles" must not
        # be cut after "Montessori" just because the definition mentions Montessori.
        if k < len(run) and not is_cap(run[k]):
            continue
        if sum(x.count("(") - x.count(")") for x in run[:k]) != 0:
            continue
        name = [core(x).lower() for x in run[:k]]
        for i in range(len(sentence) - k):
            if [x.lower() for x in sentence[i : i + k]] == name and sentence[i + k][:1].islower():
                return k
    return None


def echo_length(t: list[str], j: int) -> int:
    """How many tokens from j repeat the start of the entry, ignoring case and plural."""
    m = 0
    while j + m < len(t) and m < j and plural_norm(t[m]) == plural_norm(t[j + m]):
        m += 1
    return m


# --------------------------------------------------------------------------------------------------
# 2 and 3. Preferred label and label boundaries


@dataclass(frozen=True)
class SegmenterParams:
    w_start: float  # weight of the next word's label-start propensity (weak for occupations,
    # whose labels start with any modifier)
    local_end: float
    local_start: float
    one_word: float  # penalty for a one-word label
    avg_label_len: float
    repeat: float = 1.0
    definition_bigram: float = 0.5
    pref_bigram: float = 1.0
    duplicate: float = 8.0
    max_len: int = 10
    too_long: float = 1.0
    beta: float = 3.0
    tail_threshold: float = -1.0
    fallback_threshold: float = 0.0
    max_pref: int = 12
    em_rounds: int = 3


SKILL_PARAMS = SegmenterParams(w_start=1.0, local_end=2.0, local_start=1.5, one_word=3.0, avg_label_len=3.0)
OCCUPATION_PARAMS = SegmenterParams(w_start=0.6, local_end=2.0, local_start=0.0, one_word=3.0, avg_label_len=2.5)


class Segmenter:
    def __init__(self, entries: Sequence[Entry], params: SegmenterParams) -> None:
        self.p = params
        self.occ: collections.Counter[str] = collections.Counter()
        self.definition_bigrams: collections.Counter[tuple[str, str]] = collections.Counter()
        first: collections.Counter[str] = collections.Counter()
        last: collections.Counter[str] = collections.Counter()
        runs = [(e.run, e.subject_echo) for e in entries if e.run]
        for e in entries:
            d = e.tokens[len(e.run) :]
            for a, b in itertools.pairwise(d):
                if not re.search(r"[.,;:]$", a):
                    self.definition_bigrams[(a.lower(), core(b).lower())] += 1
        for run, echo in runs:
            for w in run:
                self.occ[w.lower()] += 1
            first[run[0].lower()] += 1
            last[run[-1].lower()] += 1
            if echo:
                last[run[echo - 1].lower()] += 1
                if echo < len(run):
                    first[run[echo].lower()] += 1
        self.n_runs = len(runs)
        n_tokens = sum(self.occ.values())
        # Bootstrap: every label is assumed to start and end like the run's first and last label.
        scale = n_tokens / params.avg_label_len / max(1, self.n_runs)
        self.pref_internal: collections.Counter[tuple[str, str]] = collections.Counter()
        self.pref_boundary: collections.Counter[tuple[str, str]] = collections.Counter()
        self.fit(
            {w: c * scale for w, c in first.items()},
            {w: c * scale for w, c in last.items()},
            n_tokens / params.avg_label_len,
            n_tokens,
        )
        # Preferred labels found with confidence teach which bigrams sit inside a label.
        internal: collections.Counter[tuple[str, str]] = collections.Counter()
        boundary: collections.Counter[tuple[str, str]] = collections.Counter()
        for run, echo in runs:
            if len(run) < 2:
                continue
            k = echo or self.confident_pref(run, self.gaps(run, echo))
            if not k or k >= len(run):
                continue
            for a, c in itertools.pairwise(run[:k]):
                internal[(a.lower(), c.lower())] += 1
            boundary[(run[k - 1].lower(), run[k].lower())] += 1
        self.pref_internal, self.pref_boundary = internal, boundary
        for _ in range(params.em_rounds):
            starts: collections.Counter[str] = collections.Counter()
            ends: collections.Counter[str] = collections.Counter()
            n_labels = 0
            for run, echo in runs:
                labels, _ = self.segment(run, echo)
                n_labels += len(labels)
                for label in labels:
                    starts[label[0].lower()] += 1
                    ends[label[-1].lower()] += 1
            self.fit(starts, ends, n_labels, n_tokens)

    def fit(self, starts: Mapping[str, float], ends: Mapping[str, float], n_labels: float, n_tokens: int) -> None:
        b = self.p.beta
        self.prior = max(1e-3, (n_labels - self.n_runs) / max(1, n_tokens - self.n_runs))
        by_suffix: collections.Counter[str] = collections.Counter()
        start_suffix: collections.defaultdict[str, float] = collections.defaultdict(float)
        end_suffix: collections.defaultdict[str, float] = collections.defaultdict(float)
        for w, c in self.occ.items():
            by_suffix[w[-3:]] += c
        for w, f in starts.items():
            start_suffix[w[-3:]] += f
        for w, f in ends.items():
            end_suffix[w[-3:]] += f

        def smoothed(count: float, total: float, suffix_count: float, suffix_total: float) -> float:
            # Rare words borrow strength from words with the same ending ("-ing", "-ist", "-tor").
            backoff = (suffix_count + b * self.prior) / (suffix_total + b)
            return min(0.99, (count + b * backoff) / (total + b))

        self.start_p = {
            w: smoothed(starts.get(w, 0), o, start_suffix[w[-3:]], by_suffix[w[-3:]]) for w, o in self.occ.items()
        }
        self.end_p = {
            w: smoothed(ends.get(w, 0), o, end_suffix[w[-3:]], by_suffix[w[-3:]]) for w, o in self.occ.items()
        }

    def gaps(self, run: list[str], echo: int | None) -> list[float]:
        """Score per gap (between run[j-1] and run[j]); positive means a label boundary is likely."""
        p = self.p
        local_ends = {plural_norm(run[-1])}
        if echo:
            local_ends.add(plural_norm(run[echo - 1]))
        first = run[0].lower()
        repeated = collections.Counter(zip((x.lower() for x in run), (x.lower() for x in run[1:]), strict=False))
        prior = logit(self.prior)
        out: list[float] = []
        depth = 0
        for j in range(1, len(run)):
            a, c = run[j - 1], run[j]
            al, cl = a.lower(), c.lower()
            depth = max(0, depth + a.count("(") - a.count(")"))
            # A qualifier in brackets belongs to the label before it: "Python (computer programming)".
            if depth or c.startswith(("(", ")")):
                out.append(-99.0)
                continue
            if cl in NO_LABEL_START or al in NO_LABEL_END or a.endswith(","):
                out.append(-99.0)
                continue
            g = logit(self.end_p.get(al, self.prior)) + p.w_start * logit(self.start_p.get(cl, self.prior)) - prior
            is_end = plural_norm(a) in local_ends
            is_start = cl == first
            if is_end:
                g += p.local_end
            if is_start:
                g += p.local_start
            n = repeated[(al, cl)]
            if n > 1 and not (is_end and is_start):
                g -= p.repeat * math.log(n)
            inside, across = self.pref_internal[(al, cl)], self.pref_boundary[(al, cl)]
            if inside or across:
                g += p.pref_bigram * math.log((across + 0.5) / (inside + 0.5))
            in_definitions = self.definition_bigrams[(al, core(c).lower())]
            if in_definitions:
                g -= p.definition_bigram * math.log(1 + in_definitions)
            out.append(g)
        return out

    def confident_pref(self, run: list[str], g: list[float], cap: int | None = None) -> int | None:
        words = [plural_norm(x) for x in run]
        n = len(run)
        limit = min(cap if cap is not None else n, n - 1, self.p.max_pref - 1)
        best = None
        for k in range(2, limit + 1):
            tail = words[1:k]
            if all(x in STOP for x in tail):
                continue
            recurs = any(words[i : i + len(tail)] == tail for i in range(k, n - len(tail) + 1))
            if recurs and g[k - 1] > self.p.tail_threshold:
                best = k
        return best

    def pref_length(self, run: list[str], echo: int | None, g: list[float]) -> tuple[int, bool]:
        if echo:
            return echo, True
        n = len(run)
        seen: set[str] = set()
        cap = n
        for i, x in enumerate(run):
            if x.lower() in STOP:
                continue
            if stem(x) in seen:
                cap = i
                break
            seen.add(stem(x))
        k = self.confident_pref(run, g, cap)
        if k:
            return k, True
        for k in range(1, cap):
            if g[k - 1] > self.p.fallback_threshold:
                return k, False
        if cap == n:
            return n, False  # no boundary in sight: the whole run is the preferred label
        # The longest prefix before a repeated word that still ends where a label may end.
        return next((k for k in range(cap, 0, -1) if g[k - 1] > -99), cap), False

    def segment(self, run: list[str], echo: int | None) -> tuple[list[list[str]], bool]:
        g = self.gaps(run, echo)
        k, confident = self.pref_length(run, echo, g)
        labels = [run[:k]]
        n = len(run)
        if k >= n:
            return labels, confident
        p = self.p
        content = [plural_norm(x) if x.lower() not in STOP else None for x in run]

        def label_score(i: int, j: int) -> float:
            words = [w for w in content[i:j] if w]
            s = -p.duplicate * (len(words) - len(set(words)))
            if j - i == 1:
                s -= p.one_word
            elif j - i > p.max_len:
                s -= p.too_long * (j - i - p.max_len)
            return s

        best = [-math.inf] * (n + 1)
        back = [0] * (n + 1)
        best[k] = 0.0
        for j in range(k + 1, n + 1):
            for i in range(max(k, j - 25), j):
                if best[i] == -math.inf:
                    continue
                v = best[i] + label_score(i, j) + g[i - 1]
                if v > best[j]:
                    best[j], back[j] = v, i
        cuts = []
        j = n
        while j > k:
            cuts.append(j)
            j = back[j]
        bounds = [k, *reversed(cuts)]
        labels.extend(run[a:b] for a, b in itertools.pairwise(bounds))
        return labels, confident


# --------------------------------------------------------------------------------------------------
# Driver


def read_source(path: Path, occupations: bool) -> list[Entry]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"id", "description"} <= set(reader.fieldnames):
            sys.exit(f"{path}: expected columns id,description")
        entries = []
        for row in reader:
            uri = row["id"].strip()
            # ISCO groups ride along in the occupations file; they are not ESCO occupations.
            if occupations and "/isco/" in uri:
                continue
            entries.append(tokenize(uri, row["description"]))
    return entries


def derive(entries: list[Entry], occupations: bool) -> None:
    splitter = DefinitionSplitter(entries, occupations)
    for e in entries:
        splitter.split(e)
    segmenter = Segmenter(entries, OCCUPATION_PARAMS if occupations else SKILL_PARAMS)
    for e in entries:
        if e.run:
            e.labels, e.pref_confident = segmenter.segment(e.run, e.subject_echo)


def labels_of(e: Entry) -> tuple[str, list[str]]:
    assert e.labels
    names = [" ".join(label) for label in e.labels]
    pref = names[0]
    alts: list[str] = []
    for name in names[1:]:
        if name != pref and name not in alts:
            alts.append(name)
    return pref, alts


def write_gz(path: Path, concept_type: str, entries: Iterable[Entry]) -> None:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(COLUMNS)
    for e in sorted(entries, key=lambda e: e.uri):
        pref, alts = labels_of(e)
        writer.writerow([concept_type, e.uri, pref, "\n".join(alts), e.definition])
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as gz:
        gz.write(text.getvalue().encode("utf-8"))


def report(name: str, entries: list[Entry], sample: int, rng: random.Random) -> None:
    n = len(entries)
    no_definition = sum(1 for e in entries if not e.definition)
    confident = sum(1 for e in entries if e.pref_confident)
    n_labels = sum(len(e.labels or []) for e in entries)
    print(f"\n=== {name}: {n} concepts, {n_labels} labels ({n_labels / max(1, n):.1f} per concept)")
    print(f"  no definition found: {no_definition}")
    print(f"  preferred label backed by structure (definition subject or name, recurring tail): {confident / n:.1%}")
    for e in rng.sample(entries, min(sample, n)):
        pref, alts = labels_of(e)
        definition = e.definition.replace("\n", " ")
        print(f"\n  {e.uri}")
        print(f"    source: {e.text[:160].replace(chr(10), ' ')}{'...' if len(e.text) > 160 else ''}")
        print(f"    pref:   {pref}{'' if e.pref_confident else '   [fallback]'}")
        print(f"    alts:   {' | '.join(alts)}")
        print(f"    def:    {definition[:110]}{'...' if len(definition) > 110 else ''}")


def compare(name: str, entries: list[Entry], reference: Path) -> None:
    """Agreement with an official ESCO CSV, on the concepts whose labels did not change between versions."""
    by_uri = {e.uri: e for e in entries}
    pref_total = pref_ok = split_total = split_ok = 0
    tp = fp = fn = 0
    opener = gzip.open if reference.suffix == ".gz" else open
    with opener(reference, "rt", encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            e = by_uri.get(row["conceptUri"].strip())
            if e is None or not e.labels:
                continue
            official_pref = " ".join(row["preferredLabel"].split())
            official = [official_pref] + [
                " ".join(a.split()) for a in row.get("altLabels", "").split("\n") if a.strip()
            ]
            words = e.tokens
            flat = " ".join(words)
            if not (flat + " ").startswith(official_pref + " "):
                continue  # a different ESCO version renamed it; nothing to measure
            pref_total += 1
            pref_ok += labels_of(e)[0] == official_pref
            run_words = " ".join(official).split()
            description = row.get("description", "").split()
            if words[: len(run_words)] != run_words or not description or len(words) <= len(run_words):
                continue
            if core(words[len(run_words)]) != core(description[0]):
                continue
            split_total += 1
            split_ok += e.split == len(run_words)

            def spans(labels: Iterable[str]) -> set[tuple[int, int]]:
                out, i = set(), 0
                for label in labels:
                    out.add((i, i + len(label.split())))
                    i += len(label.split())
                return out

            got = spans(" ".join(label) for label in e.labels)
            want = spans(official)
            tp += len(got & want)
            fp += len(got - want)
            fn += len(want - got)
    print(f"\n=== {name} against {reference.name}")
    print(f"  preferred label: {pref_ok}/{pref_total} = {pref_ok / max(1, pref_total):.1%}")
    print(f"  definition start (same-version concepts): {split_ok}/{split_total}")
    print(f"  label boundaries: precision {tp / max(1, tp + fp):.1%}, recall {tp / max(1, tp + fn):.1%}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", nargs="?", type=Path, default=Path("../shared/data/esco"))
    parser.add_argument("output", nargs="?", type=Path, default=Path("backend/skills/data"))
    parser.add_argument("--sample", type=int, default=30, help="random entries per file to print (0: none)")
    parser.add_argument("--seed", type=int, default=20240601)
    parser.add_argument("--reference-skills", type=Path, action="append", default=[])
    parser.add_argument("--reference-occupations", type=Path, action="append", default=[])
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)  # noqa: S311 - picks entries to print, nothing secret
    for source_name, output_name, concept_type, occupations, references in (
        ("skills.csv", "esco_skills.csv.gz", SKILL_TYPE, False, args.reference_skills),
        ("occupations.csv", "esco_occupations.csv.gz", OCCUPATION_TYPE, True, args.reference_occupations),
    ):
        entries = read_source(args.source / source_name, occupations)
        derive(entries, occupations)
        write_gz(args.output / output_name, concept_type, entries)
        report(source_name, entries, args.sample, rng)
        for reference in references:
            compare(source_name, entries, reference)


if __name__ == "__main__":
    main()
