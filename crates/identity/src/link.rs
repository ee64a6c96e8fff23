//! Who is who across sources. Records are paired within blocks (same birth date or its day-month swap,
//! family name and initial, phone, email), scored, and joined into persons in this order: staff
//! decisions, a source's own merges, shared identifiers of the clinic's "same person" systems, then
//! scores at or above the upper threshold. A person holds at most one live record per source, and two
//! records staff marked "not the same person" are never joined; a scored pair that would break either
//! goes to review, as do pairs between the thresholds.

use crate::record::{Record, RecordKey};
use crate::score::{compare, Score};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The clinic's linking rules (`[identity]` in config.toml).
#[derive(Debug, Clone, PartialEq)]
pub struct LinkRules {
    /// Identifier systems whose value names one person wherever it appears (an enterprise MRN).
    pub same_person_systems: Vec<String>,
    /// At or above: linked without a person looking.
    pub auto_at: f64,
    /// At or above (and below `auto_at`): put to staff in the review queue.
    pub review_at: f64,
}

/// The clinic's config's defaults (`[identity]` in config.toml).
impl Default for LinkRules {
    fn default() -> Self {
        use switchboard_core::config::{DEFAULT_AUTO_LINK_AT, DEFAULT_REVIEW_AT};
        LinkRules { same_person_systems: Vec::new(), auto_at: DEFAULT_AUTO_LINK_AT, review_at: DEFAULT_REVIEW_AT }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    Same,
    NotSame,
}

/// A person's decision about two records; the later of two decisions on one pair stands.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Decision {
    pub a: RecordKey,
    pub b: RecordKey,
    pub verdict: Verdict,
}

/// Why two records are one person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkBasis {
    Staff,
    SourceMerge,
    Identifier,
    Score,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Link {
    pub a: RecordKey,
    pub b: RecordKey,
    pub basis: LinkBasis,
    pub score: Option<Score>,
}

/// A pair put to staff: scored between the thresholds, or above the upper one but against a rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub a: RecordKey,
    pub b: RecordKey,
    pub score: Score,
}

#[derive(Debug, Clone, Default)]
pub struct Linkage {
    /// Each person's records, the first being the one the person is known by.
    pub persons: Vec<Vec<RecordKey>>,
    pub links: Vec<Link>,
    pub review: Vec<Candidate>,
}

impl Linkage {
    /// Record -> index into `persons`.
    pub fn person_of(&self) -> HashMap<&RecordKey, usize> {
        self.persons.iter().enumerate().flat_map(|(i, keys)| keys.iter().map(move |k| (k, i))).collect()
    }
}

/// Blocks larger than this (a clinic's own phone on every record) pair nothing: they say nothing.
pub const MAX_BLOCK: usize = 400;

pub fn link(records: &[Record], rules: &LinkRules, decisions: &[Decision]) -> Linkage {
    link_among(records, rules, decisions, &HashSet::new())
}

