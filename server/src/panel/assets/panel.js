// The dcclink panel. One stream of events (Server-Sent Events from
// /panel/events) drives everything: a snapshot first, replayed through the
// same `apply` as the live events that follow. Each event updates only the
// DOM it touches, at once, so progress reaches the screen within a frame.
"use strict";

const LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"];
const MAX_LOG_LINES = 1000;
const MAX_ROWS = 300;

const calls = new Map();          // call id → call record
const prompts = new Map();        // question number → its element
const pools = new Map();          // worker pool id → its element
const clients = new Map();        // session number → {name, transport, since}
const lastCall = new Map();       // client label ("name (transport)") → time of its last call
const finishedAt = [];            // end times of recent calls, for calls/s
let status = { state: "connecting" };
let info = null;
const pendingLog = [];
let logFrame = 0;

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};

// ---- events -------------------------------------------------------------

function apply(event, live = true) {
  switch (event.type) {
    case "call_queued": {
      const call = { id: event.call, tool: event.tool, client: event.client, args: event.arguments,
                     task: event.task, state: "queued", queuedAt: event.time_ms };
      calls.set(call.id, call);
      lastCall.set(event.client, event.time_ms);
      drawCall(call);
      drawClients();
      break;
    }
    case "task_expired":
      // Its result is gone from the server: so goes its row.
      for (const call of [...calls.values()].filter((c) => c.task === event.task)) {
        call.row?.detail.remove();
        call.row?.remove();
        calls.delete(call.id);
      }
      return;
    case "client_connected":
      clients.set(event.client, { name: event.name, transport: event.transport, since: event.time_ms });
      return drawClients();
    case "client_disconnected":
      clients.delete(event.client);
      return drawClients();
    case "call_started":
      // The call events say at once what the main thread is doing; the
      // server's status messages add what only it can see (stalled).
      if (live) { status = { ...status, state: "busy", call: event.call }; drawStatus(); }
      return update(event.call, (c) => { c.state = "running"; c.startedAt = event.time_ms; });
    case "call_progress": return update(event.call, (c) => {
      c.progress = event.progress; c.total = event.total; c.message = event.message;
    });
    case "call_result": return update(event.call, (c) => { c.result = event.text; c.isError = event.is_error; });
    case "call_ended": {
      finishedAt.push(event.time_ms);
      if (live && status.call === event.call) { status = { ...status, state: "idle", call: null }; drawStatus(); }
      return update(event.call, (c) => {
        c.state = event.outcome; c.endedAt = event.time_ms; c.duration = event.duration_ms;
      });
    }
    case "question_opened": return drawPrompt(event);
    case "question_closed": return removePrompt(event.question);
    case "pool": return drawPool(event.pool, event.status);
    case "log": return log(event.time_ms, event.level, event.message, event.call);
    case "emit":
      if (live) for (const handler of handlers.get(event.name) ?? []) handler(event.data, event);
      return log(event.time_ms, "event", `${event.name} ${JSON.stringify(event.data)}`, event.call);
  }
}

function update(id, change) {
  const call = calls.get(id);
  if (!call) return;
  change(call);
  drawCall(call);
}

// ---- worker pools ---------------------------------------------------------

/** Shows a pool's workers (node, pid, state, current item) and its counts;
 *  a null status means the pool closed. */
