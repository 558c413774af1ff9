//! The hashicorp/aws Terraform provider against a real ivs-local server: the `aws_ivs_channel`
//! resource (create, in-place update, tag changes, import, destroy), the `aws_ivs_stream_key`
//! data source, `aws_ivs_recording_configuration` and `aws_ivs_playback_key_pair` (alone and
//! in a module), each change followed by a plan that must find nothing to do. This is what Terraform users depend on: the provider reads back exactly what it wrote.
//!
//! Terraform runs as a subprocess, offline: `terraform` comes from `PATH`, and the provider from
//! a local filesystem mirror, taken from `IVS_LOCAL_TF_PLUGIN_MIRROR` or found in a few
//! well-known places (any directory holding `registry.terraform.io/hashicorp/aws`). Written
//! against Terraform 1.11 and hashicorp/aws 5.100.0. Without either the test says why on stderr
//! and passes, unless `CI` is set (and `IVS_LOCAL_REQUIRE_TERRAFORM` is not `0`): CI machines
//! have both, so there a missing tool is a failure.

mod common;

use common::{ACCOUNT, REGION};
use serde_json::Value;
use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// Far above a healthy run (seconds per command), far below the provider's 5-minute waiter
/// timeouts, so a server bug that makes a waiter spin fails the test instead of hanging it.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashicorp_aws_provider_manages_channels_and_reads_stream_keys() {
    let Some(tools) = find_tools() else { return };
    // The server's access log, which shows the calls the provider made.
    let _ = tracing_subscriber::fmt().with_test_writer().with_ansi(false).try_init();
    let server = common::start().await;
    let ivs = server.ivs();
    let tf = Terraform::new(tools, &server.url);
    tf.run_ok(&["init"]).await;

    // 1. Create with little more than a tag. Configuring the provider asks STS
    // GetCallerIdentity for its account (and fails without an answer); the channel ARN must
    // carry that account, as the provider's own acceptance tests check.
    tf.write_main(&channel("test", r#"tags = { key1 = "value1" }"#));
    tf.apply().await;
    assert_eq!(tf.output("account_id").await, ACCOUNT);
    let created = tf.output("test").await;
    let arn = text(&created, "arn").to_string();
    assert_channel_arn(&arn);
    assert!(!text(&created, "ingest_endpoint").is_empty(), "{created}");
    assert!(!text(&created, "playback_url").is_empty(), "{created}");

    // 2. Reading back what was just written changes nothing.
    tf.assert_plan_is_clean().await;

    // 3. Every updatable attribute at once, in place.
    tf.write_main(&updated_channel(&[("key1", "value1")]));
    tf.apply().await;
    assert_eq!(tf.output("test").await["arn"], arn.as_str(), "updated in place");
    let got = ivs.get_channel().arn(&arn).send().await.unwrap();
    let got = got.channel().unwrap();
    assert_eq!(got.name(), Some("updated"));
    assert_eq!(got.latency_mode().map(|m| m.as_str()), Some("NORMAL"));
    assert_eq!(got.r#type().map(|t| t.as_str()), Some("BASIC"));
    assert!(got.authorized());
    tf.assert_plan_is_clean().await;

    // 4. Tags: overwrite one and add one (TagResource), then drop one (UntagResource).
    let tag_steps: [&[(&str, &str)]; 2] =
        [&[("key1", "value1updated"), ("key2", "value2")], &[("key2", "value2")]];
    for tags in tag_steps {
        tf.write_main(&updated_channel(tags));
        tf.apply().await;
        let listed = ivs.list_tags_for_resource().resource_arn(&arn).send().await.unwrap();
        assert_eq!(listed.tags(), &owned(tags));
        tf.assert_plan_is_clean().await;
    }
    let channel_config = updated_channel(tag_steps[1]);

    // 5. The stream key CreateChannel made, through the data source.
    let stream_key = r#"
        data "aws_ivs_stream_key" "test" {
          channel_arn = aws_ivs_channel.test.arn
        }
        output "stream_key" {
          value     = data.aws_ivs_stream_key.test
          sensitive = true
        }
    "#;
    tf.write_main(&format!("{channel_config}{stream_key}"));
    tf.apply().await;
    let key = tf.output("stream_key").await;
    assert!(text(&key, "value").starts_with("sk_"), "{key}");
    assert!(text(&key, "arn").contains(":stream-key/"), "{key}");
    assert_eq!(key["channel_arn"], arn.as_str());

    // 6. Import a channel made outside Terraform; a config matching it plans nothing (and
    // neither does the rest, data source included).
    let made = ivs
        .create_channel()
        .name("imported")
        .latency_mode("NORMAL".into())
        .r#type("BASIC".into())
        .send()
        .await
        .unwrap();
    let imported_arn = made.channel().unwrap().arn().unwrap().to_string();
    let imported = channel(
        "imported",
        r#"
        name         = "imported"
        latency_mode = "NORMAL"
        type         = "BASIC"
        "#,
    );
    tf.write_main(&format!("{channel_config}{stream_key}{imported}"));
    tf.run_ok(&["import", "aws_ivs_channel.imported", &imported_arn]).await;
    tf.assert_plan_is_clean().await;
    assert_eq!(tf.output("imported").await["arn"], imported_arn.as_str());

    // 7. Destroy leaves nothing behind.
    tf.run_ok(&["destroy", "-auto-approve"]).await;
    let left = ivs.list_channels().send().await.unwrap();
    assert!(left.channels().is_empty(), "{:?}", left.channels());
}

/// Recording configurations and playback key pairs, alone and in a module like the seed's
/// `terraform-module-aws-ivs` (a channel recording to a configuration, a playback key pair,
/// tags merged from the caller's and the module's own, outputs of the endpoints and the
/// fingerprint): create, a clean plan, replacement on change, import, destroy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashicorp_aws_provider_manages_recordings_key_pairs_and_a_module_of_them() {
    let Some(tools) = find_tools() else { return };
    let server = common::start().await;
    let ivs = server.ivs();
    let tf = Terraform::new(tools, &server.url);
    let (pem, fingerprint) = p384_public_key(7);
    let (other_pem, other_fingerprint) = p384_public_key(8);
    tf.write_file("modules/ivs/main.tf", IVS_MODULE);

    // 1. The module: the create waits for the recording configuration to be ACTIVE.
    tf.write_file("first.pem", &pem);
    tf.write_file("second.pem", &other_pem);
    let root = |name: &str, key_file: &str| {
        format!(
            r#"
            module "ivs" {{
              source      = "./modules/ivs"
              name        = "{name}"
              bucket_name = "my-recordings-bucket"
              public_key  = file("${{path.root}}/{key_file}")
              tags        = {{ team = "video" }}
            }}
            output "module" {{
              value = module.ivs
            }}
            "#
        )
    };
    tf.write_main(&root("show", "first.pem"));
    tf.run_ok(&["init"]).await; // after the module block exists, so it is installed
    tf.apply().await;
    let out = tf.output("module").await;
    assert_eq!(text(&out, "fingerprint"), fingerprint, "the provider's own computation");
    let channel_arn = text(&out, "channel_arn").to_string();
    let recording_arn = text(&out, "recording_configuration_arn").to_string();
    let key_arn = text(&out, "playback_key_pair_arn").to_string();
    assert!(text(&out, "ingest_endpoint").ends_with(".global-contribute.live-video.net"));
    assert!(text(&out, "playback_url").contains(".playback.live-video.net/"), "{out}");
    assert!(recording_arn.contains(":recording-configuration/"), "{recording_arn}");
    assert!(key_arn.contains(":playback-key/"), "{key_arn}");

    let got = ivs.get_channel().arn(&channel_arn).send().await.unwrap();
    assert_eq!(got.channel().unwrap().recording_configuration_arn(), Some(recording_arn.as_str()));
    let merged = owned(&[("team", "video"), ("module", "ivs")]);
    assert_eq!(got.channel().unwrap().tags(), Some(&merged), "tags merged in the module");
    let recording = ivs.get_recording_configuration().arn(&recording_arn).send().await.unwrap();
    let recording = recording.recording_configuration().unwrap();
    assert_eq!(recording.state().as_str(), "ACTIVE");
    assert_eq!(recording.tags(), Some(&merged));
    tf.assert_plan_is_clean().await;

    // 2. Any change to a recording configuration or key pair replaces it (new ARNs), and the
    // channel follows its recording configuration in place.
    tf.write_main(&root("renamed", "second.pem"));
    tf.apply().await;
    let out = tf.output("module").await;
    assert_ne!(text(&out, "recording_configuration_arn"), recording_arn, "replaced");
    assert_ne!(text(&out, "playback_key_pair_arn"), key_arn, "replaced");
    assert_eq!(text(&out, "channel_arn"), channel_arn, "updated in place");
    assert_eq!(text(&out, "fingerprint"), other_fingerprint);
    let old = ivs.get_recording_configuration().arn(&recording_arn).send().await;
    assert!(old.is_err(), "the replaced recording configuration is gone");
    tf.assert_plan_is_clean().await;

    // 3. Import a recording configuration and a key pair made outside Terraform.
    let made = ivs
        .create_recording_configuration()
        .name("imported")
        .destination_configuration(
            aws_sdk_ivs::types::DestinationConfiguration::builder()
                .s3(aws_sdk_ivs::types::S3DestinationConfiguration::builder()
                    .bucket_name("imported-bucket")
                    .build()
                    .unwrap())
                .build(),
        )
        .send()
        .await
        .unwrap();
    let imported_recording = made.recording_configuration().unwrap().arn().to_string();
    let (third_pem, third_fingerprint) = p384_public_key(9);
    let imported_key = ivs
        .import_playback_key_pair()
        .name("imported")
        .public_key_material(&third_pem)
        .send()
        .await
        .unwrap()
        .key_pair()
        .unwrap()
        .arn()
        .unwrap()
        .to_string();
    let recording_config = r#"
        resource "aws_ivs_recording_configuration" "imported" {
          name = "imported"
          destination_configuration {
            s3 {
              bucket_name = "imported-bucket"
            }
          }
        }
    "#;
    let base = root("renamed", "second.pem");
    tf.write_main(&format!("{base}{recording_config}"));
    tf.run_ok(&["import", "aws_ivs_recording_configuration.imported", &imported_recording]).await;
    tf.assert_plan_is_clean().await;
    // The provider never reads a key pair's public key back (the API does not return it; its
    // own acceptance tests ignore it on import), so an imported key pair is checked by its
    // state rather than by a plan.
    tf.write_file("third.pem", &third_pem);
    let key_config = r#"
        resource "aws_ivs_playback_key_pair" "imported" {
          name       = "imported"
          public_key = file("${path.root}/third.pem")
        }
    "#;
    tf.write_main(&format!("{base}{recording_config}{key_config}"));
    tf.run_ok(&["import", "aws_ivs_playback_key_pair.imported", &imported_key]).await;
    let shown = tf.run_ok(&["state", "show", "aws_ivs_playback_key_pair.imported"]).await;
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(shown.contains(&third_fingerprint), "{shown}");

    // 4. Destroy leaves nothing behind; the channel goes before its recording configuration.
    tf.run_ok(&["destroy", "-auto-approve"]).await;
    assert!(ivs.list_channels().send().await.unwrap().channels().is_empty());
    let recordings = ivs.list_recording_configurations().send().await.unwrap();
    assert!(recordings.recording_configurations().is_empty());
    assert!(ivs.list_playback_key_pairs().send().await.unwrap().key_pairs().is_empty());
}

/// A module in the manner of the seed's `terraform-module-aws-ivs`.
const IVS_MODULE: &str = r#"
variable "name" { type = string }
variable "bucket_name" { type = string }
variable "public_key" { type = string }
variable "tags" {
  type    = map(string)
  default = {}
}
locals {
  tags = merge(var.tags, { module = "ivs" })
}
resource "aws_ivs_recording_configuration" "this" {
  name = var.name
  destination_configuration {
    s3 {
      bucket_name = var.bucket_name
    }
  }
  thumbnail_configuration {
    recording_mode          = "INTERVAL"
    target_interval_seconds = 30
  }
  tags = local.tags
  # Every change replaces a recording configuration, and AWS refuses to delete one a channel
  # still uses (409): the replacement must exist, and the channel move to it, first.
  lifecycle {
    create_before_destroy = true
  }
}
resource "aws_ivs_channel" "this" {
  name                        = var.name
  latency_mode                = "LOW"
  type                        = "STANDARD"
  recording_configuration_arn = aws_ivs_recording_configuration.this.arn
  tags                        = local.tags
}
resource "aws_ivs_playback_key_pair" "this" {
  name       = var.name
  public_key = var.public_key
  tags       = local.tags
}
output "channel_arn" { value = aws_ivs_channel.this.arn }
output "ingest_endpoint" { value = aws_ivs_channel.this.ingest_endpoint }
output "playback_url" { value = aws_ivs_channel.this.playback_url }
output "recording_configuration_arn" { value = aws_ivs_recording_configuration.this.arn }
output "playback_key_pair_arn" { value = aws_ivs_playback_key_pair.this.arn }
output "fingerprint" { value = aws_ivs_playback_key_pair.this.fingerprint }
"#;

/// A P-384 public key (PEM) made from `seed`, and its fingerprint computed as the provider's
/// acceptance tests compute it: MD5 of the DER SubjectPublicKeyInfo, hex pairs joined by `:`.
fn p384_public_key(seed: u8) -> (String, String) {
    use md5::{Digest, Md5};
    use p384::pkcs8::EncodePublicKey;
    let mut bytes = [seed; 48];
    bytes[0] = 1;
    let secret = p384::SecretKey::from_slice(&bytes).expect("a valid scalar");
    let public = secret.public_key();
    let pem = public.to_public_key_pem(p384::pkcs8::LineEnding::LF).unwrap();
    let der = public.to_public_key_der().unwrap();
    let digest = Md5::digest(der.as_bytes());
    let fingerprint = digest.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":");
    (pem.trim_end().to_string(), fingerprint)
}

