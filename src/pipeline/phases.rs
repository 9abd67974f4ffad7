//! The phases, one small function each, in pipeline order. See the table in the parent
//! module for what each one does; the tests below are the specification.
use std::time::Duration;

use super::{Caller, Flow, FormCheck, Run, Submission};
use crate::classifier::{Language, TaskScore, Thresholds};
use crate::config::OtherLanguages;
use crate::domain::Ban;
use crate::domain::{BlockAction, ReasonCode};

/// 1. A field that humans never see was filled in: a bot.
pub(super) fn honeypot(s: &Submission<'_>, run: &mut Run) -> Flow {
    match s.honeypot.map(str::trim) {
        Some(value) if !value.is_empty() => run.reject(
            ReasonCode::Honeypot,
            format!("field `{}` filled", s.site.honeypot_field),
        ),
        _ => Flow::Continue,
    }
}

/// 2. The form came back faster than a person writes, or with a bad token.
pub(super) fn form_timing(s: &Submission<'_>, run: &mut Run) -> Flow {
    let min = s.site.min_form_seconds;
    match s.form {
        FormCheck::Missing => {
            if s.site.require_form_token && s.caller == Caller::Anonymous {
                return run.hold(ReasonCode::FormTokenMissing, "no form token".into());
            }
            Flow::Continue
        }
        FormCheck::Invalid => run.hold(ReasonCode::FormTokenInvalid, "forged or malformed".into()),
        FormCheck::Expired => run.hold(ReasonCode::FormTokenInvalid, "expired".into()),
        FormCheck::Valid { age } if age < Duration::from_secs(min) => run.hold(
            ReasonCode::FormTooFast,
            format!(
                "submitted {:.1}s after rendering, minimum {min}s",
                age.as_secs_f64()
            ),
        ),
        FormCheck::Valid { .. } => Flow::Continue,
    }
}

fn block(run: &mut Run, action: BlockAction, code: ReasonCode, detail: String) -> Flow {
    match action {
        BlockAction::Pending => run.hold(code, detail),
        BlockAction::Rejected => run.reject(code, detail),
    }
}

/// 4. The site's block lists: words (in the body, the author's name or URL), e-mails, IPs.
pub(super) fn block_lists(s: &Submission<'_>, run: &mut Run) -> Flow {
    let rules = s.site.rules();
    let list = &rules.blocklist;
    let texts = [
        ("", Some(&s.readings.body)),
        (" in author_name", Some(&s.readings.author_name)),
        (" in author_url", s.readings.author_url.as_ref()),
    ];
    let blocked = texts.into_iter().find_map(|(place, text)| {
        text.and_then(|t| list.blocked_word(t))
            .map(|word| format!("`{word}`{place}"))
    });
    if let Some(detail) = blocked {
        let flow = block(run, list.action, ReasonCode::BlockedWord, detail);
        if flow == Flow::Stop {
            return flow;
        }
    }
    if let Some(email) = &s.comment.author_email {
        if list.blocks_email(email) {
            let flow = block(
                run,
                list.action,
                ReasonCode::BlockedEmail,
                "e-mail on block list".into(),
            );
            if flow == Flow::Stop {
                return flow;
            }
        }
    }
    if list.blocks_ip(s.comment.client_ip) {
        return block(
            run,
            list.action,
            ReasonCode::BlockedIp,
            "IP on block list".into(),
        );
    }
    Flow::Continue
}

/// 5. A moderator banned this author (by e-mail or IP).
pub(super) fn author_bans(s: &Submission<'_>, run: &mut Run) -> Flow {
    match &s.author.ban {
        Some(Ban::Email { note }) => run.reject(ReasonCode::BannedEmail, note.clone()),
        Some(Ban::Ip { note }) => run.reject(ReasonCode::BannedIp, note.clone()),
        None => Flow::Continue,
    }
}

