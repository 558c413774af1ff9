//! Arbitrary bytes as the body of an operation whose body is its whole input (the first byte
//! picks the operation): the check that lets such a body go straight into the input type
//! (`ivs_local::api::validate::is_valid_body`) must never accept what the checks that word
//! the errors (`ivs_local::api::validated_input`) refuse. An accepted body that is not a JSON
//! object, or that validation refuses, is a crash.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ivs_local_fuzz::body_check(data);
});
