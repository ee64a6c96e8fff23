//! Given names compared as registration desks write them: a nickname for the full name, a middle
//! name used as the first, an initial, a typo.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agreement {
    Same,
    Close,
    /// One record's only given name is the other's middle name: the person goes by it, or it is a
    /// sibling whose first name is the other's middle name. Never enough alone.
    Middle,
    Different,
}

/// Nickname -> the names it may stand for, from `data/nicknames.txt`.
fn nicknames() -> &'static HashMap<&'static str, Vec<&'static str>> {
    static TABLE: OnceLock<HashMap<&'static str, Vec<&'static str>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut table: HashMap<&str, Vec<&str>> = HashMap::new();
        for line in include_str!("../data/nicknames.txt").lines().filter(|l| !l.starts_with('#')) {
            if let Some((nick, full)) = line.split_once(' ') {
                table.entry(nick).or_default().push(full.trim());
            }
        }
        table
    })
}

/// One name, or a nickname of the other, or both short for the same name.
pub fn same_name(x: &str, y: &str) -> bool {
    if x == y {
        return true;
    }
    let table = nicknames();
    let of = |n: &str| table.get(n).map(Vec::as_slice).unwrap_or_default();
    of(x).contains(&y) || of(y).contains(&x) || of(x).iter().any(|t| of(y).contains(t))
}

fn close_name(x: &str, y: &str) -> bool {
    let initial = |i: &str, n: &str| i.len() == 1 && n.starts_with(i);
    initial(x, y) || initial(y, x) || (x.len() > 2 && y.len() > 2 && (strsim::jaro_winkler(x, y) >= 0.88 || strsim::damerau_levenshtein(x, y) <= 1))
}

/// How two lists of given names agree; `None` when either is missing.
pub fn given_agreement(a: &[String], b: &[String]) -> Option<Agreement> {
    let (first_a, first_b) = (a.first()?, b.first()?);
    if same_name(first_a, first_b) {
        // Two given names each, the first shared and the second clearly not: "Maria Elena" and
        // "Maria Luisa" are sisters, not one person.
        if let (Some(x), Some(y)) = (a.get(1), b.get(1)) {
            if !same_name(x, y) && !close_name(x, y) {
                return Some(Agreement::Different);
            }
        }
        return Some(Agreement::Same);
    }
    if close_name(first_a, first_b) {
        return Some(Agreement::Close);
    }
    // A middle name used as the first ("María José" and "José"). Two full sets of given names with
    // different first names are two people, however the middle names agree.
    let single = a.len() == 1 || b.len() == 1;
    if single && a.iter().any(|x| b.iter().any(|y| x.len() > 1 && same_name(x, y))) {
        return Some(Agreement::Middle);
    }
    Some(Agreement::Different)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<String> {
        text.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn given_names_agree_the_way_people_write_them() {
        let agreement = |a: &str, b: &str| given_agreement(&names(a), &names(b));
        assert_eq!(agreement("bill", "william"), Some(Agreement::Same));
        assert_eq!(agreement("peggy", "maggie"), Some(Agreement::Same), "both short for margaret");
        assert_eq!(agreement("maria jose", "jose"), Some(Agreement::Middle));
        assert_eq!(agreement("lucia jessica", "ruth jessica"), Some(Agreement::Different));
        assert_eq!(agreement("maria elena", "maria luisa"), Some(Agreement::Different));
        assert_eq!(agreement("jonathon", "jonathan"), Some(Agreement::Close));
        assert_eq!(agreement("j", "james"), Some(Agreement::Close));
        assert_eq!(agreement("ann", "beth"), Some(Agreement::Different));
        assert_eq!(agreement("", "beth"), None);
    }
}
