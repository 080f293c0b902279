//! Real time: the caller's events as Server-Sent Events and over WebSocket, resumable from a
//! sequence number (`Last-Event-ID` or `?after=`), plus a JSON page for polling. Streams are
//! pulled: a client that does not read stops being fed, its subscription falls behind and
//! later reads the gap back from the outbox, so memory never grows with a slow consumer. Over
//! WebSocket a client that does not take a message within 10 s is disconnected.

use super::Op;
use crate::extract::{Caller, ListQuery, StreamCaller};
use crate::problem::ApiError;
use crate::problem::ApiResult;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cmms_core::service::{EventPage, EventSubscription};
use schemars::JsonSchema;
use serde::Deserialize;
use std::convert::Infallible;
use std::time::Duration;

const HEARTBEAT: Duration = Duration::from_secs(15);
const SLOW_CONSUMER: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct After {
    /// Resume after this sequence number (SSE clients may send `Last-Event-ID` instead).
    #[serde(default)]
    after: Option<i64>,
    /// For the JSON page: at most this many events scanned (1 to 500, default 50: the bound of
    /// every list).
    #[serde(default)]
    limit: Option<u32>,
}

fn resume_point(headers: &HeaderMap, q: &After) -> i64 {
    headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .or(q.after)
        .unwrap_or(0)
        .max(0)
}

/// Resolves when a stream must end: the server stops, or the caller's credentials expire
/// (the client then reconnects with fresh ones and `Last-Event-ID`, missing nothing).
fn stream_end(
    s: &AppState,
    caller: &StreamCaller,
) -> impl std::future::Future<Output = ()> + Send + 'static {
    let left = (caller.until - s.cmms().now()).to_std().unwrap_or_default();
    let expired = tokio::time::sleep(left);
    let stopping = s.stopping();
    async move {
        tokio::select! {
            () = stopping => {}
            () = expired => {}
        }
    }
}

async fn sse(
    State(s): State<AppState>,
    caller: StreamCaller,
    headers: HeaderMap,
    ListQuery(q): ListQuery<After>,
) -> ApiResult<Response> {
    let sub = s.cmms().subscribe(&caller.actor, resume_point(&headers, &q))?;
    let stream = futures_util::stream::unfold(sub, |mut sub: EventSubscription| async move {
        let ev = sub.next().await.ok()?;
        let data = serde_json::to_string(&ev).ok()?;
        let item =
            SseEvent::default().id(ev.seq.to_string()).event(ev.draft.kind.as_str()).data(data);
        metrics::counter!("events_streamed_total", "transport" => "sse").increment(1);
        Some((Ok::<_, Infallible>(item), sub))
    });
    // Streams end when the server stops (so graceful shutdown is not held up by them) and when
    // the caller's credentials expire (so a revoked user or key stops receiving events).
    let stream = futures_util::StreamExt::take_until(stream, stream_end(&s, &caller));
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(HEARTBEAT)).into_response())
}

async fn ws(
    State(s): State<AppState>,
    caller: StreamCaller,
    headers: HeaderMap,
    ListQuery(q): ListQuery<After>,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> ApiResult<Response> {
    let upgrade = upgrade.map_err(|e| {
        ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "upgrade_required",
            format!("open this route as a WebSocket: {e}"),
        )
    })?;
    let sub = s.cmms().subscribe(&caller.actor, resume_point(&headers, &q))?;
    let end = stream_end(&s, &caller);
    Ok(upgrade.on_upgrade(move |socket| pump(socket, sub, end)))
}

async fn pump(
    mut socket: WebSocket,
    mut sub: EventSubscription,
    end: impl std::future::Future<Output = ()>,
) {
    let mut heartbeat = tokio::time::interval(HEARTBEAT);
    tokio::pin!(end);
    loop {
        tokio::select! {
            () = &mut end => {
                let _ = tokio::time::timeout(SLOW_CONSUMER, socket.send(Message::Close(None))).await;
                break;
            }
            ev = sub.next() => {
                let Ok(ev) = ev else { break };
                let Ok(text) = serde_json::to_string(&ev) else { break };
                match tokio::time::timeout(SLOW_CONSUMER, socket.send(Message::Text(text.into()))).await {
                    Ok(Ok(())) => metrics::counter!("events_streamed_total", "transport" => "ws").increment(1),
                    _ => break,
                }
            }
            msg = socket.recv() => match msg {
                Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                Some(Ok(_)) => {}
            },
            _ = heartbeat.tick() => {
                let ping = socket.send(Message::Ping(Vec::new().into()));
                if !matches!(tokio::time::timeout(SLOW_CONSUMER, ping).await, Ok(Ok(()))) {
                    break;
                }
            }
        }
    }
}

async fn page(
    State(s): State<AppState>,
    Caller(a): Caller,
    headers: HeaderMap,
    ListQuery(q): ListQuery<After>,
) -> ApiResult<Json<EventPage>> {
    Ok(Json(s.cmms().events_since(&a, resume_point(&headers, &q), q.limit).await?))
}

pub(super) fn ops() -> Vec<Op> {
    vec![
        Op::get(
            "/events",
            "streamEvents",
            "The caller's events as Server-Sent Events (resumable)",
            get(sse),
        )
        .query::<After>()
        .media("text/event-stream"),
        Op::get(
            "/events/ws",
            "eventsWebSocket",
            "The caller's events over WebSocket (resumable)",
            get(ws),
        )
        .query::<After>()
        .media("application/json"),
        Op::get(
            "/events/page",
            "eventPage",
            "A page of the caller's events after a sequence number",
            get(page),
        )
        .query::<After>()
        .returns::<EventPage>(200),
    ]
}
