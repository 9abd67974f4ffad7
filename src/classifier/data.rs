//! The canonical labelled-comment format, and loading it with errors that name file and line.
//!
//! Everything the CLI reads (the shipped corpus in `training-data/`, exported moderator
//! decisions, any site's own labelled comments for `evaluate`) is CSV (RFC 4180) with a
//! header row and these columns:
//!
//! | column   | required | meaning                                                   |
//! |----------|----------|-----------------------------------------------------------|
//! | `text`   | yes      | the comment                                               |
//! | `spam`   | no       | `1`, `0`, or empty = not labelled for spam                |
//! | `abuse`  | no       | `1`, `0`, or empty = not labelled for abuse               |
//! | `source` | no       | where the row comes from (defaults to the file's stem)    |
//! | `group`  | no       | a finer unit inside the source: a video, a thread, a file |
//!
//! Other columns are ignored. `source` and `group` drive cross-source validation.
use std::fmt;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The two things we score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Task {
    Spam,
    Abuse,
}

impl Task {
    /// Both tasks, in the order they are reported.
    pub const ALL: [Task; 2] = [Task::Spam, Task::Abuse];

    /// The task's name as used in file names, CSV columns and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Task::Spam => "spam",
            Task::Abuse => "abuse",
        }
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One labelled comment.
#[derive(Debug, Clone, PartialEq)]
pub struct Example {
    pub text: String,
    pub spam: Option<bool>,
    pub abuse: Option<bool>,
    pub source: String,
    pub group: String,
}

impl Example {
    /// The label for `task`, if this row has one.
    pub fn label(&self, task: Task) -> Option<bool> {
        match task {
            Task::Spam => self.spam,
            Task::Abuse => self.abuse,
        }
    }
}

/// A file that was read, with the hash recorded in a model's training metadata.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileInfo {
    /// The file name (not the full path, so metadata is the same on every machine).
    pub name: String,
    pub sha256: String,
    pub rows: usize,
}

/// Labelled comments loaded from one or more files.
#[derive(Debug, Clone, Default)]
pub struct Corpus {
    pub examples: Vec<Example>,
    pub files: Vec<FileInfo>,
}

impl Corpus {
    /// Appends another corpus (its files are listed after this one's).
    pub fn extend(&mut self, other: Corpus) {
        self.examples.extend(other.examples);
        self.files.extend(other.files);
    }
}

/// Why a data file could not be used. Every variant names the file, and the line where
/// there is one, so the operator can fix the input.
#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error("{path}: cannot read")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}: no CSV files in this directory")]
    NoFiles { path: PathBuf },
    #[error("{path}:{line}: malformed CSV: {message}")]
    Malformed {
        path: PathBuf,
        line: u64,
        message: String,
    },
    #[error("{path}: the header has no `{column}` column (found: {found})")]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        found: String,
    },
    #[error("{path}:{line}: column `{column}` must be 1, 0 or empty, found {value:?}")]
    BadLabel {
        path: PathBuf,
        line: u64,
        column: &'static str,
        value: String,
    },
    #[error("{path}: no labelled rows (every row needs a `spam` or `abuse` label)")]
    Empty { path: PathBuf },
}

/// Loads a canonical CSV file, or every `*.csv` file directly inside a directory (in name
/// order, so the result does not depend on the file system).
pub fn load(path: &Path) -> Result<Corpus, DataError> {
    let meta = fs::metadata(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if !meta.is_dir() {
        return load_file(path);
    }
    let entries = fs::read_dir(path).map_err(|source| DataError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let p = entry.path();
        if p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
            files.push(p);
        }
    }
    if files.is_empty() {
        return Err(DataError::NoFiles {
            path: path.to_path_buf(),
        });
    }
    files.sort();
    let mut corpus = Corpus::default();
    for file in files {
        corpus.extend(load_file(&file)?);
    }
    Ok(corpus)
}

/// Loads one canonical CSV file. A file without a single labelled row is an error.
pub fn load_file(path: &Path) -> Result<Corpus, DataError> {
    let io_err = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut bytes = Vec::new();
    fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(io_err)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let default_source = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let examples = parse(path, &bytes, &default_source)?;
    let file = FileInfo {
        name: path
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        sha256,
        rows: examples.len(),
    };
    Ok(Corpus {
        examples,
        files: vec![file],
    })
}

