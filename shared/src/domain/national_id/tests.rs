//! Tests of `national_id`.

use super::*;
use proptest::prelude::*;

fn ok(s: &str) -> NationalId {
    s.parse().unwrap_or_else(|e| panic!("valid id rejected: {e}"))
}

#[test]
fn r_cit_6_known_valid_fodselsnummer() {
    let id = ok("02013299997");
    assert_eq!(id.kind(), IdKind::Fodselsnummer);
    assert!(id.has_classic_control_digits());
    let id = ok("30108299920");
    assert_eq!(id.kind(), IdKind::Fodselsnummer);
    assert!(id.has_classic_control_digits());
}

#[test]
fn r_cit_6_id_valid_only_under_the_2032_rule() {
    let d: Vec<u8> = "30108299939".bytes().map(|b| b - b'0').collect();
    let d: [u8; 11] = d.try_into().unwrap();
    assert!(!classic_control_digits_hold(&d), "classic digits must fail");
    assert!(scheme_2032_holds(&d));
    let id = ok("30108299939");
    assert!(!id.has_classic_control_digits());
}

#[test]
fn r_cit_6_invalid_ids_name_the_broken_rule() {
    // month 34 does not exist
    assert_eq!("12345678901".parse::<NationalId>(), Err(NationalIdError::Date));
    assert_eq!("02013299998".parse::<NationalId>(), Err(NationalIdError::ControlDigit));
    assert_eq!("0201329999".parse::<NationalId>(), Err(NationalIdError::Length));
    assert_eq!("020132999977".parse::<NationalId>(), Err(NationalIdError::Length));
    assert_eq!("0201329999a".parse::<NationalId>(), Err(NationalIdError::NonDigit));
    assert_eq!("0201329999 ".parse::<NationalId>(), Err(NationalIdError::NonDigit));
    // Arabic-Indic digits are digits to Unicode, not to us.
    assert_eq!("٠٢٠١٣٢٩٩٩٩٧".parse::<NationalId>(), Err(NationalIdError::NonDigit));
    assert_eq!("32013299997".parse::<NationalId>(), Err(NationalIdError::Date));
    assert_eq!("".parse::<NationalId>(), Err(NationalIdError::Length));
}

#[test]
fn r_cit_6_error_text_never_echoes_the_number() {
    for bad in ["12345678901", "3201329999x", "02413299997", "99999999999"] {
        let e = bad.parse::<NationalId>().unwrap_err().to_string();
        assert!(!e.contains(bad) && !e.contains(&bad[..6]), "{e}");
    }
}

fn digits(head: &str) -> [u8; 11] {
    let mut d = [0u8; 11];
    for (slot, b) in d.iter_mut().zip(head.bytes()) {
        *slot = b - b'0';
    }
    d
}

/// Builds an id with classic control digits from its first nine digits, if they exist.
/// Written from the published algorithm, not from the parser.
fn make(day: u8, month: u8, yy: u8, individual: u16) -> Option<String> {
    let mut d = digits(&format!("{day:02}{month:02}{yy:02}{individual:03}"));
    let k1 = match 11 - weighted(&d[..9], &K1_WEIGHTS) % 11 {
        11 => 0,
        10 => return None,
        k => k as u8,
    };
    d[9] = k1;
    let k2 = match 11 - weighted(&d[..10], &K2_WEIGHTS) % 11 {
        11 => 0,
        10 => return None,
        k => k as u8,
    };
    d[10] = k2;
    Some(d.iter().map(|x| char::from(b'0' + x)).collect())
}

/// Builds an id under the 2032 scheme: the first control digit chosen (from `pick`) among
/// those that put the weighted sum's remainder in 0-3, the second making the full sum 0.
fn make_2032(day: u8, month: u8, yy: u8, individual: u16, pick: usize) -> Option<String> {
    let mut d = digits(&format!("{day:02}{month:02}{yy:02}{individual:03}"));
    let w1 = [3u32, 7, 6, 1, 8, 9, 4, 5, 2, 1];
    let w2 = [5u32, 4, 3, 2, 7, 6, 5, 4, 3, 2, 1];
    let k1s: Vec<u8> = (0..10u8)
        .filter(|k| (weighted(&d[..9], &w1[..9]) + u32::from(*k)) % 11 <= 3)
        .collect();
    d[9] = *k1s.get(pick % k1s.len().max(1))?;
    let rest = weighted(&d[..10], &w2[..10]) % 11;
    let k2 = (11 - rest) % 11;
    d[10] = u8::try_from(k2).ok().filter(|k| *k <= 9)?;
    Some(d.iter().map(|x| char::from(b'0' + x)).collect())
}

#[test]
fn r_cit_6_d_number_from_a_valid_date_is_valid() {
    let s = (0..500).find_map(|i| make(15 + 40, 3, 85, i)).unwrap();
    assert_eq!(ok(&s).kind(), IdKind::DNumber);
}

#[test]
fn r_cit_6_h_number_is_refused_for_messaging() {
    let s = (0..500).find_map(|i| make(15, 3 + 40, 85, i)).unwrap();
    assert_eq!(s.parse::<NationalId>(), Err(NationalIdError::HNumber));
}

