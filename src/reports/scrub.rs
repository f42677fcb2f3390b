//! Removes personal data from free text before it can be published: a resident's report
//! description, a moderator's public status note, a safety walk's observation note. The
//! original is kept for moderators only.
//!
//! The text is normalised first, and the normalised text is what is returned, with each removed
//! piece replaced by [`REMOVED`]:
//! - Unicode NFKC: full-width digits and letters become ASCII, `＠` becomes `@`, and so on (also
//!   `m²` becomes `m2`, `½` becomes `1⁄2`);
//! - every dash, hyphen and minus sign (U+2010–U+2015, U+2212, U+FE58, U+FE63, U+FF0D and the rest
//!   of Unicode's dash punctuation) becomes `-`;
//! - every run of spaces, tabs and other Unicode spaces (no-break, narrow no-break, thin, …)
//!   becomes one plain space; line breaks (CR LF, CR, U+2028, …) become `\n` and are kept, since
//!   the text is shown with its paragraphs;
//! - invisible characters that could split a number (soft hyphen, zero-width space, word joiner,
//!   BOM) are dropped.
//!
//! What is removed:
//! - **e-mail addresses**, with Unicode letters in the local part and the domain
//!   (`søren@københavn.dk`), quoted local parts (`"jens hansen"@example.dk`), IP-literal domains
//!   (`jens@[192.0.2.1]`, `jens@[IPv6:…]`), spaces around the `@`, and obfuscated:
//!   `jens (at) example (dot) dk`, `jens [at] example [dot] dk`, `jens(snabel-a)example.dk` (any
//!   of `()[]{}<>`; `at`, `snabel-a` or `@`; `dot`, `punktum`, `punkt` or `prik`); with bare words,
//!   `jens snabel-a example.dk` and `jens at example dot dk` when the domain ends in a common
//!   top-level domain (`dk`, `com`, `net`, `org`, `se`, `eu`, …). A bare `at` needs at least one
//!   obfuscated dot, so sentences such as "jeg synes at kk.dk …" or "read more at kk.dk" stay (and
//!   so would `jens at example.dk`);
//! - **phone numbers**: 8 digits starting with 2–9 (as Danish numbers do), not next to more
//!   digits, written together (`22334455`, also glued to a word: `tlf22334455`, `ring:22334455`)
//!   or grouped 2-2-2-2, 4-4, 3-2-3, 2-3-3 or 4-2-2 with one kind of separator (space, `.` or
//!   `-`), with or without `+45`, `+ 45`, `0045`, `(+45)`, `(0045)` or a bare `45` in front. Not
//!   removed, as they read as something else: a price (after `kr`, `kr.`, `kroner`, `DKK`, `EUR`,
//!   `€`, `$`; before `kr`, `DKK`, `,-` or a decimal comma: `12 500 000 kr`); a case or report
//!   number (after `sag`, `sagsnr.`, `j.nr.`, `rapport`, `melding`, `anmeldelse`, `ref.`, `CVR`,
//!   `#`: `sag 2024-1234`); a dotted 2-3-3 group, which is a number with thousands separators
//!   (`12.500.000`); a year span (`2010-2014`); an ISO date (`2024-03-12`, `2024.03.12`); part of
//!   a longer dotted, dashed or timed number (`55.68661234`, `2024-1234-5678`). After `+45`,
//!   `0045` or `(+45)` neither the first digit nor these exceptions matter;
//! - **CPR numbers**: DDMMYY and four digits with a valid day (01–31) and month (01–12), joined by
//!   nothing, a space, `-` (also with spaces around it), `.` or `/`, or `DD.MM.YY-XXXX`; not next
//!   to more digits;
//! - **number plates**: two letters A–Z and five digits, `AB 12 345`, `AB12345`, `AB.12.345`,
//!   `AB-12-345`, `AB 12345`; not when the letters are a common short word in lower or title case
//!   (`nr 12345`, `ca 12345`, `kr 12345`, `to 12345`).
//!
//! Dates (`12.03.2024`, `12/3-2024`, `1. maj 2024`), prices (`1.250 kr.`), house numbers and
//! postcodes, report numbers, years, times (`kl. 22.30`, `22.30-23.45`), counts (`3-4 personer`),
//! percentages and measurements stay. The patterns are compiled once; each is one pass of the
//! `regex` crate over the text (a rejected match is retried one character on, and matches are
//! short), so the time is linear in the text's length: well under a millisecond for the longest
//! description (2,000 characters).

