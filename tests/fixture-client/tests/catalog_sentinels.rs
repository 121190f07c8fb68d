//! Decoding follows the endpoint's own catalog: the fixture catalog says a price of `-` is "no
//! value", kis-api's catalog does not, and the same body decodes by each endpoint's rule.

use kis_api::Endpoint;
use kis_api::decode::{DecodeCx, decode_body};

const BODY: &[u8] =
    br#"{"rt_cd":"0","msg_cd":"MCA00000","msg1":"ok","output":{"stck_prpr":"-","prdy_vrss":"100"}}"#;

#[test]
fn a_sentinel_of_the_fixture_catalog_is_no_value_there_and_unreadable_in_kis_api() {
    use kis_fixture_client::sample::inquire_price as fixture;
    let cx = DecodeCx::new("FHKST01010100", <fixture::Request as Endpoint>::META);
    let (_, body) = decode_body::<fixture::Response>(BODY, &cx).expect("decoded");
    let output = body.output.expect("output");
    assert_eq!(output.stck_prpr, None);
    assert!(
        cx.into_unrecognized().is_empty(),
        "a sentinel is not reported"
    );

    use kis_api::domestic_stock::inquire_price as own;
    let cx = DecodeCx::new("FHKST01010100", <own::Request as Endpoint>::META);
    let (_, body) = decode_body::<own::Response>(BODY, &cx).expect("decoded");
    assert_eq!(body.output.expect("output").stck_prpr, None);
    let found = cx.into_unrecognized();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].key, "stck_prpr");
    assert!(
        !found[0].is_unknown_key(),
        "an unreadable value, not an unknown key"
    );
}
