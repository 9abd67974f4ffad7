//! Stages 3–5 of the reading: the [`Scanner`] walks the normalised text left to right
//! into tokens, cleans each token up, and joins words spelled out letter by letter.
//!
//! # Scanning
//! * **URLs**: `scheme://...` (http, https, ftp), `www.x...`, and bare domains whose
//!   top-level domain is on a short list of those used in links (`youtube.com/watch`,
//!   `bit.ly/x`, `t.co`, `discord.gg`). Words like `in`, `it`, `me`, `is`, `to`, `us`
//!   are left off that list because `great.In` (a missing space) is far more common
//!   than such a link. A URL gives two tokens: [`URL`] then its host without `www.`
//!   (`youtube.com`), so a model can learn both "has a link" and "links to X"; the
//!   path is dropped (it is mostly unique ids), except that a link carrying a referral
//!   or affiliate code (`?ref=`, `/ref/`, `/refer/`, `AffiliateID=`) adds [`REFERRAL`]:
//!   someone is paid for the click, on any site.
//! * **E-mail** addresses (`john.doe+tag@mail.example.co.uk`) → [`EMAIL`]; `@handle` →
//!   [`MENTION`] (a trailing `'s` is swallowed); `#tag` → `tag` (the `#` is dropped like
//!   other punctuation).
//! * **Phone numbers** → [`PHONE`], **numbers** → [`NUMBER`] and **money** → [`MONEY`]:
//!   the rules are in `numbers.rs`.
//! * **Words**: runs of alphanumerics (`char::is_alphanumeric`, so Arabic, Hebrew,
//!   Cyrillic... are words; combining marks stay inside the word). The text is kept in
//!   logical order, which is how RTL text is stored, so Arabic/Hebrew need no special
//!   handling. Inside a word, apostrophes are removed (`don't`, `don’t` → `dont`), a
//!   `*` between alphanumerics is kept (`f**k`, `sh*t` are single tokens; a lone or
//!   trailing `*` is dropped), and `@`/`$` between letters are leetspeak (`b@stard`,
//!   `a$$hole`; a word may also start with `$` before a letter: `$hit`). `-`, `_` and
//!   other punctuation split words (`well-known` → `well`, `known`).
//! * **Han and kana** have no spaces between words, so each ideograph/kana is its own
//!   token (character unigrams; the caller's bigrams then give character bigrams).
//!   Thai, Lao, Khmer... also lack spaces but come out as capped runs.
//! * **Emoji and other pictographs**: one token each; a regional-indicator pair (a
//!   flag) is one token; skin-tone modifiers are dropped so `👍🏽` is `👍`.
//! * **`!` and `?`**: a run of them becomes one `!` and/or one `?` (in order of first
//!   appearance): excitement and questions carry spam/abuse signal, their count
//!   mostly does not. All other punctuation and symbols are dropped.
//!
//! # Per-token clean-up
//! * **Leetspeak** (`1d10t` → `idiot`, `n00b` → `noob`, `h4te` → `hate`; 0→o 1→i 3→e
//!   4→a 5→s 7→t) only in a token that has at least 2 letters, whose digits are all in
//!   that set, and whose digits are not just a prefix or just a suffix (a plural `s`
//!   after them still counts as a suffix). That keeps `mp3`, `mp3s`, `4chan`, `3rd`,
//!   `1st`, `covid19`, `2nd`, `4k` and `b4` as they are.
//! * **Squeezing**: a run of the same character longer than 2 is cut to 2
//!   (`soooo` → `soo`, `n000b` → `noob`), and a symbol token (emoji, ideograph, `!`,
//!   `?`) equal to each of the two before it is dropped (`😂😂😂` → `😂 😂`). Words
//!   are not squeezed across tokens: `spam spam spam` is real signal.
//! * **Length cap**: [`MAX_TOKEN_CHARS`] characters; the rest of an over-long run is
//!   dropped, so an unbroken 5,000-character string costs one token.
//!
//! # De-obfuscation of spelled-out words
//! * 3+ single alphanumerics separated by the same `.`, `-` or `_` are joined:
//!   `f.u.c.k`, `f-u-c-k`, `f_u_c_k` → `fuck` (then leetspeak applies: `s.h.1.t`).
//! * Spaced letters: a run of single ASCII letters separated by whitespace (possibly
//!   with punctuation: `f. u. c. k.`) is joined when it has at least 3 letters other
//!   than `a` and `i`, the English one-letter words. So `f u c k`, `y o u` → `fuck`,
//!   `you`, while `i a m`, `u r a`, `a b` stay separate. A leading `a`/`i` is split
//!   off when at least 3 letters remain (`a f u c k` → `a`, `fuck`; `i h a t e` →
//!   `i`, `hate`). Known misses, accepted: `a s s h o l e` → `a`, `sshole`;
//!   `y r u` → `yru`. Only ASCII letters take part: one-letter words are common in
//!   other languages (Russian `и я в`).
use unicode_normalization::char::is_combining_mark;

