//! The trainer's tests: linfa agreement, decisions (weighted and blended), errors.
use super::blend::{blend, decision_folds, SiteCounts};
use super::fit::train_model;
use super::rows::{choose_vocabulary, prepare, LeftOut, Row};
use super::*;
use crate::classifier::data::Corpus;
use crate::classifier::data::Example;
use crate::classifier::model::ModelFile;
use crate::classifier::tokenize::{tokenize_into, Tokens};
use crate::classifier::vectorize::FeatureConfig;
use crate::classifier::vectorize::{index_vocabulary, vectorize};
use linfa::dataset::DatasetBase;
use linfa::traits::FitWith;
use linfa::ParamGuard;
use linfa_bayes::{MultinomialNb, MultinomialNbValidParams, NaiveBayes};
use ndarray::{Array1, Array2};

fn example(text: &str, spam: bool) -> Example {
    Example {
        text: text.to_string(),
        spam: Some(spam),
        abuse: None,
        source: "t".into(),
        group: "t".into(),
    }
}

fn small_corpus() -> Corpus {
    // Real TubeSpam comments (training-data/tubespam.csv), a few of each class.
    let rows = [
        ("Check out this video on YouTube:", true),
        ("subscribe to my channel please", true),
        (
            "Huh, anyway check out this you[tube] channel: kobyoshi02",
            true,
        ),
        ("Please check out my channel and subscribe", true),
        ("i love this song so much", false),
        ("This song is amazing", false),
        ("2 billion views wow", false),
        ("this song never gets old", false),
    ];
    Corpus {
        examples: rows.iter().map(|(t, s)| example(t, *s)).collect(),
        files: vec![],
    }
}

/// Sparse scoring with the extracted log-probabilities gives linfa's own joint
/// log-likelihood, and our stable posterior equals linfa's `predict_proba` where the
/// latter is finite.
#[test]
fn sparse_scores_match_linfa() {
    let corpus = small_corpus();
    let options = TrainOptions {
        validation_percent: 0,
        cross_validate: false,
        balance_sources: false,
        spam_features: FeatureConfig {
            min_df: 1,
            binary: false,
            ..FeatureConfig::default()
        },
        ..TrainOptions::default()
    };
    let prepared = prepare(&corpus, Task::Spam, &options);
    let rows: Vec<&Row> = prepared.rows.iter().collect();
    let vocabulary = choose_vocabulary(
        &rows,
        &prepared.strings,
        &options.spam_features,
        LeftOut::default(),
    );
    // Fit linfa directly on the same dense matrix.
    let index = index_vocabulary(&vocabulary).unwrap();
    let mut x = Array2::<f64>::zeros((rows.len(), vocabulary.len()));
    let mut y = Array1::<usize>::zeros(rows.len());
    for (i, r) in rows.iter().enumerate() {
        for k in &r.keys {
            if let Some(&c) = index.get(k) {
                x[[i, c as usize]] += 1.0;
            }
        }
        y[i] = usize::from(r.label);
    }
    let params: MultinomialNbValidParams<f64, usize> = MultinomialNb::params()
        .alpha(options.spam_alpha)
        .check()
        .unwrap();
    let linfa_model = params
        .fit_with(None, &DatasetBase::new(x.clone(), y))
        .unwrap();
    let ours = train_model(Task::Spam, &rows, &prepared.strings, &options, &Silent).unwrap();

    let probe = [
        "check out my channel",
        "love this song",
        "subscribe subscribe",
    ];
    let mut tokens = Tokens::new();
    let mut features = Vec::new();
    for text in probe {
        tokenize_into(text, &mut tokens);
        vectorize(&tokens, &options.spam_features, &index, &mut features);
        let mut dense = Array2::<f64>::zeros((1, vocabulary.len()));
        for &(c, v) in &features {
            dense[[0, c as usize]] = v;
        }
        let jll = linfa_model.joint_log_likelihood(dense.view());
        let ours_jll = ours.joint_log_likelihood(&features);
        assert!((jll[&0][0] - ours_jll[0]).abs() < 1e-9, "{text}");
        assert!((jll[&1][0] - ours_jll[1]).abs() < 1e-9, "{text}");
        let (proba, classes) = linfa_model.predict_proba(dense.view());
        assert_eq!(classes, vec![&0, &1]);
        let p = ours.score(text).posterior();
        assert!(proba[[0, 1]].is_finite());
        assert!(
            (proba[[0, 1]] - p).abs() < 1e-9,
            "{text}: linfa {} ours {p}",
            proba[[0, 1]]
        );
    }
}

