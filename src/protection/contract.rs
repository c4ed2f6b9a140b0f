//! The frontend contract (API-2): every operation the shipped clients send,
//! as `.graphql` files under `frontend-contract/operations/<client>/`, and
//! `frontend-contract/manifest.json`, which maps `sha256:<hex of the file's
//! text>` to each document. `vitrine contract build` writes the manifest; a
//! test fails when it drifts from the files, and another validates every
//! document against the schema. The server embeds the manifest: partners
//! send only its ids, and first-party clients may send its hashes.
use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
    sync::OnceLock,
};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// One persisted document.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Entry {
    /// `web`, `mobile` or `partner`.
    pub client: String,
    /// The operation's name (the file's stem).
    pub name: String,
    pub document: String,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct Manifest {
    pub version: u32,
    /// `sha256:<hex>` → document, ordered by id.
    pub operations: BTreeMap<String, Entry>,
}

/// `sha256:<hex>` of a document's exact text.
pub fn document_id(document: &str) -> String {
    format!(
        "sha256:{}",
        hex::encode(Sha256::digest(document.as_bytes()))
    )
}

impl Manifest {
    pub fn get(&self, id: &str) -> Option<&Entry> {
        self.operations.get(id)
    }

    /// Ids of the documents shipped to partners.
    pub fn partner_ids(&self) -> impl Iterator<Item = &String> {
        self.operations
            .iter()
            .filter(|(_, e)| e.client == "partner")
            .map(|(id, _)| id)
    }

    /// The pretty JSON written to `manifest.json`.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}

/// Reads every `operations/<client>/<Name>.graphql` under `root`.
pub fn build(root: &Path) -> anyhow::Result<Manifest> {
    let mut manifest = Manifest {
        version: 1,
        operations: BTreeMap::new(),
    };
    let operations = root.join("operations");
    let mut clients: Vec<PathBuf> = std::fs::read_dir(&operations)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    clients.sort();
    for dir in clients {
        let client = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "graphql"))
            .collect();
        files.sort();
        for file in files {
            let document = std::fs::read_to_string(&file)?;
            let name = file
                .file_stem()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_owned();
            let id = document_id(&document);
            if let Some(previous) = manifest.operations.get(&id) {
                anyhow::bail!(
                    "{} and {}/{} are the same document",
                    file.display(),
                    previous.client,
                    previous.name
                );
            }
            manifest.operations.insert(
                id,
                Entry {
                    client: client.clone(),
                    name,
                    document,
                },
            );
        }
    }
    Ok(manifest)
}

/// The manifest compiled into this binary.
pub fn embedded() -> &'static Manifest {
    static MANIFEST: OnceLock<Manifest> = OnceLock::new();
    MANIFEST.get_or_init(|| {
        serde_json::from_str(include_str!("../../frontend-contract/manifest.json"))
            .expect("frontend-contract/manifest.json is valid (checked by a test)")
    })
}
