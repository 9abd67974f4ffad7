//! The deterministic tokenizer for user comments.
//!
//! Both naive Bayes models (spam, abuse) see a comment only through these tokens, so the
//! tokenizer's job is to make the surface variation of real comments (scraped HTML,
//! Unicode look-alikes, obfuscated profanity, links) collapse onto a small vocabulary,
//! while staying cheap: scoring has a budget of ~10 µs per 200-character comment, so this
//! runs in a few passes over the text into reusable buffers ([`Tokens`]), with ASCII
//! fast paths and no per-token allocation. Training and scoring call the same function,
//! so every rule only has to be deterministic, not perfect: a rule that is sometimes
//! wrong in the same way at train and score time costs little.
//!
//! # Pipeline
//!
//! 1. **HTML** (only when the text contains `&` or `<`). Comments scraped from YouTube
//!    and news sites carry entities and markup. Entities are decoded: the named ones that
//!    actually occur (`&amp; &lt; &gt; &quot; &apos; &nbsp;`, typographic quotes and
//!    dashes, ...), decimal `&#39;` and hex `&#x1F602;`; double-escaped `&amp;#39;`
//!    (common in scraped data) is decoded too. A decoded `&lt;b&gt;` is text, not a tag.
//!    Tags with a known HTML name (`<br />`, `<b>`, `</a>`, `<!-- -->`, ...) become a
//!    space; `<3` or `a < b` are left alone because no HTML tag name follows the `<`. A URL in
//!    an `href`/`src` attribute is kept (as ` url `) so links count even when the visible
//!    text is not a URL; when the anchor text *is* that same URL it is dropped so the link
//!    is not counted twice.
//! 2. **Unicode**. Invisible characters are removed first (zero-width U+200B–U+200F,
//!    U+2060–U+2064, U+FEFF, soft hyphen, bidi controls, variation selectors, tag
//!    characters, the Arabic tatweel): they are used to split words past filters
//!    (`f\u{200B}uck`) and carry no meaning. Control characters are removed, except the
//!    whitespace ones (`\n \t \r`, ...), which separate words. Then NFKC, which also
//!    undoes full-width (`ｆｕｃｋ`) and mathematical-alphanumeric (`𝐟𝐮𝐜𝐤`) obfuscation,
//!    and lower-casing with `char::to_lowercase` (plus final sigma `ς` → `σ`, so Greek
//!    words do not depend on position). Negative squared/circled letters (`🅵🆄`), which
//!    NFKC does not map, are mapped to ASCII. Pure-ASCII input skips all of this except
//!    lower-casing; input that is already NFKC skips the NFKC pass.
//!
//!    **Look-alike letters** (non-ASCII text only; the tables and scanning are in
//!    `tokenize/lookalike.rs`). Cyrillic `а с е о р х у і`, Greek `ο α ε ν`, Armenian
//!    `օ ս`, Cherokee... are written for Latin letters to get past filters (`Сheck оut my
//!    сhannel`). Each letter of a script other than Latin maps to the ASCII letter or
//!    digit it reads as: its Unicode UTS #39 skeleton (from the `unicode-security` crate,
//!    turned into tables by `build.rs`) when that is one ASCII letter or digit, else a
//!    short table for skeletons that are Latin but not ASCII, chosen by how they read:
//!    small capitals (`в`→`ʙ`→`b`; likewise `н`→h, `т`→t, `к`→k, `м`→m and Coptic and
//!    Cherokee small letters), `ε`/`є`→`ꞓ`→e, `β`→`ß`→b, `ь`→`ƅ`→b, `з`→`ɜ`→`3` (which
//!    leetspeak reads as `e` inside a word); `build.rs` lists what is left out and why.
//!    Upper-case letters that read as another letter than their lower-case form (Greek
//!    `Η Ν Υ Χ Μ`, Cyrillic `Ӏ`) are noted before lower-casing and read as capitals. Words
//!    here are runs of word characters (as below, without ideographs); a letter is Latin,
//!    of another script (by the `unicode-script` crate), or neutral (digits, marks). Look-
//!    alikes are replaced:
//!    * in a word that **mixes** Latin letters with letters of another script (`сhannel`,
//!      `stupіd`), always. Such words are counted ([`Tokens::mixed_script_words`]):
//!      honest text in any language rarely has one;
//!    * in a word whose letters are **all** look-alikes (a lone Cyrillic `а`, `оо`) when
//!      the comment is mostly Latin (the letters of words with a Latin letter outnumber
//!      those of *foreign* words: other-script words with a letter that looks like no
//!      Latin letter, `привет`, `дом`; all-look-alike words count for neither side), and
//!      the word is not in a foreign phrase: neither its nearest foreign-or-Latin word
//!      before nor the one after it (skipping all-look-alike words and numbers) is
//!      foreign.
//!
//!    So Russian, Ukrainian, Greek... comments keep their words (`как`, `на` and `все`
//!    stay Cyrillic in a Russian sentence), and so does a phrase quoted in an English
//!    comment (`здание с видом`, `κλασική και αρχαία`); a lone other-script word in an
//!    English sentence stays unless every letter of it is a look-alike (`борщ` stays,
//!    `τ` becomes `t`). Latin letters outside ASCII (`é`, `ß`) are not look-alikes: they
//!    are Latin.
//!
//!    **Shouting** (`tokenize/shouting.rs`) is read off the text as written (after HTML
//!    decoding), before lower-casing: a word here is a run of letters (invisible
//!    characters and combining marks do not split it) with at least 2 letters, one of
//!    them cased; it is all-caps when it has 2+ capitals and no lower-case letter. A
//!    comment shouts when at least 3 words are all-caps and they are at least half of
//!    the words: `CHECK OUT MY CHANNEL`, `this is SO WRONG, SHAME ON YOU`, `ВЫ ВСЕ ТУТ`,
//!    but not `NASA and the FBI met the EU in the USA` or `I HATE YOU` (two words). A
//!    comment that shouts gets one [`SHOUTING`] token after all others. Known misses,
//!    accepted: a comment made only of acronyms (`FBI, CIA and NSA`) shouts, and so can
//!    text in a URL (`WWW.X.COM`). Most comments are not read word by word: a cheap
//!    necessary condition (6+ capitals, and no more ` ab`-style lower-case word starts
//!    than half the capitals) rules them out in one vectorized pass.
//! 3. **Scanning** the normalized text left to right:
//!    * **URLs**: `scheme://...` (http, https, ftp), `www.x...`, and bare domains whose
//!      top-level domain is on a short list of those used in links (`youtube.com/watch`,
//!      `bit.ly/x`, `t.co`, `discord.gg`). Words like `in`, `it`, `me`, `is`, `to`, `us`
//!      are left off that list because `great.In` (a missing space) is far more common
//!      than such a link. A URL gives two tokens: [`URL`] then its host without `www.`
//!      (`youtube.com`), so a model can learn both "has a link" and "links to X"; the
//!      path is dropped (it is mostly unique ids).
//!    * **E-mail** addresses (`john.doe+tag@mail.example.co.uk`) → [`EMAIL`]; `@handle` → [`MENTION`] (a trailing `'s` is
//!      swallowed); `#tag` → `tag` (the `#` is dropped like other punctuation).
//!    * **Phone numbers** (`tokenize/numbers.rs`) → [`PHONE`]: at a digit where a token
//!      starts, groups of ASCII digits separated by one `-` or `.`, with `(`/`)` around a
//!      group allowed (`(555) 123-4567`), and by one space only in a number that starts
//!      with `+` or has a bracketed group (`+44 20 7946 0958`, `1 (800) 555-0199`; else a
//!      space more likely separates a date from a time, or numbers in a list). 9 to 15
//!      digits (E.164 has at most 15; fewer than 9 is a local number, a date or a count),
//!      at least 2 groups unless a `+` comes first (`+2348012345678`), and not ending in
//!      a letter or digit nor in `,`/`.`/`:`/`-`/`/` followed by a digit. With `.`
//!      separators, fewer than 3 groups is a decimal (`3.14159265`), only 3-digit groups
//!      after the first an amount (`100.000.000`), a 1-digit group after the first a
//!      version (`6.0.2900.2180`), and 4 groups of at most 3 digits an IPv4 address
//!      (`207.58.148.130`, common in Wikipedia talk): not phone numbers. Nor is a number
//!      that follows `isbn` within 12 characters (`ISBN 1-85109-410-5`). Commas never
//!      separate groups (`1,000,000` is an amount); more than 15 digits is a card or
//!      account number. Known misses: `800 555 0199` (spaces only) and `030/1234567`
//!      (`/` is not a separator, to keep dates out).
//!    * **Numbers**: digit runs, with `.`, `,` or `-` between digits (`1,000`, `3.5`,
//!      `2016-2017`) → [`NUMBER`], or [`MONEY`] when a currency is next to them: a
//!      currency sign (`$`, `¢ £ ¤ ¥`, the Currency Symbols block `€ ₹ ₽ ₦ ₩ ₱ ₺ ₿`...)
//!      directly before or after, or across one space (`$5`, `US$5`, `$ 5`, `100$`,
//!      `50 €`; a sign after the number counts only if no digit follows it, so in `5 $10`
//!      only `10` is money); or a currency word before or after across at most one space
//!      (`50 usd`, `usd 50`, `100 dollars`, `rs.500`, `rs. 500`; the list is in
//!      `tokenize/numbers.rs`: ISO codes readers use, `rs`, `btc`, and names that are not
//!      also units, so not `pounds`). The word stays a token of its own
//!      (`__money__ usd`). A number with a magnitude suffix (`k m b bn mn`) is money when a
//!      currency is next to it (`$5k`, `€2.5m`, `10k usd`), else it stays a word (`5k`).
//!      Amounts, years and phone numbers matter as "a number", rarely as a value.
//!    * **Words**: runs of alphanumerics (`char::is_alphanumeric`, so Arabic, Hebrew,
//!      Cyrillic... are words; combining marks stay inside the word). The text is kept in
//!      logical order, which is how RTL text is stored, so Arabic/Hebrew need no special
//!      handling. Inside a word, apostrophes are removed (`don't`, `don’t` → `dont`), a
//!      `*` between alphanumerics is kept (`f**k`, `sh*t` are single tokens; a lone or
//!      trailing `*` is dropped), and `@`/`$` between letters are leetspeak (`b@stard`,
//!      `a$$hole`; a word may also start with `$` before a letter: `$hit`). `-`, `_` and
//!      other punctuation split words (`well-known` → `well`, `known`).
//!    * **Han and kana** have no spaces between words, so each ideograph/kana is its own
//!      token (character unigrams; the caller's bigrams then give character bigrams).
//!      Thai, Lao, Khmer... also lack spaces but come out as capped runs.
//!    * **Emoji and other pictographs**: one token each; a regional-indicator pair (a
//!      flag) is one token; skin-tone modifiers are dropped so `👍🏽` is `👍`.
//!    * **`!` and `?`**: a run of them becomes one `!` and/or one `?` (in order of first
//!      appearance): excitement and questions carry spam/abuse signal, their count
//!      mostly does not. All other punctuation and symbols are dropped.
//! 4. **Per-token clean-up**:
//!    * **Leetspeak** (`1d10t` → `idiot`, `n00b` → `noob`, `h4te` → `hate`; 0→o 1→i 3→e
//!      4→a 5→s 7→t) only in a token that has at least 2 letters, whose digits are all in
//!      that set, and whose digits are not just a prefix or just a suffix (a plural `s`
//!      after them still counts as a suffix). That keeps `mp3`, `mp3s`, `4chan`, `3rd`,
//!      `1st`, `covid19`, `2nd`, `4k` and `b4` as they are.
//!    * **Squeezing**: a run of the same character longer than 2 is cut to 2
//!      (`soooo` → `soo`, `n000b` → `noob`), and a symbol token (emoji, ideograph, `!`,
//!      `?`) equal to each of the two before it is dropped (`😂😂😂` → `😂 😂`). Words
//!      are not squeezed across tokens: `spam spam spam` is real signal.
//!    * **Length cap**: [`MAX_TOKEN_CHARS`] characters; the rest of an over-long run is
//!      dropped, so an unbroken 5,000-character string costs one token.
//! 5. **De-obfuscation of spelled-out words**:
//!    * 3+ single alphanumerics separated by the same `.`, `-` or `_` are joined:
//!      `f.u.c.k`, `f-u-c-k`, `f_u_c_k` → `fuck` (then leetspeak applies: `s.h.1.t`).
//!    * Spaced letters: a run of single ASCII letters separated by whitespace (possibly
//!      with punctuation: `f. u. c. k.`) is joined when it has at least 3 letters other
//!      than `a` and `i`, the English one-letter words. So `f u c k`, `y o u` → `fuck`,
//!      `you`, while `i a m`, `u r a`, `a b` stay separate. A leading `a`/`i` is split
//!      off when at least 3 letters remain (`a f u c k` → `a`, `fuck`; `i h a t e` →
//!      `i`, `hate`). Known misses, accepted: `a s s h o l e` → `a`, `sshole`;
//!      `y r u` → `yru`. Only ASCII letters take part: one-letter words are common in
//!      other languages (Russian `и я в`).
//!
//! Marker tokens all contain `__`, which user text can never produce (`_` splits words),
//! so `__url__` typed in a comment is the word `url`. [`SHOUTING`], being last, also makes
//! a bigram with the comment's last token.

