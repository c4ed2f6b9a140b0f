//! Bakes an rpath to libtorch's `lib/` directory into the binary and the test
//! executables, so they run without LD_LIBRARY_PATH. The recommender crate
//! passes on the directory torch-sys linked against as
//! `DEP_RECOMMENDER_LIBTORCH_LIB` (its `links = "recommender"`).
fn main() {
    println!("cargo:rerun-if-env-changed=DEP_RECOMMENDER_LIBTORCH_LIB");
    if let Ok(dir) = std::env::var("DEP_RECOMMENDER_LIBTORCH_LIB") {
        println!("cargo:rustc-link-arg=-Wl,-rpath,{dir}");
    }
}
