//! The moderation pipeline: an ordered list of small phases that decide a comment's status.
//!
//! Each phase reads the submission and what earlier phases found, may record a
//! [`Reason`] and may escalate the status: *hold* (`pending`) or *reject* (`rejected`).
//! Holds accumulate — a later phase can still reject a held comment — and the first
//! phase that rejects ends the run (nothing after it could change the outcome). Every
//! reason is kept, so moderators and the site's backend see exactly why.
//!
//! The order is the one in `ARCHITECTURE.md`, cheapest and most certain first:
//!
//! | # | phase | effect |
//! |---|-------|--------|
//! | 1 | honeypot | filled → reject |
//! | 2 | form timing | missing (if required) / invalid / too fast → hold |
//! | 3 | duplicate | same body, same author or IP, 24 h → 409; enforced atomically by the store writer, see [`crate::store::Comments::submit`] |
//! | 4 | block lists | word (in the body, author name or URL, read as the models read text) / e-mail / IP → hold or reject (per site) |
//! | 5 | author bans | banned e-mail or IP → reject |
//! | 6 | trusted author | N published, none rejected (or listed in the site's rules) → the models can no longer hold |
//! | 7 | links | more than N → hold |
//! | 7b | look-alike letters | a word mixes Latin letters with another script's look-alikes → hold |
//! | 8 | language | confidently not English → the models do not judge it; hold or publish per site (`other_languages`) |
//! | 9 | spam model | ≥ review → hold, ≥ reject → reject |
//! | 10 | abuse model | ≥ review → hold; reject only where the site sets `abuse_reject` |
//! | 11 | pre-moderation | site or article premoderated → hold |
//!
//! The pipeline is pure: no I/O, no clock, microseconds. The HTTP layer computes the
//! model scores and the form-token check; the store's writer thread then looks up bans,
//! author history and parent and calls [`decide`] inside the same transaction as the
//! duplicate check and the insert (see [`crate::store::Comments::submit`], through [`Intake`]), so every input
//! is exact even under concurrent submissions.
pub mod form_token;
mod intake;
mod phases;

use crate::classifier::{Classifier, Language, Scores, Task, Thresholds};
use crate::domain::AuthorContext;
use crate::domain::{ModelScore, NewComment, Outcome, Reason, ReasonCode, Site, Status};
use crate::text::Words;
pub use form_token::{FormCheck, FormTokens};
pub use intake::Intake;

/// Who sent the submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// A browser or script without the site's key.
    Anonymous,
    /// The site's backend, authenticated with its API key.
    Backend,
}

/// Model thresholds in force for one site (its config, else the model files' defaults).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ModelThresholds {
    pub spam: Thresholds,
    pub abuse: Thresholds,
}

impl ModelThresholds {
    /// The thresholds in force for `site`, most specific first:
    /// 1. the site's raw thresholds (`thresholds.spam_review`, …), each on its own;
    /// 2. the site's `hold_budget`: the share of ordinary comments the two models may hold
    ///    together, split between them in proportion to the budgets they were trained
    ///    with, each mapped to a hold threshold by the model's own estimate;
    /// 3. the models' own thresholds.
    ///
    /// Abuse is never rejected automatically unless the site sets `thresholds.abuse_reject`
    /// or the model carries a reject threshold.
    pub fn resolve(site: &Site, classifier: &Classifier) -> Self {
        let trained: f64 = Task::ALL
            .iter()
            .filter_map(|&t| classifier.model(t).hold_budget())
            .sum();
        let default = |task: Task| {
            let model = classifier.model(task);
            let own = model.thresholds();
            let budget_hold = site.rules().hold_budget.and_then(|total| {
                let share = match model.hold_budget() {
                    Some(b) if trained > 0.0 => b / trained,
                    _ => 0.5,
                };
                model.hold_threshold_for_budget(total * share)
            });
            Thresholds {
                hold: budget_hold.unwrap_or(own.hold),
                reject: own.reject,
            }
        };
        Self::over(site, default(Task::Spam), default(Task::Abuse))
    }

    /// The site's raw thresholds over the given defaults (a reject threshold is never
    /// below the hold threshold it goes with).
    pub fn over(site: &Site, spam: Thresholds, abuse: Thresholds) -> Self {
        let rules = site.rules();
        let t = &rules.thresholds;
        let one = |default: Thresholds, review: Option<f64>, reject: Option<f64>| {
            let hold = review.unwrap_or(default.hold);
            Thresholds {
                hold,
                reject: reject.or(default.reject).map(|r| r.max(hold)),
            }
        };
        ModelThresholds {
            spam: one(spam, t.spam_review, t.spam_reject),
            abuse: one(abuse, t.abuse_review, t.abuse_reject),
        }
    }
}

