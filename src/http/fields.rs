//! Decoding a submission body — JSON object or HTML form — into named text fields.
//!
//! Both encodings become one flat map of field name → text, so validation is written once
//! and names the field at fault whatever the client sent. Why not a serde struct: the
//! honeypot field's name is per-site configuration, and a form sends everything as text
//! (`nudge=on`) where JSON sends `true`; a typed struct would turn both into vague
//! deserializer errors without a field name.
use std::collections::HashMap;

use actix_web::http::header;
use actix_web::HttpRequest;
use serde_json::Value;

use super::ApiError;
use super::ErrorCode;
use crate::domain::ValidationCode;

/// The two encodings a comment may arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Json,
    Form,
}

impl Encoding {
    /// The request's encoding from `Content-Type`, or 415.
    pub fn of(req: &HttpRequest) -> Result<Encoding, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match essence.as_str() {
            "application/json" => Ok(Encoding::Json),
            "application/x-www-form-urlencoded" => Ok(Encoding::Form),
            _ => Err(ApiError::UnsupportedMediaType),
        }
    }
}

/// A field's raw value: text, a JSON number or boolean (as written), or something that
/// cannot be text (a JSON array or object).
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Text(String),
    /// A JSON number or boolean: only fields that take one accept it (`parent_id`,
    /// `nudge`); `"body": 12` is refused rather than stored as the comment "12".
    Scalar(String),
    NotText,
}

/// Decodes one `application/x-www-form-urlencoded` name or value: `+` is a space, `%XX`
/// a byte, and the bytes must be UTF-8 (a browser encodes the form in the page's UTF-8;
/// anything else is refused, not silently replaced with U+FFFD).
fn form_component(raw: &[u8]) -> Option<String> {
    let plus_as_space: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).ok()
}

/// The decoded fields of one submission.
#[derive(Debug, Default)]
pub struct Fields {
    map: HashMap<String, Raw>,
}

impl Fields {
    /// Decodes `body` in `encoding`; a body that is not valid for it is a 400.
    pub fn decode(encoding: Encoding, body: &[u8]) -> Result<Fields, ApiError> {
        match encoding {
            Encoding::Json => Self::from_json(body),
            Encoding::Form => Self::from_form(body),
        }
    }

    fn from_json(body: &[u8]) -> Result<Fields, ApiError> {
        let value: Value = serde_json::from_slice(body).map_err(|e| {
            ApiError::coded(ErrorCode::InvalidJson)
                .with_message(format!("the body is not valid JSON: {e}"))
        })?;
        let Value::Object(object) = value else {
            return Err(ApiError::coded(ErrorCode::InvalidJson)
                .with_message("the body must be a JSON object"));
        };
        let mut map = HashMap::with_capacity(object.len());
        for (name, value) in object {
            let raw = match value {
                Value::Null => continue,
                Value::String(s) => Raw::Text(s),
                Value::Bool(b) => Raw::Scalar(b.to_string()),
                Value::Number(n) => Raw::Scalar(n.to_string()),
                Value::Array(_) | Value::Object(_) => Raw::NotText,
            };
            map.insert(name, raw);
        }
        Ok(Fields { map })
    }

    fn from_form(body: &[u8]) -> Result<Fields, ApiError> {
        if std::str::from_utf8(body).is_err() {
            return Err(ApiError::coded(ErrorCode::InvalidForm)
                .with_message("the form body is not valid UTF-8"));
        }
        let mut map = HashMap::new();
        for pair in body.split(|&b| b == b'&').filter(|p| !p.is_empty()) {
            let (name, value) = match pair.iter().position(|&b| b == b'=') {
                Some(i) => (&pair[..i], &pair[i + 1..]),
                None => (pair, &[][..]),
            };
            let Some(name) = form_component(name) else {
                return Err(ApiError::coded(ErrorCode::InvalidForm)
                    .with_message("a form field name is not percent-encoded UTF-8"));
            };
            let Some(value) = form_component(value) else {
                let message = format!("{name} is not percent-encoded UTF-8");
                // Name the field when it is one we know (the error's field is static).
                let field = crate::domain::KNOWN_FIELDS
                    .iter()
                    .copied()
                    .find(|known| *known == name);
                return Err(ApiError::coded(ErrorCode::InvalidForm)
                    .with_message(message)
                    .with_field(field));
            };
            // The first occurrence of a repeated field wins.
            map.entry(name).or_insert(Raw::Text(value));
        }
        Ok(Fields { map })
    }

