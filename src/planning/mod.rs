//! Planning (issue 6): the programme's effect goals and their status, the ranked places where
//! public-space initiatives could go, and the annual status report. Pure functions over the
//! catalog and what the store holds; the HTTP layer and `hotspot report` call them.

pub mod goals;
pub mod report;
pub mod where_to_act;

/// The kinds of initiative: code, Danish label, English label.
pub const INITIATIVE_KINDS: [(&str, &str, &str); 6] = [
    ("lighting", "Belysning", "Lighting"),
    ("public_space", "Byrumsforbedring", "Public-space redesign"),
    ("youth_activity", "Ungeaktivitet", "Youth activity"),
    ("safety_walk", "Tryghedsvandring", "Safety walk"),
    ("outreach", "Opsøgende arbejde", "Outreach"),
    ("other", "Andet", "Other"),
];

/// Danish or English.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Dansk.
    Da,
    /// English.
    En,
}

impl Lang {
    /// `da` or `en`.
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "da" => Some(Lang::Da),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The text in this language.
    pub fn pick<'a>(self, da: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Da => da,
            Lang::En => en,
        }
    }

    /// `da` or `en`.
    pub fn code(self) -> &'static str {
        self.pick("da", "en")
    }
}