/// Moderators' decisions are balanced like a source, and their weight moves the model.
#[test]
fn decision_weight_moves_the_model() {
    let mut corpus = small_corpus();
    for (text, spam) in [("free gift card here", true), ("great song", false)] {
        corpus.examples.push(Example {
            source: format!("{DECISIONS_SOURCE_PREFIX}site"),
            ..example(text, spam)
        });
    }
    let train = |weight: f64| {
        let options = TrainOptions {
            validation_percent: 0,
            cross_validate: false,
            decision_mode: DecisionMode::Weight,
            decision_weight: weight,
            ..TrainOptions::default()
        };
        train_task(&corpus, Task::Spam, &options, &Silent)
            .unwrap()
            .model
    };
    let (light, heavy) = (train(1.0), train(10.0));
    assert_eq!(light.vocabulary, heavy.vocabulary);
    assert_ne!(light.feature_log_prob, heavy.feature_log_prob);
    // "gift" only occurs in a spam decision: more weight, more spam evidence.
    let column = light.vocabulary.iter().position(|f| f == "gift");
    if let Some(c) = column {
        let odds = |m: &ModelFile| m.feature_log_prob[1][c] - m.feature_log_prob[0][c];
        assert!(odds(&heavy) > odds(&light));
    }
}

fn with_decisions(mut corpus: Corpus, decisions: &[(&str, bool)]) -> Corpus {
    for (i, &(text, spam)) in decisions.iter().enumerate() {
        corpus.examples.push(Example {
            source: format!("{DECISIONS_SOURCE_PREFIX}site"),
            group: format!("article-{}", i % 3),
            ..example(text, spam)
        });
    }
    corpus
}

fn blend_options(strength: f64) -> TrainOptions {
    TrainOptions {
        validation_percent: 0,
        cross_validate: false,
        decision_mode: DecisionMode::Blend,
        blend_strength: strength,
        spam_features: FeatureConfig {
            min_df: 1,
            ..TrainOptions::default().spam_features
        },
        ..TrainOptions::default()
    }
}

/// Without decisions, blend mode trains exactly the model weight mode does; blending
/// in no decisions leaves a model unchanged, bit for bit.
#[test]
fn blend_without_decisions_is_the_base_model() {
    let corpus = small_corpus();
    let blended = train_task(&corpus, Task::Spam, &blend_options(10.0), &Silent)
        .unwrap()
        .model;
    let weighted = train_task(
        &corpus,
        Task::Spam,
        &TrainOptions {
            decision_mode: DecisionMode::Weight,
            ..blend_options(10.0)
        },
        &Silent,
    )
    .unwrap()
    .model;
    assert_eq!(blended.vocabulary, weighted.vocabulary);
    assert_eq!(blended.feature_log_prob, weighted.feature_log_prob);
    assert_eq!(blended.class_log_prior, weighted.class_log_prior);
    assert_eq!(blended.thresholds, weighted.thresholds);

    let columns = blended.vocabulary.len();
    let nothing = SiteCounts {
        decisions: [0.0; 2],
        features: [vec![0.0; columns], vec![0.0; columns]],
    };
    assert_eq!(blend(&blended, &nothing, 10.0), blended);
}

/// The blend is the Dirichlet posterior mean: the site's share of a class's
/// distribution is d / (d + m), so more decisions move the model further towards the
/// site's word frequencies.
#[test]
fn blend_follows_the_site_as_decisions_grow() {
    let base = train_task(&small_corpus(), Task::Spam, &blend_options(10.0), &Silent)
        .unwrap()
        .model;
    let columns = base.vocabulary.len();
    // The site's spam is all about one word of the vocabulary.
    let song = base.vocabulary.iter().position(|f| f == "song").unwrap();
    let site = |d: f64| {
        let mut features = [vec![0.0; columns], vec![0.0; columns]];
        features[1][song] = d;
        SiteCounts {
            decisions: [0.0, d],
            features,
        }
    };
    let distance = |m: &ModelFile| -> f64 {
        (0..columns)
            .map(|j| {
                let site = if j == song { 1.0 } else { 0.0 };
                (m.feature_log_prob[1][j].exp() - site).abs()
            })
            .sum()
    };
    let strength = 10.0;
    let (few, many) = (
        blend(&base, &site(10.0), strength),
        blend(&base, &site(90.0), strength),
    );
    // λ = 10 / (10 + 10) = 0.5 and 90 / (90 + 10) = 0.9.
    let expected = |lambda: f64, j: usize| {
        lambda * f64::from(u8::from(j == song)) + (1.0 - lambda) * base.feature_log_prob[1][j].exp()
    };
    for j in 0..columns {
        assert!((few.feature_log_prob[1][j].exp() - expected(0.5, j)).abs() < 1e-12);
        assert!((many.feature_log_prob[1][j].exp() - expected(0.9, j)).abs() < 1e-12);
    }
    // The class without decisions keeps the base distribution.
    assert_eq!(few.feature_log_prob[0], base.feature_log_prob[0]);
    assert!(distance(&base) > distance(&few));
    assert!(distance(&few) > distance(&many));
}

