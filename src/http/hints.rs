//! Hints for integrators: errors and answers that say what a backend got wrong.
//!
//! - A submission naming a site this instance does not serve (`UNKNOWN_SITE`) is told
//!   which sites the API key it presented belongs to, so a backend that mistyped its
//!   site id learns the right one. Callers without a valid key learn nothing about the
//!   instance's sites (site ids of other tenants are not public).
//!   A moderator naming an unknown site is told the sites they moderate.
//! - A backend (with its API key) that does not forward `client_ip` makes every reader
//!   look like the backend's own address, so they all share one IP's rate limit. Its
//!   answers carry a warning saying so, and a 429 on the IP limit explains why.
use super::auth::SiteCredentials;
use crate::domain::{Sites, ValidationCode, ValidationError};
use crate::store::SiteGrants;

/// The warning in a backend's answer when it sent no `client_ip`.
pub const NO_CLIENT_IP: &str = "client_ip was not sent: every reader is counted as this \
     backend's own address, so all of them share one IP's rate limit; send each reader's \
     IP address as client_ip (and their User-Agent as user_agent)";

/// The message of an `UNKNOWN_SITE` for a moderator: the sites of this instance they
/// moderate (an authenticated moderator may know those).
pub fn unknown_site_for_moderator(sites: &Sites, grants: &SiteGrants) -> String {
    let mut theirs: Vec<&str> = sites
        .iter()
        .map(|site| site.id.as_str())
        .filter(|id| grants.allows(id))
        .collect();
    theirs.sort_unstable();
    if theirs.is_empty() {
        "no such site on this instance (you moderate none of its sites)".to_owned()
    } else {
        format!(
            "no such site on this instance; you moderate: {}",
            theirs.join(", ")
        )
    }
}

/// `err` with the sites of the caller's API key added to an `UNKNOWN_SITE` message.
pub fn unknown_site(
    err: ValidationError,
    sites: &Sites,
    credentials: &SiteCredentials,
) -> ValidationError {
    if err.code != ValidationCode::UnknownSite {
        return err;
    }
    let mut own: Vec<&str> = sites
        .iter()
        .filter(|site| credentials.is_key_of(site))
        .map(|site| site.id.as_str())
        .collect();
    own.sort_unstable();
    let message = if own.is_empty() {
        format!(
            "{}; site must be the id of a [sites.ID] section of the configuration \
             (send the site's API key to be told its id)",
            err.message
        )
    } else {
        format!(
            "{}; your API key is the key of the site(s): {}",
            err.message,
            own.join(", ")
        )
    };
    ValidationError { message, ..err }
}