/// A channel resource with `body` as its arguments, and an output holding all its attributes
/// so the test reads them with `terraform output` (which needs no provider).
fn channel(name: &str, body: &str) -> String {
    format!(
        r#"
        resource "aws_ivs_channel" "{name}" {{
          {body}
        }}
        output "{name}" {{
          value = aws_ivs_channel.{name}
        }}
        "#
    )
}

/// The `test` channel as step 3 leaves it, with `tags`.
fn updated_channel(tags: &[(&str, &str)]) -> String {
    let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k} = {v:?}")).collect();
    channel(
        "test",
        &format!(
            r#"
            name         = "updated"
            latency_mode = "NORMAL"
            type         = "BASIC"
            authorized   = true
            tags         = {{ {} }}
            "#,
            tags.join(", ")
        ),
    )
}

fn owned(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn text<'a>(object: &'a Value, key: &str) -> &'a str {
    object[key].as_str().unwrap_or_else(|| panic!("{key} is not a string in {object}"))
}

/// `arn:aws:ivs:<region>:<account>:channel/<12 alphanumerics>`, in the provider's account.
fn assert_channel_arn(arn: &str) {
    let id = arn
        .strip_prefix(&format!("arn:aws:ivs:{REGION}:{ACCOUNT}:channel/"))
        .unwrap_or_else(|| panic!("{arn} is not a channel ARN in {REGION}, {ACCOUNT}"));
    assert!(id.len() == 12 && id.bytes().all(|b| b.is_ascii_alphanumeric()), "{arn}");
}

