//! The digital-activity icon after a citizen's name in the EPJ (R-ICON-1..7).

use serde::{Deserialize, Serialize};

use super::consent::{AktivFacts, CitizenRecord};

/// The seven icons (R-ICON-1..7), serialized in kebab-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusIcon {
    /// R-ICON-1: consented before, at least one message sent, consent since withdrawn.
    NotDigitallyActive,
    /// R-ICON-2: consented, no representations.
    DigitallyActive,
    /// R-ICON-3: consented, and another adult with power of attorney also follows the dialog.
    DigitallyActiveSelfAndViaOthers,
    /// R-ICON-4: not active themself, represented by another (typically a child under 12).
    DigitallyActiveViaOthers,
    /// R-ICON-5: lacks consent competence, represented, and active themself.
    LacksConsentCompetenceActiveSelf,
    /// R-ICON-6: lacks consent competence, represented, not active themself.
    LacksConsentCompetenceNotActiveSelf,
    /// R-ICON-7: no consent, or NHN could not be reached.
    NoIcon,
}

/// The tooltip of an icon in Norwegian and English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Tooltip {
    /// Norwegian (bokmål).
    pub nb: &'static str,
    /// English.
    pub en: &'static str,
}

impl StatusIcon {
    /// Every icon, in R-ICON order.
    pub const ALL: [StatusIcon; 7] = [
        Self::NotDigitallyActive,
        Self::DigitallyActive,
        Self::DigitallyActiveSelfAndViaOthers,
        Self::DigitallyActiveViaOthers,
        Self::LacksConsentCompetenceActiveSelf,
        Self::LacksConsentCompetenceNotActiveSelf,
        Self::NoIcon,
    ];

    /// The tooltip shown with the icon.
    pub fn tooltip(self) -> Tooltip {
        let (nb, en) = match self {
            Self::NotDigitallyActive => (
                "Ikke digitalt aktiv: samtykke til digital kommunikasjon er trukket tilbake.",
                "Not digitally active: consent to digital communication has been withdrawn.",
            ),
            Self::DigitallyActive => (
                "Digitalt aktiv: kan nås digitalt.",
                "Digitally active: can be reached digitally.",
            ),
            Self::DigitallyActiveSelfAndViaOthers => (
                "Digitalt aktiv selv og via andre: en fullmektig kan også følge dialogen.",
                "Digitally active, self and via others: a representative can also follow the dialog.",
            ),
            Self::DigitallyActiveViaOthers => (
                "Digitalt aktiv via andre: representert av en annen; journalfør på innbyggeren.",
                "Digitally active via others: represented by another; journal on the citizen.",
            ),
            Self::LacksConsentCompetenceActiveSelf => (
                "Mangler samtykkekompetanse, aktiv selv: representert av en fullmektig med tildelt fullmakt.",
                "Lacks consent competence, active self: represented by an assigned representative.",
            ),
            Self::LacksConsentCompetenceNotActiveSelf => (
                "Mangler samtykkekompetanse, ikke aktiv selv: representert av en fullmektig med tildelt fullmakt.",
                "Lacks consent competence, not active self: represented by an assigned representative.",
            ),
            Self::NoIcon => (
                "Ikke samtykket til digital kommunikasjon, eller status er ikke tilgjengelig.",
                "No consent to digital communication, or status unavailable.",
            ),
        };
        Tooltip { nb, en }
    }
}

/// What the municipality's own records add to HelsenorgeAktiv's facts (R-ICON-1). Whether the
/// consent is withdrawn *now* is not history: the facts being judged say it (see
/// [`status_icon`]), so a withdrawal shows at once, not only after the nightly sync has
/// recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LocalHistory {
    /// Consent for digital communication was given before (recorded by a sync).
    pub consent_given_before: bool,
    /// At least one message was sent.
    pub message_sent: bool,
}

impl LocalHistory {
    /// The history kept on a citizen's record.
    pub fn of(record: &CitizenRecord) -> Self {
        Self {
            consent_given_before: record.consent_first_given_at.is_some(),
            message_sent: record.last_message_at.is_some(),
        }
    }
}