use super::chars::{
    is_alnum, is_apostrophe, is_ideograph, is_letter, is_pictograph, is_regional_indicator,
    is_word_char, next_char,
};
use super::numbers;
use super::{EMAIL, MAX_TOKEN_CHARS, MENTION, MONEY, NUMBER, PHONE, REFERRAL, URL};

/// Top-level domains for which a bare `name.tld` is taken as a link (see the module doc
/// for why common English two-letter words are not here).
const LINK_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "ly", "gl", "gg", "be", "tv", "fm", "ai",
    "xyz", "ru", "su", "uk", "de", "fr", "es", "nl", "pl", "br", "ca", "au", "cn", "jp", "eu",
    "tk", "ml", "ga", "cf", "gq", "pw", "ws", "cc", "top", "club", "online", "site", "shop",
    "store", "live", "app", "dev", "vip", "icu", "win", "click", "link", "edu", "gov",
];

/// A run of spelled-out single letters (`f u c k`) being collected; see [`Scanner::lone_letter`].
#[derive(Default)]
struct LoneRun {
    /// Index of the run's first token.
    first: usize,
    /// Number of letters (tokens) in the run.
    len: usize,
    /// Letters other than `a` and `i`.
    strong: usize,
    /// Byte offset in the normalized text just after the last letter.
    end: usize,
}

/// What the scanner reads a text for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Reading {
    /// The models' tokens: URLs, e-mails, mentions, numbers, phone numbers and amounts
    /// become marker tokens ([`URL`] and the host, [`NUMBER`], ...); tokens are capped at
    /// [`MAX_TOKEN_CHARS`].
    Model,
    /// Words, for everything that is not a model: the same tokens, except that where the
    /// models see a marker there are the words of the marked text (`casino.example/x` →
    /// `casino`, `example`, `x`; `1,000` → `1`, `000`), and no token is capped.
    Words,
}

/// Reads normalised text into tokens (see the module doc); one per comment.
pub(super) struct Scanner<'a> {
    /// The normalized text.
    s: &'a str,
    buf: &'a mut String,
    spans: &'a mut Vec<(u32, u32)>,
    joined: &'a mut String,
    run: LoneRun,
    reading: Reading,
    /// Longest token, in characters.
    cap: usize,
    /// URLs seen.
    links: usize,
    /// Set when the token buffer outgrew `u32` offsets; scanning stops there.
    full: bool,
}

impl<'a> Scanner<'a> {
    /// A scanner of `s` that appends tokens to `buf` and `spans`; `joined` is scratch.
    pub(super) fn new(
        s: &'a str,
        reading: Reading,
        buf: &'a mut String,
        spans: &'a mut Vec<(u32, u32)>,
        joined: &'a mut String,
    ) -> Self {
        Scanner {
            s,
            buf,
            spans,
            joined,
            run: LoneRun::default(),
            reading,
            cap: match reading {
                Reading::Model => MAX_TOKEN_CHARS,
                Reading::Words => usize::MAX,
            },
            links: 0,
            full: false,
        }
    }

    /// How many URLs the text has: each one the models see as [`URL`].
    pub(super) fn links(&self) -> usize {
        self.links
    }

    /// Whether the token buffer outgrew `u32` offsets (scanning stopped there).
    pub(super) fn is_full(&self) -> bool {
        self.full
    }