    /// The text of `name`, if present; 400 if it is not text (a JSON number, boolean,
    /// array or object).
    pub fn text(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.map.get(name) {
            None => Ok(None),
            Some(Raw::Text(s)) => Ok(Some(s.as_str())),
            Some(Raw::Scalar(_) | Raw::NotText) => Err(ApiError::coded(ErrorCode::InvalidType)
                .with_message(format!("{name} must be a string"))
                .with_field(name)),
        }
    }

    /// The text of a field that may also be sent as a JSON number (an id), blank
    /// treated as absent.
    pub fn optional_number(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        match self.map.get(name) {
            Some(Raw::Scalar(s)) if !matches!(s.as_str(), "true" | "false") => Ok(Some(s)),
            _ => self.optional(name),
        }
    }

    /// Like [`Fields::text`], treating an empty or blank value as absent (forms send
    /// every input, filled or not).
    pub fn optional(&self, name: &'static str) -> Result<Option<&str>, ApiError> {
        Ok(self.text(name)?.filter(|s| !s.trim().is_empty()))
    }

    /// A field that must be present (it may still be blank: its parser decides).
    pub fn required(&self, name: &'static str) -> Result<&str, ApiError> {
        self.text(name)?.ok_or_else(|| {
            ApiError::Invalid(crate::domain::ValidationError::new(
                name,
                ValidationCode::Required,
                format!("{name} is required"),
            ))
        })
    }

    /// The optional `redirect_to` of a plain form post: a page of one of the site's
    /// origins, never anywhere else (no open redirect).
    pub fn redirect_to(
        &self,
        site: &crate::domain::Site,
    ) -> Result<Option<crate::domain::WebUrl>, ApiError> {
        let Some(raw) = self.optional("redirect_to")? else {
            return Ok(None);
        };
        let url = crate::domain::WebUrl::parse(raw, "redirect_to")?;
        if !site.allows_origin(&url.origin()) {
            return Err(crate::domain::ValidationError::new(
                "redirect_to",
                ValidationCode::RedirectNotAllowed,
                "redirect_to must be a page of one of the site's origins",
            )
            .into());
        }
        Ok(Some(url))
    }

    /// A yes/no field: JSON `true`/`false`, or a form's `on`, `1`, `yes`, `true`.
    pub fn flag(&self, name: &'static str) -> Result<bool, ApiError> {
        let raw = match self.map.get(name) {
            Some(Raw::Scalar(s)) => Some(s.as_str()),
            _ => self.text(name)?,
        };
        match raw.map(|s| s.trim().to_ascii_lowercase()) {
            None => Ok(false),
            Some(v) => match v.as_str() {
                "true" | "1" | "on" | "yes" => Ok(true),
                "false" | "0" | "off" | "no" | "" => Ok(false),
                _ => Err(ApiError::coded(ErrorCode::InvalidType)
                    .with_message(format!("{name} must be true or false"))
                    .with_field(name)),
            },
        }
    }

