//! Exact quantities and money (DESIGN §3.6: never floats). A [`Quantity`] is a whole number of
//! thousandths, so "2.5 m of hose" is exact, sums are exact and both stores add them with plain
//! integer arithmetic (their CHECK constraints compare integers). [`Money`] is a decimal with at
//! most six places (unit prices take four; moving averages keep six).
//!
//! Both travel as decimal strings (`"2.5"`, `"12.40"`) in JSON, so no client turns them into
//! floats; numbers are accepted on input and read by their shortest decimal form (`0.1` is
//! `0.1`, not `0.1000000000000000055`).
//!
//! ```
//! use cmms_core::domain::inventory::{Money, Quantity};
//! let q: Quantity = "2.5".parse().unwrap();
//! assert_eq!(q.thousandths(), 2_500);
//! assert_eq!((q + q).to_string(), "5");
//! assert!("0.0001".parse::<Quantity>().is_err()); // finer than a thousandth
//! let m: Money = "12.40".parse().unwrap();
//! assert_eq!(m.times(q).to_string(), "31"); // amounts are kept normalized
//! ```

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::ops::{Add, AddAssign, Neg, Sub, SubAssign};
use std::str::FromStr;

/// Places a quantity keeps.
pub const QUANTITY_SCALE: u32 = 3;
/// Largest quantity accepted (a billion units): sums of many stay far inside `i64`.
pub const MAX_QUANTITY: i64 = 1_000_000_000_000;
/// Places a money amount keeps.
pub const MONEY_SCALE: u32 = 6;

/// An exact quantity of a part, in thousandths of its unit; may be negative as a difference.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    /// Nothing.
    pub const ZERO: Self = Self(0);

    /// From whole thousandths.
    pub const fn from_thousandths(t: i64) -> Self {
        Self(t)
    }

    /// Whole units.
    pub const fn units(n: i64) -> Self {
        Self(n.saturating_mul(1_000))
    }

    /// In thousandths (what the stores keep).
    pub const fn thousandths(self) -> i64 {
        self.0
    }

    /// As a decimal.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.0, QUANTITY_SCALE).normalize()
    }

    /// From a decimal with at most three places and at most [`MAX_QUANTITY`] in size.
    pub fn from_decimal(d: Decimal) -> Result<Self, String> {
        let scaled = d * Decimal::from(1_000);
        if scaled.fract() != Decimal::ZERO {
            return Err(format!("{d} has more than {QUANTITY_SCALE} decimal places"));
        }
        let t = i64::try_from(scaled.trunc()).map_err(|_| format!("{d} is too large"))?;
        if t.abs() > MAX_QUANTITY.saturating_mul(1_000) {
            return Err(format!("{d} is too large"));
        }
        Ok(Self(t))
    }

    /// Whether it is above zero.
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// Whether it is below zero.
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// The smaller of two.
    pub fn min(self, other: Self) -> Self {
        Self(self.0.min(other.0))
    }

    /// The larger of two.
    pub fn max(self, other: Self) -> Self {
        Self(self.0.max(other.0))
    }
}

impl Add for Quantity {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self(self.0.saturating_add(o.0))
    }
}

impl Sub for Quantity {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self(self.0.saturating_sub(o.0))
    }
}

impl AddAssign for Quantity {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl SubAssign for Quantity {
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}

impl Neg for Quantity {
    type Output = Self;
    fn neg(self) -> Self {
        Self(self.0.saturating_neg())
    }
}

impl std::iter::Sum for Quantity {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.to_decimal(), f)
    }
}

impl FromStr for Quantity {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        let d = parse_decimal(s)?;
        Self::from_decimal(d)
    }
}

