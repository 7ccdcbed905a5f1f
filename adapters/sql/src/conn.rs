//! Where a statement runs: a connection taken from the pool for one operation, or the
//! connection of an open transaction. Statements are built once and run through
//! [`on_conn!`](crate::on_conn) on either.

use tokio::sync::MappedMutexGuard;

/// A connection checked out of the pool for one operation.
pub(crate) enum Pooled {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::pool::PoolConnection<sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sqlx::pool::PoolConnection<sqlx::MySql>),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
}

/// The connection of an open transaction (owned: it returns to the pool when dropped, after
/// sqlx has queued the rollback of an unfinished transaction).
pub(crate) enum TxConn {
    #[cfg(feature = "postgres")]
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
    #[cfg(feature = "mysql")]
    MySql(sqlx::Transaction<'static, sqlx::MySql>),
    #[cfg(feature = "sqlite")]
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
}

impl TxConn {
    pub(crate) async fn commit(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "postgres")]
            TxConn::Postgres(tx) => tx.commit().await,
            #[cfg(feature = "mysql")]
            TxConn::MySql(tx) => tx.commit().await,
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(tx) => tx.commit().await,
        }
    }

    pub(crate) async fn rollback(self) -> Result<(), sqlx::Error> {
        match self {
            #[cfg(feature = "postgres")]
            TxConn::Postgres(tx) => tx.rollback().await,
            #[cfg(feature = "mysql")]
            TxConn::MySql(tx) => tx.rollback().await,
            #[cfg(feature = "sqlite")]
            TxConn::Sqlite(tx) => tx.rollback().await,
        }
    }
}

/// The connection one operation runs on.
pub(crate) enum Conn<'a> {
    Pooled(Pooled),
    /// The transaction's connection, locked for the operation.
    Tx(MappedMutexGuard<'a, TxConn>),
}

/// The backend connection underneath a [`Conn`].
pub(crate) enum ConnRef<'a> {
    #[cfg(feature = "postgres")]
    Postgres(&'a mut sqlx::PgConnection),
    #[cfg(feature = "mysql")]
    MySql(&'a mut sqlx::MySqlConnection),
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
}

impl Conn<'_> {
    pub(crate) fn get(&mut self) -> ConnRef<'_> {
        match self {
            Conn::Pooled(pooled) => match pooled {
                #[cfg(feature = "postgres")]
                Pooled::Postgres(c) => ConnRef::Postgres(c),
                #[cfg(feature = "mysql")]
                Pooled::MySql(c) => ConnRef::MySql(c),
                #[cfg(feature = "sqlite")]
                Pooled::Sqlite(c) => ConnRef::Sqlite(c),
            },
            Conn::Tx(tx) => match &mut **tx {
                #[cfg(feature = "postgres")]
                TxConn::Postgres(c) => ConnRef::Postgres(c),
                #[cfg(feature = "mysql")]
                TxConn::MySql(c) => ConnRef::MySql(c),
                #[cfg(feature = "sqlite")]
                TxConn::Sqlite(c) => ConnRef::Sqlite(c),
            },
        }
    }
}

/// Runs the same code on whichever backend connection `$conn` (a [`Conn`]) holds; `$c` is bound
/// to it as `&mut <Backend>Connection` (use it as `&mut *$c`, an executor).
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {{
        let mut held: $crate::conn::Conn<'_> = $conn;
        match held.get() {
            #[cfg(feature = "postgres")]
            $crate::conn::ConnRef::Postgres($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::conn::ConnRef::MySql($c) => $body,
            #[cfg(feature = "sqlite")]
            $crate::conn::ConnRef::Sqlite($c) => $body,
        }
    }};
}
pub(crate) use on_conn;
