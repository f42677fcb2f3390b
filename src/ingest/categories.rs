//! Mapping source crime types to hotspot's categories. Shipped defaults for police.uk and the
//! Vancouver Police Department; a TOML file (`[categories]` table, `"Source type" = "code"` or
//! `"ignore"`) adds to or overrides them. A type no mapping covers is reported, never guessed.

use std::collections::HashMap;

use crate::model::Category;

/// What a source type maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mapped {
    /// One of our categories.
    To(Category),
    /// Not a crime type this service tracks; the row is skipped and counted.
    Ignore,
}

/// police.uk's crime types. "Public order" is mapped to harassment (it holds harassment and
/// threatening-behaviour offences) and "Other crime" is ignored — this service's convention.
pub const POLICE_UK: &[(&str, &str)] = &[
    ("Anti-social behaviour", "ignore"),
    ("Bicycle theft", "theft"),
    ("Burglary", "burglary"),
    ("Criminal damage and arson", "vandalism"),
    ("Drugs", "drugs"),
    ("Other crime", "ignore"),
    ("Other theft", "theft"),
    ("Possession of weapons", "weapons"),
    ("Public order", "harassment"),
    ("Robbery", "robbery"),
    ("Shoplifting", "theft"),
    ("Theft from the person", "theft"),
    ("Vehicle crime", "theft"),
    ("Violence and sexual offences", "violence"),
];

/// The Vancouver Police Department's types; traffic collisions are not crimes here.
pub const VPD: &[(&str, &str)] = &[
    ("Break and Enter Commercial", "burglary"),
    ("Break and Enter Residential/Other", "burglary"),
    ("Homicide", "violence"),
    ("Mischief", "vandalism"),
    ("Offence Against a Person", "violence"),
    ("Other Theft", "theft"),
    ("Theft from Vehicle", "theft"),
    ("Theft of Bicycle", "theft"),
    ("Theft of Vehicle", "theft"),
    (
        "Vehicle Collision or Pedestrian Struck (with Fatality)",
        "ignore",
    ),
    (
        "Vehicle Collision or Pedestrian Struck (with Injury)",
        "ignore",
    ),
];

/// A source-type → category table. Our own codes always map to themselves.
#[derive(Debug, Clone, Default)]
pub struct CategoryMap {
    map: HashMap<String, Mapped>,
}

fn parse_target(v: &str) -> Result<Mapped, String> {
    if v == "ignore" {
        Ok(Mapped::Ignore)
    } else {
        v.parse::<Category>()
            .map(Mapped::To)
            .map_err(|e| e.to_string())
    }
}

impl CategoryMap {
    /// A table from `(source type, code or "ignore")` pairs.
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        let mut m = CategoryMap::default();
        for (k, v) in pairs {
            m.map.insert(
                k.to_string(),
                parse_target(v).expect("shipped mappings are valid"),
            );
        }
        m
    }

    /// Adds or overrides one entry (`target` is a category code or `ignore`).
    pub fn insert(&mut self, source_type: &str, target: &str) -> Result<(), String> {
        let t = parse_target(target)
            .map_err(|e| format!("categories.\"{source_type}\": {e} (or \"ignore\")"))?;
        self.map.insert(source_type.to_owned(), t);
        Ok(())
    }

    /// Adds or overrides entries from a TOML text with a `[categories]` table.
    pub fn merge_toml(&mut self, text: &str) -> Result<(), String> {
        #[derive(serde::Deserialize)]
        struct File {
            categories: HashMap<String, String>,
        }
        let f: File = toml::from_str(text).map_err(|e| e.to_string())?;
        for (k, v) in f.categories {
            let t =
                parse_target(&v).map_err(|e| format!("categories.\"{k}\": {e} (or \"ignore\")"))?;
            self.map.insert(k, t);
        }
        Ok(())
    }

    /// Maps a source type; `None` when nothing covers it.
    pub fn get(&self, source_type: &str) -> Option<Mapped> {
        let t = source_type.trim();
        if let Some(m) = self.map.get(t) {
            return Some(*m);
        }
        t.parse::<Category>().ok().map(Mapped::To)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_overrides() {
        let mut m = CategoryMap::from_pairs(POLICE_UK);
        assert_eq!(m.get("Burglary"), Some(Mapped::To(Category::Burglary)));
        assert_eq!(m.get("Anti-social behaviour"), Some(Mapped::Ignore));
        assert_eq!(m.get("theft"), Some(Mapped::To(Category::Theft)));
        assert_eq!(m.get("Arson"), None);
        m.merge_toml("[categories]\n\"Public order\" = \"ignore\"\n\"Arson\" = \"vandalism\"\n")
            .unwrap();
        assert_eq!(m.get("Public order"), Some(Mapped::Ignore));
        assert_eq!(m.get("Arson"), Some(Mapped::To(Category::Vandalism)));
        let e = m
            .merge_toml("[categories]\n\"X\" = \"murder\"\n")
            .unwrap_err();
        assert!(e.contains("categories.\"X\""), "{e}");
    }
}
