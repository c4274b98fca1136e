//! Embeds every shipped master file (`masters/**/*.json`: layouts, catalogues, disease files,
//! weights) with its path, so that adding a disease is adding a file: no list to edit, no code.

use std::fs;
use std::path::{Path, PathBuf};

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

fn main() {
    // Read at run time: `env!` would bake in the directory the build script was first compiled
    // in, and a checkout elsewhere sharing the target directory would embed no master at all.
    let manifest = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest).join("../masters");
    println!("cargo:rerun-if-changed={}", root.display());
    let mut files = Vec::new();
    collect(&root, &mut files);
    files.sort();
    let mut code = String::from("&[\n");
    for f in &files {
        let relative = f
            .strip_prefix(&root)
            .map(|p| p.to_string_lossy().replace('\\', "/"))
            .unwrap_or_default();
        let f = f.canonicalize().unwrap_or_else(|_| f.clone());
        println!("cargo:rerun-if-changed={}", f.display());
        if let Some(dir) = f.parent() {
            println!("cargo:rerun-if-changed={}", dir.display());
        }
        code.push_str(&format!(
            "    ({relative:?}, include_str!({:?})),\n",
            f.display().to_string()
        ));
    }
    code.push_str("]\n");
    let out = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".into()))
        .join("shipped_masters.rs");
    fs::write(out, code).unwrap_or_else(|e| panic!("cannot write the master list: {e}"));
}
