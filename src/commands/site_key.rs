//! `commentguard site-key`: a fresh random API key for a site's backend, and the SHA-256
//! that goes in the site's configuration (the key itself is stored nowhere).
/// `commentguard site-key`: a fresh API key and the hash that goes in the config.
pub(crate) fn run() -> anyhow::Result<()> {
    let (key, hash) = crate::domain::site::generate_api_key();
    println!("API key (give to the site's backend; it is not stored anywhere):\n  {key}\n");
    println!(
        "Add to the site's section of the configuration:\n  api_key_sha256 = \"{}\"",
        String::from(hash)
    );
    Ok(())
}
