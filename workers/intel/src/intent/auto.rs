//! Kinds of automatic message: delivery failures (bounces), absence replies, bulk mail.

use crate::text::{fold, re};
use regex::Regex;
use std::sync::LazyLock;

/// What the headers of a message say (all false/None for a bare text).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HeaderEvidence {
    /// Value of `Auto-Submitted` (lower-case), e.g. `auto-replied`.
    pub auto_submitted: Option<String>,
    /// `X-Autoreply`, `X-Autorespond` or `X-Auto-Reply` present.
    pub x_autoreply: bool,
    /// `X-Auto-Response-Suppress` present (set by Outlook on automatic replies, among others).
    pub x_auto_response_suppress: bool,
    /// Value of `Precedence` (lower-case): bulk, list, junk, auto_reply.
    pub precedence: Option<String>,
    /// `List-Id` or `List-Unsubscribe` present.
    pub list: bool,
    /// `multipart/report; report-type=delivery-status` or a `message/delivery-status` part.
    pub delivery_report: bool,
    /// From is a mail system (mailer-daemon, postmaster, "Mail Delivery Subsystem").
    pub from_mail_system: bool,
}

static BOUNCE_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"undeliver|undelivered|delivery status notification|delivery (failure|failed|has failed|notification)|mail delivery failed|returned mail|returned to sender|non remis|non distribu|echec de (la )?(remise|distribution)|message non (delivre|remis)|retour a l'expediteur|failure notice|unzustellbar|nicht zustellbar|undeliverable",
    )
});
static BOUNCE_BODY: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(could not|couldn't|was not|wasn't|cannot) (be )?deliver|n'a pas pu etre (remis|distribue|delivre)|n'a pas ete (remis|distribue)|delivery (has )?failed|permanent error|remote server returned|\b5\d\d[ -]5\.\d{1,2}\.\d{1,3}\b|user unknown|recipient address rejected|mailbox (unavailable|full)|address not found|adresse introuvable|la remise n'a pas abouti|diagnostic-code|host not found|hote introuvable",
    )
});
static SMTP_CODE: LazyLock<Regex> = LazyLock::new(|| {
    re(r"\b5\d\d[ -]5\.\d{1,2}\.\d{1,3}\b|diagnostic-code|remote server returned|status: 5\.\d")
});

static OOO_SUBJECT: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"^(re: ?|tr: ?|aw: ?)?(reponse automatique|reponse auto|automatic reply|auto(matic)?[- ]?reply|autoreply|auto[- ]response|out of (the )?office|absence\b|absent\b|abwesen|auto:|ooo\b|respuesta automatica|risposta automatica|message d'absence|notification d'absence|conges\b|vacances\b|on leave|away\b)",
    )
});
static OOO_BODY: LazyLock<Regex> = LazyLock::new(|| {
    re(concat!(
        r"je (suis|serai) (actuellement |desormais )?(absent|absente|en conges?|en vacances|en deplacement|en formation|en seminaire|en arret|en conge|hors du bureau|en dehors du bureau|indisponible|en rendez-vous exterieur|en reunion toute la journee)",
        r"|(absent|absente) (du bureau )?(jusqu'|du \d|le \d|a partir|cette semaine|pour)",
        r"|je participe a un seminaire|de retour le|je serai de retour|je reviendrai|des mon retour|a mon retour|n'aurai pas acces|acces (limite|restreint) a (ma messagerie|mes (e-?mails|mails|messages))",
        r"|ne consulterai pas|je ne fais plus partie|n'est plus (consultee|active|lue|surveillee)|ne travaille plus|a quitte (la societe|le cabinet|l'entreprise|le groupe)",
        r"|out of (the )?office|on (annual |parental |maternity |paternity |sick )?leave|on vacation|on holiday|away from (the office|my desk)|returning on|back (in the office )?on",
        r"|i will (respond|reply|be back|get back)|upon my return|on my return|limited access to (e-?mail|my e-?mails)|no access to e-?mail|no longer with|has left the company|(mailbox|address) is no longer (monitored|checked|active)",
        r"|will not be (forwarded|read)|ne sera pas (transfere|lu)|bureau (sera )?ferme|office (is |will be )?closed|fermeture (annuelle|estivale|exceptionnelle)|en conge maternite|congé maternite",
        r"|cette adresse n'est plus|this (mailbox|address) is no longer|en cas d'urgence|pour toute (demande )?urgen|for (any )?urgent (matters|requests|queries)|in case of (an )?emergency|in urgent cases"
    ))
});
static BULK_FOOTER: LazyLock<Regex> = LazyLock::new(|| {
    re(
        r"(vous recevez (ce|cette|cet)|you are receiving (this|these)|you received this (email|message) because|vous etes abonne|you subscribed|se desinscrire|gerer (mes|vos) preferences|manage (your )?(subscription|preferences|email preferences)|unsubscribe here|view (this email )?in (your )?browser|voir la version en ligne|version en ligne)",
    )
});

