//! Like the root build.rs: an rpath to libtorch's `lib/` so the benchmark
//! binary runs without LD_LIBRARY_PATH. `LIBTORCH` comes from
//! `.cargo/config.toml` (the `libtorch` symlink `make libtorch` creates).
fn main() {
    println!("cargo:rerun-if-env-changed=LIBTORCH");
    if let Ok(dir) = std::env::var("LIBTORCH") {
        let lib = std::path::Path::new(&dir).join("lib");
        let lib = lib.canonicalize().unwrap_or(lib);
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    }
}
