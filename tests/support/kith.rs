//! Schema validation of KITH documents with `xmllint --schema` against the XSDs in a folder
//! outside the repository (`KITH_XSD_DIR`, default `../shared/kith/xsd` beside it): the XSDs
//! are not ours to commit. Without the folder (or without xmllint), a clear notice and `None`;
//! a `KITH_XSD_DIR` that is set but holds no `MsgHead-v1_2.xsd` is a mistake and fails.

use std::io::Write;
use std::path::{Path, PathBuf};

/// The XSD folder, when there is one with MsgHead's schema in it.
pub fn xsd_dir() -> Option<PathBuf> {
    let set = std::env::var_os("KITH_XSD_DIR").map(PathBuf::from);
    let dir = set.clone().unwrap_or_else(|| crate::stack::root().join("../shared/kith/xsd"));
    let found = dir.join("MsgHead-v1_2.xsd").is_file().then(|| dir.canonicalize().ok()).flatten();
    assert!(found.is_some() || set.is_none(), "KITH_XSD_DIR={} holds no MsgHead-v1_2.xsd", dir.display());
    found
}

/// A notice that shows in `cargo test`'s output even when the test passes: libtest captures
/// `print!`/`eprint!`, not a direct write to stderr.
fn notice(text: &str) {
    let _ = writeln!(std::io::stderr(), "NOTICE: {text}");
}

/// Validates `doc`: `None` when no XSD folder or no xmllint is at hand (a notice is printed),
/// else the result. A wrapper schema imports MsgHead, Dialogmelding 1.1, Base64Container and
/// AppRec 1.1, since MsgHead's `Content` is `processContents="strict"`.
pub fn validate(name: &str, doc: &str) -> Option<Result<(), String>> {
    let Some(dir) = xsd_dir() else {
        notice(&format!("no KITH XSD folder (KITH_XSD_DIR or ../shared/kith/xsd): {name} NOT schema-validated, checked by round trip only"));
        return None;
    };
    let tmp = std::env::temp_dir().join(format!("helsedialog-kith-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).ok()?;
    let imports: String = [
        ("http://www.kith.no/xmlstds/msghead/2006-05-24", "MsgHead-v1_2.xsd"),
        ("http://www.kith.no/xmlstds/dialog/2013-01-23", "dialogmelding-v1.1.xsd"),
        ("http://www.kith.no/xmlstds/base64container", "kith-base64.xsd"),
        ("http://www.kith.no/xmlstds/apprec/2012-02-15", "apprec-v1.1.xsd"),
    ]
    .iter()
    .map(|(ns, f)| format!("<xs:import namespace=\"{ns}\" schemaLocation=\"file://{}\"/>", Path::new(&dir).join(f).display()))
    .collect();
    let wrapper = format!("<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" targetNamespace=\"urn:helsedialog:kith-all\">{imports}</xs:schema>");
    std::fs::write(tmp.join("all.xsd"), wrapper).ok()?;
    let file = tmp.join(name);
    std::fs::write(&file, doc).ok()?;
    let out = match std::process::Command::new("xmllint").args(["--noout", "--nonet", "--schema"]).arg(tmp.join("all.xsd")).arg(&file).output() {
        Ok(o) => o,
        Err(_) => {
            notice(&format!("xmllint not found (Debian package libxml2-utils): {name} NOT schema-validated, checked by round trip only"));
            return None;
        }
    };
    Some(if out.status.success() { Ok(()) } else { Err(String::from_utf8_lossy(&out.stderr).into_owned()) })
}
