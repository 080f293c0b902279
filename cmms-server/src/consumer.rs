//! The loop every outbox consumer of the server runs (notifications, webhooks), on every
//! replica: a run every tick for every organization, and promptly after commits for the
//! organizations they touched (it wakes on the store's broadcast), in its own task so no
//! request ever waits for it. Core makes concurrent runs safe (versioned cursors and leases).

use crate::state::AppState;
use cmms_core::OrgId;
use std::future::Future;
use std::time::Duration;
use tokio::sync::broadcast::error::{RecvError, TryRecvError};

/// How long a run in progress may go on once the server stops; after that it is dropped
/// (each of its commits is atomic, and a claim it held expires with its lease).
const STOP_GRACE: Duration = Duration::from_secs(5);

/// Runs `deliver` (over `None` = every organization, or the ones recent commits touched)
/// until the server stops.
pub(crate) async fn run<F, Fut>(state: AppState, name: &'static str, mut deliver: F)
where
    F: FnMut(AppState, Option<Vec<OrgId>>) -> Fut,
    Fut: Future<Output = ()>,
{
    let mut tick = crate::jobs::ticker(&state);
    let mut commits = state.cmms().store().subscribe();
    let stopping = state.stopping();
    tokio::pin!(stopping);
    loop {
        let orgs: Option<Vec<OrgId>> = tokio::select! {
            () = &mut stopping => break,
            _ = tick.tick() => None,
            r = commits.recv() => match r {
                Ok(batch) => {
                    // Commits that arrived meanwhile are served by the same run.
                    let mut orgs = vec![batch.org_id];
                    loop {
                        match commits.try_recv() {
                            Ok(b) if !orgs.contains(&b.org_id) => orgs.push(b.org_id),
                            Ok(_) => {}
                            Err(TryRecvError::Lagged(_)) => break None,
                            Err(_) => break Some(orgs),
                        }
                    }
                }
                // Missed some: look at every organization.
                Err(RecvError::Lagged(_)) => None,
                Err(RecvError::Closed) => {
                    // No more live commits: the tick alone drives it from now on.
                    commits = state.cmms().store().subscribe();
                    tick.tick().await;
                    None
                }
            },
        };
        let run = deliver(state.clone(), orgs);
        tokio::pin!(run);
        tokio::select! {
            () = &mut run => {}
            () = &mut stopping => {
                if tokio::time::timeout(STOP_GRACE, run).await.is_err() {
                    tracing::warn!("{name}: run cut short by shutdown");
                }
                break;
            }
        }
    }
    tracing::debug!("{name} stopped");
}