/// A working directory with a provider pointed at the server, and the commands run in it.
struct Terraform {
    tools: Tools,
    dir: TempDir,
}

impl Terraform {
    fn new(tools: Tools, url: &str) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mirror = tools.mirror.to_string_lossy();
        // Terraform reads only *.tf files from the working directory, so this can live there.
        write(
            &dir.path().join("cli.tfrc"),
            &format!(
                r#"
                provider_installation {{
                  filesystem_mirror {{
                    path    = {mirror:?}
                    include = ["registry.terraform.io/hashicorp/aws"]
                  }}
                }}
                "#
            ),
        );
        // skip_requesting_account_id stays false, so the provider asks for its account: IAM
        // GetUser first, then STS. iam points here too only to keep the run off the network;
        // ivs-local answers it 501 and the provider falls back to STS.
        write(
            &dir.path().join("provider.tf"),
            &format!(
                r#"
                terraform {{
                  required_providers {{
                    aws = {{ source = "hashicorp/aws" }}
                  }}
                }}
                provider "aws" {{
                  region                      = "{REGION}"
                  access_key                  = "{ACCOUNT}"
                  secret_key                  = "test"
                  skip_credentials_validation = true
                  skip_metadata_api_check     = true
                  skip_region_validation      = true
                  endpoints {{
                    ivs = "{url}"
                    sts = "{url}"
                    iam = "{url}"
                  }}
                }}
                data "aws_caller_identity" "current" {{}}
                output "account_id" {{
                  value = data.aws_caller_identity.current.account_id
                }}
                "#
            ),
        );
        Terraform { tools, dir }
    }

    /// Replaces the configuration besides the provider.
    fn write_main(&self, hcl: &str) {
        write(&self.dir.path().join("main.tf"), hcl);
    }

    /// Writes a file under the working directory (a module, say).
    fn write_file(&self, relative: &str, contents: &str) {
        let path = self.dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).expect("create the directory");
        write(&path, contents);
    }

    async fn apply(&self) {
        self.run_ok(&["apply", "-auto-approve"]).await;
    }

    /// `plan -detailed-exitcode` exits 0 for no changes, 2 for changes.
    async fn assert_plan_is_clean(&self) {
        let out = self.run(&["plan", "-detailed-exitcode"]).await;
        if out.status.code() != Some(0) {
            panic!("expected an empty plan\n{}", report(&out));
        }
    }

    /// The value of output `name`, sensitive or not.
    async fn output(&self, name: &str) -> Value {
        let out = self.run_ok(&["output", "-json", name]).await;
        serde_json::from_slice(&out.stdout).expect("terraform output -json prints JSON")
    }

    async fn run_ok(&self, args: &[&str]) -> Output {
        let out = self.run(args).await;
        if !out.status.success() {
            panic!("terraform {} failed\n{}", args.join(" "), report(&out));
        }
        out
    }

    /// Runs `terraform <args>` with no prompts, no colour and none of the caller's AWS or
    /// Terraform settings (which could send the provider elsewhere).
    async fn run(&self, args: &[&str]) -> Output {
        let mut command = tokio::process::Command::new(&self.tools.terraform);
        // `state` takes its flags after its own subcommand, and neither it nor `output`
        // takes `-input`.
        let words = if args[0] == "state" { 2 } else { 1 };
        command.args(&args[..words]).arg("-no-color");
        if !matches!(args[0], "output" | "state") {
            command.arg("-input=false");
        }
        command.args(&args[words..]).current_dir(self.dir.path());
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            if key.starts_with("AWS_") || (key.starts_with("TF_") && !key.starts_with("TF_LOG")) {
                command.env_remove(&*key);
            }
        }
        command
            .env("TF_CLI_CONFIG_FILE", self.dir.path().join("cli.tfrc"))
            .env("TF_IN_AUTOMATION", "1")
            .env("CHECKPOINT_DISABLE", "1")
            .kill_on_drop(true);
        let started = Instant::now();
        let out = match tokio::time::timeout(COMMAND_TIMEOUT, command.output()).await {
            Ok(out) => out.expect("terraform starts"),
            Err(_) => panic!("terraform {} took over {COMMAND_TIMEOUT:?}", args.join(" ")),
        };
        eprintln!("terraform {} ({:.1?})", args.join(" "), started.elapsed());
        out
    }
}

