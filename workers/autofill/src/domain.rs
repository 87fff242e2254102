//! Registrable domains (the public-suffix list's "eTLD+1"): `www.gestion.co.uk` and
//! `jeanne@mail.gestion.co.uk` both belong to `gestion.co.uk`.

/// The registrable domain of a host name, lower-cased; `None` for a bare public suffix, an IP address or
/// something that is not a host name.
pub fn registrable(host: &str) -> Option<String> {
    let host = host.trim().trim_end_matches('.').to_lowercase();
    if host.is_empty() || host.parse::<std::net::IpAddr>().is_ok() {
        return None;
    }
    // Internationalised names are compared in their ASCII form.
    let ascii = url::Host::parse(&host).ok().and_then(|h| match h {
        url::Host::Domain(d) => Some(d),
        _ => None,
    })?;
    psl::domain_str(&ascii).map(str::to_owned)
}

/// The registrable domain of an email address.
pub fn of_address(address: &str) -> Option<String> {
    registrable(address.rsplit_once('@')?.1)
}

/// The registrable domain of a website, written with or without a scheme (`www.x.fr`, `https://x.fr/a`).
pub fn of_website(website: &str) -> Option<String> {
    let w = website.trim();
    let with_scheme = if w.contains("://") {
        w.to_owned()
    } else {
        format!("https://{w}")
    };
    let url = url::Url::parse(&with_scheme).ok()?;
    registrable(url.host_str()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registrable_domains_follow_the_public_suffix_list() {
        assert_eq!(
            registrable("www.gestion.co.uk").as_deref(),
            Some("gestion.co.uk")
        );
        assert_eq!(
            registrable("Mail.Amundi.COM.").as_deref(),
            Some("amundi.com")
        );
        assert_eq!(registrable("co.uk"), None);
        assert_eq!(registrable("127.0.0.1"), None);
        assert_eq!(
            of_address("j.martin@mail.oddo-bhf.com").as_deref(),
            Some("oddo-bhf.com")
        );
        assert_eq!(of_address("no-at-sign"), None);
        assert_eq!(
            of_website("https://www.lazard.fr/fr/").as_deref(),
            Some("lazard.fr")
        );
        assert_eq!(of_website("lazard.fr").as_deref(), Some("lazard.fr"));
        assert!(of_website("société-générale.fr").is_some_and(|d| d.starts_with("xn--")));
        assert_eq!(
            of_address("x@société-générale.fr"),
            of_website("https://société-générale.fr")
        );
    }
}
