//! Unintended identity bias, measured the way Dixon et al. ("Measuring and Mitigating
//! Unintended Bias in Text Classification", AIES 2018) do: fill the same sentence
//! templates with many identity terms and compare how the abuse model treats them.
//!
//! Each template comes in two versions written for this purpose (they are test sentences,
//! not training data): a neutral one that merely mentions the group, and the same
//! sentence with an insult in it. A model without identity bias holds none of the
//! neutral sentences, whatever the group, and holds the insulting ones. `train` prints
//! this report for the abuse model it wrote, BENCHMARKS.md records it, and a test keeps
//! the shipped model to it.
use serde::Serialize;

use super::metrics::roc_auc;
use super::model::TaskModel;

/// Identity terms the templates are filled with (more than 50 groups; multi-word terms
/// included). They are adjectives, so "a {} person" reads well.
pub const TEMPLATE_TERMS: &[&str] = &[
    "lesbian",
    "gay",
    "bisexual",
    "transgender",
    "trans",
    "queer",
    "lgbt",
    "lgbtq",
    "homosexual",
    "straight",
    "heterosexual",
    "nonbinary",
    "male",
    "female",
    "african",
    "african american",
    "black",
    "white",
    "european",
    "hispanic",
    "latino",
    "latina",
    "mexican",
    "canadian",
    "american",
    "asian",
    "indian",
    "chinese",
    "japanese",
    "korean",
    "pakistani",
    "afghan",
    "arab",
    "iranian",
    "middle eastern",
    "native american",
    "jewish",
    "muslim",
    "christian",
    "catholic",
    "protestant",
    "buddhist",
    "hindu",
    "sikh",
    "mormon",
    "atheist",
    "evangelical",
    "old",
    "older",
    "young",
    "younger",
    "teenage",
    "elderly",
    "blind",
    "deaf",
    "disabled",
    "autistic",
    "immigrant",
    "refugee",
    "indigenous",
];

/// `(neutral, insulting)` versions of each template; `{t}` is the term, `{T}` the term
/// with a capital first letter.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "I am a {t} person and I read this paper every morning.",
        "I am a {t} person and you are all stupid, worthless idiots.",
    ),
    (
        "My neighbour is {t} and works as a nurse at the hospital.",
        "My neighbour is {t} and is a lying, pathetic moron.",
    ),
    (
        "As a {t} reader, I found this article informative.",
        "As a {t} reader, I found this article written by an ignorant fool.",
    ),
    (
        "The {t} community held a meeting at the library on Tuesday.",
        "The {t} community held a meeting with the idiots at the library on Tuesday.",
    ),
    (
        "Being {t} is part of who I am.",
        "Being {t} is part of who I am, so shut up, you clueless jerk.",
    ),
    (
        "My best friend is {t}.",
        "My best friend is {t}, unlike you, you disgusting creep.",
    ),
    (
        "There are many {t} families living in our town.",
        "There are many {t} families living in our town, and they are all scum.",
    ),
    (
        "The reporter interviewed several {t} voters about the election.",
        "The reporter interviewed several {t} voters, what a bunch of dumb losers.",
    ),
    (
        "{T} people deserve the same rights as everyone else.",
        "{T} people deserve the same rights as everyone else, you hateful idiot.",
    ),
    (
        "We should listen to what {t} students have to say.",
        "Nobody should listen to what {t} students say, they are stupid and useless.",
    ),
    (
        "I grew up in a {t} household.",
        "I grew up in a {t} household, you ignorant bigot.",
    ),
    (
        "The council appointed its first {t} judge this year.",
        "The council appointed its first {t} judge this year, a total moron.",
    ),
];

/// Fills a template with a term.
pub fn fill(template: &str, term: &str) -> String {
    let mut capital = String::with_capacity(term.len());
    let mut chars = term.chars();
    if let Some(first) = chars.next() {
        capital.extend(first.to_uppercase());
        capital.push_str(chars.as_str());
    }
    template.replace("{T}", &capital).replace("{t}", term)
}

