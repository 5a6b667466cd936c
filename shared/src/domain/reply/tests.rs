//! Tests of `reply`.

use super::*;
use crate::domain::consent::AktivFacts;
use crate::domain::org::StaffFunction;

#[test]
fn r_out_2_refusals_serialize_for_the_epj() {
    for r in [
        ReplyRefusal::NotFromDialogWindow,
        ReplyRefusal::InvalidNationalId("control digits".into()),
        ReplyRefusal::AttachmentsTooLarge { total: 1 },
        ReplyRefusal::Text(TextError::BodyLength),
    ] {
        let v = serde_json::to_value(&r).unwrap();
        assert!(v["reason"].is_string(), "{v}");
        let back: ReplyRefusal = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        assert!(!r.text_nb().is_empty());
    }
}

/// An attachment whose content decodes to `size` bytes.
fn att(size: u64) -> Attachment {
    let (whole, rest) = (size / 3, size % 3);
    let mut text = "AAAA".repeat(whole as usize);
    text.push_str(match rest {
        1 => "AA==",
        2 => "AAA=",
        _ => "",
    });
    Attachment { name: "a.pdf".into(), media_type: "application/pdf".into(), content: Base64Content(text), stored: None }
}

#[test]
fn r_out_4_twelve_million_decoded_bytes_is_the_boundary() {
    assert_eq!(check_limits("s", "b", &[att(MAX_ATTACHMENTS_BYTES)]), Ok(()));
    assert_eq!(
        check_limits("s", "b", &[att(MAX_ATTACHMENTS_BYTES + 1)]),
        Err(ReplyRefusal::AttachmentsTooLarge { total: 12_000_001 })
    );
    assert_eq!(
        check_limits("s", "b", &[att(6_000_000), att(5_999_999), att(2)]),
        Err(ReplyRefusal::AttachmentsTooLarge { total: 12_000_001 }),
        "the total counts, not each one"
    );
    assert_eq!(check_limits("s", "b", &[att(6_000_000), att(6_000_000)]), Ok(()));
}

#[test]
fn r_out_4_size_is_measured_on_the_decoded_content() {
    for (text, len) in [("", 0), ("QQ==", 1), ("QUI=", 2), ("QUJD", 3), ("QUJD\nRA==", 4), ("QUJD\r\n RA==", 4)] {
        assert_eq!(Base64Content(text.into()).decoded_len(), Some(len), "{text:?}");
    }
    for bad in ["Q", "QQ=", "QQ=A", "Q===", "====", "QUJD!A==", "QUJDæ"] {
        assert_eq!(Base64Content(bad.into()).decoded_len(), None, "{bad:?}");
    }
    // 12,000,000 decoded bytes are 16,000,000 base64 characters: the text's length is not
    // the measure.
    assert_eq!(att(MAX_ATTACHMENTS_BYTES).content.0.len(), 16_000_000);
    let mut broken = att(10);
    broken.content.0.push('*');
    assert_eq!(check_limits("s", "b", &[att(1), broken]), Err(ReplyRefusal::AttachmentNotBase64(2)));
    let declared = serde_json::json!({"name": "a", "mediaType": "application/pdf", "content": "QQ==", "size": 1});
    assert!(serde_json::from_value::<Attachment>(declared).is_err(), "no declared size is read");
    assert_eq!(format!("{:?}", att(3).content), "Base64Content(4 chars)", "content never in Debug");
}

#[test]
fn r_out_4_text_bounds_and_media_types() {
    assert_eq!(check_limits(" ", "b", &[]), Err(TextError::SubjectLength.into()));
    assert_eq!(check_limits(&"s".repeat(201), "b", &[]), Err(TextError::SubjectLength.into()));
    assert_eq!(check_limits("s", "", &[]), Err(TextError::BodyLength.into()));
    assert_eq!(check_limits("s", &"b".repeat(20_001), &[]), Err(TextError::BodyLength.into()));
    let mut exe = att(1);
    exe.media_type = "application/x-msdownload".into();
    assert!(matches!(check_limits("s", "b", &[exe]), Err(ReplyRefusal::MediaTypeNotAllowed(_))));
}

fn staff() -> StaffProfile {
    StaffProfile {
        staff_id: "s1".into(),
        functions: [StaffFunction::DigihelseLes].into(),
        departments: ["115".parse().unwrap()].into(),
        aj_departments: Default::default(),
    }
}

fn key() -> ServiceKey {
    ServiceKey::parse("115", "HS").unwrap()
}

fn citizen(consent: bool) -> CitizenRecord {
    let mut c = CitizenRecord::new("30108299920".parse().unwrap());
    c.aktiv = AktivFacts { er_digitalt_aktiv_selv: consent, ..Default::default() };
    c
}

fn usable() -> Activation {
    Activation {
        key: key(),
        activated_at: "2026-01-01T00:00:00Z".parse().unwrap(),
        activated_by: "a".into(),
        synced_at: Some("2026-01-02T00:00:00Z".parse().unwrap()),
    }
}

#[test]
fn r_out_2_authorized_reply_passes() {
    assert_eq!(authorize_reply(&staff(), Origin::DialogWindow, &key(), Some(&citizen(true)), Some(&usable())), Ok(()));
}

fn refused(
    staff: &StaffProfile,
    origin: Origin,
    service: &ServiceKey,
    citizen: Option<&CitizenRecord>,
    activation: Option<&Activation>,
) -> ReplyRefusal {
    match authorize_reply(staff, origin, service, citizen, activation) {
        Err(r) => r,
        Ok(()) => panic!("expected a refusal"),
    }
}

#[test]
fn r_acc_1_a_reply_without_digihelse_les_is_refused() {
    let mut no_les = staff();
    no_les.functions.clear();
    let r = refused(&no_les, Origin::DialogWindow, &key(), Some(&citizen(true)), Some(&usable()));
    assert_eq!(r, ReplyRefusal::MissingDigihelseLes);
}

#[test]
fn r_acc_2_a_reply_for_a_department_outside_the_profile_is_refused() {
    let other = ServiceKey::parse("116", "HS").unwrap();
    assert_eq!(refused(&staff(), Origin::DialogWindow, &other, Some(&citizen(true)), Some(&usable())), ReplyRefusal::NoDepartmentAccess);
}

#[test]
fn r_out_1_a_reply_from_the_department_inbox_is_refused() {
    let r = refused(&staff(), Origin::DepartmentInbox, &key(), Some(&citizen(true)), Some(&usable()));
    assert_eq!(r, ReplyRefusal::NotFromDialogWindow);
}

#[test]
fn r_out_2_a_reply_to_a_citizen_without_consent_or_activation_is_refused() {
    let a = usable();
    assert_eq!(refused(&staff(), Origin::DialogWindow, &key(), Some(&citizen(false)), Some(&a)), ReplyRefusal::NoConsent);
    assert_eq!(refused(&staff(), Origin::DialogWindow, &key(), None, Some(&a)), ReplyRefusal::NoConsent);
    assert_eq!(refused(&staff(), Origin::DialogWindow, &key(), Some(&citizen(true)), None), ReplyRefusal::NotActivated);
}
