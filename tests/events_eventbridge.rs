//! `--eventbridge-endpoint URL`: events go to a real EventBridge implementation (moto's server,
//! from PyPI) with PutEvents, and an EventBridge rule there routes them to an SQS queue, as an
//! application's rule would route AWS's IVS events.
//!
//! Needs `moto_server` and boto3 (`pip install "moto[server]" boto3`; `.ci/run` installs them).
//! Without them the test says why and passes, unless `CI` is set.

mod common;

use ivs_local::server::Config;
use serde_json::{Value, json};
use std::process::Stdio;
use std::time::Duration;

/// boto3 against moto: the rule and its queue, or the messages that reached the queue.
const SETUP: &str = r#"
import boto3, json, sys
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-west-2", aws_access_key_id="123456789012", aws_secret_access_key="x")
sqs, events = boto3.client("sqs", **kw), boto3.client("events", **kw)
queue = sqs.create_queue(QueueName="ivs-events")["QueueUrl"]
arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
events.put_rule(Name="ivs", EventPattern=json.dumps({"source": ["aws.ivs"], "detail-type": ["IVS Stream State Change"]}))
events.put_targets(Rule="ivs", Targets=[{"Id": "queue", "Arn": arn}])
print(queue)
"#;

const RECEIVE: &str = r#"
import boto3, json, sys
url, queue = sys.argv[1], sys.argv[2]
kw = dict(endpoint_url=url, region_name="us-west-2", aws_access_key_id="123456789012", aws_secret_access_key="x")
sqs = boto3.client("sqs", **kw)
out = []
for _ in range(5):
    for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        out.append(json.loads(m["Body"]))
print(json.dumps(out))
"#;

async fn python(args: &[&str]) -> Result<String, String> {
    let out = tokio::process::Command::new("python3")
        .args(args)
        .env_remove("AWS_PROFILE")
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn moto_available() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import moto.server, boto3, flask"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(std::env::var_os("CI").is_none(), "moto's server is missing, and CI must have it");
        eprintln!("skipping the EventBridge test: no moto server (pip install \"moto[server]\")");
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reach_an_eventbridge_rule_and_its_queue() {
    if !moto_available() {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let moto_url = format!("http://127.0.0.1:{port}");
    let mut moto = tokio::process::Command::new("python3")
        .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("moto's server starts");
    let ready = async {
        loop {
            if reqwest::get(format!("{moto_url}/moto-api/")).await.is_ok() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), ready).await.expect("moto answers");
    let queue = python(&["-c", SETUP, &moto_url]).await.expect("the rule and queue are made");

    let config = Config { eventbridge_endpoint: Some(moto_url.clone()), ..Config::default() };
    let server = common::start_with(config).await;
    let made = server.ivs().create_channel().name("bridged").send().await.unwrap();
    let channel = made.channel().unwrap().arn().unwrap().to_string();
    let key = made.stream_key().unwrap().value().unwrap().to_string();
    let start = reqwest::Client::new()
        .post(format!("{}/_ivs-local/broadcasts/start", server.url))
        .json(&json!({"streamKey": key}));
    assert_eq!(server.send(start).await.status, 200);

    let mut received: Vec<Value> = Vec::new();
    for _ in 0..10 {
        let out = python(&["-c", RECEIVE, &moto_url, &queue]).await.expect("the queue is read");
        received.extend(serde_json::from_str::<Vec<Value>>(&out).unwrap());
        if received.len() >= 2 {
            break;
        }
    }
    let _ = moto.kill().await;
    let names: Vec<&str> =
        received.iter().filter_map(|e| e["detail"]["event_name"].as_str()).collect();
    assert!(names.contains(&"Session Created") && names.contains(&"Stream Start"), "{received:?}");
    for event in &received {
        assert_eq!(event["source"], "aws.ivs");
        assert_eq!(event["detail-type"], "IVS Stream State Change");
        assert_eq!(event["resources"], json!([channel]));
        assert_eq!(event["detail"]["channel_name"], "bridged");
    }
}
