//! Matching names people type against the state and district lists: the
//! same name ignoring case and spacing, or else the names close enough to be
//! what they meant (a typo, a transposition, one word of a longer name),
//! closest first. Inputs longer than any real name get no suggestions, so
//! what a comparison costs stays bounded whatever is sent.

/// The longest input compared; real names are under 40 characters.
const MAX_COMPARED: usize = 64;

/// At most this many suggestions.
const MAX_SUGGESTIONS: usize = 5;

/// `name` lower-cased with its whitespace collapsed.
pub fn normalise(name: &str) -> String {
    name.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

pub fn same_name(a: &str, b: &str) -> bool {
    normalise(a) == normalise(b)
}

/// `name` as an error message shows it: trimmed, and cut short if long.
pub fn shown(name: &str) -> String {
    let name = name.trim();
    match name.char_indices().nth(MAX_COMPARED) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_owned(),
    }
}

/// The names among `names` close to `wanted`, closest first (ties in
/// alphabetical order); none when nothing is close.
pub fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let wanted = normalise(wanted);
    let len = wanted.chars().count();
    if len == 0 || len > MAX_COMPARED {
        return Vec::new();
    }
    let mut scored: Vec<(u8, usize, &str)> = names
        .filter_map(|name| {
            let (rank, distance) = closeness(&wanted, len, &normalise(name))?;
            Some((rank, distance, name))
        })
        .collect();
    scored.sort();
    scored
        .into_iter()
        .take(MAX_SUGGESTIONS)
        .map(|(_, _, name)| name.to_owned())
        .collect()
}

/// How close `candidate` is to `wanted` (`len` characters), if close at
/// all: rank 0 for a few typos in the whole name (about one edit per three
/// characters), rank 1 for a word of it or a part of it; then the distance.
fn closeness(wanted: &str, len: usize, candidate: &str) -> Option<(u8, usize)> {
    let distance = strsim::osa_distance(wanted, candidate);
    if len >= 3 && distance <= (len / 3).max(1) {
        return Some((0, distance));
    }
    let word_typo = |word: &str| strsim::osa_distance(wanted, word) <= (len / 4).max(1);
    let part = candidate.contains(wanted) || candidate.split(' ').any(word_typo);
    (len >= 4 && part).then_some((1, distance))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BIHAR: [&str; 8] = [
        "Patna",
        "Purnia",
        "Gaya",
        "Nalanda",
        "Rohtas",
        "West Champaran",
        "East Champaran",
        "Katihar",
    ];

    #[test]
    fn names_match_ignoring_case_and_extra_spaces() {
        assert!(same_name("West Bengal", "  west   BENGAL "));
        assert!(!same_name("Bihar", "Bihar Sharif"));
    }

    #[test]
    fn a_typo_suggests_the_name_meant_and_nothing_else() {
        assert_eq!(closest("Patan", BIHAR.into_iter()), ["Patna"]);
        assert_eq!(closest("purnea", BIHAR.into_iter()), ["Purnia"]);
        let bengal = ["Kolkata", "Nadia", "Malda", "Howrah"];
        assert_eq!(closest("kolkatta", bengal.into_iter()), ["Kolkata"]);
    }

    #[test]
    fn a_word_of_a_longer_name_suggests_every_name_holding_it_alphabetically() {
        assert_eq!(
            closest("champaran", BIHAR.into_iter()),
            ["East Champaran", "West Champaran"]
        );
    }

    #[test]
    fn a_name_like_none_gets_no_suggestions() {
        assert!(closest("Gotham", BIHAR.into_iter()).is_empty());
        assert!(closest("x", BIHAR.into_iter()).is_empty());
        assert!(closest("", BIHAR.into_iter()).is_empty());
    }

    #[test]
    fn long_inputs_are_not_compared_and_are_shown_cut_short() {
        let long = "Patna".repeat(100);
        assert!(closest(&long, BIHAR.into_iter()).is_empty());
        assert_eq!(shown(&long).chars().count(), MAX_COMPARED + 1);
        assert_eq!(shown("  Patan "), "Patan");
    }
}
