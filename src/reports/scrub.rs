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
//!   BOM) are dropped;
//! - every decimal digit of another script (general category Nd, which NFKC leaves alone:
//!   Arabic-Indic `٢`, Extended Arabic-Indic `۲`, Devanagari `२`, Thai `๒`, …) becomes its ASCII
//!   digit.
//!
//! What is removed:
//! - **e-mail addresses**, with Unicode letters in the local part and the domain
//!   (`søren@københavn.dk`), quoted local parts (`"jens hansen"@example.dk`), IP-literal domains
//!   (`jens@[192.0.2.1]`, `jens@[IPv6:…]`), spaces around the `@` (`jens @ example.dk`), `＠` and
//!   `﹫`, and obfuscated: `jens (at) example (dot) dk`, `jens [at] example [.] dk`,
//!   `jens(snabel-a)example.dk` (any of `()[]{}<>`; `at`, `snabel-a` or `@`; `dot`, `punktum`,
//!   `punkt`, `prik` or `.`), `jens_at_gmail_dot_com`, `j e n s @ g m a i l . c o m`; with bare
//!   words, `jens snabel-a example.dk`, `jens snabel a gmail punktum com`, `jens at example dot
//!   dk`, `jens på gmail punktum com`, `jens at gmail punkt com`. Any word glued to an `@` on both
//!   sides goes with it, with or without a dot (`jens@gmail`, `jens@localhost`). Before a common
//!   top-level domain (`dk`, `com`, `net`, `org`, `se`, `eu`, …) the dot may also be spaced
//!   (`jens@example .dk`, `jens @ example . dk`), `。`, `·` or `,`, and the at may be `(a)`;
//!   after a known mail host (`gmail`, `hotmail`, `outlook`, …) it may be a plain space
//!   (`jens at gmail com`, `jens.hansen @ gmail dk`). A bare `at` or `på` before a plain domain
//!   with a common top-level domain (`jens at example.dk`, `jens.hansen på gmail.com`) takes the
//!   word before it for the local part unless that word is a common word that precedes `at` or
//!   `på` in a sentence (`more`, `us`, `visit`, `synes`, `mener`, `mere`, `se`, `står`, …); after
//!   `på` the word must also look like a local part (a `.`, `_`, `+`, `-` or digit in it) or the
//!   domain be a mail host. So "jeg synes at kk.dk …", "read more at kk.dk", "se mere på kk.dk"
//!   and "det står på kk.dk" stay, and an `@` with spaces on both sides and no domain stays
//!   (`vi mødes @ Nørrebroparken`);
//! - **phone numbers**: 8 digits starting with 2–9 (as Danish numbers do), not part of a longer
//!   number, written together (`22334455`, also glued to a word: `tlf22334455`) or grouped
//!   2-2-2-2, 4-4, 3-2-3, 2-3-3, 4-2-2, 3-3-2, 2-4-2, one by one (`2 2 3 3 4 4 5 5`) or in any
//!   three or more groups of one to three digits (`2 23 34 455`), each pair of groups joined by
//!   a space, a line break, or one of `. - / , _ · ' : ~ | ;` with or without spaces around it,
//!   separators mixed or not (`22 33-44 55`, `22. 33. 44. 55`, `22 - 33 - 44 - 55`,
//!   `22:33:44:55`, `(22) 33 44 55`), with or without `+45`, `+ 45`, `0045`, `00 45`, `(+45)`,
//!   `(0045)` or a bare `45` in front; a letter `O` after a digit stands for a zero
//!   (`2O 33 44 55`). Grouped digits go on across a separator unless the number uses one
//!   separator and another sets it apart (`22 33 44 55, 66 77 88 99`); but in a run of groups
//!   joined by single spaces, four groups of two or two of four starting with 2–9 are a phone
//!   number among other numbers (`Blågårdsgade 12 22 33 44 55`, `22 33 44 55 2 gange`,
//!   `2233 4455 2`, `22 33 44 55 12 03 2024`), taken from the left; when one group is left at
//!   the end and the groups one further on would do as well, all go (`22 33 44 55 10` could be
//!   either). Also eight digits spelt out in Danish, `to to tre tre fire fire fem fem`. Not
//!   removed, as they read as something else: a price (after `kr`, `kr.`, `kroner`, `DKK`, `EUR`,
//!   `€`, `$`; before `kr`, `DKK`, `,-` or a decimal comma: `22 500 000 kr`) — but 2-2-2-2 is a
//!   phone number even beside `kr`; a case or report number (after `sag`, `sagsnr.`, `j.nr.`,
//!   `rapport`, `melding`, `anmeldelse`, `ref.`, `CVR`, `#`: `sag 2024-1234`); a 2-3-3 number with
//!   thousands separators `.`, `,` or `'` (`22.500.000`); a year span or list (`2010-2014`,
//!   `2019, 2020`, `2019/2020`); two groups of four joined by anything but a space, dot or dash
//!   (`2200, 2100`); an ISO date (`2024-03-12`, `2024.03.12`, `2024/03/12`); a span of times
//!   (`22.30-23.45`, `22.30 - 23.45`); two decimal numbers (`55.69, 12.56`); a date `DD.MM.YYYY`
//!   (2-2-4 is no phone grouping); two times (`22:30 23:45`); two years among spaced groups of
//!   four (`2019 2020 2021`). After `+45`, `0045` or `(+45)` only the digits next to it matter;
//! - **CPR numbers**: DDMMYY or DDMMYYYY (year 19xx/20xx) with a valid day (01–31) and month
//!   (01–12), then four digits; the groups joined by nothing, a space, or one of `. - / _ : · '`
//!   with or without spaces around it (`12-03-45-1234`, `12.03.1945-1234`, `120345/ 1234`), the
//!   day–month and month–year separators alike, or day and month together (`0101 90 1234`,
//!   `0101-90-1234`); the serial split 2-2 or 3-1 after a date written together
//!   (`12034512 34`, `010190-123 4`) or spaced and set apart by another separator
//!   (`01 01 90 - 12 34`); not next to more digits, and not a dotted or dashed date followed by a
//!   space and a time (`12.03.24 2230`);
//! - **number plates**: two letters and five digits, grouped 5, 2-3, 3-2, 2-2-1, 4-1 or one by
//!   one, joined by nothing, a space, or one of `. - / _ : · '` (`AB 12 345`, `AB12345`,
//!   `AB/12/345`, `AB 123 45`, `AB 12 34 5`, `AB 1 2 3 4 5`), the letters and digits also by a
//!   line break; capital letters also spaced or dotted (`A B 12 345`, `A.B. 12 345`); Cyrillic
//!   and Greek look-alike letters count as the Latin ones (`АВ 12 345`, `ΑΒ 12 345`), and after
//!   the first digit `O`/Cyrillic `О` as 0 and Cyrillic `З` as 3 (`AB 12 З45`). Not when the
//!   letters are a common short word or abbreviation in lower or title case (`nr 12345`,
//!   `ca 12345`, `kr 12345`, `to 12345`), or with a grouping other than 5, 2-3 or 3-2 in any
//!   case (`ID 4711 2 gange`, `EU 12 34 5 mio.`).
//! - **bank details**: an IBAN whose check digits are right (`DK50 0040 0440 1162 43`, its
//!   groups spaced, dotted, dashed or not); a Danish registration and account number (`reg. 1234 konto 1234567890`,
//!   `reg.nr. 1234-1234567890`) or an account number after `konto`, `kontonr.` or `kto.`;
//! - **social-media handles** that look like a person's: `@` and a name holding a digit
//!   (`@jens_hansen_2200`), not glued to a word before; `@Nørrebrogade` (a place) and
//!   `@kk_tryghed` (an office) stay, and so does `@jens_hansen` (left out knowingly). An
//!   e-mail address may also have `%40` (once or twice encoded) or `&#64;` for its `@`
//!   (`mailto:jens%40example.dk`) and `%2E` for a dot.
//!
//! Not removed: numbers spelt out in any other way than eight Danish digit words (`toogtyve
//! treogtredive …`, English words), a number split over words or letters other than `O`/`З`,
//! and an address after a bare `at` whose local part is a common word on the list.
//!
//! Dates (`12.03.2024`, `22.03.2024`, `12/3-2024`, `1. maj 2024`), prices (`1.250 kr.`,
//! `22 500 kr`), house numbers and postcodes, case and report numbers, years, times
//! (`kl. 22.30`, `22.30-23.45`), counts (`3-4 personer`, `22, 33 og 44`), decimals, percentages
//! and measurements stay. The patterns are compiled once; each is one pass of the `regex` crate
//! over the text (a rejected match is retried one character on, and matches are short), so the
//! time is linear in the text's length: well under a millisecond for the longest description
//! (2,000 characters), about a millisecond for 2,000 characters of digits.

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
    /// A phone number spelt out, digit by digit: `to to tre tre fire fire fem fem`.
    spelt: Regex,
    /// Digit groups joined by single spaces: a phone number may sit among other numbers.
    digit_run: Regex,
    /// A price's currency before a number: `kr.`, `DKK`, `€`.
    price_before: Regex,
    /// A price's currency or `,-` after a number.
    price_after: Regex,
    /// A word that makes the following number a case or report number: `sag`, `j.nr.`, `#`.
    case_before: Regex,
    /// An IBAN (`mod97_ok` checks its digits).
    iban: Regex,
    /// A Danish bank account: a registration number and an account number, or an account
    /// number after `konto`.
    account: Regex,
    /// A social-media handle (`handle_ok` judges it).
    handle: Regex,
}

