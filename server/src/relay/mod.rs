//! `dcclink connect`: the command IDEs launch. An MCP server on stdio that
//! relays every request to one running instance (in a DCC, or `dcclink
//! serve --http`) over Streamable HTTP, and passes back what the instance
//! sends: answers, progress, logs, list changes, and its requests to the
//! IDE (elicitation, sampling, roots).
//!
//! It is a pass-through: each line from the IDE goes to the instance as it
//! is, and each message from the instance comes back as it is. The relay
//! reads only what it must: a message's `id` and `method`, to route it;
//! `initialize` and `ping`, which it answers itself; tool lists, which gain
//! the `dcclink_instance` argument when several instances run; and tool
//! calls that name `dcclink_status` or that argument. Progress tokens and
//! request ids are the IDE's own end to end, so progress and cancellation
//! need no translation; only the instances' requests to the IDE are
//! renamed ([`ide`]), so that two instances' never collide.
//!
//! The instance is the one the registry names for `--instance` or `--dcc`,
//! or the only one running; with several it never guesses. While none is
//! running the IDE still gets a tool list: one `dcclink_status` tool that
//! says what to open ([`local`]). The relay watches the registry, reconnects
//! when the DCC restarts, and tells the IDE the lists changed. With `--url`
//! it serves one instance on another machine instead ([`remote`]), over TLS
//! that trusts a pinned certificate or the system's authorities.
//!
//! No call is left hanging at either end. When the instance's process dies
//! mid-call, every call in flight to it is answered with an error that says
//! so. When the IDE goes away (it closes stdin, or stops the relay with
//! SIGTERM, SIGINT or SIGHUP), every call in flight is cancelled at the
//! instance before the relay exits.

mod ide;
mod links;
mod local;
mod remote;
mod tasks;
mod upstream;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use dcclink_bridge::lock_order::{LockLevel, OrderedMutex};
use rmcp::model::RequestId;
use serde::Deserialize;
use serde_json::value::RawValue;
use tokio_util::sync::CancellationToken;

use crate::platform::{take_process_stdio, wait_for_signal};
use crate::transports::stdio::LineChannel;
use crate::transports::{legacy_tasks, wire_errors};
use ide::Ide;
use links::Links;
pub use links::{Choice, Target};
use local::STATUS_TOOL;
pub use remote::Remote;
use tasks::TaskOwners;
use upstream::{Failure, Headers, Inbox as _, Link, Outgoing};

/// The longest line the IDE may send.
const MAX_LINE: usize = 8 * 1024 * 1024;
/// How often the relay looks at the registry for a restarted instance, and
/// at each linked instance's process.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// How long an exiting relay waits for its calls' cancellations to go out.
const WIND_DOWN: Duration = Duration::from_secs(2);

/// Runs the relay on this process's stdin and stdout until the IDE closes
/// stdin or a signal stops it.
pub fn run_stdio(target: Target) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (reader, writer) = take_process_stdio()?;
        let mut lines = LineChannel::new(reader, writer, MAX_LINE);
        let out = lines
            .sender()
            .ok_or_else(|| std::io::Error::other("stdout is closed"))?;
        let relay = Relay::new(target, Ide::new(out)).map_err(std::io::Error::other)?;
        let watcher = tokio::spawn(relay.clone().watch_registry());
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Some(line) => relay.receive(line),
                    None => {
                        tracing::info!("the IDE closed stdin");
                        break;
                    }
                },
                () = wait_for_signal() => {
                    tracing::info!("signal received");
                    break;
                }
            }
        }
        watcher.abort();
        relay.wind_down().await;
        drop(relay); // its tasks end with their links, and with them the writer
        lines.close().await
    })
}

/// One message from the IDE, read just enough to route it.
#[derive(Deserialize)]
struct Incoming {
    #[serde(default)]
    id: Option<Box<RawValue>>,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    params: Option<Box<RawValue>>,
}

/// A request on its way to an instance: where it went, and how to stop
/// waiting for it.
struct InFlight {
    link: Arc<Link>,
    cancelled: CancellationToken,
}

/// The relay: a server for the IDE, a client of the instances.
#[derive(Clone)]
struct Relay {
    inner: Arc<Inner>,
}

struct Inner {
    ide: Arc<Ide>,
    links: Links,
    /// The IDE's requests waiting for an instance's answer, by id.
    in_flight: OrderedMutex<HashMap<RequestId, InFlight>>,
    /// Which instance created each task the IDE made.
    tasks: TaskOwners,
}