/// 6. Trusted authors: enough published comments and none rejected, or listed as trusted.
pub(super) fn trusted_author(s: &Submission<'_>, run: &mut Run) -> Flow {
    let rules = s.site.rules();
    let after = rules.trusted_author_after;
    let listed = s
        .comment
        .author_email
        .as_ref()
        .is_some_and(|e| rules.trusts(e));
    if listed {
        run.trusted = true;
        run.note(ReasonCode::TrustedAuthor, "listed as trusted".into());
    } else if s.comment.author_email.is_some() && s.author.is_trusted(after) {
        run.trusted = true;
        run.note(
            ReasonCode::TrustedAuthor,
            format!("{after}+ published, none rejected"),
        );
    }
    Flow::Continue
}

/// 7. More links than the site allows.
///
/// Links are counted where the models see one: `https://x`, `www.x.org`, `bit.ly/x`, but
/// not `great.In` (a missing space).
pub(super) fn links(s: &Submission<'_>, run: &mut Run) -> Flow {
    let max = s.site.max_links;
    let n = s.readings.body.links();
    if n > max {
        return run.hold(
            ReasonCode::TooManyLinks,
            format!("{n} links, at most {max}"),
        );
    }
    Flow::Continue
}

/// 7b. Words written with look-alike letters of another script: readers do not type
/// `Сheck` with a Cyrillic `С` by accident.
pub(super) fn lookalike_letters(s: &Submission<'_>, run: &mut Run) -> Flow {
    match s.mixed_script_words {
        0 => Flow::Continue,
        n => run.hold(
            ReasonCode::LookalikeLetters,
            format!(
                "{n} word{} mix Latin letters with look-alikes from another script",
                if n == 1 { "" } else { "s" }
            ),
        ),
    }
}

/// 8. A comment confidently in another language: the English models cannot judge it.
pub(super) fn language(s: &Submission<'_>, run: &mut Run) -> Flow {
    let Language::Other {
        code,
        name,
        confidence,
    } = s.language
    else {
        return Flow::Continue;
    };
    run.unscored = true;
    let detail =
        format!("{name} ({code}, confidence {confidence:.2}): not judged by the English models");
    match s.site.other_languages {
        OtherLanguages::Hold => run.hold(ReasonCode::Language, detail),
        OtherLanguages::Publish => {
            run.note(ReasonCode::Language, detail);
            Flow::Continue
        }
    }
}

/// Applies one model's thresholds; a trusted author can only be rejected, not held.
fn model(run: &mut Run, code: ReasonCode, score: &TaskScore, t: Thresholds) -> Flow {
    if run.unscored {
        return Flow::Continue;
    }
    let p = score.probability;
    if let Some(reject) = t.reject.filter(|&r| score.reaches(r)) {
        return run.reject(code, format!("score {p:.3} >= reject {reject:.3}"));
    }
    if score.reaches(t.hold) {
        let detail = format!("score {p:.3} >= review {:.3}", t.hold);
        if run.trusted {
            run.note(code, format!("{detail}; not held: trusted author"));
            return Flow::Continue;
        }
        return run.hold(code, detail);
    }
    Flow::Continue
}

/// 9. The spam model.
pub(super) fn spam_model(s: &Submission<'_>, run: &mut Run) -> Flow {
    model(run, ReasonCode::Spam, &s.scores.spam, s.thresholds.spam)
}

/// 10. The abuse model.
pub(super) fn abuse_model(s: &Submission<'_>, run: &mut Run) -> Flow {
    model(run, ReasonCode::Abuse, &s.scores.abuse, s.thresholds.abuse)
}

