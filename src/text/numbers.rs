//! Which digit runs are phone numbers or money amounts rather than plain numbers. Both
//! work on the normalised text and byte offsets into it, and only ever look at ASCII bytes
//! next to a digit run, so every offset they slice at is a char boundary.
//!
//! * **Phone numbers** → [`super::PHONE`]: at a digit where a token starts, groups of
//!   ASCII digits separated by one `-` or `.`, with `(`/`)` around a group allowed
//!   (`(555) 123-4567`), and by one space only in a number that starts with `+` or has a
//!   bracketed group (`+44 20 7946 0958`, `1 (800) 555-0199`; else a space more likely
//!   separates a date from a time, or numbers in a list). 9 to 15 digits (E.164 has at
//!   most 15; fewer than 9 is a local number, a date or a count), at least 2 groups
//!   unless a `+` comes first (`+2348012345678`), and not ending in a letter or digit nor
//!   in `,`/`.`/`:`/`-`/`/` followed by a digit. With `.` separators, fewer than 3 groups
//!   is a decimal (`3.14159265`), only 3-digit groups after the first an amount
//!   (`100.000.000`), a 1-digit group after the first a version (`6.0.2900.2180`), and 4
//!   groups of at most 3 digits an IPv4 address (`207.58.148.130`, common in Wikipedia
//!   talk): not phone numbers. Nor is a number that follows `isbn` within 12 characters
//!   (`ISBN 1-85109-410-5`). Commas never separate groups (`1,000,000` is an amount);
//!   more than 15 digits is a card or account number. Known misses: `800 555 0199`
//!   (spaces only) and `030/1234567` (`/` is not a separator, to keep dates out).
//! * **Numbers**: digit runs, with `.`, `,` or `-` between digits (`1,000`, `3.5`,
//!   `2016-2017`) → [`super::NUMBER`], or [`super::MONEY`] when a currency is next to
//!   them: a currency sign (`$`, `¢ £ ¤ ¥`, the Currency Symbols block
//!   `€ ₹ ₽ ₦ ₩ ₱ ₺ ₿`...) directly before or after, or across one space (`$5`, `US$5`,
//!   `$ 5`, `100$`, `50 €`; a sign after the number counts only if no digit follows it,
//!   so in `5 $10` only `10` is money); or a currency word before or after across at
//!   most one space (`50 usd`, `usd 50`, `100 dollars`, `rs.500`, `rs. 500`; the list is
//!   [`CURRENCY_WORDS`]: ISO codes readers use, `rs`, `btc`, and names that are not also
//!   units, so not `pounds`). The word stays a token of its own (`__money__ usd`). A
//!   number with a magnitude suffix (`k m b bn mn`) is money when a currency is next to
//!   it (`$5k`, `€2.5m`, `10k usd`), else it stays a word (`5k`). Amounts, years and
//!   phone numbers matter as "a number", rarely as a value.
use super::chars::{is_alnum, next_char};

/// Fewest digits in a phone number: fewer is a local number, a date or a count.
const PHONE_MIN_DIGITS: usize = 9;
/// Most digits in a phone number (E.164); more is a card or account number.
const PHONE_MAX_DIGITS: usize = 15;

/// Words that make an adjacent number an amount of money: ISO codes of the currencies
/// readers of English news sites write most, `rs` (rupees), bitcoin, and currency names
/// that are not also units (`pounds` is also a weight).
const CURRENCY_WORDS: &[&str] = &[
    "usd", "eur", "gbp", "inr", "pkr", "rs", "cad", "aud", "nzd", "jpy", "cny", "chf", "rub",
    "ngn", "btc", "dollar", "dollars", "euro", "euros", "bucks", "rupee", "rupees",
];

/// Magnitude suffixes written on amounts (`$5k`, `€2.5m`, `$1bn`).
const MAGNITUDES: &[&str] = &["k", "m", "b", "bn", "mn"];

/// Currency signs: `$`, `¢ £ ¤ ¥`, and the Currency Symbols block (`€ ₹ ₽ ₦ ₩ ₱ ₺ ₿` ...).
/// Full-width `＄ ￥` are already `$ ¥` after NFKC.
pub(super) fn is_currency_sign(c: char) -> bool {
    matches!(c, '$' | '\u{00A2}'..='\u{00A5}' | '\u{20A0}'..='\u{20CF}')
}

