//! A deterministic generator of seeded work orders: two years of work ending at a fixed date,
//! spread over an organization's 5 sites and ~55 users, with statuses by age (old work is
//! mostly closed, recent work open or in progress), due dates on most, and titles from small
//! word lists so a text search for a common word ("pump") matches about one in eight, a medium
//! word ("gasket") one in 200 and a rare word ("impeller") one in 10,000.
//! The same seed always gives the same rows, so runs and stores compare like with like.

use crate::fixture::Org;
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use cmms_core::WorkOrderId;
use cmms_core::domain::status::WorkOrderStatus as S;
use cmms_core::domain::work_order::{FailureReport, Priority, WorkOrder, WorkOrderType};

/// The word every eighth title carries (the "common word" text search).
pub const COMMON_WORD: &str = "pump";
/// A word no title, description or number contains (the "no match" text search).
pub const NO_MATCH_WORD: &str = "zeppelin";
/// A word one title in [`RARE_EVERY`] carries (the "rare word" text search).
pub const RARE_WORD: &str = "impeller";
/// How many work orders per title with [`RARE_WORD`].
pub const RARE_EVERY: u64 = 10_000;
/// A word one title in [`MEDIUM_EVERY`] carries (0.5 %: too rare to fill a page within
/// SQLite's first-phase walk of 2,000 rows, common enough to make the index return thousands).
pub const MEDIUM_WORD: &str = "gasket";
/// How many work orders per title with [`MEDIUM_WORD`].
pub const MEDIUM_EVERY: u64 = 200;

const VERBS: [&str; 6] = ["Replace", "Inspect", "Repair", "Lubricate", "Calibrate", "Clean"];
const THINGS: [&str; 8] = [
    "pump seal",
    "conveyor belt",
    "air filter",
    "gearbox",
    "boiler valve",
    "chiller",
    "press",
    "fan",
];

/// The end of the seeded two years (fixed, so seeds are reproducible).
pub fn seed_end() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).single().expect("valid date")
}

/// splitmix64: a tiny, good-enough deterministic PRNG.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }
}

fn status_by_age(age_days: i64, r: u64) -> S {
    let pick = |table: &[(u64, S)]| {
        let mut acc = 0;
        for (w, s) in table {
            acc += w;
            if r % 100 < acc {
                return *s;
            }
        }
        S::Closed
    };
    if age_days > 90 {
        pick(&[(80, S::Closed), (10, S::Cancelled), (5, S::Verified), (5, S::Completed)])
    } else if age_days > 30 {
        pick(&[
            (30, S::Closed),
            (30, S::Completed),
            (15, S::InProgress),
            (5, S::OnHold),
            (10, S::Assigned),
            (10, S::Cancelled),
        ])
    } else {
        pick(&[
            (20, S::Open),
            (30, S::Assigned),
            (25, S::InProgress),
            (10, S::OnHold),
            (10, S::Requested),
            (5, S::Completed),
        ])
    }
}