fn report(out: &Output) -> String {
    format!(
        "exit status: {}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(path: &Path, contents: &str) {
    std::fs::write(path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

struct Tools {
    terraform: PathBuf,
    mirror: PathBuf,
}

/// Terraform and the provider mirror, or `None` after saying why the test is skipped. On CI a
/// missing tool fails the test instead.
fn find_tools() -> Option<Tools> {
    let found = find_terraform().and_then(|terraform| {
        let mirror = find_mirror()?;
        Ok(Tools { terraform, mirror })
    });
    match found {
        Ok(tools) => Some(tools),
        Err(reason) if terraform_required() => panic!(
            "terraform test cannot run: {reason} (CI is set; IVS_LOCAL_REQUIRE_TERRAFORM=0 skips)"
        ),
        Err(reason) => {
            // Straight to stderr: the test harness swallows eprintln! from passing tests.
            let _ = writeln!(std::io::stderr(), "skipping terraform test: {reason}");
            None
        }
    }
}

fn terraform_required() -> bool {
    std::env::var_os("CI").is_some()
        && std::env::var("IVS_LOCAL_REQUIRE_TERRAFORM").as_deref() != Ok("0")
}

fn find_terraform() -> Result<PathBuf, String> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("terraform"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| "no terraform on PATH".to_string())
}

/// A directory laid out as a Terraform filesystem mirror that holds hashicorp/aws: the one
/// `IVS_LOCAL_TF_PLUGIN_MIRROR` names (`.ci/run` finds it), else one of Terraform's own
/// implied plugin directories.
fn find_mirror() -> Result<PathBuf, String> {
    const PROVIDER: &str = "registry.terraform.io/hashicorp/aws";
    let holds_provider = |dir: &Path| dir.join(PROVIDER).is_dir();
    if let Some(dir) = std::env::var_os("IVS_LOCAL_TF_PLUGIN_MIRROR") {
        let dir = PathBuf::from(dir);
        return match holds_provider(&dir) {
            true => Ok(dir),
            false => Err(format!("IVS_LOCAL_TF_PLUGIN_MIRROR={} has no {PROVIDER}", dir.display())),
        };
    }
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let candidates: Vec<PathBuf> = [
        home.as_ref().map(|h| h.join(".terraform.d/plugins")),
        home.as_ref().map(|h| h.join(".local/share/terraform/plugins")),
        Some(PathBuf::from("/usr/local/share/terraform/plugins")),
        Some(PathBuf::from("/usr/share/terraform/plugins")),
    ]
    .into_iter()
    .flatten()
    .collect();
    candidates.iter().find(|dir| holds_provider(dir)).cloned().ok_or_else(|| {
        let searched: Vec<String> = candidates.iter().map(|d| d.display().to_string()).collect();
        format!(
            "no {PROVIDER} provider mirror: set IVS_LOCAL_TF_PLUGIN_MIRROR (searched {})",
            searched.join(", ")
        )
    })
}
