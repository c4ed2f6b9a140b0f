//! Bakes an rpath to libtorch's `lib/` directory into this crate's test
//! executables, so `cargo test -p recommender` runs without LD_LIBRARY_PATH,
//! and passes the directory on to dependents (`DEP_RECOMMENDER_LIBTORCH_LIB`,
//! through `links = "recommender"`) for their binaries. torch-sys exports the
//! directory it linked against as `DEP_TCH_LIBTORCH_LIB` (its `links = "tch"`).
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:rustc-env=VITRINE_LIBTORCH_LIB={dir}");
        println!("cargo:LIBTORCH_LIB={dir}");
    }
}
