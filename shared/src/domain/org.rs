//! Departments, service types and the (department, service type) pair that DigiHelse is
//! activated for (R-ACT-1), and the staff profile that gates access (R-ACC-1..3, R-ACT-3).

use std::collections::BTreeSet;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Why a code is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    /// Empty or longer than 20 characters.
    #[error("a code has 1 to 20 characters")]
    Length,
    /// A character outside A-Z, a-z, 0-9, '-' and '_'.
    #[error("a code has only letters A-Z, digits, '-' and '_'")]
    Character,
}

fn check_code(s: &str) -> Result<(), CodeError> {
    if s.is_empty() || s.len() > 20 {
        return Err(CodeError::Length);
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_') {
        return Err(CodeError::Character);
    }
    Ok(())
}

macro_rules! code_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The code as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                check_code(s)?;
                Ok(Self(s.to_string()))
            }
        }

        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> {
                check_code(&s)?;
                Ok(Self(s))
            }
        }

        impl From<$name> for String {
            fn from(c: $name) -> String {
                c.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

code_type!(
    /// A department (administrative unit) code such as `115`; units form a tree, but DigiHelse
    /// never inherits along it (R-ACT-1).
    DepartmentCode
);
code_type!(
    /// A service type code such as `HS` (health care at home).
    ServiceType
);

/// A (department, service type) pair: the unit DigiHelse is activated for (R-ACT-1) and that a
/// citizen's record card lists.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ServiceKey {
    /// The department where the service lies.
    pub department: DepartmentCode,
    /// The service type.
    pub service_type: ServiceType,
}

impl ServiceKey {
    /// Builds a key from its two codes.
    pub fn new(department: DepartmentCode, service_type: ServiceType) -> Self {
        Self { department, service_type }
    }

    /// Parses `"115"` and `"HS"`; for tests and fixtures.
    pub fn parse(department: &str, service_type: &str) -> Result<Self, CodeError> {
        Ok(Self::new(department.parse()?, service_type.parse()?))
    }
}

impl fmt::Display for ServiceKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.department, self.service_type)
    }
}

/// A staff function (funksjon) from the EPJ's staff profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffFunction {
    /// `digihelse_les`: read and send DigiHelse messages (R-ACC-1).
    DigihelseLes,
    /// `digihelse_adm`: activate and change DigiHelse activations (R-ACT-3).
    DigihelseAdm,
    /// Function 0: system administrator (R-ACT-3).
    #[serde(rename = "0")]
    SystemAdministrator,
}

/// What the EPJ says about the staff member acting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StaffProfile {
    /// The EPJ's id of the staff member (not a national id).
    pub staff_id: String,
    /// The staff functions on the profile.
    #[serde(default)]
    pub functions: BTreeSet<StaffFunction>,
    /// Departments the profile gives access to (R-ACC-2). Exact codes: access to `115` does
    /// not give `1151`.
    #[serde(default)]
    pub departments: BTreeSet<DepartmentCode>,
    /// Departments covered by a role with the `AJ` grading (R-ACC-3).
    #[serde(default)]
    pub aj_departments: BTreeSet<DepartmentCode>,
}

impl StaffProfile {
    /// R-ACT-3: may activate or change activations.
    pub fn may_administer_activations(&self) -> bool {
        self.functions.contains(&StaffFunction::DigihelseAdm)
            || self.functions.contains(&StaffFunction::SystemAdministrator)
    }

    /// R-ACC-1: may read and send DigiHelse messages.
    pub fn may_read_and_send(&self) -> bool {
        self.functions.contains(&StaffFunction::DigihelseLes)
    }

    /// R-ACC-2: the profile gives access to this department.
    pub fn has_department(&self, department: &DepartmentCode) -> bool {
        self.departments.contains(department)
    }

    /// R-ACC-3: may take over messages in this department's inbox (AJ grading on a covering role).
    pub fn may_take_over_inbox(&self, department: &DepartmentCode) -> bool {
        self.aj_departments.contains(department)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_validated() {
        assert!("115".parse::<DepartmentCode>().is_ok());
        assert_eq!("".parse::<DepartmentCode>(), Err(CodeError::Length));
        assert_eq!("1 15".parse::<DepartmentCode>(), Err(CodeError::Character));
        assert_eq!("<b>".parse::<ServiceType>(), Err(CodeError::Character));
        assert!(serde_json::from_str::<ServiceType>("\"HS\"").is_ok());
        assert!(serde_json::from_str::<ServiceType>("\"\"").is_err());
    }

    fn staff(functions: &[StaffFunction]) -> StaffProfile {
        StaffProfile {
            staff_id: "s1".into(),
            functions: functions.iter().cloned().collect(),
            departments: ["115".parse().unwrap()].into(),
            aj_departments: ["115".parse().unwrap()].into(),
        }
    }

    #[test]
    fn r_act_3_activation_needs_digihelse_adm_or_system_administrator() {
        assert!(staff(&[StaffFunction::DigihelseAdm]).may_administer_activations());
        assert!(staff(&[StaffFunction::SystemAdministrator]).may_administer_activations());
        assert!(!staff(&[StaffFunction::DigihelseLes]).may_administer_activations());
        assert!(!staff(&[]).may_administer_activations());
    }

    #[test]
    fn r_acc_1_reading_needs_digihelse_les() {
        assert!(staff(&[StaffFunction::DigihelseLes]).may_read_and_send());
        assert!(!staff(&[StaffFunction::DigihelseAdm]).may_read_and_send());
    }

    #[test]
    fn r_acc_2_department_access_is_exact() {
        let s = staff(&[StaffFunction::DigihelseLes]);
        assert!(s.has_department(&"115".parse().unwrap()));
        assert!(!s.has_department(&"1151".parse().unwrap()));
    }

    #[test]
    fn r_acc_3_inbox_take_over_needs_aj_on_the_department() {
        let s = staff(&[StaffFunction::DigihelseLes]);
        assert!(s.may_take_over_inbox(&"115".parse().unwrap()));
        assert!(!s.may_take_over_inbox(&"116".parse().unwrap()));
    }

    #[test]
    fn staff_function_zero_is_system_administrator() {
        let f: StaffFunction = serde_json::from_str("\"0\"").unwrap();
        assert_eq!(f, StaffFunction::SystemAdministrator);
        let f: StaffFunction = serde_json::from_str("\"digihelse_les\"").unwrap();
        assert_eq!(f, StaffFunction::DigihelseLes);
    }
}