mod lookalike;
mod numbers;
mod shouting;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use lookalike::Lookalikes;

/// Version of the token output. Bump it whenever a change to this module can change the
/// tokens of some input: models record the version they were trained with, and a model
/// trained with other tokens is refused at load instead of scoring silently wrong.
pub const TOKENIZER_VERSION: u32 = 2;

/// Marker token for a URL (followed by a token with its host).
pub const URL: &str = "__url__";
/// Marker token for an e-mail address.
pub const EMAIL: &str = "__email__";
/// Marker token for a number (`42`, `1,000`, `3.5`).
pub const NUMBER: &str = "__num__";
/// Marker token for an `@handle` mention.
pub const MENTION: &str = "__user__";
/// Marker token for a phone number (`1-800-555-0199`, `+44 20 7946 0958`).
pub const PHONE: &str = "__phone__";
/// Marker token for an amount of money (`$5`, `€50`, `100$`, `50 usd`).
pub const MONEY: &str = "__money__";
/// Marker token, once at the end, for a comment written mostly in capitals.
pub const SHOUTING: &str = "__shouting__";

/// Longest token, in characters; longer runs are truncated on a char boundary.
pub const MAX_TOKEN_CHARS: usize = 40;

/// How far (in bytes) a `>` may be from its `<` for the pair to count as an HTML tag.
const MAX_TAG_BYTES: usize = 2048;

/// Top-level domains for which a bare `name.tld` is taken as a link (see the module doc
/// for why common English two-letter words are not here).
const LINK_TLDS: &[&str] = &[
    "com", "net", "org", "info", "biz", "io", "co", "ly", "gl", "gg", "be", "tv", "fm", "ai",
    "xyz", "ru", "su", "uk", "de", "fr", "es", "nl", "pl", "br", "ca", "au", "cn", "jp", "eu",
    "tk", "ml", "ga", "cf", "gq", "pw", "ws", "cc", "top", "club", "online", "site", "shop",
    "store", "live", "app", "dev", "vip", "icu", "win", "click", "link", "edu", "gov",
];

/// HTML element names treated as markup (anything else after `<` is text).
#[rustfmt::skip]
const HTML_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "blockquote", "body", "br", "center", "cite", "code", "del", "div",
    "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "i", "iframe", "img",
    "ins", "li", "link", "meta", "ol", "p", "pre", "q", "s", "small", "source", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "title", "tr", "tt", "u", "ul", "video",
    "wbr",
];

