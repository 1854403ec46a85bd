//! The wordcount example's logic on a temporary tree: counts, ranking, and skipped files.

#[allow(dead_code, unreachable_pub)]
#[path = "../examples/wordcount.rs"]
mod wordcount;

use std::fs;
use std::path::PathBuf;

/// A fresh directory under the system's temporary directory, removed on drop.
struct TempTree(PathBuf);

impl TempTree {
    fn new(name: &str) -> TempTree {
        let dir =
            std::env::temp_dir().join(format!("evloop-wordcount-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        TempTree(dir)
    }
}

impl Drop for TempTree {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

#[test]
fn counts_words_across_a_tree_and_ranks_them() {
    let tree = TempTree::new("rank");
    let root = &tree.0;
    fs::create_dir_all(root.join("a/b/c")).unwrap();
    fs::write(root.join("one.txt"), "The cat; the DOG, the 42 cats!").unwrap();
    fs::write(root.join("a/two.txt"), b"dog\xffdog-the\ncat").unwrap();
    fs::write(root.join("a/b/c/three.txt"), "zebra apple apple").unwrap();
    fs::write(root.join("a/b/empty"), "").unwrap();
    // A dangling link cannot be read (even by root): reported and skipped.
    std::os::unix::fs::symlink(root.join("missing"), root.join("a/broken")).unwrap();
    for workers in [0, 1, 3] {
        let top = wordcount::top_words(root, workers, 10).unwrap();
        let want: Vec<(u64, String)> = [
            (4, "the"),
            (3, "dog"),
            (2, "apple"),
            (2, "cat"),
            (1, "42"),
            (1, "cats"),
            (1, "zebra"),
        ]
        .into_iter()
        .map(|(k, w)| (k, w.to_owned()))
        .collect();
        assert_eq!(top, want, "workers {workers}");
    }
}

#[test]
fn keeps_the_ten_most_common_with_ties_by_word() {
    let tree = TempTree::new("ten");
    let mut text = String::new();
    for (i, w) in ["k", "j", "i", "h", "g", "f", "e", "d", "c", "b", "a", "l"]
        .iter()
        .enumerate()
    {
        for _ in 0..(1 + i % 3) {
            text.push_str(w);
            text.push(' ');
        }
    }
    for i in 0..40 {
        fs::write(tree.0.join(format!("f{i}")), &text).unwrap();
    }
    let top = wordcount::top_words(&tree.0, 2, 10).unwrap();
    let words: Vec<&str> = top.iter().map(|(_, w)| w.as_str()).collect();
    assert_eq!(words, ["c", "f", "i", "l", "a", "d", "g", "j", "b", "e"]);
    assert_eq!(top[0].0, 120);
    assert_eq!(top[9].0, 40);
}

#[test]
fn the_walk_is_lazy() {
    let tree = TempTree::new("lazy");
    fs::create_dir_all(tree.0.join("sub")).unwrap();
    fs::write(tree.0.join("x"), "").unwrap();
    let mut walk = wordcount::walk(&tree.0);
    // Removing the subdirectory after the walk started: it is listed only when reached.
    let first = walk.next();
    fs::remove_dir_all(tree.0.join("sub")).unwrap();
    let rest: Vec<_> = walk.collect();
    assert_eq!(first.into_iter().chain(rest).count(), 1);
}