/// Strength of a "kind of message" decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AutoKind {
    /// Delivery-status report structure or a mail-system sender with failure wording.
    BounceHeader,
    /// Failure wording and SMTP codes without the report structure.
    BounceText,
    /// Automatic-reply headers and absence wording.
    OooHeader,
    /// Absence subject and absence wording, no headers.
    OooText,
    /// Several absence phrases in the text only.
    OooBody,
}

pub fn bounce(h: &HeaderEvidence, subject: &str, body: &str) -> Option<AutoKind> {
    let s = fold(subject);
    let b = fold(crate::text::truncate(body, 16 * 1024));
    if h.delivery_report {
        return Some(AutoKind::BounceHeader);
    }
    let subj = BOUNCE_SUBJECT.is_match(&s);
    let text = BOUNCE_BODY.is_match(&b);
    if h.from_mail_system && (subj || text) {
        return Some(AutoKind::BounceHeader);
    }
    if (subj || text) && SMTP_CODE.is_match(&b) {
        return Some(AutoKind::BounceText);
    }
    None
}

pub fn out_of_office(h: &HeaderEvidence, subject: &str, body: &str) -> Option<AutoKind> {
    let s = fold(subject);
    let b = fold(crate::text::truncate(body, 8 * 1024));
    let auto_header = h
        .auto_submitted
        .as_deref()
        .is_some_and(|v| v.starts_with("auto-replied") || v.starts_with("auto-generated"))
        || h.x_autoreply
        || h.precedence.as_deref() == Some("auto_reply");
    let subj = OOO_SUBJECT.is_match(s.trim());
    let cues = OOO_BODY.find_iter(&b).count();
    if (auto_header || h.x_auto_response_suppress) && (cues > 0 || subj) {
        return Some(AutoKind::OooHeader);
    }
    if subj && cues > 0 {
        return Some(AutoKind::OooText);
    }
    if cues >= 2 && b.len() < 1500 {
        return Some(AutoKind::OooBody);
    }
    None
}

/// Newsletters, mass invitations and other bulk mail.
pub fn is_bulk(h: &HeaderEvidence, body: &str) -> bool {
    matches!(h.precedence.as_deref(), Some("bulk" | "list" | "junk"))
        || h.list
        || BULK_FOOTER.is_match(&fold(crate::text::tail(body, 4 * 1024)))
}

/// Footer sentences of bulk mail ("pour vous désinscrire, cliquez ici") that must not count as
/// the sender's request.
pub fn is_footer_sentence(folded: &str) -> bool {
    BULK_FOOTER.is_match(folded)
        || folded.contains("cliquez ici")
        || folded.contains("click here")
        || folded.contains("pour vous desinscrire")
        || folded.contains("to unsubscribe")
        || folded.contains("si vous ne souhaitez plus recevoir")
        || folded.contains("if you no longer wish")
        || folded.contains("lien de desinscription")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounce_needs_structure_or_smtp_codes() {
        let report = HeaderEvidence {
            delivery_report: true,
            ..Default::default()
        };
        assert_eq!(bounce(&report, "x", ""), Some(AutoKind::BounceHeader));
        let daemon = HeaderEvidence {
            from_mail_system: true,
            ..Default::default()
        };
        assert_eq!(
            bounce(&daemon, "Undeliverable: hello", ""),
            Some(AutoKind::BounceHeader)
        );
        // phishing that only claims a mailbox problem
        assert_eq!(
            bounce(
                &HeaderEvidence::default(),
                "Your mailbox is full",
                "Click here to verify your account"
            ),
            None
        );
    }

    #[test]
    fn absence_needs_wording() {
        let auto = HeaderEvidence {
            auto_submitted: Some("auto-replied".into()),
            ..Default::default()
        };
        assert_eq!(
            out_of_office(
                &auto,
                "Réponse automatique : X",
                "Je suis absente jusqu'au 12 novembre."
            ),
            Some(AutoKind::OooHeader)
        );
        // a ticket acknowledgement with the same header is not an absence
        assert_eq!(
            out_of_office(
                &auto,
                "Ticket #123 reçu",
                "Votre demande a bien été enregistrée."
            ),
            None
        );
        assert_eq!(
            out_of_office(
                &HeaderEvidence::default(),
                "Point",
                "Je serai absent demain, pouvons-nous décaler ?"
            ),
            None
        );
    }
}
