//! `Debug` of the MsgHead parts that carry personal data: a patient's names and ids, a
//! relation's person, an attachment's name, a payload's bytes show only their sizes.

use super::{Content, Document, Ident, Patient, Relation};
use crate::domain::masked::{Masked, Size, masked_debug};

impl Size for Ident {
    fn size(&self) -> Option<usize> {
        self.id.size()
    }
}

masked_debug!(Patient {} masking { family_name, given_name, idents });
masked_debug!(Relation { relation } masking { person });
masked_debug!(Document { content_description, msg_type, mime_type, content } masking { description });

impl std::fmt::Debug for Content {
    /// Payloads show only their sizes; a Dialogmelding masks its own text.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Dialog(d) => f.debug_tuple("Dialog").field(d).finish(),
            Self::Base64(bytes) => f.debug_tuple("Base64").field(&Masked(bytes)).finish(),
            Self::Relation(r) => f.debug_tuple("Relation").field(r).finish(),
            Self::AppRec(a) => f.debug_tuple("AppRec").field(a).finish(),
            Self::FileReference(name) => f.debug_tuple("FileReference").field(&Masked(name)).finish(),
            Self::Other(ns) => f.debug_tuple("Other").field(ns).finish(),
            Self::None => f.write_str("None"),
        }
    }
}
