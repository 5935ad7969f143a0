"""bulletin_penalties: find sentences actually imposed, normalise them, attribute them to people."""

from __future__ import annotations

import bisect
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from spacy.language import Language
from spacy.tokens import Doc, Span, SpanGroup

from nlp.components.common import (
    CLUSTER_SCORES,
    CLUSTERS_KEY,
    GROUP_SEP,
    MENTIONS_KEY,
    PENALTIES_KEY,
    PEOPLE_KEY,
    char_span,
    check_config,
    in_ranges,
    noise_ranges,
    read_patterns,
    set_payload,
    terms,
)
from nlp.components.roles import FEATURE_MODES, LINK_LABEL, LINK_RECORD, FeatureClassifier, pair_words
from nlp.numbers import DURATION, find_money, parse_duration

logger = logging.getLogger(__name__)

_D = DURATION
# How far around a penalty phrase its cues are read. Bounded so that a run-on "sentence" of
# garbage stays linear; real cues sit within a clause or two.
_LOOK = 250
_REPRIEVE = [
    re.compile(
        rf"\bdeath(?:\s+(?:sentence|penalty))?\s*,?\s*(?:with|and)\s+(?:a\s+)?(?P<dur>{_D})\s+"
        r"(?:reprieve|suspension|stay of execution)",
        re.I,
    ),
    re.compile(rf"\bdeath\s+(?:sentence|penalty)\s+(?:was\s+)?suspended\s+for\s+(?P<dur>{_D})", re.I),
    re.compile(
        r"\b(?:to\s+)?death\s*,?\s+(?:with\s+(?:a\s+)?(?:reprieve|suspension)\s+|suspended\s+)"
        rf"(?:of\s+|for\s+)(?P<dur>{_D})",
        re.I,
    ),
    re.compile(
        r"\b(?:suspended\s+death\s+(?:sentence|penalty)|death\s+(?:sentence|penalty\s+)?with\s+"
        r"(?:a\s+)?reprieve)",
        re.I,
    ),
]
_DEATH = re.compile(
    r"\bsentenced\s+(?:[\w-]+\s+){0,3}?to\s+death\b|\bdeath\s+(?:penalty|sentence)\b"
    # A death sentence carried out: "was executed", "executed him", "executed a former engineer".
    r"|\b(?:was|were|been)\s+executed\b|\bexecuted\s+(?:him|her|them)\b"
    r"|\bexecuted\s+(?:a|an|the)\s+(?:[\w-]+\s+){0,3}?(?:surnamed|named|identified)\b",
    re.I,
)
_RIGHTS = [
    re.compile(
        r"\b(?P<life>lifelong|life-long|permanent|life)\s+deprivation\s+of\s+(?:his\s+|her\s+|their\s+)?"
        r"(?:political|civil)\s+rights",
        re.I,
    ),
    re.compile(
        rf"(?P<dur>{_D})\s+(?:of\s+)?(?:deprivation\s+of\s+)?(?:his\s+|her\s+|their\s+)?(?:political|civil)"
        r"\s+rights",
        re.I,
    ),
    re.compile(
        # "rights?": machine-translated copy writes "deprive political right 2 year".
        r"\b(?:deprived|deprivation|stripped|deprive|depriving|deprives)\b[^.;]{0,30}?\b(?:political|civil)"
        r"\s+rights?\b(?:\s+(?:(?:for|of)\s+)?(?:(?P<life>life)\b|(?:a\s+(?:period|term)\s+of\s+)?"
        rf"(?P<dur>{_D})))?",
        re.I,
    ),
]
# Korean "자격정지" (suspension of qualifications) in translated copy: recorded as a
# deprivation of rights, e.g. "the qualification suspension 14 years", "14 years' suspension
# of qualifications".
_RIGHTS.extend(
    [
        re.compile(
            r"\bqualifications?\s+suspension\s+(?:of\s+|for\s+)?"
            rf"(?P<dur>{_D})|\bsuspension\s+of\s+(?:his\s+|her\s+|their\s+)?(?:civil\s+)?qualifications?\s+"
            rf"(?:of\s+|for\s+)?(?P<dur2>{_D})",
            re.I,
        ),
        re.compile(
            rf"(?P<dur>{_D})(?:['\u2019]s?)?\s+(?:of\s+)?(?:qualifications?\s+suspension|suspension\s+of\s+"
            r"(?:civil\s+)?qualifications?)\b",
            re.I,
        ),
    ]
)
_PROBATION = [
    re.compile(rf"(?P<dur>{_D})\s+(?:of\s+)?(?:federal\s+)?probation\b", re.I),
    re.compile(rf"\bprobation\s+(?:for|of)\s+(?P<dur>{_D})", re.I),
]
_RELEASE = [
    re.compile(rf"(?P<dur>{_D})\s+(?:of\s+)?supervised\s+release\b", re.I),
    re.compile(rf"\bsupervised\s+release\s+(?:for|of)\s+(?P<dur>{_D})", re.I),
    # A UK licence period (the corpus records it as supervised release): "an extended licence
    # period of four years", "a further four years on extended licence".
    re.compile(rf"\b(?:extended\s+)?licence(?:\s+period)?\s+(?:of|for)\s+(?P<dur>{_D})", re.I),
    re.compile(rf"(?P<dur>{_D})\s+(?:on\s+)?(?:an?\s+)?(?:extended\s+)?licence\b", re.I),
]
_LIFE = re.compile(
    r"\blife\s+(?:imprisonment|in\s+(?:federal\s+)?prison|sentences?|terms?|behind\s+bars)\b"
    r"|\bimprisonment\s+for\s+life\b|\bimprisoned\s+for\s+life\b"
    r"|\bsentenced\s+(?:[\w-]+\s+){0,3}?to\s+life\b",
    re.I,
)
_TIME_SERVED = re.compile(r"\btime\s+(?:already\s+)?served\b", re.I)
_DURATION_RE = re.compile(rf"(?<![\w-]){_D}", re.I)
_PRISON_AFTER = re.compile(
    r"^\s*(?:['\u2019]s?\s+)?(?:(?:in|of)\s+)?(?:federal\s+|fixed-term\s+|a\s+)?"
    r"(?:prison|jail|imprisonment|behind\s+bars|incarceration|detention)"
    r"(?:\s+(?:term|sentence))?\b"
    # The custodial part of a UK sentence before its licence; "spent 14 months in custody"
    # (before trial) is no sentence.
    r"|^\s*in\s+custody(?=[^.;]{0,80}\blicence\b)"
    r"|^\s*(?:suspended\s+)?(?:prison\s+|jail\s+)?(?:sentence|term)\b",
    re.I,
)
_PRISON_BEFORE = re.compile(
    r"(?:\b(?:sentenced|sentencing)\b[^;]{0,100}?\bto|\b(?:jailed|imprisoned|incarcerated)\b[^;.]{0,80}?\bfor"
    r"|\b(?:imprisonment|term|sentence|incarceration)\s+of|\bserve"
    r"|\b(?:reduc\w*|cut|commut\w*|increas\w*|lengthen\w*|rais\w*)\b[^;]{0,60}?\bto"
    # Machine-translated copy: "sentenced him to prison of 13 years", "Lo sentenced 4 years".
    # Noun first: "be sentenced the fixed-term imprisonment 8 year", "the imprisonment 14 years".
    r"|\bsentenced(?:\s+(?:him|her|them))?(?:\s+to)?(?:\s+the)?(?:\s+(?:fixed-term\s+)?(?:prison|imprisonment|jail))?"
    r"(?:\s+(?:of|for))?|\bfixed-term\s+imprisonment|\bthe\s+imprisonment)"
    r"\s+(?:a\s+|an\s+|another\s+|a\s+total\s+of\s+|total\s+of\s+)?$",
    re.I,
)
# "was given eight years", "got 10 years": a bare duration right after a receiving verb,
# ending its clause, is a prison term.
_RECEIVED_BEFORE = re.compile(
    r"\b(?:received|receives|got|given|handed|gave|awarded|jailed|imprisoned)\s+(?:a\s+|an\s+)?$", re.I
)
# "The court gave Yueh (...) 10 months and Chou 14 months": a term after "gave" and a person.
_GAVE_BEFORE = re.compile(r"\b(?:gave|handed|awarded)\s+(?!(?:a|an|the|his|her)\b)[^.;]{1,80}?\s$", re.I)
_CLAUSE_END_AFTER = re.compile(r"^\s*(?:[.,;]|for\b|on\b|after\b|in\b|$)")
_LIST_BEFORE = re.compile(
    rf"{_D}(?:\s+(?:in\s+prison|of\s+imprisonment|imprisonment))?\s*(?:,\s*and|,|and)\s*$", re.I
)
_NOT_PRISON = re.compile(r"^(?:-|\s)?old\b|^\s+(?:ago|later|earlier|before|after|of\s+age|old)\b", re.I)
_NOT_PRISON_BEFORE = re.compile(
    r"\b(?:aged|age\s+of|for\s+the\s+(?:past|last)|over\s+the\s+(?:past|last)|in\s+the\s+"
    r"(?:past|last)|within|after|before|nearly|almost|more\s+than)\s*$"
    # A UK extended sentence is custody plus licence: its total is neither (the parts are read).
    r"|\bextended\s+sentence\s+of\s*$",
    re.I,
)
# "Yoon's accomplice" (not "Kuo's term", "Kuo's prison sentence"): a name in the possessive.
_POSSESSIVE_AFTER = re.compile(
    r"['\u2019]s?\s+(?!(?:[\w-]+\s+)?(?:terms?|sentences?|prison|jail|penalt(?:y|ies)|punishment|imprisonment)\b)"
)
_CONFISCATE = re.compile(r"\bconfiscat\w*|\bseiz(?:ed|ure)\b", re.I)
_FINE = re.compile(r"\bfined\b|\bfines?\b|\bpenalty\s+of\b", re.I)
_RESTITUTION = re.compile(r"^\s*(?:in\s+)?(?:restitution|compensation|damages)\b", re.I)
_SUSPENDED = re.compile(rf"\s*,?\s*(?:which\s+was\s+|and\s+)?suspended\s+for\s+(?P<dur>{_D})", re.I)
# "18 months, suspended for two years": imprisonment 18 plus probation 24, the convention of
# the real-world corpus (a suspension period is the probation the court set), whether or not
# the text says "probation".
_FORFEIT = re.compile(r"\bforfeit\w*", re.I)
_MODAL = re.compile(
    r"\b(?:shall|will|would|could|may|might|can|to|faces?|facing|expected\s+to|scheduled\s+to)"
    r"\s+(?:not\s+)?(?:be\s+)?$",
    re.I,
)
_MONEY_AFTER = [
    (
        "asset_confiscation",
        re.compile(r"^\s*(?:[\w-]+\s+){0,4}?(?:was\s+|were\s+)?(?:confiscated|seized)\b", re.I),
    ),
    ("fine", re.compile(r"^\s*(?:criminal\s+)?fines?\b", re.I)),
    ("forfeiture", re.compile(r"^\s*(?:was\s+|were\s+)?forfeited\b", re.I)),
]
# Names joined by "and" or commas, allowing short appositives: "Liang, 64, and Lu, 63,".
_COORD = re.compile(r"^\.?(?:\s*,[^,;.()]{1,40}){0,2}\s*(?:,\s*and|,|and|&)\s*$")
# Penalties imposed on these are the organisation's, not a person's.
_ORG_NOUNS = {"company", "firm", "corporation", "business", "employer", "subsidiary", "entity", "enterprise"}
_COMPANY = -1
# Verbs whose active subject imposes the penalty (a court, a judge), never receives it.
_AGENT_VERBS = {
    "sentence",
    "jail",
    "imprison",
    "fine",
    "order",
    "deprive",
    "confiscate",
    "impose",
    "hand",
    "give",
}
# The term in force after an appeal replaces the first-instance one.
_APPEAL = re.compile(
    r"\b(?:upheld|uphold\w*|reduc\w*|commut\w*|increas\w*|lengthen\w*|overturn\w*|on\s+appeal|"
    r"appeals?\s+court|appellate|court\s+of\s+appeal|cut\s+(?:his|her|the)?)\b",
    re.I,
)
_DURATION_KINDS = {"imprisonment", "political_rights_deprivation", "probation", "supervised_release"}
# A second person and "for"/"to" with the verb left out: "..., and Gao for one year".
# Or the bare term after the name and its appositive: "..., and Lu, his former secretary, six years".
_ELLIPSIS = re.compile(
    r"(?:,|\band|\bwhile|\bwhereas)\s+(?:[\w-]+\s+){0,2}?[A-Z][\w.'-]*[^.;]*?"
    r"(?:\b(?:for|to)\s+(?:a\s+)?|,\s*)$"
)
# One item of a list of people sentenced with the verb given once: "; Qiao, a former laboratory
# technician, to nine years", "; and Mok Ka-yan to eight years and two months".
_LIST_ITEM = re.compile(
    r"^\s*(?:and\s+)?[A-Z][\w.'\u2019-]*(?:\s+[A-Z][\w.'\u2019-]*){0,3}\s*(?:\([^)]{0,20}\)\s*)?"
    r"(?:,[^;.,]{1,80},\s*)?(?:(?:to|for)\s+(?:a\s+)?)?$"
)
# A verb of its own in the gap ("..., while Seo was sentenced to one year"): not an ellipsis.
_OWN_VERB = re.compile(r"\b(?:sentenced|jailed|imprisoned|received|given|got|handed|ordered)\b", re.I)
_RESPECTIVELY = re.compile(r"\brespectively\b", re.I)