    /// Scans the whole text.
    pub(super) fn run(&mut self) {
        let s = self.s;
        let bytes = s.as_bytes();
        let mut i = 0;
        while i < bytes.len() && !self.full {
            let b = bytes[i];
            if b.is_ascii() {
                let next = match b {
                    b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' => self.word(i),
                    b'$' if next_char(s, i + 1).is_some_and(is_letter) => self.word(i),
                    b'@' => self.mention(i),
                    b'!' | b'?' => self.bangs(i),
                    _ => i + 1,
                };
                // Every handler consumes at least the byte it started on; make sure.
                i = next.max(i + 1);
                continue;
            }
            let Some(c) = next_char(s, i) else { break };
            let len = c.len_utf8();
            if is_ideograph(c) {
                self.push_symbol(&s[i..i + len]);
                i += len;
            } else if is_alnum(c) {
                i = self.word(i).max(i + len);
            } else if is_regional_indicator(c) {
                // Two regional indicators make one flag.
                let pair = next_char(s, i + len).filter(|&d| is_regional_indicator(d));
                let end = i + len + pair.map_or(0, char::len_utf8);
                self.push_symbol(&s[i..end]);
                i = end;
            } else if is_pictograph(c) {
                self.push_symbol(&s[i..i + len]);
                i += len;
            } else {
                // Whitespace, punctuation, symbols, stray combining marks.
                i += len;
            }
        }
        self.finish_run();
    }

    /// Handles the word-like text starting at `i` (an alphanumeric, or `$` before a
    /// letter): URL, e-mail, number or word(s). Returns where scanning resumes.
    fn word(&mut self, i: usize) -> usize {
        let rest = &self.s[i..];
        for scheme in ["http://", "https://", "ftp://"] {
            if rest.starts_with(scheme) {
                return self.url(i + scheme.len());
            }
        }
        if rest.starts_with("www.") && next_char(rest, 4).is_some_and(is_alnum) {
            return self.url(i);
        }

        if rest.as_bytes()[0].is_ascii_digit() {
            if let Some(end) = numbers::phone_end(self.s, i) {
                let s = self.s;
                self.marked(PHONE, &s[i..end]);
                return end;
            }
        }

        let run = wide_run(rest);
        if run.end == 0 {
            // Only `$` before a letter that cannot continue a word (`$汉`): skip the `$`.
            return i + 1;
        }
        let w = &rest[..run.end];
        if run.has_at {
            if let Some(n) = email_len(w) {
                self.marked(EMAIL, &w[..n]);
                return i + n;
            }
        }
        if run.has_dot && is_bare_domain(rest) {
            return self.url(i);
        }

        if w.len() == 1 && w.as_bytes()[0].is_ascii_alphabetic() {
            self.lone_letter(w.as_bytes()[0], i);
        } else {
            let mut joined = std::mem::take(self.joined);
            joined.clear();
            if !run.has_punct {
                self.push_word(w, Some(i));
            } else if dotted_letters(w, &mut joined) {
                self.push_word(&joined, None);
            } else {
                self.push_parts(w, i);
            }
            *self.joined = joined;
        }
        i + run.end
    }

    /// Emits [`URL`] and the host for the URL whose host starts at `host_start`; returns
    /// where the URL ends.
    fn url(&mut self, host_start: usize) -> usize {
        let rest = &self.s[host_start..];
        let mut end = rest
            .find(|c: char| {
                c.is_whitespace()
                    || c.is_control()
                    || matches!(c, '<' | '>' | '"' | '`' | '{' | '}' | '|' | '\\' | '^')
                    || is_pictograph(c)
                    || is_ideograph(c)
            })
            .unwrap_or(rest.len());
        // Sentence punctuation right after a link is not part of it.
        while let Some(c) = rest[..end].chars().next_back() {
            if matches!(
                c,
                '.' | ',' | ';' | ':' | '!' | '?' | '\'' | '’' | '”' | ')' | ']' | '}' | '*'
            ) {
                end -= c.len_utf8();
            } else {
                break;
            }
        }
        let url = &rest[..end];
        let path_start = url.find(['/', '?', '#']).unwrap_or(url.len());
        let mut host = &url[..path_start];
        if let Some(at) = host.rfind('@') {
            host = &host[at + 1..];
        }
        let host_end = host
            .find(|c: char| !(is_alnum(c) || matches!(c, '.' | '-' | '_')))
            .unwrap_or(host.len());
        let host = host[..host_end].trim_end_matches('.');
        let host = host.strip_prefix("www.").unwrap_or(host);

        self.links += 1;
        match self.reading {
            Reading::Model => {
                self.push_marker(URL);
                if !host.is_empty() {
                    let start = self.buf.len();
                    self.buf.extend(host.chars().take(MAX_TOKEN_CHARS));
                    self.commit(start);
                }
                if is_referral_path(&url[path_start..]) {
                    self.push_marker(REFERRAL);
                }
            }
            Reading::Words => self.push_literal(url),
        }
        host_start + end
    }