/// Keeps a request in [`Inner::in_flight`] while it waits.
struct Tracked<'a> {
    relay: &'a Relay,
    id: Option<RequestId>,
    cancelled: CancellationToken,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        if let Some(id) = &self.id {
            self.relay.inner.in_flight.lock().remove(id);
        }
    }
}

impl Relay {
    fn new(target: Target, ide: Ide) -> Result<Self, String> {
        let ide = Arc::new(ide);
        Ok(Self {
            inner: Arc::new(Inner {
                links: Links::new(target, ide.clone())?,
                ide,
                in_flight: OrderedMutex::new(LockLevel::Relay, HashMap::new()),
                tasks: TaskOwners::default(),
            }),
        })
    }

    /// Routes one line from the IDE. Requests run as tasks of their own, so
    /// a long call never holds up the next message.
    fn receive(&self, line: Vec<u8>) {
        let ide = &self.inner.ide;
        let Ok(message) = serde_json::from_slice::<Incoming>(&line) else {
            if let Some((error, id)) = wire_errors::diagnose(&line) {
                let error = wire_errors::error_json(&error, id.as_ref());
                ide.send(error.to_string().into_bytes());
            }
            return;
        };
        // An IDE on MCP 2026-07-28 names the revision in each request,
        // which then travels with the headers that revision asks for.
        let headers = local::revision(message.params.as_deref()).map(|revision| {
            let method = message.method.as_deref().unwrap_or_default();
            Headers::of_request(&revision, method, message.params.as_deref())
        });
        let Ok(line) = String::from_utf8(line) else {
            return; // serde_json accepted it, so it is UTF-8
        };
        match (message.method, message.id) {
            (Some(method), Some(id)) => {
                let relay = self.clone();
                tokio::spawn(async move {
                    let outgoing = Outgoing {
                        line: line.into(),
                        headers,
                    };
                    let answer = relay.request(&id, &method, message.params, outgoing).await;
                    if let Some(answer) = answer {
                        relay.inner.ide.send(answer);
                    }
                });
            }
            (Some(method), None) => {
                let outgoing = Outgoing {
                    line: line.into(),
                    headers,
                };
                self.notification(&method, message.params, outgoing);
            }
            (None, Some(id)) => {
                let id = serde_json::from_str::<String>(id.get()).unwrap_or_default();
                if let Some((link, answer)) = ide.answered(&id, line.as_bytes()) {
                    let ide = ide.clone();
                    let outgoing = Outgoing::plain(answer);
                    tokio::spawn(async move { link.send(&outgoing, &ide).await });
                }
            }
            (None, None) => {}
        }
    }

    /// Answers the IDE's request `id`; `None` when it was cancelled.
    async fn request(
        &self,
        id: &RawValue,
        method: &str,
        params: Option<Box<RawValue>>,
        line: Outgoing,
    ) -> Option<Vec<u8>> {
        match method {
            "initialize" => {
                let result = local::initialize_result(params.as_deref());
                let mut result = serde_json::to_value(result).unwrap_or_default();
                legacy_tasks::declare_tasks(&mut result);
                if let Some(params) = params {
                    let _ = self.inner.ide.hello.set(params);
                }
                Some(local::answer(id, &result))
            }
            "ping" => Some(local::answer(id, &serde_json::json!({}))),
            "tools/list" => self.list_tools(id, line).await,
            "tools/call" => self.call_tool(id, params.as_deref(), line).await,
            "tasks/get" | "tasks/result" | "tasks/cancel" | "tasks/update" => {
                self.task_request(id, params.as_deref(), line).await
            }
            _ => match self.inner.links.chosen().await {
                Ok(link) => self.send_on(link, None, id, line).await,
                Err(why) => Some(match local::empty_list(method) {
                    Some(empty) => local::answer(id, &empty),
                    None => local::failure(id, &why),
                }),
            },
        }
    }

    /// Passes on a notification from the IDE. A cancellation goes to the
    /// instance that has the request, and the relay stops waiting for it.
    fn notification(&self, method: &str, params: Option<Box<RawValue>>, line: Outgoing) {
        let link = match method {
            "notifications/initialized" => None, // each link sends its own
            "notifications/cancelled" => {
                #[derive(Deserialize)]
                #[serde(rename_all = "camelCase")]
                struct Cancelled {
                    request_id: RequestId,
                }
                let cancelled =
                    params.and_then(|params| serde_json::from_str::<Cancelled>(params.get()).ok());
                let stopped =
                    cancelled.and_then(|c| self.inner.in_flight.lock().remove(&c.request_id));
                stopped.map(|stopped| {
                    stopped.cancelled.cancel();
                    stopped.link
                })
            }
            _ => self.inner.links.current(),
        };
        if let Some(link) = link {
            let ide = self.inner.ide.clone();
            tokio::spawn(async move { link.send(&line, &ide).await });
        }
    }

