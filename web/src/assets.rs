//! The web client's static files, compiled into the binary: each served under a URL that
//! carries a digest of its content (`/assets/app.3f9a1c2b.css`), so a browser may keep it for a
//! year and a new release is fetched at once. Nothing is loaded from anywhere else.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};

/// A file the pages link to.
pub struct Asset {
    /// The name in templates (`app.css`).
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: &'static [u8],
}

const FILES: &[Asset] = &[
    Asset {
        name: "app.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/app.css"),
    },
    Asset {
        name: "print.css",
        content_type: "text/css; charset=utf-8",
        bytes: include_bytes!("../assets/print.css"),
    },
    Asset {
        name: "app.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/app.js"),
    },
    Asset {
        name: "htmx.min.js",
        content_type: "text/javascript; charset=utf-8",
        bytes: include_bytes!("../assets/vendor/htmx/htmx.min.js"),
    },
    Asset {
        name: "favicon.svg",
        content_type: "image/svg+xml",
        bytes: include_bytes!("../assets/favicon.svg"),
    },
];

/// Each file with its served path, computed once.
static PATHS: LazyLock<Vec<(&'static Asset, String)>> = LazyLock::new(|| {
    FILES
        .iter()
        .map(|a| {
            let digest = hex::encode(&Sha256::digest(a.bytes)[..6]);
            let (stem, ext) = a.name.rsplit_once('.').unwrap_or((a.name, ""));
            (a, format!("{stem}.{digest}.{ext}"))
        })
        .collect()
});

/// The URL of asset `name`, with its digest. An unknown name is a bug in a template; it
/// yields a path that answers 404 rather than a panic.
pub fn url(name: &str) -> String {
    PATHS.iter().find(|(a, _)| a.name == name).map_or_else(
        || format!("/assets/missing/{name}"),
        |(_, p)| format!("/assets/{p}"),
    )
}

/// `GET /assets/{file}`.
pub async fn serve(Path(file): Path<String>) -> Response {
    match PATHS.iter().find(|(_, p)| *p == file) {
        Some((a, _)) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
            ],
            a.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
