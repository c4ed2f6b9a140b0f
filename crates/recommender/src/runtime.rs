//! Facts about the libtorch this process actually loaded (not the one it was
//! built against): its version, read from the `torch` package next to the
//! mapped `libtorch_cpu.so`, and whether CUDA is usable.
use std::path::{Path, PathBuf};

#[derive(Clone, Debug, serde::Serialize)]
pub struct LibtorchInfo {
    pub version: Option<String>,
    pub library: Option<String>,
    pub cuda_available: bool,
    pub cuda_devices: i64,
}

/// Probes libtorch (this maps the library if nothing has touched it yet).
pub fn probe() -> LibtorchInfo {
    let cuda_available = tch::Cuda::is_available();
    let cuda_devices = if cuda_available {
        tch::Cuda::device_count()
    } else {
        0
    };
    let library = loaded_library();
    let version = library.as_deref().and_then(version_next_to).or_else(|| {
        option_env!("VITRINE_LIBTORCH_LIB")
            .and_then(|dir| version_next_to(&Path::new(dir).join("libtorch_cpu.so")))
    });
    LibtorchInfo {
        version,
        library: library.map(|p| p.display().to_string()),
        cuda_available,
        cuda_devices,
    }
}

/// The path of `libtorch_cpu.so` in this process's memory map.
fn loaded_library() -> Option<PathBuf> {
    let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
    maps.lines()
        .filter_map(|line| line.split_whitespace().nth(5))
        .find(|path| path.ends_with("/libtorch_cpu.so"))
        .map(PathBuf::from)
}

/// `torch/lib/libtorch_cpu.so` → `torch/version.py` → `__version__`.
fn version_next_to(library: &Path) -> Option<String> {
    let torch_dir = library.parent()?.parent()?;
    let text = std::fs::read_to_string(torch_dir.join("version.py")).ok()?;
    text.lines()
        .find_map(|line| line.strip_prefix("__version__ = "))
        .map(|v| v.trim().trim_matches(['\'', '"']).to_owned())
}

#[cfg(test)]
mod tests {
    #[test]
    fn reports_the_loaded_libtorch() {
        let info = super::probe();
        let version = info.version.expect("libtorch version");
        assert!(version.starts_with("2.13."), "{version}");
        assert!(info.library.unwrap().ends_with("libtorch_cpu.so"));
    }
}