#[test]
fn r_cit_6_synthetic_ids_only_in_test_mode() {
    let tenor = (0..500).find_map(|i| make(15, 3 + 80, 85, i)).unwrap();
    assert_eq!(tenor.parse::<NationalId>(), Err(NationalIdError::SyntheticInProduction));
    let id = NationalId::parse(&tenor, IdMode::Test).unwrap();
    assert_eq!(id.kind(), IdKind::Synthetic);
    let dolly = (0..500).find_map(|i| make(15 + 40, 3 + 40, 85, i)).unwrap();
    assert!(NationalId::parse(&dolly, IdMode::Production).is_err());
    assert_eq!(NationalId::parse(&dolly, IdMode::Test).unwrap().kind(), IdKind::Synthetic);
}

#[test]
fn r_cit_6_individual_number_outside_the_old_century_table_is_valid() {
    // Individual 750-899 with year 40-99 fit no century in the pre-2032 table; from 2032
    // the register, not the number, tells the century.
    let s = (750..900).find_map(|i| make(1, 1, 60, i)).unwrap();
    assert_eq!(ok(&s).kind(), IdKind::Fodselsnummer);
    let s = (800..1000).find_map(|i| make_2032(1, 1, 60, i, 3)).unwrap();
    ok(&s);
    // A D-number carrying a registration date in a year the old table had no room for.
    let d = (500..1000).find_map(|i| make(10 + 40, 6, 45, i)).unwrap();
    assert_eq!(ok(&d).kind(), IdKind::DNumber);
}

#[test]
fn r_cit_6_day_must_exist_in_its_month_in_some_year() {
    // 29 February exists (in leap years), whatever the individual number says of the century.
    let leap = (0..500).find_map(|i| make(29, 2, 0, i)).unwrap();
    ok(&leap);
    for (day, month) in [(30, 2), (31, 4), (31, 6), (0, 5), (32, 1), (1, 13), (1, 0)] {
        let s = (0..1000).find_map(|i| make(day, month, 90, i)).unwrap();
        assert_eq!(s.parse::<NationalId>(), Err(NationalIdError::Date), "{day:02}.{month:02}");
    }
    // First digit 8 or 9 is neither a fødselsnummer nor a D-number (day + 40).
    let s = (0..1000).find_map(|i| make(81, 1, 90, i)).unwrap();
    assert_eq!(s.parse::<NationalId>(), Err(NationalIdError::Date));
}

#[test]
fn r_cit_6_display_and_debug_mask_the_number() {
    let id = ok("02013299997");
    assert_eq!(id.to_string(), "0201******7");
    assert_eq!(format!("{id:?}"), "NationalId(0201******7)");
    assert_eq!(id.expose(), "02013299997");
    assert_eq!(serde_json::to_string(&id).unwrap(), "\"02013299997\"");
    let back: NationalId = serde_json::from_str("\"02013299997\"").unwrap();
    assert_eq!(back, id);
    let err = serde_json::from_str::<NationalId>("\"12345678901\"").unwrap_err().to_string();
    assert!(!err.contains("12345678901"));
}

fn days_in(month: u8) -> u8 {
    match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Every id of a valid form: any day that exists in its month, any year digits, any
/// individual number, fødselsnummer or D-number, either control-digit scheme. Nothing here
/// consults the parser's own rules.
fn valid_id() -> impl Strategy<Value = String> {
    (1u8..=12, 1u8..=31, 0u8..=99, 0u16..=999, any::<bool>(), any::<bool>(), 0usize..4).prop_filter_map(
        "no valid control digits",
        |(month, day, yy, ind, d_number, scheme_2032, pick)| {
            let day = 1 + (day - 1) % days_in(month);
            let day = if d_number { day + 40 } else { day };
            if scheme_2032 { make_2032(day, month, yy, ind, pick) } else { make(day, month, yy, ind) }
        },
    )
}

proptest! {
    #[test]
    fn r_cit_6_every_generated_valid_id_parses(s in valid_id()) {
        let id: NationalId = s.parse().map_err(|e| TestCaseError::fail(format!("{s}: {e}")))?;
        prop_assert_eq!(id.expose(), s);
    }

    #[test]
    fn r_cit_6_any_single_digit_change_is_rejected(s in valid_id(), pos in 0usize..11, delta in 1u8..10) {
        let mut b = s.into_bytes();
        b[pos] = b'0' + (b[pos] - b'0' + delta) % 10;
        let changed = String::from_utf8(b).unwrap();
        // Both schemes keep k2 as a full mod-11 check over all eleven digits (weights 1-7,
        // never a multiple of 11), so every single-digit change breaks it.
        prop_assert!(changed.parse::<NationalId>().is_err());
    }

    #[test]
    fn r_cit_6_parser_never_panics(s in "\\PC{0,20}") {
        let _ = NationalId::parse(&s, IdMode::Production);
        let _ = NationalId::parse(&s, IdMode::Test);
    }
}
