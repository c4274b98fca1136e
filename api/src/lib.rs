#![recursion_limit = "512"]
//! The `nanbyo` binary's library: configuration, telemetry, the HTTP application, the CLI
//! subcommands and the benchmarks. `main.rs` only wires these together.

pub mod accounts;
pub mod auth;
pub mod bench;
pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod forms;
pub mod history;
pub mod http;
pub mod imports;
pub mod nats;
pub mod openapi;
pub mod provision;
pub mod research;
pub mod search;
pub mod startup;
pub mod telemetry;

/// `nanbyo masters coverage`: the coverage of the shipped masters, as docs/masters.md carries it.
pub fn coverage_report() -> String {
    let editions = domain::catalogue::shipped_editions();
    domain::catalogue::coverage_table(&domain::catalogue::coverage(&editions))
}

#[cfg(test)]
mod tests {
    /// The coverage figures in docs/masters.md are the command's output, not written by hand.
    #[test]
    fn the_coverage_table_in_the_docs_is_what_the_command_prints() {
        let doc = include_str!("../../docs/masters.md");
        let begin = "<!-- coverage: the output of `nanbyo masters coverage` -->\n";
        let start = doc.find(begin).expect("the docs carry the coverage table") + begin.len();
        let end = start + doc[start..].find("<!-- /coverage -->").expect("its end");
        assert_eq!(&doc[start..end], super::coverage_report());
    }
}