/// `link` over some of the clinic's records, with the blocks that are too large across the whole
/// clinic (`oversized`, from `candidate_keys`) pairing nothing here either, so that the same pairs
/// are scored as in a link of everyone.
pub fn link_among(records: &[Record], rules: &LinkRules, decisions: &[Decision], oversized: &HashSet<String>) -> Linkage {
    let index: HashMap<&RecordKey, usize> = records.iter().enumerate().map(|(i, r)| (r.key(), i)).collect();
    let mut persons = Persons::new(records);
    let mut links = Vec::new();
    let mut review = Vec::new();
    let not_same: HashSet<(usize, usize)> =
        decisions.iter().filter(|d| d.verdict == Verdict::NotSame).filter_map(|d| Some(ordered(*index.get(&d.a)?, *index.get(&d.b)?))).collect();
    persons.forbidden = not_same.clone();

    for decision in decisions.iter().filter(|d| d.verdict == Verdict::Same) {
        if let (Some(&a), Some(&b)) = (index.get(&decision.a), index.get(&decision.b)) {
            if persons.join(a, b, true) {
                links.push(Link { a: decision.a.clone(), b: decision.b.clone(), basis: LinkBasis::Staff, score: None });
            }
        }
    }
    for (i, record) in records.iter().enumerate() {
        for survivor in &record.replaced_by {
            if let Some(&j) = index.get(&RecordKey::new(&record.key().source, survivor)) {
                if persons.join(i, j, true) {
                    links.push(Link { a: record.key().clone(), b: records[j].key().clone(), basis: LinkBasis::SourceMerge, score: None });
                }
            }
        }
    }
    let mut by_identifier: HashMap<(&str, &str), Vec<usize>> = HashMap::new();
    for (i, record) in records.iter().enumerate() {
        for (system, value) in record.identifiers.iter().filter(|(s, _)| rules.same_person_systems.contains(s)) {
            by_identifier.entry((system, value)).or_default().push(i);
        }
    }
    for group in by_identifier.values() {
        for &j in &group[1..] {
            if persons.join(group[0], j, false) {
                links.push(Link { a: records[group[0]].key().clone(), b: records[j].key().clone(), basis: LinkBasis::Identifier, score: None });
            }
        }
    }

    let mut scored: Vec<(usize, usize, Score)> = candidate_pairs(records, oversized)
        .into_iter()
        .filter(|pair| !not_same.contains(pair))
        .filter(|&(a, b)| !conflicting_identifiers(&records[a], &records[b], rules))
        .map(|(a, b)| (a, b, compare(&records[a], &records[b])))
        .filter(|(_, _, s)| s.weight >= rules.review_at)
        .collect();
    scored.sort_by(|x, y| y.2.weight.total_cmp(&x.2.weight).then_with(|| (x.0, x.1).cmp(&(y.0, y.1))));
    for (a, b, score) in scored {
        if persons.same(a, b) {
            continue;
        }
        if score.weight >= rules.auto_at && persons.join(a, b, false) {
            links.push(Link { a: records[a].key().clone(), b: records[b].key().clone(), basis: LinkBasis::Score, score: Some(score) });
        } else {
            review.push(Candidate { a: records[a].key().clone(), b: records[b].key().clone(), score });
        }
    }
    // A pair put to review whose records were joined by a stronger link later is settled, and two
    // persons are put to staff once (their likeliest pair: the queue is already in score order).
    let mut asked = HashSet::new();
    review.retain(|c| {
        let (a, b) = (persons.root(index[&c.a]), persons.root(index[&c.b]));
        a != b && asked.insert(ordered(a, b))
    });
    Linkage { persons: persons.groups(records), links, review }
}

fn ordered(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

/// Both records carry a "same person" identifier of one system, with different values: two people.
fn conflicting_identifiers(a: &Record, b: &Record, rules: &LinkRules) -> bool {
    a.identifiers.iter().filter(|(s, _)| rules.same_person_systems.contains(s)).any(|(system, value)| {
        let theirs: Vec<&String> = b.identifiers.iter().filter(|(s, _)| s == system).map(|(_, v)| v).collect();
        !theirs.is_empty() && !theirs.contains(&value)
    })
}

/// Every pair of records from different sources sharing a block.
fn candidate_pairs(records: &[Record], oversized: &HashSet<String>) -> HashSet<(usize, usize)> {
    let mut blocks: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, record) in records.iter().enumerate() {
        for key in block_keys(record).into_iter().filter(|k| !oversized.contains(k)) {
            blocks.entry(key).or_default().push(i);
        }
    }
    let mut pairs = HashSet::new();
    for members in blocks.values().filter(|m| m.len() > 1 && m.len() <= MAX_BLOCK) {
        for (n, &a) in members.iter().enumerate() {
            for &b in &members[n + 1..] {
                if records[a].key().source != records[b].key().source {
                    pairs.insert(ordered(a, b));
                }
            }
        }
    }
    pairs
}

