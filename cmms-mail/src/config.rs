//! `CMMS_SMTP_URL` in cmms's words, translated to lettre's: cmms requires STARTTLS on
//! `smtp://` unless `?tls=none` says otherwise, where lettre would send in the clear.

use url::Url;

/// A mail setting that cannot work.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MailConfigError {
    /// The SMTP URL.
    #[error("CMMS_SMTP_URL is not a usable SMTP URL: {0}")]
    Url(String),
    /// The sender.
    #[error("CMMS_MAIL_FROM is not a mail address: {0:?}")]
    From(String),
}

/// The lettre connection URL for a cmms SMTP URL.
///
/// ```
/// use cmms_mail::lettre_url;
/// assert_eq!(lettre_url("smtp://u:p@mail.test:587").unwrap(), "smtp://u:p@mail.test:587?tls=required");
/// assert_eq!(lettre_url("smtp://127.0.0.1:2525?tls=none").unwrap(), "smtp://127.0.0.1:2525");
/// assert!(lettre_url("http://mail.test").is_err());
/// ```
pub fn lettre_url(url: &str) -> Result<String, MailConfigError> {
    // The message names the scheme and host only: the URL may hold a password.
    let mut u = Url::parse(url).map_err(|e| MailConfigError::Url(e.to_string()))?;
    if u.host_str().is_none_or(str::is_empty) {
        return Err(MailConfigError::Url("no host".into()));
    }
    let tls = u.query_pairs().find(|(k, _)| k == "tls").map(|(_, v)| v.into_owned());
    let wanted = match (u.scheme(), tls.as_deref()) {
        ("smtp", None | Some("required")) => Some("required"),
        ("smtp", Some("opportunistic")) => Some("opportunistic"),
        ("smtp", Some("none")) => None,
        ("smtps", None) => None,
        (scheme, tls) => {
            return Err(MailConfigError::Url(format!(
                "scheme {scheme:?} with tls={tls:?}: use smtp:// (STARTTLS), smtps:// (TLS) or \
                 smtp://...?tls=none (loopback only)"
            )));
        }
    };
    let others: Vec<(String, String)> = u
        .query_pairs()
        .filter(|(k, _)| k != "tls")
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    u.set_query(None);
    if !others.is_empty() || wanted.is_some() {
        let mut q = u.query_pairs_mut();
        for (k, v) in &others {
            q.append_pair(k, v);
        }
        if let Some(t) = wanted {
            q.append_pair("tls", t);
        }
    }
    Ok(u.to_string())
}