use std::ops::Range;
use std::sync::OnceLock;

use regex::{Captures, Regex};
use unicode_normalization::UnicodeNormalization;

/// What a removed piece is replaced with.
pub const REMOVED: &str = "[fjernet]";

/// The patterns, compiled once.
struct Patterns {
    email: Regex,
    phone: Regex,
    cpr: Regex,
    plate: Regex,
    /// A price's currency before a number: `kr.`, `DKK`, `€`.
    price_before: Regex,
    /// A price's currency or `,-` after a number.
    price_after: Regex,
    /// A word that makes the following number a case or report number: `sag`, `j.nr.`, `#`.
    case_before: Regex,
}

/// The top-level domains an obfuscated address may end in (any may follow a real `@`).
const KNOWN_TLDS: &[&str] = &[
    "dk", "com", "net", "org", "info", "biz", "eu", "se", "no", "nu", "fi", "is", "fo", "gl", "de",
    "nl", "uk", "fr", "es", "it", "pl", "ch", "be", "at", "io", "me", "online", "email", "mail",
];

/// Currencies that make a number next to them a price.
const CURRENCIES: &[&str] = &["kr", "kroner", "dkk", "eur", "euro", "usd", "nok", "sek"];

/// Words (regex syntax, case-insensitive) that make the number after them a case, report or
/// register number, optionally followed by `nr.`/`nummer` and `:` (`sag nr.: 2024-1234`).
const CASE_WORDS: &[&str] = &[
    "sag",
    "sags",
    "sagsnr",
    "sagsnummer",
    "journal",
    "journalnr",
    "journalnummer",
    r"j\. ?nr",
    "jnr",
    "rapport",
    "rapportnr",
    "rapportnummer",
    "melding",
    "meldingsnr",
    "meldingsnummer",
    "anmeldelse",
    "anmeldelsesnr",
    "anmeldelsesnummer",
    "ref",
    "reference",
    "referencenr",
    "referencenummer",
    "cvr",
    "cvr-nr",
    "cvrnr",
    "case",
    "report",
    "ticket",
];

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("the patterns are valid");
        // E-mail. Leftmost-first: the first alternative that matches at the leftmost start wins.
        let atom = r"[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+";
        let local = format!(r#"(?:"(?:[^"\\\n]|\\.)+"|{atom}(?:\.{atom})*)"#);
        let label = r"[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?";
        let open = r"[(\[{<]";
        let close = r"[)\]}>]";
        let at_sign = r"\s?@\s?";
        let at_bracket = format!(r"\s?{open}\s?(?i:at|snabel-?a|@)\s?{close}\s?");
        let at_word = r"\s(?i:snabel-?a)\s";
        let at_plain = r"\s(?i:at)\s";
        let dot_bracket = format!(r"\s?{open}\s?(?i:dot|punktum|punkt|prik)\s?{close}\s?");
        let dot_strict = format!(r"(?:\.|{dot_bracket})");
        let dot_obfuscated = format!(r"(?:{dot_bracket}|\s(?i:dot|punktum|prik)\s)");
        let dot_any = format!(r"(?:\.|{dot_obfuscated})");
        let tld = r"(?:\p{L}{2,}|(?i:xn--)[a-z0-9-]+)";
        let known_tld = format!(r"(?i:{})(?-u:\b)", KNOWN_TLDS.join("|"));
        let ip = r"\[(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|(?i:ipv6):[0-9A-Fa-f:.]+)\]";
        // Any domain after an `@` or a bracketed "at"; a known top-level domain after a bare
        // "snabel-a" or an obfuscated dot; a bare "at" needs at least one obfuscated dot.
        let domain_any = format!(r"(?:(?:{label}{dot_strict})+{tld}|{ip})");
        let domain_known = format!(r"(?:{label}{dot_any})+{known_tld}");
        let domain_obfuscated = format!(
            r"(?:{label}{dot_any})*{label}{dot_obfuscated}(?:{label}{dot_any})*{known_tld}"
        );
        let email = format!(
            "{local}(?:(?:{at_sign}|{at_bracket}){domain_any}\
             |(?:{at_sign}|{at_bracket}|{at_word}){domain_known}\
             |{at_plain}{domain_obfuscated})"
        );

        // Phone: the 8 digits in one of the groupings, one kind of separator each.
        let mut bodies = vec!["[0-9]{8}".to_owned()];
        for sep in [" ", r"\.", "-"] {
            for groups in [
                &[2, 2, 2, 2][..],
                &[4, 4],
                &[3, 2, 3],
                &[2, 3, 3],
                &[4, 2, 2],
            ] {
                let g: Vec<String> = groups.iter().map(|n| format!("[0-9]{{{n}}}")).collect();
                bodies.push(g.join(sep));
            }
        }
        let prefix = r"(?:\+ ?45|0045|\((?:\+ ?|00)?45\)|45)";
        let phone = format!(r"(?P<pre>{prefix}[ .\-]?)?(?P<body>{})", bodies.join("|"));

        let day = "(?:0[1-9]|[12][0-9]|3[01])";
        let month = "(?:0[1-9]|1[0-2])";
        let together = format!(r"{day}{month}[0-9]{{2}}(?: ?- ?|[ ./])?[0-9]{{4}}");
        let dotted = format!(r"{day}\.{month}\.[0-9]{{2}} ?- ?[0-9]{{4}}");
        let cpr = format!("{together}|{dotted}");
        let plate = r"[A-Za-z]{2}[ .\-]?[0-9]{2}[ .\-]?[0-9]{3}";

        let currency = CURRENCIES.join("|");
        let case = CASE_WORDS.join("|");
        Patterns {
            email: r(&email),
            phone: r(&phone),
            cpr: r(&cpr),
            plate: r(plate),
            price_before: r(&format!(r"(?i)(?:(?-u:\b)(?:{currency})\.?|[€$£]) ?:? ?$")),
            price_after: r(&format!(r"^(?i) ?(?:(?:{currency})(?-u:\b)|,-|[€$£])")),
            case_before: r(&format!(
                r"(?i)(?:(?-u:\b)(?:{case})\.?(?: ?(?:nr|nummer|no)\.?)?|#) ?[:#]? ?$"
            )),
        }
    })
}

