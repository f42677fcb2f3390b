use std::fmt;
use std::str::FromStr;

use super::Labels;

/// An incident category. The codes are the outside contract (DESIGN.md): `violence`, `threats`,
/// `robbery`, `theft`, `burglary`, `vandalism`, `drugs`, `weapons`, `harassment`.
///
/// ```
/// use hotspot::model::Category;
/// let c: Category = "vandalism".parse().unwrap();
/// assert_eq!(c.labels().label_da, "Hærværk");
/// assert!("murder".parse::<Category>().is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum Category {
    /// Violence (*vold*).
    Violence = 0,
    /// Threats (*trusler*); the safety index counts them with violence.
    Threats = 1,
    /// Robbery (*røveri*).
    Robbery = 2,
    /// Theft (*tyveri*).
    Theft = 3,
    /// Burglary (*indbrud*).
    Burglary = 4,
    /// Vandalism (*hærværk*).
    Vandalism = 5,
    /// Drug offences (*narkotika*).
    Drugs = 6,
    /// Weapons-law violations (*våbenloven*), an effect goal of the programme.
    Weapons = 7,
    /// Harassment (*chikane*).
    Harassment = 8,
}

/// A category code that is not one of [`Category::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category '{0}'; expected one of violence, threats, robbery, theft, burglary, vandalism, drugs, weapons, harassment")]
pub struct ParseCategoryError(pub String);

impl Category {
    /// Every category, in the order used for legends and tables.
    pub const ALL: [Category; 9] = [
        Category::Violence,
        Category::Threats,
        Category::Robbery,
        Category::Theft,
        Category::Burglary,
        Category::Vandalism,
        Category::Drugs,
        Category::Weapons,
        Category::Harassment,
    ];

    /// The stable code used in URLs, files and the store.
    pub fn code(self) -> &'static str {
        match self {
            Category::Violence => "violence",
            Category::Threats => "threats",
            Category::Robbery => "robbery",
            Category::Theft => "theft",
            Category::Burglary => "burglary",
            Category::Vandalism => "vandalism",
            Category::Drugs => "drugs",
            Category::Weapons => "weapons",
            Category::Harassment => "harassment",
        }
    }

    /// Danish and English labels.
    pub fn labels(self) -> Labels {
        let (label_da, label_en) = match self {
            Category::Violence => ("Vold", "Violence"),
            Category::Threats => ("Trusler", "Threats"),
            Category::Robbery => ("Røveri", "Robbery"),
            Category::Theft => ("Tyveri", "Theft"),
            Category::Burglary => ("Indbrud", "Burglary"),
            Category::Vandalism => ("Hærværk", "Vandalism"),
            Category::Drugs => ("Narkotika", "Drugs"),
            Category::Weapons => ("Våbenloven", "Weapons law"),
            Category::Harassment => ("Chikane", "Harassment"),
        };
        Labels { label_da, label_en }
    }

    /// The bit of this category in a [`u16`] category mask.
    pub fn bit(self) -> u16 {
        1 << (self as u8)
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Category {
    type Err = ParseCategoryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Category::ALL
            .into_iter()
            .find(|c| c.code() == s)
            .ok_or_else(|| ParseCategoryError(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.code().parse::<Category>(), Ok(c));
        }
        assert!("Violence".parse::<Category>().is_err());
    }

    #[test]
    fn bits_are_distinct() {
        let all = Category::ALL.iter().fold(0u16, |m, c| m | c.bit());
        assert_eq!(all.count_ones(), 9);
    }
}
