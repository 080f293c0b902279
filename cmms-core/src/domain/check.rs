//! Input that reports its problems without being used, so a caller that already found some
//! (a vocabulary value that did not decode, say) can report every problem at once.

use crate::domain::asset::{Asset, NewAsset};
use crate::domain::request::NewRequest;
use crate::domain::work_order::NewWorkOrder;
use crate::error::{FieldError, Result};
use crate::ids::{OrgId, SiteId};
use chrono::DateTime;

/// The same checks a use case makes on its input before touching the store, as a list.
///
/// ```
/// use cmms_core::domain::check::Check;
/// use cmms_core::domain::work_order::NewWorkOrder;
/// let input = NewWorkOrder { title: String::new(), estimated_hours: Some(-1.0), ..Default::default() };
/// let fields: Vec<_> = input.problems().into_iter().map(|p| p.field).collect();
/// assert_eq!(fields, ["title", "estimated_hours"]);
/// ```
pub trait Check {
    /// Every problem of this input (empty when it is fine as far as the input alone tells).
    fn problems(&self) -> Vec<FieldError>;
}

fn listed<T>(checked: Result<T>) -> Vec<FieldError> {
    checked.err().map(|e| e.field_errors().to_vec()).unwrap_or_default()
}

impl Check for NewWorkOrder {
    fn problems(&self) -> Vec<FieldError> {
        listed(crate::domain::work_order::check_new(self))
    }
}

impl Check for NewRequest {
    fn problems(&self) -> Vec<FieldError> {
        listed(crate::domain::request::check_new(self))
    }
}

impl Check for NewAsset {
    fn problems(&self) -> Vec<FieldError> {
        // The ids and time only fill the record the checks are made on.
        listed(Asset::create(OrgId::new(), SiteId::new(), self.clone(), DateTime::UNIX_EPOCH))
    }
}
