//! Commenter e-mail addresses.
//!
//! Checked for syntax only (no mail is ever sent) and kept in one canonical form: the
//! address is used as an identity for duplicates, rate limits, bans, trust and block
//! lists, and every spelling of one mailbox must be the same author. The canonical form
//! is:
//! - lower-cased as a whole (`Ann@Example.com` is `ann@example.com`);
//! - a quoted local part that needs no quotes is unquoted (`"ann"@example.com` is
//!   `ann@example.com`; `"a b"@example.com` keeps its quotes);
//! - a `+tag` is removed (`ann+news@example.com` is `ann@example.com`): mail providers
//!   deliver sub-addresses to the base mailbox, and a banned author must not come back
//!   as `ann+2@`.
//!
//! So a comment is stored, and a ban or a trusted-author entry is written, with the
//! canonical address, and the store compares canonical forms.
use std::fmt;

use super::ValidationCode;
use super::ValidationError;

/// Longest accepted address (RFC 5321's path limit).
const MAX_EMAIL_CHARS: usize = 254;

/// A syntactically valid e-mail address, in canonical form (see the module doc).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct AuthorEmail(String);

impl AuthorEmail {
    pub fn parse(raw: &str) -> Result<Self, ValidationError> {
        let email = raw.trim().to_lowercase();
        if email.chars().count() > MAX_EMAIL_CHARS || !email_address::EmailAddress::is_valid(&email)
        {
            return Err(ValidationError::new(
                "author_email",
                ValidationCode::InvalidEmail,
                "author_email is not a valid e-mail address",
            ));
        }
        Ok(AuthorEmail(canonical(email)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The part after `@`, for domain-wide block lists.
    pub fn domain(&self) -> &str {
        // Valid addresses always contain '@'.
        self.0.rsplit_once('@').map_or("", |(_, d)| d)
    }

    /// The domain and every domain above it (`a.spam.example`, `spam.example`,
    /// `example`), so that a block list naming a domain also covers its subdomains.
    pub fn domains(&self) -> impl Iterator<Item = &str> {
        let domain = self.domain();
        std::iter::once(domain).chain(
            domain
                .char_indices()
                .filter(|&(_, c)| c == '.')
                .map(move |(k, _)| &domain[k + 1..])
                .filter(|d| !d.is_empty()),
        )
    }
}

/// The canonical form of a valid, lower-cased address (see the module doc). Falls back to
/// the address as given if the canonical form would not be a valid address.
fn canonical(email: String) -> String {
    let Some((local, domain)) = email.rsplit_once('@') else {
        return email;
    };
    let unquoted = unquoted(local);
    let local = unquoted.as_deref().unwrap_or(local);
    let local = match local.split_once('+') {
        Some((base, _)) if !base.is_empty() && !local.starts_with('"') => base,
        _ => local,
    };
    let out = format!("{local}@{domain}");
    if out != email && !email_address::EmailAddress::is_valid(&out) {
        return email;
    }
    out
}

/// The content of a quoted local part (escapes resolved), when it needs no quotes: a
/// dot-atom (`"ann"` → `ann`, `"a.b+c"` → `a.b+c`; not `"a b"` or `"a..b"`).
fn unquoted(local: &str) -> Option<String> {
    let inner = local.strip_prefix('"')?.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    let atom = |c: char| c.is_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c);
    let dot_atom = !out.is_empty()
        && out
            .split('.')
            .all(|part| !part.is_empty() && part.chars().all(atom));
    dot_atom.then_some(out)
}

/// Never printed in full: addresses are personal data and stay out of logs.
impl fmt::Debug for AuthorEmail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AuthorEmail(…@{})", self.domain())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Addresses are lower-cased so one person is one identity.
    #[test]
    fn parse_lowercases() {
        let email = AuthorEmail::parse(" Ann@Example.COM ").unwrap();
        assert_eq!(email.as_str(), "ann@example.com");
        assert_eq!(email.domain(), "example.com");
    }

    /// Every spelling of one mailbox is one canonical address: quotes that are not needed
    /// go, and so does a `+tag`.
    #[test]
    fn parse_canonicalises() {
        for (raw, canonical) in [
            ("\"bad\"@x.example", "bad@x.example"),
            ("bad+1@x.example", "bad@x.example"),
            ("Bad+Promo+2@X.Example", "bad@x.example"),
            ("\"bad+1\"@x.example", "bad@x.example"),
            ("\"b\\ad\"@x.example", "bad@x.example"),
            ("first.last@x.example", "first.last@x.example"),
            // Quotes that are needed stay; a lone `+` is not a tag.
            ("\"a b\"@x.example", "\"a b\"@x.example"),
            ("\"a..b\"@x.example", "\"a..b\"@x.example"),
            ("+1@x.example", "+1@x.example"),
        ] {
            let email = AuthorEmail::parse(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert_eq!(email.as_str(), canonical, "{raw}");
        }
        assert_eq!(
            AuthorEmail::parse("\"bad\"@x.example"),
            AuthorEmail::parse("BAD+x@x.example")
        );
    }

    /// A domain and the domains above it, for block lists that name a domain.
    #[test]
    fn domains_and_parents() {
        let email = AuthorEmail::parse("a@sub.spam.example").unwrap();
        let domains: Vec<&str> = email.domains().collect();
        assert_eq!(domains, ["sub.spam.example", "spam.example", "example"]);
    }

    /// Malformed addresses are refused with the field name.
    #[test]
    fn rejects_bad_syntax() {
        for bad in ["", "ann", "ann@", "@example.com", "a b@example.com"] {
            let err = AuthorEmail::parse(bad).expect_err(bad);
            assert_eq!(
                (err.field, err.code.as_str()),
                ("author_email", "INVALID_EMAIL"),
                "{bad}"
            );
        }
    }

    /// Debug output does not leak the local part.
    #[test]
    fn debug_hides_address() {
        let email = AuthorEmail::parse("secret@example.com").unwrap();
        assert!(!format!("{email:?}").contains("secret"));
    }
}
