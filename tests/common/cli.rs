//! The aws CLI (v1, botocore) as a test client: `aws` run with test credentials, the test
//! server's endpoint and no user configuration.
//!
//! Without an `aws` on PATH a test says why and passes ([`aws_available`]), except in CI (`CI`
//! set), where the machines have it and a missing CLI must fail the run.

use serde_json::Value;
use std::process::Output;

pub struct Cli {
    home: tempfile::TempDir,
    endpoint: String,
}

impl Cli {
    pub fn new(endpoint: &str) -> Self {
        Cli { home: tempfile::tempdir().unwrap(), endpoint: endpoint.to_string() }
    }

    /// Runs `aws ARGS` with test credentials and no user configuration.
    pub async fn run(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let config = self.home.path().join("config");
        tokio::process::Command::new("aws")
            .args(args)
            .env_clear()
            .envs(
                ["PATH", "PYENV_ROOT", "LANG"]
                    .into_iter()
                    .filter_map(|k| Some((k, std::env::var_os(k)?))),
            )
            .env("HOME", self.home.path())
            .env("AWS_CONFIG_FILE", &config)
            .env("AWS_SHARED_CREDENTIALS_FILE", &config)
            .env("AWS_ACCESS_KEY_ID", super::ACCOUNT)
            .env("AWS_SECRET_ACCESS_KEY", "secret")
            .env("AWS_DEFAULT_REGION", super::REGION)
            .envs(env.iter().copied())
            .output()
            .await
            .expect("aws runs")
    }

    /// `aws --endpoint-url URL ARGS`, which must succeed; its JSON output.
    pub async fn ok(&self, args: &[&str]) -> Value {
        let mut all = vec!["--endpoint-url", self.endpoint.as_str(), "--output", "json"];
        all.extend_from_slice(args);
        let out = self.run(&all, &[]).await;
        assert!(out.status.success(), "aws {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice(&out.stdout).unwrap_or(Value::Null)
    }

    /// `aws --endpoint-url URL ARGS`, which must fail; its stderr.
    pub async fn fails(&self, args: &[&str]) -> String {
        let mut all = vec!["--endpoint-url", self.endpoint.as_str()];
        all.extend_from_slice(args);
        let out = self.run(&all, &[]).await;
        assert!(!out.status.success(), "aws {args:?} succeeded");
        String::from_utf8_lossy(&out.stderr).into_owned()
    }
}

pub fn aws_available() -> bool {
    let found = std::process::Command::new("aws")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "the aws CLI is not installed, and CI machines must have it"
        );
        eprintln!("skipping the aws CLI test: no `aws` on PATH (pip install awscli)");
    }
    found
}
