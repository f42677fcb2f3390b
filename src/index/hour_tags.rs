//! A point's class and hour packed in 32 bits, kept beside it in a grouped
//! [`PointIndex`](super::PointIndex), so counting the items of one position by class within a
//! time window reads one run of memory instead of every item.
//!
//! Only for items whose times are whole hours (the public incidents, their times floored to
//! the hour): the tag then holds the time exactly, and a time filter on tags answers as the
//! same filter on the items.

/// Bits of a tag holding the hour; the class takes the 5 above.
const HOUR_BITS: u32 = 27;

/// The packing for one set of times: hours counted from the earliest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourTags {
    /// The earliest hour, in hours since the Unix epoch (UTC).
    base_hour: i64,
}

impl HourTags {
    /// The packing for `times` (Unix seconds UTC), when every one is a whole hour and they
    /// span fewer than 2^27 hours (15,000 years); `None` otherwise or when there are none.
    pub fn for_times(times: impl Iterator<Item = i64>) -> Option<HourTags> {
        let mut min: Option<i64> = None;
        let mut max = i64::MIN;
        for t in times {
            if t.rem_euclid(3600) != 0 {
                return None;
            }
            let h = t.div_euclid(3600);
            min = Some(min.map_or(h, |m| m.min(h)));
            max = max.max(h);
        }
        let base_hour = min?;
        (max - base_hour < 1 << HOUR_BITS).then_some(HourTags { base_hour })
    }

    /// The tag of an item of `class` (< 32) at `t` (Unix seconds, a whole hour within the
    /// span this packing was made for).
    pub fn tag(&self, class: u8, t: i64) -> u32 {
        debug_assert!(class < 32 && t.rem_euclid(3600) == 0);
        ((class as u32) << HOUR_BITS) | (t.div_euclid(3600) - self.base_hour) as u32
    }

    /// The class of a tag.
    pub fn class(tag: u32) -> u8 {
        (tag >> HOUR_BITS) as u8
    }

    /// The hour part of the tags whose times lie in `[start, end]` (Unix seconds, both
    /// included), as an inclusive range; empty (`lo > hi`) when none can.
    pub fn hours_in(&self, (start, end): (i64, i64)) -> (u32, u32) {
        let lo = start.div_euclid(3600) + i64::from(start.rem_euclid(3600) != 0) - self.base_hour;
        let hi = end.div_euclid(3600) - self.base_hour;
        let top = (1i64 << HOUR_BITS) - 1;
        if hi < 0 || lo > top || lo > hi {
            return (1, 0);
        }
        (lo.max(0) as u32, hi.min(top) as u32)
    }

    /// The hour part of a tag.
    pub fn hour(tag: u32) -> u32 {
        tag & ((1 << HOUR_BITS) - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn only_whole_hours_within_the_span_get_a_packing() {
        assert!(HourTags::for_times([3600, 7200].into_iter()).is_some());
        assert_eq!(HourTags::for_times([3600, 7201].into_iter()), None);
        assert_eq!(HourTags::for_times(std::iter::empty()), None);
        assert_eq!(
            HourTags::for_times([0, (1i64 << 27) * 3600].into_iter()),
            None,
            "a span of 2^27 hours does not fit"
        );
        assert!(HourTags::for_times([-7200, 0].into_iter()).is_some());
    }

    proptest! {
        /// A time filter on the tags keeps exactly the items the same filter on their times
        /// keeps, and the class comes back.
        #[test]
        fn filtering_tags_is_filtering_times(
            hours in proptest::collection::vec(-50_000i64..50_000, 1..50),
            class in 0u8..32,
            start in -200_000_000i64..200_000_000,
            len in 0i64..100_000_000,
        ) {
            let times: Vec<i64> = hours.iter().map(|h| h * 3600).collect();
            let p = HourTags::for_times(times.iter().copied()).unwrap();
            let (lo, hi) = p.hours_in((start, start + len));
            for &t in &times {
                let tag = p.tag(class, t);
                prop_assert_eq!(HourTags::class(tag), class);
                let h = HourTags::hour(tag);
                prop_assert_eq!(lo <= h && h <= hi, (start..=start + len).contains(&t));
            }
        }
    }
}
