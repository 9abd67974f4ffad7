//! Look-alike letters: does writing a held comment with Cyrillic letters that look Latin
//! (`Сheck оut my сhannel`) get it past the models?
//!
//! [`disguise`] swaps every Latin letter that has a Cyrillic twin for that twin, the way
//! spammers and trolls do; [`report`] takes comments a model holds, disguises them and
//! counts how many it still holds. `train` prints this for both models it wrote, on the
//! positives of the validation split.
use serde::Serialize;

use super::model::TaskModel;

/// Latin letters and their Cyrillic look-alikes (the letters that render the same in
/// common fonts).
const TWINS: &[(char, char)] = &[
    ('a', 'а'),
    ('c', 'с'),
    ('e', 'е'),
    ('i', 'і'),
    ('j', 'ј'),
    ('o', 'о'),
    ('p', 'р'),
    ('s', 'ѕ'),
    ('x', 'х'),
    ('y', 'у'),
    ('A', 'А'),
    ('B', 'В'),
    ('C', 'С'),
    ('E', 'Е'),
    ('H', 'Н'),
    ('I', 'І'),
    ('K', 'К'),
    ('M', 'М'),
    ('O', 'О'),
    ('P', 'Р'),
    ('T', 'Т'),
    ('X', 'Х'),
];

/// `text` with every Latin letter that has a Cyrillic twin replaced by it.
pub fn disguise(text: &str) -> String {
    text.chars()
        .map(|c| {
            TWINS
                .iter()
                .find(|(latin, _)| *latin == c)
                .map_or(c, |&(_, twin)| twin)
        })
        .collect()
}

/// How many held comments stay held once disguised.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LookalikeReport {
    /// Comments held as written.
    pub held: usize,
    /// Of those, still held when disguised.
    pub still_held: usize,
}

impl LookalikeReport {
    pub fn share(&self) -> f64 {
        if self.held == 0 {
            1.0
        } else {
            self.still_held as f64 / self.held as f64
        }
    }
}

/// Disguises the `texts` that `model` holds at `threshold` and counts those still held.
pub fn report<'a>(
    model: &TaskModel,
    threshold: f64,
    texts: impl IntoIterator<Item = &'a str>,
) -> LookalikeReport {
    let mut r = LookalikeReport {
        held: 0,
        still_held: 0,
    };
    for text in texts {
        if model.score(text).probability >= threshold {
            r.held += 1;
            r.still_held += usize::from(model.score(&disguise(text)).probability >= threshold);
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disguise_swaps_only_twins() {
        let d = disguise("Check out my channel!");
        assert_eq!(d, "Сhесk оut mу сhаnnеl!");
        assert!(d.chars().any(|c| ('\u{0400}'..='\u{04FF}').contains(&c)));
        assert_ne!(d, "Check out my channel!");
        assert_eq!(disguise("123 !?"), "123 !?");
    }
}
