//! `Debug` output that cannot carry personal data (issue #16, item 5): a field holding a
//! national id as text, a name or a message text shows only its size, so a future `?value` in
//! a log line leaks nothing. [`Masked`] formats one such field; `masked_debug!` writes a
//! struct's whole `Debug` from the list of its plain and its masked fields (every field must be
//! named: a field added later fails to compile until it is sorted into one list).

use std::fmt;

/// What a masked field shows instead of its content: its size.
pub trait Size {
    /// Characters of a text, items of a list; `None` for an absent value.
    fn size(&self) -> Option<usize>;
}

impl Size for str {
    fn size(&self) -> Option<usize> {
        Some(self.chars().count())
    }
}

impl Size for String {
    fn size(&self) -> Option<usize> {
        self.as_str().size()
    }
}

impl<T: Size + ?Sized> Size for &T {
    fn size(&self) -> Option<usize> {
        (**self).size()
    }
}

impl<T: Size> Size for Option<T> {
    fn size(&self) -> Option<usize> {
        self.as_ref().and_then(Size::size)
    }
}

impl<T> Size for [T] {
    fn size(&self) -> Option<usize> {
        Some(self.len())
    }
}

impl<T> Size for Vec<T> {
    fn size(&self) -> Option<usize> {
        Some(self.len())
    }
}

/// A field shown by its size only: `<12 chars masked>`, `<absent>`.
pub struct Masked<'a, T: Size + ?Sized>(pub &'a T);

impl<T: Size + ?Sized> fmt::Debug for Masked<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.size() {
            Some(n) => write!(f, "<{n} masked>"),
            None => f.write_str("<absent>"),
        }
    }
}

/// `Debug` for a struct: `masked_debug!(Type { plain, fields } masking { secret, fields })`.
/// Every field of the struct is named once (the pattern is exhaustive).
macro_rules! masked_debug {
    ($ty:ident { $($plain:ident),* $(,)? } masking { $($secret:ident),* $(,)? }) => {
        impl ::std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                let Self { $($plain,)* $($secret,)* } = self;
                f.debug_struct(stringify!($ty))
                    $(.field(stringify!($plain), $plain))*
                    $(.field(stringify!($secret), &$crate::domain::masked::Masked($secret)))*
                    .finish()
            }
        }
    };
}
pub(crate) use masked_debug;