/// The keys a record can be linked through: its blocks, and its identifiers of the "same person"
/// systems. Records sharing none of them are never joined except by staff or a source's merge.
pub fn candidate_keys(record: &Record, rules: &LinkRules) -> Vec<String> {
    let mut keys = block_keys(record);
    let shared = record.identifiers.iter().filter(|(system, _)| rules.same_person_systems.contains(system));
    keys.extend(shared.map(|(system, value)| format!("i:{system}|{value}")));
    keys
}

fn block_keys(record: &Record) -> Vec<String> {
    let mut keys = Vec::new();
    for birth in record.birth.iter().chain(record.birth_swapped().iter()) {
        keys.push(format!("b:{birth}"));
    }
    let initial = record.given.first().and_then(|g| g.chars().next());
    for family in record.family_forms() {
        if let Some(initial) = initial {
            keys.push(format!("n:{family}|{initial}"));
        }
        // Given and family written in each other's field.
        for given in record.given.iter().take(1) {
            let (low, high) = if family <= *given { (&family, given) } else { (given, &family) };
            keys.push(format!("x:{low}|{high}"));
        }
    }
    keys.extend(record.phones.iter().map(|p| format!("p:{p}")));
    keys.extend(record.emails.iter().map(|e| format!("e:{e}")));
    keys.sort();
    keys.dedup();
    keys
}

/// Union-find over records, keeping each person's sources so two records of one source never join
/// (except through that source's own merge), and the pairs staff said are two people.
struct Persons<'a> {
    records: &'a [Record],
    parent: Vec<usize>,
    sources: Vec<Vec<&'a str>>,
    members: Vec<Vec<usize>>,
    forbidden: HashSet<(usize, usize)>,
}

impl<'a> Persons<'a> {
    fn new(records: &'a [Record]) -> Self {
        Persons {
            records,
            parent: (0..records.len()).collect(),
            // A record its source replaced is no longer live there: it does not hold the source's place.
            sources: records.iter().map(|r| if r.replaced_by.is_empty() { vec![r.key().source.as_str()] } else { Vec::new() }).collect(),
            members: (0..records.len()).map(|i| vec![i]).collect(),
            forbidden: HashSet::new(),
        }
    }

    fn root(&mut self, mut i: usize) -> usize {
        while self.parent[i] != i {
            self.parent[i] = self.parent[self.parent[i]];
            i = self.parent[i];
        }
        i
    }

    fn same(&mut self, a: usize, b: usize) -> bool {
        self.root(a) == self.root(b)
    }

    /// Joins the persons of `a` and `b`; false when they are one already or a rule forbids it.
    /// `same_source_ok` lets a source's own merge (or a staff decision) join two of its records.
    fn join(&mut self, a: usize, b: usize, same_source_ok: bool) -> bool {
        let (ra, rb) = (self.root(a), self.root(b));
        if ra == rb {
            return false;
        }
        if !same_source_ok && self.sources[ra].iter().any(|s| self.sources[rb].contains(s)) {
            return false;
        }
        if self.members[ra].iter().any(|&x| self.members[rb].iter().any(|&y| self.forbidden.contains(&ordered(x, y)))) {
            return false;
        }
        let (keep, gone) = if self.members[ra].len() >= self.members[rb].len() { (ra, rb) } else { (rb, ra) };
        self.parent[gone] = keep;
        let moved = std::mem::take(&mut self.members[gone]);
        self.members[keep].extend(moved);
        let sources = std::mem::take(&mut self.sources[gone]);
        self.sources[keep].extend(sources);
        true
    }

    fn groups(mut self, records: &[Record]) -> Vec<Vec<RecordKey>> {
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for i in 0..self.records.len() {
            let root = self.root(i);
            groups.entry(root).or_default().push(i);
        }
        let mut persons: Vec<Vec<RecordKey>> = groups.into_values().map(|g| g.into_iter().map(|i| records[i].key().clone()).collect()).collect();
        for person in &mut persons {
            person.sort();
        }
        persons.sort();
        persons
    }
}