    /// `@handle` at `i` → [`MENTION`]; a bare `@` is dropped.
    fn mention(&mut self, i: usize) -> usize {
        let rest = &self.s[i + 1..];
        let mut end = 0;
        for (j, c) in rest.char_indices() {
            if is_alnum(c) || c == '_' || (end > 0 && is_combining_mark(c)) {
                end = j + c.len_utf8();
            } else if !(matches!(c, '.' | '-') && end == j && j > 0) {
                // `.`/`-` may continue a handle (`@john.doe`) only right after a handle char.
                break;
            }
        }
        if end == 0 {
            return i + 1;
        }
        self.marked(MENTION, &rest[..end]);
        // `@john's video`: the possessive is part of the mention, not a lone `s`.
        let after = &rest[end..];
        for apostrophe in ["'s", "’s"] {
            if let Some(tail) = after.strip_prefix(apostrophe) {
                if !tail.chars().next().is_some_and(is_alnum) {
                    return i + 1 + end + apostrophe.len();
                }
            }
        }
        i + 1 + end
    }

    /// A run of `!`/`?` at `i` → one `!` and/or one `?`, in order of first appearance.
    fn bangs(&mut self, i: usize) -> usize {
        let run = &self.s.as_bytes()[i..];
        let len = run
            .iter()
            .position(|&b| b != b'!' && b != b'?')
            .unwrap_or(run.len());
        let first = run[0];
        let other = if first == b'!' { b'?' } else { b'!' };
        self.push_symbol(if first == b'!' { "!" } else { "?" });
        if run[..len].contains(&other) {
            self.push_symbol(if other == b'!' { "!" } else { "?" });
        }
        i + len
    }

    /// Splits a word run (at byte `at` of the text) into parts at punctuation that is not
    /// in-word and emits them.
    fn push_parts(&mut self, w: &str, at: usize) {
        let mut part_start = 0;
        let mut prev: Option<char> = None;
        let mut j = 0;
        while let Some(c) = next_char(w, j) {
            let mut len = c.len_utf8();
            let keep = if is_word_char(c) {
                true
            } else if matches!(c, '*' | '@' | '$') {
                // Judge the whole run of symbols at once (keeps this linear).
                let in_run = |x: char| {
                    if c == '*' {
                        x == '*'
                    } else {
                        x == '@' || x == '$'
                    }
                };
                len = w[j..].find(|x: char| !in_run(x)).unwrap_or(w.len() - j);
                let next = next_char(w, j + len);
                if c == '*' {
                    // `f**k`: stars between alphanumerics.
                    prev.is_some_and(is_alnum) && next.is_some_and(is_alnum)
                } else {
                    // `b@stard`, `a$$hole`, and `$hit` at the start of the run.
                    (prev.is_some_and(is_letter) || (j == 0 && c == '$'))
                        && next.is_some_and(is_letter)
                }
            } else {
                let next = next_char(w, j + len);
                match c {
                    // `1,000`, `3.5`, `1-800-555-0199`: separators between digits belong
                    // to the number.
                    '.' | ',' | '-' => {
                        prev.is_some_and(char::is_numeric) && next.is_some_and(char::is_numeric)
                    }
                    _ if is_apostrophe(c) => {
                        prev.is_some_and(is_letter) && next.is_some_and(is_letter)
                    }
                    _ => false,
                }
            };
            if !keep {
                self.push_word(&w[part_start..j], Some(at + part_start));
                part_start = j + len;
            }
            prev = Some(c);
            j += len;
        }
        self.push_word(&w[part_start..], Some(at + part_start));
    }

