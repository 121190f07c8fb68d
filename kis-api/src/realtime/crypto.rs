//! Decryption of encrypted frames (execution notices): base64, then AES-256-CBC with PKCS#7
//! padding; the key and iv are the UTF-8 bytes of the strings KIS sends in the subscribe reply.

use std::fmt;

use aes::cipher::block_padding::Pkcs7;
use aes::cipher::{BlockModeDecrypt, InnerIvInit, KeyInit};
use base64::Engine as _;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};

use crate::realtime_error::FrameErrorKind;

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;

/// Standard alphabet; padding optional (KIS pads, a lenient reader costs nothing).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Length of the AES-256 key in bytes.
pub const KEY_LEN: usize = 32;
/// Length of the CBC initialisation vector in bytes.
pub const IV_LEN: usize = 16;
const BLOCK: usize = 16;

/// The AES-256-CBC key and iv of one TR, from its subscribe reply. `Debug` never shows them.
#[derive(Clone)]
pub struct CipherKey {
    // the expanded key schedule, computed once; each frame starts a fresh CBC chain from `iv`
    cipher: aes::Aes256,
    iv: [u8; IV_LEN],
}

impl fmt::Debug for CipherKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CipherKey(***)")
    }
}

/// Why a key or iv was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CipherKeyError {
    /// Bytes in the key given.
    pub key_len: usize,
    /// Bytes in the iv given.
    pub iv_len: usize,
}

impl fmt::Display for CipherKeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "AES-256-CBC needs a {KEY_LEN}-byte key and a {IV_LEN}-byte iv, got {} and {} bytes",
            self.key_len, self.iv_len
        )
    }
}

impl std::error::Error for CipherKeyError {}

impl CipherKey {
    /// A key from raw bytes: 32 for the key, 16 for the iv.
    pub fn new(key: &[u8], iv: &[u8]) -> Result<Self, CipherKeyError> {
        let err = CipherKeyError {
            key_len: key.len(),
            iv_len: iv.len(),
        };
        let iv: [u8; IV_LEN] = iv.try_into().map_err(|_| err)?;
        let cipher = aes::Aes256::new_from_slice(key).map_err(|_| err)?;
        Ok(CipherKey { cipher, iv })
    }

    /// A key from the `key` and `iv` strings of a subscribe reply (their UTF-8 bytes, as KIS
    /// uses them).
    pub fn from_reply(key: &str, iv: &str) -> Result<Self, CipherKeyError> {
        CipherKey::new(key.as_bytes(), iv.as_bytes())
    }

    /// Decrypts a base64 payload into text.
    pub fn decrypt(&self, payload: &str) -> Result<String, FrameErrorKind> {
        let mut out = Vec::new();
        self.decrypt_append(payload, &mut out)?;
        String::from_utf8(out).map_err(|_| FrameErrorKind::Utf8)
    }

