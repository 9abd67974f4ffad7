//! Command line interface.
use std::process::ExitCode;

/// Entry point of the `commentguard` binary.
pub fn main() -> ExitCode {
    ExitCode::SUCCESS
}