    /// `tools/list`: the instance's tools, with the instance argument when
    /// several instances run; the status tool when none can be reached.
    async fn list_tools(&self, id: &RawValue, line: Outgoing) -> Option<Vec<u8>> {
        let link = match self.inner.links.chosen().await {
            Ok(link) => link,
            Err(why) => return Some(local::answer(id, &local::status_tools(&why))),
        };
        let answer = self.send_on(link, None, id, line).await?;
        let running = self.inner.links.running().unwrap_or_default();
        if running.len() < 2 {
            return Some(answer);
        }
        let ids: Vec<&str> = running.iter().map(|i| i.id.as_str()).collect();
        let text = String::from_utf8_lossy(&answer);
        Some(
            match local::with_instance_argument(&text, &ids.join(", ")) {
                Some(rewritten) => rewritten.into_bytes(),
                None => answer,
            },
        )
    }

    /// `tools/call`: passed on unread, unless it calls the status tool or
    /// names another instance.
    async fn call_tool(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        line: Outgoing,
    ) -> Option<Vec<u8>> {
        let failed = |why| Some(local::answer(id, &local::tool_error(why)));
        let (target, line) = match local::Call::special(params) {
            None => (None, line),
            Some(call) if call.name == STATUS_TOOL => {
                let result = self.status(call.argument("instance")).await;
                return Some(local::answer(id, &result));
            }
            Some(mut call) => match call.take_instance() {
                Ok(target) => (target, line.with_line(call.line(id))),
                Err(why) => return failed(why),
            },
        };
        match self.inner.links.to(target.as_deref()).await {
            Ok(link) => {
                let instance = link.instance.id.clone();
                let answer = self.send_on(link, target.as_deref(), id, line).await;
                if let Some(answer) = &answer {
                    self.inner.tasks.note(answer, &instance);
                }
                answer
            }
            Err(why) => failed(why),
        }
    }

    /// A request about a task: passed on, unless the instance that created
    /// the task has stopped, which the relay then says (the instance running
    /// now never heard of the task).
    async fn task_request(
        &self,
        id: &RawValue,
        params: Option<&RawValue>,
        line: Outgoing,
    ) -> Option<Vec<u8>> {
        let chosen = self.inner.links.chosen().await;
        let now = chosen.as_ref().ok().map(|link| link.instance.id.as_str());
        let lost = tasks::named_task(params).and_then(|task| self.inner.tasks.lost(&task, now));
        if let Some(why) = lost {
            return Some(local::error(id, -32602, &why));
        }
        match chosen {
            Ok(link) => self.send_on(link, None, id, line).await,
            Err(why) => Some(local::failure(id, &why)),
        }
    }

    /// Sends request `id` (`line`) on `link`, to the instance `target` (the
    /// chosen one for `None`), and returns its answer. A request that could
    /// not be sent is sent once more on a fresh link (the DCC may have
    /// restarted); one that was sent is never sent twice. `None` when the
    /// IDE cancelled it.
    async fn send_on(
        &self,
        mut link: Arc<Link>,
        target: Option<&str>,
        id: &RawValue,
        line: Outgoing,
    ) -> Option<Vec<u8>> {
        let mut retried = false;
        loop {
            let tracked = self.track(id, &link);
            let sent = tokio::select! {
                sent = link.send(&line, &self.inner.ide) => sent,
                () = tracked.cancelled.cancelled() => return None,
                () = link.lost.cancelled() => {
                    self.inner.links.drop_link(&link);
                    return Some(local::failure(id, &link.lost_while_running()));
                }
            };
            drop(tracked);
            let why = match sent {
                Ok(Some(answer)) => return Some(answer.into_bytes()),
                Ok(None) => "it accepted the request but sent no answer".to_owned(),
                Err(Failure::NotSent(_)) if !retried => {
                    self.inner.links.drop_link(&link);
                    match self.inner.links.to(target).await {
                        Ok(fresh) => (link, retried) = (fresh, true),
                        Err(why) => return Some(local::failure(id, &why)),
                    }
                    continue;
                }
                Err(Failure::NotSent(why) | Failure::NoAnswer(why)) => why,
            };
            // A connection cut mid-answer often means the process died.
            link.check_alive();
            self.inner.links.drop_link(&link);
            let why = match link.is_dead() {
                true => link.lost_while_running(),
                false => link.no_answer(&why),
            };
            return Some(local::failure(id, &why));
        }
    }

