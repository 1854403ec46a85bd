//! `wordcount DIR [--workers N]`: the ten most common words under a directory tree.
//!
//! A three-stage task graph on a thread pool: a lazy directory walk (the source), reading and
//! counting each file, and merging the per-file counts in chunks. Prints one `COUNT WORD` line
//! per word, most common first (ties by word). A word is a maximal run of ASCII letters and
//! digits, lowercased. Files that cannot be read are reported on stderr and skipped.
//!
//! Run it with `cargo run --release -p evloop --example wordcount -- DIR --workers 4`.

use std::collections::HashMap;
use std::fs;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use evloop::taskgraph::Pool;

/// Counts of words.
pub type Counts = HashMap<Vec<u8>, u64>;

/// The files under `root`, found lazily: a directory is listed only when the walk reaches it.
/// Directories that cannot be listed are reported on stderr and skipped.
pub fn walk(root: &Path) -> impl Iterator<Item = PathBuf> + Send + 'static {
    let mut pending = vec![root.to_path_buf()];
    let mut listing: Option<fs::ReadDir> = None;
    std::iter::from_fn(move || {
        loop {
            if let Some(dir) = listing.as_mut() {
                match dir.next() {
                    Some(Ok(entry)) => {
                        let path = entry.path();
                        match entry.file_type() {
                            Ok(t) if t.is_dir() => pending.push(path),
                            _ => return Some(path),
                        }
                    }
                    Some(Err(e)) => eprintln!("wordcount: skipping an entry: {e}"),
                    None => listing = None,
                }
                continue;
            }
            let dir = pending.pop()?;
            match fs::read_dir(&dir) {
                Ok(d) => listing = Some(d),
                Err(e) => eprintln!("wordcount: skipping {}: {e}", dir.display()),
            }
        }
    })
}

/// Adds the words of `text` to `counts`.
pub fn count_words(text: &[u8], counts: &mut Counts) {
    for word in text.split(|b| !b.is_ascii_alphanumeric()) {
        if !word.is_empty() {
            *counts.entry(word.to_ascii_lowercase()).or_insert(0) += 1;
        }
    }
}

/// Adds the counts of `from` to `into`.
pub fn merge(into: &mut Counts, from: Counts) {
    for (word, k) in from {
        *into.entry(word).or_insert(0) += k;
    }
}

/// The `n` most common words under `root`, most common first, ties by word.
pub fn top_words(
    root: &Path,
    workers: usize,
    n: usize,
) -> Result<Vec<(u64, String)>, evloop::taskgraph::Error> {
    let pool = Pool::new(workers);
    let merged = pool
        .source(walk(root))
        .name("walk")
        .max_chunk(NonZeroUsize::new(16).expect("16 is not zero"))
        .build()
        .filter_map(|path: PathBuf| {
            Ok(match fs::read(&path) {
                Ok(bytes) => {
                    let mut counts = Counts::new();
                    count_words(&bytes, &mut counts);
                    Some(counts)
                }
                Err(e) => {
                    eprintln!("wordcount: skipping {}: {e}", path.display());
                    None
                }
            })
        })
        .name("count")
        .max_chunk(NonZeroUsize::new(4).expect("4 is not zero"))
        .build()
        .map_chunk(|chunk: Vec<Counts>| {
            let mut all = Counts::new();
            for counts in chunk {
                merge(&mut all, counts);
            }
            Ok(vec![all])
        })
        .name("merge")
        .max_chunk(NonZeroUsize::new(64).expect("64 is not zero"))
        .build();
    let mut total = Counts::new();
    for counts in merged {
        merge(&mut total, counts?);
    }
    let mut ranked: Vec<(u64, String)> = total
        .into_iter()
        .map(|(word, k)| (k, String::from_utf8_lossy(&word).into_owned()))
        .collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    ranked.truncate(n);
    Ok(ranked)
}

fn usage() -> ExitCode {
    eprintln!("usage: wordcount DIR [--workers N]");
    ExitCode::from(2)
}

#[allow(dead_code)] // the integration test includes this file for its functions
fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut workers = std::thread::available_parallelism().map_or(2, NonZeroUsize::get);
    while let Some(arg) = args.next() {
        if arg == "--workers" {
            match args.next().and_then(|n| n.parse().ok()) {
                Some(n) => workers = n,
                None => return usage(),
            }
        } else if dir.is_none() && !arg.starts_with("--") {
            dir = Some(PathBuf::from(arg));
        } else {
            return usage();
        }
    }
    let Some(dir) = dir else {
        return usage();
    };
    if !dir.is_dir() {
        eprintln!("wordcount: {} is not a directory", dir.display());
        return ExitCode::from(1);
    }
    match top_words(&dir, workers, 10) {
        Ok(top) => {
            for (k, word) in top {
                println!("{k} {word}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("wordcount: {e}");
            ExitCode::from(1)
        }
    }
}
