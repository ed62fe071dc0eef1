//! Compiles the public protobuf contract with `protox` (pure Rust, no system `protoc`) and writes the
//! descriptor set that gRPC reflection serves.

use std::{env, fs, path::PathBuf};

use prost::Message;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto");
    let descriptors = protox::compile(["insurance/verification/v1/verification.proto"], ["proto"])?;

    // `compile_fds` does not write the descriptor set, and reflection needs it: write it ourselves.
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("verification_descriptor.bin"), descriptors.encode_to_vec())?;

    tonic_prost_build::configure().build_client(true).build_server(true).compile_fds(descriptors)?;
    Ok(())
}