    /// Records request `id` as waiting on `link` until the guard drops.
    fn track(&self, id: &RawValue, link: &Arc<Link>) -> Tracked<'_> {
        let cancelled = CancellationToken::new();
        let id = serde_json::from_str::<RequestId>(id.get()).ok();
        if let Some(id) = &id {
            let waiting = InFlight {
                link: link.clone(),
                cancelled: cancelled.clone(),
            };
            self.inner.in_flight.lock().insert(id.clone(), waiting);
        }
        Tracked {
            relay: self,
            id,
            cancelled,
        }
    }

    /// `dcclink_status`: where the relay is connected; with `instance`,
    /// relay to that instance from now on (the agent's explicit choice
    /// when several run).
    async fn status(&self, instance: Option<&str>) -> rmcp::model::CallToolResult {
        if let Some(id) = instance {
            if let Err(why) = self.inner.links.find(id) {
                return local::tool_error(why);
            }
            self.inner.links.choose(id);
            self.tell_ide("notifications/tools/list_changed");
        }
        match self.inner.links.chosen().await {
            Ok(link) => local::tool_text(format!(
                "connected to the {} instance {} ({}); call tools/list for its tools",
                link.instance.dcc, link.instance.id, link.instance.url
            )),
            Err(why) => local::tool_error(why),
        }
    }

    /// Sends the IDE notification `method`, which has no params.
    fn tell_ide(&self, method: &str) {
        let line = serde_json::json!({ "jsonrpc": "2.0", "method": method });
        self.inner.ide.send(line.to_string().into_bytes());
    }

    /// The IDE has gone: cancels every call in flight at its instance
    /// (bounded), then ends each session.
    async fn wind_down(&self) {
        let waiting: Vec<_> = self.inner.in_flight.lock().drain().collect();
        let ide = &self.inner.ide;
        let cancels = waiting.into_iter().map(|(id, waiting)| async move {
            waiting.cancelled.cancel();
            let cancel = serde_json::json!({
                "jsonrpc": "2.0",
                "method": "notifications/cancelled",
                "params": { "requestId": id, "reason": "the IDE disconnected" },
            });
            let _ = waiting
                .link
                .send(&Outgoing::plain(cancel.to_string()), ide)
                .await;
        });
        let sent = futures::future::join_all(cancels);
        if tokio::time::timeout(WIND_DOWN, sent).await.is_err() {
            tracing::warn!("cancellations still on their way after {WIND_DOWN:?}; exiting anyway");
        }
        let goodbyes = self.inner.links.open();
        futures::future::join_all(goodbyes.iter().map(|link| link.close())).await;
    }

    /// Looks at the registry every second: when the chosen instance is
    /// another one than the link's (the DCC restarted) or none, it drops
    /// the link and tells the IDE the lists changed. It also tells the IDE
    /// the tools changed when a second instance starts or the last other
    /// one stops, because the tools then gain or lose the instance
    /// argument.
    async fn watch_registry(self) {
        let running = self.inner.links.running().unwrap_or_default();
        let mut was = self.inner.links.pick_among(&running).ok().map(|i| i.id);
        let mut several = running.len() > 1;
        loop {
            tokio::time::sleep(WATCH_EVERY).await;
            if self.inner.links.watches_processes() {
                for link in self.inner.links.open() {
                    link.check_alive();
                }
            }
            let running = self.inner.links.running().unwrap_or_default(); // read once a pass
            let now = self.inner.links.pick_among(&running).ok().map(|i| i.id);
            let several_now = running.len() > 1;
            let chosen_changed = now != was;
            if !chosen_changed && several_now == several {
                continue;
            }
            tracing::info!(?was, ?now, several_now, "the running instances changed");
            (was, several) = (now, several_now);
            if chosen_changed {
                self.inner.links.forget_current();
            }
            self.tell_ide("notifications/tools/list_changed");
            if chosen_changed {
                self.tell_ide("notifications/resources/list_changed");
            }
        }
    }
}
