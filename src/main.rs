//! The `commentguard` binary: parses the command line and hands over to the library.

// The service allocates a few dozen small buffers per comment (fields, tokens, the
// record); mimalloc's thread-local free lists serve them without glibc's locking.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    commentguard::cli::main()
}