/// Reusable token buffer: one String holding all tokens back to back plus their spans.
///
/// Keep one per thread and pass it to [`tokenize_into`] for every comment: after the
/// first few calls nothing is allocated any more.
#[derive(Debug, Default, Clone)]
pub struct Tokens {
    /// All tokens, back to back.
    buf: String,
    /// `(start, end)` byte offsets of each token in `buf`.
    spans: Vec<(u32, u32)>,
    /// Scratch: the text after HTML decoding (used only when the input has `&` or `<`).
    html: String,
    /// Scratch: the normalized (NFKC, lower-cased) text that is scanned.
    norm: String,
    /// Scratch: the letters of a dotted word (`f.u.c.k`) joined together.
    joined: String,
    /// Scratch for the look-alike letter step.
    lookalikes: Lookalikes,
    /// Words that mixed Latin letters with letters of another script.
    mixed_script_words: usize,
}

impl Tokens {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of tokens.
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are no tokens.
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`-th token.
    ///
    /// # Panics
    /// If `i >= self.len()`, like slice indexing.
    pub fn get(&self, i: usize) -> &str {
        let (start, end) = self.spans[i];
        &self.buf[start as usize..end as usize]
    }

    /// The tokens in order.
    pub fn iter(&self) -> impl Iterator<Item = &str> + '_ {
        self.spans
            .iter()
            .map(|&(start, end)| &self.buf[start as usize..end as usize])
    }

    /// How many words of the comment mixed Latin letters with letters of another script
    /// (`Сheck`, `stupіd` with a Cyrillic `С` or `і`), counted before look-alikes were
    /// replaced: rare in honest text in any language, so a signal of its own.
    pub fn mixed_script_words(&self) -> usize {
        self.mixed_script_words
    }
}

/// Clear `out` and fill it with the unigram tokens of `text`, in order.
pub fn tokenize_into(text: &str, out: &mut Tokens) {
    let Tokens {
        buf,
        spans,
        html,
        norm,
        joined,
        lookalikes,
        mixed_script_words,
    } = out;
    buf.clear();
    spans.clear();
    html.clear();
    norm.clear();
    joined.clear();
    lookalikes.clear();

    let src: &str = if text.bytes().any(|b| b == b'&' || b == b'<') {
        decode_html(text, html);
        html
    } else {
        text
    };
    let shouting = shouting::is_shouting(src);
    *mixed_script_words = normalize(src, norm, lookalikes);
    let mut scanner = Scanner {
        s: norm,
        buf,
        spans,
        joined,
        run: LoneRun::default(),
        full: false,
    };
    scanner.run();
    if shouting && !scanner.full {
        scanner.push_marker(SHOUTING);
    }
}

/// Convenience for tests/CLI: the unigram tokens as owned strings.
pub fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Tokens::new();
    tokenize_into(text, &mut tokens);
    tokens.iter().map(str::to_owned).collect()
}

// ---------------------------------------------------------------------------------------
// Stage 1: HTML
// ---------------------------------------------------------------------------------------

/// Appends `text` to `out` with entities decoded and tags replaced by spaces (keeping
/// URLs from `href`/`src` attributes).
fn decode_html(text: &str, out: &mut String) {
    // Where, in `out`, the URL of the innermost open `<a href>` and its text start.
    struct Anchor {
        href: (usize, usize),
        text_start: usize,
    }
    let mut anchor: Option<Anchor> = None;
    let mut unclosed_comment = false;
    let bytes = text.as_bytes();
    // Everything before `copied` is already in `out`. `i` only ever stops on an ASCII
    // byte (`&`, `<`) or just after a construct that ends in one, so slicing is safe.
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = text[i..].find(['&', '<']) {
        i += off;
        if bytes[i] == b'&' {
            if let Some((c, n)) = entity_at(&text[i..]) {
                out.push_str(&text[copied..i]);
                out.push(c);
                i += n;
                copied = i;
                continue;
            }
        } else if text[i..].starts_with("<!--") && !unclosed_comment {
            // Unbounded search, but each byte is searched at most once: a found `-->`
            // is consumed, and once none is found no later `<!--` looks again.
            if let Some(end) = text[i + 4..].find("-->") {
                out.push_str(&text[copied..i]);
                out.push(' ');
                i += 4 + end + 3;
                copied = i;
                continue;
            }
            unclosed_comment = true;
        } else if let Some(tag) = parse_tag(&text[i..]) {
            out.push_str(&text[copied..i]);
            if tag.closes_anchor {
                if let Some(a) = anchor.take() {
                    let shown = out[a.text_start..].trim().trim_end_matches('/');
                    let href = out[a.href.0..a.href.1].trim_end_matches('/');
                    if shown.eq_ignore_ascii_case(href) {
                        out.truncate(a.text_start);
                    }
                }
            }
            out.push(' ');
            if let Some((start, end)) = tag.url {
                let href_start = out.len();
                push_entity_decoded(&text[i + start..i + end], out);
                let href = (href_start, out.len());
                out.push(' ');
                if tag.opens_anchor {
                    anchor = Some(Anchor {
                        href,
                        text_start: out.len(),
                    });
                }
            }
            i += tag.len;
            copied = i;
            continue;
        }
        i += 1;
    }
    out.push_str(&text[copied..]);
}

/// Appends `s` to `out` with entities decoded (used for attribute values).
fn push_entity_decoded(s: &str, out: &mut String) {
    let mut copied = 0;
    let mut i = 0;
    while let Some(off) = s[i..].find('&') {
        i += off;
        if let Some((c, n)) = entity_at(&s[i..]) {
            out.push_str(&s[copied..i]);
            out.push(c);
            i += n;
            copied = i;
        } else {
            i += 1;
        }
    }
    out.push_str(&s[copied..]);
}

/// Decodes the entity at the start of `s` (which starts with `&`): the character and
/// the number of bytes it spans. One level of double escaping (`&amp;#39;`) is undone.
fn entity_at(s: &str) -> Option<(char, usize)> {
    let (c, n) = entity_body(s.get(1..)?)?;
    if c == '&' {
        if let Some((inner, m)) = s.get(1 + n..).and_then(entity_body) {
            return Some((inner, 1 + n + m));
        }
    }
    Some((c, 1 + n))
}

/// Decodes an entity body (what follows `&`, up to and including `;`).
fn entity_body(s: &str) -> Option<(char, usize)> {
    let b = s.as_bytes();
    if b.first() == Some(&b'#') {
        let (radix, start) = match b.get(1) {
            Some(b'x' | b'X') => (16, 2),
            _ => (10, 1),
        };
        let is_digit = |d: &u8| char::from(*d).is_digit(radix);
        let digits = b.get(start..)?.iter().take_while(|d| is_digit(d)).count();
        // More than 8 digits is no code point; leave such text alone.
        if digits == 0 || digits > 8 {
            return None;
        }
        let end = start + digits;
        let value = u32::from_str_radix(s.get(start..end)?, radix).ok()?;
        // Surrogates and out-of-range values become a word break rather than vanish.
        let c = char::from_u32(value).unwrap_or(' ');
        // Scraped text often loses the `;` of numeric entities; accept it missing.
        let n = if b.get(end) == Some(&b';') {
            end + 1
        } else {
            end
        };
        return Some((c, n));
    }
    let name_len = b
        .iter()
        .take(8)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    if name_len == 0 || b.get(name_len) != Some(&b';') {
        return None;
    }
    let mut lower = [0u8; 8];
    lower[..name_len].copy_from_slice(&b[..name_len]);
    lower.make_ascii_lowercase();
    let c = match &lower[..name_len] {
        b"amp" => '&',
        b"lt" => '<',
        b"gt" => '>',
        b"quot" => '"',
        b"apos" => '\'',
        b"nbsp" => '\u{00A0}',
        b"shy" => '\u{00AD}',
        b"zwj" => '\u{200D}',
        b"zwnj" => '\u{200C}',
        b"lrm" => '\u{200E}',
        b"rlm" => '\u{200F}',
        b"lsquo" => '‘',
        b"rsquo" => '’',
        b"ldquo" => '“',
        b"rdquo" => '”',
        b"laquo" => '«',
        b"raquo" => '»',
        b"hellip" => '…',
        b"ndash" => '–',
        b"mdash" => '—',
        b"bull" => '•',
        b"middot" => '·',
        b"copy" => '©',
        b"reg" => '®',
        b"trade" => '™',
        b"hearts" => '♥',
        b"euro" => '€',
        b"pound" => '£',
        b"times" => '×',
        b"deg" => '°',
        _ => return None,
    };
    Some((c, name_len + 1))
}

/// A recognized HTML tag at the start of some text.
struct Tag {
    /// Length in bytes, `<` to `>` inclusive.
    len: usize,
    /// Byte range (relative to the tag start) of an `href`/`src` URL.
    url: Option<(usize, usize)>,
    opens_anchor: bool,
    closes_anchor: bool,
}

/// Parses an HTML tag at the start of `s` (which starts with `<`).
fn parse_tag(s: &str) -> Option<Tag> {
    let b = s.as_bytes();
    let closing = b.get(1) == Some(&b'/');
    let name_start = if closing { 2 } else { 1 };
    let name_len = b
        .get(name_start..)?
        .iter()
        .take(11)
        .take_while(|c| c.is_ascii_alphanumeric())
        .count();
    let name = b.get(name_start..name_start + name_len)?;
    if !HTML_TAGS
        .iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(name))
    {
        return None;
    }
    let attrs_start = name_start + name_len;
    match b.get(attrs_start) {
        Some(c) if c.is_ascii_whitespace() || *c == b'/' || *c == b'>' => {}
        _ => return None,
    }
    // The tag ends at the next `>`; a `<` first means this was not a tag after all.
    let close = b[attrs_start..]
        .iter()
        .take(MAX_TAG_BYTES)
        .position(|&c| c == b'>' || c == b'<')?;
    let close = attrs_start + close;
    if b[close] != b'>' {
        return None;
    }
    let is_a = name.eq_ignore_ascii_case(b"a");
    let url = if closing {
        None
    } else {
        url_attribute(&s[attrs_start..close]).map(|(u, v)| (attrs_start + u, attrs_start + v))
    };
    Some(Tag {
        len: close + 1,
        url,
        opens_anchor: is_a && !closing,
        closes_anchor: is_a && closing,
    })
}

