//! Moderators' browser sessions (`[sessions]`): the review page's sign-in cookie.
use serde::{Deserialize, Serialize};

/// Moderators' browser sessions: signing in to the review page with a token once gives a
/// session cookie (`HttpOnly`, `SameSite=Strict`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SessionConfig {
    /// Mark the cookie `Secure` (sent over HTTPS only; it is then named
    /// `__Host-cg_session`). Set it whenever the service is reached over HTTPS, as behind
    /// the reverse proxies of `deploy/`.
    pub secure_cookie: bool,
    /// How long a sign-in lasts, in hours (1 to 720).
    pub hours: u32,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            secure_cookie: false,
            hours: 12,
        }
    }
}
