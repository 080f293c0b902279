//! A short-lived cache of callers (`Actor`: user, grants, teams) by access token subject.
//! Building an actor costs three store reads, more than many requests' own work; with the
//! cache a burst of requests from one user builds it once. A change to a user's roles, teams
//! or active flag reaches their access tokens within the cache's lifetime (default 2 s;
//! `CMMS_ACTOR_CACHE_MS=0` turns it off). API keys are not cached.

use cmms_core::{Actor, OrgId, UserId};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Most callers kept; past it, expired entries go, then everything (rebuilt on demand).
const MAX_ENTRIES: usize = 50_000;

/// Callers by (organization, user), each with the time it was built.
#[derive(Debug)]
pub struct ActorCache {
    ttl: Duration,
    map: Mutex<HashMap<(OrgId, UserId), (Instant, Actor)>>,
}

impl ActorCache {
    /// A cache keeping actors for `ttl` (zero: no caching).
    pub fn new(ttl: Duration) -> Self {
        Self { ttl, map: Mutex::default() }
    }

    /// The cached actor, if built less than `ttl` ago.
    pub fn get(&self, org: OrgId, user: UserId) -> Option<Actor> {
        if self.ttl.is_zero() {
            return None;
        }
        let map = self.map.lock().ok()?;
        let (at, actor) = map.get(&(org, user))?;
        (at.elapsed() < self.ttl).then(|| actor.clone())
    }

    /// Keeps `actor` (built just now).
    pub fn put(&self, org: OrgId, user: UserId, actor: &Actor) {
        if self.ttl.is_zero() {
            return;
        }
        let Ok(mut map) = self.map.lock() else { return };
        if map.len() >= MAX_ENTRIES {
            let ttl = self.ttl;
            map.retain(|_, (at, _)| at.elapsed() < ttl);
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert((org, user), (Instant::now(), actor.clone()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_expire_and_zero_disables() {
        let (org, user) = (OrgId::new(), UserId::new());
        let actor = Actor::system(org);
        let cache = ActorCache::new(Duration::from_millis(30));
        cache.put(org, user, &actor);
        assert!(cache.get(org, user).is_some());
        assert!(cache.get(org, UserId::new()).is_none());
        std::thread::sleep(Duration::from_millis(40));
        assert!(cache.get(org, user).is_none(), "expired");
        let off = ActorCache::new(Duration::ZERO);
        off.put(org, user, &actor);
        assert!(off.get(org, user).is_none());
    }
}
