//! Accounts and regions: resources of one (account, region) are invisible from every other,
//! and their ARNs and endpoints carry the scope they live in.

mod common;

use aws_sdk_ivs::operation::get_channel::GetChannelError;

#[tokio::test]
async fn accounts_and_regions_do_not_see_each_other() {
    let server = common::start().await;
    let home = server.ivs_as("111111111111", "us-west-2");
    let other_account = server.ivs_as("222222222222", "us-west-2");
    let other_region = server.ivs_as("111111111111", "eu-west-1");

    let channel = home.create_channel().name("mine").send().await.unwrap().channel.unwrap();
    let arn = channel.arn().unwrap();
    assert!(arn.starts_with("arn:aws:ivs:us-west-2:111111111111:channel/"), "{arn}");
    assert!(channel.playback_url().unwrap().contains("/us-west-2.111111111111.channel."));

    for client in [&other_account, &other_region] {
        assert!(client.list_channels().send().await.unwrap().channels().is_empty());
        let err = client.get_channel().arn(arn).send().await.unwrap_err();
        assert!(matches!(err.into_service_error(), GetChannelError::ResourceNotFoundException(_)));
        assert!(client.delete_channel().arn(arn).send().await.is_err());
        assert!(client.tag_resource().resource_arn(arn).tags("a", "b").send().await.is_err());
    }
    assert_eq!(home.get_channel().arn(arn).send().await.unwrap().channel.unwrap(), channel);

    let elsewhere = other_region.create_channel().send().await.unwrap().channel.unwrap();
    assert!(elsewhere.arn().unwrap().starts_with("arn:aws:ivs:eu-west-1:111111111111:channel/"));
    assert_eq!(home.list_channels().send().await.unwrap().channels().len(), 1);
}

#[tokio::test]
async fn a_key_id_that_is_not_an_account_uses_the_default_account() {
    let server = common::start().await;
    let client = server.ivs_as("AKIAIOSFODNN7EXAMPLE", "ap-south-1");
    let arn = client.create_channel().send().await.unwrap().channel.unwrap().arn.unwrap();
    assert!(arn.starts_with("arn:aws:ivs:ap-south-1:000000000000:channel/"), "{arn}");
}

#[tokio::test]
async fn reset_forgets_every_scope() {
    let server = common::start().await;
    let a = server.ivs_as("111111111111", "us-west-2");
    let b = server.ivs_as("222222222222", "eu-west-1");
    a.create_channel().send().await.unwrap();
    b.create_channel().send().await.unwrap();
    let reset = reqwest::Client::new()
        .post(format!("{}/_ivs-local/reset", server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(reset.status(), 200);
    assert!(a.list_channels().send().await.unwrap().channels().is_empty());
    assert!(b.list_channels().send().await.unwrap().channels().is_empty());
}
