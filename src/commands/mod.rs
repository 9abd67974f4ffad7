//! The classifier subcommands: each file parses its arguments (clap), calls the library
//! and prints. Exit status is non-zero on any error, with a message naming the input.
pub mod evaluate;
pub mod score;
pub mod train;
