//! Stage 1 of the reading: HTML, only when the text contains `&` or `<`.
//!
//! Comments scraped from YouTube and news sites carry entities and markup. Entities are
//! decoded: the named ones that actually occur (`&amp; &lt; &gt; &quot; &apos; &nbsp;`,
//! typographic quotes and dashes, ...), decimal `&#39;` and hex `&#x1F602;`;
//! double-escaped `&amp;#39;` (common in scraped data) is decoded too. A decoded
//! `&lt;b&gt;` is text, not a tag. Tags with a known HTML name (`<br />`, `<b>`, `</a>`,
//! `<!-- -->`, ...) become a space; `<3` or `a < b` are left alone because no HTML tag
//! name follows the `<`. A URL in an `href`/`src` attribute is kept (as ` url `) so links
//! count even when the visible text is not a URL; when the anchor text *is* that same URL
//! it is dropped so the link is not counted twice.

/// How far (in bytes) a `>` may be from its `<` for the pair to count as an HTML tag.
const MAX_TAG_BYTES: usize = 2048;

/// HTML element names treated as markup (anything else after `<` is text).
#[rustfmt::skip]
const HTML_TAGS: &[&str] = &[
    "a", "abbr", "b", "big", "blockquote", "body", "br", "center", "cite", "code", "del", "div",
    "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "head", "hr", "html", "i", "iframe", "img",
    "ins", "li", "link", "meta", "ol", "p", "pre", "q", "s", "small", "source", "span", "strike",
    "strong", "sub", "sup", "table", "tbody", "td", "th", "title", "tr", "tt", "u", "ul", "video",
    "wbr",
];

/// Appends `text` to `out` with entities decoded and tags replaced by spaces (keeping
/// URLs from `href`/`src` attributes).
pub(super) fn decode_html(text: &str, out: &mut String) {
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