/// `text` normalised: NFKC, dashes to `-`, spaces to one plain space, line breaks to `\n`,
/// invisible characters dropped.
fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_cr = false;
    for c in text.nfkc() {
        let was_cr = std::mem::replace(&mut last_cr, c == '\r');
        let c = match c {
            '\n' if was_cr => continue,
            '\r' | '\n' | '\u{85}' | '\u{2028}' | '\u{2029}' => '\n',
            '\u{AD}' | '\u{180E}' | '\u{200B}' | '\u{2060}' | '\u{FEFF}' => continue,
            c if c.is_whitespace() => ' ',
            c if is_dash(c) => '-',
            c => c,
        };
        if c == ' ' && out.ends_with(' ') {
            continue;
        }
        out.push(c);
    }
    out
}

/// Unicode's dash punctuation (general category Pd, less `-` itself), the minus signs and the
/// hyphen bullet; U+2010 to U+2015 are [`is_dash`]'s range.
const DASHES: &[char] = &[
    '\u{058A}',
    '\u{05BE}',
    '\u{1400}',
    '\u{1806}',
    '\u{2043}',
    '\u{2212}',
    '\u{2796}',
    '\u{2E17}',
    '\u{2E1A}',
    '\u{2E3A}',
    '\u{2E3B}',
    '\u{2E40}',
    '\u{2E5D}',
    '\u{301C}',
    '\u{3030}',
    '\u{30A0}',
    '\u{FE31}',
    '\u{FE32}',
    '\u{FE58}',
    '\u{FE63}',
    '\u{FF0D}',
    '\u{10EAD}',
];

