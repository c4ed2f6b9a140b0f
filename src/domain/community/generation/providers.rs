//! The HTTP providers of design generation, each written against its
//! documented REST API (no SDK), with the configured base URL, models, key
//! and timeout:
//!
//! - **Gemini**: `POST {base}/models/{model}:generateContent` with
//!   `x-goog-api-key`; the image goes in as `inline_data`, stage 2 asks for
//!   `responseModalities: [TEXT, IMAGE]` and reads the `inlineData` part.
//! - **OpenAI**: stage 1 `POST {base}/chat/completions` with the image as a
//!   `data:` URL `image_url` part; stage 2 `POST {base}/images/edits`
//!   (multipart: `model`, `prompt`, `image`), reading `data[0].b64_json`.
//! - **Replicate**: `POST {base}/models/{owner}/{name}/predictions` with
//!   `{input}`, then `GET {base}/predictions/{id}` until `succeeded` (or
//!   `failed`/`canceled`), the whole within the timeout; stage 2's output is
//!   a URL that is downloaded.
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::config::ai::{ProviderConfig, ProviderName};

/// The source photo as a provider receives it.
pub struct SourceImage {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
}

impl SourceImage {
    fn data_url(&self) -> String {
        format!(
            "data:{};base64,{}",
            self.content_type,
            B64.encode(&self.bytes)
        )
    }
}

/// Most bytes a provider's image may have.
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;

/// One HTTP provider.
pub struct Provider {
    pub name: ProviderName,
    config: ProviderConfig,
    http: reqwest::Client,
    timeout: Duration,
}

fn key(config: &ProviderConfig) -> anyhow::Result<&str> {
    config
        .key
        .as_ref()
        .map(|k| k.expose())
        .ok_or_else(|| anyhow!("no API key is configured"))
}

/// The JSON of a response, or an error naming the status and the start of
/// the body.
async fn json_of(response: reqwest::Response) -> anyhow::Result<Value> {
    let status = response.status();
    let text = response.text().await.context("reading the response")?;
    if !status.is_success() {
        let snippet: String = text.chars().take(300).collect();
        bail!("HTTP {status}: {snippet}");
    }
    serde_json::from_str(&text).with_context(|| {
        let snippet: String = text.chars().take(120).collect();
        format!("the response is not JSON: {snippet}")
    })
}

impl Provider {
    pub fn new(
        name: ProviderName,
        config: ProviderConfig,
        http: reqwest::Client,
        timeout: Duration,
    ) -> Self {
        Self {
            name,
            config,
            http,
            timeout,
        }
    }

