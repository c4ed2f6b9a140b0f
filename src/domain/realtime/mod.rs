//! Real-time domain rules: stored notifications, chat, and who may see whose
//! presence. Transport and delivery live in [`crate::realtime`].
pub mod chat;
pub mod notifications;
pub mod presence;
pub mod web_push;

use crate::error::{AppError, AppResult};

/// A client-chosen device id (1 to 64 characters, trimmed), naming the device
/// that acted in device-sync events.
pub fn device_id(raw: &str) -> AppResult<String> {
    let id = raw.trim();
    if id.is_empty() || id.chars().count() > 64 {
        return Err(AppError::validation(
            "deviceId",
            "`deviceId` must be 1 to 64 characters",
        ));
    }
    Ok(id.to_owned())
}
