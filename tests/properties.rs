//! Properties of the code that takes hostile input, checked with proptest on generated
//! input: the tokenizer, the submission decoders, the pagination cursors and the
//! configuration loader. Each property is a promise the code makes whatever it is given
//! (never panic; round trips; bounded output), not an expected output for chosen input:
//! the tokenizer's exact tokens change as its rules improve.
//!
//! `PROPTEST_CASES=N` runs more cases (the default is proptest's 256 per property).
use commentguard::classifier::tokenize::{tokenize, tokenize_into, Tokens, MAX_TOKEN_CHARS};
use commentguard::domain::CommentId;
use commentguard::http::fields::{Encoding, Fields};
use proptest::prelude::*;

/// Text shaped like hostile comments: any Unicode, plus the pieces the tokenizer has rules
/// for (entities, tags, links, obfuscation, invisible and combining characters).
fn comment_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<char>().prop_map(String::from),
        "[a-zA-Z0-9 .,!?'-]{1,12}",
        Just("&amp;".to_owned()),
        Just("&#x1F602;".to_owned()),
        Just("&amp;#39;".to_owned()),
        Just("<br />".to_owned()),
        Just("<a href=\"http://x.example/a\">".to_owned()),
        Just("</a>".to_owned()),
        Just("<".to_owned()),
        Just("http://".to_owned()),
        Just("www.".to_owned()),
        Just("bit.ly/x".to_owned()),
        Just("f.u.c.k".to_owned()),
        Just("1d10t".to_owned()),
        Just("\u{200B}".to_owned()),
        Just("\u{202E}".to_owned()),
        Just("\u{301}".to_owned()),
        Just("ｆｕｌｌ".to_owned()),
        Just("𝐛𝐨𝐥𝐝".to_owned()),
        Just("🅵🆄".to_owned()),
        Just("ß".to_owned()),
        Just("İ".to_owned()),
        Just("ς".to_owned()),
        Just("a@b.example".to_owned()),
        Just("12,345.6".to_owned()),
        Just("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".to_owned()),
        Just("\n\t\r".to_owned()),
    ];
    proptest::collection::vec(pieces, 0..40).prop_map(|p| p.concat())
}

proptest! {
    /// The tokenizer never panics, and its tokens are non-empty, free of whitespace and
    /// at most MAX_TOKEN_CHARS characters long.
    #[test]
    fn tokens_are_bounded(text in comment_text()) {
        for token in tokenize(&text) {
            prop_assert!(!token.is_empty());
            prop_assert!(!token.chars().any(char::is_whitespace), "{token:?}");
            prop_assert!(token.chars().count() <= MAX_TOKEN_CHARS, "{token:?}");
        }
    }

    /// Arbitrary bytes read as (lossy) text never make it panic either.
    #[test]
    fn tokenizer_takes_any_text(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = tokenize(&text);
    }

    /// The same text gives the same tokens, and a reused buffer gives what a fresh one
    /// gives (nothing leaks from one comment into the next).
    #[test]
    fn tokenizer_is_deterministic(a in comment_text(), b in comment_text()) {
        let first = tokenize(&a);
        prop_assert_eq!(&first, &tokenize(&a));
        let mut buffer = Tokens::new();
        tokenize_into(&b, &mut buffer);
        tokenize_into(&a, &mut buffer);
        let reused: Vec<String> = buffer.iter().map(str::to_owned).collect();
        prop_assert_eq!(first, reused);
    }

    /// Tokens are lower case: case folding happens before anything is counted.
    #[test]
    fn tokens_are_case_folded(text in comment_text()) {
        for token in tokenize(&text) {
            prop_assert_eq!(token.to_lowercase(), token.clone());
        }
    }

    /// Zero-width characters inserted into plain text change nothing: they are the
    /// commonest way to split a word past a filter.
    #[test]
    fn zero_width_characters_are_ignored(
        words in proptest::collection::vec("[a-zA-Z]{1,10}", 1..8),
        at in proptest::collection::vec(any::<prop::sample::Index>(), 1..4),
    ) {
        let text = words.join(" ");
        let mut chars: Vec<char> = text.chars().collect();
        for i in &at {
            let pos = i.index(chars.len() + 1);
            chars.insert(pos, '\u{200B}');
        }
        let hidden: String = chars.into_iter().collect();
        prop_assert_eq!(tokenize(&hidden), tokenize(&text));
    }
}

