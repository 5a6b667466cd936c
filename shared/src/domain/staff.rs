//! The staff member acting in the EPJ, as the EPJ asserts them on each API call, and the one
//! authorization function per EPJ action (R-ACC-1..3, R-ACT-3, R-OUT-1). The checks themselves
//! live on [`StaffProfile`] (org.rs); this file only names which checks an action needs, in
//! the order a staff member would want to hear them.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::message::GRADING_AJ;
use super::org::{DepartmentCode, StaffFunction, StaffProfile};

/// The longest staff id accepted.
pub const MAX_STAFF_ID_LEN: usize = 64;

/// A role on the staff member's profile: the gradings it carries and the departments it covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffRole {
    /// The EPJ's name of the role (e.g. `sykepleier`).
    pub role: String,
    /// Gradings (graderinger) the role gives, e.g. `AJ` (R-ACC-3).
    #[serde(default)]
    pub gradings: BTreeSet<String>,
    /// The departments the role covers. Exact codes: `115` does not cover `1151`.
    #[serde(default)]
    pub departments: BTreeSet<DepartmentCode>,
}

/// The acting staff member as the EPJ asserts them (the EPJ system is authenticated by IAM;
/// helsedialog trusts its assertion of who acts, as it trusts the EPJ's journal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Staff {
    /// The EPJ's id of the staff member (never a national id).
    pub staff_id: String,
    /// Staff functions: `digihelse_les`, `digihelse_adm`, `0`.
    #[serde(default)]
    pub functions: BTreeSet<StaffFunction>,
    /// Departments the profile gives access to (R-ACC-2).
    #[serde(default)]
    pub departments: BTreeSet<DepartmentCode>,
    /// Roles with their gradings and the departments they cover (R-ACC-3).
    #[serde(default)]
    pub roles: Vec<StaffRole>,
}

/// Why an asserted staff member is not usable at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    /// Empty, too long, or with characters outside `A-Z a-z 0-9 - _ . @`.
    #[error("the staff id has 1 to 64 characters: letters, digits, '-', '_', '.', '@'")]
    InvalidId,
    /// Eleven digits: it could be a national id, which is never a staff id here.
    #[error("the staff id must not be a national id")]
    LooksLikeNationalId,
}

impl Staff {
    /// Checks the staff id (it is logged and stored as the author of replies and take-overs).
    pub fn validate(&self) -> Result<(), StaffError> {
        let id = &self.staff_id;
        let allowed = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'@');
        if id.is_empty() || id.len() > MAX_STAFF_ID_LEN || !id.bytes().all(allowed) {
            return Err(StaffError::InvalidId);
        }
        if id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StaffError::LooksLikeNationalId);
        }
        Ok(())
    }

    /// The profile the rules read: the departments covered by a role graded `AJ` become the
    /// profile's AJ departments (R-ACC-3).
    pub fn profile(&self) -> StaffProfile {
        let aj_departments = self
            .roles
            .iter()
            .filter(|r| r.gradings.contains(GRADING_AJ))
            .flat_map(|r| r.departments.iter().cloned())
            .collect();
        StaffProfile {
            staff_id: self.staff_id.clone(),
            functions: self.functions.clone(),
            departments: self.departments.clone(),
            aj_departments,
        }
    }
}

/// A take-over of one inbox item (R-ACC-3): who took it and when. The first one stands; taking
/// it over again is answered with the one stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TakeOver {
    /// The department whose inbox holds the item.
    pub department: DepartmentCode,
    /// The inbox item's message id.
    pub message_id: String,
    /// The EPJ staff id that took it over.
    pub staff_id: String,
    /// When.
    pub at: jiff::Timestamp,
}

