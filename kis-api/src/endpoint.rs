//! The runtime trait every generated request type implements.

use crate::decode::Body;
use crate::meta::EndpointMeta;
use crate::params::ParamWriter;

/// A request of one catalog endpoint. Generated code implements it; sending, auth, retries and
/// pagination are the client's.
pub trait Endpoint: Send + Sync + 'static {
    /// The decoded response body.
    type Response: Body + Send + 'static;

    /// Static facts: path, method, TR IDs per environment, demo availability, continuation keys.
    const META: &'static EndpointMeta;

    /// Index (into `META.variants`) of the TR ID variant this request selects.
    fn variant(&self) -> usize {
        0
    }

    /// Writes the request fields in wire order.
    fn write<'a>(&'a self, w: &mut ParamWriter<'a>);
}

/// An endpoint with continuation keys, whose rows can be streamed across pages.
pub trait Paginated: Endpoint {
    /// One row of the endpoint's main array block.
    type Row: Send + 'static;

    /// The rows of one page.
    fn rows(response: Self::Response) -> Vec<Self::Row>;
}

/// A realtime (WebSocket) TR. Generated code implements it on a marker type per TR.
pub trait RealtimeTr: Copy + Send + Sync + 'static {
    /// Static facts: TR IDs per environment, columns, encryption, key meaning.
    const META: &'static EndpointMeta;
    /// One record of the TR, borrowing from the frame.
    type Record<'a>: crate::decode::RealtimeRecord<'a>;
}
