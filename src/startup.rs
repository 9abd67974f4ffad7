//! Builds and runs the HTTP service (being written).
use crate::cli::ServeArgs;

/// Run the service until it is stopped.
pub fn serve(_args: ServeArgs) -> anyhow::Result<()> {
    anyhow::bail!("the service is not built yet")
}