function drawPool(id, status) {
  let box = pools.get(id);
  if (status === null) {
    box?.remove();
    pools.delete(id);
    $("pools").hidden = pools.size === 0;
    return;
  }
  if (!box) {
    box = el("div", "pool");
    box.dataset.pool = id;
    pools.set(id, box);
    $("pool-list").append(box);
  }
  const head = el("h3", null, status.name);
  head.append(el("span", "counts",
    `${status.done} done · ${status.failed} failed · ${status.queued} queued`));
  const table = el("table");
  const header = el("tr");
  for (const name of ["#", "Node", "PID", "State", "Item"]) header.append(el("th", null, name));
  table.append(el("thead"));
  table.firstChild.append(header);
  const body = el("tbody");
  for (const worker of status.workers) {
    const tr = el("tr");
    tr.dataset.state = worker.state;
    const node = el("td", "node", worker.node ? worker.node.slice(0, 12) : "—");
    node.title = worker.node ?? "";
    const state = el("td", "state", worker.state);
    if (worker.error) state.title = worker.error;
    let item = "—";
    if (worker.item) {
      item = `#${worker.item.index} ${worker.item.tool}`;
      const message = worker.progress?.[2];
      if (message) item += ` · ${message}`;
    }
    tr.append(el("td", null, String(worker.number)), node, el("td", null, String(worker.pid ?? "—")),
              state, el("td", "item", item));
    body.append(tr);
  }
  table.append(body);
  box.replaceChildren(head, table);
  $("pools").hidden = false;
}

// ---- calls --------------------------------------------------------------

function drawCall(call) {
  let row = call.row;
  if (!row) {
    row = call.row = buildRow(call);
    const body = $("call-rows");
    body.insertBefore(row.detail, body.firstChild);
    body.insertBefore(row, row.detail);
    $("no-calls").hidden = true;
    trimRows();
  }
  row.dataset.state = call.state;
  const badge = row.querySelector(".state");
  badge.className = `state ${call.state}`;
  badge.textContent = call.state.replace("_", " ");
  const running = call.state === "running";
  const track = row.querySelector(".track");
  const bar = row.querySelector(".bar");
  if (call.progress !== undefined) {
    const fraction = call.total ? Math.min(1, call.progress / call.total) : null;
    track.classList.toggle("indeterminate", fraction === null && running);
    bar.style.width = fraction === null ? "" : `${(fraction * 100).toFixed(1)}%`;
    bar.dataset.progress = String(call.progress);
    row.querySelector(".message").textContent = call.message
      || (call.total ? `${call.progress} / ${call.total}` : String(call.progress));
  } else {
    track.classList.toggle("indeterminate", running);
  }
  track.hidden = call.progress === undefined && !running;
  if (call.state === "done" && call.total) bar.style.width = "100%";
  row.querySelector(".time").textContent = elapsed(call);
  row.querySelector(".cancel").hidden = !(call.state === "queued" || running);
  const result = row.detail.querySelector(".result");
  result.textContent = call.result ?? "";
  result.classList.toggle("error-text", Boolean(call.isError));
  if (status.call === call.id) drawStatus();
}

function buildRow(call) {
  const row = el("tr", "call");
  row.dataset.call = call.id;
  row.append(el("td", "", `#${call.id}`));
  const state = el("td");
  state.append(el("span", "state"));
  const tool = el("td", "tool", call.tool);
  if (call.task) {
    // An MCP task: its client fetches the result later, by this id.
    const badge = el("span", "task-badge", "task");
    badge.title = `MCP task ${call.task}: the client fetches its result by id, even after it reconnects`;
    tool.append(" ", badge);
  }
  row.append(state, tool, el("td", "client", call.client));
  const progress = el("td");
  const wrap = el("div", "progress");
  const track = el("div", "track");
  track.append(el("div", "bar"));
  wrap.append(track, el("span", "message"));
  progress.append(wrap);
  row.append(progress, el("td", "time"));
  const actions = el("td");
  const cancel = el("button", "cancel", "Cancel");
  cancel.type = "button";
  cancel.title = "Stop this call: a queued call never runs; a running tool sees ctx.cancelled";
  cancel.addEventListener("click", (event) => { event.stopPropagation(); requestCancel(call.id, cancel); });
  actions.append(cancel);
  row.append(actions);

  const detail = el("tr", "detail");
  detail.hidden = true;
  const cell = el("td");
  cell.colSpan = 7;
  cell.append(el("div", "label", "arguments"), el("pre", "args", call.args),
              el("div", "label", "result"), el("pre", "result"));
  detail.append(cell);
  row.detail = detail;
  row.addEventListener("click", () => { detail.hidden = !detail.hidden; });
  return row;
}