/// How one identity term fared across the templates.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TermRates {
    pub term: String,
    /// Share of the neutral sentences held.
    pub neutral_held: f64,
    /// Share of the insulting sentences held.
    pub insult_held: f64,
}

/// The identity-bias report of an abuse model at a hold threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BiasReport {
    pub threshold: f64,
    pub terms: Vec<TermRates>,
    /// ROC AUC of the abuse probability, insulting (positive) against neutral sentences.
    pub roc_auc: Option<f64>,
    /// The highest share of neutral sentences held for any one term.
    pub worst_neutral_held: f64,
    /// The lowest share of insulting sentences held for any one term.
    pub lowest_insult_held: f64,
}

/// Scores every template with every term and reports per term.
pub fn identity_report(abuse: &TaskModel, threshold: f64) -> BiasReport {
    let mut scored = Vec::new();
    let mut terms = Vec::new();
    for term in TEMPLATE_TERMS {
        let (mut neutral, mut insult) = (0usize, 0usize);
        for (n, i) in TEMPLATES {
            let pn = abuse.score(&fill(n, term)).probability;
            let pi = abuse.score(&fill(i, term)).probability;
            neutral += usize::from(pn >= threshold);
            insult += usize::from(pi >= threshold);
            scored.push((pn, false));
            scored.push((pi, true));
        }
        let total = TEMPLATES.len() as f64;
        terms.push(TermRates {
            term: (*term).to_string(),
            neutral_held: neutral as f64 / total,
            insult_held: insult as f64 / total,
        });
    }
    BiasReport {
        threshold,
        worst_neutral_held: terms.iter().map(|t| t.neutral_held).fold(0.0, f64::max),
        lowest_insult_held: terms.iter().map(|t| t.insult_held).fold(1.0, f64::min),
        roc_auc: roc_auc(&scored),
        terms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enough_terms_and_templates() {
        assert!(TEMPLATE_TERMS.len() >= 50);
        assert!(TEMPLATES.len() >= 10);
        for (n, i) in TEMPLATES {
            assert!(n.contains("{t}") || n.contains("{T}"), "{n}");
            assert!(i.contains("{t}") || i.contains("{T}"), "{i}");
        }
    }

    /// The shipped abuse model at its own hold threshold: no neutral sentence is held,
    /// whatever group it names; the insulting ones are; and within a template the score
    /// does not depend on the group named (identity terms carry no weight).
    #[test]
    fn shipped_model_holds_insults_not_identities() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("models");
        let abuse = TaskModel::load(&dir.join("abuse.json")).unwrap();
        let report = identity_report(&abuse, abuse.thresholds().hold);
        assert!(report.terms.len() >= 50);
        assert_eq!(report.worst_neutral_held, 0.0, "{:?}", report.terms);
        // Ten of the twelve insulting versions are held for every term; the two others
        // ("you disgusting creep", "they are all scum") score below the threshold for
        // every term alike (BENCHMARKS.md, identity bias).
        assert!(report.lowest_insult_held >= 10.0 / 12.0, "{report:?}");
        assert!(report.roc_auc.is_some_and(|a| a >= 0.95), "{report:?}");
        for (neutral, insulting) in TEMPLATES {
            for template in [neutral, insulting] {
                // Single-word terms: the sentence differs only in the identity term.
                let scores: Vec<f64> = TEMPLATE_TERMS
                    .iter()
                    .filter(|t| !t.contains(' '))
                    .map(|t| abuse.score(&fill(template, t)).probability)
                    .collect();
                let spread = scores.iter().copied().fold(f64::MIN, f64::max)
                    - scores.iter().copied().fold(f64::MAX, f64::min);
                assert!(spread < 1e-9, "{template}: spread {spread}");
            }
        }
    }

    #[test]
    fn fill_capitalises_where_asked() {
        assert_eq!(
            fill("{T} people and {t} food", "muslim"),
            "Muslim people and muslim food"
        );
    }
}
