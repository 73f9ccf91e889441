//! Folio's API server as a library: the command line, the configuration, the
//! database connection, the GraphQL schema and the HTTP app, so that the
//! `folio` binary and the end-to-end tests run the very same code.

pub mod auth;
pub mod budget;
pub mod cli;
pub mod config;
pub mod db;
pub mod document;
pub mod error;
pub mod fanout;
pub mod filter;
pub mod graphiql;
pub mod http;
pub mod live;
pub mod loader;
pub mod logging;
pub mod media;
pub mod mutation;
pub mod operation;
/// Global object ids, which live with the node types in `types/`.
pub use types::node;
pub mod paging;
pub mod photos;
pub mod plan;
pub mod query;
pub mod schema;
pub mod seed;
pub mod server;
pub mod subscription;
pub mod types;
pub mod validate;
pub mod viewer;
pub mod write;

/// The layers of the server import downwards only. Each module is listed
/// with the modules above it, which it must never name (outside comments
/// and its own tests): the HTTP front uses the executor, the executor the
/// schema and the planner, the schema the root objects and `types/`,
/// which declare their fields for the planner (`plan/`, which names no
/// GraphQL type); and below them the
/// document toolkit, the event bus (`live/`), storage (`media/`), the
/// write layer and the loaders know none of those above them; the photos
/// write service joins storage and the write layer, which know nothing of
/// each other.
#[cfg(test)]
mod layers {
    const ABOVE: &[(&str, &[&str])] = &[
        ("operation", &["http", "server", "cli"]),
        ("schema", &["http", "operation", "server"]),
        (
            "document",
            &[
                "http",
                "operation",
                "schema",
                "query",
                "mutation",
                "subscription",
                "types",
                "live",
                "media",
                "write",
                "loader",
                "plan",
            ],
        ),
        (
            "budget",
            &["http", "operation", "schema", "document", "types"],
        ),
        (
            "types",
            &[
                "http",
                "operation",
                "schema",
                "query",
                "mutation",
                "subscription",
                "live",
                "write",
            ],
        ),
        (
            "plan",
            &[
                "http",
                "operation",
                "schema",
                "query",
                "mutation",
                "subscription",
                "types",
                "live",
                "write",
                "photos",
            ],
        ),
        (
            "live",
            &[
                "http",
                "operation",
                "schema",
                "document",
                "query",
                "mutation",
                "subscription",
                "types",
            ],
        ),
        (
            "media",
            &[
                "http",
                "operation",
                "schema",
                "mutation",
                "types",
                "write",
                "live",
                "photos",
            ],
        ),
        (
            "write",
            &[
                "http",
                "operation",
                "schema",
                "mutation",
                "query",
                "types",
                "media",
                "photos",
            ],
        ),
        (
            "photos",
            &["http", "operation", "schema", "mutation", "query", "types"],
        ),
        (
            "loader",
            &[
                "http",
                "operation",
                "schema",
                "document",
                "types",
                "live",
                "mutation",
                "query",
                "plan",
            ],
        ),
    ];

    /// The source files of module `name` (a file, or a folder of them).
    fn sources(name: &str) -> Vec<std::path::PathBuf> {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let file = root.join(format!("{name}.rs"));
        if file.exists() {
            return vec![file];
        }
        let mut files: Vec<_> = std::fs::read_dir(root.join(name))
            .unwrap_or_else(|err| panic!("module {name}: {err}"))
            .filter_map(|entry| entry.ok().map(|entry| entry.path()))
            .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
            .collect();
        files.sort();
        files
    }

    #[test]
    fn no_module_imports_a_module_above_it() {
        let mut found = Vec::new();
        for (module, above) in ABOVE {
            for file in sources(module) {
                let text = std::fs::read_to_string(&file).unwrap_or_default();
                // Tests may use what they like (a schema to check against, say).
                let code = text.split("#[cfg(test)]").next().unwrap_or_default();
                for (number, line) in code.lines().enumerate() {
                    if line.trim_start().starts_with("//") {
                        continue;
                    }
                    for higher in *above {
                        if line.contains(&format!("crate::{higher}::"))
                            || line.contains(&format!("crate::{higher};"))
                        {
                            found.push(format!(
                                "{}:{}: {module} names {higher}",
                                file.display(),
                                number + 1
                            ));
                        }
                    }
                }
            }
        }
        assert!(
            found.is_empty(),
            "imports that run upwards:\n{}",
            found.join("\n")
        );
    }
}