function trimRows() {
  // Tasks stay: their results are kept on the server until they expire.
  const rows = [...document.querySelectorAll("tr.call")]
    .filter((row) => !calls.get(Number(row.dataset.call))?.task);
  for (let i = MAX_ROWS; i < rows.length; i++) {
    rows[i].detail.remove();
    rows[i].remove();
    calls.delete(Number(rows[i].dataset.call));
  }
}

// ---- questions from tools ------------------------------------------------

function drawPrompt(event) {
  const call = calls.get(event.call);
  const who = call ? `Call #${call.id} ${call.tool}` : "A tool";
  const node = el("div", "prompt");
  node.dataset.prompt = event.question;
  node.append(el("div", "question", `${who} asks: ${event.text}`));
  if (event.detail) node.append(el("pre", "", event.detail));
  node.append(event.form ? drawForm(event.question, event.form, node) : drawYesNo(event.question, node));
  node.append(el("div", "problem"));
  prompts.set(event.question, node);
  $("prompt-list").append(node);
  $("prompts").hidden = false;
}

function drawYesNo(id, node) {
  const answers = el("div", "answers");
  const allow = el("button", "allow", "Allow");
  const deny = el("button", "deny", "Deny");
  const trustLabel = el("label", "trust");
  const trust = el("input");
  trust.type = "checkbox";
  trustLabel.append(trust, " Trust this session (allow everything until dcclink stops)");
  for (const [button, yes] of [[allow, true], [deny, false]]) {
    button.type = "button";
    button.addEventListener("click", () => answerPrompt(id, { allow: yes, trust: yes && trust.checked }, node));
  }
  answers.append(allow, deny, trustLabel);
  return answers;
}

// A form for a tool's question (MCP elicitation, asked here when the client
// cannot): one field per property of the schema, checked by the browser
// first and by the server again.
function drawForm(id, schema, node) {
  const form = el("form", "fields");
  const required = new Set(schema.required || []);
  const fields = Object.entries(schema.properties || {}).map(([name, property]) => {
    const field = drawField(name, property, required.has(name));
    form.append(field.row);
    return field;
  });
  const answers = el("div", "answers");
  const send = el("button", "allow", "Send");
  const decline = el("button", "deny", "Decline");
  const dismiss = el("button", "", "Dismiss");
  decline.type = dismiss.type = "button";
  decline.addEventListener("click", () => answerPrompt(id, { action: "decline" }, node));
  dismiss.addEventListener("click", () => answerPrompt(id, { action: "cancel" }, node));
  answers.append(send, decline, dismiss);
  form.append(answers);
  form.addEventListener("submit", (submitted) => {
    submitted.preventDefault();
    const content = {};
    for (const field of fields) {
      const value = field.value();
      if (value !== undefined) content[field.name] = value;
    }
    answerPrompt(id, { action: "accept", content }, node);
  });
  return form;
}

const INPUT_TYPES = { email: "email", uri: "url", date: "date", "date-time": "datetime-local" };

function drawField(name, property, isRequired) {
  const row = el("label", isRequired ? "field required" : "field");
  row.append(el("span", "name", property.title || name));
  const choices = property.enum || (property.oneOf || []).map((option) => option.const);
  const titles = property.enumNames || (property.oneOf || []).map((option) => option.title);
  let input;
  let value;
  if (property.type === "boolean") {
    input = el("input");
    input.type = "checkbox";
    input.checked = property.default === true;
    value = () => input.checked;
  } else if (choices.length) {
    input = el("select");
    if (!isRequired) input.append(el("option", "", ""));
    choices.forEach((choice, i) => {
      const option = el("option", "", titles[i] || String(choice));
      option.value = String(choice);
      option.selected = property.default === choice;
      input.append(option);
    });
    value = () => input.value === "" ? undefined : choices.find((c) => String(c) === input.value);
  } else {
    input = el("input");
    const numeric = property.type === "number" || property.type === "integer";
    input.type = numeric ? "number" : INPUT_TYPES[property.format] || "text";
    if (numeric) {
      input.step = property.type === "integer" ? "1" : "any";
      if (property.minimum !== undefined) input.min = property.minimum;
      if (property.maximum !== undefined) input.max = property.maximum;
    } else {
      if (property.minLength !== undefined) input.minLength = property.minLength;
      if (property.maxLength !== undefined) input.maxLength = property.maxLength;
      if (property.pattern) input.pattern = property.pattern;
    }
    if (property.default !== undefined) input.value = property.default;
    value = () => {
      if (input.value === "") return undefined;
      return numeric ? Number(input.value) : input.value;
    };
  }
  input.name = name;
  input.required = isRequired && property.type !== "boolean";
  row.append(input);
  if (property.description) row.append(el("span", "hint", property.description));
  return { name, row, value };
}

