//! The `commentguard` binary: parses the command line and hands over to the library.

use clap::Parser as _;
use commentguard::cli::Cli;

// The service allocates a few dozen small buffers per comment (fields, tokens, the
// record); mimalloc's thread-local free lists serve them without glibc's locking.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if !cli.command.is_service() {
        stop_on_closed_pipe();
    }
    commentguard::cli::run(cli)
}

/// Lets a closed standard output end the process quietly, as it does any Unix tool
/// (`commentguard score … | head -1`). Rust ignores SIGPIPE before `main`, so a write to a
/// closed pipe fails and `println!` panics on it; restoring the default action makes
/// the kernel stop the process instead. Not for `serve`: a client hanging up must stay
/// an error on that one connection.
fn stop_on_closed_pipe() {
    #[cfg(unix)]
    // SAFETY: called on the main thread before any other thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE and no handler of ours is replaced.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