    /// Emits one word part: [`MONEY`] or [`NUMBER`] if it has no letters, otherwise the
    /// part with apostrophes removed, leetspeak decoded where it applies, runs squeezed
    /// and the length capped. `at` is where the part is in the text, when it is a slice
    /// of it (not of a dotted word joined elsewhere), for the money rule to look around.
    fn push_word(&mut self, part: &str, at: Option<usize>) {
        let (part, at) = match part.as_bytes().first() {
            Some(b) if !b.is_ascii() => {
                let trimmed = part.trim_start_matches(is_combining_mark);
                (trimmed, at.map(|at| at + part.len() - trimmed.len()))
            }
            _ => (part, at),
        };
        if part.is_empty() {
            return;
        }
        let mut letters = 0usize;
        let mut numerics = 0usize;
        let mut non_leet_digits = false;
        let (mut first_letter, mut last_letter, mut before_last_letter) = (usize::MAX, 0, 0);
        let (mut first_digit, mut last_digit) = (usize::MAX, 0);
        // Whether the part can be copied as is: no apostrophe or in-word `@`/`$`, no run
        // to squeeze, not over-long.
        let mut verbatim = true;
        let mut chars = 0;
        let mut prev = '\0';
        let mut repeats = 0;
        for (j, c) in part.char_indices() {
            chars += 1;
            if c == prev {
                repeats += 1;
                verbatim &= repeats <= 2;
            } else {
                prev = c;
                repeats = 1;
            }
            if is_letter(c) {
                letters += 1;
                first_letter = first_letter.min(j);
                before_last_letter = last_letter;
                last_letter = j;
            } else if c.is_numeric() {
                numerics += 1;
                first_digit = first_digit.min(j);
                last_digit = j;
                non_leet_digits |= leet(c).is_none();
            } else {
                verbatim &= !(is_apostrophe(c) || c == '@' || c == '$');
            }
        }
        if letters == 0 {
            if numerics > 0 {
                let money = at.is_some_and(|at| numbers::is_money(self.s, at, at + part.len()));
                self.marked(if money { MONEY } else { NUMBER }, part);
            }
            return;
        }
        if first_digit == 0
            && at.is_some_and(|at| numbers::is_money_with_magnitude(self.s, at, part))
        {
            self.marked(MONEY, part);
            return;
        }
        // A plural `s` after the digits (`mp3s`, `ps4s`) does not make them inner.
        let plural = part.ends_with('s')
            && part
                .len()
                .checked_sub(2)
                .and_then(|k| part.as_bytes().get(k))
                .is_some_and(u8::is_ascii_digit);
        if plural {
            last_letter = before_last_letter;
        }
        let digits_only_prefix = last_digit < first_letter;
        let digits_only_suffix = first_digit > last_letter;
        let decode_digits = letters >= 2
            && numerics > 0
            && !non_leet_digits
            && !digits_only_prefix
            && !digits_only_suffix;

        self.finish_run();
        let start = self.buf.len();
        if verbatim && !decode_digits && chars <= self.cap {
            // The common case: a plain word.
            self.buf.push_str(part);
            self.commit(start);
            return;
        }
        let mut count = 0;
        let mut prev = '\0';
        let mut repeats = 0;
        for c in part.chars() {
            if is_apostrophe(c) {
                continue;
            }
            let c = match c {
                // Only ever in-word here (see `push_parts`).
                '@' => 'a',
                '$' => 's',
                _ if decode_digits => leet(c).unwrap_or(c),
                _ => c,
            };
            if c == prev {
                repeats += 1;
                if repeats > 2 {
                    continue;
                }
            } else {
                prev = c;
                repeats = 1;
            }
            if count == self.cap {
                break;
            }
            self.buf.push(c);
            count += 1;
        }
        self.commit(start);
    }