proptest! {
    /// Any bytes sent as JSON or as a form are decoded or refused with a 4xx, never a
    /// panic; whatever decodes is text.
    #[test]
    fn decoders_take_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        for encoding in [Encoding::Json, Encoding::Form] {
            match Fields::decode(encoding, &bytes) {
                Ok(fields) => {
                    for name in commentguard::domain::KNOWN_FIELDS {
                        let _ = fields.text(name);
                        let _ = fields.flag(name);
                        let _ = fields.optional_number(name);
                    }
                }
                Err(err) => prop_assert!(err.status_and_code().0.is_client_error()),
            }
        }
    }

    /// A form encoded by a browser's rules decodes to exactly the values that were
    /// encoded (first occurrence of a repeated name wins), whatever the text.
    #[test]
    fn forms_round_trip(pairs in proptest::collection::vec(("[a-z_]{1,8}", any::<String>()), 0..8)) {
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&pairs)
            .finish();
        let fields = Fields::decode(Encoding::Form, encoded.as_bytes()).unwrap();
        let mut seen = std::collections::HashSet::new();
        for (name, value) in &pairs {
            if seen.insert(name.clone()) {
                prop_assert_eq!(fields.dynamic(name), Some(value.as_str()));
            }
        }
    }

    /// A JSON object of strings decodes to the same strings; numbers and booleans are
    /// never taken as text.
    #[test]
    fn json_round_trips(
        body in any::<String>(),
        name in any::<String>(),
        number in any::<i64>(),
        flag in any::<bool>(),
    ) {
        let json = serde_json::json!({
            "body": body, "author_name": name, "parent_id": number, "nudge": flag,
        });
        let fields = Fields::decode(Encoding::Json, json.to_string().as_bytes()).unwrap();
        prop_assert_eq!(fields.text("body").unwrap(), Some(body.as_str()));
        prop_assert_eq!(fields.text("author_name").unwrap(), Some(name.as_str()));
        let number_text = number.to_string();
        prop_assert_eq!(fields.optional_number("parent_id").unwrap(), Some(number_text.as_str()));
        prop_assert!(fields.text("parent_id").is_err());
        prop_assert_eq!(fields.flag("nudge").unwrap(), flag);
        prop_assert!(fields.text("nudge").is_err());
    }
}

fn queue_order() -> impl Strategy<Value = commentguard::store::QueueOrder> {
    use commentguard::store::QueueOrder;
    prop_oneof![
        Just(QueueOrder::Oldest),
        Just(QueueOrder::Newest),
        Just(QueueOrder::Spam),
        Just(QueueOrder::Abuse),
        Just(QueueOrder::Uncertain),
    ]
}

proptest! {
    /// Listing cursors decode to the id they were made from; anything else is refused
    /// with 400, never a panic.
    #[test]
    fn listing_cursors_round_trip(id in 1..i64::MAX, junk in any::<String>()) {
        use commentguard::http::articles::{decode_cursor, encode_cursor};
        let id = CommentId::new(id).unwrap();
        prop_assert_eq!(decode_cursor(&encode_cursor(id)).unwrap(), id);
        if let Err(err) = decode_cursor(&junk) {
            prop_assert_eq!(err.status_and_code().1, "INVALID_CURSOR");
        }
    }

    /// Queue cursors keep their sort key bit for bit (so the next page starts exactly
    /// after the last item) and refuse a cursor of another order.
    #[test]
    fn queue_cursors_round_trip(
        order in queue_order(),
        other in queue_order(),
        bits in any::<u64>(),
        id in 1..i64::MAX,
        junk in any::<String>(),
    ) {
        use commentguard::http::review_queue::{decode_cursor, encode_cursor};
        use commentguard::store::QueuePosition;
        let pos = QueuePosition { key: f64::from_bits(bits), id: CommentId::new(id).unwrap() };
        let cursor = encode_cursor(order, pos);
        let back = decode_cursor(&cursor, order).unwrap();
        prop_assert_eq!(back.key.to_bits(), bits);
        prop_assert_eq!(back.id, pos.id);
        if other != order {
            prop_assert!(decode_cursor(&cursor, other).is_err());
        }
        let _ = decode_cursor(&junk, order);
    }
}

