//! Keys and tokens: the ECDSA P-384 pieces of IVS, in one place.
//!
//! - [`parse_public_key`]: a PEM that ImportPlaybackKeyPair or ImportPublicKey accepts (an
//!   ECDSA P-384 public key), with the reason when it is not one, and AWS's fingerprint.
//! - [`Jwt`]: a compact JWS split into its parts, verified either as ES384 (the raw `r || s`
//!   signature of RFC 7518, which viewers' playback tokens and self-signed participant tokens
//!   use) or as AWS's participant tokens are signed (`"alg": "KMS"`, a DER-encoded ECDSA
//!   signature; reference 6.1).
//! - [`TokenKey`]: the server's own signing key, generated at start (from `--seed` when one is
//!   given) and published at `GET /_ivs-local/keys`.
//!
//! Nothing here knows about channels or stages; the handlers and `sim/` decide what a token's
//! claims must say.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use md5::{Digest, Md5};
use p384::ecdsa::signature::{Signer, Verifier};
use p384::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p384::pkcs8::der::pem::LineEnding;
use p384::pkcs8::{DecodePublicKey, EncodePublicKey};
use rand::rngs::StdRng;
use rand::{RngCore, SeedableRng};
use serde::Serialize;
use serde_json::{Map, Value};

/// An imported ECDSA P-384 public key.
#[derive(Debug, Clone)]
pub struct ParsedKey {
    pub verifying_key: VerifyingKey,
    /// The uncompressed SEC1 point: the key's identity, whatever the PEM's formatting.
    pub sec1: Vec<u8>,
    /// AWS's fingerprint (reference 6.4).
    pub fingerprint: String,
}

/// Object identifiers of the key algorithms and curves a PEM may carry.
const OID_EC_PUBLIC_KEY: &str = "1.2.840.10045.2.1";
const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_P384: &str = "1.3.132.0.34";
const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P521: &str = "1.3.132.0.35";

/// Parses a PEM public key as IVS requires it: ECDSA on P-384. The error says what is wrong,
/// for the ValidationException.
pub fn parse_public_key(pem: &str) -> Result<ParsedKey, String> {
    let pem = pem.trim();
    if pem.is_empty() {
        return Err("the public key material is empty".into());
    }
    let (label, der) = p384::pkcs8::der::pem::decode_vec(pem.as_bytes())
        .map_err(|_| "the public key material is not a PEM-encoded key".to_string())?;
    match label {
        "PUBLIC KEY" => {}
        l if l.contains("PRIVATE KEY") => {
            return Err("the material is a private key; import only the public key".into());
        }
        "RSA PUBLIC KEY" => return Err("RSA keys are not supported; use ECDSA P-384".into()),
        other => return Err(format!("a PEM block of type '{other}' is not a public key")),
    }
    let spki = p384::pkcs8::spki::SubjectPublicKeyInfoRef::try_from(der.as_slice())
        .map_err(|_| "the public key is not a valid X.509 SubjectPublicKeyInfo".to_string())?;
    let algorithm = spki.algorithm.oid.to_string();
    let curve = spki.algorithm.parameters_oid().ok().map(|o| o.to_string());
    match (algorithm.as_str(), curve.as_deref()) {
        (OID_EC_PUBLIC_KEY, Some(OID_P384)) => {}
        (OID_EC_PUBLIC_KEY, Some(OID_P256)) => {
            return Err("the key is on curve P-256; IVS needs ECDSA P-384 (secp384r1)".into());
        }
        (OID_EC_PUBLIC_KEY, Some(OID_P521)) => {
            return Err("the key is on curve P-521; IVS needs ECDSA P-384 (secp384r1)".into());
        }
        (OID_EC_PUBLIC_KEY, _) => {
            return Err("the key is on an unsupported curve; IVS needs ECDSA P-384".into());
        }
        (OID_RSA, _) => return Err("RSA keys are not supported; use ECDSA P-384".into()),
        _ => return Err("the key is not an ECDSA key; IVS needs ECDSA P-384".into()),
    }
    let key = p384::PublicKey::from_public_key_der(&der)
        .map_err(|_| "the key is not a valid point on P-384".to_string())?;
    Ok(parsed(key))
}

