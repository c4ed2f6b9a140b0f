//! What the `vitrine` binary loads at run time. `make libtorch` installs the
//! torch wheel without its dependency tree (the CUDA math libraries, cuDNN,
//! NCCL, triton: 3.5 GB the binary never loads), plus only the wheels in the
//! Makefile's `LIBTORCH_WHEELS` that hold a library the binary does load.
//! `ldd` resolves the binary's whole closure the way the dynamic loader does;
//! every library must resolve, every one that comes from the virtualenv must
//! belong to one of those wheels at its pinned version, and every one of
//! those wheels must be needed.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A wheel's name the way pip compares them (PEP 503).
fn normalize(name: &str) -> String {
    name.to_ascii_lowercase().replace(['_', '.'], "-")
}

/// `LIBTORCH_WHEELS` from the Makefile: normalized name → pinned version.
fn makefile_wheels() -> BTreeMap<String, String> {
    let makefile = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("Makefile"))
        .expect("read the Makefile");
    let var = |name: &str| {
        makefile
            .lines()
            .find_map(|line| line.strip_prefix(name)?.trim_start().strip_prefix(":="))
            .map(str::trim)
            .unwrap_or_else(|| panic!("no `{name} :=` line in the Makefile"))
    };
    let torch_version = var("TORCH_VERSION");
    var("LIBTORCH_WHEELS")
        .split_whitespace()
        .map(|pin| {
            let (name, version) = pin.split_once("==").expect("name==version");
            (
                normalize(name),
                version.replace("$(TORCH_VERSION)", torch_version),
            )
        })
        .collect()
}

/// `ldd BINARY`: each needed library's name and where it resolved (`None`:
/// not found). The vDSO and the loader itself have no `=>` and are left out.
fn ldd(binary: &str) -> Vec<(String, Option<PathBuf>)> {
    let out = Command::new("ldd").arg(binary).output().expect("run ldd");
    assert!(
        out.status.success(),
        "ldd {binary}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("ldd prints UTF-8")
        .lines()
        .filter_map(|line| {
            let (name, rest) = line.trim().split_once(" => ")?;
            let path = rest.split(" (0x").next().unwrap_or(rest).trim();
            let path = (path != "not found" && !path.is_empty()).then(|| PathBuf::from(path));
            Some((name.to_owned(), path))
        })
        .collect()
}

/// The `site-packages` directory a path lies in, if any.
fn site_packages(path: &Path) -> Option<PathBuf> {
    path.ancestors()
        .find(|dir| dir.file_name().is_some_and(|name| name == "site-packages"))
        .map(Path::to_path_buf)
}

/// Which installed wheel (name, version) owns each file of a site-packages
/// directory, from the wheels' `RECORD`s, keyed by path relative to it.
fn owners(site: &Path) -> BTreeMap<PathBuf, (String, String)> {
    let mut owners = BTreeMap::new();
    for entry in std::fs::read_dir(site).expect("read site-packages") {
        let dist_info = entry.expect("site-packages entry").path();
        if dist_info.extension().is_none_or(|ext| ext != "dist-info") {
            continue;
        }
        let metadata = std::fs::read_to_string(dist_info.join("METADATA")).unwrap_or_default();
        let field = |key: &str| {
            metadata
                .lines()
                .find_map(|line| line.strip_prefix(key))
                .map(|value| value.trim().to_owned())
                .unwrap_or_default()
        };
        let wheel = (normalize(&field("Name:")), field("Version:"));
        let record = std::fs::read_to_string(dist_info.join("RECORD")).unwrap_or_default();
        for file in record.lines().filter_map(|line| line.split(',').next()) {
            owners.insert(PathBuf::from(file), wheel.clone());
        }
    }
    owners
}

#[test]
fn binary_loads_only_what_make_libtorch_installs() {
    let binary = env!("CARGO_BIN_EXE_vitrine");
    let libs = ldd(binary);

    let missing: Vec<&str> = libs
        .iter()
        .filter(|(_, path)| path.is_none())
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "{binary} needs libraries the loader cannot find: {missing:?}. Add the PyPI wheel that \
         holds each to LIBTORCH_WHEELS in the Makefile (the version torch's metadata pins), \
         then `rm -rf .venv libtorch && make libtorch`"
    );

    let wheels = makefile_wheels();
    let mut owners_by_site = BTreeMap::new();
    let mut used = BTreeSet::new();
    let mut from_venv = Vec::new();
    for (name, path) in &libs {
        let path = path.as_ref().expect("checked above");
        let real =
            std::fs::canonicalize(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let Some(site) = site_packages(&real) else {
            continue;
        };
        let owners = owners_by_site
            .entry(site.clone())
            .or_insert_with(|| owners(&site));
        let relative = real.strip_prefix(&site).expect("under site-packages");
        let (wheel, version) = owners.get(relative).unwrap_or_else(|| {
            panic!(
                "{name} => {}: in no installed wheel's RECORD",
                real.display()
            )
        });
        let pinned = wheels.get(wheel).unwrap_or_else(|| {
            panic!(
                "{name} comes from the wheel {wheel} {version}, which is not in the Makefile's \
                 LIBTORCH_WHEELS {wheels:?}: add it there (`make libtorch` installs only those)"
            )
        });
        assert_eq!(
            version.split('+').next(),
            Some(pinned.as_str()),
            "{name} comes from {wheel} {version}; the Makefile pins {pinned}"
        );
        used.insert(wheel.clone());
        from_venv.push(format!("{name} ({wheel})"));
    }

    assert!(
        from_venv
            .iter()
            .any(|lib| lib.starts_with("libtorch_cpu.so ")),
        "libtorch_cpu.so does not come from the virtualenv: {libs:?}"
    );
    let unused: Vec<&String> = wheels
        .keys()
        .filter(|wheel| !used.contains(*wheel))
        .collect();
    assert!(
        unused.is_empty(),
        "LIBTORCH_WHEELS installs {unused:?}, which hold nothing the binary loads \
         (it loads {from_venv:?}): drop them from the Makefile"
    );
}
