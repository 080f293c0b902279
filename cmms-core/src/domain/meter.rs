//! Meters on assets and their readings: what a reading may be, and where it goes.
//!
//! An **accumulating** meter (run hours, kilometres, cycles, kWh) only counts up: a reading lower
//! than the one before it is refused unless it is recorded as a **reset** (the meter was
//! replaced, reset or rolled over). Each reading also carries the meter's `total`, the usage
//! since the meter was first read (resets add the value before them), which is what usage-based
//! PM counts. A reset must be the meter's latest reading, and a reading older than the latest
//! reset is refused: either would change the totals of readings already recorded. A **gauge**
//! (temperature, vibration, pressure) measures a value that goes up and down; its total is the
//! value. Readings may arrive in batches and out of order; they are placed by `taken_at`. A
//! reading at the same instant as a stored one with the same value is a repeat and is skipped,
//! so a retried batch records nothing twice.

use crate::error::{CmmsError, Problems, Result};
use crate::ids::{AssetId, MeterId, OrgId, ReadingId, UserId};
use crate::macros::string_enum;
use crate::validate;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Most readings one call may record.
pub const MAX_BATCH: usize = 5_000;

string_enum! {
    /// How a meter's values behave.
    MeterKind, field = "kind" {
        /// Counts up (hours, km, cycles, kWh); usage is the difference.
        Accumulating => "accumulating",
        /// Measures a value that goes up and down (°C, mm/s, bar).
        Gauge => "gauge",
    }
}

string_enum! {
    /// Where a reading came from.
    ReadingSource, field = "source" {
        /// Typed in by a person.
        Manual => "manual",
        /// Imported from a file.
        Import => "import",
        /// Sent by another system (SCADA, telematics, a BMS).
        Integration => "integration",
    }
}

/// A meter on an asset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Meter {
    /// Id.
    pub id: MeterId,
    /// Organization.
    pub org_id: OrgId,
    /// The asset it is on.
    pub asset_id: AssetId,
    /// Name, unique on the asset (PM plans name meters by it).
    pub name: String,
    /// Unit (`h`, `km`, `cycles`, `kWh`, `°C`, ...).
    pub unit: String,
    /// Accumulating or gauge.
    pub kind: MeterKind,
    /// The latest reading's value.
    pub last_value: Option<f64>,
    /// The latest reading's total (usage since the first reading, across resets).
    pub last_total: Option<f64>,
    /// When the latest reading was taken.
    pub last_reading_at: Option<DateTime<Utc>>,
    /// When the latest reset reading was taken (older readings are refused).
    pub last_reset_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Last changed (also by readings).
    pub updated_at: DateTime<Utc>,
    /// Version.
    pub version: i64,
}

/// Input to create a meter.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewMeter {
    /// The asset.
    pub asset_id: AssetId,
    /// Name, unique on the asset.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Accumulating or gauge.
    pub kind: MeterKind,
}

/// Changes to a meter (its kind never changes: the readings' meaning depends on it).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct MeterPatch {
    /// New name.
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub name: Option<String>,
    /// New unit.
    #[serde(default, deserialize_with = "crate::domain::not_null::deserialize")]
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "schemars", schemars(with = "String"))]
    pub unit: Option<String>,
}

/// One reading.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
pub struct Reading {
    /// Id.
    pub id: ReadingId,
    /// Organization.
    pub org_id: OrgId,
    /// The meter.
    pub meter_id: MeterId,
    /// The value read.
    pub value: f64,
    /// Usage since the meter's first reading (accumulating), or the value (gauge).
    pub total: f64,
    /// The meter was reset or rolled over before this reading.
    pub reset: bool,
    /// When it was taken.
    pub taken_at: DateTime<Utc>,
    /// Where it came from.
    pub source: ReadingSource,
    /// Who recorded it (none for the system).
    pub recorded_by: Option<UserId>,
    /// When it was recorded.
    pub created_at: DateTime<Utc>,
}

/// Input for one reading.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "schemars", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct NewReading {
    /// The meter.
    pub meter_id: MeterId,
    /// The value.
    pub value: f64,
    /// When it was taken (default: now).
    #[serde(default)]
    pub taken_at: Option<DateTime<Utc>>,
    /// Where it came from (default `manual`).
    #[serde(default)]
    pub source: Option<ReadingSource>,
    /// The meter was reset or rolled over before this reading (accumulating meters).
    #[serde(default)]
    pub reset: bool,
}

