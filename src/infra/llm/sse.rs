//! Reading a streamed chat completion: an incremental parser of
//! `text/event-stream` bodies (server-sent events, as the WHATWG HTML
//! standard defines them) and [`chat_events`], which turns the events of
//! `POST /chat/completions` with `stream: true` into [`ChatEvent`]s.
//!
//! [`SseParser::feed`] takes the body in byte chunks split anywhere — inside
//! a multi-byte UTF-8 character, between the `\r` and `\n` of a line end —
//! and returns the events those bytes complete. It owns the line and field
//! rules: `\n`, `\r\n` and `\r` line ends; a leading byte-order mark; comment
//! lines (`:`); `event:`, `data:`, `id:` fields (others ignored); one space
//! after the colon removed; several `data:` lines joined with `\n`; an event
//! dispatched at a blank line and only when it has data. An event not ended
//! by a blank line before the body ends is never returned (as the standard
//! says).
//!
//! [`chat_events`] reads only `data`: `[DONE]` ends the stream; a chunk's
//! `choices[0].delta.content` is a delta and its `finish_reason` the end; an
//! `{"error": …}` object, malformed JSON, a cut body or a stalled one end it
//! with an error.
use std::collections::VecDeque;
use std::fmt;
use std::time::Duration;

use futures::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;

use super::{ChatEvent, ChatStream, LlmError, embedded_error};

