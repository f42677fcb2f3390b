//! API tokens (salted hashes only) and the export audit log on PostgreSQL. A token's creation
//! and revocation add a `tokens` row to the change log in the same transaction, as the SQLite
//! store's triggers do, so every replica learns of a revocation.

use super::{log_change, PgStore};
use crate::store::{AuditEntry, AuditStore, Result, StoredToken, TokenStore};

impl TokenStore for PgStore {
    fn create_token(
        &self,
        name: &str,
        role: &str,
        salt: &str,
        hash: &str,
        now: i64,
    ) -> Result<i64> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let id: i64 = tx
            .query_one(
                "INSERT INTO tokens(name, role, salt, hash, created_at) VALUES ($1, $2, $3, $4, $5)
                 RETURNING id",
                &[&name, &role, &salt, &hash, &now],
            )?
            .get(0);
        log_change(&mut tx, "tokens", Some(id))?;
        tx.commit()?;
        Ok(id)
    }

    fn tokens(&self) -> Result<Vec<StoredToken>> {
        let rows = self.client()?.query(
            "SELECT id, name, role, salt, hash, created_at, revoked_at FROM tokens ORDER BY id DESC",
            &[],
        )?;
        Ok(rows
            .iter()
            .map(|r| StoredToken {
                id: r.get(0),
                name: r.get(1),
                role: r.get(2),
                salt: r.get(3),
                hash: r.get(4),
                created_at: r.get(5),
                revoked_at: r.get(6),
            })
            .collect())
    }

    fn revoke_token(&self, id: i64, now: i64) -> Result<bool> {
        let mut client = self.client()?;
        let mut tx = client.transaction()?;
        let n = tx.execute(
            "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL",
            &[&id, &now],
        )?;
        if n == 1 {
            log_change(&mut tx, "tokens", Some(id))?;
        }
        tx.commit()?;
        Ok(n == 1)
    }
}

impl AuditStore for PgStore {
    fn record_audit(&self, e: &AuditEntry) -> Result<i64> {
        Ok(self
            .client()?
            .query_one(
                "INSERT INTO audit(at, actor, role, action, collection, format, query, features)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    &e.at,
                    &e.actor,
                    &e.role,
                    &e.action,
                    &e.collection,
                    &e.format,
                    &e.query,
                    &e.features,
                ],
            )?
            .get(0))
    }

    fn audit(&self, limit: usize, offset: usize) -> Result<(Vec<AuditEntry>, i64)> {
        let mut client = self.client()?;
        let total: i64 = client.query_one("SELECT count(*) FROM audit", &[])?.get(0);
        let rows = client.query(
            "SELECT id, at, actor, role, action, collection, format, query, features
             FROM audit ORDER BY id DESC LIMIT $1 OFFSET $2",
            &[&(limit as i64), &(offset as i64)],
        )?;
        let entries = rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                at: r.get(1),
                actor: r.get(2),
                role: r.get(3),
                action: r.get(4),
                collection: r.get(5),
                format: r.get(6),
                query: r.get(7),
                features: r.get(8),
            })
            .collect();
        Ok((entries, total))
    }
}
