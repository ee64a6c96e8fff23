//! Linking scored against known truth: precision of what was linked without a person looking, and
//! recall with and without the review queue.

use crate::link::Linkage;
use crate::record::RecordKey;
use std::collections::HashSet;

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    /// Pairs of records that are one person.
    pub true_pairs: usize,
    /// Pairs joined into one person (without a person looking).
    pub linked_pairs: usize,
    /// Of those, pairs that are two people.
    pub wrongly_linked: usize,
    /// True pairs joined, and true pairs joined or put to review.
    pub found_linked: usize,
    pub found_with_review: usize,
    pub review_pairs: usize,
}

impl Figures {
    pub fn precision(&self) -> f64 {
        if self.linked_pairs == 0 {
            1.0
        } else {
            (self.linked_pairs - self.wrongly_linked) as f64 / self.linked_pairs as f64
        }
    }

    pub fn recall_linked(&self) -> f64 {
        self.found_linked as f64 / self.true_pairs.max(1) as f64
    }

    pub fn recall_with_review(&self) -> f64 {
        self.found_with_review as f64 / self.true_pairs.max(1) as f64
    }
}

impl std::fmt::Display for Figures {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "precision {:.3} ({} of {} linked pairs wrong), recall {:.3} linked, {:.3} with review ({} true pairs, {} in review)",
            self.precision(),
            self.wrongly_linked,
            self.linked_pairs,
            self.recall_linked(),
            self.recall_with_review(),
            self.true_pairs,
            self.review_pairs
        )
    }
}

fn pairs(groups: &[Vec<RecordKey>]) -> HashSet<(RecordKey, RecordKey)> {
    let mut all = HashSet::new();
    for group in groups {
        for (n, a) in group.iter().enumerate() {
            for b in &group[n + 1..] {
                all.insert(if a < b { (a.clone(), b.clone()) } else { (b.clone(), a.clone()) });
            }
        }
    }
    all
}

/// `truth`: each real person's records.
pub fn evaluate(linkage: &Linkage, truth: &[Vec<RecordKey>]) -> Figures {
    let true_pairs = pairs(truth);
    let linked = pairs(&linkage.persons);
    let review: HashSet<(RecordKey, RecordKey)> =
        linkage.review.iter().map(|c| if c.a < c.b { (c.a.clone(), c.b.clone()) } else { (c.b.clone(), c.a.clone()) }).collect();
    let found_linked = true_pairs.intersection(&linked).count();
    Figures {
        true_pairs: true_pairs.len(),
        linked_pairs: linked.len(),
        wrongly_linked: linked.difference(&true_pairs).count(),
        found_linked,
        found_with_review: found_linked + true_pairs.iter().filter(|p| !linked.contains(*p) && review.contains(*p)).count(),
        review_pairs: review.len(),
    }
}
