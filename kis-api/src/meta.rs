//! Static facts about every endpoint, generated from the catalog: the metadata types and closed
//! sets of [`kis_catalog`], which defines them once for the generator, the runtime and the tools.
//!
//! Each generated request type points at one [`EndpointMeta`]; the runtime reads it to send the
//! request, [`crate::CATALOG`] holds the shared facts (hosts, limits, response codes), and the
//! `kis` command line reads [`crate::ENDPOINTS`] to describe and call endpoints by name.

pub use kis_catalog::kinds::*;
pub use kis_catalog::meta::*;
