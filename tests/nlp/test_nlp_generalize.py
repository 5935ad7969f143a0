"""Short articles of our own, worded unlike the fixtures, for the rules added to generalize:
name shapes the model misses, more currencies, elided and appealed penalties, suspensions."""

from __future__ import annotations

from typing import Any

import pytest
from spacy.language import Language

from nlp import extract
from nlp.numbers import find_money


def _one(nlp: Language, text: str) -> dict[str, Any]:
    (record,) = [r.to_json() for r in extract(nlp, [{"id": "t", "text": text}])]
    return record


def _penalties(record: dict[str, Any]) -> set[tuple[Any, ...]]:
    out = set()
    for p in record["penalties"]:
        value = p.get("months", p.get("amount", p.get("for_life")))
        out.add((p["person"], p["kind"], value, p.get("currency")))
    return out


def test_korean_name_and_won_fine(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "SEOUL (Yonhap) -- A district court on Monday sentenced Yoon Hae-jin, 52, a former radar "
        "engineer, to four years in prison and fined him 30 million won for handing classified "
        "radar specifications to a Chinese buyer in breach of national security law.",
    )
    assert record["subjects"] == ["Yoon Hae-jin"]
    assert ("Yoon Hae-jin", "imprisonment", 48, None) in _penalties(record)
    assert ("Yoon Hae-jin", "fine", 30_000_000, "KRW") in _penalties(record)


def test_german_privacy_names(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A court in Munich sentenced a 36-year-old engineer, identified only as Jonas K. under "
        "privacy laws, to three years in prison for spying for Russian intelligence. "
        "His accomplice, identified as Petra M., was fined 4,500 euros.",
    )
    assert record["subjects"] == ["Jonas K", "Petra M"]
    got = _penalties(record)
    assert ("Jonas K", "imprisonment", 36, None) in got
    assert ("Petra M", "fine", 4500, "EUR") in got


def test_elided_second_penalty(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Two former staff of a shipyard, Ma Qiang and Tian Lei, were convicted of selling state "
        "secrets to a foreign spy agency. Ma Qiang was jailed for nine years, and Tian Lei, 44, "
        "for six years and three months. Ma was also deprived of political rights for two years "
        "and Tian for one year.",
    )
    got = _penalties(record)
    assert ("Ma Qiang", "imprisonment", 108, None) in got
    assert ("Tian Lei", "imprisonment", 75, None) in got
    assert ("Tian Lei", "political_rights_deprivation", 12, None) in got


def test_appeal_term_in_force_replaces_first_instance(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A district court sentenced the technician, surnamed Hu, to eight years in prison in 2024 "
        "for leaking military secrets to a foreign intelligence agency. On appeal, the high court "
        "this week reduced Hu's term to six years, citing his confession.",
    )
    got = {p for p in _penalties(record) if p[1] == "imprisonment"}
    assert got == {("Hu", "imprisonment", 72, None)}


def test_suspension_period_is_probation(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Ko Min-jun, a navy contractor, was sentenced to 18 months in prison, suspended for three "
        "years, for passing ship drawings to a Chinese firm, while his manager Seo Ji-woo was "
        "sentenced to one year in prison, suspended for two years with probation.",
    )
    got = _penalties(record)
    assert ("Ko Min-jun", "imprisonment", 18, None) in got
    assert ("Ko Min-jun", "probation", 36, None) in got
    assert ("Seo Ji-woo", "imprisonment", 12, None) in got
    assert ("Seo Ji-woo", "probation", 24, None) in got


@pytest.mark.parametrize(
    ("text", "amount", "currency"),
    [
        ("fined KRW 50 million", 50_000_000, "KRW"),
        ("a fine of \u20a9300 million", 300_000_000, "KRW"),
        ("ordered to pay A$12,000", 12_000, "AUD"),
        ("a penalty of 2,000 euro", 2_000, "EUR"),
        ("fined 1.5 billion won", 1_500_000_000, "KRW"),
    ],
)
def test_more_currencies(text: str, amount: float, currency: str) -> None:
    (money,) = find_money(text)
    assert (money.amount, money.currency) == (amount, currency)


def test_won_the_verb_is_not_money() -> None:
    assert find_money("In 2021 won a bid, and 300 won praise") == []


