//! Domain types: parse, don't validate.
//!
//! Every value that arrives from outside (a request field, a config value) is turned into
//! one of these types at the boundary; their fields are private and the only way in is a
//! `parse` that checks the rules, so code past the boundary never re-checks. A failed
//! parse is a [`ValidationError`] naming the field, which the HTTP layer maps to a 422.
//!
//! # Layout
//! - [`text`] — [`CommentBody`], [`AuthorName`] (trimmed, NFC, length-checked).
//! - [`email`] — [`AuthorEmail`] (syntax checked, in canonical form: lower case, no
//!   needless quotes, no `+tag`).
//! - [`article`] — [`ArticleId`], [`ArticleTitle`].
//! - [`web`] — [`WebUrl`] (http/https only) and [`Origin`].
//! - [`net`] — [`IpNet`], an address or CIDR range.
//! - [`reason`] — [`Reason`] (why a comment got its status) and [`ModelScore`].
//! - [`report`] — [`ReportReason`], what a reader says when reporting a comment.
//! - [`site`] — [`SiteId`], [`KeyHash`] and the runtime [`Site`] built from its config.
//! - [`site_config`] — a `[sites.ID]` section's settings ([`site_config::SiteConfig`]),
//!   what a [`Site`] is built from.
//! - [`comment`] — [`CommentId`], [`Status`] and the validated [`NewComment`].
//! - [`intake`] — what deciding a new comment needs and gives: the author as the store
//!   knows them ([`AuthorContext`]), the pipeline's verdict, a [`Refusal`], the
//!   [`Decide`] interface between store and pipeline.
//! - [`moderation`] — moderator names and tokens, decisions ([`Verdict`]), notes, ban targets.
//! - [`rules`] — the site rules that change at run time ([`Rule`], [`RuleValues`],
//!   compiled into [`SiteRules`]).
//! - [`search`] — [`SearchText`], what a moderator searches the queue for.
//! - [`validation`] — [`ValidationError`] and its [`ValidationCode`]s.
//! - [`session`] — [`SessionSecret`], a moderator's browser session and its CSRF token.
pub mod article;
pub mod comment;
pub mod email;
pub mod intake;
pub mod moderation;
pub mod net;
pub mod reason;
pub mod report;
pub mod rules;
pub mod search;
pub mod session;
pub mod site;
pub mod site_config;
pub mod text;
pub mod validation;
pub mod web;

pub use article::{ArticleId, ArticleTitle};
pub use comment::{CommentId, NewComment, Status};
pub use email::AuthorEmail;
pub use intake::{AuthorContext, AuthorQuery, Ban, Decide, ParentInfo, Refusal};
pub use moderation::{
    BanTarget, ModeratorName, ModeratorToken, Note, RejectLabel, TokenHash, TrainingLabels, Verdict,
};
pub use net::IpNet;
pub use reason::{ModelScore, Outcome, Reason, ReasonCode};
pub use report::ReportReason;
pub use rules::{Rule, RuleChange, RuleValues, SiteRules};
pub use search::SearchText;
pub use session::SessionSecret;
pub use site::{BlockAction, KeyHash, Site, SiteId, Sites};
pub use text::{AuthorName, CommentBody};
pub use validation::{ValidationCode, ValidationError};
pub use web::{Origin, WebUrl};

/// Names of the fields a comment submission may carry; a honeypot must not reuse one.
pub const KNOWN_FIELDS: &[&str] = &[
    "site",
    "article_id",
    "article_url",
    "article_title",
    "author_name",
    "author_email",
    "author_url",
    "body",
    "parent_id",
    "nudge",
    "redirect_to",
    "form_token",
    "client_ip",
    "user_agent",
];

/// `true` for characters that have no place in a single line of text.
pub(crate) fn is_control(c: char) -> bool {
    c.is_control()
}