/// Why a staff member may not do what they asked. Each names the rule it enforces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AccessRefusal {
    /// R-ACC-1: reading and sending DigiHelse messages needs `digihelse_les`.
    #[error("reading and sending DigiHelse messages needs the staff function digihelse_les")]
    MissingDigihelseLes,
    /// R-ACC-2: the profile gives no access to the department.
    #[error("the staff profile gives no access to this department")]
    NoDepartmentAccess,
    /// R-ACC-3: taking over needs the `AJ` grading on a role covering the department.
    #[error("taking over inbox messages needs the AJ grading on a role that covers this department")]
    NoAjGrading,
    /// R-ACT-3: activations need `digihelse_adm` or system administrator (function 0).
    #[error("activations need the staff function digihelse_adm or system administrator")]
    NotActivationAdministrator,
    /// Support views of dead letters and parked messages (R-DLQ-2..5) need system administrator.
    #[error("dead letters and parked messages are for system administrators (function 0)")]
    NotSystemAdministrator,
}

impl AccessRefusal {
    /// The rule id (or kind) a refusal names in its coded answer.
    pub fn code(&self) -> &'static str {
        match self {
            Self::MissingDigihelseLes => "R-ACC-1",
            Self::NoDepartmentAccess => "R-ACC-2",
            Self::NoAjGrading => "R-ACC-3",
            Self::NotActivationAdministrator => "R-ACT-3",
            Self::NotSystemAdministrator => "R-DLQ-4",
        }
    }
}

/// R-ACC-1, R-ACC-2: may read a department's inbox, its re-dating flags, and the journal and
/// dialog of a citizen for the services on that department (R-IN-1 puts them there).
pub fn authorize_read(staff: &StaffProfile, department: &DepartmentCode) -> Result<(), AccessRefusal> {
    if !staff.may_read_and_send() {
        return Err(AccessRefusal::MissingDigihelseLes);
    }
    if !staff.has_department(department) {
        return Err(AccessRefusal::NoDepartmentAccess);
    }
    Ok(())
}

/// R-ACC-3 (after R-ACC-1/2): may take over a message in the department's inbox.
pub fn authorize_take_over(staff: &StaffProfile, department: &DepartmentCode) -> Result<(), AccessRefusal> {
    authorize_read(staff, department)?;
    if !staff.may_take_over_inbox(department) {
        return Err(AccessRefusal::NoAjGrading);
    }
    Ok(())
}

/// R-ACT-3: may list and change activations. Activating itself goes through
/// [`super::Activation::activate`], which asks the same question of the profile.
pub fn authorize_activations(staff: &StaffProfile) -> Result<(), AccessRefusal> {
    if !staff.may_administer_activations() {
        return Err(AccessRefusal::NotActivationAdministrator);
    }
    Ok(())
}

/// R-ACC-2: what the EPJ pushes for a staff member (record cards, work plans) touches only
/// departments their profile gives access to.
pub fn authorize_push<'a>(
    staff: &StaffProfile,
    departments: impl IntoIterator<Item = &'a DepartmentCode>,
) -> Result<(), AccessRefusal> {
    for d in departments {
        if !staff.has_department(d) {
            return Err(AccessRefusal::NoDepartmentAccess);
        }
    }
    Ok(())
}