fn parsed(key: p384::PublicKey) -> ParsedKey {
    let canonical = key.to_public_key_der().expect("a valid key encodes");
    ParsedKey {
        verifying_key: VerifyingKey::from(key),
        sec1: key.to_sec1_bytes().to_vec(),
        fingerprint: fingerprint(canonical.as_bytes()),
    }
}

/// MD5 of the DER SubjectPublicKeyInfo, as 16 lowercase hex pairs joined by `:` (what
/// Terraform's acceptance tests check against AWS, reference 6.4).
pub fn fingerprint(spki_der: &[u8]) -> String {
    let digest = Md5::digest(spki_der);
    digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// A compact JWS (`header.payload.signature`), decoded but not yet trusted.
#[derive(Debug, Clone)]
pub struct Jwt {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    /// `header.payload` as sent: what the signature covers.
    signing_input: String,
    signature: Vec<u8>,
}

impl Jwt {
    /// Splits and decodes a token. The error says why it is not a JWT.
    pub fn parse(token: &str) -> Result<Jwt, &'static str> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err("the token is not a JWT (three base64url parts separated by dots)");
        };
        let object = |part: &str| -> Option<Map<String, Value>> {
            let bytes = URL_SAFE_NO_PAD.decode(part.trim_end_matches('=')).ok()?;
            match serde_json::from_slice(&bytes).ok()? {
                Value::Object(map) => Some(map),
                _ => None,
            }
        };
        let header_map = object(header).ok_or("the token's header is not base64url JSON")?;
        let claims = object(payload).ok_or("the token's payload is not base64url JSON")?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature.trim_end_matches('='))
            .map_err(|_| "the token's signature is not base64url")?;
        Ok(Jwt {
            header: header_map,
            claims,
            signing_input: format!("{header}.{payload}"),
            signature,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or_default()
    }

    /// The header's `kid`, if any.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// A claim, if present.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// Whether an ES384 signature (96 bytes, `r || s`) verifies with `key`.
    pub fn verify_es384(&self, key: &VerifyingKey) -> bool {
        Signature::from_slice(&self.signature)
            .is_ok_and(|sig| key.verify(self.signing_input.as_bytes(), &sig).is_ok())
    }

    /// Whether a DER-encoded ECDSA P-384 signature (AWS's `KMS` tokens) verifies with `key`.
    pub fn verify_der(&self, key: &VerifyingKey) -> bool {
        DerSignature::from_bytes(&self.signature)
            .is_ok_and(|sig| key.verify(self.signing_input.as_bytes(), &sig).is_ok())
    }
}

