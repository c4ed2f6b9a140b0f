//! The local webhook receiver of the partner-webhook tests: it verifies
//! each delivery's `Vitrine-Signature` with the subscription's secret and
//! answers as its [`Mode`] says.
#![allow(dead_code)]
use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    routing::post,
};
use chrono::Utc;
use serde_json::Value;
use vitrine::infra::stripe::verify_signature;

/// How the receiver answers.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// 500 to the first request, then 200 to well-signed ones.
    FailFirst,
    /// Always 500.
    AlwaysFail,
    /// 200 to well-signed requests.
    Accept,
}

/// One request the receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    pub event_id: String,
    pub body: Value,
    pub raw: Vec<u8>,
    pub signature_ok: bool,
}

struct Inbox {
    mode: Mode,
    secret: String,
    received: Vec<Received>,
}

#[derive(Clone)]
pub struct Receiver {
    addr: SocketAddr,
    inbox: Arc<Mutex<Inbox>>,
}

impl Receiver {
    pub async fn start(mode: Mode) -> Self {
        let inbox = Arc::new(Mutex::new(Inbox {
            mode,
            secret: String::new(),
            received: Vec::new(),
        }));
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { addr, inbox }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    pub fn set_secret(&self, secret: &str) {
        self.inbox.lock().unwrap().secret = secret.to_owned();
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.lock().unwrap().received.clone()
    }

    /// Waits until `n` requests came.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "the receiver got {} requests, not {n}",
            self.received().len()
        );
    }
}

async fn receive(
    State(inbox): State<Arc<Mutex<Inbox>>>,
    headers: HeaderMap,
    raw: Bytes,
) -> StatusCode {
    let mut inbox = inbox.lock().unwrap();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let signature_ok = headers
        .get("content-type")
        .is_some_and(|v| v == "application/json")
        && verify_signature(
            &header("vitrine-signature"),
            &raw,
            &[inbox.secret.as_str()],
            Utc::now().timestamp(),
            300,
        )
        .is_ok();
    inbox.received.push(Received {
        event_id: header("vitrine-event-id"),
        body: serde_json::from_slice(&raw).unwrap_or(Value::Null),
        raw: raw.to_vec(),
        signature_ok,
    });
    match inbox.mode {
        Mode::AlwaysFail => StatusCode::INTERNAL_SERVER_ERROR,
        Mode::FailFirst if inbox.received.len() == 1 => StatusCode::INTERNAL_SERVER_ERROR,
        Mode::FailFirst | Mode::Accept if signature_ok => StatusCode::OK,
        Mode::FailFirst | Mode::Accept => StatusCode::BAD_REQUEST,
    }
}