@dataclass
class _Hit:
    kind: str
    start: int
    end: int
    fields: dict[str, Any] = field(default_factory=dict)
    persons: list[str] = field(default_factory=list)
    weak: bool = False
    company: bool = False
    final: bool = False  # the term in force after an appeal ("upheld", "reduced ... to")
    # Persons linked beside the best one ("Liang and Lu were each sentenced"): their own
    # penalty of the same kind, where they are the best, wins over this one.
    shared: set[str] = field(default_factory=set)


@dataclass
class _People:
    """The person clusters' mentions (start, end, name, kind), the role scores and the
    sentence starts of one doc, as the attribution reads them."""

    starts: list[int]
    mentions: list[tuple[int, int, str, str]]
    scores: dict[str, float]
    length: int


@Language.factory(
    "bulletin_penalties",
    default_config={
        "patterns": "penalties.jsonl",
        "evidence_window": 160,
        "max_sentence_chars": 3000,
        "classifier": "",
        "features": "both",
        "threshold": 0.5,
    },
)
def make_penalties(
    nlp: Language,
    name: str,
    patterns: str,
    evidence_window: int,
    max_sentence_chars: int,
    classifier: str,
    features: str,
    threshold: float,
) -> PenaltyFinder:
    return PenaltyFinder(
        name,
        patterns=patterns,
        evidence_window=evidence_window,
        max_sentence_chars=max_sentence_chars,
        classifier=classifier,
        features=features,
        threshold=threshold,
    )