/// The key this server signs participant tokens with.
pub struct TokenKey {
    signing: SigningKey,
    /// A short stable id of the key, for the JWK set.
    pub kid: String,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// The header of every token AWS's CreateParticipantToken issues (reference 6.1).
const KMS_HEADER: &str = r#"{"alg":"KMS","typ":"JWT"}"#;

impl TokenKey {
    /// A fresh key: random, or derived from `seed` so a seeded server signs with the same key
    /// every run.
    pub fn generate(seed: Option<u64>) -> TokenKey {
        let mut rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed ^ 0x1f5_70ce_4e11),
            None => StdRng::from_os_rng(),
        };
        let signing = loop {
            let mut bytes = [0u8; 48];
            rng.fill_bytes(&mut bytes);
            // Almost every 48-byte string is a valid scalar; retry the rare one that is not.
            if let Ok(key) = SigningKey::from_slice(&bytes) {
                break key;
            }
        };
        Self::from_signing_key(signing)
    }

    /// Wraps an existing key (e.g. one restored from disk).
    pub fn from_signing_key(signing: SigningKey) -> TokenKey {
        let public = p384::PublicKey::from(signing.verifying_key());
        let der = public.to_public_key_der().expect("a valid key encodes");
        let kid = fingerprint(der.as_bytes()).replace(':', "")[..16].to_string();
        TokenKey { signing, kid }
    }

    pub fn verifying_key(&self) -> &VerifyingKey {
        self.signing.verifying_key()
    }

    /// The private scalar, for persistence.
    pub fn secret_bytes(&self) -> Vec<u8> {
        self.signing.to_bytes().to_vec()
    }

    /// Signs `claims` (serialized in field order, which is AWS's claim order when the caller's
    /// struct declares them so) as AWS signs participant tokens.
    pub fn sign_kms(&self, claims: &impl Serialize) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let signing_input =
            format!("{}.{}", URL_SAFE_NO_PAD.encode(KMS_HEADER), URL_SAFE_NO_PAD.encode(payload));
        let signature: DerSignature = self.signing.sign(signing_input.as_bytes());
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.as_bytes()))
    }

    /// The public half as PEM (SubjectPublicKeyInfo).
    pub fn public_key_pem(&self) -> String {
        p384::PublicKey::from(self.verifying_key())
            .to_public_key_pem(LineEnding::LF)
            .expect("a valid key encodes")
    }

    /// The public half as a JWK (RFC 7517).
    pub fn public_jwk(&self) -> Value {
        let point = self.verifying_key().to_encoded_point(false);
        serde_json::json!({
            "kty": "EC",
            "crv": "P-384",
            "x": URL_SAFE_NO_PAD.encode(point.x().expect("uncompressed point")),
            "y": URL_SAFE_NO_PAD.encode(point.y().expect("uncompressed point")),
            "kid": self.kid,
            "alg": "ES384",
            "use": "sig",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of reference 6.4: a P-384 key and the fingerprint AWS gives it.
    const EXAMPLE_PEM: &str = "-----BEGIN PUBLIC KEY-----
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEkoK3G135hg7KULqTzD2uxb6OcNXFeB0M
2ZzXPn/8BqQe1tDCZZKAx4EwZ2KJbCWw+5zCSMRcaW5kyD5UsV0iPnKlAlKXa4ii
sV7y3DVuXN+VYtdNj2L964jjfC/tUlBt
-----END PUBLIC KEY-----
";

    #[test]
    fn fingerprint_matches_the_reference_example() {
        let key = parse_public_key(EXAMPLE_PEM).unwrap();
        assert_eq!(key.fingerprint, "de:e4:29:d1:bf:5a:9e:5c:34:06:d6:4f:56:8e:b7:39");
        assert_eq!(key.sec1.len(), 97);
    }

    #[test]
    fn refuses_what_is_not_a_p384_public_key() {
        assert!(parse_public_key("").unwrap_err().contains("empty"));
        assert!(parse_public_key("garbage").unwrap_err().contains("PEM"));
        let p256 = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEVs/o5+uQbTjL3chynL4wXgUg2R9
q9UU8I5mEovUf86QZ7kOBIjJwqnzD1omageEHWwHdBO6B+dFabmdT9POxg==
-----END PUBLIC KEY-----";
        assert!(parse_public_key(p256).unwrap_err().contains("P-256"));
        let private = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----";
        assert!(parse_public_key(private).unwrap_err().contains("private"));
    }

    #[test]
    fn issued_tokens_verify_and_tampered_ones_do_not() {
        let key = TokenKey::generate(Some(1));
        let token = key.sign_kms(&serde_json::json!({"jti": "abc", "exp": 1}));
        assert!(token.starts_with("eyJhbGciOiJLTVMiLCJ0eXAiOiJKV1QifQ."));
        let jwt = Jwt::parse(&token).unwrap();
        assert!(jwt.verify_der(key.verifying_key()));
        assert_eq!(jwt.alg(), "KMS");
        let parts: Vec<&str> = token.split('.').collect();
        let forged_payload = URL_SAFE_NO_PAD.encode(br#"{"jti":"abd","exp":1}"#);
        let forged = format!("{}.{forged_payload}.{}", parts[0], parts[2]);
        assert!(!Jwt::parse(&forged).unwrap().verify_der(key.verifying_key()));
        // Seeded keys repeat; the public half round-trips through PEM.
        assert_eq!(TokenKey::generate(Some(1)).kid, key.kid);
        let again = parse_public_key(&key.public_key_pem()).unwrap();
        assert_eq!(&again.verifying_key, key.verifying_key());
    }
}