/// A config value: valid, out of range, or of the wrong type.
fn toml_value() -> impl Strategy<Value = String> {
    prop_oneof![
        (-5i64..200).prop_map(|n| n.to_string()),
        (-1.0f64..2.0).prop_map(|f| format!("{f:?}")),
        Just("true".to_owned()),
        "\"[a-z0-9:/.@ ]{0,20}\"",
        Just("[]".to_owned()),
        Just("[\"10.0.0.0/8\"]".to_owned()),
    ]
}

proptest! {
    /// The loader refuses or accepts, never panics; a refusal names a key; an accepted
    /// configuration, written back as TOML, loads to the same configuration.
    #[test]
    fn config_loader_refuses_by_name_or_round_trips(
        site in prop_oneof!["[a-z][a-z0-9_-]{0,10}", "[A-Za-z .]{1,6}"],
        entries in proptest::collection::vec((
            prop::sample::select(vec![
                "max_links", "min_form_seconds", "retention_days", "reports_to_review",
                "trusted_author_after", "duplicate_window_hours", "require_email",
                "premoderate", "origins", "honeypot_field", "thresholds.spam_review",
                "thresholds.spam_reject", "rate_limit.ip_burst", "rate_limit.ip_per_minute",
            ]),
            toml_value(),
        ), 0..6),
        top in proptest::collection::vec((
            prop::sample::select(vec![
                "workers", "log_format", "trusted_proxies", "rate_limit_prune_secs",
                "storage.write_queue", "retention.audit_days", "webhooks.timeout_ms",
            ]),
            toml_value(),
        ), 0..3),
    ) {
        use std::collections::BTreeMap;
        // Dotted keys grouped into their tables, so each key appears once.
        let mut root: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for (key, value) in &top {
            let (table, key) = key.split_once('.').map_or(("", *key), |(t, k)| (t, k));
            root.entry(table.to_owned()).or_default().insert(key.to_owned(), value.clone());
        }
        for (key, value) in &entries {
            let (table, key) = key.split_once('.').map_or(("", *key), |(t, k)| (t, k));
            let table = if table.is_empty() {
                format!("sites.\"{site}\"")
            } else {
                format!("sites.\"{site}\".{table}")
            };
            root.entry(table).or_default().insert(key.to_owned(), value.clone());
        }
        let mut text = String::new();
        if let Some(plain) = root.remove("") {
            for (k, v) in plain {
                text.push_str(&format!("{k} = {v}\n"));
            }
        }
        for (table, keys) in root {
            text.push_str(&format!("[{table}]\n"));
            for (k, v) in keys {
                text.push_str(&format!("{k} = {v}\n"));
            }
        }
        match commentguard::config::Config::from_toml(&text) {
            Ok(config) => {
                let written = toml::to_string(&config).unwrap();
                let again = commentguard::config::Config::from_toml(&written)
                    .unwrap_or_else(|e| panic!("{written}\n{e}"));
                prop_assert_eq!(toml::to_string(&again).unwrap(), written);
            }
            Err(err) => {
                let message = err.to_string();
                prop_assert!(message.starts_with("invalid configuration"), "{}", message);
            }
        }
    }

    /// Any text at all given as a configuration file is refused or accepted, never a panic.
    #[test]
    fn config_loader_takes_any_text(text in any::<String>()) {
        let _ = commentguard::config::Config::from_toml(&text);
    }
}