/// End to end: with more of a site's decisions, a word only its spam uses counts more.
#[test]
fn more_decisions_teach_the_blended_model_more() {
    let decisions = [
        ("free gift card here", true),
        ("great song", false),
        ("claim your gift card now", true),
        ("the chorus is great", false),
        ("gift card giveaway click", true),
        ("what a voice", false),
        ("win a gift card today", true),
        ("best video this year", false),
    ];
    let odds = |n: usize| {
        let corpus = with_decisions(small_corpus(), &decisions[..n]);
        let m = train_task(&corpus, Task::Spam, &blend_options(10.0), &Silent)
            .unwrap()
            .model;
        let c = m.vocabulary.iter().position(|f| f == "gift").unwrap();
        m.feature_log_prob[1][c] - m.feature_log_prob[0][c]
    };
    let (two, eight) = (odds(2), odds(8));
    assert!(two > 0.0, "{two}");
    assert!(eight > two, "{two} {eight}");
}

/// Blend mode scores the decisions out of fold and chooses the thresholds on them.
#[test]
fn blend_chooses_thresholds_on_held_out_decisions() {
    let mut decisions = Vec::new();
    let texts: Vec<String> = (0..40)
        .map(|i| format!("gift card offer number{i} click here"))
        .chain((0..40).map(|i| format!("lovely song part{i} great voice")))
        .collect();
    for (i, t) in texts.iter().enumerate() {
        decisions.push((t.as_str(), i < 40));
    }
    let corpus = with_decisions(small_corpus(), &decisions);
    let options = TrainOptions {
        cross_validate: true,
        ..blend_options(10.0)
    };
    let outcome = train_task(&corpus, Task::Spam, &options, &Silent).unwrap();
    assert!(outcome
        .cross_source
        .iter()
        .all(|f| f.held_out.starts_with("decisions:site (blend fold")));
    assert_eq!(outcome.cross_source.len(), 3);
    assert!(outcome.thresholds_chosen_on.starts_with("moderators"));

    // Decisions on one article are one fold (scored by the base model alone).
    let prepared = prepare(&corpus, Task::Spam, &options);
    let mut rows: Vec<&Row> = prepared
        .rows
        .iter()
        .filter(|r| is_decision_source(&r.source))
        .collect();
    assert_eq!(decision_folds(&rows).len(), 3);
    rows.retain(|r| r.group == "article-0");
    assert_eq!(
        decision_folds(&rows),
        vec![(0..rows.len()).collect::<Vec<_>>()]
    );
}

/// A task whose rows hold one class only cannot be trained; nor one with no row its
/// sources labelled (the spam rows, read as abuse = 0, are not an abuse corpus).
#[test]
fn one_class_is_an_error() {
    let corpus = Corpus {
        examples: vec![example("a b c", true), example("d e f", true)],
        files: vec![],
    };
    let options = TrainOptions {
        validation_percent: 0,
        ..TrainOptions::default()
    };
    let err = train_task(&corpus, Task::Spam, &options, &Silent).unwrap_err();
    assert!(matches!(err, TrainError::OneClass { .. }), "{err}");
    let err = train_task(&corpus, Task::Abuse, &options, &Silent).unwrap_err();
    assert!(matches!(err, TrainError::NoRows { .. }), "{err}");
}

/// The abuse model's vocabulary leaves out identity terms, the all-caps marker and emoji
/// (and bigrams holding any of them); the spam model's keeps them.
#[test]
fn abuse_vocabulary_leaves_out_identity_terms_shouting_and_emoji() {
    let examples = [
        "CHECK OUT MY CHANNEL NOW",
        "SUBSCRIBE TO MY CHANNEL PLEASE",
        "muslims in my town \u{1F602}",
        "muslims in my street \u{1F602}",
    ]
    .iter()
    .map(|t| example(t, true))
    .collect();
    let corpus = Corpus {
        examples,
        files: vec![],
    };
    let options = TrainOptions {
        validation_percent: 0,
        spam_features: FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        },
        ..TrainOptions::default()
    };
    let prepared = prepare(&corpus, Task::Spam, &options);
    let rows: Vec<&Row> = prepared.rows.iter().collect();
    let vocabulary = |task| {
        choose_vocabulary(
            &rows,
            &prepared.strings,
            &options.spam_features,
            options.left_out(task),
        )
    };
    let spam = vocabulary(Task::Spam);
    for kept in [
        "__shouting__",
        "now __shouting__",
        // Features name words without their plural `s`.
        "muslim",
        "muslim in",
        "channel",
        "\u{1F602}",
        "town \u{1F602}",
    ] {
        assert!(
            spam.iter().any(|f| f == kept),
            "spam keeps {kept}: {spam:?}"
        );
    }
    let abuse = vocabulary(Task::Abuse);
    assert!(
        abuse.iter().all(|f| !f.contains("__shouting__")
            && !f.contains("muslim")
            && !f.contains('\u{1F602}')),
        "{abuse:?}"
    );
    assert!(abuse.iter().any(|f| f == "channel"), "{abuse:?}");
    assert!(abuse.iter().any(|f| f == "town"), "{abuse:?}");
}