/// Parses canonical CSV from memory; `path` is only used in error messages.
pub fn parse(path: &Path, bytes: &[u8], default_source: &str) -> Result<Vec<Example>, DataError> {
    // A UTF-8 byte order mark would otherwise become part of the first column's name.
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .from_reader(bytes);
    let malformed = |err: csv::Error| {
        let line = err.position().map(|p| p.line()).unwrap_or(0);
        let message = match err.kind() {
            csv::ErrorKind::Utf8 { .. } => "invalid UTF-8".to_string(),
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("expected {expected_len} fields, found {len}"),
            _ => err.to_string(),
        };
        DataError::Malformed {
            path: path.to_path_buf(),
            line,
            message,
        }
    };
    let headers = reader.headers().map_err(malformed)?.clone();
    let column = |name: &str| headers.iter().position(|h| h.trim() == name);
    let text_col = column("text").ok_or_else(|| DataError::MissingColumn {
        path: path.to_path_buf(),
        column: "text",
        found: headers.iter().collect::<Vec<_>>().join(","),
    })?;
    let (spam_col, abuse_col) = (column("spam"), column("abuse"));
    let (source_col, group_col) = (column("source"), column("group"));

    let mut examples = Vec::new();
    for record in reader.records() {
        let record = record.map_err(malformed)?;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        let label = |col: Option<usize>, name: &'static str| -> Result<Option<bool>, DataError> {
            let Some(col) = col else { return Ok(None) };
            match record.get(col).unwrap_or("").trim() {
                "" => Ok(None),
                "1" => Ok(Some(true)),
                "0" => Ok(Some(false)),
                other => Err(DataError::BadLabel {
                    path: path.to_path_buf(),
                    line,
                    column: name,
                    value: other.to_string(),
                }),
            }
        };
        let spam = label(spam_col, "spam")?;
        let abuse = label(abuse_col, "abuse")?;
        let field = |col: Option<usize>, default: &str| {
            col.and_then(|c| record.get(c))
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(default)
                .to_string()
        };
        let source = field(source_col, default_source);
        let group = field(group_col, &source);
        examples.push(Example {
            text: record.get(text_col).unwrap_or("").to_string(),
            spam,
            abuse,
            source,
            group,
        });
    }
    if !examples
        .iter()
        .any(|e| e.spam.is_some() || e.abuse.is_some())
    {
        return Err(DataError::Empty {
            path: path.to_path_buf(),
        });
    }
    Ok(examples)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<Vec<Example>, DataError> {
        parse(Path::new("t.csv"), s.as_bytes(), "t")
    }

    /// Labels are 1, 0 or empty; extra columns are ignored; source defaults to the file stem.
    #[test]
    fn reads_labels_and_ignores_extra_columns() {
        let rows =
            parse_str("id,text,spam,abuse,x\n1,hello,1,,y\n2,\"a, \"\"b\"\"\",0,1,z\n").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].spam, Some(true));
        assert_eq!(rows[0].abuse, None);
        assert_eq!(rows[1].text, "a, \"b\"");
        assert_eq!(rows[1].abuse, Some(true));
        assert_eq!(rows[1].source, "t");
        assert_eq!(rows[1].group, "t");
    }

    /// A label other than 0/1/empty names the file, the line and the column.
    #[test]
    fn bad_label_names_file_line_and_column() {
        let err = parse_str("text,spam\nok,1\nbad,yes\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "t.csv:3: column `spam` must be 1, 0 or empty, found \"yes\""
        );
    }

    /// A row with the wrong number of fields is reported with its line.
    #[test]
    fn malformed_row_names_line() {
        let err = parse_str("text,spam\nok,1\nbad,1,extra\n").unwrap_err();
        assert!(
            err.to_string().starts_with("t.csv:3: malformed CSV"),
            "{err}"
        );
    }

    /// Without a `text` column nothing can be trained.
    #[test]
    fn missing_text_column() {
        let err = parse_str("comment,spam\nx,1\n").unwrap_err();
        assert!(err.to_string().contains("no `text` column"), "{err}");
    }

    /// A file with a header but no labelled rows is an empty corpus.
    #[test]
    fn empty_corpus() {
        assert!(matches!(
            parse_str("text,spam\n"),
            Err(DataError::Empty { .. })
        ));
        assert!(matches!(
            parse_str("text,spam\nx,\n"),
            Err(DataError::Empty { .. })
        ));
    }
}