impl Meter {
    /// A new meter with no readings.
    pub fn create(org_id: OrgId, input: NewMeter, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let name = validate::text(&mut p, "name", &input.name, 1, 100);
        let unit = validate::text(&mut p, "unit", &input.unit, 1, 20);
        p.finish()?;
        Ok(Self {
            id: MeterId::new(),
            org_id,
            asset_id: input.asset_id,
            name,
            unit,
            kind: input.kind,
            last_value: None,
            last_total: None,
            last_reading_at: None,
            last_reset_at: None,
            created_at: now,
            updated_at: now,
            version: 1,
        })
    }

    /// This meter with `patch` applied, as the next version.
    pub fn patched(&self, patch: MeterPatch, now: DateTime<Utc>) -> Result<Self> {
        let mut p = Problems::new();
        let mut next = self.clone();
        if let Some(name) = patch.name {
            next.name = validate::text(&mut p, "name", &name, 1, 100);
        }
        if let Some(unit) = patch.unit {
            next.unit = validate::text(&mut p, "unit", &unit, 1, 20);
        }
        p.finish()?;
        next.updated_at = now;
        next.version += 1;
        Ok(next)
    }
}

/// Places new readings of one meter among its stored ones. `stored` holds the stored readings
/// from the latest one taken at or before the earliest new reading up to the first one taken
/// after the latest new reading (both included when they exist), oldest first. `new` are
/// `(position in the caller's batch, input)`; errors name `readings[position]`. Returns the
/// readings to insert (repeats left out) and the meter as it is after them (its next version,
/// unchanged in content when nothing was added).
pub fn place_readings(
    meter: &Meter,
    stored: &[Reading],
    new: &[(usize, NewReading)],
    actor: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<(Vec<Reading>, Meter)> {
    let mut timeline: Vec<Reading> = stored.to_vec();
    let mut added = Vec::new();
    let mut order: Vec<&(usize, NewReading)> = new.iter().collect();
    order.sort_by_key(|(i, r)| (r.taken_at.unwrap_or(now), *i));
    let mut last_reset = meter.last_reset_at;
    for (i, input) in order {
        let at = |f: &str| format!("readings[{i}].{f}");
        let taken_at = input.taken_at.unwrap_or(now);
        if !input.value.is_finite() {
            return Err(CmmsError::invalid(at("value"), "must be a finite number"));
        }
        if taken_at > now + chrono::TimeDelta::minutes(5) {
            return Err(CmmsError::invalid(at("taken_at"), "is in the future"));
        }
        let pos = timeline.partition_point(|r| r.taken_at < taken_at);
        if let Some(same) = timeline.get(pos).filter(|r| r.taken_at == taken_at) {
            if same.value == input.value && same.reset == input.reset {
                continue; // a repeat: recorded already
            }
            return Err(CmmsError::invalid(
                at("taken_at"),
                format!("the meter already has a reading at this time ({})", same.value),
            ));
        }
        let prev = pos.checked_sub(1).and_then(|p| timeline.get(p));
        let next = timeline.get(pos);
        let total = match meter.kind {
            MeterKind::Gauge => input.value,
            MeterKind::Accumulating => {
                if input.reset && next.is_some() {
                    return Err(CmmsError::invalid(
                        at("reset"),
                        "a reset must be the meter's latest reading",
                    ));
                }
                if last_reset.is_some_and(|r| taken_at < r) {
                    return Err(CmmsError::invalid(
                        at("taken_at"),
                        "is older than the meter's last reset",
                    ));
                }
                if input.value < 0.0 {
                    return Err(CmmsError::invalid(at("value"), "an accumulating meter reads ≥ 0"));
                }
                if let Some(p) = prev.filter(|p| !input.reset && input.value < p.value) {
                    return Err(CmmsError::invalid(
                        at("value"),
                        format!(
                            "{} is lower than the reading before it ({} at {}); record a reset \
                             if the meter was reset or rolled over",
                            input.value, p.value, p.taken_at
                        ),
                    ));
                }
                if let Some(n) = next.filter(|n| !n.reset && input.value > n.value) {
                    return Err(CmmsError::invalid(
                        at("value"),
                        format!(
                            "{} is higher than the reading after it ({} at {})",
                            input.value, n.value, n.taken_at
                        ),
                    ));
                }
                match prev {
                    Some(p) if input.reset => p.total + input.value,
                    Some(p) => p.total + (input.value - p.value),
                    None => input.value,
                }
            }
        };
        if input.reset && meter.kind == MeterKind::Accumulating {
            last_reset = Some(taken_at);
        }
        let reading = Reading {
            id: ReadingId::new(),
            org_id: meter.org_id,
            meter_id: meter.id,
            value: input.value,
            total,
            reset: input.reset && meter.kind == MeterKind::Accumulating,
            taken_at,
            source: input.source.unwrap_or(ReadingSource::Manual),
            recorded_by: actor,
            created_at: now,
        };
        timeline.insert(pos, reading.clone());
        added.push(reading);
    }
    let mut after = meter.clone();
    if let Some(latest) =
        timeline.last().filter(|l| meter.last_reading_at.is_none_or(|t| l.taken_at >= t))
    {
        after.last_value = Some(latest.value);
        after.last_total = Some(latest.total);
        after.last_reading_at = Some(latest.taken_at);
    }
    after.last_reset_at = last_reset;
    after.updated_at = now;
    after.version += 1;
    Ok((added, after))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use chrono::TimeZone;

    fn t(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).unwrap()
    }

    fn meter(kind: MeterKind) -> Meter {
        let input =
            NewMeter { asset_id: AssetId::new(), name: "Run hours".into(), unit: "h".into(), kind };
        Meter::create(OrgId::new(), input, t(1)).unwrap()
    }

    fn new(meter: &Meter, day: u32, value: f64, reset: bool) -> NewReading {
        NewReading { meter_id: meter.id, value, taken_at: Some(t(day)), source: None, reset }
    }

    fn batch(items: Vec<NewReading>) -> Vec<(usize, NewReading)> {
        items.into_iter().enumerate().collect()
    }

    #[test]
    fn out_of_order_readings_are_placed_by_time_and_totals_cross_resets() {
        let m = meter(MeterKind::Accumulating);
        let b =
            batch(vec![new(&m, 5, 150.0, false), new(&m, 2, 100.0, false), new(&m, 9, 20.0, true)]);
        let (added, after) = place_readings(&m, &[], &b, None, t(10)).unwrap();
        let totals: Vec<(f64, f64)> = added.iter().map(|r| (r.value, r.total)).collect();
        assert_eq!(totals, [(100.0, 100.0), (150.0, 150.0), (20.0, 170.0)]);
        assert_eq!(
            (after.last_value, after.last_total, after.last_reset_at),
            (Some(20.0), Some(170.0), Some(t(9)))
        );
        // A reading between two stored ones fits; one lower than its predecessor does not.
        let (mid, _) =
            place_readings(&m, &added[..2], &batch(vec![new(&m, 3, 120.0, false)]), None, t(10))
                .unwrap();
        assert_eq!(mid[0].total, 120.0);
        let err =
            place_readings(&m, &added[..2], &batch(vec![new(&m, 3, 90.0, false)]), None, t(10))
                .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "readings[0].value");
    }

    #[test]
    fn resets_must_be_latest_and_older_readings_are_refused_after_one() {
        let m = meter(MeterKind::Accumulating);
        let (stored, after) = place_readings(
            &m,
            &[],
            &batch(vec![new(&m, 2, 10.0, false), new(&m, 6, 30.0, false)]),
            None,
            t(10),
        )
        .unwrap();
        let err = place_readings(&after, &stored, &batch(vec![new(&m, 4, 5.0, true)]), None, t(10))
            .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "readings[0].reset");
        let (reset, after) =
            place_readings(&after, &stored[1..], &batch(vec![new(&m, 8, 5.0, true)]), None, t(10))
                .unwrap();
        let err = place_readings(
            &after,
            &[stored[1].clone(), reset[0].clone()],
            &batch(vec![new(&m, 7, 31.0, false)]),
            None,
            t(10),
        )
        .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "readings[0].taken_at");
    }

    #[test]
    fn repeats_are_skipped_and_conflicting_ones_refused() {
        let m = meter(MeterKind::Gauge);
        let (stored, after) =
            place_readings(&m, &[], &batch(vec![new(&m, 2, -4.5, false)]), None, t(10)).unwrap();
        let (again, _) = place_readings(
            &after,
            &stored,
            &batch(vec![new(&m, 2, -4.5, false), new(&m, 3, 9.0, false)]),
            None,
            t(10),
        )
        .unwrap();
        assert_eq!(again.len(), 1, "the repeat is skipped, the new one kept");
        let err = place_readings(
            &after,
            &stored,
            &batch(vec![new(&m, 3, 1.0, false), new(&m, 2, 7.0, false)]),
            None,
            t(10),
        )
        .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "readings[1].taken_at");
        let err =
            place_readings(&after, &stored, &batch(vec![new(&m, 3, f64::NAN, false)]), None, t(10))
                .unwrap_err();
        assert_eq!(err.field_errors()[0].field, "readings[0].value");
    }
}