/// A small vocabulary keeps the rare marker tokens and cuts words first: a marker is a
/// feature designed to carry signal, and a referral link is rare.
#[test]
fn markers_survive_the_vocabulary_cut() {
    let mut examples: Vec<Example> = [
        "great song",
        "great video",
        "great song indeed",
        "great video indeed",
        "great song again",
    ]
    .iter()
    .map(|t| example(t, false))
    .collect();
    examples.push(example("join http://a.example/?ref=1 now", true));
    examples.push(example("join http://b.example/ref/2 now", true));
    let corpus = Corpus {
        examples,
        files: vec![],
    };
    let options = TrainOptions {
        validation_percent: 0,
        ..TrainOptions::default()
    };
    let prepared = prepare(&corpus, Task::Spam, &options);
    let rows: Vec<&Row> = prepared.rows.iter().collect();
    let config = FeatureConfig {
        max_features: 3,
        ..options.spam_features
    };
    let vocabulary = choose_vocabulary(&rows, &prepared.strings, &config, LeftOut::default());
    // `great` is in five comments, `song` in three, the markers in two.
    assert_eq!(vocabulary, ["__referral__", "__url__", "great"]);
}

/// Advertising is not abuse: spam rows without an abuse label enter the abuse model as
/// abuse = 0 (derived, at `advertising_weight`), are never held out to measure the hold
/// budget, and are named in the model's labelling decisions; at weight 0 they stay out.
#[test]
fn advertisements_teach_the_abuse_model_what_is_not_abuse() {
    let abuse = |text: &str, label: bool, source: &str| Example {
        text: text.to_string(),
        spam: None,
        abuse: Some(label),
        source: source.into(),
        group: source.into(),
    };
    let mut examples = Vec::new();
    for source in ["talk", "news"] {
        // Hand-written test sentences, two sources with both classes.
        for (i, text) in ["you are an idiot", "what a stupid idiot", "shut up idiot"]
            .iter()
            .enumerate()
        {
            examples.push(abuse(&format!("{text} {source} {i}"), true, source));
        }
        for (i, text) in [
            "the council met today",
            "thanks for the report",
            "good point",
        ]
        .iter()
        .enumerate()
        {
            examples.push(abuse(&format!("{text} {source} {i}"), false, source));
        }
    }
    let mut corpus = small_corpus();
    corpus.examples.extend(examples);
    let options = |weight: f64| TrainOptions {
        validation_percent: 0,
        advertising_weight: weight,
        abuse_features: FeatureConfig {
            min_df: 1,
            ..FeatureConfig::default()
        },
        ..TrainOptions::default()
    };

    let prepared = prepare(&corpus, Task::Abuse, &options(0.25));
    let ads: Vec<&Row> = prepared.rows.iter().filter(|r| r.advertising()).collect();
    assert_eq!(
        ads.len(),
        4,
        "the four spam rows, not the four ordinary ones"
    );
    assert!(ads
        .iter()
        .all(|r| r.derived() && !r.label && r.source == "t"));
    assert_eq!(prepared.derived, 4);
    let off = prepare(&corpus, Task::Abuse, &options(0.0));
    assert!(
        off.rows.iter().all(|r| r.source != "t"),
        "weight 0: left out"
    );

    let outcome = train_task(&corpus, Task::Abuse, &options(0.25), &Silent).unwrap();
    assert_eq!(outcome.derived_rows, 4);
    assert_eq!(
        outcome.derived_rows_are,
        "advertisements labelled not abuse"
    );
    let held_out: Vec<&str> = outcome
        .cross_source
        .iter()
        .map(|f| f.held_out.as_str())
        .collect();
    assert_eq!(
        held_out,
        ["news", "talk"],
        "advertisements are never held out"
    );
    assert!(outcome.ordinary_held.iter().all(|o| o.source != "t"));
    let decisions = &outcome.model.training["labelling_decisions"];
    assert!(
        decisions[0]
            .as_str()
            .is_some_and(|d| d.starts_with("advertising is not abuse")),
        "{decisions}"
    );
    // The advertisements' words are evidence against abuse.
    let m = &outcome.model;
    let c = m.vocabulary.iter().position(|f| f == "channel").unwrap();
    assert!(m.feature_log_prob[1][c] < m.feature_log_prob[0][c]);
}
