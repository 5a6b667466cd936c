//! The message function of a body that may be otherwise unreadable, for dead-letter records,
//! alerts and the summary: `MsgInfo/Type/@V` of a MsgHead, `APPREC` for a bare AppRec. Only a
//! code of list 8279 that we know is returned, so nothing of the input is ever quoted.

use super::codes::MsgFunction;

/// How far into a body the root element and `MsgInfo/Type` are looked for.
const LOOK: usize = 4096;

/// The function of a KITH body, when it can be picked out without parsing it.
pub fn function_of(body: &str) -> Option<MsgFunction> {
    let mut end = body.len().min(LOOK);
    while !body.is_char_boundary(end) {
        end -= 1;
    }
    let head = &body[..end];
    if root_name(head)? == "AppRec" {
        return Some(MsgFunction::AppRec);
    }
    let info = head.find("MsgInfo")?;
    let ty = info + head[info..].find("<Type")?;
    let rest = &head[ty..head[ty..].find('>').map_or(head.len(), |e| ty + e)];
    let v = rest.find("V=")? + 2;
    let quote = rest[v..].chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let value = &rest[v + 1..];
    let f = MsgFunction::from_code(&value[..value.find(quote)?]);
    (!matches!(f, MsgFunction::Other(_))).then_some(f)
}

/// The root element's local name: the first start tag that is not a declaration, comment or
/// processing instruction.
fn root_name(head: &str) -> Option<&str> {
    let mut at = 0;
    loop {
        let open = at + head[at..].find('<')?;
        let tag = &head[open + 1..];
        if tag.starts_with('?') || tag.starts_with('!') {
            at = open + 1;
            continue;
        }
        let end = tag.find(|c: char| c.is_whitespace() || c == '>' || c == '/')?;
        let name = &tag[..end];
        return Some(name.rsplit(':').next().unwrap_or(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_function_is_read_from_msg_info_and_only_known_codes_are_returned() {
        let m = |t: &str| format!("<?xml version=\"1.0\"?><!-- c --><MsgHead xmlns=\"x\"><MsgInfo><Type V=\"{t}\" DN=\"d\"/></MsgInfo></MsgHead>");
        assert_eq!(function_of(&m("DIALOG_INNBYGGER_EKONTAKT")), Some(MsgFunction::Ekontakt));
        assert_eq!(function_of(&m("30108299920")), None, "an unknown value is never quoted");
        assert_eq!(function_of("<a:AppRec xmlns:a=\"x\"><a:Status V=\"1\"/></a:AppRec>"), Some(MsgFunction::AppRec));
        assert_eq!(function_of("{\"messageId\": \"x\"}"), None);
        assert_eq!(function_of("<MsgHead><MsgInfo><Type V=\"DIALOG_INNBYGGER_TEST"), None, "truncated");
        assert_eq!(function_of(""), None);
    }
}