    /// Decrypts a base64 payload and appends the plaintext bytes to `out` (which may already
    /// hold a prefix: one allocation per frame). On error `out` is left with its prefix.
    pub(crate) fn decrypt_append(
        &self,
        payload: &str,
        out: &mut Vec<u8>,
    ) -> Result<(), FrameErrorKind> {
        let start = out.len();
        let trimmed = payload.trim_end_matches(['\r', '\n', ' ']);
        if let Err(_e) = BASE64.decode_vec(trimmed, out) {
            out.truncate(start);
            return Err(FrameErrorKind::Base64);
        }
        let Some(ct) = out.get_mut(start..) else {
            return Err(FrameErrorKind::CipherLength);
        };
        if ct.is_empty() || !ct.len().is_multiple_of(BLOCK) {
            out.truncate(start);
            return Err(FrameErrorKind::CipherLength);
        }
        let dec = Aes256CbcDec::inner_iv_init(self.cipher.clone(), &self.iv.into());
        let plain_len = match dec.decrypt_padded::<Pkcs7>(ct) {
            Ok(p) => p.len(),
            Err(_) => {
                out.truncate(start);
                return Err(FrameErrorKind::Padding);
            }
        };
        out.truncate(start + plain_len);
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use aes::cipher::{BlockModeEncrypt, KeyIvInit};

    type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

    pub(crate) const KEY: &str = "abcdefghijklmnopqrstuvwxyz012345";
    pub(crate) const IV: &str = "0123456789abcdef";

    /// What KIS does: AES-256-CBC, PKCS#7, base64.
    pub(crate) fn encrypt(key: &str, iv: &str, plain: &str) -> String {
        let enc = Aes256CbcEnc::new_from_slices(key.as_bytes(), iv.as_bytes()).expect("key/iv");
        let ct = enc.encrypt_padded_vec::<Pkcs7>(plain.as_bytes());
        base64::engine::general_purpose::STANDARD.encode(ct)
    }

    fn key() -> CipherKey {
        CipherKey::from_reply(KEY, IV).expect("valid key")
    }

    #[test]
    fn round_trips() {
        for plain in [
            "x",
            "suiteuser^5001234501^0000012345",
            "exactly sixteen!",
            &"체결^".repeat(200),
        ] {
            let b64 = encrypt(KEY, IV, plain);
            assert_eq!(key().decrypt(&b64).as_deref(), Ok(plain));
        }
        // without padding characters, and with a trailing newline
        let b64 = encrypt(KEY, IV, "ab");
        assert_eq!(
            key().decrypt(b64.trim_end_matches('=')).as_deref(),
            Ok("ab")
        );
        assert_eq!(key().decrypt(&format!("{b64}\n")).as_deref(), Ok("ab"));
    }

    #[test]
    fn keys_must_have_aes_sizes() {
        let e = CipherKey::from_reply("short", IV).unwrap_err();
        assert_eq!((e.key_len, e.iv_len), (5, 16));
        assert!(CipherKey::from_reply(KEY, "short-iv").is_err());
        assert!(CipherKey::new(&[0; 32], &[0; 16]).is_ok());
        assert_eq!(format!("{:?}", key()), "CipherKey(***)");
    }

    #[test]
    fn wrong_key_or_iv_fails_cleanly() {
        let b64 = encrypt(KEY, IV, "suiteuser^5001234501^0000012345^extra fields");
        let other = CipherKey::from_reply("ZYXWVUTSRQPONMLKJIHGFEDCBA543210", IV).expect("key");
        assert!(matches!(
            other.decrypt(&b64),
            Err(FrameErrorKind::Padding | FrameErrorKind::Utf8)
        ));
        // a wrong iv only garbles the first block: still never a panic, and not the plaintext
        let other_iv = CipherKey::from_reply(KEY, "fedcba9876543210").expect("key");
        assert_ne!(
            other_iv.decrypt(&b64).ok().as_deref(),
            Some("suiteuser^5001234501^0000012345^extra fields")
        );
    }

    /// One block encrypted as it is, without padding: lets a test pick the final pad byte.
    fn encrypt_unpadded(mut block: [u8; 16]) -> String {
        let enc = Aes256CbcEnc::new_from_slices(KEY.as_bytes(), IV.as_bytes()).expect("key");
        let ct = enc
            .encrypt_padded::<aes::cipher::block_padding::NoPadding>(&mut block, 16)
            .expect("one block");
        base64::engine::general_purpose::STANDARD.encode(ct)
    }

    #[test]
    fn bad_padding_is_reported() {
        // a last byte that is not a valid PKCS#7 pad
        let b64 = encrypt_unpadded(*b"0123456789abcde\x07");
        assert_eq!(key().decrypt(&b64), Err(FrameErrorKind::Padding));
        // a zero pad byte is invalid too
        let b64 = encrypt_unpadded([0u8; 16]);
        assert_eq!(key().decrypt(&b64), Err(FrameErrorKind::Padding));
    }

    #[test]
    fn truncated_and_garbage_base64() {
        let b64 = encrypt(KEY, IV, "suiteuser^5001234501^0000012345");
        // cut inside the base64 text: either not base64 or not whole blocks (cutting only the
        // `=` padding loses nothing)
        for cut in 1..b64.len() {
            let r = key().decrypt(&b64[..cut]);
            if b64[..cut].trim_end_matches('=') == b64.trim_end_matches('=') {
                assert_eq!(r.as_deref(), Ok("suiteuser^5001234501^0000012345"));
            } else {
                assert!(r.is_err(), "cut at {cut} decrypted to {r:?}");
            }
        }
        assert_eq!(
            key().decrypt("!!!notbase64!!!"),
            Err(FrameErrorKind::Base64)
        );
        assert_eq!(key().decrypt(""), Err(FrameErrorKind::CipherLength));
        // valid base64, 5 bytes: not a whole block
        assert_eq!(key().decrypt("aGVsbG8="), Err(FrameErrorKind::CipherLength));
    }

    #[test]
    fn non_utf8_plaintext_is_reported() {
        let enc = Aes256CbcEnc::new_from_slices(KEY.as_bytes(), IV.as_bytes()).expect("key");
        let ct = enc.encrypt_padded_vec::<Pkcs7>(&[0xff, 0xfe, b'a']);
        let b64 = base64::engine::general_purpose::STANDARD.encode(ct);
        assert_eq!(key().decrypt(&b64), Err(FrameErrorKind::Utf8));
    }

    #[test]
    fn appends_after_a_prefix_and_restores_it_on_error() {
        let mut out = b"1|H0STCNI0|001|".to_vec();
        key()
            .decrypt_append(&encrypt(KEY, IV, "a^b"), &mut out)
            .expect("decrypts");
        assert_eq!(out, b"1|H0STCNI0|001|a^b");
        let mut out = b"prefix".to_vec();
        assert!(key().decrypt_append("!!!", &mut out).is_err());
        assert_eq!(out, b"prefix");
    }
}
