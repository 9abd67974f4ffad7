//! Keyset pages, the same for every listing (an article's comments, the review queue):
//! the page size a `limit` asks for, and the opaque cursors that continue a listing.
//!
//! A cursor is URL-safe base64 (no padding) of `KIND:part:part…`: `KIND` names the
//! listing and the cursor format's version (`c1` for an article's comments, `q1` for the
//! queue), so a cursor of one listing or an older format is refused, never misread. Any
//! cursor that does not decode is `400 INVALID_CURSOR` (field `cursor`). A `limit` that
//! is not a number is `400 INVALID_QUERY`, one outside 1 to [`MAX_PAGE`] is
//! `422 OUT_OF_RANGE` (both name `limit`).
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

use super::{ApiError, ErrorCode};
use crate::domain::{ValidationCode, ValidationError};

/// Items per page unless `limit` says otherwise.
pub(crate) const DEFAULT_PAGE: usize = 50;
/// Most items per page.
pub(crate) const MAX_PAGE: usize = 200;

/// The page size `raw` (the `limit` query parameter) asks for.
pub(crate) fn page_limit(raw: Option<&str>) -> Result<usize, ApiError> {
    let raw = match raw.map(str::trim) {
        None | Some("") => return Ok(DEFAULT_PAGE),
        Some(raw) => raw,
    };
    let limit = raw.parse::<usize>().map_err(|_| {
        ApiError::coded(ErrorCode::InvalidQuery)
            .with_message(format!("limit must be a number between 1 and {MAX_PAGE}"))
            .with_field("limit")
    })?;
    if !(1..=MAX_PAGE).contains(&limit) {
        return Err(ValidationError::new(
            "limit",
            ValidationCode::OutOfRange,
            format!("limit must be between 1 and {MAX_PAGE}"),
        )
        .into());
    }
    Ok(limit)
}

/// `kind` and `parts` as an opaque cursor.
pub(crate) fn encode_cursor(kind: &str, parts: &[&str]) -> String {
    let mut text = kind.to_owned();
    for part in parts {
        text.push(':');
        text.push_str(part);
    }
    URL_SAFE_NO_PAD.encode(text)
}

/// The `N` parts of a cursor made by [`encode_cursor`] with `kind`.
pub(crate) fn decode_cursor<const N: usize>(
    cursor: &str,
    kind: &str,
) -> Result<[String; N], ApiError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .map_err(|_| invalid_cursor())?;
    let text = String::from_utf8(bytes).map_err(|_| invalid_cursor())?;
    let mut parts = text.split(':');
    if parts.next() != Some(kind) {
        return Err(invalid_cursor());
    }
    let parts: Vec<String> = parts.map(str::to_owned).collect();
    parts.try_into().map_err(|_| invalid_cursor())
}

/// `400 INVALID_CURSOR` naming `cursor`.
pub(crate) fn invalid_cursor() -> ApiError {
    ApiError::coded(ErrorCode::InvalidCursor).with_field("cursor")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Parts come back as they went in; another kind or count of parts is refused.
    #[test]
    fn cursors_round_trip() {
        let c = encode_cursor("x1", &["a", "42"]);
        assert_eq!(decode_cursor::<2>(&c, "x1").unwrap(), ["a", "42"]);
        assert!(decode_cursor::<2>(&c, "y1").is_err());
        assert!(decode_cursor::<3>(&c, "x1").is_err());
        assert!(decode_cursor::<1>("!!", "x1").is_err());
    }

    /// Missing or blank is the default; not a number is 400, out of range 422.
    #[test]
    fn page_limits() {
        assert_eq!(page_limit(None).unwrap(), DEFAULT_PAGE);
        assert_eq!(page_limit(Some(" ")).unwrap(), DEFAULT_PAGE);
        assert_eq!(page_limit(Some("200")).unwrap(), 200);
        for (raw, status, code) in [
            ("ten", 400, "INVALID_QUERY"),
            ("-1", 400, "INVALID_QUERY"),
            ("0", 422, "OUT_OF_RANGE"),
            ("201", 422, "OUT_OF_RANGE"),
        ] {
            let err = page_limit(Some(raw)).unwrap_err();
            let (s, c) = err.status_and_code();
            assert_eq!((s.as_u16(), c.as_str()), (status, code), "{raw}");
            assert_eq!(err.field(), Some("limit"));
        }
    }
}