def test_insider_persuaded_by_subject_is_proxy_recruitment(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A court jailed Deng Rui for ten years for espionage. Deng Rui, who had been recruited by "
        "a foreign spy agency, later persuaded her to photograph the base's duty rosters, and drew "
        "two neighbours into the scheme.",
    )
    assert "proxy_recruitment" in {t["label"] for t in record["tactics"]}


def test_uncharged_handler_and_home_town_are_not_subjects(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Jason Miller, 41, of Tacoma, was sentenced to 30 months in prison on Thursday for "
        "selling classified submarine data to a foreign intelligence service. Miller was "
        "recruited by a handler who called himself Victor Lam and paid him $9,000 in cash. "
        "Victor Lam has not been charged and is believed to live abroad.",
    )
    assert record["subjects"] == ["Jason Miller"]


def test_charged_officers_in_an_appositive_are_subjects(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Two officers of a foreign spy service, Zhao Peng and Lin Hui, were charged in absentia "
        "with espionage for running an informant inside a naval base, prosecutors said.",
    )
    assert record["subjects"] == ["Zhao Peng", "Lin Hui"]


def test_civil_trade_secret_settlement_is_not_a_case(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Two pump makers settled a trade secrets lawsuit on Monday. The suit claimed that "
        "engineers who left one firm took trade secrets to the other; neither side admitted "
        "liability and no criminal charges were filed, a court spokesman said.",
    )
    assert record["relevant"] is False


@pytest.mark.parametrize(
    ("sentence", "label"),
    [
        ("A woman presenting herself as a recruiter contacted Gu Tao.", "false_identity"),
        ("Gu Tao used his work badge to enter the design archive.", "insider_exploitation"),
        ("Gu Tao then turned to his brother-in-law for more drawings.", "proxy_recruitment"),
        ("The handler offered him a teaching position abroad in return.", "financial_inducement"),
        ("They talked through an app with disappearing messages.", "covert_communication"),
        ("She told him she had fallen in love with him.", "emotional_manipulation"),
        ("Gu Tao later paid Sun Rui to photograph the dock gates.", "proxy_recruitment"),
    ],
)
def test_narrated_tactic_families(real_nlp: Language, sentence: str, label: str) -> None:
    text = (
        "Gu Tao, a former naval engineer, was sentenced to nine years in prison for espionage "
        "after passing state secrets to a foreign intelligence agency. " + sentence
    )
    assert label in {t["label"] for t in _one(real_nlp, text)["tactics"]}


def test_handing_money_back_is_not_a_voluntary_offer(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Qiu Lan was sentenced to three years in prison for leaking military secrets to a "
        "foreign spy agency. The court noted that Qiu voluntarily handed over the money she "
        "had been paid.",
    )
    assert "voluntary_offer" not in {t["label"] for t in record["tactics"]}


def test_executed_is_a_death_sentence(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A former aerospace engineer surnamed Bai was executed on Tuesday for selling state "
        "secrets to a foreign intelligence agency, the Ministry of State Security said.",
    )
    assert ("Bai", "death_sentence", None, None) in _penalties(record)


def test_jailed_with_the_object_before_for(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A Melbourne court jailed a local businessman, Owen Tate, for six years and three months "
        "for reckless foreign interference on behalf of Chinese intelligence.",
    )
    assert ("Owen Tate", "imprisonment", 75, None) in _penalties(record)


def test_initial_names_in_one_breath_and_a_rank_before_a_name(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The court in Koblenz sentenced Dieter F., 61, and Heike S., 55, to two years each for "
        "passing military information to Russian intelligence.",
    )
    assert record["subjects"] == ["Dieter F", "Heike S"]
    assert {p[0] for p in _penalties(record)} == {"Dieter F", "Heike S"}
    record = _one(
        real_nlp,
        "A Navy sailor was sentenced to time served for passing classified information to a "
        "Chinese intelligence officer. Petty Officer Dale Ames, 27, admitted selling photos.",
    )
    assert record["subjects"] == ["Dale Ames"]


def test_an_unnamed_relative_appeal_does_not_replace_a_named_term(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Zeng, a former researcher, was sentenced to 10 years in prison for espionage. His wife "
        "was given a three-year term, later reduced to two years on appeal.",
    )
    assert ("Zeng", "imprisonment", 120, None) in _penalties(record)


def test_will_spend_after_the_ruling_is_an_imposed_term(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Tan Weiguo, a former shipyard draughtsman who sold state secrets to a foreign spy "
        "agency, will spend nine years behind bars after a court ruled on Friday.",
    )
    assert ("Tan Weiguo", "imprisonment", 108, None) in _penalties(record)