/// If a phone number starts at byte `i` of `s` (an ASCII digit where a token starts),
/// where it ends.
pub(super) fn phone_end(s: &str, i: usize) -> Option<usize> {
    let b = s.as_bytes();
    let before = i.checked_sub(1).and_then(|k| b.get(k).copied());
    let plus = before == Some(b'+');
    let mut paren_open = before == Some(b'(');
    let mut parens = paren_open;
    let mut dots = false;
    let (mut digits, mut groups) = (0, 0);
    // Every group after the first has three digits: `100.000.000` is an amount.
    let mut thousands = true;
    // Every group has at most three digits: four of them make an IPv4 address.
    let mut short_groups = true;
    // A group after the first has one digit: a version number (`6.0.2900.2180`).
    let mut one_digit_group = false;
    let mut j = i;
    loop {
        let start = j;
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        digits += j - start;
        if digits > PHONE_MAX_DIGITS {
            return None;
        }
        if groups > 0 {
            thousands &= j - start == 3;
            one_digit_group |= j - start == 1;
        }
        short_groups &= j - start <= 3;
        groups += 1;
        // Between groups: an optional `)` closing an open `(`, one optional space, `-` or
        // `.`, and an optional `(`; at least one of them, and a digit after.
        let mut k = j;
        let close = paren_open && b.get(k) == Some(&b')');
        k += usize::from(close);
        let still_open = paren_open && !close;
        // A space separates groups only in an international (`+44 20 ...`) or bracketed
        // (`(555) 123`, `1 (800)`) number: elsewhere it more likely separates a date
        // from a time, or numbers in a list.
        let space_ok = plus || parens || close || b.get(k + 1) == Some(&b'(');
        let sep = b
            .get(k)
            .copied()
            .filter(|&c| matches!(c, b'-' | b'.') || (c == b' ' && space_ok));
        k += usize::from(sep.is_some());
        let open = !still_open && b.get(k) == Some(&b'(');
        k += usize::from(open);
        if k == j || !b.get(k).is_some_and(u8::is_ascii_digit) {
            break;
        }
        paren_open = still_open || open;
        parens |= open;
        dots |= sep == Some(b'.');
        j = k;
    }
    let plausible = digits >= PHONE_MIN_DIGITS
        && (groups >= 2 || plus)
        // `3.14159265`, `1.000.000.000`, `207.58.148.130` and `6.0.2900.2180` are not
        // phone numbers.
        && !(dots && (groups < 3 || thousands || one_digit_group || (groups == 4 && short_groups)));
    if !plausible || after_isbn(&s[..i]) {
        return None;
    }
    // The digits must end here: not run on into a word, nor into more digits after a `,`,
    // `.`, `:`, `-` or `/` (`2024-01-15 10:30`, `555.123.4567,89`).
    let mut rest = s[j..].chars();
    match rest.next() {
        Some(c) if is_alnum(c) => None,
        Some(',' | '.' | ':' | '-' | '/') if rest.next().is_some_and(|d| d.is_ascii_digit()) => {
            None
        }
        _ => Some(j),
    }
}

/// Whether the text before a number ends with `isbn` within a few characters (`ISBN
/// 1-85109-410-5`, `isbn-13: 978-...`): book numbers look like phone numbers.
fn after_isbn(before: &str) -> bool {
    let tail = before
        .char_indices()
        .rev()
        .nth(11)
        .map_or(before, |(k, _)| &before[k..]);
    tail.contains("isbn")
}

/// Whether the number at `s[start..end]` is an amount of money: a currency sign or word is
/// next to it, directly or across one space.
pub(super) fn is_money(s: &str, start: usize, end: usize) -> bool {
    money_before(&s[..start]) || money_after(&s[end..])
}

/// Whether `part` (a word part at `s[start..]`) is an amount with a magnitude suffix
/// (`$5k`, `€2.5m`, `10k usd`).
pub(super) fn is_money_with_magnitude(s: &str, start: usize, part: &str) -> bool {
    if !part.starts_with(|c: char| c.is_ascii_digit()) {
        return false;
    }
    let digits = part.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let suffix = &part[digits.len()..];
    digits.starts_with(|c: char| c.is_ascii_digit())
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b','))
        && MAGNITUDES.contains(&suffix)
        && is_money(s, start, start + part.len())
}

