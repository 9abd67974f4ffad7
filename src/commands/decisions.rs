//! Moderators' labelled decisions as training examples — what `export-decisions` writes
//! and what `train --with-decisions` reads straight from the database: `source` =
//! `decisions:<site>`, `group` = the article id.
use std::path::Path;

use anyhow::Context;

use crate::classifier::data::Example;
use crate::classifier::train::DECISIONS_SOURCE_PREFIX;
use crate::domain::SiteId;
use crate::store::{self, LabelledDecision};

/// The `source` column of a site's decisions.
pub(crate) fn source(site: &str) -> String {
    format!("{DECISIONS_SOURCE_PREFIX}{site}")
}

/// Decisions as training examples (`source` = `decisions:<site>`, `group` = article id).
pub(crate) fn to_examples(decisions: &[LabelledDecision]) -> Vec<Example> {
    decisions
        .iter()
        .map(|d| Example {
            text: d.text.clone(),
            spam: d.spam,
            abuse: d.abuse,
            source: source(&d.site),
            group: d.article_id.clone(),
        })
        .collect()
}

/// Reads the labelled decisions of `site` (or every site) from the database at
/// `database`, read-only, as training examples. Blocking: starts its own small runtime,
/// for synchronous callers such as `train --with-decisions`.
pub(crate) fn decision_examples(
    database: &Path,
    site: Option<&SiteId>,
) -> anyhow::Result<Vec<Example>> {
    let runtime = super::runtime()?;
    let decisions = runtime.block_on(async {
        let store = store::open_for_reading(database).await.with_context(|| {
            format!(
                "cannot read decisions from {}",
                store::Database::of(database).describe()
            )
        })?;
        anyhow::Ok(store.labelled_decisions(site).await?)
    })?;
    Ok(to_examples(&decisions))
}