/// The byte range of the first `href`/`src` attribute value that is an absolute URL.
fn url_attribute(attrs: &str) -> Option<(usize, usize)> {
    let b = attrs.as_bytes();
    let mut i = 0;
    while i < b.len() {
        // Attribute names start after whitespace (or a quote ending the previous value).
        let at_name = i > 0 && (b[i - 1].is_ascii_whitespace() || matches!(b[i - 1], b'"' | b'\''));
        let name_len = if !at_name {
            0
        } else if b[i..].len() >= 4 && b[i..i + 4].eq_ignore_ascii_case(b"href") {
            4
        } else if b[i..].len() >= 3 && b[i..i + 3].eq_ignore_ascii_case(b"src") {
            3
        } else {
            0
        };
        if name_len == 0 {
            i += 1;
            continue;
        }
        let mut j = i + name_len;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if b.get(j) != Some(&b'=') {
            i += 1;
            continue;
        }
        j += 1;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        let quote = match b.get(j) {
            Some(&q @ (b'"' | b'\'')) => {
                j += 1;
                Some(q)
            }
            _ => None,
        };
        // Unquoted values end at whitespace (a trailing `/` of `/>` only affects the path).
        let len = b[j..]
            .iter()
            .position(|&c| match quote {
                Some(q) => c == q,
                None => c.is_ascii_whitespace(),
            })
            .unwrap_or(b.len() - j);
        let end = j + len;
        let value = &b[j..end];
        let is_url = [&b"http://"[..], b"https://", b"www."]
            .iter()
            .any(|p| value.len() > p.len() && value[..p.len()].eq_ignore_ascii_case(p));
        if is_url {
            return Some((j, end));
        }
        i = end.max(i + 1);
    }
    None
}

// ---------------------------------------------------------------------------------------
// Stage 2: Unicode normalization
// ---------------------------------------------------------------------------------------

/// Appends the normalized form of `src` to `norm`: invisible and control characters
/// removed, NFKC, lower case, look-alike letters replaced. Returns how many words mixed
/// Latin letters with letters of another script.
fn normalize(src: &str, norm: &mut String, lookalikes: &mut Lookalikes) -> usize {
    // Fast path: printable ASCII plus ASCII whitespace is already NFKC and has nothing
    // to remove; lower-casing is a vectorizable in-place byte pass.
    if src.bytes().all(is_plain_ascii) {
        norm.push_str(src);
        norm.make_ascii_lowercase();
        return 0;
    }
    // Invisible characters go before NFKC: between a letter and a combining mark they
    // would block composition.
    let chars = src.chars().filter_map(pre_nfkc);
    // NFKC costs a few table lookups per character; most non-ASCII comments (accents,
    // curly quotes, emoji, Arabic, Cyrillic, CJK...) contain only characters that
    // cannot change under it, and then it is skipped.
    if chars.clone().all(is_nfkc_inert) {
        // Mostly-ASCII text with the odd emoji or curly quote: copy ASCII runs in bulk.
        let mut rest = src;
        while let Some(c) = rest.chars().next() {
            let plain = rest.bytes().take_while(|&b| is_plain_ascii(b)).count();
            if plain > 0 {
                let start = norm.len();
                norm.push_str(&rest[..plain]);
                norm[start..].make_ascii_lowercase();
                rest = &rest[plain..];
            } else {
                if let Some(c) = pre_nfkc(c) {
                    push_lower_noting_case(c, norm, lookalikes);
                }
                rest = &rest[c.len_utf8()..];
            }
        }
    } else {
        chars
            .nfkc()
            .for_each(|c| push_lower_noting_case(c, norm, lookalikes));
    }
    lookalikes.apply(norm)
}

/// [`push_lower`], telling `lookalikes` about the case of non-ASCII letters first.
fn push_lower_noting_case(c: char, out: &mut String, lookalikes: &mut Lookalikes) {
    if !c.is_ascii() && !is_caseless(c) {
        lookalikes.note_case(c, out.len());
    }
    push_lower(c, out);
}

/// Whether `c` is unchanged by NFKC whatever surrounds it: it has no compatibility or
/// canonical decomposition, and it is neither a combining mark nor a Hangul jamo, the
/// only characters that compose with what precedes them. A conservative list of ranges
/// (checked against the Unicode data); anything else just takes the NFKC path.
fn is_nfkc_inert(c: char) -> bool {
    matches!(c,
        '\u{0000}'..='\u{007F}'    // ASCII
        | '\u{00C0}'..='\u{00FF}'  // Latin-1 letters (precomposed, NFC-stable), × ÷
        | '\u{0391}'..='\u{03A1}' | '\u{03A3}'..='\u{03C9}' // Greek letters
        | '\u{0400}'..='\u{045F}'  // Cyrillic
        | '\u{05D0}'..='\u{05EA}'  // Hebrew letters
        | '\u{060C}' | '\u{061B}' | '\u{061F}' // Arabic comma, semicolon, question mark
        | '\u{0621}'..='\u{064A}'  // Arabic letters
        | '\u{0660}'..='\u{0669}'  // Arabic-Indic digits
        | '\u{2013}' | '\u{2014}' | '\u{2018}'..='\u{201D}' // dashes, curly quotes
        | '\u{3041}'..='\u{3096}' | '\u{30A1}'..='\u{30FA}' // kana
        | '\u{4E00}'..='\u{9FFF}'  // CJK unified ideographs
        | '\u{AC00}'..='\u{D7A3}'  // Hangul syllables
        | '\u{1F300}'..='\u{1FAFF}' // emoji
    )
}

/// Printable ASCII and ASCII whitespace: bytes that normalization leaves alone.
fn is_plain_ascii(b: u8) -> bool {
    (0x20..0x7f).contains(&b) || (b'\t'..=b'\r').contains(&b)
}

