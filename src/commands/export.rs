//! `commentguard export-decisions`: moderators' decisions as labelled training data.
//!
//! Writes the canonical training CSV ([`crate::classifier::data`]) with the columns
//! `text,spam,abuse,source,group`: one row per comment a moderator decided with a label
//! (the latest decision wins), `source` = `decisions:<site>`, `group` = the article id.
//! A label the decision does not give is empty (rejecting as spam says nothing about
//! abuse); decisions that teach nothing (reject as `other`, rejections by a ban) are left
//! out.
//!
//! The database is opened read-only ([`crate::store::open_for_reading`]: a SQLite file read-only), so exporting is safe
//! while `serve` runs. [`super::decisions::decision_examples`] gives
//! `train --with-decisions` the same rows without a file.
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Args;

use super::decisions::source;
use crate::config::Config;
use crate::domain::SiteId;
use crate::store::{self, LabelledDecision};

/// Arguments of `commentguard export-decisions`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only this site's decisions (default: every site).
    #[arg(long)]
    pub site: Option<String>,
    /// TOML configuration file (the database it names is read).
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Where to write the CSV (replaced atomically).
    #[arg(long)]
    pub out: PathBuf,
}

/// A cell as a spreadsheet may safely open it: a cell starting with `=`, `+`, `-`, `@`, a
/// tab or a carriage return is read as a formula by Excel, LibreOffice and Google Sheets
/// (`=HYPERLINK(...)` from a commenter would run on a moderator's machine), so it gets a
/// leading `'`, OWASP's advice for CSV injection. The tokenizer ignores that apostrophe,
/// so training on the file sees the same words.
pub fn spreadsheet_safe(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        std::borrow::Cow::Owned(format!("'{cell}"))
    } else {
        std::borrow::Cow::Borrowed(cell)
    }
}

fn label(value: Option<bool>) -> &'static str {
    match value {
        Some(true) => "1",
        Some(false) => "0",
        None => "",
    }
}

/// Writes `decisions` as canonical CSV to `out`, atomically (a temporary file in the same
/// directory, then a rename).
pub fn write_csv(decisions: &[LabelledDecision], out: &Path) -> anyhow::Result<()> {
    let dir = out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("cannot write in {}", dir.display()))?;
    {
        let mut csv = csv::Writer::from_writer(std::io::BufWriter::new(tmp.as_file()));
        csv.write_record(["text", "spam", "abuse", "source", "group"])?;
        for d in decisions {
            csv.write_record([
                spreadsheet_safe(&d.text).as_ref(),
                label(d.spam),
                label(d.abuse),
                spreadsheet_safe(&source(&d.site)).as_ref(),
                spreadsheet_safe(&d.article_id).as_ref(),
            ])?;
        }
        csv.flush()?;
        let mut inner = csv
            .into_inner()
            .map_err(|e| anyhow::anyhow!("cannot write {}: {}", out.display(), e.error()))?;
        inner.flush()?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(out)
        .with_context(|| format!("cannot write {}", out.display()))?;
    Ok(())
}

/// `commentguard export-decisions [--site SITE] [--config FILE] --out FILE.csv`
pub fn run(args: ExportArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref(), None)?;
    let site = args.site.as_deref().map(SiteId::parse).transpose()?;
    let runtime = super::runtime()?;
    let decisions = runtime.block_on(async {
        let store = store::open_for_reading(&config.database)
            .await
            .with_context(|| {
                format!(
                    "cannot read {}",
                    store::Database::of(&config.database).describe()
                )
            })?;
        anyhow::Ok(store.labelled_decisions(site.as_ref()).await?)
    })?;
    if decisions.is_empty() {
        bail!(
            "no labelled decisions{} yet: nothing written",
            site.as_ref()
                .map(|s| format!(" for site `{s}`"))
                .unwrap_or_default()
        );
    }
    write_csv(&decisions, &args.out)?;
    let count = |f: fn(&LabelledDecision) -> Option<bool>, v| {
        decisions.iter().filter(|d| f(d) == Some(v)).count()
    };
    eprintln!(
        "Wrote {} decisions to {}: spam {} yes / {} no, abuse {} yes / {} no.",
        decisions.len(),
        args.out.display(),
        count(|d| d.spam, true),
        count(|d| d.spam, false),
        count(|d| d.abuse, true),
        count(|d| d.abuse, false),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commands::decisions::to_examples;
    use crate::domain::CommentId;

    /// The CSV reads back through the canonical loader with the same labels.
    #[test]
    fn csv_round_trips_through_the_loader() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("decisions.csv");
        let d = |id, text: &str, spam, abuse| LabelledDecision {
            comment_id: CommentId::new(id).unwrap(),
            site: "news".into(),
            article_id: "2024/budget".into(),
            text: text.into(),
            spam,
            abuse,
            decided_at: 1,
        };
        let decisions = vec![
            d(1, "Buy \"cheap\" pills, now\nhttp://x", Some(true), None),
            d(2, "You are an idiot", None, Some(true)),
            d(3, "Good point about the budget", Some(false), Some(false)),
        ];
        write_csv(&decisions, &out).unwrap();
        let corpus = crate::classifier::data::load(&out).unwrap();
        assert_eq!(corpus.examples, to_examples(&decisions));
        assert_eq!(corpus.examples[0].source, "decisions:news");
        assert_eq!(corpus.examples[0].group, "2024/budget");
    }

    /// Cells a spreadsheet would run as formulas are written with a leading `'`; the
    /// tokens the trainer sees do not change.
    #[test]
    fn formulas_are_neutralised() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("decisions.csv");
        let texts = [
            "=HYPERLINK(\"http://evil.example\",\"click\")",
            "+1 for the council",
            "-5 degrees and no gritters",
            "@cmd|' /C calc'!A0",
            "\tindented",
        ];
        let decisions: Vec<LabelledDecision> = texts
            .iter()
            .enumerate()
            .map(|(i, text)| LabelledDecision {
                comment_id: CommentId::new(i as i64 + 1).unwrap(),
                site: "news".into(),
                article_id: "=1+1".into(),
                text: (*text).into(),
                spam: Some(false),
                abuse: Some(false),
                decided_at: 1,
            })
            .collect();
        write_csv(&decisions, &out).unwrap();
        let mut reader = csv::Reader::from_path(&out).unwrap();
        for (record, text) in reader.records().zip(texts) {
            let record = record.unwrap();
            assert_eq!(&record[0], format!("'{text}"));
            assert_eq!(&record[4], "'=1+1");
            assert_eq!(
                crate::classifier::tokenize::tokenize(&record[0]),
                crate::classifier::tokenize::tokenize(text),
                "{text:?}"
            );
        }
        assert_eq!(spreadsheet_safe("plain"), "plain");
    }
}
