//! Typed values of the KITH code lists helsedialog reads and writes.

/// Code list 8279, "Meldingens funksjon": the message functions DigiHelse uses. Anything else
/// is kept as [`MsgFunction::Other`] so it can be answered with a coded rejection, not dropped.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum MsgFunction {
    /// `DIALOG_INNBYGGER_EKONTAKT`: the citizen's dialog message (R-IN-1/2).
    Ekontakt,
    /// `DIALOG_INNBYGGER_TEST`: the communication test; answered with an AppRec OK.
    Test,
    /// `DIALOG_INNBYGGER_TIMERESERVASJON`: appointment process 1.2 (cancellations here).
    Timereservasjon,
    /// `DIALOG_INNBYGGER_AVTALEAVBESTILLING`: the citizen cancels an appointment.
    Avtaleavbestilling,
    /// `DIALOG_INNBYGGER_AVTALEUTSENDING`: appointments sent to Helsenorge (we send, never receive).
    Avtaleutsending,
    /// `APPREC`: an application receipt.
    AppRec,
    /// Any other function, as it stood (at most 64 characters of `A-Z 0-9 _`).
    Other(String),
}

impl MsgFunction {
    /// Reads the `V` of `MsgInfo/Type` (or an AMQP label).
    pub fn from_code(v: &str) -> Self {
        match v {
            "DIALOG_INNBYGGER_EKONTAKT" => Self::Ekontakt,
            "DIALOG_INNBYGGER_TEST" => Self::Test,
            "DIALOG_INNBYGGER_TIMERESERVASJON" => Self::Timereservasjon,
            "DIALOG_INNBYGGER_AVTALEAVBESTILLING" => Self::Avtaleavbestilling,
            "DIALOG_INNBYGGER_AVTALEUTSENDING" => Self::Avtaleutsending,
            "APPREC" => Self::AppRec,
            other => Self::Other(
                other.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '_').take(64).collect(),
            ),
        }
    }

    /// The code value.
    pub fn code(&self) -> &str {
        match self {
            Self::Ekontakt => "DIALOG_INNBYGGER_EKONTAKT",
            Self::Test => "DIALOG_INNBYGGER_TEST",
            Self::Timereservasjon => "DIALOG_INNBYGGER_TIMERESERVASJON",
            Self::Avtaleavbestilling => "DIALOG_INNBYGGER_AVTALEAVBESTILLING",
            Self::Avtaleutsending => "DIALOG_INNBYGGER_AVTALEUTSENDING",
            Self::AppRec => "APPREC",
            Self::Other(s) => s,
        }
    }

    /// The display name (`DN`).
    pub fn display_name(&self) -> &str {
        match self {
            Self::Ekontakt => "Dialog med innbygger - eKontakt",
            Self::Test => "Dialog med innbygger - test",
            Self::Timereservasjon => "Dialog med innbygger - timereservasjon",
            Self::Avtaleavbestilling => "Dialog med innbygger - avtaleavbestilling",
            Self::Avtaleutsending => "Dialog med innbygger - avtaleutsending",
            Self::AppRec => "Applikasjonskvittering",
            Self::Other(_) => "",
        }
    }
}

/// Code list 8258, "Status for mottak av melding".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppRecStatusCode {
    /// 1: OK.
    Ok,
    /// 2: rejected (avvist).
    Rejected,
    /// 3: OK, error in a part message.
    OkErrorInPart,
}

impl AppRecStatusCode {
    /// The code value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ok => "1",
            Self::Rejected => "2",
            Self::OkErrorInPart => "3",
        }
    }

    /// The display name.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Ok => "OK",
            Self::Rejected => "Avvist",
            Self::OkErrorInPart => "OK, feil i delmelding",
        }
    }

    /// Reads a code value.
    pub fn from_code(v: &str) -> Option<Self> {
        match v {
            "1" => Some(Self::Ok),
            "2" => Some(Self::Rejected),
            "3" => Some(Self::OkErrorInPart),
            _ => None,
        }
    }
}

/// Code list 8221, "Feilmeldinger for applikasjonskvittering": the codes helsedialog sends or
/// may receive. An unknown code received is kept as [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// E10: invalid message identifier.
    E10,
    /// E21: receiver does not exist (HER-id not ours, service not open for DigiHelse).
    E21,
    /// E30: the patient's national id is missing.
    E30,
    /// E31: the patient's national id is wrong.
    E31,
    /// E35: the patient does not exist in the receiving system (unknown, no consent, not
    /// receiving the service).
    E35,
    /// E36: patient information is insufficient.
    E36,
    /// T01: not XML, not well-formed, unreadable.
    T01,
    /// T02: the XML does not validate.
    T02,
    /// T10: the message format (namespace, function, DTD) is not supported.
    T10,
    /// T99: another format error.
    T99,
    /// X99: another error.
    X99,
    /// A code we do not send, as received.
    Other(String),
}

