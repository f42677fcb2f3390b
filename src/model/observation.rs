use std::fmt;
use std::str::FromStr;

use super::Labels;

/// What a safety-walk (*tryghedsvandring*) observation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObservationKind {
    /// Street lighting (*belysning*).
    Lighting,
    /// Sight lines, overview (*oversigt*).
    Visibility,
    /// A hidden corner or dark nook (*skjult hjørne*).
    HiddenCorner,
    /// Maintenance, litter, graffiti (*vedligehold/graffiti*).
    Maintenance,
    /// Loitering or intimidating groups (*ophold/intimidering*).
    Loitering,
    /// Walkways and crossings (*gangforbindelse*).
    Walkway,
    /// The overall feeling of safety at the spot (*tryghedsfølelse*).
    Feeling,
}

impl ObservationKind {
    /// Every kind, in legend order.
    pub const ALL: [ObservationKind; 7] = [
        ObservationKind::Lighting,
        ObservationKind::Visibility,
        ObservationKind::HiddenCorner,
        ObservationKind::Maintenance,
        ObservationKind::Loitering,
        ObservationKind::Walkway,
        ObservationKind::Feeling,
    ];

    /// The code used in files, URLs and the store.
    pub fn code(self) -> &'static str {
        match self {
            ObservationKind::Lighting => "lighting",
            ObservationKind::Visibility => "visibility",
            ObservationKind::HiddenCorner => "hidden_corner",
            ObservationKind::Maintenance => "maintenance",
            ObservationKind::Loitering => "loitering",
            ObservationKind::Walkway => "walkway",
            ObservationKind::Feeling => "feeling",
        }
    }

    /// Danish and English labels.
    pub fn labels(self) -> Labels {
        let (label_da, label_en) = match self {
            ObservationKind::Lighting => ("Belysning", "Lighting"),
            ObservationKind::Visibility => ("Oversigt", "Visibility"),
            ObservationKind::HiddenCorner => ("Skjult hjørne", "Hidden corner"),
            ObservationKind::Maintenance => ("Vedligehold/graffiti", "Maintenance/graffiti"),
            ObservationKind::Loitering => ("Ophold/intimidering", "Loitering/intimidation"),
            ObservationKind::Walkway => ("Gangforbindelse", "Walkway"),
            ObservationKind::Feeling => ("Tryghedsfølelse", "Feeling of safety"),
        };
        Labels { label_da, label_en }
    }
}

impl fmt::Display for ObservationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for ObservationKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        ObservationKind::ALL
            .into_iter()
            .find(|k| k.code() == s)
            .ok_or_else(|| {
                format!("unknown kind '{s}'; expected lighting, visibility, hidden_corner, maintenance, loitering, walkway or feeling")
            })
    }
}

/// An urban-space observation noted on a safety walk.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    /// Stable id (the store's row id).
    pub id: i64,
    /// What was observed.
    pub kind: ObservationKind,
    /// 1 (very poor / very unsafe) to 5 (good / safe).
    pub rating: u8,
    /// Free text from the walk.
    pub note: String,
    /// When it was observed, Unix seconds (UTC).
    pub observed_at: i64,
    /// Longitude, WGS84 degrees.
    pub lon: f64,
    /// Latitude, WGS84 degrees.
    pub lat: f64,
    /// Where the record came from (`synthetic-demo` for the demo data).
    pub source: String,
    /// The record's id at its source.
    pub source_id: String,
}
