//! The iCalendar part of Helsenorge's appointment processes (Dialog_Innbygger_Avtaleavbestilling
//! and Timereservasjon carry Dialogmelding 1.1 + Pasientrelasjon + iCalendar 2.0). Their exact
//! payload is not in the public material we could read, so this reads only what a cancellation
//! needs, in RFC 5545 terms: the first `VEVENT`'s `UID` (the appointment id we published) or its
//! all-day `DTSTART`/`DTEND` (a period; `DTEND` exclusive). The mapping is isolated here.

use jiff::civil::Date;

/// What a cancellation's calendar says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CalendarCancel {
    /// One appointment, by the `UID` we published it with.
    One {
        /// The appointment id.
        uid: String,
    },
    /// Every appointment on the days from `from` to `to`, inclusive.
    Period {
        /// First day.
        from: Date,
        /// Last day (the day before `DTEND`).
        to: Date,
    },
}

/// Reads a cancellation from iCalendar text; `None` when it names neither.
pub fn read_cancel(text: &str) -> Option<CalendarCancel> {
    // Unfold (RFC 5545 3.1): a line starting with a space or tab continues the previous one.
    let mut lines: Vec<String> = vec![];
    for raw in text.split('\n').map(|l| l.trim_end_matches('\r')) {
        match raw.strip_prefix([' ', '\t']) {
            Some(cont) if !lines.is_empty() => lines.last_mut()?.push_str(cont),
            _ => lines.push(raw.to_string()),
        }
    }
    let start = lines.iter().position(|l| l.eq_ignore_ascii_case("BEGIN:VEVENT"))?;
    let end = lines[start..].iter().position(|l| l.eq_ignore_ascii_case("END:VEVENT"))? + start;
    let (mut uid, mut dtstart, mut dtend) = (None, None, None);
    for l in &lines[start + 1..end] {
        let (head, value) = l.split_once(':')?;
        let name = head.split(';').next().unwrap_or_default().to_ascii_uppercase();
        match name.as_str() {
            "UID" => uid = Some(value.trim().chars().take(128).collect::<String>()),
            "DTSTART" => dtstart = date_of(value),
            "DTEND" => dtend = date_of(value),
            _ => {}
        }
    }
    if let Some(uid) = uid.filter(|u| !u.is_empty()) {
        return Some(CalendarCancel::One { uid });
    }
    let from = dtstart?;
    let to = dtend.and_then(|d| d.yesterday().ok()).unwrap_or(from);
    Some(CalendarCancel::Period { from, to })
}

/// `YYYYMMDD` (all-day) or the date part of `YYYYMMDDTHHMMSS[Z]`.
fn date_of(v: &str) -> Option<Date> {
    let d = v.trim().get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |r: std::ops::Range<usize>| d[r].parse::<i16>().ok();
    Date::new(n(0..4)?, i8::try_from(n(4..6)?).ok()?, i8::try_from(n(6..8)?).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn r_apt_2_uid_names_one_appointment() {
        let t = "BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:A-\r\n 1001\r\nDTSTART:20261124T080000Z\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        assert_eq!(read_cancel(t), Some(CalendarCancel::One { uid: "A-1001".into() }));
    }

    #[test]
    fn r_apt_4_all_day_dates_name_a_period() {
        let t = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261201\nDTEND;VALUE=DATE:20261204\nEND:VEVENT\nEND:VCALENDAR";
        let want = CalendarCancel::Period { from: jiff::civil::date(2026, 12, 1), to: jiff::civil::date(2026, 12, 3) };
        assert_eq!(read_cancel(t), Some(want));
        assert_eq!(read_cancel("BEGIN:VEVENT\nDTSTART:2026x\nEND:VEVENT"), None);
        assert_eq!(read_cancel("no calendar"), None);
    }
}
