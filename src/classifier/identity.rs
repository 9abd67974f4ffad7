//! Identity terms: words that name a group of people by sexual orientation, gender
//! identity, gender, ethnicity, nationality, religion, age, disability or migration.
//!
//! # Why the abuse model does not see them
//! In every abuse corpus we train on, identity terms occur far more often in abusive
//! comments than in ordinary ones, because abuse so often targets a group. Naive Bayes
//! turns that into weight on the word itself: the models before this one scored "I am a
//! gay man and I found this article insightful." abusive 0.86, mostly for `gay` (+3.13),
//! and "Muslims in Pakistan deserve peace." 0.76 (Dixon et al., "Measuring and
//! Mitigating Unintended Bias in Text Classification", 2018, describe the same effect in
//! neural models). Naming a group is not abuse; what is said about it can be. So the abuse
//! model's vocabulary leaves these words out: they carry no weight at training or scoring
//! time, and the words around them decide. The price is that a group name used as an
//! insult on its own ("that is so gay") is no longer caught by that word; slurs are not on
//! this list and still are.
//!
//! The list is of the words' token forms (lower case, apostrophes removed, as
//! [`super::tokenize`] emits them), singular and plural. The identity templates of
//! [`super::bias`] check the effect.

use std::collections::HashSet;
use std::sync::OnceLock;

use super::vectorize::stem;

/// Every identity term, as the tokenizer emits it. Sorted and without duplicates, so an
/// addition shows where it belongs.
pub const IDENTITY_TERMS: &[&str] = &[
    "aboriginal",
    "afghan",
    "afghans",
    "african",
    "africans",
    "american",
    "americans",
    "arab",
    "arabs",
    "asexual",
    "asian",
    "asians",
    "atheist",
    "atheists",
    "autistic",
    "bisexual",
    "bisexuals",
    "black",
    "blacks",
    "blind",
    "boomer",
    "boomers",
    "boy",
    "boys",
    "buddhist",
    "buddhists",
    "canadian",
    "canadians",
    "catholic",
    "catholics",
    "caucasian",
    "caucasians",
    "chinese",
    "christian",
    "christianity",
    "christians",
    "cis",
    "cisgender",
    "deaf",
    "disabled",
    "elderly",
    "european",
    "europeans",
    "evangelical",
    "evangelicals",
    "female",
    "females",
    "filipino",
    "filipinos",
    "gay",
    "gays",
    "girl",
    "girls",
    "handicapped",
    "hawaiian",
    "hawaiians",
    "heterosexual",
    "heterosexuals",
    "hindu",
    "hindus",
    "hispanic",
    "hispanics",
    "homosexual",
    "homosexuality",
    "homosexuals",
    "immigrant",
    "immigrants",
    "indian",
    "indians",
    "indigenous",
    "intersex",
    "iranian",
    "iranians",
    "iraqi",
    "iraqis",
    "islam",
    "islamic",
    "israeli",
    "israelis",
    "japanese",
    "jew",
    "jewish",
    "jews",
    "judaism",
    "korean",
    "koreans",
    "ladies",
    "lady",
    "latina",
    "latinas",
    "latino",
    "latinos",
    "latinx",
    "lesbian",
    "lesbians",
    "lgbt",
    "lgbtq",
    "lgbtqia",
    "male",
    "males",
    "man",
    "men",
    "mexican",
    "mexicans",
    "migrant",
    "migrants",
    "millennial",
    "millennials",
    "mormon",
    "mormons",
    "moslem",
    "moslems",
    "muslim",
    "muslims",
    "native",
    "natives",
    "nigerian",
    "nigerians",
    "nonbinary",
    "old",
    "older",
    "pakistani",
    "pakistanis",
    "palestinian",
    "palestinians",
    "paralyzed",
    "protestant",
    "protestants",
    "queer",
    "queers",
    "refugee",
    "refugees",
    "russian",
    "russians",
    "sikh",
    "sikhs",
    "somali",
    "somalis",
    "straight",
    "syrian",
    "syrians",
    "taoist",
    "teenage",
    "teenager",
    "teenagers",
    "trans",
    "transgender",
    "transgendered",
    "transgenders",
    "transsexual",
    "transsexuals",
    "turkish",
    "vietnamese",
    "white",
    "whites",
    "woman",
    "women",
    "young",
    "younger",
];

/// Whether `token` (a tokenizer token, or a bigram of two) names an identity group. A
/// bigram counts when either of its words does.
pub fn is_identity_term(token: &str) -> bool {
    // A feature names a word without its plural `s` (`muslims` is the feature `muslim`):
    // the terms as written and as features, a set built once.
    static WORDS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    let words = WORDS.get_or_init(|| {
        IDENTITY_TERMS
            .iter()
            .flat_map(|term| [*term, stem(term)])
            .collect()
    });
    token.split(' ').any(|word| words.contains(word))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::classifier::tokenize::tokenize;

    /// The list is sorted and without duplicates, and every
    /// entry is a single token exactly as the tokenizer emits it.
    #[test]
    fn list_is_sorted_and_in_token_form() {
        assert!(IDENTITY_TERMS.windows(2).all(|w| w[0] < w[1]));
        for term in IDENTITY_TERMS {
            assert_eq!(tokenize(term), vec![term.to_string()], "{term}");
        }
    }

    #[test]
    fn words_and_bigrams() {
        assert!(is_identity_term("muslims"));
        assert!(is_identity_term("gay"));
        assert!(is_identity_term("the jewish"));
        assert!(!is_identity_term("idiot"));
        assert!(!is_identity_term("gaylord"));
        assert!(!is_identity_term(""));
    }
}
