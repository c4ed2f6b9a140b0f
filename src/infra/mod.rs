//! Backends behind small traits, each with an embedded default and a
//! production implementation chosen by configuration.
pub mod inference;
pub mod kv;
pub mod llm;
pub mod mail;
pub mod pubsub;
pub mod search;
pub mod sentiment;
pub mod shopping;
pub mod sqlite_reads;
pub mod storage;
pub mod stripe;
pub mod web_push;