/// An exact amount of money (an org's currency), at most six decimal places.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    /// Zero.
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// From a decimal, rounded half-even to six places.
    pub fn new(d: Decimal) -> Self {
        Self(
            d.round_dp_with_strategy(MONEY_SCALE, RoundingStrategy::MidpointNearestEven)
                .normalize(),
        )
    }

    /// From a decimal that must already have at most `places` places.
    pub fn exact(d: Decimal, places: u32) -> Result<Self, String> {
        if d.round_dp(places) != d {
            return Err(format!("{d} has more than {places} decimal places"));
        }
        Ok(Self(d.normalize()))
    }

    /// The decimal.
    pub const fn to_decimal(self) -> Decimal {
        self.0
    }

    /// This unit amount times a quantity.
    pub fn times(self, q: Quantity) -> Self {
        Self::new(self.0 * q.to_decimal())
    }

    /// Whether it is below zero.
    pub fn is_negative(self) -> bool {
        self.0.is_sign_negative() && !self.0.is_zero()
    }

    /// Rounded to `places` (half-even), for display of totals.
    pub fn round(self, places: u32) -> Self {
        Self(
            self.0
                .round_dp_with_strategy(places, RoundingStrategy::MidpointNearestEven)
                .normalize(),
        )
    }
}

impl Add for Money {
    type Output = Self;
    fn add(self, o: Self) -> Self {
        Self::new(self.0 + o.0)
    }
}

impl Sub for Money {
    type Output = Self;
    fn sub(self, o: Self) -> Self {
        Self::new(self.0 - o.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl FromStr for Money {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::exact(parse_decimal(s)?, MONEY_SCALE)
    }
}

fn parse_decimal(s: &str) -> Result<Decimal, String> {
    let t = s.trim();
    let shown: String = t.chars().take(40).collect();
    Decimal::from_str_exact(t)
        .or_else(|_| Decimal::from_scientific(t))
        .map_err(|_| format!("'{shown}' is not a decimal number"))
}

/// Accepts a decimal string, an integer or a float (read by its shortest decimal form).
struct DecimalVisitor;

impl serde::de::Visitor<'_> for DecimalVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number or a string holding one")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Decimal, E> {
        parse_decimal(v).map_err(E::custom)
    }
    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Decimal, E> {
        Ok(Decimal::from(v))
    }
    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Decimal, E> {
        if !v.is_finite() {
            return Err(E::custom("expected a finite number"));
        }
        parse_decimal(&v.to_string()).map_err(E::custom)
    }
}

impl Serialize for Quantity {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(DecimalVisitor)?;
        Self::from_decimal(v).map_err(serde::de::Error::custom)
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Money {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = d.deserialize_any(DecimalVisitor)?;
        Self::exact(v, MONEY_SCALE).map_err(serde::de::Error::custom)
    }
}

#[cfg(feature = "schemars")]
mod schema {
    use super::{Money, Quantity};
    use std::borrow::Cow;

    fn decimal(description: &str) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^-?[0-9]+(\\.[0-9]+)?$",
            "description": description,
        })
    }

    impl schemars::JsonSchema for Quantity {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "Quantity".into()
        }
        fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            decimal("An exact quantity with at most 3 decimal places (a number is also accepted).")
        }
    }

    impl schemars::JsonSchema for Money {
        fn inline_schema() -> bool {
            true
        }
        fn schema_name() -> Cow<'static, str> {
            "Money".into()
        }
        fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
            decimal(
                "An exact amount of money with at most 6 decimal places (a number is also accepted).",
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantities_are_exact_thousandths() {
        let q: Quantity = "2.5".parse().unwrap_or_default();
        assert_eq!(q.thousandths(), 2_500);
        assert_eq!(serde_json::to_string(&q).unwrap_or_default(), "\"2.5\"");
        let from_number: Quantity = serde_json::from_str("0.1").unwrap_or_default();
        assert_eq!(from_number.thousandths(), 100);
        assert!(serde_json::from_str::<Quantity>("0.0005").is_err());
        assert!(serde_json::from_str::<Quantity>("\"abc\"").is_err());
        assert!(serde_json::from_str::<Quantity>("1e30").is_err());
        let sum: Quantity = (0..10).map(|_| from_number).sum();
        assert_eq!(sum, Quantity::units(1));
    }

    #[test]
    fn money_keeps_six_places_and_multiplies_exactly() {
        let m: Money = "0.1".parse().unwrap_or_default();
        assert_eq!(m.times(Quantity::units(3)).to_string(), "0.3");
        assert!("0.0000001".parse::<Money>().is_err());
        assert_eq!(Money::new(Decimal::new(1, 7)), Money::ZERO);
    }
}