/// Work orders number `n` of `total` for `org`, as the store would hold it after its history.
/// `counters` tracks the per-year human numbers.
pub fn work_order(
    org: &Org,
    n: u64,
    total: u64,
    rng: &mut Rng,
    counters: &mut Vec<(i32, i64)>,
) -> WorkOrder {
    let end = seed_end();
    let span = Duration::days(730).num_microseconds().unwrap_or(i64::MAX);
    let step = span / total.max(1) as i64;
    let created = end - Duration::microseconds(span - step * n as i64);
    let age = (end - created).num_days();
    let status = status_by_age(age, rng.next_u64());
    let year = created.year();
    let seq = match counters.iter_mut().find(|(y, _)| *y == year) {
        Some((_, c)) => {
            *c += 1;
            *c
        }
        None => {
            counters.push((year, 1));
            1
        }
    };
    let users = &org.users;
    let staffed = !matches!(status, S::Open | S::Requested);
    let mut assignees = Vec::new();
    if staffed {
        assignees.push(users[1 + rng.below(users.len() as u64 - 1) as usize]);
        if rng.below(4) == 0 {
            let second = users[1 + rng.below(users.len() as u64 - 1) as usize];
            if !assignees.contains(&second) {
                assignees.push(second);
            }
        }
    }
    let thing = THINGS[rng.below(THINGS.len() as u64) as usize];
    let verb = VERBS[rng.below(VERBS.len() as u64) as usize];
    let bay = rng.below(40);
    // By position, not by draw, so the other columns stay what they were.
    let title = if n % RARE_EVERY == RARE_EVERY / 2 {
        format!("{verb} {RARE_WORD} in bay {bay}")
    } else if n % MEDIUM_EVERY == MEDIUM_EVERY / 3 {
        format!("{verb} {thing} {MEDIUM_WORD} in bay {bay}")
    } else {
        format!("{verb} {thing} in bay {bay}")
    };
    let description = (rng.below(3) > 0)
        .then(|| format!("Reported by operator on shift {}; check and report back.", rng.below(3)));
    let due_at = (rng.below(10) < 7).then(|| created + Duration::days(1 + rng.below(30) as i64));
    let started =
        matches!(status, S::InProgress | S::OnHold | S::Completed | S::Verified | S::Closed);
    let done = matches!(status, S::Completed | S::Verified | S::Closed);
    let actual_start = started.then(|| created + Duration::hours(2 + rng.below(48) as i64));
    let actual_end = match (done, actual_start) {
        (true, Some(s)) => Some(s + Duration::hours(1 + rng.below(12) as i64)),
        _ => None,
    };
    let verified = matches!(status, S::Verified | S::Closed);
    let verified_at = if verified { actual_end.map(|e| e + Duration::hours(4)) } else { None };
    let closed_at =
        if status == S::Closed { verified_at.map(|v| v + Duration::days(1)) } else { None };
    let cancelled_at = (status == S::Cancelled).then(|| created + Duration::days(2));
    let updated_at = [closed_at, verified_at, actual_end, actual_start, cancelled_at]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(created)
        .min(end);
    let version = 1
        + i64::from(started)
        + i64::from(done)
        + i64::from(verified)
        + i64::from(status == S::Closed)
        + i64::from(status == S::Cancelled);
    let requester = users[rng.below(users.len() as u64) as usize];
    let priority =
        [Priority::Low, Priority::Medium, Priority::Medium, Priority::High, Priority::Urgent]
            [rng.below(5) as usize];
    let wo_type = [WorkOrderType::Corrective, WorkOrderType::Preventive, WorkOrderType::Inspection]
        [rng.below(3) as usize];
    // UUID v7 from the creation time and the generator's bits: ids sort like creation times.
    let ms = u64::try_from(created.timestamp_millis()).unwrap_or_default();
    let rand: [u8; 10] = {
        let a = rng.next_u64().to_le_bytes();
        let b = rng.next_u64().to_le_bytes();
        [a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], b[0], b[1]]
    };
    let id = uuid::Builder::from_unix_timestamp_millis(ms, &rand).into_uuid();
    WorkOrder {
        id: WorkOrderId::from(id),
        org_id: org.id,
        number: format!("WO-{year:04}-{seq:05}"),
        title,
        description,
        wo_type,
        priority,
        category: None,
        status,
        site_id: org.sites[(n % org.sites.len() as u64) as usize],
        location_id: None,
        asset_id: None,
        assignees,
        team_id: None,
        requested_by: Some(requester),
        created_by: Some(requester),
        request_id: None,
        pm_plan_id: None,
        pm_slot_id: None,
        due_at,
        estimated_hours: Some(f64::from(1 + rng.below(8) as u32)),
        actual_start,
        actual_end,
        verified_by: verified.then(|| org.owner_id()),
        verified_at,
        closed_at,
        completion_notes: done.then(|| "Done, tested under load.".to_string()),
        failure: FailureReport::default(),
        attachments: Vec::new(),
        created_at: created,
        updated_at,
        version,
    }
}

/// The seeding plan: `total` work orders for `org`, generated in batches.
#[derive(Debug)]
pub struct Plan<'a> {
    org: &'a Org,
    total: u64,
    next: u64,
    rng: Rng,
    /// Per-year counter values drawn so far (for `org_counters`).
    pub counters: Vec<(i32, i64)>,
}

impl<'a> Plan<'a> {
    /// A plan for `total` work orders of `org`.
    pub fn new(org: &'a Org, total: u64) -> Self {
        Self { org, total, next: 0, rng: Rng::new(0xC0FFEE ^ total), counters: Vec::new() }
    }

    /// The next batch of up to `size` work orders; empty at the end.
    pub fn batch(&mut self, size: u64) -> Vec<WorkOrder> {
        let end = (self.next + size).min(self.total);
        let out = (self.next..end)
            .map(|n| work_order(self.org, n, self.total, &mut self.rng, &mut self.counters))
            .collect();
        self.next = end;
        out
    }
}
