//! Why a KITH document could not be read: each case has its 8221 code and a Norwegian text
//! for the AppRec. Neither the English `Display` (for logs) nor the Norwegian text quotes input.

use super::codes::ErrorCode;

/// A document that cannot be used, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KithError {
    /// Larger than the limit, checked before parsing.
    #[error("the document is larger than {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// An encoding other than UTF-8 and ISO-8859-1, or bytes invalid in the declared one.
    #[error("the document's encoding is not supported or its bytes are invalid")]
    Encoding,
    /// A document type declaration: refused (no DTD, no entities, no expansion).
    #[error("the document has a DTD, which is not accepted")]
    Dtd,
    /// Not well-formed XML (or an undeclared entity, or truncated).
    #[error("the document is not well-formed XML")]
    Malformed,
    /// Nested deeper, or more elements, than the limits allow.
    #[error("the document is nested too deep or has too many elements")]
    TooComplex,
    /// The root (or a payload) is not a document we read, or is in another namespace.
    #[error("the document is not a supported KITH document ({0})")]
    Unsupported(&'static str),
    /// A required element or attribute is missing or empty.
    #[error("the document lacks {0}")]
    Missing(&'static str),
    /// An element has a value outside its type (date, code, id).
    #[error("the document has an invalid {0}")]
    Invalid(&'static str),
}

impl KithError {
    /// The 8221 code the AppRec rejection carries.
    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Encoding | Self::Malformed => ErrorCode::T01,
            Self::Dtd | Self::Unsupported(_) => ErrorCode::T10,
            Self::Missing("MsgInfo/MsgId") | Self::Invalid("MsgInfo/MsgId") => ErrorCode::E10,
            Self::Missing(_) | Self::Invalid(_) => ErrorCode::T02,
            Self::TooLarge { .. } | Self::TooComplex => ErrorCode::T99,
        }
    }

    /// The reason in Norwegian, for the AppRec (one language, no parser internals).
    pub fn text_nb(&self) -> String {
        match self {
            Self::TooLarge { limit } => format!("Meldingen er større enn {limit} byte."),
            Self::Encoding => "Meldingen har et tegnsett som ikke støttes (bruk UTF-8 eller ISO-8859-1).".into(),
            Self::Dtd => "Meldingen har en dokumenttypedefinisjon (DTD), som ikke er tillatt.".into(),
            Self::Malformed => "Meldingen er ikke gyldig XML.".into(),
            Self::TooComplex => "Meldingen er for dypt nøstet eller har for mange elementer.".into(),
            Self::Unsupported(what) => format!("Meldingsformatet støttes ikke ({what})."),
            Self::Missing(what) => format!("Meldingen mangler {what}."),
            Self::Invalid(what) => format!("Meldingen har ugyldig verdi i {what}."),
        }
    }
}
