//! The Rust realistic contestant. At init: parses `config.json`, hashes it (SHA-256), builds an
//! HTTP client (hyper-util's pooled client) and an SDK-style S3 client (configuration, credentials
//! provider, retry policy), as `aws-sdk-s3` would be built; no request is sent. Per Invocation:
//! parses the event, hashes it and answers `{language, region, keys, eventSha256, configSha256}`.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper_util::client::legacy::{connect::HttpConnector, Client};
use hyper_util::rt::TokioExecutor;
use lambda_runtime::{service_fn, Error, LambdaEvent};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    region: String,
    endpoint: String,
    bucket: String,
    retry: RetryConfig,
    http: HttpConfig,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RetryConfig {
    mode: String,
    max_attempts: u32,
    base_delay_ms: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HttpConfig {
    connect_timeout_ms: u64,
    read_timeout_ms: u64,
    keep_alive: bool,
    max_connections: usize,
}

#[derive(Debug, Clone)]
#[allow(dead_code)]
struct Credentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

/// Resolves credentials lazily, on the first signed request, as the SDKs' providers do.
trait ProvideCredentials: Send + Sync {
    #[allow(dead_code)]
    fn provide(&self) -> Option<Credentials>;
}

struct EnvironmentCredentials;

impl ProvideCredentials for EnvironmentCredentials {
    fn provide(&self) -> Option<Credentials> {
        Some(Credentials {
            access_key_id: std::env::var("AWS_ACCESS_KEY_ID").ok()?,
            secret_access_key: std::env::var("AWS_SECRET_ACCESS_KEY").ok()?,
            session_token: std::env::var("AWS_SESSION_TOKEN").ok(),
        })
    }
}

#[allow(dead_code)]
struct RetryPolicy {
    mode: String,
    max_attempts: u32,
    base_delay: Duration,
}

impl RetryPolicy {
    /// The standard mode's capped exponential back-off for `attempt` (before jitter).
    #[allow(dead_code)]
    fn delay(&self, attempt: u32) -> Duration {
        self.base_delay
            .saturating_mul(1 << attempt.min(10))
            .min(Duration::from_secs(20))
    }
}

#[allow(dead_code)]
struct S3Client {
    region: String,
    endpoint: String,
    bucket: String,
    http: Client<HttpConnector, Full<Bytes>>,
    read_timeout: Duration,
    credentials: Arc<dyn ProvideCredentials>,
    retry: RetryPolicy,
}

struct State {
    config_sha256: String,
    s3: S3Client,
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn init() -> Result<State, Error> {
    let root = std::env::var("LAMBDA_TASK_ROOT").unwrap_or_else(|_| ".".into());
    let text = std::fs::read(format!("{root}/config.json"))?;
    let config: Config = serde_json::from_slice(&text)?;
    let config_sha256 = hex(&Sha256::digest(&text));

    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(Duration::from_millis(config.http.connect_timeout_ms)));
    connector.set_nodelay(true);
    connector.enforce_http(false);
    let http = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(config.http.max_connections)
        .pool_idle_timeout(if config.http.keep_alive {
            Some(Duration::from_secs(90))
        } else {
            None
        })
        .build(connector);

    let s3 = S3Client {
        region: config.region,
        endpoint: config.endpoint,
        bucket: config.bucket,
        http,
        read_timeout: Duration::from_millis(config.http.read_timeout_ms),
        credentials: Arc::new(EnvironmentCredentials),
        retry: RetryPolicy {
            mode: config.retry.mode,
            max_attempts: config.retry.max_attempts,
            base_delay: Duration::from_millis(config.retry.base_delay_ms),
        },
    };
    Ok(State { config_sha256, s3 })
}

async fn handle(state: &State, event: LambdaEvent<Value>) -> Result<Value, Error> {
    // The runtime hands over the parsed event; hash its compact form (the bytes as sent for
    // compact JSON).
    let bytes = serde_json::to_vec(&event.payload)?;
    let keys = event.payload.as_object().map_or(0, |object| object.len());
    Ok(json!({
        "language": "rust",
        "region": state.s3.region,
        "keys": keys,
        "eventSha256": hex(&Sha256::digest(&bytes)),
        "configSha256": state.config_sha256,
    }))
}

#[tokio::main]
async fn main() -> Result<(), Error> {
    let state = init()?;
    let state = &state;
    lambda_runtime::run(service_fn(move |event| handle(state, event))).await
}
