//! The caller's notifications: list, unread count, mark read, channel preferences, and a live stream
//! (Server-Sent Events). Every route acts on the caller's own notifications only, so every role, viewers
//! included, may use them.

pub mod list;
pub mod preferences;
pub mod read;
pub mod read_all;
pub mod set_preferences;
pub mod stream;
pub mod unread_count;

use actix_web::web;

/// Registers the routes under `/api/v1`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/notifications", web::get().to(list::list))
        .route(
            "/notifications/unread-count",
            web::get().to(unread_count::unread_count),
        )
        .route(
            "/notifications/read-all",
            web::post().to(read_all::read_all),
        )
        .route(
            "/notifications/preferences",
            web::get().to(preferences::preferences),
        )
        .route(
            "/notifications/preferences",
            web::put().to(set_preferences::set_preferences),
        )
        .route("/notifications/stream", web::get().to(stream::stream))
        .route("/notifications/{id}/read", web::post().to(read::read));
}
