//! Channels through the AWS SDK for Rust.

mod common;

#[tokio::test]
async fn create_channel_returns_channel_and_stream_key_in_aws_formats() {
    let server = common::start().await;
    let ivs = server.ivs();
    let out = ivs.create_channel().name("demo").send().await.unwrap();
    let channel = out.channel().unwrap();
    let arn = channel.arn().unwrap();
    assert!(
        arn.starts_with("arn:aws:ivs:us-west-2:123456789012:channel/"),
        "{arn}"
    );
    let key = out.stream_key().unwrap();
    assert_eq!(key.channel_arn(), Some(arn));
    assert!(key.value().unwrap().starts_with("sk_us-west-2_"));
}
