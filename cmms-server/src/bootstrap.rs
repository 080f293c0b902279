//! Creating organizations with their owner from the command line: the first one on an empty
//! database when the server starts, and more with `cmms create-admin`.

use cmms_core::domain::org::NewOrg;
use cmms_core::service::Bootstrapped;
use cmms_core::{Actor, Cmms, CmmsError};

/// A new organization's owner and how they log in.
#[derive(Debug, Clone)]
pub struct FirstLogin {
    /// What was created.
    pub created: Bootstrapped,
    /// The owner's password.
    pub password: String,
    /// Whether the password was generated here (and must be shown once).
    pub generated: bool,
}

impl FirstLogin {
    /// The lines to print for the operator.
    pub fn describe(&self) -> String {
        let note = if self.generated { "   (generated: shown only this once)" } else { "" };
        format!(
            "created organization \"{}\" with its owner\n  org:      {}   (id {})\n  email:    {}\n  password: {}{note}\nlog in: POST /api/v1/auth/login {{\"org\": \"{}\", \"email\": \"{}\", \"password\": \"...\"}}",
            self.created.org.name,
            self.created.org.slug,
            self.created.org.id,
            self.created.owner.email,
            self.password,
            self.created.org.slug,
            self.created.owner.email,
        )
    }
}

/// A random password of 20 URL-safe characters (120 bits).
pub fn generate_password() -> Result<String, CmmsError> {
    use base64::Engine;
    let mut bytes = [0u8; 15];
    getrandom::fill(&mut bytes).map_err(|e| CmmsError::store(format!("no randomness: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Creates an organization and its owner with a password (`password`, or a generated one).
pub async fn create_org_with_owner(
    cmms: &Cmms,
    org_name: &str,
    owner_name: &str,
    email: &str,
    password: Option<&str>,
) -> Result<FirstLogin, CmmsError> {
    let (password, generated) = match password {
        Some(p) => (p.to_string(), false),
        None => (generate_password()?, true),
    };
    // Check the password against the policy before anything is written.
    cmms.auth_settings().check_password("password", &password)?;
    let created = cmms
        .bootstrap_org(NewOrg {
            name: org_name.into(),
            owner_name: owner_name.into(),
            owner_email: email.into(),
            ..NewOrg::default()
        })
        .await?;
    cmms.set_password(&Actor::system(created.org.id), created.owner.id, &password).await?;
    Ok(FirstLogin { created, password, generated })
}

/// On a database with no organization, creates the first one with its owner; `None` when the
/// database already has one. (Two replicas starting on one empty database at the same moment
/// could each create one; start the first replica alone, or use `cmms create-admin`.)
pub async fn first_org(
    cmms: &Cmms,
    org_name: &str,
    email: &str,
    password: Option<&str>,
) -> Result<Option<FirstLogin>, CmmsError> {
    if !cmms.store().list_org_ids().await?.is_empty() {
        return Ok(None);
    }
    create_org_with_owner(cmms, org_name, "Owner", email, password).await.map(Some)
}