    /// Records a single ASCII letter standing alone at `at`; runs of them are joined by
    /// [`Scanner::finish_run`].
    fn lone_letter(&mut self, letter: u8, at: usize) {
        let run = &self.run;
        // The letters must be spaced out (`f u c k`, `f. u. c. k.`), not `a/b`, and no
        // other token may have come between (pushing one ends the run).
        let continues = run.len > 0
            && run.first + run.len == self.spans.len()
            && self.s[run.end..at].contains(char::is_whitespace);
        if !continues {
            self.finish_run();
            self.run.first = self.spans.len();
        }
        let start = self.buf.len();
        self.buf.push(char::from(letter));
        self.commit(start);
        self.run.len += 1;
        self.run.strong += usize::from(letter != b'a' && letter != b'i');
        self.run.end = at + 1;
    }

    /// Ends the current run of lone letters, joining it into one token if it qualifies.
    fn finish_run(&mut self) {
        let run = std::mem::take(&mut self.run);
        if run.len < 3 || run.strong < 3 || run.first + run.len != self.spans.len() {
            return;
        }
        let mut first = run.first;
        // A leading `a`/`i` is most likely the English word (`a f u c k`).
        if matches!(self.get(first), "a" | "i") && run.len > 3 {
            first += 1;
        }
        // The run's letters are single ASCII bytes stored back to back at the end of `buf`.
        let start = self.spans[first].0 as usize;
        let mut word = [0u8; MAX_TOKEN_CHARS];
        let mut n = 0;
        let mut repeats = 0;
        for &b in &self.buf.as_bytes()[start..] {
            if n > 0 && word[n - 1] == b {
                repeats += 1;
                if repeats >= 2 {
                    continue;
                }
            } else {
                repeats = 0;
            }
            if n == MAX_TOKEN_CHARS {
                break;
            }
            word[n] = b;
            n += 1;
        }
        self.buf.truncate(start);
        self.spans.truncate(first);
        self.buf.extend(word[..n].iter().map(|&b| char::from(b)));
        self.commit(start);
    }

    /// Emits `marker` for `text` (a URL, number...): the marker when reading for the models,
    /// else the words of `text`.
    fn marked(&mut self, marker: &str, text: &str) {
        match self.reading {
            Reading::Model => self.push_marker(marker),
            Reading::Words => self.push_literal(text),
        }
    }

    /// Emits the words of `text` (runs of word characters) as they are.
    fn push_literal(&mut self, text: &str) {
        self.finish_run();
        for word in text.split(|c: char| !is_word_char(c)) {
            if !word.is_empty() {
                let start = self.buf.len();
                self.buf.push_str(word);
                self.commit(start);
            }
        }
    }

    /// Emits a marker token.
    pub(super) fn push_marker(&mut self, marker: &str) {
        self.finish_run();
        let start = self.buf.len();
        self.buf.push_str(marker);
        self.commit(start);
    }

    /// Emits a symbol token (emoji, ideograph, `!`, `?`) unless the two tokens before it
    /// are the same symbol.
    fn push_symbol(&mut self, symbol: &str) {
        self.finish_run();
        let n = self.spans.len();
        if n >= 2 && self.get(n - 1) == symbol && self.get(n - 2) == symbol {
            return;
        }
        let start = self.buf.len();
        self.buf.push_str(symbol);
        self.commit(start);
    }

    fn get(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.buf[start as usize..end as usize]
    }

    /// Turns `buf[start..]` into a token (nothing if empty).
    fn commit(&mut self, start: usize) {
        if self.buf.len() == start {
            return;
        }
        match (u32::try_from(start), u32::try_from(self.buf.len())) {
            (Ok(s), Ok(e)) => self.spans.push((s, e)),
            _ => {
                // Gigabytes of tokens: keep what fits and stop rather than wrap offsets.
                self.buf.truncate(start);
                self.full = true;
            }
        }
    }
}

/// The extent of a word-like run and what it contains.
struct WideRun {
    /// End of the run, after its last alphanumeric (trailing punctuation is not part).
    end: usize,
    has_at: bool,
    has_dot: bool,
    /// Whether punctuation occurs before `end` (else the run is one plain word).
    has_punct: bool,
}

/// Scans the run of word characters and in-word punctuation at the start of `s`.
fn wide_run(s: &str) -> WideRun {
    let mut run = WideRun {
        end: 0,
        has_at: false,
        has_dot: false,
        has_punct: false,
    };
    let mut first_punct = usize::MAX;
    for (j, c) in s.char_indices() {
        if c.is_ascii_alphanumeric() || (!c.is_ascii() && is_word_char(c) && !is_ideograph(c)) {
            run.end = j + c.len_utf8();
        } else if matches!(c, '.' | ',' | '-' | '_' | '@' | '$' | '*' | '+') || is_apostrophe(c) {
            first_punct = first_punct.min(j);
            run.has_at |= c == '@';
            run.has_dot |= c == '.';
        } else {
            break;
        }
    }
    run.has_punct = first_punct < run.end;
    run
}