def test_scam_by_fake_state_security_officers_is_not_a_case(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A gang impersonating national security officers phoned retirees, claimed their "
        "accounts were linked to espionage and leaking state secrets, and told them to move "
        "money. The Ministry of State Security warned the public. The leader was jailed for "
        "seven years for fraud.",
    )
    assert record["relevant"] is False


def test_question_and_answer_explainer_is_not_a_case(real_nlp: Language) -> None:
    text = (
        "Editor's note: readers asked us about the Counter-Espionage Law.\n\n"
        "Who must report espionage?\n\nEvery citizen should report spying to state security "
        "organs.\n\nWhat counts as state secrets?\n\nClassified documents and military data.\n\n"
        "How are spies punished?\n\nEspionage is punishable by prison terms; courts have "
        "sentenced offenders to life.\n\nWhere can I report?\n\nCall the 12339 hotline."
    )
    record = _one(real_nlp, text)
    assert record["relevant"] is False


def test_corruption_trial_with_secrets_in_passing_is_not_a_case(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A former city Party chief was sentenced to 15 years for taking bribes. The graft "
        "inquiry found he accepted kickbacks from builders; some files touched on state "
        "secrets, the court said, but the bribery charges were the only ones.",
    )
    assert record["relevant"] is False


def _tactics(record: dict[str, Any]) -> set[str]:
    return {t["label"] for t in record["tactics"]}


def test_payment_before_a_confiscation_clause_is_still_an_inducement(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Karl B. was convicted of passing defence documents to a Russian spy agency. He accepted "
        "cash for each batch, and the judges ordered the confiscation of 12,000 euros.",
    )
    assert "financial_inducement" in _tactics(record)


def test_passive_warned_by_is_narrative_not_advice(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A surveyor surnamed Lu was detained for espionage. Lu kept photographing the naval "
        "base after being warned by a guard, because his overseas contact had offered him a "
        "bonus for every set of pictures.",
    )
    assert "financial_inducement" in _tactics(record)


def test_benefits_in_kind_and_crypto_promises(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "An engineer surnamed Qu was sentenced to six years for espionage. His handler covered "
        "the rent of his daughter's flat in Sydney and handed him a red envelope at New Year.",
    )
    assert "financial_inducement" in _tactics(record)
    record = _one(
        real_nlp,
        "A soldier, Park Ji-ho, was jailed for leaking military secrets to North Korea after "
        "an agent won him over with the promise of bitcoin.",
    )
    assert "financial_inducement" in _tactics(record)


def test_proxy_recruitment_name_shapes(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Marcus Hale was sentenced to eight years for espionage. In 2020, Hale enlisted Dana "
        "Pryce, 41, a longtime neighbour who worked at the base, to copy flight logs.",
    )
    assert "proxy_recruitment" in _tactics(record)
    record = _one(
        real_nlp,
        "Lin Cheng-wei was jailed for 12 years for spying for China. Lin went on to recruit "
        "Chou Mei-ling (周美玲), a clerk, who photographed cabinet papers.",
    )
    assert "proxy_recruitment" in _tactics(record)


def test_recruited_relative_before_the_verb_and_promise_of_money(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "An archivist surnamed Yao was sentenced to life for espionage, and a cousin she had "
        "roped into the scheme got five years.",
    )
    assert "proxy_recruitment" in _tactics(record)
    record = _one(
        real_nlp,
        "Choi Dong-su was jailed for nine years for spying for North Korea. Choi persuaded "
        "Kang with the promise of cash to photograph a missile unit.",
    )
    assert "proxy_recruitment" in _tactics(record)


def test_a_name_the_model_calls_an_organisation_is_a_subject(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Marcus Hale was sentenced to eight years for espionage after selling radar manuals "
        "to a Chinese intelligence officer.",
    )
    assert "Marcus Hale" in record["subjects"]
    record = _one(
        real_nlp,
        "A clerk at the Naval Logistics Command was sentenced to five years for passing "
        "classified files to a foreign intelligence officer.",
    )
    # The clerk is described, not named: the description is the subject, the command is no one.
    assert record["subjects"] == ["A clerk at the Naval Logistics Command"]