/// A dash, hyphen or minus sign.
fn is_dash(c: char) -> bool {
    ('\u{2010}'..='\u{2015}').contains(&c) || DASHES.contains(&c)
}

/// The description with personal data replaced by [`REMOVED`], and whether anything was. The text
/// returned is normalised (see the module's documentation) even when nothing was removed.
pub fn scrub(text: &str) -> (String, bool) {
    let text = normalise(text);
    let p = patterns();
    let mut spans: Vec<Range<usize>> = Vec::new();
    find(&p.email, &text, &mut spans, |_| true);
    find(&p.cpr, &text, &mut spans, |c| {
        let m = c.get(0).expect("group 0");
        !digit_before(&text, m.start()) && !digit_after(&text, m.end())
    });
    find(&p.phone, &text, &mut spans, |c| phone_ok(p, &text, c));
    find(&p.plate, &text, &mut spans, |c| {
        plate_ok(&text, c.get(0).expect("group 0").range())
    });
    if spans.is_empty() {
        return (text, false);
    }
    spans.sort_by_key(|s| (s.start, s.end));
    let mut out = String::with_capacity(text.len());
    let mut done = 0;
    let mut current: Option<Range<usize>> = None;
    for s in spans {
        match &mut current {
            Some(c) if s.start <= c.end => c.end = c.end.max(s.end),
            _ => {
                if let Some(c) = current.replace(s) {
                    out.push_str(&text[done..c.start]);
                    out.push_str(REMOVED);
                    done = c.end;
                }
            }
        }
    }
    if let Some(c) = current {
        out.push_str(&text[done..c.start]);
        out.push_str(REMOVED);
        done = c.end;
    }
    out.push_str(&text[done..]);
    (out, true)
}

/// Adds to `spans` every match of `re` in `text` that `ok` accepts. After a rejected match the
/// search goes on one character after its start, so a shorter match inside it can still be found;
/// the matches are short, so this stays linear.
fn find(re: &Regex, text: &str, spans: &mut Vec<Range<usize>>, ok: impl Fn(&Captures) -> bool) {
    let mut at = 0;
    while at <= text.len() {
        let Some(c) = re.captures_at(text, at) else {
            break;
        };
        let m = c.get(0).expect("group 0");
        if ok(&c) {
            spans.push(m.range());
            at = m.end().max(m.start() + 1);
        } else {
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
        while at < text.len() && !text.is_char_boundary(at) {
            at += 1;
        }
    }
}

fn digit_before(text: &str, i: usize) -> bool {
    text[..i]
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_digit())
}

fn digit_after(text: &str, i: usize) -> bool {
    text[i..].chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// The up to 40 bytes before `i`, cut at a character boundary (enough for the context words).
fn tail_before(text: &str, i: usize) -> &str {
    let mut from = i.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..i]
}

