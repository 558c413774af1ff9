//! Arbitrary bytes, read as an HTTP request (method, path, query, headers, body), through the
//! whole router: routing, input assembly, validation, both JSON protocols, STS and the control
//! API. A panic, a 5xx other than STS's 501, or an error without `x-amzn-ErrorType` and a
//! JSON body is a crash. See `src/lib.rs` for the input format.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivs_local_fuzz::run(data);
});