def test_machine_translated_noun_first_terms_and_singular_units(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A teacher surnamed Gao was arrested for espionage. The court judge Gao guilty of "
        "espionage, be sentenced the fixed-term imprisonment 6 year, deprive political right "
        "1 year.",
    )
    assert ("Gao", "imprisonment", 72, None) in _penalties(record)
    assert ("Gao", "political_rights_deprivation", 12, None) in _penalties(record)


def test_korean_qualification_suspension_and_a_possessive_name(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "The court sentenced Han Ji-su the imprisonment 8 years for spying for North Korea. "
        "And to the broker Seo Min-jae, who was Han's go-between, the court sentenced the "
        "imprisonment 5 years and the qualification suspension 5 years. Seo Min-jae was arrested "
        "in 2023 for relaying the secrets.",
    )
    assert ("Seo Min-jae", "imprisonment", 60, None) in _penalties(record)
    assert ("Seo Min-jae", "political_rights_deprivation", 60, None) in _penalties(record)
    assert not any(p[0] == "Han Ji-su" and p[2] == 60 for p in _penalties(record))


def test_a_volunteers_asking_price_is_not_an_inducement(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Dale Vickers was sentenced to seven years for attempting to sell secrets. Vickers "
        "wrote to a foreign consulate offering submarine drawings in return for a large cash "
        "payment, and later asked for money in bitcoin. He was also ordered to pay a fine.",
    )
    assert "financial_inducement" not in _tactics(record)


def test_cover_stories_and_outside_photos_are_not_other_tactics(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Ivo Marek was jailed for six years for spying for Russia. Marek photographed warships "
        "in the harbour, and he and a partner posed as reporters for an online travel website. "
        "He was recruited while attending business forums in Minsk.",
    )
    assert "insider_exploitation" not in _tactics(record)
    assert "online_approach" not in _tactics(record)
    record = _one(
        real_nlp,
        "A breeder surnamed Fu was sentenced to four years for espionage after handing seed "
        "samples to a foreign institute under the banner of a joint research project.",
    )
    assert "false_identity" not in _tactics(record)


@pytest.mark.parametrize(
    "sentence",
    [
        "Karl Brenner was jailed for four years for spying. Brenner said he never received any money "
        "from the agents and passed the plans out of conviction.",
        "A clerk surnamed Deng was sentenced to five years for leaking secrets. Deng did not accept "
        "payment for the documents, the court found.",
        "Omar Haddad was convicted of acting as a foreign agent. Haddad denied receiving cash from "
        "his contact.",
    ],
)
def test_a_denied_payment_is_no_financial_inducement(real_nlp: Language, sentence: str) -> None:
    assert "financial_inducement" not in _tactics(_one(real_nlp, sentence))


def test_corruption_and_tip_rewards_are_no_financial_inducement(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "Former vice-minister Gao Ping was sentenced to life for accepting bribes, abuse of power "
        "and illegally obtaining state secrets. Gao took bribes worth 40 million yuan.",
    )
    assert "financial_inducement" not in _tactics(record)
    record = _one(
        real_nlp,
        "A former party chief surnamed Ren was jailed for life. The court said the bribes Ren took "
        "were huge, and that he had illegally obtained state secrets; the case also involved "
        "3 million dollars in bribes and insider trading.",
    )
    assert "financial_inducement" not in _tactics(record)
    record = _one(
        real_nlp,
        "Police issued a wanted notice for three foreign hackers accused of attacking the games' "
        "systems. Anyone who provides clues leading to their arrest will receive a reward of "
        "20,000 yuan.",
    )
    assert "financial_inducement" not in _tactics(record)
    # Money a handler does pay is still the tactic.
    record = _one(
        real_nlp,
        "A technician surnamed Lu was sentenced to six years for espionage. His handler paid him "
        "30,000 yuan for each batch of documents.",
    )
    assert "financial_inducement" in _tactics(record)


def test_things_the_model_tags_person_are_no_subjects(real_nlp: Language) -> None:
    record = _one(
        real_nlp,
        "A Hong Kong-born engineer, Kelvin Tam, was sentenced to nine years in prison for spying for "
        "China, the court said. Tam, a Hong Kong-born naturalised citizen, had worked for the navy.",
    )
    subjects = {s.casefold() for s in record["subjects"]}
    assert "kelvin tam" in subjects
    assert not any("born" in s for s in subjects)
    assert all("born" not in (p.get("person") or "").casefold() for p in record["penalties"])
