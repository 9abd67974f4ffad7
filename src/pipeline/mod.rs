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
//! | 3 | duplicate | same body, same author or IP, 24 h → 409; enforced atomically by the store writer, see [`crate::store::Store::submit`] |
//! | 4 | block lists | word / e-mail / IP → hold or reject (per site) |
//! | 5 | author bans | banned e-mail or IP → reject |
//! | 6 | trusted author | N published, none rejected → the models can no longer hold |
//! | 7 | links | more than N → hold |
//! | 8 | spam model | ≥ review → hold, ≥ reject → reject |
//! | 9 | abuse model | ≥ review → hold, ≥ reject → reject |
//! | 10 | pre-moderation | site or article premoderated → hold |
//!
//! The pipeline is pure: no I/O, no clock, microseconds. The HTTP layer computes the
//! model scores and the form-token check; the store's writer thread then looks up bans,
//! author history and parent and calls [`decide`] inside the same transaction as the
//! duplicate check and the insert (see [`crate::store::Store::submit`]), so every input
//! is exact even under concurrent submissions.
pub mod form_token;
mod phases;

use crate::classifier::{Scores, Thresholds};
use crate::domain::{ModelScore, NewComment, Outcome, Reason, ReasonCode, Site, Status};
use crate::store::AuthorContext;
pub use form_token::{FormCheck, FormTokens};

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
    /// The site's configured thresholds over the models' defaults.
    pub fn resolve(site: &Site, spam_default: Thresholds, abuse_default: Thresholds) -> Self {
        let t = &site.thresholds;
        ModelThresholds {
            spam: Thresholds {
                hold: t.spam_review.unwrap_or(spam_default.hold),
                reject: t.spam_reject.unwrap_or(spam_default.reject),
            },
            abuse: Thresholds {
                hold: t.abuse_review.unwrap_or(abuse_default.hold),
                reject: t.abuse_reject.unwrap_or(abuse_default.reject),
            },
        }
    }
}

/// Everything the phases look at.
#[derive(Debug, Clone, Copy)]
pub struct Submission<'a> {
    pub comment: &'a NewComment,
    pub site: &'a Site,
    pub caller: Caller,
    /// Value of the site's honeypot field, if the request carried it.
    pub honeypot: Option<&'a str>,
    pub form: FormCheck,
    pub author: &'a AuthorContext,
    pub scores: &'a Scores,
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
