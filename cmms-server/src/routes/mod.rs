//! The route table: every operation of the API — path, method, handler and what it takes and
//! returns — in ONE list, from which both the router and the OpenAPI document are built, so the
//! document cannot miss a route.

mod assets;
mod attachments;
mod audit;
mod auth;
mod events;
mod inventory;
mod notifications;
mod orgs;
mod people;
mod pm;
mod purchasing;
mod requests;
mod webhooks;
mod work_orders;

use crate::state::AppState;
use axum::http::Method;
use axum::routing::MethodRouter;
use schemars::{JsonSchema, Schema, SchemaGenerator};

/// Builds a schema (a `$ref` into the document's components) for one type.
pub(crate) type SchemaFn = fn(&mut SchemaGenerator) -> Schema;

fn schema<T: JsonSchema>(g: &mut SchemaGenerator) -> Schema {
    g.subschema_for::<T>()
}

/// One operation.
pub(crate) struct Op {
    pub method: Method,
    /// Path under `/api/v1` (axum and OpenAPI share the `{param}` syntax).
    pub path: &'static str,
    pub id: &'static str,
    pub tag: &'static str,
    pub summary: &'static str,
    pub auth: bool,
    pub query: Option<SchemaFn>,
    pub body: Option<SchemaFn>,
    pub status: u16,
    pub response: Option<SchemaFn>,
    /// Media type of the success response.
    pub media: &'static str,
    /// The request body is the raw bytes of a file (any media type), not JSON.
    pub raw_body: bool,
    pub handler: MethodRouter<AppState>,
}

impl Op {
    fn new(
        method: Method,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        handler: MethodRouter<AppState>,
    ) -> Self {
        Op {
            method,
            path,
            id,
            tag: "",
            summary,
            auth: true,
            query: None,
            body: None,
            status: 200,
            response: None,
            media: "application/json",
            raw_body: false,
            handler,
        }
    }

    pub fn get(
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        h: MethodRouter<AppState>,
    ) -> Self {
        Self::new(Method::GET, path, id, summary, h)
    }

    pub fn post(
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        h: MethodRouter<AppState>,
    ) -> Self {
        Self::new(Method::POST, path, id, summary, h)
    }

    pub fn patch(
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        h: MethodRouter<AppState>,
    ) -> Self {
        Self::new(Method::PATCH, path, id, summary, h)
    }

    pub fn put(
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        h: MethodRouter<AppState>,
    ) -> Self {
        Self::new(Method::PUT, path, id, summary, h)
    }

    pub fn delete(
        path: &'static str,
        id: &'static str,
        summary: &'static str,
        h: MethodRouter<AppState>,
    ) -> Self {
        Self::new(Method::DELETE, path, id, summary, h).empty()
    }

    /// No authentication needed.
    pub fn public(mut self) -> Self {
        self.auth = false;
        self
    }

    /// Query parameters: the properties of `T`.
    pub fn query<T: JsonSchema>(mut self) -> Self {
        self.query = Some(schema::<T>);
        self
    }

    /// JSON request body.
    pub fn body<T: JsonSchema>(mut self) -> Self {
        self.body = Some(schema::<T>);
        self
    }

    /// JSON response with this status.
    pub fn returns<T: JsonSchema>(mut self, status: u16) -> Self {
        self.status = status;
        self.response = Some(schema::<T>);
        self
    }

    /// 204 No Content.
    pub fn empty(mut self) -> Self {
        self.status = 204;
        self.response = None;
        self
    }

    /// A non-JSON success response (an event stream, text).
    pub fn media(mut self, media: &'static str) -> Self {
        self.media = media;
        self
    }

    /// The body is a file's raw bytes (uploads).
    pub fn raw_body(mut self) -> Self {
        self.raw_body = true;
        self
    }

    fn tagged(mut self, tag: &'static str) -> Self {
        self.tag = tag;
        self
    }
}

/// Every operation under `/api/v1`, grouped by tag.
pub(crate) fn api_ops() -> Vec<Op> {
    let groups: [(&'static str, Vec<Op>); 14] = [
        ("auth", auth::ops()),
        ("organization", orgs::ops()),
        ("people", people::ops()),
        ("assets", assets::ops()),
        ("work orders", work_orders::ops()),
        ("preventive maintenance", pm::ops()),
        ("inventory", inventory::ops()),
        ("purchasing", purchasing::ops()),
        ("requests", requests::ops()),
        ("audit", audit::ops()),
        ("events", events::ops()),
        ("notifications", notifications::ops()),
        ("attachments", attachments::ops()),
        ("webhooks", webhooks::ops()),
    ];
    groups
        .into_iter()
        .flat_map(|(tag, ops)| ops.into_iter().map(move |op| op.tagged(tag)))
        .collect()
}
