//! Patient identity across sources, a small master patient index: records reduced to comparable parts
//! (`record`), given names compared with nicknames and initials (`names`), Fellegi-Sunter weights per
//! field (`score`), and persons made from staff decisions, a source's own merges, shared identifiers
//! and scores, with a review queue between two thresholds (`link`). Pure: no cache, no network.

mod eval;
mod link;
mod names;
mod record;
mod score;

pub use eval::{evaluate, Figures};
pub use link::{candidate_keys, link, link_among, Candidate, Decision, Link, LinkBasis, LinkRules, Linkage, Verdict, MAX_BLOCK};
pub use names::same_name;
pub use record::{fold, Record, RecordKey};
pub use score::{compare, Score};