function removePrompt(id) {
  prompts.get(id)?.remove();
  prompts.delete(id);
  $("prompts").hidden = prompts.size === 0;
}

async function answerPrompt(id, answer, node) {
  const problem = node.querySelector(".problem");
  for (const button of node.querySelectorAll("button")) button.disabled = true;
  try {
    const response = await fetch(`/panel/api/question/${id}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(answer),
    });
    // 404: answered elsewhere, or it stopped waiting; its close event follows.
    if (response.ok || response.status === 404) return;
    problem.textContent = await response.text();
  } catch (error) {
    problem.textContent = `could not answer: ${error}`;
  }
  for (const button of node.querySelectorAll("button")) button.disabled = false;
}

async function requestCancel(id, button) {
  button.disabled = true;
  button.textContent = "Cancelling…";
  try {
    const response = await fetch(`/panel/api/cancel/${id}`, { method: "POST" });
    if (!response.ok && response.status !== 404) throw new Error(response.statusText);
  } catch (error) {
    button.disabled = false;
    button.textContent = "Cancel";
    log(Date.now(), "error", `could not cancel call #${id}: ${error}`);
  }
}

function elapsed(call) {
  if (call.duration !== undefined && call.duration !== null) return seconds(call.duration);
  if (call.startedAt && !call.endedAt) return seconds(Date.now() - call.startedAt);
  if (call.state === "queued") return `waiting ${seconds(Date.now() - call.queuedAt)}`;
  return "";
}

const seconds = (ms) => {
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
};

// ---- log ----------------------------------------------------------------

function log(time, level, message, call) {
  pendingLog.push({ time, level, message, call });
  if (!logFrame) logFrame = requestAnimationFrame(flushLog);
}

function visible(entry) {
  if (entry.level === "event") return $("show-events").checked;
  return LEVELS.indexOf(entry.level) >= LEVELS.indexOf($("log-level").value);
}

function flushLog() {
  logFrame = 0;
  const list = $("log");
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  const fragment = document.createDocumentFragment();
  for (const entry of pendingLog.splice(0).slice(-MAX_LOG_LINES)) {
    const line = el("li");
    line.entry = entry;
    line.hidden = !visible(entry);
    line.append(el("span", "time", new Date(entry.time).toLocaleTimeString()),
                el("span", `level ${entry.level}`, entry.level),
                document.createTextNode(entry.call ? `#${entry.call} ${entry.message}` : entry.message));
    fragment.append(line);
  }
  list.append(fragment);
  while (list.childElementCount > MAX_LOG_LINES) list.firstElementChild.remove();
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function refilterLog() {
  for (const line of $("log").children) line.hidden = !visible(line.entry);
}

// ---- host, clients, connection ------------------------------------------

function drawStatus() {
  const host = $("host");
  host.className = `host ${status.state}`;
  let text;
  switch (status.state) {
    case "busy": {
      const call = calls.get(status.call);
      const since = call && call.startedAt ? ` for ${seconds(Date.now() - call.startedAt)}` : "";
      text = `Busy: ${call ? call.tool : `call #${status.call}`}${since}`;
      break;
    }
    case "stalled": text = `Stalled: the main thread has not pumped for ${seconds(status.ms_since_pump)}`; break;
    case "idle": text = "Idle"; break;
    case "offline": text = "Disconnected from dcclink — reconnecting…"; break;
    default: text = "Connecting…";
  }
  $("host-text").textContent = text;
  $("queue").textContent = `queue ${status.queue_depth ?? 0}`;
}

function drawRate() {
  const cutoff = Date.now() - 10_000;
  while (finishedAt.length && finishedAt[0] < cutoff) finishedAt.shift();
  $("rate").textContent = `${(finishedAt.length / 10).toFixed(1)} calls/s`;
}

function drawClients() {
  const list = $("clients");
  list.replaceChildren();
  if (!clients.size) { list.append(el("li", "empty", "none connected")); return; }
  for (const [id, client] of [...clients].sort((a, b) => a[0] - b[0])) {
    const label = `${client.name} (${client.transport})`;
    const last = lastCall.get(label);
    const item = el("li", "client", last
      ? `${label} — last call ${new Date(last).toLocaleTimeString()}`
      : `${label} — connected ${new Date(client.since).toLocaleTimeString()}`);
    item.dataset.client = id;
    list.append(item);
  }
}

function drawInfo() {
  $("mcp-url").textContent = info.mcp_url;
  const server = { type: "http", url: info.mcp_url, headers: { Authorization: `Bearer ${info.token}` } };
  $("config-mcp").textContent = JSON.stringify({ mcpServers: { dcclink: server } }, null, 2);
  $("config-vscode").textContent = JSON.stringify({ servers: { dcclink: server } }, null, 2);
}

$("show-token").addEventListener("click", () => {
  const token = $("token");
  const hidden = token.dataset.hidden === "true";
  token.textContent = hidden ? info.token : "••••••••";
  token.dataset.hidden = String(!hidden);
  $("show-token").textContent = hidden ? "Hide" : "Show";
});
$("copy-token").addEventListener("click", async () => {
  try {
    await navigator.clipboard.writeText(info.token);
    $("copy-token").textContent = "Copied";
  } catch {
    $("copy-token").textContent = "Copy failed";
  }
  setTimeout(() => { $("copy-token").textContent = "Copy"; }, 1500);
});
$("log-level").addEventListener("change", refilterLog);
$("show-events").addEventListener("change", refilterLog);

// Clock-driven text (elapsed times, "busy for N s", calls/s) once a second.
setInterval(() => {
  for (const call of calls.values()) {
    if (call.state === "running" || call.state === "queued") drawCall(call);
  }
  drawStatus();
  drawRate();
}, 1000);

// ---- the page's API for custom panels ------------------------------------

const handlers = new Map();       // emit name → handlers

window.dcclink = {
  /** Runs the Python callback `name` on the DCC's main thread; resolves with its result. */
  async call(name, args) {
    const response = await fetch(`/panel/api/call/${encodeURIComponent(name)}`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(args ?? null),
    });
    const body = await response.json();
    if (!response.ok) throw new Error(body.error);
    return body.result;
  },
  /** Calls `handler(data, event)` for every `emit(name, data)` from Python. */
  on(name, handler) {
    if (!handlers.has(name)) handlers.set(name, []);
    handlers.get(name).push(handler);
  },
};

// ---- the stream ---------------------------------------------------------

const stream = new EventSource("/panel/events");
stream.addEventListener("snapshot", (message) => {
  const snapshot = JSON.parse(message.data);
  calls.clear();
  clients.clear();
  prompts.clear();
  $("prompt-list").replaceChildren();
  $("prompts").hidden = true;
  pools.clear();
  $("pool-list").replaceChildren();
  $("pools").hidden = true;
  $("call-rows").replaceChildren();
  $("log").replaceChildren();
  info = snapshot.info;
  drawInfo();
  for (const event of snapshot.events) apply(event, false);
  $("no-calls").hidden = calls.size > 0;
  status = snapshot.status;
  drawStatus();
});
stream.addEventListener("event", (message) => apply(JSON.parse(message.data)));
stream.addEventListener("status", (message) => { status = JSON.parse(message.data); drawStatus(); });
stream.addEventListener("error", () => { status = { state: "offline" }; drawStatus(); });