    /// The value of a field whose name is configuration (the honeypot); any value counts.
    pub fn dynamic(&self, name: &str) -> Option<&str> {
        match self.map.get(name) {
            Some(Raw::Text(s) | Raw::Scalar(s)) => Some(s.as_str()),
            Some(Raw::NotText) => Some("[not text]"),
            None => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// JSON and form bodies decode to the same fields.
    #[test]
    fn json_and_form_agree() {
        let json = Fields::decode(
            Encoding::Json,
            br#"{"body":"hi","nudge":true,"parent_id":7,"x":null}"#,
        )
        .unwrap();
        let form = Fields::decode(Encoding::Form, b"body=hi&nudge=on&parent_id=7&x=").unwrap();
        for f in [&json, &form] {
            assert_eq!(f.text("body").unwrap(), Some("hi"));
            assert!(f.flag("nudge").unwrap());
            assert_eq!(f.optional_number("parent_id").unwrap(), Some("7"));
            assert_eq!(f.optional("x").unwrap(), None);
        }
    }

    /// Undecodable bodies and wrong types are refused with a code (and the field).
    #[test]
    fn decode_errors() {
        let err = Fields::decode(Encoding::Json, b"{not json").unwrap_err();
        assert_eq!(err.status_and_code().1, "INVALID_JSON");
        let err = Fields::decode(Encoding::Json, b"[1,2]").unwrap_err();
        assert_eq!(err.status_and_code().1, "INVALID_JSON");
        let f = Fields::decode(Encoding::Json, br#"{"body":["a"],"nudge":"maybe"}"#).unwrap();
        assert_eq!(
            f.text("body").unwrap_err().status_and_code().1,
            "INVALID_TYPE"
        );
        assert_eq!(
            f.flag("nudge").unwrap_err().status_and_code().1,
            "INVALID_TYPE"
        );
        assert_eq!(
            f.required("author_name").unwrap_err().status_and_code().1,
            "REQUIRED"
        );
    }

    /// Percent-encoding and `+` for spaces are decoded in forms.
    #[test]
    fn form_decoding() {
        let f = Fields::decode(
            Encoding::Form,
            b"body=caf%C3%A9+au+lait&website=&a%2Bb=1%2B1&flag",
        )
        .unwrap();
        assert_eq!(f.text("body").unwrap(), Some("café au lait"));
        assert_eq!(f.dynamic("website"), Some(""));
        assert_eq!(f.text("a+b").unwrap(), Some("1+1"));
        assert_eq!(f.text("flag").unwrap(), Some(""));
    }

    /// Percent-encoded bytes that are not UTF-8 are refused, naming the field, instead of
    /// being replaced with U+FFFD.
    #[test]
    fn form_with_invalid_utf8_is_refused() {
        let err = Fields::decode(Encoding::Form, b"author_name=Ann&body=caf%E9").unwrap_err();
        assert_eq!(err.status_and_code().1, "INVALID_FORM");
        assert_eq!(err.field(), Some("body"));
        let err = Fields::decode(Encoding::Form, b"b%FFdy=x").unwrap_err();
        assert_eq!(err.status_and_code().1, "INVALID_FORM");
    }

    /// JSON numbers and booleans are not text: refused where text is expected, accepted
    /// where a number (`parent_id`) or a flag (`nudge`) is.
    #[test]
    fn json_numbers_and_booleans_are_not_text() {
        let f = Fields::decode(
            Encoding::Json,
            br#"{"body":12,"author_name":true,"parent_id":7,"nudge":true,"website":0}"#,
        )
        .unwrap();
        for name in ["body", "author_name"] {
            let err = f.required(name).unwrap_err();
            assert_eq!(err.status_and_code().1, "INVALID_TYPE", "{name}");
            assert_eq!(err.field(), Some(name));
        }
        assert_eq!(f.optional_number("parent_id").unwrap(), Some("7"));
        assert!(f.flag("nudge").unwrap());
        assert_eq!(
            f.dynamic("website"),
            Some("0"),
            "a honeypot counts any value"
        );
        let f = Fields::decode(Encoding::Json, br#"{"parent_id":true}"#).unwrap();
        assert!(f.optional_number("parent_id").is_err());
    }
}
