//! The decision on one submission as the store runs it: everything [`super::decide`]
//! needs that the HTTP layer knows (site, caller, scores, form check, ...), owned, plus
//! what the store looks up in its transaction ([`AuthorContext`]) — see
//! [`crate::store::Comments::submit`].
use std::sync::Arc;

use super::{decide, Caller, FormCheck, ModelThresholds, Readings, Submission};
use crate::classifier::{Language, Scores};
use crate::domain::intake::Verdict;
use crate::domain::{AuthorContext, Decide, NewComment, Refusal, Site};

/// One submission's decision, ready to run inside the store's transaction. Pure (see
/// [`Decide`]): it reads its fields and the store's answer, nothing else.
#[derive(Debug)]
pub struct Intake {
    pub site: Arc<Site>,
    pub caller: Caller,
    /// The comment's text read as words (on the HTTP worker, before the store's turn).
    pub readings: Readings,
    /// Value of the site's honeypot field, if the request carried it.
    pub honeypot: Option<String>,
    pub form: FormCheck,
    pub scores: Scores,
    pub language: Language,
    pub mixed_script_words: usize,
    pub thresholds: ModelThresholds,
    /// The author asked to be told, rather than held, when the abuse model flags the
    /// comment.
    pub nudge: bool,
}

impl Decide for Intake {
    fn decide(&self, author: &AuthorContext, comment: &NewComment) -> Result<Verdict, Refusal> {
        check_parent(comment, author)?;
        let decision = decide(&Submission {
            comment,
            readings: &self.readings,
            site: &self.site,
            caller: self.caller,
            honeypot: self.honeypot.as_deref(),
            form: self.form,
            author,
            scores: &self.scores,
            language: self.language,
            mixed_script_words: self.mixed_script_words,
            thresholds: self.thresholds,
        });
        if self.nudge && decision.flagged_for_abuse() {
            return Err(Refusal::LikelyAbusive);
        }
        Ok(Verdict {
            status: decision.status,
            reasons: decision.reasons,
        })
    }
}

/// A reply must name a published comment of the same article. Unknown and unpublished
/// parents look the same, so ids of held comments cannot be probed.
fn check_parent(comment: &NewComment, author: &AuthorContext) -> Result<(), Refusal> {
    if comment.parent_id.is_none() {
        return Ok(());
    }
    match &author.parent {
        Some(p) if p.published && p.article_id == comment.article_id.as_str() => Ok(()),
        Some(p) if p.published => Err(Refusal::ParentOnOtherArticle),
        _ => Err(Refusal::ParentNotFound),
    }
}
