//! What the server's operator does from a shell: create an organisation with its owner.

use crate::ServerError;

/// A new organisation and its owner's one-time password (shown once; the owner changes it
/// at first sign-in).
#[derive(Debug, Clone)]
pub struct CreatedOrg {
    pub org_id: i64,
    pub owner_email: String,
    pub one_time_password: String,
}

/// Creates an organisation named `name` whose owner signs in as `owner_email`.
pub async fn create_org(pool: &deadpool_postgres::Pool, name: &str, owner_email: &str) -> Result<CreatedOrg, ServerError> {
    let (name, email) = (name.trim(), owner_email.trim().to_lowercase());
    if name.is_empty() {
        return Err(ServerError::Invalid("the organisation needs a name".into()));
    }
    if !email.contains('@') {
        return Err(ServerError::Invalid(format!("{email:?} is not an email address")));
    }
    let password = crate::auth::one_time_password();
    let hash = crate::auth::hash_blocking(password.clone()).await;
    let mut client = pool.get().await?;
    let tx = client.transaction().await?;
    if tx.query_opt("SELECT 1 FROM member WHERE email = $1", &[&email]).await?.is_some() {
        return Err(ServerError::Invalid(format!("{email} is already a member of an organisation")));
    }
    let org_id: i64 = tx.query_one("INSERT INTO org (name) VALUES ($1) RETURNING id", &[&name]).await?.get(0);
    let member_id: i64 = tx
        .query_one("INSERT INTO member (org_id, email, role, password_hash) VALUES ($1, $2, 'owner', $3) RETURNING id", &[&org_id, &email, &hash])
        .await?
        .get(0);
    tx.execute("INSERT INTO audit (org_id, member_id, action, target) VALUES ($1, $2, 'create-org', $3)", &[&org_id, &member_id, &name]).await?;
    tx.commit().await?;
    Ok(CreatedOrg { org_id, owner_email: email, one_time_password: password })
}
