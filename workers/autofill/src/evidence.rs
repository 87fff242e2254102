//! Which emails may serve as evidence: never bulk or automated mail, nor mail from role or no-reply
//! addresses, whose signatures describe a department or a robot rather than a person.

use crate::domain;

/// Why an email is not used as evidence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// Sent by us (the mailbox's own address or a sent folder).
    Outbound,
    /// Bulk or automated per its headers (`List-Id`, `List-Unsubscribe`, `Precedence`, `Auto-Submitted`).
    Automated,
    /// A bounce, an out-of-office or an unsubscribe request (the analyser's intent).
    AutomatedIntent,
    /// `noreply@`, `support@`, `info@`…
    RoleAddress,
    NoSender,
    /// Nothing in the signature, nothing to propose.
    NoSignature,
}

/// Local parts of shared or robot mailboxes (compared without separators: `no-reply`, `no_reply` and
/// `noreply` are one).
const ROLE_LOCAL_PARTS: &[&str] = &[
    "noreply",
    "donotreply",
    "nepasrepondre",
    "mailerdaemon",
    "postmaster",
    "bounce",
    "bounces",
    "notification",
    "notifications",
    "alert",
    "alerts",
    "newsletter",
    "news",
    "marketing",
    "info",
    "infos",
    "information",
    "contact",
    "contacts",
    "hello",
    "bonjour",
    "support",
    "help",
    "helpdesk",
    "service",
    "serviceclient",
    "customerservice",
    "sales",
    "commercial",
    "admin",
    "administration",
    "office",
    "accueil",
    "secretariat",
    "team",
    "equipe",
    "rh",
    "hr",
    "jobs",
    "recrutement",
    "compta",
    "comptabilite",
    "accounting",
    "billing",
    "facturation",
    "invoice",
    "invoices",
    "webmaster",
    "root",
    "security",
    "abuse",
    "privacy",
    "dpo",
    "rgpd",
    "gdpr",
    "legal",
    "juridique",
    "press",
    "presse",
    "media",
    "communication",
];

/// True for role and robot mailboxes (`info@`, `no-reply@`, `support+fr@`…).
pub fn is_role_address(address: &str) -> bool {
    let Some((local, _)) = address.rsplit_once('@') else {
        return false;
    };
    let local = local.split('+').next().unwrap_or(local).to_lowercase();
    let squashed: String = local.chars().filter(|c| c.is_alphanumeric()).collect();
    ROLE_LOCAL_PARTS.contains(&squashed.as_str())
        || squashed.starts_with("noreply")
        || squashed.starts_with("donotreply")
}

/// Intents of automated mail.
const AUTOMATED_INTENTS: &[&str] = &["bounce", "out_of_office", "unsubscribe"];

/// The facts of a stored email that decide whether it is evidence.
#[derive(Debug, Clone, Copy)]
pub struct EmailFacts<'a> {
    pub inbound: bool,
    pub automated: Option<&'a str>,
    pub from_address: Option<&'a str>,
    pub intent: &'a str,
}

/// Why `email` cannot be evidence, or `None` when it can.
pub fn skip_reason(email: &EmailFacts<'_>) -> Option<SkipReason> {
    if !email.inbound {
        return Some(SkipReason::Outbound);
    }
    if email.automated.is_some() {
        return Some(SkipReason::Automated);
    }
    if AUTOMATED_INTENTS.contains(&email.intent) {
        return Some(SkipReason::AutomatedIntent);
    }
    let Some(from) = email.from_address.filter(|a| a.contains('@')) else {
        return Some(SkipReason::NoSender);
    };
    if is_role_address(from) {
        return Some(SkipReason::RoleAddress);
    }
    None
}