/// 11. The site or this article holds every comment.
pub(super) fn premoderation(s: &Submission<'_>, run: &mut Run) -> Flow {
    if s.site.rules().premoderate {
        return run.hold(ReasonCode::Premoderated, "site".into());
    }
    if s.site.premoderates(s.comment.article_id.as_str()) {
        return run.hold(ReasonCode::Premoderated, "article".into());
    }
    Flow::Continue
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::super::{decide, Decision, ModelThresholds, Readings};
    use super::*;
    use crate::classifier::model::logit;
    use crate::classifier::Scores;
    use crate::config::SiteConfig;
    use crate::domain::AuthorContext;
    use crate::domain::{
        ArticleId, AuthorEmail, AuthorName, CommentBody, IpNet, NewComment, Outcome, Site, SiteId,
        Status, WebUrl,
    };

    /// A test case: start from a clean, unremarkable submission and change one thing.
    struct Case {
        site: SiteConfig,
        body: &'static str,
        name: &'static str,
        url: Option<&'static str>,
        email: Option<&'static str>,
        ip: &'static str,
        caller: Caller,
        honeypot: Option<&'static str>,
        form: FormCheck,
        author: AuthorContext,
        spam: f64,
        abuse: f64,
        language: Language,
        mixed_script_words: usize,
    }

    impl Default for Case {
        fn default() -> Self {
            Case {
                site: SiteConfig::default(),
                body: "A thoughtful comment about the council budget.",
                name: "Reader",
                url: None,
                email: Some("reader@example.com"),
                ip: "198.51.100.7",
                caller: Caller::Anonymous,
                honeypot: None,
                form: FormCheck::Valid {
                    age: Duration::from_secs(60),
                },
                author: AuthorContext::default(),
                spam: 0.01,
                abuse: 0.01,
                language: Language::English,
                mixed_script_words: 0,
            }
        }
    }

    fn score(p: f64) -> TaskScore {
        TaskScore {
            probability: p,
            log_odds: logit(p),
            top_tokens: vec![],
        }
    }

    fn run(case: Case) -> Decision {
        let site = Site::from_config(SiteId::parse("news").unwrap(), &case.site);
        let comment = NewComment {
            site: site.id.clone(),
            article_id: ArticleId::parse("a1").unwrap(),
            article_url: None,
            parent_id: None,
            author_name: AuthorName::parse(case.name).unwrap(),
            author_email: case.email.map(|e| AuthorEmail::parse(e).unwrap()),
            author_url: case.url.map(|u| WebUrl::parse(u, "author_url").unwrap()),
            body: CommentBody::parse(case.body).unwrap(),
            client_ip: case.ip.parse().unwrap(),
            user_agent: None,
        };
        let scores = Scores {
            spam: score(case.spam),
            abuse: score(case.abuse),
        };
        let defaults = Thresholds {
            hold: 0.5,
            reject: Some(0.95),
        };
        decide(&Submission {
            comment: &comment,
            readings: &Readings::of(&comment),
            site: &site,
            caller: case.caller,
            honeypot: case.honeypot,
            form: case.form,
            author: &case.author,
            scores: &scores,
            language: case.language,
            mixed_script_words: case.mixed_script_words,
            thresholds: ModelThresholds::over(&site, defaults, defaults),
        })
    }

    fn codes(d: &Decision) -> Vec<(ReasonCode, Outcome)> {
        d.reasons.iter().map(|r| (r.code, r.outcome)).collect()
    }

    fn trusted() -> AuthorContext {
        AuthorContext {
            published: 5,
            ..AuthorContext::default()
        }
    }

    /// An ordinary comment is published with no reasons.
    #[test]
    fn clean_comment_is_published() {
        let d = run(Case::default());
        assert_eq!(d.status, Status::Published);
        assert!(d.reasons.is_empty());
    }

    /// A filled honeypot rejects and ends the run, whatever else is true.
    #[test]
    fn honeypot_rejects_first() {
        let d = run(Case {
            honeypot: Some("http://spam"),
            spam: 0.99,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Rejected);
        assert_eq!(codes(&d), vec![(ReasonCode::Honeypot, Outcome::Reject)]);
        let d = run(Case {
            honeypot: Some("  "),
            ..Case::default()
        });
        assert_eq!(
            d.status,
            Status::Published,
            "an empty honeypot is what humans send"
        );
    }

    /// Form timing holds fast, forged and (when required) missing tokens.
    #[test]
    fn form_timing_holds() {
        let fast = FormCheck::Valid {
            age: Duration::from_secs(1),
        };
        let required = SiteConfig {
            require_form_token: true,
            ..SiteConfig::default()
        };
        let cases = [
            (
                Case {
                    form: fast,
                    ..Case::default()
                },
                Some(ReasonCode::FormTooFast),
            ),
            (
                Case {
                    form: FormCheck::Invalid,
                    ..Case::default()
                },
                Some(ReasonCode::FormTokenInvalid),
            ),
            (
                Case {
                    form: FormCheck::Expired,
                    ..Case::default()
                },
                Some(ReasonCode::FormTokenInvalid),
            ),
            (
                Case {
                    form: FormCheck::Missing,
                    ..Case::default()
                },
                None,
            ),
            (
                Case {
                    form: FormCheck::Missing,
                    site: required.clone(),
                    ..Case::default()
                },
                Some(ReasonCode::FormTokenMissing),
            ),
            (
                Case {
                    form: FormCheck::Missing,
                    site: required,
                    caller: Caller::Backend,
                    ..Case::default()
                },
                None,
            ),
            (
                Case {
                    form: fast,
                    site: SiteConfig {
                        min_form_seconds: 0,
                        ..SiteConfig::default()
                    },
                    ..Case::default()
                },
                None,
            ),
        ];
        for (i, (case, expected)) in cases.into_iter().enumerate() {
            let d = run(case);
            match expected {
                Some(code) => {
                    assert_eq!(d.status, Status::Pending, "case {i}");
                    assert_eq!(codes(&d), vec![(code, Outcome::Hold)], "case {i}");
                }
                None => assert_eq!(d.status, Status::Published, "case {i}"),
            }
        }
    }

    /// Block lists hold or reject, as the site configures.
    #[test]
    fn block_lists_follow_site_action() {
        let mut site = SiteConfig::default();
        site.blocklist.words = vec!["casino".into()];
        site.blocklist.emails = vec!["@spam.test".into()];
        site.blocklist.ips = vec![IpNet::parse("203.0.113.0/24").unwrap()];
        let d = run(Case {
            site: site.clone(),
            body: "Best CASINO bonus",
            ..Case::default()
        });
        assert_eq!(codes(&d), vec![(ReasonCode::BlockedWord, Outcome::Hold)]);
        let d = run(Case {
            site: site.clone(),
            email: Some("x@spam.test"),
            ..Case::default()
        });
        assert_eq!(codes(&d), vec![(ReasonCode::BlockedEmail, Outcome::Hold)]);
        site.blocklist.action = BlockAction::Rejected;
        let d = run(Case {
            site,
            ip: "203.0.113.9",
            ..Case::default()
        });
        assert_eq!(
            (d.status, codes(&d)),
            (
                Status::Rejected,
                vec![(ReasonCode::BlockedIp, Outcome::Reject)]
            )
        );
    }

    /// Blocked words are looked for in the author's name and URL too, in any disguise:
    /// a harmless body from `Casino Viagra` at a casino's address is not published.
    #[test]
    fn block_lists_read_author_name_and_url() {
        let mut site = SiteConfig::default();
        site.blocklist.words = vec!["casino".into()];
        let d = run(Case {
            site: site.clone(),
            name: "Casino Viagra",
            url: Some("https://casino.example/"),
            ..Case::default()
        });
        assert_eq!(codes(&d), vec![(ReasonCode::BlockedWord, Outcome::Hold)]);
        assert_eq!(d.reasons[0].detail, "`casino` in author_name");
        let d = run(Case {
            site: site.clone(),
            name: "ｃａｓｉｎｏ fan",
            ..Case::default()
        });
        assert_eq!(d.reasons[0].detail, "`casino` in author_name");
        let d = run(Case {
            site: site.clone(),
            url: Some("https://www.best-casino.example/bonus"),
            ..Case::default()
        });
        assert_eq!(
            (d.status, d.reasons[0].detail.as_str()),
            (Status::Pending, "`casino` in author_url")
        );
        let d = run(Case {
            site,
            url: Some("https://news.example/casinos-and-the-council"),
            ..Case::default()
        });
        assert_eq!(d.status, Status::Published, "`casinos` is another word");
    }

    /// A banned author is rejected, even one who would otherwise be trusted.
    #[test]
    fn bans_reject() {
        let author = AuthorContext {
            ban: Some(Ban::Email {
                note: "troll".into(),
            }),
            ..trusted()
        };
        let d = run(Case {
            author,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Rejected);
        assert_eq!(codes(&d), vec![(ReasonCode::BannedEmail, Outcome::Reject)]);
    }

    /// Too many links hold the comment; a few are fine; what the models do not read as a
    /// link (`great.In`, a missing space) does not count.
    #[test]
    fn links_hold_past_the_limit() {
        let d = run(Case {
            body: "It was great.In the end.It ended well.So there.",
            ..Case::default()
        });
        assert_eq!(d.status, Status::Published);
        let d = run(Case {
            body: "see https://a.example and www.b.example",
            ..Case::default()
        });
        assert_eq!(d.status, Status::Published);
        let d = run(Case {
            body: "https://a.example https://b.example http://c.example",
            ..Case::default()
        });
        assert_eq!(codes(&d), vec![(ReasonCode::TooManyLinks, Outcome::Hold)]);
        assert_eq!(d.reasons[0].detail, "3 links, at most 2");
    }

    /// Model scores hold at the review threshold and reject at the reject threshold.
    #[test]
    fn model_thresholds() {
        let cases = [
            (0.49, 0.0, Status::Published, vec![]),
            (
                0.5,
                0.0,
                Status::Pending,
                vec![(ReasonCode::Spam, Outcome::Hold)],
            ),
            (
                0.96,
                0.0,
                Status::Rejected,
                vec![(ReasonCode::Spam, Outcome::Reject)],
            ),
            (
                0.0,
                0.7,
                Status::Pending,
                vec![(ReasonCode::Abuse, Outcome::Hold)],
            ),
            (
                0.6,
                0.99,
                Status::Rejected,
                vec![
                    (ReasonCode::Spam, Outcome::Hold),
                    (ReasonCode::Abuse, Outcome::Reject),
                ],
            ),
        ];
        for (spam, abuse, status, expected) in cases {
            let d = run(Case {
                spam,
                abuse,
                ..Case::default()
            });
            assert_eq!(
                (d.status, codes(&d)),
                (status, expected),
                "spam {spam} abuse {abuse}"
            );
        }
    }

    /// Site thresholds override the models' defaults.
    #[test]
    fn site_thresholds_override() {
        let mut site = SiteConfig::default();
        site.thresholds.spam_review = Some(0.9);
        let d = run(Case {
            site,
            spam: 0.8,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Published);
    }

    /// A trusted author cannot be held by the models, only rejected — and heuristics still hold.
    #[test]
    fn trusted_author_is_not_held_by_models() {
        let d = run(Case {
            author: trusted(),
            spam: 0.8,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Published);
        assert_eq!(
            codes(&d),
            vec![
                (ReasonCode::TrustedAuthor, Outcome::Note),
                (ReasonCode::Spam, Outcome::Note)
            ]
        );
        let d = run(Case {
            author: trusted(),
            abuse: 0.99,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Rejected);
        let d = run(Case {
            author: trusted(),
            body: "a.example.com b.example.com c.example.com",
            ..Case::default()
        });
        assert_eq!(
            d.status,
            Status::Pending,
            "links still hold a trusted author"
        );
        let once_rejected = AuthorContext {
            has_rejected: true,
            ..trusted()
        };
        let d = run(Case {
            author: once_rejected,
            spam: 0.8,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Pending, "one rejection loses trust");
        let d = run(Case {
            author: trusted(),
            email: None,
            spam: 0.8,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Pending, "trust needs an e-mail");
    }

    /// Pre-moderation holds every comment of the site or the listed articles.
    #[test]
    fn premoderation_holds() {
        let site = SiteConfig {
            premoderate_articles: vec!["a1".into()],
            ..SiteConfig::default()
        };
        let d = run(Case {
            site,
            author: trusted(),
            ..Case::default()
        });
        assert_eq!(d.status, Status::Pending);
        assert!(d.has(ReasonCode::Premoderated));
        let site = SiteConfig {
            premoderate: true,
            ..SiteConfig::default()
        };
        assert_eq!(
            run(Case {
                site,
                ..Case::default()
            })
            .status,
            Status::Pending
        );
    }

    /// A comment in another language is not judged by the models: held (the default) or
    /// published with a note, as the site chooses; a high model score changes nothing.
    #[test]
    fn other_languages_follow_site_policy() {
        let german = Language::Other {
            code: "deu",
            name: "German",
            confidence: 0.5,
        };
        let d = run(Case {
            language: german,
            abuse: 0.99,
            spam: 0.99,
            ..Case::default()
        });
        assert_eq!(
            (d.status, codes(&d)),
            (Status::Pending, vec![(ReasonCode::Language, Outcome::Hold)])
        );
        assert!(
            d.reasons[0].detail.starts_with("German (deu"),
            "{:?}",
            d.reasons
        );
        let site = SiteConfig {
            other_languages: OtherLanguages::Publish,
            ..SiteConfig::default()
        };
        let d = run(Case {
            site,
            language: german,
            abuse: 0.99,
            ..Case::default()
        });
        assert_eq!(
            (d.status, codes(&d)),
            (
                Status::Published,
                vec![(ReasonCode::Language, Outcome::Note)]
            )
        );
    }

    /// A word that mixes scripts holds the comment, whatever the models say.
    #[test]
    fn lookalike_letters_hold() {
        let d = run(Case {
            mixed_script_words: 3,
            ..Case::default()
        });
        assert_eq!(
            (d.status, codes(&d)),
            (
                Status::Pending,
                vec![(ReasonCode::LookalikeLetters, Outcome::Hold)]
            )
        );
        assert_eq!(
            d.reasons[0].detail,
            "3 words mix Latin letters with look-alikes from another script"
        );
    }

    /// Abuse is held, never rejected, unless the site opts in to an abuse reject
    /// threshold.
    #[test]
    fn abuse_rejects_only_when_the_site_opts_in() {
        let models = Thresholds {
            hold: 0.5,
            reject: None,
        };
        let site = Site::from_config(SiteId::parse("news").unwrap(), &SiteConfig::default());
        let t = ModelThresholds::over(&site, models, models);
        assert_eq!(t.abuse.reject, None);
        let mut config = SiteConfig::default();
        config.thresholds.abuse_reject = Some(0.97);
        let site = Site::from_config(SiteId::parse("news").unwrap(), &config);
        let t = ModelThresholds::over(&site, models, models);
        assert_eq!(t.abuse.reject, Some(0.97));
    }

    /// Holds accumulate and every reason is kept in phase order.
    #[test]
    fn reasons_accumulate_in_order() {
        let d = run(Case {
            form: FormCheck::Invalid,
            body: "https://a.example https://b.example https://c.example",
            spam: 0.6,
            ..Case::default()
        });
        assert_eq!(d.status, Status::Pending);
        assert_eq!(
            codes(&d),
            vec![
                (ReasonCode::FormTokenInvalid, Outcome::Hold),
                (ReasonCode::TooManyLinks, Outcome::Hold),
                (ReasonCode::Spam, Outcome::Hold)
            ]
        );
        assert!(!d.flagged_for_abuse());
    }
}
