//! The house's rules, read from the source: HTTP (actix) only in `src/api` and the `serve`
//! start-up (`src/main.rs`), SQL (rusqlite, postgres) only in `src/store`, and no import cycle
//! between the top-level modules of `src/` — so the service, the store and the encoders can be used without
//! the HTTP layer, and the store can get a second backend.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Each file of `src/` (relative path) with its text, line comments removed.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let rel = p
                .strip_prefix(&src)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let text: String = std::fs::read_to_string(&p)
                .unwrap()
                .lines()
                .map(|l| l.split("//").next().unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n");
            (rel, text)
        })
        .collect()
}

/// The top-level module a file of `src/` belongs to (`api/tiles.rs` → `api`).
fn module_of(rel: &str) -> String {
    rel.split('/')
        .next()
        .unwrap()
        .trim_end_matches(".rs")
        .to_owned()
}

#[test]
fn http_types_only_in_the_http_layer_and_sql_only_in_the_store() {
    for (rel, text) in sources() {
        let m = module_of(&rel);
        if text.contains("actix") {
            assert!(
                m == "api" || rel == "main.rs",
                "src/{rel} names actix: HTTP belongs in src/api"
            );
        }
        if text.contains("rusqlite")
            || text.contains("use postgres")
            || text.contains(" postgres::")
        {
            assert!(
                m == "store",
                "src/{rel} names a database client: SQL belongs in src/store"
            );
        }
    }
}

#[test]
fn no_import_cycle_between_top_level_modules() {
    let files = sources();
    let modules: BTreeSet<String> = files
        .iter()
        .map(|(rel, _)| module_of(rel))
        .filter(|m| m != "main" && m != "lib")
        .collect();
    let mut uses: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (rel, text) in &files {
        let from = module_of(rel);
        if !modules.contains(&from) {
            continue;
        }
        let deps = uses.entry(from.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if name != from && modules.contains(&name) {
                deps.insert(name);
            }
        }
    }
    // Depth-first search for a path back to the start.
    fn path_back(
        uses: &BTreeMap<String, BTreeSet<String>>,
        start: &str,
        at: &str,
        seen: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> bool {
        for next in uses.get(at).into_iter().flatten() {
            path.push(next.clone());
            if next == start {
                return true;
            }
            if seen.insert(next.clone()) && path_back(uses, start, next, seen, path) {
                return true;
            }
            path.pop();
        }
        false
    }
    for m in &modules {
        let mut path = vec![m.clone()];
        assert!(
            !path_back(&uses, m, m, &mut BTreeSet::new(), &mut path),
            "import cycle: {}",
            path.join(" → ")
        );
    }
    assert!(uses.len() > 10, "{uses:?}");
}
