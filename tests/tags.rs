//! TagResource, UntagResource and ListTagsForResource on channels and stream keys, through
//! both SDKs (the operations exist in both services and share `/tags/{resourceArn}`).

mod common;

use aws_sdk_ivs::operation::list_tags_for_resource::ListTagsForResourceError;
use aws_sdk_ivs::operation::tag_resource::TagResourceError;
use std::collections::HashMap;

fn tags(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

#[tokio::test]
async fn tags_are_added_overwritten_and_removed() {
    let server = common::start().await;
    let ivs = server.ivs();
    let arn = ivs
        .create_channel()
        .tags("key1", "value1")
        .send()
        .await
        .unwrap()
        .channel
        .unwrap()
        .arn
        .unwrap();

    ivs.tag_resource()
        .resource_arn(&arn)
        .set_tags(Some(tags(&[
            ("key1", "value1updated"),
            ("key2", "value2"),
            ("with space/and:colon", "v"),
        ])))
        .send()
        .await
        .unwrap();
    let listed = ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(
        listed.tags(),
        &tags(&[("key1", "value1updated"), ("key2", "value2"), ("with space/and:colon", "v")])
    );

    ivs.untag_resource()
        .resource_arn(&arn)
        .tag_keys("key1")
        .tag_keys("with space/and:colon")
        .tag_keys("never-there")
        .send()
        .await
        .unwrap();
    let listed = ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
    assert_eq!(listed.tags(), &tags(&[("key2", "value2")]));
    let channel = ivs.get_channel().arn(&arn).send().await.unwrap().channel.unwrap();
    assert_eq!(channel.tags(), Some(&tags(&[("key2", "value2")])));
}

#[tokio::test]
async fn stream_keys_are_taggable() {
    let server = common::start().await;
    let ivs = server.ivs();
    let key = ivs.create_channel().send().await.unwrap().stream_key.unwrap().arn.unwrap();
    ivs.tag_resource().resource_arn(&key).tags("env", "test").send().await.unwrap();
    let listed = ivs.list_tags_for_resource().resource_arn(&key).send().await.unwrap();
    assert_eq!(listed.tags(), &tags(&[("env", "test")]));
    let got = ivs.get_stream_key().arn(&key).send().await.unwrap().stream_key.unwrap();
    assert_eq!(got.tags(), Some(&tags(&[("env", "test")])));
}

#[tokio::test]
async fn tagging_an_unknown_resource_is_404() {
    let server = common::start().await;
    let ivs = server.ivs();
    let missing = common::missing_arn("channel");
    let err = ivs.tag_resource().resource_arn(&missing).tags("a", "b").send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), TagResourceError::ResourceNotFoundException(_)));
    let err = ivs.list_tags_for_resource().resource_arn(&missing).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        ListTagsForResourceError::ResourceNotFoundException(_)
    ));
}

#[tokio::test]
async fn more_than_fifty_tags_are_refused_and_nothing_changes() {
    let server = common::start().await;
    let ivs = server.ivs();
    let initial: HashMap<String, String> =
        (0..40).map(|i| (format!("k{i}"), "v".to_string())).collect();
    let arn = ivs
        .create_channel()
        .set_tags(Some(initial.clone()))
        .send()
        .await
        .unwrap()
        .channel
        .unwrap()
        .arn
        .unwrap();
    let extra: HashMap<String, String> =
        (40..51).map(|i| (format!("k{i}"), "v".to_string())).collect();
    let err = ivs.tag_resource().resource_arn(&arn).set_tags(Some(extra)).send().await.unwrap_err();
    assert!(matches!(err.into_service_error(), TagResourceError::ValidationException(_)));
    assert_eq!(
        ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags(),
        &initial
    );

    // Overwriting existing keys does not count against the limit.
    let overwrite: HashMap<String, String> =
        (0..40).map(|i| (format!("k{i}"), "new".to_string())).collect();
    ivs.tag_resource().resource_arn(&arn).set_tags(Some(overwrite.clone())).send().await.unwrap();
    assert_eq!(
        ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags(),
        &overwrite
    );
}

#[tokio::test]
async fn the_realtime_sdk_reaches_the_realtime_tag_operations() {
    let server = common::start().await;
    let rt = server.realtime();
    let stage = common::missing_arn("stage");
    let err = rt.list_tags_for_resource().resource_arn(&stage).send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        aws_sdk_ivsrealtime::operation::list_tags_for_resource::ListTagsForResourceError::ResourceNotFoundException(_)
    ));
}

/// AWS keeps tag keys beginning with `aws:` (in any case) for itself: every request that sets
/// tags refuses them, and nothing is created or changed.
#[tokio::test]
async fn reserved_aws_prefix_is_refused_wherever_tags_are_set() {
    let server = common::start().await;
    let ivs = server.ivs();
    let err = ivs.create_channel().tags("aws:team", "x").send().await.unwrap_err();
    assert!(matches!(
        err.into_service_error(),
        aws_sdk_ivs::operation::create_channel::CreateChannelError::ValidationException(_)
    ));
    let listed = ivs.list_channels().send().await.unwrap();
    assert!(listed.channels().is_empty(), "a refused create makes nothing");

    let arn = ivs.create_channel().tags("team", "x").send().await.unwrap().channel.unwrap().arn;
    let arn = arn.unwrap();
    for key in ["aws:cost", "AWS:cost", "Aws:x"] {
        let err = ivs.tag_resource().resource_arn(&arn).tags(key, "v").tags("ok", "v").send().await;
        let err = err.unwrap_err();
        let message = err.as_service_error().and_then(|e| e.meta().message()).unwrap_or_default();
        assert!(message.contains(key) && message.contains("aws:"), "{message}");
        assert!(matches!(err.into_service_error(), TagResourceError::ValidationException(_)));
    }
    assert_eq!(
        ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap().tags(),
        &tags(&[("team", "x")])
    );
    // A key that merely contains the prefix later on is an ordinary key.
    ivs.tag_resource().resource_arn(&arn).tags("my-aws:key", "v").send().await.unwrap();

    // The same rule guards the real-time service's tags.
    let r = server.post("CreateStage", r#"{"name": "s", "tags": {"aws:x": "y"}}"#).await;
    assert_eq!((r.status, r.error_type.as_deref()), (400, Some("ValidationException")), "{r:?}");
}