/// Consumer mailbox providers: a sender there says nothing about an employer, so no organisation is
/// ever linked from such a domain. Compared on the registrable domain; a provider with many country
/// domains (`yahoo.fr`, `gmx.de`) is matched by its name label.
const FREE_MAIL_DOMAINS: &[&str] = &[
    "gmail.com",
    "googlemail.com",
    "orange.fr",
    "wanadoo.fr",
    "free.fr",
    "sfr.fr",
    "neuf.fr",
    "laposte.net",
    "bbox.fr",
    "numericable.fr",
    "club-internet.fr",
    "aliceadsl.fr",
    "noos.fr",
    "cegetel.net",
    "9online.fr",
    "me.com",
    "mac.com",
    "icloud.com",
    "msn.com",
    "proton.me",
    "protonmail.com",
    "pm.me",
    "tutanota.com",
    "mail.com",
    "zoho.com",
    "fastmail.com",
    "mail.ru",
    "web.de",
    "t-online.de",
    "freenet.de",
    "libero.it",
    "virgilio.it",
    "tiscali.it",
    "skynet.be",
    "telenet.be",
    "bluewin.ch",
    "hispeed.ch",
    "qq.com",
    "163.com",
    "naver.com",
];

/// Providers present under many country domains, matched by the label before the public suffix.
const FREE_MAIL_NAMES: &[&str] = &[
    "gmx",
    "yahoo",
    "ymail",
    "hotmail",
    "outlook",
    "live",
    "aol",
    "yandex",
    "rocketmail",
];

/// True when `domain` (of an address or a website) is a consumer mailbox provider.
pub fn is_free_mail(domain: &str) -> bool {
    let Some(registrable) = domain::registrable(domain) else {
        return false;
    };
    if FREE_MAIL_DOMAINS.contains(&registrable.as_str()) {
        return true;
    }
    let label = registrable.split('.').next().unwrap_or_default();
    FREE_MAIL_NAMES.contains(&label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts<'a>(from: &'a str, automated: Option<&'a str>, intent: &'a str) -> EmailFacts<'a> {
        EmailFacts {
            inbound: true,
            automated,
            from_address: Some(from),
            intent,
        }
    }

    #[test]
    fn role_and_robot_addresses_are_recognised() {
        for a in [
            "noreply@x.fr",
            "no-reply@x.fr",
            "No_Reply@x.fr",
            "ne-pas-repondre@banque.fr",
            "info@gestion.fr",
            "support+fr@saas.io",
            "contact@cabinet.fr",
            "noreply-alerts@bank.com",
            "MAILER-DAEMON@mx.example.com",
        ] {
            assert!(is_role_address(a), "{a}");
        }
        for a in [
            "jeanne.martin@gestion.fr",
            "info.martin@x.fr",
            "sales.director@x.com",
            "not-an-address",
        ] {
            assert!(!is_role_address(a), "{a}");
        }
    }

    #[test]
    fn bulk_automated_and_role_mail_is_skipped() {
        assert_eq!(
            skip_reason(&facts("jeanne@gestion.fr", None, "other")),
            None
        );
        assert_eq!(
            skip_reason(&facts("jeanne@gestion.fr", Some("list"), "other")),
            Some(SkipReason::Automated)
        );
        assert_eq!(
            skip_reason(&facts("jeanne@gestion.fr", None, "out_of_office")),
            Some(SkipReason::AutomatedIntent)
        );
        assert_eq!(
            skip_reason(&facts("info@gestion.fr", None, "other")),
            Some(SkipReason::RoleAddress)
        );
        let mut f = facts("jeanne@gestion.fr", None, "other");
        f.inbound = false;
        assert_eq!(skip_reason(&f), Some(SkipReason::Outbound));
        f.inbound = true;
        f.from_address = None;
        assert_eq!(skip_reason(&f), Some(SkipReason::NoSender));
    }

    #[test]
    fn free_mail_domains_are_known_in_every_country() {
        for d in [
            "gmail.com",
            "orange.fr",
            "gmx.de",
            "gmx.fr",
            "yahoo.co.uk",
            "mail.yahoo.fr",
            "hotmail.fr",
            "outlook.com",
            "wanadoo.fr",
            "laposte.net",
        ] {
            assert!(is_free_mail(d), "{d}");
        }
        for d in ["amundi.com", "oddo-bhf.com", "example.co.uk", "gestion.fr"] {
            assert!(!is_free_mail(d), "{d}");
        }
    }
}
