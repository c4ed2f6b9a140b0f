//! Bakes an rpath to libtorch's `lib/` directory into the binary and the test
//! executables, so they run without LD_LIBRARY_PATH. torch-sys exports the
//! directory it linked against as `DEP_TCH_LIBTORCH_LIB` (its `links = "tch"`).
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_TCH_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_TCH_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
        println!("cargo:rustc-env=VITRINE_LIBTORCH_LIB={dir}");
    }
}