impl ErrorCode {
    /// The code value.
    pub fn code(&self) -> &str {
        match self {
            Self::E10 => "E10",
            Self::E21 => "E21",
            Self::E30 => "E30",
            Self::E31 => "E31",
            Self::E35 => "E35",
            Self::E36 => "E36",
            Self::T01 => "T01",
            Self::T02 => "T02",
            Self::T10 => "T10",
            Self::T99 => "T99",
            Self::X99 => "X99",
            Self::Other(s) => s,
        }
    }

    /// The code list's display name (Norwegian).
    pub fn display_name(&self) -> &str {
        match self {
            Self::E10 => "Ugyldig meldingsidentifikator",
            Self::E21 => "Mottaker finnes ikke",
            Self::E30 => "Pasientens fødselsnummer mangler",
            Self::E31 => "Pasientens fødselsnummer er feil",
            Self::E35 => "Pasienten finnes ikke i mottakersystemet",
            Self::E36 => "Pasientopplysninger er utilstrekkelige",
            Self::T01 => "Ikke XML / ikke 'well formed' / uleselig",
            Self::T02 => "XML validerer ikke",
            Self::T10 => "Støtter ikke meldingsformatet",
            Self::T99 => "Annen feil på format",
            Self::X99 => "Annen feil",
            Self::Other(_) => "",
        }
    }

    /// Reads a code value (bounded, so a hostile value stays short).
    pub fn from_code(v: &str) -> Self {
        match v {
            "E10" => Self::E10,
            "E21" => Self::E21,
            "E30" => Self::E30,
            "E31" => Self::E31,
            "E35" => Self::E35,
            "E36" => Self::E36,
            "T01" => Self::T01,
            "T02" => Self::T02,
            "T10" => Self::T10,
            "T99" => Self::T99,
            "X99" => Self::X99,
            other => Self::Other(other.chars().filter(char::is_ascii_alphanumeric).take(8).collect()),
        }
    }
}

/// Code list 8116, person id types: the two that identify a citizen (R-CIT-6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PersonIdType {
    /// FNR: fødselsnummer.
    Fnr,
    /// DNR: D-number.
    Dnr,
}

impl PersonIdType {
    /// Reads a `TypeId/@V`; other types (HPR, HER, H-numbers, …) are not a citizen's id.
    pub fn from_code(v: &str) -> Option<Self> {
        match v {
            "FNR" => Some(Self::Fnr),
            "DNR" => Some(Self::Dnr),
            _ => None,
        }
    }

    /// The code value.
    pub fn code(self) -> &'static str {
        match self {
            Self::Fnr => "FNR",
            Self::Dnr => "DNR",
        }
    }

    /// The display name.
    pub fn display_name(self) -> &'static str {
        match self {
            Self::Fnr => "Fødselsnummer",
            Self::Dnr => "D-nummer",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_in_2_code_lists_round_trip() {
        for f in ["DIALOG_INNBYGGER_EKONTAKT", "DIALOG_INNBYGGER_TEST", "APPREC", "DIALOG_INNBYGGER_AVTALEAVBESTILLING"] {
            assert_eq!(MsgFunction::from_code(f).code(), f);
        }
        assert_eq!(MsgFunction::from_code("DIALOG_<x>").code(), "DIALOG_x");
        for s in [AppRecStatusCode::Ok, AppRecStatusCode::Rejected, AppRecStatusCode::OkErrorInPart] {
            assert_eq!(AppRecStatusCode::from_code(s.code()), Some(s));
        }
        for c in ["E10", "E21", "E30", "E31", "E35", "E36", "T01", "T02", "T10", "T99", "X99"] {
            let e = ErrorCode::from_code(c);
            assert_eq!(e.code(), c);
            assert!(!e.display_name().is_empty());
        }
        assert_eq!(ErrorCode::from_code("S01<script>"), ErrorCode::Other("S01scrip".into()));
        assert_eq!(PersonIdType::from_code("DNR"), Some(PersonIdType::Dnr));
        assert_eq!(PersonIdType::from_code("HPR"), None);
    }
}