class PenaltyFinder:
    """Write one span per imposed penalty to doc.spans["bulletin_penalties"].

    Each span's label is the taxonomy kind, its span_id the person, and its payload
    (common.get_payload) the record's dict (person, kind, months..., evidence, start,
    end), where evidence is exactly text[start:end].
    """

    def __init__(
        self,
        name: str,
        *,
        patterns: str,
        evidence_window: int,
        max_sentence_chars: int,
        classifier: str = "",
        features: str = "both",
        threshold: float = 0.5,
    ) -> None:
        check_config(name, "patterns", patterns, str)
        check_config(name, "evidence_window", evidence_window, int)
        check_config(name, "max_sentence_chars", max_sentence_chars, int)
        check_config(name, "classifier", classifier, str)
        check_config(name, "threshold", threshold, (int, float))
        if features not in FEATURE_MODES:
            raise ValueError(f"{name}: config 'features' expected one of {FEATURE_MODES}, got {features!r}")
        # The trained attribution model gives each penalty its person; without one, the rules do.
        self.classifier = FeatureClassifier(classifier, LINK_LABEL) if classifier else None
        self.rule_features = features == "both"
        self.threshold = float(threshold)
        # Set by training/make_corpus.py: keep every (penalty, person) pair's features.
        self.record = False
        self.max_sentence_chars = max_sentence_chars
        if evidence_window < 0:
            raise ValueError(f"{name}: config 'evidence_window' expected an int >= 0, got {evidence_window}")
        self.name = name
        self.evidence_window = evidence_window
        rows = read_patterns(patterns)

        def words(kind: str) -> re.Pattern[str]:
            alts = "|".join(
                re.escape(t).replace(r"\ ", r"\s+") for t in sorted(terms(rows, kind), key=len, reverse=True)
            )
            return re.compile(rf"\b(?:{alts})\b", re.I)

        self.positive = words("positive_cue")
        self.negative = words("negative_cue")
        self.statute = re.compile(
            "|".join(r["regex"] for r in rows if r.get("kind") == "statute_sentence"), re.I
        )
        self.trigger = re.compile("|".join(r["regex"] for r in rows if r.get("kind") == "trigger"), re.I)

    def __call__(self, doc: Doc) -> Doc:
        spans: list[Span] = []
        try:
            spans = self._find(doc)
        except Exception:
            logger.exception("bulletin_penalties failed on a %d-char doc", len(doc.text))
        doc.spans[PENALTIES_KEY] = SpanGroup(doc, name=PENALTIES_KEY, spans=spans)
        return doc

    # -- finding -------------------------------------------------------------------------

    def _find(self, doc: Doc) -> list[Span]:
        text = doc.text
        noise = noise_ranges(doc)
        others = {(s.start_char, s.end_char) for s in doc.spans.get(PEOPLE_KEY, [])}
        mentions = sorted(
            (s.start_char, s.end_char, s.label_)
            for key in (MENTIONS_KEY, PEOPLE_KEY)
            for s in doc.spans.get(key, [])
        )
        records: list[tuple[bool, bool, dict[str, Any], bool]] = []
        # Without a parser or sentencizer the whole text is one sentence.
        sents = list(doc.sents) if doc.has_annotation("SENT_START") else [doc[:]]
        if self.record:
            doc.user_data[LINK_RECORD] = []
        people = self._people(doc, sents) if self.classifier is not None or self.record else None
        for index, sent in enumerate(sents):
            s_text = sent.text
            base = sent.start_char
            if len(s_text) > self.max_sentence_chars:
                logger.debug("bulletin_penalties: skipping a %d-char sentence", len(s_text))
                continue
            if not self.trigger.search(s_text) or self.statute.search(s_text):
                continue
            # The parser may glue page furniture to the next sentence, so test hits, not sentences.
            hits = [
                h
                for h in self._parse(s_text)
                if self._imposed(s_text, h.start) and not in_ranges(base + h.start, base + h.end, noise)
            ]
            if not hits:
                continue
            for hit in hits:
                hit.final = bool(_APPEAL.search(s_text[max(0, hit.start - _LOOK) : hit.start]))
            self._attribute(sent, hits, mentions, others)
            hits = [h for h in hits if not h.company]
            if people is not None:
                self._link(doc, people, sents[index], index, hits)
                if self.classifier is not None and _RESPECTIVELY.search(s_text):
                    self._respectively(hits)
            for hit in hits:
                ev_start, ev_end = self._evidence(s_text, hit, hits)
                for person in hit.persons or [""]:
                    record: dict[str, Any] = {"person": person, "kind": hit.kind, **hit.fields}
                    record.update(
                        evidence=text[base + ev_start : base + ev_end],
                        start=base + ev_start,
                        end=base + ev_end,
                    )
                    records.append((hit.weak, hit.final, record, person in hit.shared))
        spans = []
        for record in _dedupe(records):
            span = char_span(
                doc, record["start"], record["end"], label=record["kind"], span_id=record["person"]
            )
            if span is not None:
                set_payload(span, record)
                spans.append(span)
        return spans

    def _parse(self, s: str) -> list[_Hit]:
        """Every penalty expression in one sentence, whatever its context."""
        hits: list[_Hit] = []
        taken: list[tuple[int, int]] = []

        def add(kind: str, m: re.Match[str], fields: dict[str, Any]) -> None:
            if not in_ranges(m.start(), m.end(), taken):
                hits.append(_Hit(kind, m.start(), m.end(), fields))
                taken.append((m.start(), m.end()))

        for rx in _REPRIEVE:
            for m in rx.finditer(s):
                dur = m.groupdict().get("dur")
                add(
                    "death_with_reprieve",
                    m,
                    {"reprieve_months": parse_duration(dur) if dur else 24},
                )
        for m in _DEATH.finditer(s):
            add("death_sentence", m, {})
        for rx in _RIGHTS:
            for m in rx.finditer(s):
                groups = m.groupdict()
                if groups.get("life"):
                    add("political_rights_deprivation", m, {"for_life": True})
                elif groups.get("dur") or groups.get("dur2"):
                    months = parse_duration(groups.get("dur") or groups["dur2"])
                    add("political_rights_deprivation", m, {"months": months} if months else {})
                else:
                    add("political_rights_deprivation", m, {})
        for kind, rxs in (("probation", _PROBATION), ("supervised_release", _RELEASE)):
            for rx in rxs:
                for m in rx.finditer(s):
                    months = parse_duration(m.group("dur"))
                    add(kind, m, {"months": months} if months else {})
        for m in _LIFE.finditer(s):
            add("life_imprisonment", m, {})
        for m in _TIME_SERVED.finditer(s):
            add("imprisonment", m, {})
        accepted_ends: list[int] = []
        for m in _DURATION_RE.finditer(s):
            if in_ranges(m.start(), m.end(), taken):
                continue
            before, after = s[max(0, m.start() - _LOOK) : m.start()], s[m.end() : m.end() + _LOOK]
            if _NOT_PRISON.match(after) or _NOT_PRISON_BEFORE.search(before):
                continue
            elided = self._elided(s, m.start(), hits)
            if elided is not None:
                months = parse_duration(m.group(0))
                if months:
                    hits.append(_Hit(elided, m.start(), m.end(), {"months": months}))
                    taken.append((m.start(), m.end()))
                    accepted_ends.append(m.end())
                    continue
            tail = _PRISON_AFTER.match(after)
            listed = _LIST_BEFORE.search(before) and any(abs(m.start() - e) < 40 for e in accepted_ends)
            received = (_RECEIVED_BEFORE.search(before) or _GAVE_BEFORE.search(before)) and (
                _CLAUSE_END_AFTER.match(after) or after.lstrip().startswith("and ")
            )
            if not (tail or _PRISON_BEFORE.search(before) or listed or received):
                continue
            months = parse_duration(m.group(0))
            if not months:
                continue
            end = m.end() + (tail.end() if tail else 0)
            hits.append(_Hit("imprisonment", m.start(), end, {"months": months}))
            taken.append((m.start(), end))
            accepted_ends.append(end)
            suspended = _SUSPENDED.match(s, end)
            if suspended:
                # "a one-year prison term suspended for two years": the suspension is probation.
                hits.append(
                    _Hit(
                        "probation",
                        suspended.start("dur"),
                        suspended.end(),
                        {"months": parse_duration(suspended.group("dur"))},
                    )
                )
                taken.append((suspended.start(), suspended.end()))
        self._money(s, hits, taken)
        hits.sort(key=lambda h: h.start)
        return hits

    @staticmethod
    def _elided(s: str, start: int, hits: list[_Hit]) -> str | None:
        """The kind of an elided penalty: "deprived of political rights for three years and
        Gao for one year", "jailed for seven years, and Yanakiev, 35, for five years"."""
        previous = [h for h in hits if h.end <= start and h.kind in _DURATION_KINDS and "months" in h.fields]
        if not previous:
            return None
        last = max(previous, key=lambda h: h.end)
        gap = s[last.end : start]
        if len(gap) > 160 or _OWN_VERB.search(gap):
            return None
        if ";" in gap:
            # A list: "...; Qiao, a former technician, to nine years; and Min to six years". The
            # item names its person and nothing else: the penalty is of the list's first kind
            # (the term, not a deprivation of rights added to the first item only).
            item = gap.rsplit(";", 1)[1]
            first = min(previous, key=lambda h: h.start)
            return first.kind if _LIST_ITEM.match(item) and len(item) <= 120 else None
        if len(gap) > 120 or not _ELLIPSIS.search(gap):
            return None
        return last.kind

    def _money(self, s: str, hits: list[_Hit], taken: list[tuple[int, int]]) -> None:
        used_kinds: set[str] = set()
        previous_end = 0
        previous_kind: str | None = None
        for money in find_money(s):
            if in_ranges(money.start, money.end, taken):
                continue
            # Only words since the previous amount govern this one: "fined 10,000 yuan, and
            # his gains of 40,000 yuan were confiscated".
            gap = s[max(previous_end, money.start - _LOOK) : money.start]
            clause = re.split(r"[;]|\.\s", gap)[-1][-90:]
            previous_end = money.end
            after = s[money.end : money.end + 50]
            if _RESTITUTION.match(after):
                previous_kind = None
                continue
            kind = None
            end = money.end
            for name, rx in _MONEY_AFTER:
                m = rx.match(after)
                if m:
                    kind, end = name, money.end + m.end()
                    break
            best = -1
            if kind is None:
                for name, rx in (
                    ("asset_confiscation", _CONFISCATE),
                    ("fine", _FINE),
                    ("forfeiture", _FORFEIT),
                ):
                    for m in rx.finditer(clause):
                        if m.start() > best:
                            best, kind = m.start(), name
            if kind is None and previous_kind and re.fullmatch(r"\s*(?:,|and|,\s*and|or)\s*", gap):
                kind = previous_kind  # "confiscated 180,000 yuan and 60,000 yuan ... respectively"
            previous_kind = kind
            if kind is None:
                continue
            fields: dict[str, Any] = {}
            if money.amount is not None:
                fields["amount"] = money.amount
                if money.currency:
                    fields["currency"] = money.currency
                if money.usd is not None:
                    fields["usd"] = money.usd
            hits.append(_Hit(kind, money.start, end, fields))
            taken.append((money.start, end))
            used_kinds.add(kind)
        # A confiscation or fine named without an amount ("confiscation of all personal property").
        for kind, rx in (
            ("asset_confiscation", _CONFISCATE),
            ("fine", re.compile(r"\bfined\b", re.I)),
            ("forfeiture", _FORFEIT),
        ):
            if kind in used_kinds:
                continue
            m = rx.search(s)
            if m and not in_ranges(m.start(), m.end(), taken):
                hits.append(_Hit(kind, m.start(), m.end(), {}))
                taken.append((m.start(), m.end()))

    def _imposed(self, s: str, pos: int) -> bool:
        """Whether the nearest cue before pos says a penalty was imposed (not a range/request)."""
        before = s[max(0, pos - _LOOK) : pos]
        last_pos = -1
        for m in self.positive.finditer(before):
            if not _MODAL.search(before[: m.start()]):
                last_pos = m.end()
        last_neg = -1
        for m in self.negative.finditer(before):
            last_neg = m.end()
        if last_neg == -1:
            return True
        return last_pos > last_neg

    def _evidence(self, s: str, hit: _Hit, hits: list[_Hit]) -> tuple[int, int]:
        """From the cue that imposed the penalty ("sentenced Feng to") to its end, unless the
        hit starts with its own cue or another penalty sits in between."""
        start = hit.start
        window = s[max(0, hit.start - self.evidence_window) : hit.start]
        cues = list(self.positive.finditer(window))
        own_cue = self.positive.match(s, hit.start)
        if cues and not own_cue:
            cue_start = hit.start - len(window) + cues[-1].start()
            others = [o for o in hits if o is not hit]
            between = any(cue_start <= o.start < hit.start for o in others)
            inside_other = any(o.start <= cue_start < o.end for o in others)  # "time served"
            if not (between or inside_other):
                start = cue_start
        end = hit.end
        while end > start and s[end - 1] in " ,;:":
            end -= 1
        return start, end

    # -- attribution -------------------------------------------------------------------

    def _attribute(
        self,
        sent: Span,
        hits: list[_Hit],
        mentions: list[tuple[int, int, str]],
        others: set[tuple[int, int]],
    ) -> None:
        """Give each hit its persons. A mention of someone who is not (yet) a subject (in
        others) counts only as the verb's person or a name right before the penalty, never
        in the fallbacks that guess from a name after it or in another sentence."""
        s, base = sent.text, sent.start_char
        s_end = base + len(s)
        inside = [m for m in mentions if base <= m[0] < s_end]
        subject_inside = [i for i, m in enumerate(inside) if (m[0], m[1]) not in others]
        earlier = [m for m in mentions if m[1] <= base and (m[0], m[1]) not in others]
        later = [m for m in mentions if m[0] >= s_end and (m[0], m[1]) not in others]
        parsed = sent.doc.has_annotation("DEP")
        for hit in hits:
            pos = base + hit.start
            before = [i for i, m in enumerate(inside) if m[1] <= pos]
            index = self._syntactic_subject(sent, hit, inside) if parsed else None
            if index == _COMPANY:
                hit.company = True
            elif index is not None:
                hit.persons = self._chain(s, base, inside, index)
            elif before:
                # "Lee (38), who is Yoon's accomplice, the court sentenced ...": a possessive
                # name describes the person; it is not the one sentenced.
                own = [i for i in before if not _POSSESSIVE_AFTER.match(s, inside[i][1] - base)]
                hit.persons = self._chain(s, base, inside, (own or before)[-1])
            elif subject_inside:
                hit.persons = self._chain(s, base, inside, subject_inside[0])
            elif earlier:
                hit.persons = _split(earlier[-1][2])
                hit.final = False  # a guess: never let it replace a term attributed by name
            elif later:
                # A lead sentence summarising the case before naming anyone.
                hit.persons = _split(later[0][2])
                hit.weak = True
                hit.final = False
        if _RESPECTIVELY.search(s):
            self._respectively(hits)

    @staticmethod
    def _people(doc: Doc, sents: list[Span]) -> _People:
        """What the attribution reads of the whole doc, once per doc."""
        return _People(
            starts=[s.start_char for s in sents],
            mentions=sorted(
                (s.start_char, s.end_char, s.label_, s.id_) for s in doc.spans.get(CLUSTERS_KEY, [])
            ),
            scores=doc.user_data.get(CLUSTER_SCORES, {}),
            length=len(doc.text),
        )

    def _link(self, doc: Doc, people: _People, sent: Span, index: int, hits: list[_Hit]) -> None:
        """Give each hit the persons the attribution model links it to. Every person cluster
        of the article is a candidate, by its mention nearest before the hit (else after it).
        The best-scoring candidate is linked; another only when it also reaches the threshold
        and is named before the hit in its sentence with no other penalty between."""
        starts, mentions, scores = people.starts, people.mentions, people.scores
        spans = [(sent.start_char + h.start, sent.start_char + h.end) for h in hits]
        after = people.length  # a mention after the penalty ranks behind every one before it
        for hit, (start, end) in zip(hits, spans, strict=True):
            nearest: dict[str, tuple[int, int, int, str]] = {}
            for m_start, m_end, name, kind in mentions:
                if m_start < end and m_end > start:
                    continue  # a name inside the penalty's own words
                distance = start - m_end if m_end <= start else m_start - end + after
                if name not in nearest or distance < nearest[name][0]:
                    nearest[name] = (distance, m_start, m_end, kind)
            if not nearest:
                continue
            names = list(nearest)
            examples = []
            hits_between: dict[str, int] = {}
            for name in names:
                _, m_start, m_end, kind = nearest[name]
                left, right = (m_end, start) if m_end <= start else (end, m_start)
                between_people = len({n for s, e, n, _ in mentions if left <= s and e <= right and n != name})
                between_hits = sum(1 for s, e in spans if left <= s and e <= right)
                hits_between[name] = between_hits
                back = index - (bisect.bisect_right(starts, m_start) - 1)
                examples.append(
                    pair_words(
                        doc,
                        (start, end),
                        (m_start, m_end, kind),
                        between_people,
                        between_hits,
                        back,
                        scores.get(name, 0.0) >= 0.5,
                        (name in hit.persons) if self.rule_features else None,
                    )
                )
            if self.record:
                doc.user_data[LINK_RECORD].extend(
                    {
                        "start": start,
                        "end": end,
                        "kind": hit.kind,
                        "fields": dict(hit.fields),
                        "name": n,
                        "words": w,
                    }
                    for n, w in zip(names, examples, strict=True)
                )
            if self.classifier is None:
                continue
            probabilities = self.classifier.scores(examples)
            ranked = sorted(zip(probabilities, names, strict=True), reverse=True)
            # The best candidate always; others only when they score as well and are named
            # before it in its own sentence with no other penalty between ("Liang and Lu were
            # each sentenced to 30 months"), never one named after it ("Pan got eight years,
            # and Yeh five").
            linked = [ranked[0][1]] + [
                n
                for p, n in ranked[1:]
                if p >= self.threshold and sent.start_char <= nearest[n][1] < start and not hits_between[n]
            ]
            order = {n: nearest[n][1] for n in names}
            hit.persons = sorted(linked, key=order.__getitem__)
            hit.shared = set(linked[1:])

    def _syntactic_subject(self, sent: Span, hit: _Hit, inside: list[tuple[int, int, str]]) -> int | None:
        """Index in inside of the person the imposing verb is about: the passive subject of
        "was sentenced", the object of "sentenced X", the subject of "received", following
        coordinated verbs ("sentenced ..., deprived of ...") back to the first one."""
        window_start = max(0, hit.start - _LOOK)
        cues = list(self.positive.finditer(sent.text[window_start : hit.start]))
        if not cues:
            return None
        cue_end = sent.start_char + window_start + cues[-1].end()
        if any(cue_end <= start < sent.start_char + hit.start for start, _, _ in inside):
            return None  # "sentenced Feng to ..., and Jiang to ...": the nearest name decides
        token = sent.doc.char_span(
            sent.start_char + window_start + cues[-1].start(), cue_end, alignment_mode="expand"
        )
        if token is None or len(token) == 0:
            return None
        verb = token[0]
        same_clause = True
        for _ in range(4):
            for child in verb.children:
                if child.dep_ not in ("nsubjpass", "dobj", "nsubj", "dative"):
                    continue
                if child.dep_ == "nsubj" and verb.lemma_ in _AGENT_VERBS:
                    continue  # "the court sentenced": the agent, not the person
                lo = child.left_edge.idx
                hi = child.right_edge.idx + len(child.right_edge.text)
                # The first name in the phrase is its head's: "Li, who recruited Xu, was ..."
                for i, (start, end, _label) in enumerate(inside):
                    if lo <= start and end <= hi:
                        return i
                if (
                    same_clause
                    and child.dep_ in ("nsubjpass", "nsubj")
                    # The noun, not the ORG label: the small model often tags a name ORG.
                    and child.lemma_.lower() in _ORG_NOUNS
                ):
                    return _COMPANY  # "His company was ordered to forfeit": not a person's penalty
            if verb.dep_ in ("conj", "xcomp", "advcl", "ccomp") and verb.head is not verb:
                # Past a clause boundary ("..., the ministry said") a subject is not the payer.
                same_clause = same_clause and verb.dep_ in ("conj", "xcomp")
                verb = verb.head
            else:
                break
        return None

    @staticmethod
    def _chain(s: str, base: int, inside: list[tuple[int, int, str]], index: int) -> list[str]:
        """The persons of the coordination around mention index ("Feng and Jiang")."""

        def joined(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
            gap = s[a[1] - base : b[0] - base]
            # "Pan, a commander, got eight years, and Yeh": a term in between ends the coordination.
            return bool(_COORD.match(gap)) and not (_OWN_VERB.search(gap) or _DURATION_RE.search(gap))

        first = last = index
        while first > 0 and joined(inside[first - 1], inside[first]):
            first -= 1
        while last + 1 < len(inside) and joined(inside[last], inside[last + 1]):
            last += 1
        names = [n for m in inside[first : last + 1] for n in _split(m[2])]
        return list(dict.fromkeys(names))

    @staticmethod
    def _respectively(hits: list[_Hit]) -> None:
        by_kind: dict[str, list[_Hit]] = {}
        for hit in hits:
            by_kind.setdefault(hit.kind, []).append(hit)
        for group in by_kind.values():
            persons = group[-1].persons
            if len(persons) >= 2 and len(group) == len(persons):
                for hit, person in zip(group, persons, strict=True):
                    hit.persons = [person]


def _value(record: dict[str, Any]) -> Any:
    for key in ("for_life", "months", "reprieve_months", "amount"):
        if key in record:
            return record[key]
    return None


def _dedupe(records: list[tuple[bool, bool, dict[str, Any], bool]]) -> list[dict[str, Any]]:
    """One record per person and kind (the first), after dropping guesses from lead
    sentences that restate a penalty attributed properly later on."""
    strong = {(r["kind"], _value(r)) for weak, _, r, _ in records if not weak}
    out: dict[tuple[str, str], tuple[bool, dict[str, Any], bool]] = {}
    for weak, final, record, shared in records:
        if weak and (record["kind"], _value(record)) in strong:
            continue
        key = (record["person"], record["kind"])
        kept = out.get(key)
        # A later mention wins when it carries the amount the first lacked ("fined" in a
        # headline, "fined 50,000 yuan" below), is the term in force after an appeal, or
        # names the person alone where the first shared the penalty with someone else.
        if (
            kept is None
            or (final and not kept[0])
            or (_value(kept[1]) is None and _value(record) is not None and not kept[0])
            or (kept[2] and not shared and not kept[0])
        ):
            out[key] = (final, record, shared)
    return [record for _, record, _ in out.values()]


def _split(label: str) -> list[str]:
    return [p for p in label.split(GROUP_SEP) if p]