/// The submission's free text as block lists and the link count read it: [`Words`], the
/// models' reading with the words of links, numbers and addresses kept. Read once per
/// submission, on the HTTP worker (not on the store's writer thread, which runs the
/// phases).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Readings {
    pub body: Words,
    pub author_name: Words,
    pub author_url: Option<Words>,
}

impl Readings {
    pub fn of(comment: &NewComment) -> Self {
        Readings {
            body: Words::read(comment.body.as_str()),
            author_name: Words::read(comment.author_name.as_str()),
            author_url: comment.author_url.as_ref().map(|u| Words::read(u.as_str())),
        }
    }
}

/// Everything the phases look at.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub comment: &'a NewComment,
    /// The comment's text, read as words.
    pub readings: &'a Readings,
    pub site: &'a Site,
    pub caller: Caller,
    /// Value of the site's honeypot field, if the request carried it.
    pub honeypot: Option<&'a str>,
    pub form: FormCheck,
    pub author: &'a AuthorContext,
    pub scores: &'a Scores,
    /// The comment's language: the models judge English only.
    pub language: Language,
    /// Words that mix Latin letters with look-alikes of another script.
    pub mixed_script_words: usize,
    pub thresholds: ModelThresholds,
}

/// The pipeline's verdict.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

impl Decision {
    /// Whether the abuse model held or rejected the comment (what `nudge` refuses).
    pub fn flagged_for_abuse(&self) -> bool {
        self.reasons
            .iter()
            .any(|r| r.code == ReasonCode::Abuse && r.outcome != Outcome::Note)
    }

    pub fn has(&self, code: ReasonCode) -> bool {
        self.reasons.iter().any(|r| r.code == code)
    }
}

/// Whether the run goes on after a phase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Stop,
}

/// The state a run carries from phase to phase.
#[derive(Debug)]
struct Run {
    status: Status,
    reasons: Vec<Reason>,
    /// Set by the trusted-author phase: the models may reject but not hold.
    trusted: bool,
    /// Set by the language phase: the comment is not in a language the models know, so
    /// their scores are not used.
    unscored: bool,
}

impl Run {
    fn note(&mut self, code: ReasonCode, detail: String) {
        self.reasons.push(Reason {
            code,
            outcome: Outcome::Note,
            detail,
        });
    }

    fn hold(&mut self, code: ReasonCode, detail: String) -> Flow {
        self.status = self.status.max(Status::Pending);
        self.reasons.push(Reason {
            code,
            outcome: Outcome::Hold,
            detail,
        });
        Flow::Continue
    }

    fn reject(&mut self, code: ReasonCode, detail: String) -> Flow {
        self.status = Status::Rejected;
        self.reasons.push(Reason {
            code,
            outcome: Outcome::Reject,
            detail,
        });
        Flow::Stop
    }
}

/// A phase: looks at the submission, updates the run.
type Phase = fn(&Submission<'_>, &mut Run) -> Flow;

/// The phases, in order (the duplicate check lives in the store writer; see the table).
const PHASES: &[(&str, Phase)] = &[
    ("honeypot", phases::honeypot),
    ("form_timing", phases::form_timing),
    ("block_lists", phases::block_lists),
    ("author_bans", phases::author_bans),
    ("trusted_author", phases::trusted_author),
    ("links", phases::links),
    ("lookalike_letters", phases::lookalike_letters),
    ("language", phases::language),
    ("spam_model", phases::spam_model),
    ("abuse_model", phases::abuse_model),
    ("premoderation", phases::premoderation),
];

/// Runs the phases over `submission` and returns the decision.
pub fn decide(submission: &Submission<'_>) -> Decision {
    let mut run = Run {
        status: Status::Published,
        reasons: Vec::new(),
        trusted: false,
        unscored: false,
    };
    for (name, phase) in PHASES {
        if phase(submission, &mut run) == Flow::Stop {
            tracing::trace!(phase = name, "pipeline stopped");
            break;
        }
    }
    Decision {
        status: run.status,
        reasons: run.reasons,
    }
}

/// The stored form of a model score, taking the explanation out of `score` rather than
/// copying it (the pipeline's phases read only the probability).
pub fn take_model_score(score: &mut crate::classifier::TaskScore) -> ModelScore {
    ModelScore {
        probability: score.probability,
        top_tokens: std::mem::take(&mut score.top_tokens),
    }
}