/// Per-character clean-up before NFKC: `None` drops the character.
fn pre_nfkc(c: char) -> Option<char> {
    if c.is_ascii() {
        return (!c.is_ascii_control() || c.is_whitespace()).then_some(c);
    }
    match c {
        // Zero-width and other invisible format characters (incl. ZWJ/ZWNJ and the
        // LRM/RLM marks), soft hyphen, bidi embeddings/isolates, invisible operators,
        // Mongolian vowel separator, variation selectors, combining grapheme joiner,
        // Arabic letter mark and tatweel (a pure elongation stroke), tag characters.
        '\u{00AD}'
        | '\u{034F}'
        | '\u{061C}'
        | '\u{0640}'
        | '\u{180E}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FE00}'..='\u{FE0F}'
        | '\u{FEFF}'
        | '\u{E0000}'..='\u{E007F}' => None,
        // Acute accent and prime used as apostrophes; NFKC would turn `´` into a space
        // plus a combining accent, splitting `don´t`.
        '\u{00B4}' | '\u{2032}' => Some('\''),
        // The Arabic question mark, which NFKC keeps, asks the same question as `?`.
        '\u{061F}' => Some('?'),
        // Negative circled / negative squared Latin letters (🅐, 🅰): letter look-alikes
        // that NFKC leaves alone.
        '\u{1F150}'..='\u{1F169}' => char::from_u32('a' as u32 + (c as u32 - 0x1F150)),
        '\u{1F170}'..='\u{1F189}' => char::from_u32('a' as u32 + (c as u32 - 0x1F170)),
        _ if c.is_control() && !c.is_whitespace() => None,
        _ => Some(c),
    }
}

/// Scripts without case, where `to_lowercase`'s table search can be skipped.
fn is_caseless(c: char) -> bool {
    matches!(c,
        '\u{0590}'..='\u{08FF}'    // Hebrew, Arabic, Syriac, Thaana, ...
        | '\u{0E00}'..='\u{0EFF}'  // Thai, Lao
        | '\u{3000}'..='\u{9FFF}'  // CJK punctuation, kana, ideographs
        | '\u{AC00}'..='\u{D7AF}'  // Hangul syllables
        | '\u{1F300}'..='\u{1FAFF}' // emoji
    )
}

fn push_lower(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else if is_caseless(c) {
        out.push(c);
    } else if c == 'ς' {
        out.push('σ');
    } else {
        out.extend(c.to_lowercase());
    }
}

// ---------------------------------------------------------------------------------------
// Stage 3: scanning
// ---------------------------------------------------------------------------------------

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

struct Scanner<'a> {
    /// The normalized text.
    s: &'a str,
    buf: &'a mut String,
    spans: &'a mut Vec<(u32, u32)>,
    joined: &'a mut String,
    run: LoneRun,
    /// Set when the token buffer outgrew `u32` offsets; scanning stops there.
    full: bool,
}