/// Support's read-only view of dead letters and parked messages (R-DLQ-2..5): system
/// administrators (function 0) only.
pub fn authorize_support(staff: &StaffProfile) -> Result<(), AccessRefusal> {
    if !staff.functions.contains(&StaffFunction::SystemAdministrator) {
        return Err(AccessRefusal::NotSystemAdministrator);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff(functions: &[StaffFunction], roles: Vec<StaffRole>) -> Staff {
        Staff {
            staff_id: "s1".into(),
            functions: functions.iter().cloned().collect(),
            departments: ["115".parse().unwrap()].into(),
            roles,
        }
    }

    fn role(grading: &str, department: &str) -> StaffRole {
        StaffRole { role: "sykepleier".into(), gradings: [grading.to_string()].into(), departments: [department.parse().unwrap()].into() }
    }

    fn dept(code: &str) -> DepartmentCode {
        code.parse().unwrap()
    }

    #[test]
    fn r_acc_1_reading_without_digihelse_les_is_refused() {
        let s = staff(&[StaffFunction::DigihelseAdm], vec![]).profile();
        assert_eq!(authorize_read(&s, &dept("115")), Err(AccessRefusal::MissingDigihelseLes));
        assert_eq!(AccessRefusal::MissingDigihelseLes.code(), "R-ACC-1");
    }

    #[test]
    fn r_acc_2_reading_another_department_is_refused() {
        let s = staff(&[StaffFunction::DigihelseLes], vec![]).profile();
        assert_eq!(authorize_read(&s, &dept("115")), Ok(()));
        assert_eq!(authorize_read(&s, &dept("1151")), Err(AccessRefusal::NoDepartmentAccess));
    }

    #[test]
    fn r_acc_3_take_over_needs_aj_on_a_role_covering_the_department() {
        let les = [StaffFunction::DigihelseLes];
        assert_eq!(authorize_take_over(&staff(&les, vec![role("AJ", "115")]).profile(), &dept("115")), Ok(()));
        assert_eq!(authorize_take_over(&staff(&les, vec![]).profile(), &dept("115")), Err(AccessRefusal::NoAjGrading));
        let other_grading = staff(&les, vec![role("SP", "115")]).profile();
        assert_eq!(authorize_take_over(&other_grading, &dept("115")), Err(AccessRefusal::NoAjGrading));
        let other_department = staff(&les, vec![role("AJ", "116")]).profile();
        assert_eq!(authorize_take_over(&other_department, &dept("115")), Err(AccessRefusal::NoAjGrading));
    }

    #[test]
    fn r_acc_2_a_push_for_a_department_outside_the_profile_is_refused() {
        let s = staff(&[], vec![]).profile();
        assert_eq!(authorize_push(&s, [&dept("115")]), Ok(()));
        assert_eq!(authorize_push(&s, [&dept("115"), &dept("116")]), Err(AccessRefusal::NoDepartmentAccess));
    }

    #[test]
    fn r_act_3_activations_need_digihelse_adm_or_function_0() {
        assert_eq!(authorize_activations(&staff(&[StaffFunction::DigihelseAdm], vec![]).profile()), Ok(()));
        assert_eq!(authorize_activations(&staff(&[StaffFunction::SystemAdministrator], vec![]).profile()), Ok(()));
        assert_eq!(
            authorize_activations(&staff(&[StaffFunction::DigihelseLes], vec![]).profile()),
            Err(AccessRefusal::NotActivationAdministrator)
        );
    }

    #[test]
    fn r_dlq_4_support_views_need_function_0() {
        assert_eq!(authorize_support(&staff(&[StaffFunction::SystemAdministrator], vec![]).profile()), Ok(()));
        assert_eq!(authorize_support(&staff(&[StaffFunction::DigihelseAdm], vec![]).profile()), Err(AccessRefusal::NotSystemAdministrator));
    }

    #[test]
    fn a_staff_id_is_never_a_national_id() {
        let mut s = staff(&[], vec![]);
        assert_eq!(s.validate(), Ok(()));
        s.staff_id = "30108299920".into();
        assert_eq!(s.validate(), Err(StaffError::LooksLikeNationalId));
        s.staff_id = "a b".into();
        assert_eq!(s.validate(), Err(StaffError::InvalidId));
        s.staff_id = String::new();
        assert_eq!(s.validate(), Err(StaffError::InvalidId));
    }

    #[test]
    fn the_asserted_staff_reads_as_json_and_refuses_unknown_fields() {
        let json = r#"{"staffId":"s1","functions":["digihelse_les","0"],"departments":["115"],
            "roles":[{"role":"sykepleier","gradings":["AJ"],"departments":["115"]}]}"#;
        let s: Staff = serde_json::from_str(json).unwrap();
        assert!(s.profile().may_take_over_inbox(&dept("115")));
        assert!(serde_json::from_str::<Staff>(r#"{"staffId":"s1","admin":true}"#).is_err());
    }
}
