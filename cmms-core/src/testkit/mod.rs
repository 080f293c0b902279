//! The conformance suite every store runs (feature `testkit`, DESIGN §5).
//!
//! A store crate implements [`TestDb`] for a fresh, migrated, empty database and expands the
//! whole suite with one macro call in its `tests/conformance.rs`:
//!
//! ```text
//! async fn make() -> std::sync::Arc<dyn cmms_core::testkit::TestDb> { /* fresh database */ }
//! cmms_core::conformance_suite!(make());
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, missing_docs)]

pub mod cases;
pub mod fixtures;
pub mod probe;
pub mod records;

use crate::ids::OrgId;
use crate::store::Store;
use async_trait::async_trait;
use std::sync::Arc;

/// A fresh database for one conformance test.
#[async_trait]
pub trait TestDb: Send + Sync + 'static {
    /// The store over this database (migrated, empty).
    fn store(&self) -> Arc<dyn Store>;
    /// Alters the content of audit entry `seq` of `org` directly in the database, bypassing the
    /// store (for example by changing its `action` text), so the suite can check that
    /// `verify_audit_chain` notices.
    async fn tamper_audit_entry(&self, org: OrgId, seq: i64);
}

/// Expands every conformance case into a `#[tokio::test]`; `$make` is an expression that
/// evaluates to a future of `Arc<dyn TestDb>` and is evaluated once per test.
#[macro_export]
macro_rules! conformance_suite {
    ($make:expr) => {
        $crate::__conformance_cases!($make;
            smoke_schema_version,
            status_every_edge_succeeds,
            status_other_pairs_refused,
            status_requirements_enforced,
            status_side_effects,
            status_assignment_rules,
            permission_matrix,
            permission_conditions_pure,
            permission_grant_below,
            permission_requester_and_contractor_scope,
            tenant_isolation,
            concurrency_same_version,
            concurrency_fifty_numbers,
            audit_chain_verifies_and_detects_tampering,
            events_resume_from_sequence,
            bad_input_is_refused_cleanly,
            request_flow_end_to_end,
            request_auto_close_after_n_days,
            round_trips_are_exact,
            list_filters_sorts_and_pages,
            org_users_roles_and_teams,
            org_sites_and_locations,
            events_of_people_stay_with_staff,
            custom_roles_never_exceed_their_granter,
            work_records_move_the_work_order_version,
            assets_stay_at_their_parents_site,
            staff_finish_their_own_requests,
            store_asserts_versions,
            auth_login_and_lockout,
            auth_refresh_rotation,
            auth_reset_and_verification,
            auth_api_keys,
            stale_versions_answer_before_anything_else,
            taken_values_are_conflicts_naming_the_field,
            org_patches_keep_what_they_do_not_name,
            orgs_are_found_by_slug_or_id,
            assignees_can_do_the_work,
            site_numbers_and_chosen_request_numbers,
            lists_count_exactly_when_asked,
            meters_take_readings_in_any_order,
            pm_generation_is_idempotent_and_skips_while_open,
            pm_completion_advances_floating_plans,
            pm_meter_plans_follow_usage,
            pm_concurrent_generation_creates_each_once,
            pm_plans_validate_and_respect_state,
            pm_thresholds_overdue_and_empty_compliance,
            pm_floating_meter_plans_restart_from_completion,
            pm_plans_delete_only_without_open_work,
            inventory_ledger_reservations_and_transfers,
            inventory_low_stock_event_once_per_crossing,
            inventory_concurrent_issues_never_oversell,
            inventory_random_movements_keep_the_ledger,
            inventory_work_that_ends_releases_its_reservations,
            purchase_orders_approve_receive_and_cost,
            work_order_cost_rolls_up_labor_parts_and_other,
            pm_plans_plan_their_parts_on_generated_work,
            search_matches_the_reference,
            request_search_matches_the_reference,
            notifications_reach_the_right_people,
            notification_read_state_and_preferences,
            notification_consumer_is_exactly_once,
            notification_actors_match_one_by_one,
            mail_reset_is_queued_with_its_token,
            mail_failures_back_off_then_die,
            mail_claims_keep_racing_deliverers_apart,
            attachments_follow_their_entity,
            attachments_carry_over_to_the_work_order,
            attachments_on_assets_checklists_and_parts,
            webhooks_deliver_signed_in_order,
            webhooks_retry_then_disable,
            webhooks_replay_and_racing_deliverers,
        );
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_cases {
    ($make:expr; $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $case() {
                let db: ::std::sync::Arc<dyn $crate::testkit::TestDb> = $make.await;
                $crate::testkit::cases::$case(db).await;
            }
        )*
    };
}
