//! The small HTML pages recipients see (unsubscription, a link that is not valid), in French and English.
//! They hold no data of the request: no token, no address.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, REFERRER_POLICY};

/// No script, no outside resource; the form may only post back here.
const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; \
                   frame-ancestors 'none'; base-uri 'none'";

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:4rem auto;\
                     padding:0 1rem;color:#222;line-height:1.5}h1{font-size:1.3rem}\
                     button{font-size:1rem;padding:.6rem 1.2rem;cursor:pointer}\
                     hr{border:0;border-top:1px solid #ddd;margin:2rem 0}";

fn document(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    let html = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
         <meta name=\"robots\" content=\"noindex\"><title>{title}</title>\
         <style>{STYLE}</style></head><body>{body}</body></html>"
    );
    HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((REFERRER_POLICY, "no-referrer"))
        .insert_header((CONTENT_SECURITY_POLICY, CSP))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(html)
}

/// The confirmation page of an unsubscribe link: a button posts the one-click form (opening the link does
/// nothing, since mail scanners open links).
pub(super) fn confirm() -> HttpResponse {
    document(
        StatusCode::OK,
        "Désabonnement / Unsubscribe",
        "<h1>Se désabonner</h1>\
         <p>Vous ne recevrez plus nos campagnes à cette adresse.</p>\
         <form method=\"post\"><input type=\"hidden\" name=\"List-Unsubscribe\" value=\"One-Click\">\
         <button type=\"submit\">Me désabonner / Unsubscribe me</button></form>\
         <hr lang=\"en\"><h1 lang=\"en\">Unsubscribe</h1>\
         <p lang=\"en\">You will no longer receive our campaigns at this address.</p>",
    )
}

/// The page after unsubscribing (also shown when it was done before).
pub(super) fn unsubscribed() -> HttpResponse {
    document(
        StatusCode::OK,
        "Désabonnement confirmé / Unsubscribed",
        "<h1>Désabonnement confirmé</h1>\
         <p>Vous ne recevrez plus nos campagnes à cette adresse.</p>\
         <hr><h1 lang=\"en\">You are unsubscribed</h1>\
         <p lang=\"en\">You will no longer receive our campaigns at this address.</p>",
    )
}

/// A link that is not (or no longer) valid.
pub(super) fn not_found() -> HttpResponse {
    document(
        StatusCode::NOT_FOUND,
        "Lien non valide / Invalid link",
        "<h1>Ce lien n'est pas valide</h1>\
         <p>Vérifiez qu'il a été copié en entier.</p>\
         <hr><h1 lang=\"en\">This link is not valid</h1>\
         <p lang=\"en\">Check that it was copied in full.</p>",
    )
}

/// The store is down: the unsubscription was not recorded and should be tried again.
pub(super) fn unavailable() -> HttpResponse {
    let mut res = document(
        StatusCode::SERVICE_UNAVAILABLE,
        "Réessayez / Try again",
        "<h1>Le service est momentanément indisponible</h1>\
         <p>Votre demande n'a pas été enregistrée : réessayez dans quelques minutes.</p>\
         <hr><h1 lang=\"en\">The service is unavailable for a moment</h1>\
         <p lang=\"en\">Your request was not recorded: please try again in a few minutes.</p>",
    );
    res.headers_mut().insert(
        actix_web::http::header::RETRY_AFTER,
        actix_web::http::header::HeaderValue::from_static("60"),
    );
    res
}
