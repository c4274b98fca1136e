//! `sqlx::migrate!` embeds the migration files at compile time; without this, a migration added
//! after the last build of this crate would silently be missing from the binary.
fn main() {
    println!("cargo:rerun-if-changed=../migrations/postgres");
    println!("cargo:rerun-if-changed=../migrations/sqlite");
}