/// The top-level domains an obfuscated address may end in (any may follow a real `@`).
const KNOWN_TLDS: &[&str] = &[
    "dk", "com", "net", "org", "info", "biz", "eu", "se", "no", "nu", "fi", "is", "fo", "gl", "de",
    "nl", "uk", "fr", "es", "it", "pl", "ch", "be", "at", "io", "me", "online", "email", "mail",
];

/// Mail hosts: after a bare `at` or `på` the word before need not look like a local part, and
/// the dot before the top-level domain may be a space (`jens at gmail com`).
const MAIL_HOSTS: &[&str] = &[
    "gmail",
    "googlemail",
    "hotmail",
    "outlook",
    "live",
    "msn",
    "yahoo",
    "icloud",
    "protonmail",
    "proton",
    "aol",
    "gmx",
    "yandex",
    "mail",
    "jubii",
    "ofir",
    "tdcadsl",
    "stofanet",
    "post",
];

/// Words that, before a bare `at` or `på` and a domain, make it a sentence (`read more at kk.dk`,
/// `jeg synes at kk.dk …`, `se mere på kk.dk`) rather than an address.
const NOT_LOCAL_PARTS: &[&str] = &[
    // Danish
    "at",
    "sagde",
    "skrev",
    "mente",
    "troede",
    "tænkte",
    "hørte",
    "fandt",
    "ser",
    "virker",
    "viste",
    "sikre",
    "sørge",
    "lyder",
    "gør",
    "gjorde",
    "nemlig",
    "altså",
    "hvis",
    "bare",
    "blot",
    "både",
    "den",
    "der",
    "det",
    "dem",
    "dig",
    "end",
    "er",
    "for",
    "fordi",
    "fortæller",
    "han",
    "hende",
    "her",
    "hun",
    "håber",
    "ikke",
    "jeg",
    "kan",
    "klik",
    "kig",
    "læs",
    "man",
    "med",
    "mener",
    "mere",
    "mig",
    "må",
    "nok",
    "også",
    "og",
    "om",
    "op",
    "oplyser",
    "os",
    "se",
    "sige",
    "siger",
    "skal",
    "skriv",
    "skriver",
    "står",
    "svarer",
    "synes",
    "så",
    "tror",
    "tryk",
    "tænker",
    "uden",
    "ud",
    "ved",
    "vi",
    "vil",
    "viser",
    "være",
    "findes",
    "ligger",
    "info",
    "information",
    "hjemmeside",
    "hjemmesiden",
    "siden",
    "nettet",
    // English
    "and",
    "are",
    "available",
    "details",
    "find",
    "found",
    "here",
    "him",
    "info",
    "is",
    "it",
    "look",
    "looked",
    "looking",
    "me",
    "more",
    "online",
    "page",
    "read",
    "see",
    "site",
    "that",
    "them",
    "there",
    "this",
    "us",
    "visit",
    "was",
    "website",
    "web",
    "were",
    "you",
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

/// Compiles the patterns now rather than at the first text scrubbed (a report, an observation's
/// note), which would wait tens of milliseconds for them.
pub fn warm() {
    patterns();
}

fn patterns() -> &'static Patterns {
    static P: OnceLock<Patterns> = OnceLock::new();
    P.get_or_init(|| {
        let r = |s: &str| Regex::new(s).expect("the patterns are valid");
        // E-mail. Leftmost-first: the first alternative that matches at the leftmost start wins.
        // The address is the group `m`; a letter or digit may not follow it.
        let atom = r"[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+";
        let local = format!(r#"(?:"(?:[^"\\\n]|\\.)+"|{atom}(?:\.{atom})*)"#);
        let label = r"[\p{L}\p{M}\p{N}](?:[\p{L}\p{M}\p{N}-]*[\p{L}\p{M}\p{N}])?";
        let open = r"[(\[{<]";
        let close = r"[)\]}>]";
        // `%40` is a URL's `@` (`mailto:jens%40example.dk`, `%2540` encoded twice), `&#64;`
        // and `&#x40;` an HTML page's.
        let at_sign = r"\s?(?:@|%(?:25)*40|&#0*64;|&#[xX]0*40;)\s?";
        let at_bracket = format!(r"\s?{open}\s?(?i:at|snabel-?a|@)\s?{close}\s?");
        let at_a = format!(r"\s?{open}\s?(?i:a)\s?{close}\s?");
        let at_word = r"\s(?i:snabel[- ]?a)\s";
        let at_plain = r"\s(?i:at|på)\s";
        let dot_bracket = format!(r"\s?{open}\s?(?i:dot|punktum|punkt|prik|[.。])\s?{close}\s?");
        let dot_strict = format!(r"(?:\.|%(?:25)*2[Ee]|&#0*46;|{dot_bracket})");
        let dot_obfuscated = format!(r"(?:{dot_bracket}|\s(?i:dot|punktum|punkt|prik)\s)");
        let dot_any = format!(r"(?:\.|{dot_obfuscated})");
        // Before a known top-level domain: also ` . `, `。`, `·` and `,`.
        let dot_loose = format!(r"(?:\s?[.。·]\s?|,|{dot_obfuscated})");
        let tld = r"(?:\p{L}{2,}|(?i:xn--)[a-z0-9-]+)";
        let known_tld = format!(r"(?i:{})", KNOWN_TLDS.join("|"));
        let ip = r"\[(?:[0-9]{1,3}(?:\.[0-9]{1,3}){3}|(?i:ipv6):[0-9A-Fa-f:.]+)\]";
        // Any domain after an `@` or a bracketed "at"; a known top-level domain after a bare
        // "snabel-a", `(a)` or a loose dot; a bare "at" needs at least one obfuscated dot.
        let domain_any = format!(r"(?:(?:{label}{dot_strict})+{tld}|{ip})");
        let domain_known = format!(r"(?:{label}{dot_loose})+{known_tld}");
        // A bare "at" or "på" before a plain domain (`scrub` judges the word before), or a known
        // mail host with a space for the dot (`jens at gmail com`, `jens @ gmail dk`).
        let mail_host = format!(r"(?i:{})", MAIL_HOSTS.join("|"));
        let mail_spaced = format!(r"{mail_host}\s{known_tld}");
        let domain_bare = format!(r"(?:(?:{label}\.)+{known_tld}|{mail_spaced})");
        let domain_obfuscated = format!(
            r"(?:{label}{dot_any})*{label}{dot_obfuscated}(?:{label}{dot_any})*{known_tld}"
        );
        // `jens_at_gmail_dot_com`.
        let underscored = format!(
            r"[\p{{L}}\p{{N}}.+-]+_(?i:at|snabel-?a)_(?:{label}_(?i:dot|punktum|punkt|prik)_)+{known_tld}"
        );
        // `j e n s @ g m a i l . c o m`.
        let spaced = r"[\p{L}\p{N}](?: [\p{L}\p{N}])* ?@ ?[\p{L}\p{N}](?: [\p{L}\p{N}])*(?: ?[.。·] ?[\p{L}\p{N}](?: [\p{L}\p{N}])*)+";
        let email = [
            format!("(?P<m>{local}(?:(?:{at_sign}|{at_bracket}){domain_any}"),
            format!("|(?:{at_sign}|{at_bracket}|{at_a}|{at_word}){domain_known}"),
            format!("|(?:{at_sign}|{at_bracket}|{at_a}|{at_word}){mail_spaced}"),
            format!("|{at_plain}{domain_obfuscated}|(?P<bare>{at_plain}){domain_bare}"),
            format!("|@{label})|{underscored}|{spaced})"),
            r"(?:[^\p{L}\p{M}\p{N}]|$)".to_owned(),
        ]
        .concat();

        // Phone: 8 digits, each pair joined by nothing or one separator (`phone_ok` judges the
        // grouping and what is around).
        let body = format!(r"\(?[0-9](?:{SEP}?[0-9Oo]){{7}}");
        let prefix = r"(?:\+ ?45|00 ?45|\((?:\+ ?|00)?45\)|45)";
        let phone = format!(r"(?P<pre>{prefix}[ .\-]?)?(?P<body>{body})");

        let day = "(?:0[1-9]|[12][0-9]|3[01])";
        let month = "(?:0[1-9]|1[0-2])";
        let year = "(?:(?:19|20)[0-9]{2}|[0-9]{2})";
        let cpr = format!(
            r"{day}(?P<s1>{SEP_NO_COMMA})?{month}(?P<s2>{SEP_NO_COMMA})?{year}(?P<s3>{SEP_NO_COMMA})?(?P<serial>[0-9]{{4}}|[0-9]{{2}} [0-9]{{2}}|[0-9]{{3}} [0-9]|[0-9] [0-9]{{3}})"
        );
        let letter = format!("[A-Za-z{CONFUSABLES}]");
        // Five digits, each pair joined by nothing or a separator (`plate_ok` judges the
        // grouping); after the first, `O` and Cyrillic `О`, `З` may stand for 0 and 3.
        let plate = format!(
            r"{letter}(?P<gap> |\. ?)?{letter}(?:{SEP_NO_COMMA}|[ ]?\n[ ]?)?(?P<digits>[0-9](?:{SEP_NO_COMMA}?[0-9OОЗ]){{4}})"
        );

        let currency = CURRENCIES.join("|");
        let case = CASE_WORDS.join("|");
        Patterns {
            email: r(&email),
            phone: r(&phone),
            cpr: r(&cpr),
            plate: r(&plate),
            spelt: r(&format!(
                r"(?i)\b(?:{first})(?:[ ,.\-]+(?:nul|{first}|en|et)){{7}}\b",
                first = "to|tre|fire|fem|seks|syv|otte|ni"
            )),
            digit_run: r(r"[0-9]+(?: [0-9]+)+"),
            price_before: r(&format!(r"(?i)(?:(?-u:\b)(?:{currency})\.?|[€$£]) ?:? ?$")),
            price_after: r(&format!(r"^(?i) ?(?:(?:{currency})(?-u:\b)|,-|[€$£])")),
            case_before: r(&format!(
                r"(?i)(?:(?-u:\b)(?:{case})\.?(?: ?(?:nr|nummer|no)\.?)?|#) ?[:#]? ?$"
            )),
            iban: r(r"(?-u:\b)(?P<m>[A-Za-z]{2}[0-9]{2}(?:[ .\-]?[A-Za-z0-9]{4}){2,7}(?:[ .\-]?[A-Za-z0-9]{1,3})?)(?-u:\b)"),
            account: r(&format!(
                r"(?i)(?:(?-u:\b)reg(?:istrerings)?\.?(?: ?-?nr\.?|nummer)? ?:? ?(?P<m>[0-9]{{4}}(?: ?[,/-] ?| )(?:{konto} ?:? ?)?[0-9]{{6,10}})|(?-u:\b){konto} ?:? ?(?P<k>[0-9](?:[ -]?[0-9]){{5,13}}))(?-u:\b)",
                konto = r"(?:konto|kontonr|kto)\.?(?: ?-?nr\.?|nummer)?"
            )),
            handle: r(r"(?:^|[^\p{L}\p{N}_.@%])(?P<m>@[\p{L}\p{N}_](?:[\p{L}\p{N}_.]{0,28}[\p{L}\p{N}_])?)"),
        }
    })
}

/// A separator between two digits of a phone number: a space, or one of `. - / , _ · ' : ~ | ;`
/// with or without a space on either side, a line break with or without spaces, or a closing
/// bracket (`(22) 33 44 55`).
const SEP: &str = r"(?:\) ?|[ ]?[.\-/,_·':~|;\n][ ]?|[ ])";

/// The same for the groups of a CPR number or a number plate (a comma is left out, as lists of
/// numbers use it): also `:`.
const SEP_NO_COMMA: &str = r"(?:[ ]?[.\-/_:·'][ ]?|[ ])";

/// The characters [`SEP`] is made of, and brackets.
fn is_sep(c: char) -> bool {
    matches!(
        c,
        ' ' | '.' | '-' | '/' | ',' | '_' | '·' | '\'' | '(' | ')' | ':' | '~' | '|' | ';' | '\n'
    )
}

/// Cyrillic and Greek letters that look like Latin ones (`АВ 12 345`), as a regex class body.
const CONFUSABLES: &str = "АВЕКМНОРСТХУавекмнорстхуΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβεζηικμνορτυχ";

/// The Latin letter a Cyrillic or Greek look-alike stands for (others unchanged).
fn fold_confusable(c: char) -> char {
    const FROM: &str = "АВЕКМНОРСТХУавекмнорстхуΑΒΕΖΗΙΚΜΝΟΡΤΥΧαβεζηικμνορτυχ";
    const TO: &str = "ABEKMHOPCTXYabekmhopctxyABEZHIKMNOPTYXabezhikmnoptyx";
    FROM.chars()
        .position(|f| f == c)
        .and_then(|i| TO.chars().nth(i))
        .unwrap_or(c)
}

/// The decimal digits (general category Nd) other than ASCII, as ranges of whole runs of ten
/// (0–9, 0–9, …), from the Unicode 16 data of `regex-syntax`. NFKC maps the full-width and the
/// mathematical digits; the other scripts' digits (Arabic-Indic `٢`, Devanagari `२`, Thai `๒`, …)
/// it leaves alone.
const DECIMAL_DIGITS: &[(u32, u32)] = &[
    (0x660, 0x669),
    (0x6F0, 0x6F9),
    (0x7C0, 0x7C9),
    (0x966, 0x96F),
    (0x9E6, 0x9EF),
    (0xA66, 0xA6F),
    (0xAE6, 0xAEF),
    (0xB66, 0xB6F),
    (0xBE6, 0xBEF),
    (0xC66, 0xC6F),
    (0xCE6, 0xCEF),
    (0xD66, 0xD6F),
    (0xDE6, 0xDEF),
    (0xE50, 0xE59),
    (0xED0, 0xED9),
    (0xF20, 0xF29),
    (0x1040, 0x1049),
    (0x1090, 0x1099),
    (0x17E0, 0x17E9),
    (0x1810, 0x1819),
    (0x1946, 0x194F),
    (0x19D0, 0x19D9),
    (0x1A80, 0x1A89),
    (0x1A90, 0x1A99),
    (0x1B50, 0x1B59),
    (0x1BB0, 0x1BB9),
    (0x1C40, 0x1C49),
    (0x1C50, 0x1C59),
    (0xA620, 0xA629),
    (0xA8D0, 0xA8D9),
    (0xA900, 0xA909),
    (0xA9D0, 0xA9D9),
    (0xA9F0, 0xA9F9),
    (0xAA50, 0xAA59),
    (0xABF0, 0xABF9),
    (0xFF10, 0xFF19),
    (0x104A0, 0x104A9),
    (0x10D30, 0x10D39),
    (0x10D40, 0x10D49),
    (0x11066, 0x1106F),
    (0x110F0, 0x110F9),
    (0x11136, 0x1113F),
    (0x111D0, 0x111D9),
    (0x112F0, 0x112F9),
    (0x11450, 0x11459),
    (0x114D0, 0x114D9),
    (0x11650, 0x11659),
    (0x116C0, 0x116C9),
    (0x116D0, 0x116E3),
    (0x11730, 0x11739),
    (0x118E0, 0x118E9),
    (0x11950, 0x11959),
    (0x11BF0, 0x11BF9),
    (0x11C50, 0x11C59),
    (0x11D50, 0x11D59),
    (0x11DA0, 0x11DA9),
    (0x11F50, 0x11F59),
    (0x16130, 0x16139),
    (0x16A60, 0x16A69),
    (0x16AC0, 0x16AC9),
    (0x16B50, 0x16B59),
    (0x16D70, 0x16D79),
    (0x1CCF0, 0x1CCF9),
    (0x1D7CE, 0x1D7FF),
    (0x1E140, 0x1E149),
    (0x1E2F0, 0x1E2F9),
    (0x1E4F0, 0x1E4F9),
    (0x1E5F1, 0x1E5FA),
    (0x1E950, 0x1E959),
    (0x1FBF0, 0x1FBF9),
];

/// The ASCII digit a Unicode decimal digit stands for.
fn ascii_digit(c: char) -> Option<char> {
    let u = c as u32;
    if u < 0x660 {
        return None;
    }
    let i = DECIMAL_DIGITS.partition_point(|&(lo, _)| lo <= u);
    let (lo, hi) = DECIMAL_DIGITS[i.checked_sub(1)?];
    (u <= hi).then(|| char::from(b'0' + ((u - lo) % 10) as u8))
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
            c if !c.is_ascii() && ascii_digit(c).is_some() => ascii_digit(c).expect("a digit"),
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
    find(&p.email, &text, &mut spans, |c| {
        let m = c.name("m").expect("the address");
        if text[..m.start()]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric)
        {
            return false;
        }
        let Some(bare) = c.name("bare") else {
            return true;
        };
        // A bare "at" or "på" before a plain domain: the word before is a local part unless it
        // is a common word; after "på" it must look like one (`.`, `_`, `+`, `-`, a digit) or
        // the domain be a mail host.
        let local = text[m.start()..bare.start()].to_lowercase();
        if NOT_LOCAL_PARTS.contains(&local.as_str()) {
            return false;
        }
        let host = text[bare.end()..m.end()]
            .split(|ch: char| ch == '.' || ch.is_whitespace())
            .next()
            .is_some_and(|h| MAIL_HOSTS.contains(&h.to_lowercase().as_str()));
        let looks_local =
            local.contains(|ch: char| matches!(ch, '.' | '_' | '+' | '-') || ch.is_ascii_digit());
        host || looks_local || bare.as_str().trim().eq_ignore_ascii_case("at")
    });
    find(&p.cpr, &text, &mut spans, |c| cpr_ok(&text, c));
    find(&p.spelt, &text, &mut spans, |_| true);
    phones_in_runs(p, &text, &mut spans);
    find(&p.phone, &text, &mut spans, |c| phone_ok(p, &text, c));
    find(&p.plate, &text, &mut spans, |c| plate_ok(&text, c));
    find(&p.iban, &text, &mut spans, |c| mod97_ok(&c["m"]));
    find(&p.account, &text, &mut spans, |_| true);
    find(&p.handle, &text, &mut spans, |c| handle_ok(&text, c));
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

/// Whether `iban` (spaces, dots or dashes between groups allowed) passes the IBAN check: its first four characters moved to
/// the end and its letters read as 10–35, the number is 1 modulo 97 (ISO 13616).
fn mod97_ok(iban: &str) -> bool {
    let chars: Vec<char> = iban
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-'))
        .collect();
    if !(15..=34).contains(&chars.len()) {
        return false;
    }
    let mut rest = 0u32;
    for c in chars[4..].iter().chain(&chars[..4]) {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        rest = if v < 10 {
            (rest * 10 + v) % 97
        } else {
            (rest * 100 + v) % 97
        };
    }
    rest == 1
}

/// Whether a handle is a person's: it holds a digit (a bare `@Nørrebrogade` is a place, and
/// `@kk_tryghed` an office's), and is not the start of an e-mail address.
fn handle_ok(text: &str, c: &Captures) -> bool {
    let m = c.name("m").expect("the handle");
    let name = &m.as_str()[1..];
    name.contains(|ch: char| ch.is_ascii_digit()) && !text[m.end()..].starts_with('@')
}

/// Adds to `spans` every match of `re` in `text` that `ok` accepts (the group `m` or else `k`
/// if the pattern has one that took part, else the whole match). After a rejected match the search goes on one character after
/// its start, so a shorter match inside it can still be found; the matches are short, so this
/// stays linear.
fn find(re: &Regex, text: &str, spans: &mut Vec<Range<usize>>, ok: impl Fn(&Captures) -> bool) {
    let mut at = 0;
    while at <= text.len() {
        let Some(c) = re.captures_at(text, at) else {
            break;
        };
        let m = (c.name("m").or_else(|| c.name("k"))).unwrap_or_else(|| c.get(0).expect("group 0"));
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

/// The separator (up to three characters of [`is_sep`]) between a digit and `i`, if a digit
/// comes before `i` across one.
fn sep_before(text: &str, i: usize) -> Option<&str> {
    let mut from = i;
    for (j, c) in text[..i].char_indices().rev().take(4) {
        if c.is_ascii_digit() {
            return (from < i).then(|| &text[from..i]);
        }
        if !is_sep(c) || i - j > 3 * '·'.len_utf8() {
            return None;
        }
        from = j;
    }
    None
}

/// The separator between `i` and a digit after it, if there is one.
fn sep_after(text: &str, i: usize) -> Option<&str> {
    for (j, c) in text[i..].char_indices().take(4) {
        if c.is_ascii_digit() {
            return (j > 0).then(|| &text[i..i + j]);
        }
        if !is_sep(c) {
            return None;
        }
    }
    None
}

/// The up to 40 bytes before `i`, cut at a character boundary (enough for the context words).
fn tail_before(text: &str, i: usize) -> &str {
    let mut from = i.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    &text[from..i]
}

/// A digit, or the letter O standing for a zero (`2O 33 44 55`).
fn is_digitish(c: char) -> bool {
    c.is_ascii_digit() || matches!(c, 'O' | 'o' | 'О' | 'З')
}

/// The digit groups of a number and the separators between them (a leading `(` dropped).
fn groups(number: &str) -> (Vec<&str>, Vec<&str>) {
    let number = number.trim_start_matches('(');
    let (mut groups, mut seps) = (Vec::new(), Vec::new());
    let mut start = 0;
    let mut in_digits = true;
    for (i, c) in number.char_indices() {
        if is_digitish(c) != in_digits {
            if in_digits {
                groups.push(&number[start..i]);
            } else {
                seps.push(&number[start..i]);
            }
            start = i;
            in_digits = !in_digits;
        }
    }
    groups.push(&number[start..]);
    (groups, seps)
}

/// How the 8 digits of a phone number are grouped (`1×8` is `2 2 3 3 4 4 5 5`); also any
/// grouping in three or more groups of one to three digits (`2 23 34 455`).
const PHONE_GROUPINGS: &[&[usize]] = &[
    &[8],
    &[2, 2, 2, 2],
    &[4, 4],
    &[3, 2, 3],
    &[2, 3, 3],
    &[4, 2, 2],
    &[3, 3, 2],
    &[2, 4, 2],
    &[1, 1, 1, 1, 1, 1, 1, 1],
];

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
    let body = c.name("body").expect("the body is not optional").as_str();
    let (groups, seps) = groups(body);
    let lens: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let short_groups = lens.len() >= 3 && lens.iter().all(|&l| l <= 3);
    if !PHONE_GROUPINGS.contains(&lens.as_slice()) && !short_groups {
        return false;
    }
    // A letter O stands for a zero only after a digit in its group, and not before a letter.
    let after_o = |i: usize| text[start + i + 1..].chars().next();
    let body_at = c.name("body").expect("the body").start() - start;
    for (i, ch) in m.as_str().char_indices().skip(body_at) {
        if matches!(ch, 'O' | 'o')
            && (!m.as_str()[..i].chars().next_back().is_some_and(is_digitish)
                || after_o(i).is_some_and(char::is_alphabetic))
        {
            return false;
        }
    }
    let uniform = seps.windows(2).all(|w| w[0] == w[1]);
    // Part of a longer number: more digits across a separator (unless the number is grouped
    // with one separator and a different one sets it apart: `22 33 44 55, 66 77 88 99`). A
    // number written together only minds a dot, dash or colon (`55.68661234`, `2024-1234-5678`)
    // and a decimal comma (`22334455,50`).
    for neighbour in [sep_before(text, start), sep_after(text, end)]
        .into_iter()
        .flatten()
    {
        let set_apart = uniform && seps.first().is_some_and(|s| *s != neighbour);
        let minds = !seps.is_empty() || matches!(neighbour, "." | "-" | ":" | ",");
        if minds && !set_apart {
            return false;
        }
    }
    if let [b',', d, rest @ ..] = &text.as_bytes()[end..] {
        let decimals = 1 + rest.iter().take_while(|b| b.is_ascii_digit()).count();
        if d.is_ascii_digit() && decimals <= 2 {
            return false;
        }
    }
    // A price (not 2-2-2-2, which is a phone number even beside "kr"), a case number.
    if (lens != [2, 2, 2, 2]
        && (p.price_before.is_match(tail_before(text, start))
            || p.price_after.is_match(&text[end..])))
        || p.case_before.is_match(tail_before(text, start))
    {
        return false;
    }
    // Danish numbers start with 2–9 (1 begins the short numbers such as 112 and 1813).
    if !matches!(groups[0].as_bytes()[0], b'2'..=b'9') {
        return false;
    }
    let num = |s: &str| s.parse::<u32>().unwrap_or(0);
    let year = |s: &str| s.len() == 4 && (1900..=2099).contains(&num(s));
    let time = |h: &str, m: &str| num(h) < 24 && num(m) < 60;
    let sep = if uniform { seps.first().copied() } else { None };
    match (groups.as_slice(), seps.as_slice()) {
        // Thousands separators: 12.500.000, 22,500,000, 22'500'000.
        ([_, b, c], _) if b.len() == 3 && c.len() == 3 && matches!(sep, Some("." | "," | "'")) => {
            false
        }
        // A year span or a list of years: 2010-2014, 2019, 2020, 2019/2020.
        ([a, b], [s]) if year(a) && year(b) && num(a) < num(b) && *s != " " => false,
        // Two groups of four are a number with a space, dot or dash only (`2200, 2100` are
        // postcodes).
        ([_, _], [s]) if !matches!(s.trim(), "" | "." | "-") => false,
        // An ISO date: 2024-03-12, 2024.03.12, 2024/03/12.
        ([y, m, d], _)
            if year(y)
                && matches!(sep, Some("-" | "." | "/"))
                && (1..=12).contains(&num(m))
                && (1..=31).contains(&num(d)) =>
        {
            false
        }
        // A span of times: 22.30-23.45, 22.30 - 23.45.
        ([h1, m1, h2, m2], [a, dash, b])
            if a == b
                && matches!(*a, "." | ":")
                && dash.trim() == "-"
                && time(h1, m1)
                && time(h2, m2) =>
        {
            false
        }
        // Two decimal numbers or times: 55.69, 12.56; 22,5 33,5; 22:30 23:45.
        ([_, _, _, _], [a, between, b])
            if a == b
                && matches!(*a, "." | "," | ":")
                && between != a
                && matches!(between.trim(), "" | ",") =>
        {
            false
        }
        _ => true,
    }
}

/// Adds the phone numbers that sit among other numbers in a run of digit groups joined by single
/// spaces (`Blågårdsgade 12 22 33 44 55`, `22 33 44 55 2 gange`, `2233 4455 2`), which
/// [`phone_ok`] leaves as part of a longer number: four groups of two, or two of four, starting
/// with 2–9 (not two years, nor a price). Taken from the left; when a single group of the same
/// length is left at the end and the groups one further on would do as well, it goes too, as
/// either could be the phone number (`22 22 33 44 55`).
fn phones_in_runs(p: &Patterns, text: &str, spans: &mut Vec<Range<usize>>) {
    for run in p.digit_run.find_iter(text) {
        let (start, end) = (run.start(), run.end());
        if sep_before(text, start).is_some()
            || sep_after(text, end).is_some()
            || p.case_before.is_match(tail_before(text, start))
        {
            continue;
        }
        let mut groups: Vec<Range<usize>> = Vec::new();
        let mut from = start;
        for part in run.as_str().split(' ') {
            groups.push(from..from + part.len());
            from += part.len() + 1;
        }
        if groups.iter().map(ExactSizeIterator::len).sum::<usize>() <= 8 {
            continue;
        }
        let n = groups.len();
        let num = |g: &Range<usize>| text[g.clone()].parse::<u32>().unwrap_or(0);
        let valid = |i: usize, k: usize| {
            let len = 8 / k;
            i + k <= n
                && groups[i..i + k].iter().all(|g| g.len() == len)
                && matches!(text.as_bytes()[groups[i].start], b'2'..=b'9')
                && (k == 4
                    || !(groups[i..i + k]
                        .iter()
                        .all(|g| (1900..=2099).contains(&num(g)))
                        || p.price_before.is_match(tail_before(text, groups[i].start))
                        || p.price_after.is_match(&text[groups[i + k - 1].end..])))
        };
        let mut i = 0;
        while i < n {
            let k = match groups[i].len() {
                2 => 4,
                4 => 2,
                _ => 0,
            };
            if k > 0 && valid(i, k) {
                let last = if i + k + 1 == n && valid(i + 1, k) {
                    n - 1
                } else {
                    i + k - 1
                };
                spans.push(groups[i].start..groups[last].end);
                i = last + 1;
            } else {
                i += 1;
            }
        }
    }
}

/// Whether a CPR-number match is one: not next to more digits, the date's two separators alike,
/// and not a date followed by a time (`12.03.24 2230`).
fn cpr_ok(text: &str, c: &Captures) -> bool {
    let m = c.get(0).expect("group 0");
    if digit_before(text, m.start()) || digit_after(text, m.end()) {
        return false;
    }
    let sep = |n: &str| c.name(n).map(|s| s.as_str());
    let (s1, s2, s3) = (sep("s1"), sep("s2"), sep("s3"));
    // DD-MM-YY or DDMM-YY (`0101 90 1234`).
    if s1 != s2 && s1.is_some() {
        return false;
    }
    // A split serial (`12 34`, `123 4`) only after a date written together or spaced, and
    // after a spaced date only set apart by another separator (`01 01 90 - 12 34`).
    let serial_split = c.name("serial").is_some_and(|s| s.as_str().contains(' '));
    if serial_split
        && (s1 != s2
            || !matches!(s1, None | Some(" "))
            || (s1.is_some() && s3.is_none_or(|s| s == " ")))
    {
        return false;
    }
    let date_sep = s1.or(s2);
    !(s3 == Some(" ") && date_sep.is_some_and(|s| s != " "))
}

/// Short words that, in lower or title case, are not the letters of a number plate.
const NOT_PLATES: &[&str] = &[
    "ad", "af", "an", "as", "at", "be", "bl", "by", "ca", "cm", "da", "de", "dl", "do", "du", "en",
    "er", "et", "fx", "go", "he", "if", "in", "is", "it", "ja", "jo", "kg", "kl", "km", "kr", "me",
    "ml", "mm", "my", "no", "nr", "nu", "of", "og", "ok", "om", "on", "op", "or", "pr", "ps", "se",
    "so", "st", "ti", "to", "tv", "ud", "up", "us", "vi", "vs", "we", "id", "eu", "dk", "pc", "cd",
    "uk", "nb", "kb", "mb", "gb", "hk", "ss", "mw", "kw",
];

/// How the five digits of a number plate may be grouped.
const PLATE_GROUPINGS: &[&[usize]] = &[
    &[5],
    &[2, 3],
    &[3, 2],
    &[2, 2, 1],
    &[4, 1],
    &[1, 1, 1, 1, 1],
];

/// Whether a number-plate match is one.
fn plate_ok(text: &str, c: &Captures) -> bool {
    let m = c.get(0).expect("group 0");
    if text[..m.start()]
        .chars()
        .next_back()
        .is_some_and(char::is_alphanumeric)
        || digit_after(text, m.end())
    {
        return false;
    }
    if let [b'.' | b',', d, ..] = &text.as_bytes()[m.end()..] {
        if d.is_ascii_digit() {
            return false;
        }
    }
    let digits = c.name("digits").expect("the digits");
    let (groups, _) = groups(digits.as_str());
    let lens: Vec<usize> = groups.iter().map(|g| g.chars().count()).collect();
    if !PLATE_GROUPINGS.contains(&lens.as_slice()) {
        return false;
    }
    // A look-alike zero only after a digit; no look-alike before a letter.
    let mut prev = '0';
    for ch in digits.as_str().chars() {
        if matches!(ch, 'O' | 'О') && !prev.is_ascii_digit() && !matches!(prev, 'O' | 'О' | 'З')
        {
            return false;
        }
        prev = ch;
    }
    if text[m.end()..]
        .chars()
        .next()
        .is_some_and(char::is_alphabetic)
        && !prev.is_ascii_digit()
    {
        return false;
    }
    let letters: Vec<char> = m.as_str()[..digits.start() - m.start()]
        .chars()
        .filter(|c| c.is_alphabetic())
        .map(fold_confusable)
        .collect();
    let upper = letters.iter().all(char::is_ascii_uppercase);
    if c.name("gap").is_some() {
        // `A B 12 345`, `A.B. 12 345`, but not the end of a longer run of spaced or dotted
        // letters (`A B C 12 345`, `X.A.B. 12 345`).
        let mut before = text[..m.start()].chars().rev();
        let spaced = before.next().is_some_and(|c| c == ' ' || c == '.')
            && before.next().is_some_and(char::is_alphabetic)
            && !before.next().is_some_and(char::is_alphanumeric);
        let dotted_after = text[..m.start()].ends_with('.');
        return upper && !spaced && !dotted_after;
    }
    let word: String = letters.iter().map(char::to_ascii_lowercase).collect();
    // An uncommon grouping (`AB 1234 5`) not after a word or abbreviation in any case
    // (`ID 4711 2 gange`, `EU 12 34 5`).
    let usual = matches!(lens.as_slice(), [5] | [2, 3] | [3, 2]);
    (upper && usual) || !NOT_PLATES.contains(&word.as_str())
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
        // A line break inside a phone number or a plate (the corpus is one line a case).
        assert_eq!(s("ring 2233\n4455 i aften"), "ring [fjernet] i aften");
        assert_eq!(s("ring 22 33\n44 55"), "ring [fjernet]");
        assert_eq!(s("ring 22 33\r\n44 55"), "ring [fjernet]");
        assert_eq!(s("bilen AB\n12 345 igen"), "bilen [fjernet] igen");
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
    fn other_scripts_digits_read_as_ascii() {
        assert_eq!(
            normalise("٠١٢٣٤٥٦٧٨٩ ۵ २ ๒ ߂ 𝟐 ２"),
            "0123456789 5 2 2 2 2 2"
        );
        assert_eq!(ascii_digit('\u{116DA}'), Some('0'));
        assert_eq!(ascii_digit('\u{116E3}'), Some('9'));
        assert_eq!(ascii_digit('a'), None);
        assert_eq!(ascii_digit('\u{66A}'), None);
        // Every Nd character `regex` knows (Unicode 16) maps, to its value.
        let nd = Regex::new(r"^\p{Nd}$").expect("valid");
        let mut buf = [0; 4];
        for u in 0x80..=0x10FFFF_u32 {
            let Some(c) = char::from_u32(u) else { continue };
            assert_eq!(
                nd.is_match(c.encode_utf8(&mut buf)),
                ascii_digit(c).is_some(),
                "U+{u:04X}"
            );
        }
    }

    #[test]
    fn long_text_is_fast() {
        // The longest description (2,000 characters), made of near-misses for every pattern,
        // and worst cases: runs of digits, spaced digits and letters, repeated `@`.
        let unit = "a.b-c 12.500.000 kr, 2010-2014, 22.30-23.45 at foo (at) bar nr 12345 @ \
                    2019, 2020 j e n s 12.03.24 2230 A B C 12 345 55.69, 12.56 ";
        let long = |u: &str| -> String {
            u.repeat(2000 / u.chars().count() + 1)
                .chars()
                .take(2000)
                .collect()
        };
        for (name, t) in [
            ("report", long(unit)),
            ("digits", long("2")),
            ("spaced digits", long("2 ")),
            ("dotted digits", long("22.")),
            ("cpr-like", long("0101901")),
            ("letters", long("a a ")),
            ("at signs", long("a@")),
            ("quoted", format!("x\"{}\"@b", "a".repeat(1990))),
            ("plates", long("AB 12 345 ")),
            ("digit pairs", long("22 ")),
            ("digit quads", long("2233 ")),
            ("bare at", long("jens at kk.dk ")),
            ("spelt", long("to tre ")),
        ] {
            let start = std::time::Instant::now();
            for _ in 0..20 {
                let _ = scrub(&t);
            }
            let each = start.elapsed() / 20;
            println!(
                "scrub timing: {name}: {each:?} for {} characters",
                t.chars().count()
            );
            // Generous: a few milliseconds each in a release build.
            assert!(each.as_secs_f64() < 0.1, "{name}: {each:?}");
        }
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