    /// Stage 1: text about the image, answering `prompt`.
    pub async fn analyze(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<String> {
        let text = match self.name {
            ProviderName::Gemini => self.gemini_text(image, prompt).await,
            ProviderName::OpenAi => self.openai_text(image, prompt).await,
            ProviderName::Replicate => self.replicate_text(image, prompt).await,
            ProviderName::Offline => bail!("the offline tier is not an HTTP provider"),
        }
        .with_context(|| format!("{} stage 1", self.name.as_str()))?;
        let text = text.trim().to_owned();
        if text.is_empty() {
            bail!("{} stage 1 answered no text", self.name.as_str());
        }
        Ok(text)
    }

    /// Stage 2: a new image from the source and `prompt`.
    pub async fn generate(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<Vec<u8>> {
        let bytes = match self.name {
            ProviderName::Gemini => self.gemini_image(image, prompt).await,
            ProviderName::OpenAi => self.openai_image(image, prompt).await,
            ProviderName::Replicate => self.replicate_image(image, prompt).await,
            ProviderName::Offline => bail!("the offline tier is not an HTTP provider"),
        }
        .with_context(|| format!("{} stage 2", self.name.as_str()))?;
        if bytes.len() > MAX_IMAGE_BYTES {
            bail!(
                "{} stage 2 answered {} bytes",
                self.name.as_str(),
                bytes.len()
            );
        }
        Ok(bytes)
    }

    // ------------------------------------------------------------ Gemini

    async fn gemini(&self, model: &str, body: Value) -> anyhow::Result<Value> {
        let url = format!("{}/models/{model}:generateContent", self.config.base_url);
        let response = self
            .http
            .post(url)
            .header("x-goog-api-key", key(&self.config)?)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await?;
        json_of(response).await
    }

    fn gemini_contents(image: &SourceImage, prompt: &str) -> Value {
        json!([{ "role": "user", "parts": [
            { "text": prompt },
            { "inline_data": { "mime_type": image.content_type, "data": B64.encode(&image.bytes) } },
        ]}])
    }

    fn gemini_parts(answer: &Value) -> anyhow::Result<&Vec<Value>> {
        answer["candidates"][0]["content"]["parts"]
            .as_array()
            .ok_or_else(|| anyhow!("no candidates[0].content.parts in the answer"))
    }

    async fn gemini_text(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<String> {
        let body = json!({ "contents": Self::gemini_contents(image, prompt) });
        let answer = self.gemini(&self.config.text_model, body).await?;
        Ok(Self::gemini_parts(&answer)?
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join(""))
    }

    async fn gemini_image(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<Vec<u8>> {
        let body = json!({
            "contents": Self::gemini_contents(image, prompt),
            "generationConfig": { "responseModalities": ["TEXT", "IMAGE"] },
        });
        let answer = self.gemini(&self.config.image_model, body).await?;
        let data = Self::gemini_parts(&answer)?
            .iter()
            .find_map(|p| {
                let inline = p.get("inlineData").or_else(|| p.get("inline_data"))?;
                inline["data"].as_str()
            })
            .ok_or_else(|| anyhow!("the answer has no image part"))?;
        B64.decode(data).context("the image part is not base64")
    }

    // ------------------------------------------------------------ OpenAI

    async fn openai_text(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<String> {
        let body = json!({
            "model": self.config.text_model,
            "messages": [{ "role": "user", "content": [
                { "type": "text", "text": prompt },
                { "type": "image_url", "image_url": { "url": image.data_url() } },
            ]}],
        });
        let response = self
            .http
            .post(format!("{}/chat/completions", self.config.base_url))
            .bearer_auth(key(&self.config)?)
            .timeout(self.timeout)
            .json(&body)
            .send()
            .await?;
        let answer = json_of(response).await?;
        answer["choices"][0]["message"]["content"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow!("no choices[0].message.content in the answer"))
    }

    async fn openai_image(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<Vec<u8>> {
        let extension = image.content_type.rsplit('/').next().unwrap_or("png");
        let part = reqwest::multipart::Part::bytes(image.bytes.clone())
            .file_name(format!("room.{extension}"))
            .mime_str(image.content_type)?;
        let form = reqwest::multipart::Form::new()
            .text("model", self.config.image_model.clone())
            .text("prompt", prompt.to_owned())
            .text("n", "1")
            .part("image", part);
        let response = self
            .http
            .post(format!("{}/images/edits", self.config.base_url))
            .bearer_auth(key(&self.config)?)
            .timeout(self.timeout)
            .multipart(form)
            .send()
            .await?;
        let answer = json_of(response).await?;
        let data = answer["data"][0]["b64_json"]
            .as_str()
            .ok_or_else(|| anyhow!("no data[0].b64_json in the answer"))?;
        B64.decode(data).context("b64_json is not base64")
    }

    // --------------------------------------------------------- Replicate

    /// Runs an official model to a terminal state within the timeout.
    async fn replicate(&self, model: &str, input: Value) -> anyhow::Result<Value> {
        let deadline = Instant::now() + self.timeout;
        let token = key(&self.config)?;
        let response = self
            .http
            .post(format!(
                "{}/models/{model}/predictions",
                self.config.base_url
            ))
            .bearer_auth(token)
            .timeout(self.timeout)
            .json(&json!({ "input": input }))
            .send()
            .await?;
        let mut prediction = json_of(response).await?;
        let id = prediction["id"]
            .as_str()
            .ok_or_else(|| anyhow!("the prediction has no id"))?
            .to_owned();
        // Polled at our own base URL, never at a URL the answer names.
        let url = format!("{}/predictions/{id}", self.config.base_url);
        let mut wait = Duration::from_millis(250);
        loop {
            match prediction["status"].as_str() {
                Some("succeeded") => return Ok(prediction["output"].clone()),
                Some("failed") | Some("canceled") => bail!(
                    "prediction {id} {}: {}",
                    prediction["status"].as_str().unwrap_or_default(),
                    prediction["error"].as_str().unwrap_or("no reason given")
                ),
                Some("starting") | Some("processing") => {}
                other => bail!("prediction {id} has an unknown status {other:?}"),
            }
            if Instant::now() + wait > deadline {
                bail!("prediction {id} did not finish within {:?}", self.timeout);
            }
            tokio::time::sleep(wait).await;
            wait = (wait * 2).min(Duration::from_secs(2));
            let response = self
                .http
                .get(&url)
                .bearer_auth(token)
                .timeout(self.timeout)
                .send()
                .await?;
            prediction = json_of(response).await?;
        }
    }

    async fn replicate_text(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<String> {
        let output = self
            .replicate(
                &self.config.text_model,
                json!({ "prompt": prompt, "image_input": [image.data_url()] }),
            )
            .await?;
        match output {
            Value::String(s) => Ok(s),
            // Language models stream their output as pieces.
            Value::Array(pieces) => Ok(pieces.iter().filter_map(Value::as_str).collect()),
            other => bail!("unexpected output {other}"),
        }
    }

    async fn replicate_image(&self, image: &SourceImage, prompt: &str) -> anyhow::Result<Vec<u8>> {
        let output = self
            .replicate(
                &self.config.image_model,
                json!({ "prompt": prompt, "input_image": image.data_url(), "output_format": "png" }),
            )
            .await?;
        let url = match &output {
            Value::String(s) => s.clone(),
            Value::Array(items) => items
                .first()
                .and_then(Value::as_str)
                .map(str::to_owned)
                .ok_or_else(|| anyhow!("empty output"))?,
            other => bail!("unexpected output {other}"),
        };
        if !crate::config::vars::is_http_url(&url) {
            bail!("the output is not an http(s) URL");
        }
        let response = self.http.get(&url).timeout(self.timeout).send().await?;
        if !response.status().is_success() {
            bail!("downloading the output: HTTP {}", response.status());
        }
        Ok(response.bytes().await?.to_vec())
    }
}