/// R-ICON-1..7: the icon from HelsenorgeAktiv's answer (`None` when the lookup failed, timed out
/// or the circuit is open) and the local history. R-ICON-1: facts that show no consent for a
/// citizen whose consent was recorded earlier mean the consent has since been withdrawn, live
/// or synced alike.
pub fn status_icon(facts: Option<AktivFacts>, history: LocalHistory) -> StatusIcon {
    use StatusIcon::*;
    let Some(f) = facts else {
        return NoIcon; // R-ICON-7: NHN unreachable
    };
    match (f.tildelt_fullmakt, f.er_digitalt_aktiv_selv, f.er_digitalt_aktiv_via_andre) {
        (true, true, _) => LacksConsentCompetenceActiveSelf,      // R-ICON-5
        (true, false, _) => LacksConsentCompetenceNotActiveSelf,  // R-ICON-6
        (false, true, true) => DigitallyActiveSelfAndViaOthers,   // R-ICON-3
        (false, true, false) => DigitallyActive,                  // R-ICON-2
        (false, false, true) => DigitallyActiveViaOthers,         // R-ICON-4
        (false, false, false) if history.consent_given_before && history.message_sent => {
            NotDigitallyActive // R-ICON-1: consented before, wrote, no consent now
        }
        (false, false, false) => NoIcon, // R-ICON-7: no consent
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use StatusIcon::*;

    /// Every combination of the three NHN facts, with the icon expected when the local history
    /// does not say "withdrawn after use" (R-ICON-2..7).
    const TABLE: [((bool, bool, bool), StatusIcon); 8] = [
        // (tildeltFullmakt, erDigitaltAktivSelv, erDigitaltAktivViaAndre)
        ((false, false, false), NoIcon),
        ((false, false, true), DigitallyActiveViaOthers),
        ((false, true, false), DigitallyActive),
        ((false, true, true), DigitallyActiveSelfAndViaOthers),
        ((true, false, false), LacksConsentCompetenceNotActiveSelf),
        ((true, false, true), LacksConsentCompetenceNotActiveSelf),
        ((true, true, false), LacksConsentCompetenceActiveSelf),
        ((true, true, true), LacksConsentCompetenceActiveSelf),
    ];

    fn facts((t, s, v): (bool, bool, bool)) -> AktivFacts {
        AktivFacts { tildelt_fullmakt: t, er_digitalt_aktiv_selv: s, er_digitalt_aktiv_via_andre: v }
    }

    /// Every history with every row of the table whose icon is `icon`: the icon holds, except
    /// that no facts after a recorded consent and a message is "not digitally active"
    /// (R-ICON-1: the facts themselves say the consent is withdrawn).
    fn rows_give(icon: StatusIcon) {
        let rows: Vec<_> = TABLE.iter().filter(|(_, want)| *want == icon).collect();
        assert!(!rows.is_empty(), "{icon:?} has rows");
        for (f, expected) in rows {
            for h in 0..4u8 {
                let history = LocalHistory { consent_given_before: h & 1 != 0, message_sent: h & 2 != 0 };
                let got = status_icon(Some(facts(*f)), history);
                let want = if *f == (false, false, false) && h == 3 { NotDigitallyActive } else { *expected };
                assert_eq!(got, want, "facts {f:?} history {history:?}");
            }
        }
    }

    #[test]
    fn r_icon_2_consented_without_representation_is_digitally_active() {
        rows_give(DigitallyActive);
    }

    #[test]
    fn r_icon_3_consented_and_represented_is_active_self_and_via_others() {
        rows_give(DigitallyActiveSelfAndViaOthers);
    }

    #[test]
    fn r_icon_4_represented_and_not_active_self_is_active_via_others() {
        rows_give(DigitallyActiveViaOthers);
    }

    #[test]
    fn r_icon_5_assigned_power_of_attorney_and_active_self() {
        rows_give(LacksConsentCompetenceActiveSelf);
    }

    #[test]
    fn r_icon_6_assigned_power_of_attorney_and_not_active_self() {
        rows_give(LacksConsentCompetenceNotActiveSelf);
    }

    #[test]
    fn r_icon_7_no_consent_is_no_icon_unless_withdrawn_after_a_message() {
        rows_give(NoIcon);
    }

    #[test]
    fn r_icon_1_withdrawn_after_consent_and_a_message() {
        let h = LocalHistory { consent_given_before: true, message_sent: true };
        assert_eq!(status_icon(Some(AktivFacts::default()), h), NotDigitallyActive);
        let never_wrote = LocalHistory { message_sent: false, ..h };
        assert_eq!(status_icon(Some(AktivFacts::default()), never_wrote), NoIcon);
    }

    #[test]
    fn r_icon_7_lookup_failure_is_no_icon_whatever_the_history() {
        for h in 0..4u8 {
            let history = LocalHistory { consent_given_before: h & 1 != 0, message_sent: h & 2 != 0 };
            assert_eq!(status_icon(None, history), NoIcon);
        }
    }

    #[test]
    fn icons_serialize_in_kebab_case_with_tooltips() {
        let names: Vec<String> =
            StatusIcon::ALL.iter().map(|i| serde_json::to_value(i).unwrap().as_str().unwrap().to_string()).collect();
        assert_eq!(
            names,
            [
                "not-digitally-active",
                "digitally-active",
                "digitally-active-self-and-via-others",
                "digitally-active-via-others",
                "lacks-consent-competence-active-self",
                "lacks-consent-competence-not-active-self",
                "no-icon"
            ]
        );
        for icon in StatusIcon::ALL {
            let t = icon.tooltip();
            assert!(!t.nb.is_empty() && !t.en.is_empty());
        }
    }
}