/// Length of the e-mail address at the start of `w`, if it is one.
fn email_len(w: &str) -> Option<usize> {
    let at = w.find('@')?;
    let local = &w[..at];
    let local_ok = !local.is_empty()
        && local
            .chars()
            .all(|c| is_alnum(c) || matches!(c, '.' | '_' | '-' | '+'));
    if !local_ok {
        return None;
    }
    let domain = &w[at + 1..];
    let end = domain
        .find(|c: char| !(is_alnum(c) || matches!(c, '.' | '-')))
        .unwrap_or(domain.len());
    let domain = domain[..end].trim_end_matches(['.', '-']);
    let (labels, tld) = domain.rsplit_once('.')?;
    let ok = !labels.is_empty()
        && !labels.split('.').any(str::is_empty)
        && tld.chars().count() >= 2
        && tld.chars().all(is_letter);
    ok.then_some(at + 1 + domain.len())
}

/// Path, query and fragment components that say a click on the link pays someone:
/// referral and affiliate codes (`?ref=`, `/ref/`, `/refer/`, `AffiliateID=`). Campaign
/// tags (`utm_source=`) are left out: readers share news links copied from newsletters
/// and social media with them.
const REFERRAL_COMPONENTS: &[&str] = &[
    "aff",
    "aff_id",
    "affid",
    "affiliate",
    "affiliate_id",
    "affiliateid",
    "ref",
    "ref_id",
    "refer",
    "referral",
    "referrer",
    "refid",
];

/// Whether the part of a URL after its host names a referral or affiliate code: one of
/// its components (split at `/ ? & # = ;`) is in [`REFERRAL_COMPONENTS`], ASCII case
/// aside. Whole components only, so `/reference/` or `/2016/eu-referendum` are ordinary
/// links.
fn is_referral_path(path: &str) -> bool {
    path.split(['/', '?', '&', '#', '=', ';']).any(|c| {
        REFERRAL_COMPONENTS
            .iter()
            .any(|r| c.eq_ignore_ascii_case(r))
    })
}

/// Whether `s` starts with a bare domain (`example.com`, `bit.ly/x`) on a link TLD.
fn is_bare_domain(s: &str) -> bool {
    let end = s
        .find(|c: char| !(is_alnum(c) || matches!(c, '.' | '-')))
        .unwrap_or(s.len());
    // `x.com_foo` or `x.com@y` are not links.
    if matches!(s[end..].chars().next(), Some('_' | '@')) {
        return false;
    }
    let host = s[..end].trim_end_matches('.');
    let Some((labels, tld)) = host.rsplit_once('.') else {
        return false;
    };
    !labels.split('.').any(str::is_empty) && LINK_TLDS.contains(&tld)
}

/// Joins 3+ single alphanumerics separated by one repeated `.`, `-` or `_` into `out`
/// (`f.u.c.k` → `fuck`). All digits (`1.2.3`) is a number, not a spelled word.
fn dotted_letters(w: &str, out: &mut String) -> bool {
    let mut sep = None;
    let mut want_char = true;
    let mut count = 0;
    let mut all_digits = true;
    for c in w.chars() {
        if want_char {
            if !is_alnum(c) || is_ideograph(c) {
                return false;
            }
            out.push(c);
            count += 1;
            all_digits &= c.is_numeric();
        } else if !matches!(c, '.' | '-' | '_') || *sep.get_or_insert(c) != c {
            return false;
        }
        want_char = !want_char;
    }
    !want_char && count >= 3 && !all_digits
}

/// The letter an ASCII leetspeak digit stands for.
fn leet(c: char) -> Option<char> {
    Some(match c {
        '0' => 'o',
        '1' => 'i',
        '3' => 'e',
        '4' => 'a',
        '5' => 's',
        '7' => 't',
        _ => return None,
    })
}
