//! Removes personal data from a report's description before it can be published: e-mail
//! addresses, phone numbers (Danish 8-digit numbers, grouped or not, with or without +45/0045),
//! CPR numbers (DDMMYY-XXXX with a valid day and month, with or without the dash) and Danish
//! number plates (two letters and five digits, e.g. `AB 12 345`). Years, house numbers, times
//! and other short numbers stay. The original is kept for moderators only.

use std::sync::OnceLock;

use regex::Regex;

/// What a removed piece is replaced with.
pub const REMOVED: &str = "[fjernet]";

fn patterns() -> &'static [Regex; 4] {
    static P: OnceLock<[Regex; 4]> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("the patterns are valid");
        [
            r(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}"),
            // CPR before phone numbers: ten digits could read as a phone number and two more.
            r(r"\b(?:0[1-9]|[12][0-9]|3[01])(?:0[1-9]|1[0-2])[0-9]{2}[\-\s]?[0-9]{4}\b"),
            r(r"(?:(?:\+|\b00)45[\s\-]?|\b)(?:[0-9]{8}|[0-9]{2}(?:[\s\-][0-9]{2}){3}|[0-9]{4}[\s\-][0-9]{4})\b"),
            r(r"\b[A-Za-zÆØÅæøå]{2}[\s\-]?[0-9]{2}[\s\-]?[0-9]{3}\b"),
        ]
    })
}

/// The description with personal data replaced by [`REMOVED`], and whether anything was.
pub fn scrub(text: &str) -> (String, bool) {
    let mut out = text.to_owned();
    let mut changed = false;
    for p in patterns() {
        if p.is_match(&out) {
            out = p.replace_all(&out, REMOVED).into_owned();
            changed = true;
        }
    }
    (out, changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(t: &str) -> String {
        scrub(t).0
    }

    #[test]
    fn each_pattern_is_removed() {
        assert_eq!(
            s("skriv til jens.hansen@example.dk tak"),
            "skriv til [fjernet] tak"
        );
        assert_eq!(s("ring 22 33 44 55"), "ring [fjernet]");
        assert_eq!(s("ring 22334455."), "ring [fjernet].");
        assert_eq!(s("ring +45 22334455"), "ring [fjernet]");
        assert_eq!(s("ring +4522 33 44 55"), "ring [fjernet]");
        assert_eq!(s("ring 0045 2233 4455 i aften"), "ring [fjernet] i aften");
        assert_eq!(s("tlf. 22-33-44-55"), "tlf. [fjernet]");
        assert_eq!(s("mit cpr er 010190-1234"), "mit cpr er [fjernet]");
        assert_eq!(s("cpr 0101901234"), "cpr [fjernet]");
        assert_eq!(
            s("bilen AB 12 345 holder der"),
            "bilen [fjernet] holder der"
        );
        assert_eq!(s("bilen ab12345 igen"), "bilen [fjernet] igen");
        assert!(scrub("jens@example.dk").1);
    }

    #[test]
    fn ordinary_numbers_stay() {
        for t in [
            "siden 2014 har lyset været slukket",
            "Blågårdsgade 12, 2200 København N",
            "kl. 22.30 hver aften, 3-4 personer",
            "mellem nr. 12 og 14",
            "lygtepæl 4711 er i stykker",
            // 32 is no day of a month: not a CPR number.
            "320099-1234 er ikke en dato",
            "bus 5C og 350S",
            "Nørrebrogade 184",
        ] {
            assert_eq!(s(t), t, "{t}");
        }
    }
}