/// Whether a phone-number match is one, judged by what is around it and how it is grouped.
fn phone_ok(p: &Patterns, text: &str, c: &Captures) -> bool {
    let m = c.get(0).expect("group 0");
    let (start, end) = (m.start(), m.end());
    if digit_before(text, start) || digit_after(text, end) {
        return false;
    }
    let strong_prefix = c
        .name("pre")
        .is_some_and(|pre| pre.as_str().starts_with(['+', '(']) || pre.as_str().starts_with("00"));
    if strong_prefix {
        return true;
    }
    // Part of a longer dotted, dashed or timed number: `55.68661234`, `2024-1234-5678`.
    let before = &text.as_bytes()[..start];
    if let [.., d, b'.' | b'-' | b':'] = before {
        if d.is_ascii_digit() {
            return false;
        }
    }
    let after = &text.as_bytes()[end..];
    match after {
        [b'.' | b'-' | b':', d, ..] if d.is_ascii_digit() => return false,
        // A decimal comma: `22334455,50`.
        [b',', d, rest @ ..] if d.is_ascii_digit() => {
            let decimals = 1 + rest.iter().take_while(|b| b.is_ascii_digit()).count();
            if decimals <= 2 {
                return false;
            }
        }
        _ => {}
    }
    if p.price_before.is_match(tail_before(text, start))
        || p.price_after.is_match(&text[end..])
        || p.case_before.is_match(tail_before(text, start))
    {
        return false;
    }
    let body = c.name("body").expect("the body is not optional").as_str();
    // Danish numbers start with 2–9 (1 begins the short numbers such as 112 and 1813).
    if !matches!(body.as_bytes()[0], b'2'..=b'9') {
        return false;
    }
    let groups: Vec<&str> = body.split([' ', '.', '-']).collect();
    let sep = body.chars().find(|c| !c.is_ascii_digit());
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let year = |s: &str| s.len() == 4 && (1900..=2099).contains(&num(s));
    match (groups.as_slice(), sep) {
        // Thousands separators: 12.500.000.
        ([a, b, c], Some('.')) if a.len() == 2 && b.len() == 3 && c.len() == 3 => false,
        // A year span: 2010-2014.
        ([a, b], Some('-')) if year(a) && year(b) && num(a) < num(b) => false,
        // An ISO date: 2024-03-12, 2024.03.12.
        ([y, m, d], Some('-' | '.'))
            if y.len() == 4
                && year(y)
                && (1..=12).contains(&num(m))
                && (1..=31).contains(&num(d)) =>
        {
            false
        }
        _ => true,
    }
}

/// Short words that, in lower or title case, are not the letters of a number plate.
const NOT_PLATES: &[&str] = &[
    "ad", "af", "an", "as", "at", "be", "bl", "by", "ca", "cm", "da", "de", "dl", "do", "du", "en",
    "er", "et", "fx", "go", "he", "if", "in", "is", "it", "ja", "jo", "kg", "kl", "km", "kr", "me",
    "ml", "mm", "my", "no", "nr", "nu", "of", "og", "ok", "om", "on", "op", "or", "pr", "ps", "se",
    "so", "st", "ti", "to", "tv", "ud", "up", "us", "vi", "vs", "we",
];

