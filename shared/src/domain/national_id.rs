//! Norwegian national identity numbers (R-CIT-6): fødselsnummer and D-number, with both the
//! classic and the 2032 control-digit schemes. H-numbers are refused for messaging; synthetic
//! test ids are accepted only when the configuration says the environment is a test one.
//!
//! From 2032 the population register, not the number, tells the birth date and the century
//! (NHN, Skatteetaten: "kjønn og fødselsdato … skal ikke lengre tolkes direkte fra
//! fødselsnummeret"; D-numbers may already carry a registration date). So validity is the form
//! alone: 11 ASCII digits, control digits under either scheme, the first digit in the
//! fødselsnummer or D-number range, a month 01-12 and a day that exists in that month in some
//! year. The individual number is not read against a century table, and no birth date or age is
//! derived from the id: who may act for whom is Helsenorge's decision (R-CIT-4, R-CIT-5).
//!
//! `Debug` and `Display` mask the number so it cannot reach a log line by accident; the raw
//! digits are available only through [`NationalId::expose`], for adapters that must send it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Which id forms a parse accepts; taken from configuration (`NATIONAL_ID_MODE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdMode {
    /// Only real forms: fødselsnummer and D-number (R-CIT-6).
    #[default]
    Production,
    /// Also synthetic test ids (Tenor: month + 80; NAV Dolly: month + 40).
    Test,
}

impl FromStr for IdMode {
    type Err = &'static str;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "production" | "prod" => Ok(Self::Production),
            "test" => Ok(Self::Test),
            _ => Err("expected 'production' or 'test'"),
        }
    }
}

/// The form of a valid national id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdKind {
    /// Fødselsnummer: a birth number from the population register.
    Fodselsnummer,
    /// D-number (day + 40): for people temporarily in Norway.
    DNumber,
    /// Synthetic test id (Tenor or Dolly); only in [`IdMode::Test`].
    Synthetic,
}

/// Which rule a string broke. Never carries the number itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NationalIdError {
    /// Not exactly 11 characters.
    #[error("a national id has exactly 11 digits")]
    Length,
    /// A character other than the ASCII digits 0-9.
    #[error("a national id has only the digits 0-9")]
    NonDigit,
    /// The first four digits are not a day that exists in a month 01-12 in some year (the
    /// first digit out of the fødselsnummer and D-number ranges included).
    #[error("the date part of the national id is not a real day and month")]
    Date,
    /// Neither the classic nor the 2032 control-digit scheme holds.
    #[error("the control digits of the national id are wrong")]
    ControlDigit,
    /// An H-number (month + 40): a health-sector auxiliary number, not usable for messaging.
    #[error("an H-number cannot be used for messaging")]
    HNumber,
    /// A synthetic test id where production rules apply.
    #[error("a synthetic test id is not accepted in production")]
    SyntheticInProduction,
}

/// A valid national identity number (R-CIT-6).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NationalId {
    digits: [u8; 11],
    kind: IdKind,
}

const K1_WEIGHTS: [u32; 9] = [3, 7, 6, 1, 8, 9, 4, 5, 2];
const K2_WEIGHTS: [u32; 10] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2];

fn weighted(digits: &[u8], weights: &[u32]) -> u32 {
    digits.iter().zip(weights).map(|(d, w)| u32::from(*d) * w).sum()
}

/// Classic scheme: k1 = 11 - (sum mod 11), 11 -> 0, 10 -> invalid; same for k2.
fn classic_control_digits_hold(d: &[u8; 11]) -> bool {
    let control = |sum: u32| match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        k => Some(k as u8),
    };
    control(weighted(&d[..9], &K1_WEIGHTS)) == Some(d[9])
        && control(weighted(&d[..10], &K2_WEIGHTS)) == Some(d[10])
}

/// The 2032 scheme: sum(3,7,6,1,8,9,4,5,2,1 over ten digits) mod 11 in {0,1,2,3} and
/// sum(5,4,3,2,7,6,5,4,3,2,1 over eleven digits) mod 11 == 0.
fn scheme_2032_holds(d: &[u8; 11]) -> bool {
    const W1: [u32; 10] = [3, 7, 6, 1, 8, 9, 4, 5, 2, 1];
    const W2: [u32; 11] = [5, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    weighted(&d[..10], &W1) % 11 <= 3 && weighted(d, &W2) % 11 == 0
}

/// Whether `day` exists in `month` in some year (29 February does, in leap years).
fn day_exists_in_month(day: u8, month: u8) -> bool {
    let last = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 => 29,
        _ => return false,
    };
    (1..=last).contains(&day)
}

impl NationalId {
    /// Parses under the rules of `mode` (see [`IdMode`]).
    pub fn parse(s: &str, mode: IdMode) -> Result<Self, NationalIdError> {
        if s.chars().count() != 11 {
            return Err(NationalIdError::Length);
        }
        let mut d = [0u8; 11];
        for (slot, b) in d.iter_mut().zip(s.bytes()) {
            if !b.is_ascii_digit() {
                return Err(NationalIdError::NonDigit);
            }
            *slot = b - b'0';
        }
        let mut day = d[0] * 10 + d[1];
        let mut month = d[2] * 10 + d[3];
        let mut kind = IdKind::Fodselsnummer;
        if day > 40 {
            day -= 40;
            kind = IdKind::DNumber;
        }
        // month + 40: H-number in production, NAV Dolly synthetic in test;
        // month + 80: Tenor synthetic (test only).
        if month > 80 {
            if mode == IdMode::Production {
                return Err(NationalIdError::SyntheticInProduction);
            }
            month -= 80;
            kind = IdKind::Synthetic;
        } else if month > 40 {
            if mode == IdMode::Production {
                return Err(NationalIdError::HNumber);
            }
            month -= 40;
            kind = IdKind::Synthetic;
        }
        // No century and no birth date: the register knows them, the number no longer does.
        if !day_exists_in_month(day, month) {
            return Err(NationalIdError::Date);
        }
        if !(classic_control_digits_hold(&d) || scheme_2032_holds(&d)) {
            return Err(NationalIdError::ControlDigit);
        }
        Ok(Self { digits: d, kind })
    }

    /// The raw 11 digits, for the adapters that must send or store the number. Never log it.
    pub fn expose(&self) -> String {
        self.digits.iter().map(|d| char::from(b'0' + d)).collect()
    }

    /// The form of this id.
    pub fn kind(&self) -> IdKind {
        self.kind
    }

    /// True when the classic control digits hold (false for ids valid only under 2032 rules).
    pub fn has_classic_control_digits(&self) -> bool {
        classic_control_digits_hold(&self.digits)
    }
}

impl FromStr for NationalId {
    type Err = NationalIdError;
    /// Production rules (R-CIT-6); use [`NationalId::parse`] with [`IdMode::Test`] for test ids.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s, IdMode::Production)
    }
}

impl fmt::Display for NationalId {
    /// Masked: `0201******7`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let raw = self.expose();
        write!(f, "{}******{}", &raw[..4], &raw[10..])
    }
}

impl fmt::Debug for NationalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "NationalId({self})")
    }
}

impl Serialize for NationalId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expose())
    }
}

impl<'de> Deserialize<'de> for NationalId {
    /// Production rules; the error names the broken rule, never the number.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests;