/// Whether the text before a number ends with a currency sign (`$5`, `US$5`, `$ 5`) or
/// word (`usd 5`, `rs.500`, `rs. 500`).
fn money_before(before: &str) -> bool {
    let trimmed = before.strip_suffix(' ').unwrap_or(before);
    if trimmed.chars().next_back().is_some_and(is_currency_sign) {
        return true;
    }
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    let word_start = trimmed
        .char_indices()
        .rev()
        .take_while(|&(_, c)| is_alnum(c))
        .last()
        .map_or(trimmed.len(), |(k, _)| k);
    let word = &trimmed[word_start..];
    !word.is_empty() && CURRENCY_WORDS.contains(&word)
}

/// Whether the text after a number starts with a currency sign (`100$`, `50 €`) that does
/// not itself start the next amount (`5 $10`), or with a currency word (`50 usd`).
fn money_after(after: &str) -> bool {
    let trimmed = after.strip_prefix(' ').unwrap_or(after);
    if let Some(sign) = trimmed.chars().next().filter(|&c| is_currency_sign(c)) {
        return !next_char(trimmed, sign.len_utf8()).is_some_and(|c| c.is_ascii_digit());
    }
    let word_end = trimmed
        .char_indices()
        .find(|&(_, c)| !is_alnum(c))
        .map_or(trimmed.len(), |(k, _)| k);
    let word = &trimmed[..word_end];
    !word.is_empty() && CURRENCY_WORDS.contains(&word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phone(s: &str) -> Option<&str> {
        let i = s.find(|c: char| c.is_ascii_digit())?;
        phone_end(s, i).map(|end| &s[i..end])
    }

    // Common national and international formats are phone numbers.
    #[test]
    fn phone_formats() {
        for (text, number) in [
            ("call 1-800-555-0199 now", "1-800-555-0199"),
            ("+44 20 7946 0958", "44 20 7946 0958"),
            ("(555) 123-4567.", "555) 123-4567"),
            ("555.123.4567", "555.123.4567"),
            ("+1 (555) 123-4567", "1 (555) 123-4567"),
            ("whatsapp +2348012345678!", "2348012345678"),
            ("030-12345678", "030-12345678"),
            ("call 1 (800) 555-0199", "1 (800) 555-0199"),
            ("ip 1.800.555.0199", "1.800.555.0199"),
        ] {
            assert_eq!(phone(text), Some(number), "{text}");
        }
    }

    // Amounts, years, dates, decimals, lists and long ids are not.
    #[test]
    fn not_phone_numbers() {
        for text in [
            "1,000,000,000",
            "100.000.000",
            "2016-2017",
            "3.14159265",
            "2024-01-15 10:30",
            "555-1234",
            "2016 2017 2018",
            "123456789",
            "4111-1111-1111-1111",
            "555-123-4567abc",
            "555.123.4567,89",
            "207.58.148.130",
            "2007-04-18 420",
            "2008-08-08 13-23-17.jpg",
            "1 800 555 0199",
            "ie 6.0.2900.2180",
            "isbn 1-85109-410-5",
            "isbn: 978-0-306-40615-7",
        ] {
            assert_eq!(phone(text), None, "{text}");
        }
    }

    fn money(s: &str, number: &str) -> bool {
        let start = s.find(number).expect("number in text");
        is_money(s, start, start + number.len())
    }

    // A currency sign or word next to a number makes it money.
    #[test]
    fn money_context() {
        for (text, number) in [
            ("$5", "5"),
            ("earn $1,000 now", "1,000"),
            ("100$", "100"),
            ("€50", "50"),
            ("50 €", "50"),
            ("£20 only", "20"),
            ("us$5", "5"),
            ("50 usd", "50"),
            ("usd 50", "50"),
            ("rs.500", "500"),
            ("100 dollars", "100"),
            ("$ 5", "5"),
        ] {
            assert!(money(text, number), "{text}");
        }
        for (text, number) in [
            ("5 apples", "5"),
            ("100%", "100"),
            ("in 2024", "2024"),
            ("5 $10", "5"),
            ("50 users", "50"),
        ] {
            assert!(!money(text, number), "{text}");
        }
    }

    // `$5k` and `10k usd` are money; `5k` alone and `5kg` are not.
    #[test]
    fn magnitudes() {
        assert!(is_money_with_magnitude("$5k", 1, "5k"));
        assert!(is_money_with_magnitude("€2.5m", 3, "2.5m"));
        assert!(is_money_with_magnitude("10k usd", 0, "10k"));
        assert!(!is_money_with_magnitude("5k views", 0, "5k"));
        assert!(!is_money_with_magnitude("$5kg", 1, "5kg"));
        assert!(!is_money_with_magnitude("$k", 1, "k"));
    }
}