/// Whether a number-plate match is one.
fn plate_ok(text: &str, m: Range<usize>) -> bool {
    if text[..m.start]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
        || digit_after(text, m.end)
    {
        return false;
    }
    if let [b'.' | b',', d, ..] = &text.as_bytes()[m.end..] {
        if d.is_ascii_digit() {
            return false;
        }
    }
    let letters = &text[m.start..m.start + 2];
    let upper = letters.bytes().all(|b| b.is_ascii_uppercase());
    upper || !NOT_PLATES.contains(&letters.to_ascii_lowercase().as_str())
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
            assert!(!scrub(t).1, "{t}");
        }
    }

    #[test]
    fn normalises() {
        assert_eq!(
            normalise("a\u{00A0}b\u{202F}c\t\u{2003} d\r\ne\rf\u{2028}g"),
            "a b c d\ne\nf\ng"
        );
        for dash in [
            '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2015}', '\u{2212}',
            '\u{FE58}', '\u{FE63}', '\u{FF0D}',
        ] {
            assert_eq!(
                normalise(&format!("3{dash}4")),
                "3-4",
                "U+{:04X}",
                dash as u32
            );
        }
        assert_eq!(
            normalise("２２３３ ４４５５ ＠ ｍ² 2\u{00AD}2"),
            "2233 4455 @ m2 22"
        );
        // Unchanged apart from that.
        let t = "Blågårdsgade 12, 2200 København N\n\nkl. 22.30 😀 «citat» – slut";
        assert_eq!(normalise(t), t.replace('–', "-"));
    }

    #[test]
    fn nothing_but_the_datum_goes() {
        assert_eq!(
            s("ring 22 33 44 55 eller 66778899, ikke 112"),
            "ring [fjernet] eller [fjernet], ikke 112"
        );
        assert_eq!(
            s("jens@example.dk, 22334455 og AB 12 345"),
            "[fjernet], [fjernet] og [fjernet]"
        );
        // Overlapping matches are removed as one.
        assert_eq!(s("22334455@sms.dk"), "[fjernet]");
        assert_eq!(s("a 22334455 66778899 b"), "a [fjernet] [fjernet] b");
    }

    #[test]
    fn the_marker_is_stable() {
        // Scrubbing twice changes nothing more.
        let once = s("ring 22 33 44 55 eller skriv til jens (at) example (dot) dk");
        assert_eq!(s(&once), once);
        assert!(!scrub(&once).1);
    }

    #[test]
    fn long_text_is_fast() {
        // The longest description, made of near-misses for every pattern.
        let unit = "a.b-c 12.500.000 kr, 2010-2014, 22.30-23.45 at foo (at) bar nr 12345 @ ";
        let t: String = unit.repeat(2000 / unit.len() + 1);
        let start = std::time::Instant::now();
        for _ in 0..20 {
            let _ = scrub(&t);
        }
        // Generous: a few milliseconds each in a release build.
        assert!(start.elapsed().as_secs_f64() < 2.0, "{:?}", start.elapsed());
    }

    /// One corpus line: the text, and the text with each `{{…}}` replaced by [`REMOVED`].
    fn corpus(lines: &str) -> Vec<(usize, String, String)> {
        lines
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'))
            .map(|(i, l)| {
                let mut input = String::new();
                let mut expected = String::new();
                let mut rest = l;
                while let Some(open) = rest.find("{{") {
                    let close = open + rest[open..].find("}}").expect("{{ closed by }}");
                    input.push_str(&rest[..open]);
                    input.push_str(&rest[open + 2..close]);
                    expected.push_str(&rest[..open]);
                    expected.push_str(REMOVED);
                    rest = &rest[close + 2..];
                }
                input.push_str(rest);
                expected.push_str(rest);
                (i + 1, input, normalise(&expected))
            })
            .collect()
    }

    #[test]
    fn corpus_must_remove() {
        let lines = corpus(include_str!("../../tests/fixtures/scrub/must_remove.txt"));
        assert!(lines.len() >= 100, "{} lines", lines.len());
        let mut wrong = Vec::new();
        for (n, input, expected) in &lines {
            assert!(expected.contains(REMOVED), "line {n} marks nothing");
            let (out, changed) = scrub(input);
            if out != *expected || !changed {
                wrong.push(format!(
                    "line {n}: {input:?}\n    gives    {out:?}\n    expected {expected:?}"
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} lines:\n{}",
            wrong.len(),
            lines.len(),
            wrong.join("\n")
        );
    }

    #[test]
    fn corpus_must_keep() {
        let lines = corpus(include_str!("../../tests/fixtures/scrub/must_keep.txt"));
        assert!(lines.len() >= 50, "{} lines", lines.len());
        let mut wrong = Vec::new();
        for (n, input, expected) in &lines {
            assert!(!expected.contains(REMOVED), "line {n} marks something");
            let (out, changed) = scrub(input);
            if out != *expected || changed {
                wrong.push(format!("line {n}: {input:?}\n    gives {out:?}"));
            }
        }
        assert!(
            wrong.is_empty(),
            "{} of {} lines:\n{}",
            wrong.len(),
            lines.len(),
            wrong.join("\n")
        );
    }
}