impl Scanner<'_> {
    fn run(&mut self) {
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
                self.push_marker(PHONE);
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
                self.push_marker(EMAIL);
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
        let mut host = &url[..url.find(['/', '?', '#']).unwrap_or(url.len())];
        if let Some(at) = host.rfind('@') {
            host = &host[at + 1..];
        }
        let host_end = host
            .find(|c: char| !(is_alnum(c) || matches!(c, '.' | '-' | '_')))
            .unwrap_or(host.len());
        let host = host[..host_end].trim_end_matches('.');
        let host = host.strip_prefix("www.").unwrap_or(host);

        self.push_marker(URL);
        if !host.is_empty() {
            let start = self.buf.len();
            self.buf.extend(host.chars().take(MAX_TOKEN_CHARS));
            self.commit(start);
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
        self.push_marker(MENTION);
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
                self.push_marker(if money { MONEY } else { NUMBER });
            }
            return;
        }
        if first_digit == 0
            && at.is_some_and(|at| numbers::is_money_with_magnitude(self.s, at, part))
        {
            self.push_marker(MONEY);
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
        if verbatim && !decode_digits && chars <= MAX_TOKEN_CHARS {
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
            if count == MAX_TOKEN_CHARS {
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

    /// Emits a marker token.
    fn push_marker(&mut self, marker: &str) {
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

fn next_char(s: &str, i: usize) -> Option<char> {
    s.get(i..)?.chars().next()
}

/// `char::is_alphabetic`, with a fast path for the letters of common scripts: the std
/// lookup is a table search that would otherwise dominate the cost of non-Latin text.
fn is_letter(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphabetic();
    }
    is_non_ascii_letter(c)
}

/// [`is_letter`] for non-ASCII characters (kept apart so the ASCII test inlines).
#[inline]
fn is_non_ascii_letter(c: char) -> bool {
    // Every character in these ranges is alphabetic (checked against the Unicode data).
    matches!(c,
        '\u{00C0}'..='\u{00D6}' | '\u{00D8}'..='\u{00F6}' | '\u{00F8}'..='\u{024F}' // Latin
        | '\u{0391}'..='\u{03A1}' | '\u{03A3}'..='\u{03F5}' | '\u{03F7}'..='\u{03FF}' // Greek
        | '\u{0400}'..='\u{0481}' | '\u{048A}'..='\u{052F}' // Cyrillic
        | '\u{05D0}'..='\u{05EA}' // Hebrew
        | '\u{0620}'..='\u{064A}' // Arabic
        | '\u{0E01}'..='\u{0E30}' // Thai
        | '\u{AC00}'..='\u{D7A3}' // Hangul syllables
    ) || is_rare_letter(c)
}

/// `char::is_alphabetic` for what [`is_non_ascii_letter`]'s ranges do not cover.
#[inline(never)]
fn is_rare_letter(c: char) -> bool {
    !is_symbol_block(c) && c.is_alphabetic()
}

/// `char::is_alphanumeric` with [`is_letter`]'s fast paths.
fn is_alnum(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric();
    }
    is_non_ascii_letter(c) || (!is_symbol_block(c) && c.is_numeric())
}

/// Blocks with no letter or number in them (checked against the Unicode data in a test),
/// whose characters (curly quotes, dashes, arrows, dingbats, emoji) are common in
/// comments and slow to look up in std's tables.
fn is_symbol_block(c: char) -> bool {
    matches!(c,
        '\u{2000}'..='\u{206F}'    // General Punctuation
        | '\u{2190}'..='\u{23FF}'  // arrows, mathematical operators, misc technical
        | '\u{2500}'..='\u{2775}'  // box drawing ... dingbats, up to the dingbat digits
        | '\u{2794}'..='\u{2BFF}'  // ... misc symbols and arrows
        | '\u{1F300}'..='\u{1FAFF}') // pictographs, emoticons, ...
}

/// Characters that continue a word: alphanumerics and combining marks (Devanagari
/// virama, Arabic harakat, ... which are not all alphanumeric).
fn is_word_char(c: char) -> bool {
    is_alnum(c) || (!c.is_ascii() && is_combining_mark(c))
}

fn is_apostrophe(c: char) -> bool {
    matches!(c, '\'' | '’' | '‘' | 'ʼ' | '`')
}

/// Han ideographs and kana: scripts written without spaces, one token per character.
fn is_ideograph(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'      // Hiragana, Katakana
        | '\u{31F0}'..='\u{31FF}'    // Katakana phonetic extensions
        | '\u{3400}'..='\u{4DBF}'    // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'    // CJK unified ideographs
        | '\u{F900}'..='\u{FAFF}'    // CJK compatibility ideographs
        | '\u{20000}'..='\u{3134F}') // CJK extensions B–G
}

fn is_regional_indicator(c: char) -> bool {
    matches!(c, '\u{1F1E6}'..='\u{1F1FF}')
}

/// Emoji and pictographic symbols (an approximation by block: no emoji property table
/// is available, and these blocks hold nearly all emoji seen in comments).
fn is_pictograph(c: char) -> bool {
    matches!(c,
        '\u{00A9}' | '\u{00AE}'
        | '\u{2190}'..='\u{21FF}'    // arrows
        | '\u{2300}'..='\u{23FF}'    // misc technical (⌚ ⏰)
        | '\u{25A0}'..='\u{27BF}'    // geometric shapes, misc symbols, dingbats (☺ ♥ ❤ ✅)
        | '\u{2B00}'..='\u{2BFF}'    // ⭐ ⬛
        | '\u{3030}' | '\u{303D}' | '\u{3297}' | '\u{3299}'
        | '\u{1F000}'..='\u{1F3FA}'  // ... up to the skin-tone modifiers,
        | '\u{1F400}'..='\u{1FAFF}') // which are dropped
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<String> {
        tokenize(s)
    }

    // Full-width letters (a classic filter dodge) normalize to plain ASCII.
    #[test]
    fn nfkc_full_width() {
        assert_eq!(toks("ｆｕｃｋ ＹＯＵ"), ["fuck", "you"]);
    }

    // Mathematical bold/script letters also fold to ASCII through NFKC.
    #[test]
    fn nfkc_math_alphanumerics() {
        assert_eq!(toks("𝐟𝐫𝐞𝐞 𝓶𝓸𝓷𝓮𝔂"), ["free", "money"]);
    }

    // Negative squared/circled letters, which NFKC leaves alone, are mapped too.
    #[test]
    fn negative_squared_letters() {
        assert_eq!(toks("🅵🆁🅴🅴 🅐🅓🅢"), ["free", "ads"]);
    }

    // Lower-casing works beyond ASCII.
    #[test]
    fn case_folding_non_ascii() {
        assert_eq!(toks("ÉCOLE Straße ΛΟΓΟΣ"), ["école", "straße", "λογοσ"]);
        assert_eq!(toks("λόγος"), ["λόγοσ"]);
    }

    // Zero-width characters and soft hyphens inside a word do not split it.
    #[test]
    fn zero_width_inside_word() {
        assert_eq!(toks("f\u{200B}uck"), ["fuck"]);
        assert_eq!(
            toks("id\u{00AD}iot st\u{2060}u\u{FEFF}pid"),
            ["idiot", "stupid"]
        );
    }

    // Control characters vanish; \n \t \r separate words.
    #[test]
    fn control_characters() {
        assert_eq!(
            toks("hel\u{0}lo\nworld\tfoo\r\nbar"),
            ["hello", "world", "foo", "bar"]
        );
    }

    // Every URL form gives the marker plus the host without www.
    #[test]
    fn urls_with_domain_token() {
        assert_eq!(
            toks("http://www.youtube.com/watch?v=x"),
            ["__url__", "youtube.com"]
        );
        assert_eq!(
            toks("Check my channel: https://YouTube.com/c/Foo!!!"),
            ["check", "my", "channel", "__url__", "youtube.com", "!"]
        );
        assert_eq!(
            toks("go to www.freegiftcards.net/claim now"),
            ["go", "to", "__url__", "freegiftcards.net", "now"]
        );
        assert_eq!(toks("bit.ly/3xYz"), ["__url__", "bit.ly"]);
        assert_eq!(toks("(see example.com)"), ["see", "__url__", "example.com"]);
        assert_eq!(
            toks("http://user:pw@sub.example.org:8080/a"),
            ["__url__", "sub.example.org"]
        );
        assert_eq!(toks("youtu.be/abc123."), ["__url__", "youtu.be"]);
    }

    // Missing spaces after a full stop are not mistaken for domains.
    #[test]
    fn not_urls() {
        assert_eq!(toks("great.In the end"), ["great", "in", "the", "end"]);
        assert_eq!(toks("e.g. this"), ["e", "g", "this"]);
        assert_eq!(toks("version 3.5"), ["version", "__num__"]);
    }

    // E-mail addresses become one marker.
    #[test]
    fn email() {
        assert_eq!(
            toks("contact John.Doe@gmail.com for $$$"),
            ["contact", "__email__", "for"]
        );
        assert_eq!(
            toks("mail me: a_b-c@mail.example.co.uk."),
            ["mail", "me", "__email__"]
        );
        assert_eq!(toks("john.smith+promo@example.com"), ["__email__"]);
        // No dot in the domain: not an address, and `@` between letters reads as `a`.
        assert_eq!(toks("me@home"), ["meahome"]);
    }

    // Numbers, with thousands, decimal and dash separators, become one marker each. (Since
    // tokenizer version 2, `$5,000` is `__money__` and `1-800-555-0199` is `__phone__`
    // here: this test asserted `__num__` for both before those markers existed.)
    #[test]
    fn numbers() {
        assert_eq!(
            toks("Earn $5,000 in 3.5 days, 100% legit, 2024"),
            [
                "earn",
                "__money__",
                "in",
                "__num__",
                "days",
                "__num__",
                "legit",
                "__num__"
            ]
        );
        assert_eq!(
            toks("call 1-800-555-0199 now"),
            ["call", "__phone__", "now"]
        );
        assert_eq!(toks("a+b c++"), ["a", "b", "c"]);
        assert_eq!(toks("1,000,000 in 2016-2017"), ["__num__", "in", "__num__"]);
    }

    // @handles become a marker, #hashtags the bare word, and RT stays a word.
    #[test]
    fn mentions_and_hashtags() {
        assert_eq!(
            toks("RT @JohnDoe_99: so true #MAGA #Brexit"),
            ["rt", "__user__", "so", "true", "maga", "brexit"]
        );
        assert_eq!(toks("@john's video"), ["__user__", "video"]);
        assert_eq!(toks("email me @ home"), ["email", "me", "home"]);
    }

    // Entities decode, tags become spaces, and an href URL is still seen.
    #[test]
    fn html() {
        assert_eq!(
            toks("I don&#39;t care &amp; you&#x27;re &quot;wrong&quot;"),
            ["i", "dont", "care", "youre", "wrong"]
        );
        assert_eq!(
            toks("first<br />second<br>third"),
            ["first", "second", "third"]
        );
        assert_eq!(toks("shown<!-- hidden -->too"), ["shown", "too"]);
        assert_eq!(toks("<b>bold</b> move"), ["bold", "move"]);
        assert_eq!(
            toks("Watch <a href=\"http://www.youtube.com/watch?v=abc&amp;t=1\">this</a>"),
            ["watch", "__url__", "youtube.com", "this"]
        );
        assert_eq!(toks("lol &#128514;&#x1F602;"), ["lol", "😂", "😂"]);
        // Double-escaped, as often seen in scraped data.
        assert_eq!(toks("it&amp;#39;s"), ["its"]);
        // A decoded `&lt;` is text, not a tag.
        assert_eq!(toks("&lt;b&gt;hi"), ["b", "hi"]);
        // Not tags: a heart and a comparison.
        assert_eq!(toks("i <3 u"), ["i", "__num__", "u"]);
    }

    // Anchor text identical to its href is not counted twice.
    #[test]
    fn html_anchor_with_url_text() {
        assert_eq!(
            toks("<a href=\"https://www.youtube.com/watch?v=x\">https://www.youtube.com/watch?v=x</a> sub"),
            ["__url__", "youtube.com", "sub"]
        );
    }

    // Apostrophes inside words are removed, straight or curly.
    #[test]
    fn apostrophes() {
        assert_eq!(
            toks("don't don’t can't 'quoted'"),
            ["dont", "dont", "cant", "quoted"]
        );
    }

    // Dotted, dashed and underscored single letters are joined.
    #[test]
    fn dotted_letters_joined() {
        assert_eq!(toks("f.u.c.k you"), ["fuck", "you"]);
        assert_eq!(toks("f-u-c-k f_u_c_k"), ["fuck", "fuck"]);
        assert_eq!(toks("s.h.1.t"), ["shit"]);
        // Mixed separators are not the pattern.
        assert_eq!(toks("f.u-c"), ["f", "u", "c"]);
    }

    // Spaced-out letters are joined, the common one-letter words are not.
    #[test]
    fn spaced_letters() {
        assert_eq!(toks("f u c k you"), ["fuck", "you"]);
        assert_eq!(toks("y o u suck"), ["you", "suck"]);
        assert_eq!(toks("f. u. c. k."), ["fuck"]);
        assert_eq!(toks("i a m here"), ["i", "a", "m", "here"]);
        assert_eq!(toks("u r a loser"), ["u", "r", "a", "loser"]);
        assert_eq!(
            toks("you are a f u c k i n g idiot"),
            ["you", "are", "a", "fucking", "idiot"]
        );
        assert_eq!(toks("s o o o o o good"), ["soo", "good"]);
        // Letters not separated by spaces are not "spelled out".
        assert_eq!(toks("a/b/c/d"), ["a", "b", "c", "d"]);
    }

    // Leetspeak is decoded only where it is likely leetspeak.
    #[test]
    fn leetspeak() {
        assert_eq!(
            toks("1d10t n00b h4te sh1t b@stard a$$hole $hit"),
            ["idiot", "noob", "hate", "shit", "bastard", "asshole", "shit"]
        );
        assert_eq!(
            toks("mp3 4k 2nd covid19 3rd 1st b4 4chan"),
            ["mp3", "4k", "2nd", "covid19", "3rd", "1st", "b4", "4chan"]
        );
        assert_eq!(
            toks("1337 meet@5pm mp3s"),
            ["__num__", "meet", "5pm", "mp3s"]
        );
    }

    // In-word asterisks are kept, lone ones are dropped.
    #[test]
    fn asterisks() {
        assert_eq!(
            toks("f**k this sh*t * ** *wow*"),
            ["f**k", "this", "sh*t", "wow"]
        );
    }

    // Runs of one character are squeezed to two.
    #[test]
    fn repeated_chars() {
        assert_eq!(toks("soooooo gooood!!!!!! ???"), ["soo", "good", "!", "?"]);
        assert_eq!(toks("what?!?!"), ["what", "?", "!"]);
        assert_eq!(toks("! ! ! !"), ["!", "!"]);
    }

    // Each emoji is a token, squeezed to two repeats; flags and skin tones are handled.
    #[test]
    fn emoji() {
        assert_eq!(toks("lol😂😂😂"), ["lol", "😂", "😂"]);
        assert_eq!(toks("nice 👍🏽 ❤️🔥"), ["nice", "👍", "❤", "🔥"]);
        assert_eq!(toks("🇺🇸🇺🇸 usa"), ["🇺🇸", "🇺🇸", "usa"]);
        assert_eq!(toks("👨\u{200D}👩\u{200D}👧"), ["👨", "👩", "👧"]);
    }

    // Arabic words come out whole and in logical (stored) order.
    #[test]
    fn arabic() {
        assert_eq!(
            toks("مرحبا بالعالم، كيف حالك؟"),
            ["مرحبا", "بالعالم", "كيف", "حالك", "?"]
        );
        // Tatweel elongation is removed.
        assert_eq!(toks("مـــرحبا"), ["مرحبا"]);
    }

    // Hebrew words come out whole and in logical order, with any bidi marks removed.
    #[test]
    fn hebrew() {
        assert_eq!(
            toks("שלום עולם! \u{200F}מה שלומך?"),
            ["שלום", "עולם", "!", "מה", "שלומך", "?"]
        );
    }

    // Han/kana are split per character; other scripts keep their words.
    #[test]
    fn cjk_and_others() {
        assert_eq!(toks("垃圾邮件"), ["垃", "圾", "邮", "件"]);
        assert_eq!(toks("哈哈哈哈"), ["哈", "哈"]);
        assert_eq!(toks("iphone手机"), ["iphone", "手", "机"]);
        assert_eq!(toks("Привет, МИР"), ["привет", "мир"]);
        assert_eq!(toks("नमस्ते दुनिया"), ["नमस्ते", "दुनिया"]);
    }

    // A 5,000-character unbroken input neither panics nor yields an oversized token.
    #[test]
    fn long_input_is_capped() {
        let long: String = "abcdefghij".repeat(500);
        let t = toks(&long);
        assert_eq!(t.len(), 1);
        assert_eq!(t[0].chars().count(), MAX_TOKEN_CHARS);
        let long_url = format!("http://{}.com/{}", "a".repeat(3000), "b".repeat(2000));
        for tok in toks(&long_url) {
            assert!(tok.chars().count() <= MAX_TOKEN_CHARS);
        }
        let stars = format!("a{}b", "*".repeat(5000));
        assert_eq!(toks(&stars)[0].chars().count(), 4);
    }

    // The blocks `is_letter` and `is_alnum` skip really hold no letters or numbers.
    #[test]
    fn symbol_blocks_hold_no_letters_or_numbers() {
        for c in (char::MIN..=char::MAX).filter(|&c| is_symbol_block(c)) {
            assert!(!c.is_alphanumeric(), "U+{:04X}", u32::from(c));
        }
    }

    // Nothing in, nothing out.
    #[test]
    fn empty_and_whitespace() {
        assert!(toks("").is_empty());
        assert!(toks(" \n\t\r \u{00A0}\u{3000}\u{200B}").is_empty());
        assert!(toks("... --- ,,, ***").is_empty());
    }

    // Cyrillic and Greek letters written for Latin ones give the Latin spelling's tokens.
    #[test]
    fn lookalike_letters() {
        for (disguised, latin) in [
            // Cyrillic С, о, с.
            (
                "Сheck оut my сhannel and subsсribe!!",
                "Check out my channel and subscribe!!",
            ),
            // Cyrillic о, а, е, і; the lone `а` is Cyrillic too.
            ("yоu аrе а stupіd іdіоt", "you are a stupid idiot"),
            // Upper-case Cyrillic, including letters whose lower case is a small capital.
            ("СНЕСК ОUТ МY VIDEO", "CHECK OUT MY VIDEO"),
            ("ВUY now", "BUY now"),
            // Greek capitals that read as another letter than their lower case.
            ("ΗΕLLO ΝΙCE ΥOU", "HELLO NICE YOU"),
            // Greek, Armenian and Cherokee small letters.
            ("frεε mοnεy", "free money"),
            ("gօօd jօb", "good job"),
            ("ꮪpam", "spam"),
            // A digit look-alike then goes through leetspeak: Cyrillic з reads as 3.
            ("hзllo", "hello"),
            // Look-alikes inside links, spelled-out letters and leetspeak.
            ("yоutube.com/watch?v=x", "youtube.com/watch?v=x"),
            ("f u с k", "f u c k"),
            ("іd1оt", "id1ot"),
        ] {
            assert_eq!(toks(disguised), toks(latin), "{disguised}");
        }
    }

    // Russian, Ukrainian and Greek comments keep their words, look-alike letters included.
    #[test]
    fn lookalike_letters_leave_other_languages_alone() {
        assert_eq!(
            toks("Привет, как дела? Смотрите это видео на YouTube"),
            [
                "привет",
                "как",
                "дела",
                "?",
                "смотрите",
                "это",
                "видео",
                "на",
                "youtube"
            ]
        );
        assert_eq!(
            toks("Дякую за статтю, все вірно"),
            ["дякую", "за", "статтю", "все", "вірно"]
        );
        assert_eq!(toks("Καλημέρα σας, ΚΑΛΟ"), ["καλημέρα", "σασ", "καλο"]);
        // A Cyrillic word in an English sentence stays when a letter of it looks like no
        // Latin letter.
        assert_eq!(
            toks("borscht is борщ in Russian"),
            ["borscht", "is", "борщ", "in", "russian"]
        );
    }

    // Words mixing scripts are counted, before their look-alikes are replaced.
    #[test]
    fn mixed_script_words_counted() {
        let count = |text: &str| {
            let mut tokens = Tokens::new();
            tokenize_into(text, &mut tokens);
            tokens.mixed_script_words()
        };
        assert_eq!(count("yоu аrе а stupіd іdіоt"), 4);
        assert_eq!(count("Сheck оut my сhannel"), 3);
        assert_eq!(count("check out my channel"), 0);
        assert_eq!(count("Привет, как дела? YouTube"), 0);
        assert_eq!(count("café naïve 😂"), 0);
        // The counter is reset for the next comment.
        let mut tokens = Tokens::new();
        tokenize_into("Сheck", &mut tokens);
        tokenize_into("check", &mut tokens);
        assert_eq!(tokens.mixed_script_words(), 0);
    }

    // Phone numbers become one marker, in national and international formats.
    #[test]
    fn phone_numbers() {
        assert_eq!(
            toks("Call +44 20 7946 0958 or (555) 123-4567 today"),
            ["call", "__phone__", "or", "__phone__", "today"]
        );
        assert_eq!(
            toks("text 555.123.4567, whatsapp +2348012345678!"),
            ["text", "__phone__", "whatsapp", "__phone__", "!"]
        );
        // Amounts, year ranges, decimals and short numbers stay numbers.
        assert_eq!(
            toks("1,000,000 votes 2016-2017 pi 3.14159265 ext 555-1234"),
            ["__num__", "votes", "__num__", "pi", "__num__", "ext", "__num__"]
        );
    }

    // Amounts with a currency sign or code next to them become one marker.
    #[test]
    fn money_amounts() {
        assert_eq!(
            toks("Win $1,000 or €50, £20, 100$ and ₹500 daily"),
            [
                "win",
                "__money__",
                "or",
                "__money__",
                "__money__",
                "__money__",
                "and",
                "__money__",
                "daily"
            ]
        );
        assert_eq!(
            toks("earn 50 USD or Rs.500, $5k a week"),
            [
                "earn",
                "__money__",
                "usd",
                "or",
                "rs",
                "__money__",
                "__money__",
                "a",
                "week"
            ]
        );
        // A currency sign at the very end, and `$` as leetspeak, are unchanged.
        assert_eq!(toks("costs 5 €"), ["costs", "__money__"]);
        assert_eq!(toks("pay $"), ["pay"]);
        assert_eq!(toks("a$$hole 100 users"), ["asshole", "__num__", "users"]);
    }

    // A comment mostly in capitals gets one marker at the end; acronyms do not.
    #[test]
    fn shouting() {
        assert_eq!(
            toks("CHECK OUT MY CHANNEL!!!"),
            ["check", "out", "my", "channel", "!", "__shouting__"]
        );
        assert_eq!(
            toks("NASA and the FBI met the EU in the USA"),
            ["nasa", "and", "the", "fbi", "met", "the", "eu", "in", "the", "usa"]
        );
        assert_eq!(toks("I HATE YOU"), ["i", "hate", "you"]);
        assert!(toks("ВЫ ВСЕ ИДИОТЫ ТУТ").ends_with(&["__shouting__".to_owned()]));
    }

    // Inputs that stress byte offsets: nothing panics, tokens stay well formed.
    #[test]
    fn tricky_inputs_do_not_panic() {
        let long_mixed = "сheck".repeat(2_000);
        let long_digits = "1-".repeat(3_000);
        let marks = format!("a{}b", "\u{0301}".repeat(500));
        let inputs = [
            "$",
            "€",
            "5€",
            "5 €",
            "+",
            "(",
            "+1 (",
            "555-123-",
            "555-123-4567-",
            "(555) 123-4567)",
            "1-800-555-0199€",
            "$5k",
            "5 usd",
            "usd",
            "rs.",
            ".5",
            "а",
            "сс",
            "Η",
            "\u{0301}с",
            "с\u{0301}",
            "c\u{0301}\u{0441}",
            "\u{0441}\u{200B}x",
            "x\u{10FFFF}с",
            "\u{E000}а\u{FFFF}",
            "\u{1F600}с\u{1F600}",
            "汉с汉a",
            "ӏӀ",
            "İstanbul ǅemal",
            long_mixed.as_str(),
            long_digits.as_str(),
            marks.as_str(),
        ];
        for text in inputs {
            for tok in toks(text) {
                assert!(!tok.is_empty(), "{text:?}");
                assert!(!tok.contains(char::is_whitespace), "{text:?} -> {tok:?}");
                assert!(tok.chars().count() <= MAX_TOKEN_CHARS, "{text:?}");
            }
        }
        assert_eq!(toks(&long_mixed).len(), 1);
    }

    // Same input, same tokens; a reused buffer gives what a fresh one gives.
    #[test]
    fn deterministic_and_reusable() {
        let inputs = [
            "Check out http://spam.example.com NOW!!! 😂😂",
            "ｆｕｃｋ you 1d10t",
            "",
            "<b>hi</b> &amp; bye",
            "مرحبا",
            "Сheck оut my сhannel",
            "CALL +1 (555) 123-4567 FOR $500 NOW",
        ];
        let mut reused = Tokens::new();
        for _ in 0..2 {
            for text in inputs {
                tokenize_into(text, &mut reused);
                let mut fresh = Tokens::new();
                tokenize_into(text, &mut fresh);
                assert!(reused.iter().eq(fresh.iter()));
                assert_eq!(reused.mixed_script_words(), fresh.mixed_script_words());
                assert_eq!(reused.len(), fresh.len());
                assert_eq!(reused.is_empty(), fresh.is_empty());
                for i in 0..reused.len() {
                    assert_eq!(reused.get(i), fresh.get(i));
                }
                assert_eq!(toks(text), toks(text));
            }
        }
    }

    // Generated messy strings never panic and never yield empty or whitespace tokens.
    #[test]
    fn property_no_panic_well_formed_tokens() {
        #[rustfmt::skip]
        const PIECES: &[&str] = &[
            "a", "B", "z", "0", "1", "3", "7", "9", " ", "  ", "\n", "\t", ".", ",", "-", "_",
            "'", "’", "*", "@", "#", "$", "%", "!", "?", "&", "&amp;", "&#39;", "&#x1F602;",
            "&#xD800;", "&#99999999;", "&bogus;", "<", ">", "<br>", "</a>", "<a href=\"",
            "<a href='www.x.com'>", "\"", "<!--", "-->", "http://", "https://", "www.", ".com",
            ".ly/", "😂", "👍🏽", "🇺🇸", "\u{200B}", "\u{200D}", "\u{00AD}", "\u{FE0F}", "\u{0301}",
            "\u{094D}", "ｆ", "𝐟", "مرحبا", "ـ", "שלום", "\u{200F}", "汉字", "カタカナ", "ß",
            "ΣΑ", "ς", "İ", "\u{0}", "\u{7F}", "\u{85}", "\u{2028}", "\u{3000}", "ﷺ", "½",
            "١٢", "🅰", "x@y.com", "f.u.c.k", "1,000", "3.5", "n00b", "$汉",
            "а", "о", "с", "Н", "Η", "Ν", "ӏ", "Ӏ", "ь", "з", "д", "λ", "ꮪ", "Ꭹ", "ա", "\u{0308}",
            "$", "€", "£", "+", "(", ")", "1-800-555-0199", "+44 20", "(555) 123", "555.123.",
            "usd", "rs.", "5k", "$5", "AB", "CAPS ", "İ", "ǅ", "\u{10FFFF}", "\u{E000}",
        ];
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            // xorshift64*: deterministic, no dependency.
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let mut reused = Tokens::new();
        for _ in 0..600 {
            let mut text = String::new();
            let pieces = next() % 40;
            for _ in 0..pieces {
                let r = next();
                if r % 5 == 0 {
                    // A random code point from anywhere (invalid ones skipped).
                    if let Some(c) = char::from_u32((r >> 8) as u32 % 0x11_0000) {
                        text.push(c);
                    }
                } else {
                    text.push_str(PIECES[(r >> 8) as usize % PIECES.len()]);
                }
            }
            tokenize_into(&text, &mut reused);
            let fresh = toks(&text);
            assert!(
                reused.iter().eq(fresh.iter().map(String::as_str)),
                "{text:?}"
            );
            for tok in reused.iter() {
                assert!(!tok.is_empty(), "{text:?}");
                assert!(!tok.contains(char::is_whitespace), "{text:?} -> {tok:?}");
                assert!(!tok.contains(char::is_control), "{text:?} -> {tok:?}");
                assert!(tok.chars().count() <= MAX_TOKEN_CHARS, "{text:?}");
            }
        }
    }
}
