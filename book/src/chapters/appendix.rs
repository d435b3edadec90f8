//! The appendix: accuracy in ULPs on hard cases, ours and PyTorch's ([`crate::accuracy`]).

use super::Outputs;
use crate::error::Result;

/// The appendix's ULP table under `book/generated/`.
pub const OUTPUTS: Outputs = Outputs {
    chapter: "appendix",
    files: &["appendix-ulp.md"],
    make,
};

fn make() -> Result<Vec<String>> {
    Ok(vec![crate::accuracy::ulp_table()?])
}