/// Default cap on the bytes one event may buffer: [`SseParser::new`].
pub const DEFAULT_MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `event:` field, `None` when absent or empty (a `message` event).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n` (never empty: events without data
    /// are not dispatched).
    pub data: String,
    /// The last `id:` seen in the stream so far (the standard's "last event
    /// ID", which persists across events), `None` before any.
    pub id: Option<String>,
}

/// The current event grew past the parser's byte limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SseOverflow {
    /// The limit that was exceeded.
    pub limit: usize,
}

impl fmt::Display for SseOverflow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "server-sent event larger than {} bytes", self.limit)
    }
}

impl std::error::Error for SseOverflow {}

/// Incremental `text/event-stream` parser; see the module documentation.
#[derive(Debug)]
pub struct SseParser {
    /// Bytes of the line not yet ended.
    line: Vec<u8>,
    /// The previous byte was a `\r`: a `\n` right after it ends nothing.
    after_cr: bool,
    /// No line has been completed yet (a BOM may lead the first one).
    first_line: bool,
    /// Data lines of the event being built, each followed by `\n`.
    data: String,
    /// Whether any `data` field was seen for the event being built.
    has_data: bool,
    event: String,
    last_id: Option<String>,
    max_event_bytes: usize,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new()
    }
}

impl SseParser {
    /// A parser that buffers at most [`DEFAULT_MAX_EVENT_BYTES`] per event.
    pub fn new() -> Self {
        Self::with_limit(DEFAULT_MAX_EVENT_BYTES)
    }

    /// A parser that fails with [`SseOverflow`] once the event being built
    /// (its unfinished line plus its data) exceeds `max_event_bytes`.
    pub fn with_limit(max_event_bytes: usize) -> Self {
        Self {
            line: Vec::new(),
            after_cr: false,
            first_line: true,
            data: String::new(),
            has_data: false,
            event: String::new(),
            last_id: None,
            max_event_bytes,
        }
    }

    /// Feeds the next bytes of the body; returns the events they complete,
    /// in order. After an error the parser's state is unspecified: stop
    /// reading the stream.
    pub fn feed(&mut self, mut bytes: &[u8]) -> Result<Vec<SseEvent>, SseOverflow> {
        let mut events = Vec::new();
        while !bytes.is_empty() {
            if self.after_cr && bytes[0] == b'\n' {
                // The second half of a `\r\n` already ended its line.
                self.after_cr = false;
                bytes = &bytes[1..];
                continue;
            }
            self.after_cr = false;
            match bytes.iter().position(|b| *b == b'\n' || *b == b'\r') {
                None => {
                    self.line.extend_from_slice(bytes);
                    self.check_limit()?;
                    break;
                }
                Some(end) => {
                    self.line.extend_from_slice(&bytes[..end]);
                    self.check_limit()?;
                    self.after_cr = bytes[end] == b'\r';
                    bytes = &bytes[end + 1..];
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.process_line(&line) {
                        events.push(event);
                    }
                    self.check_limit()?;
                }
            }
        }
        Ok(events)
    }

    fn check_limit(&self) -> Result<(), SseOverflow> {
        if self.line.len().saturating_add(self.data.len()) > self.max_event_bytes {
            return Err(SseOverflow {
                limit: self.max_event_bytes,
            });
        }
        Ok(())
    }

    /// Applies one complete line (without its line end).
    fn process_line(&mut self, raw: &[u8]) -> Option<SseEvent> {
        let mut raw = raw;
        if self.first_line {
            self.first_line = false;
            raw = raw.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(raw);
        }
        if raw.is_empty() {
            return self.dispatch();
        }
        if raw[0] == b':' {
            return None;
        }
        let line = String::from_utf8_lossy(raw);
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match field {
            "event" => value.clone_into(&mut self.event),
            "data" => {
                self.data.push_str(value);
                self.data.push('\n');
                self.has_data = true;
            }
            "id" if !value.contains('\0') => self.last_id = Some(value.to_owned()),
            // `retry` only matters to reconnecting clients; others are ignored.
            _ => {}
        }
        None
    }

    /// Ends the event being built at a blank line.
    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = std::mem::take(&mut self.event);
        if !self.has_data {
            self.data.clear();
            return None;
        }
        self.has_data = false;
        let mut data = std::mem::take(&mut self.data);
        if data.ends_with('\n') {
            data.pop();
        }
        Some(SseEvent {
            event: (!event.is_empty()).then_some(event),
            data,
            id: self.last_id.clone(),
        })
    }
}

/// The [`ChatStream`] of a streamed chat completion's `body`: each SSE
/// `data` is a `chat.completion.chunk` (or `[DONE]`, or an error object),
/// and no body chunk within `timeout` is [`LlmError::Timeout`].
pub fn chat_events<S, B>(body: S, timeout: Duration) -> ChatStream
where
    S: Stream<Item = Result<B, reqwest::Error>> + Unpin + Send + 'static,
    B: AsRef<[u8]> + Send + 'static,
{
    let state = StreamState {
        body: Some(body),
        parser: SseParser::new(),
        pending: VecDeque::new(),
        timeout,
        finished: false,
    };
    Box::pin(futures::stream::unfold(state, |mut state| async move {
        let item = state.next_item().await?;
        Some((item, state))
    }))
}

/// Reads the SSE body of a chat completion into [`ChatEvent`]s.
struct StreamState<S> {
    /// `None` once the stream is over (after `[DONE]`, an error, or EOF).
    body: Option<S>,
    parser: SseParser,
    /// Items decoded from one body chunk, not yet yielded.
    pending: VecDeque<Result<ChatEvent, LlmError>>,
    timeout: Duration,
    /// A `finish_reason` was seen: the end of the body is no longer a cut.
    finished: bool,
}

/// One streamed `chat.completion.chunk`, as far as the client reads it.
#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    choices: Vec<ChunkChoice>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    index: Option<u32>,
    delta: Option<ChunkDelta>,
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct ChunkDelta {
    content: Option<String>,
}

impl<S, B> StreamState<S>
where
    S: Stream<Item = Result<B, reqwest::Error>> + Unpin,
    B: AsRef<[u8]>,
{
    async fn next_item(&mut self) -> Option<Result<ChatEvent, LlmError>> {
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            let body = self.body.as_mut()?;
            let error = match tokio::time::timeout(self.timeout, body.next()).await {
                Ok(Some(Ok(bytes))) => {
                    self.consume(bytes.as_ref());
                    continue;
                }
                Ok(Some(Err(e))) if e.is_timeout() => LlmError::Timeout,
                Ok(Some(Err(_)) | None) => LlmError::Cut,
                Err(_elapsed) => LlmError::Timeout,
            };
            self.body = None;
            if !self.finished {
                return Some(Err(error));
            }
        }
    }

    /// Decodes one body chunk into `pending`; `[DONE]` or an error ends the
    /// stream (drops the body), and later events are ignored.
    fn consume(&mut self, bytes: &[u8]) {
        let events = match self.parser.feed(bytes) {
            Ok(events) => events,
            Err(overflow) => return self.fail(LlmError::Protocol(overflow.to_string())),
        };
        for event in events {
            if self.body.is_none() {
                return;
            }
            self.handle(event.data.trim());
        }
    }

    fn fail(&mut self, error: LlmError) {
        self.body = None;
        self.pending.push_back(Err(error));
    }

    fn handle(&mut self, data: &str) {
        if data == "[DONE]" {
            self.body = None;
            return;
        }
        if data.is_empty() {
            return; // a keep-alive `data:` line
        }
        let value: Value = match serde_json::from_str(data) {
            Ok(value) => value,
            Err(e) => return self.fail(LlmError::Protocol(format!("stream chunk: {e}"))),
        };
        if let Some(error) = embedded_error(&value) {
            return self.fail(error);
        }
        let chunk: Chunk = match serde_json::from_value(value) {
            Ok(chunk) => chunk,
            Err(e) => return self.fail(LlmError::Protocol(format!("stream chunk: {e}"))),
        };
        // The first choice only: the request never asks for `n` > 1. No
        // choice (a usage chunk) or no content (the role chunk): nothing.
        let first = chunk
            .choices
            .into_iter()
            .find(|c| c.index.unwrap_or(0) == 0);
        let Some(choice) = first else { return };
        if let Some(content) = choice.delta.and_then(|d| d.content)
            && !content.is_empty()
            && !self.finished
        {
            self.pending.push_back(Ok(ChatEvent::Delta(content)));
        }
        if let Some(reason) = choice.finish_reason.filter(|r| !r.is_empty())
            && !self.finished
        {
            self.finished = true;
            self.pending.push_back(Ok(ChatEvent::Finished { reason }));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> Vec<SseEvent> {
        SseParser::new().feed(input).expect("within limit")
    }

    fn data(events: &[SseEvent]) -> Vec<&str> {
        events.iter().map(|e| e.data.as_str()).collect()
    }

    #[test]
    fn openai_style_stream() {
        let events = parse_all(b"data: {\"a\":1}\n\ndata: {\"a\":2}\n\ndata: [DONE]\n\n");
        assert_eq!(data(&events), ["{\"a\":1}", "{\"a\":2}", "[DONE]"]);
        assert_eq!(events[0].event, None);
        assert_eq!(events[0].id, None);
    }

    #[test]
    fn all_line_ends() {
        let events = parse_all(b"data: lf\n\ndata: crlf\r\n\r\ndata: cr\r\rdata: mixed\r\n\n");
        assert_eq!(data(&events), ["lf", "crlf", "cr", "mixed"]);
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        let events = parse_all(b"data: one\ndata:two\ndata\ndata:  four\n\n");
        assert_eq!(data(&events), ["one\ntwo\n\n four"]);
    }

    #[test]
    fn comments_fields_and_bom() {
        let input = b"\xEF\xBB\xBF: keep-alive\nevent: error\nid: 7\nretry: 100\nfoo: bar\ndata: x\n\n:ping\n\ndata: y\n\n";
        let events = parse_all(input);
        assert_eq!(
            events,
            [
                SseEvent {
                    event: Some("error".into()),
                    data: "x".into(),
                    id: Some("7".into()),
                },
                SseEvent {
                    event: None,
                    data: "y".into(),
                    id: Some("7".into()),
                },
            ]
        );
    }

    #[test]
    fn events_without_data_are_not_dispatched() {
        let events = parse_all(b"event: ping\n\nid: 3\n\n\n\ndata: after\n\n");
        assert_eq!(data(&events), ["after"]);
        assert_eq!(events[0].event, None, "the event type resets at dispatch");
    }

    #[test]
    fn unterminated_event_is_held_back() {
        let mut parser = SseParser::new();
        assert!(parser.feed(b"data: partial\n").unwrap().is_empty());
        assert!(parser.feed(b"data: more").unwrap().is_empty());
        assert_eq!(data(&parser.feed(b"\n\n").unwrap()), ["partial\nmore"]);
    }

    #[test]
    fn only_one_leading_space_is_removed() {
        assert_eq!(data(&parse_all(b"data:   spaced \n\n")), ["  spaced "]);
    }

    #[test]
    fn invalid_utf8_is_replaced_not_fatal() {
        assert_eq!(data(&parse_all(b"data: a\xFFb\n\n")), ["a\u{FFFD}b"]);
    }

    #[test]
    fn overflow_is_an_error() {
        let mut parser = SseParser::with_limit(16);
        assert!(parser.feed(b"data: 0123456789").is_ok());
        assert_eq!(
            parser.feed(b"abcdefgh").unwrap_err(),
            SseOverflow { limit: 16 }
        );
        let mut parser = SseParser::with_limit(16);
        let err = parser
            .feed(b"data: 0123456789\ndata: 0123456789\n")
            .unwrap_err();
        assert_eq!(err.limit, 16);
    }

    /// Every kind of line, line end and multi-byte character in one body.
    const TRICKY: &[u8] = "\u{FEFF}: comment\r\nevent: delta\rid: 1\r\ndata: {\"content\":\"héllo 🌍\"}\n\ndata: ä\r\ndata:ö\r\n\r\n:\n\ndata: 한국어\r\rdata: [DONE]\r\n\r\n".as_bytes();

    #[test]
    fn splitting_anywhere_gives_the_same_events() {
        let whole = parse_all(TRICKY);
        assert_eq!(
            data(&whole),
            ["{\"content\":\"héllo 🌍\"}", "ä\nö", "한국어", "[DONE]"]
        );
        assert_eq!(whole[0].event.as_deref(), Some("delta"));
        assert_eq!(whole[3].id.as_deref(), Some("1"));
        for i in 0..=TRICKY.len() {
            for j in i..=TRICKY.len() {
                let mut parser = SseParser::new();
                let mut events = parser.feed(&TRICKY[..i]).unwrap();
                events.extend(parser.feed(&TRICKY[i..j]).unwrap());
                events.extend(parser.feed(&TRICKY[j..]).unwrap());
                assert_eq!(events, whole, "split at {i} and {j}");
            }
        }
    }

    #[test]
    fn byte_by_byte_gives_the_same_events() {
        let mut parser = SseParser::new();
        let mut events = Vec::new();
        for byte in TRICKY {
            events.extend(parser.feed(std::slice::from_ref(byte)).unwrap());
        }
        assert_eq!(events, parse_all(TRICKY));
    }
}
