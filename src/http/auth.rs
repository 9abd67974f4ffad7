//! Site credentials: the site's backend proves itself with `Authorization: Bearer <key>`.
//!
//! [`SiteCredentials`] is an extractor, so a handler that can act for a backend says so in
//! its signature. It only carries the presented key; which site it must belong to is
//! known once the request names its site, and [`SiteCredentials::caller_for`] decides.
//! A key that is presented but wrong is a 401 — never a silent downgrade to anonymous,
//! which would hide a misconfigured backend behind vague `pending` answers.
use std::future::{ready, Ready};

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest};

use super::ApiError;
use super::ErrorCode;
use crate::domain::Site;
use crate::pipeline::Caller;

/// The bearer token of a request, if any.
pub struct SiteCredentials(Option<String>);

impl SiteCredentials {
    /// Who the caller is for `site`: its backend (right key), anonymous (no key), or an
    /// error (a key that is not this site's).
    pub fn caller_for(&self, site: &Site) -> Result<Caller, ApiError> {
        match &self.0 {
            None => Ok(Caller::Anonymous),
            Some(key) if site.accepts_key(key) => Ok(Caller::Backend),
            Some(_) => Err(ApiError::coded(ErrorCode::InvalidApiKey)),
        }
    }

    pub fn is_present(&self) -> bool {
        self.0.is_some()
    }

    /// Whether the presented key is `site`'s API key.
    pub fn is_key_of(&self, site: &Site) -> bool {
        self.0.as_deref().is_some_and(|key| site.accepts_key(key))
    }
}

impl std::fmt::Debug for SiteCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the key.
        write!(
            f,
            "SiteCredentials({})",
            if self.0.is_some() { "bearer" } else { "none" }
        )
    }
}

impl FromRequest for SiteCredentials {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(value) = req.headers().get(header::AUTHORIZATION) else {
            return ready(Ok(SiteCredentials(None)));
        };
        let token = value
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim())
            .filter(|token| !token.is_empty());
        ready(match token {
            Some(token) => Ok(SiteCredentials(Some(token.to_owned()))),
            None => Err(ApiError::coded(ErrorCode::InvalidAuthorization)),
        })
    }
}
