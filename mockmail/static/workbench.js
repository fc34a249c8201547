// The mockmail workbench: reads and drives the mock through its control endpoints under /_mockmail/.
// Plain ES2020, no framework, no inline handlers; text from the server goes in with textContent only.
"use strict";

const BASE = "/_mockmail";
const TOKEN_KEY = "mockmail.controlToken";
const POLL_MS = 500; // a new request shows within a second
const STATE_EVERY = 2; // polls between refreshes of the scenario, users and faults (a watched file may change)
const JOURNAL_SYNC_EVERY = 8; // polls between reads of the whole journal (a reset or clear from elsewhere)

// Presets: one switch each; on adds the fault under its name, off deletes it.
const PRESETS = [
  {
    label: "Next save gets an expired token (401, once)",
    fault: {name: "preset/expired-token", match: {method: "PUT"}, times: 1, respond: "unauthorized"},
  },
  {
    label: "Saves fail with a server error (500)",
    fault: {name: "preset/server-error", match: {method: "PUT"}, respond: "server_error"},
  },
  {
    label: "Service unavailable (503, Retry-After)",
    fault: {name: "preset/unavailable", respond: "unavailable"},
  },
  {
    label: "Slow: every request waits 2 s",
    fault: {name: "preset/slow", respond: {delay_ms: 2000}},
  },
  {
    label: "Saves drop the connection",
    fault: {name: "preset/dropped", match: {method: "PUT"}, respond: "reset"},
  },
];

const $ = (id) => document.getElementById(id);

/** An element with attributes, and children (strings become text nodes, never markup). */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "className") node.className = value;
    else if (name === "text") node.textContent = value;
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** Replace a list's children, keeping the keyboard focus on the control of the same ``data-focus`` key. */
function replaceKeepingFocus(container, children) {
  const focused = document.activeElement;
  const key = focused && container.contains(focused) ? focused.dataset.focus : undefined;
  container.replaceChildren(...children);
  if (key) {
    const again = [...container.querySelectorAll("[data-focus]")].find((node) => node.dataset.focus === key);
    if (again) again.focus();
  }
}

function say(id, text, isError = false) {
  const node = $(id);
  node.textContent = text;
  node.classList.toggle("error", isError);
}

// ---------------------------------------------------------------------------------------------
// Talking to the mock

class NeedsToken extends Error {}

let memoryToken = ""; // used when the browser keeps no sessionStorage

function token() {
  try {
    return sessionStorage.getItem(TOKEN_KEY) || memoryToken;
  } catch {
    return memoryToken;
  }
}

/** A control request; resolves to the parsed JSON (or null), rejects with the server's error text. */
async function call(method, path, body) {
  const headers = {Accept: "application/json"};
  const init = {method, headers, cache: "no-store"};
  const bearer = token();
  if (bearer) headers.Authorization = `Bearer ${bearer}`;
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  let answer;
  try {
    answer = await fetch(BASE + path, init);
  } catch {
    setConnection(false);
    throw new Error("the mock did not answer (is it still running?)");
  }
  setConnection(true);
  if (answer.status === 401) {
    showTokenPanel(bearer ? "That token was refused; enter the control token again." : "");
    throw new NeedsToken("the control token is needed");
  }
  const text = await answer.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!answer.ok) {
    const message = data && typeof data.error === "string" ? data.error
      : data && data.error && data.error.message ? data.error.message
        : `${answer.status} ${answer.statusText}`;
    const error = new Error(message);
    error.status = answer.status;
    throw error;
  }
  return data;
}

/** A fault name in a URL: each segment encoded, the slashes kept (the route takes a path). */
function faultPath(name) {
  return "/faults/" + name.split("/").map(encodeURIComponent).join("/");
}

let connected = null;

function setConnection(ok) {
  if (ok === connected) return;
  connected = ok;
  const node = $("connection");
  node.textContent = ok ? `Live: ${location.host}` : "The mock does not answer; retrying…";
  node.classList.toggle("error", !ok);
}

// ---------------------------------------------------------------------------------------------
// The control token

function showTokenPanel(message) {
  $("token-panel").hidden = false;
  say("token-message", message, Boolean(message));
  paused = true;
  if (document.activeElement === document.body || !document.activeElement) $("token-input").focus();
}

function setUpToken() {
  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = $("token-input").value.trim();
    if (!value) return;
    memoryToken = value;
    try {
      sessionStorage.setItem(TOKEN_KEY, value);
    } catch {
      // kept in memory only: a reload asks again
    }
    $("token-input").value = "";
    $("token-panel").hidden = true;
    paused = false;
    refreshAll();
  });
}

// ---------------------------------------------------------------------------------------------
// Scenario

let scenario = null;

function renderScenario(data) {
  scenario = data;
  $("scenario-source").textContent = data.source ?? "";
  $("scenario-style").textContent = data.style ?? "";
  $("scenario-seed").textContent = data.seed ?? "";
  const error = data.error;
  $("reload-error").hidden = !error;
  $("reload-error-text").textContent = error || "";
  const select = $("scenario-select");
  const available = Array.isArray(data.available) ? data.available : [];
  const names = available.join("\n");
  if (select.dataset.names !== names) {
    const chosen = select.value;
    select.replaceChildren(...available.map((name) => el("option", {value: name}, name)));
    select.dataset.names = names;
    const current = available.find((name) => String(data.source || "").endsWith(name));
    select.value = available.includes(chosen) ? chosen : current || available[0] || "";
  }
  $("switch-form").hidden = available.length === 0;
  $("switch-none").hidden = available.length > 0;
}

async function loadScenario() {
  try {
    renderScenario(await call("GET", "/scenario"));
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("scenario-message", `Scenario: ${error.message}`, true);
  }
}

async function resetMock(button, done) {
  button.disabled = true;
  try {
    await call("POST", "/reset");
    clearJournal();
    say("scenario-message", done);
  } catch (error) {
    if (error instanceof NeedsToken) return;
    say("scenario-message", `Not reset: ${error.message}`, true);
    await loadScenario();
    if (!scenario || !scenario.error) showLoadError(error.message);
  } finally {
    button.disabled = false;
    await refreshAll();
  }
}

function showLoadError(message) {
  $("reload-error").hidden = false;
  $("reload-error-text").textContent = message;
}

function setUpScenario() {
  $("reset-button").addEventListener("click", (event) =>
    resetMock(event.currentTarget, "Reset: accounts, tokens, faults and journal are the scenario's again."));
  $("reload-button").addEventListener("click", (event) =>
    resetMock(event.currentTarget, "Reloaded the scenario file from disk, and reset."));
  $("switch-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const name = $("scenario-select").value;
    if (!name) return;
    try {
      await call("POST", "/scenario", {name});
      clearJournal();
      say("scenario-message", `Switched to ${name}.`);
    } catch (error) {
      if (!(error instanceof NeedsToken)) say("scenario-message", `Not switched: ${error.message}`, true);
    }
    await refreshAll();
  });
}

// ---------------------------------------------------------------------------------------------
// Users and accounts

const ACCOUNT_FIELDS = [
  ["name", "name"],
  ["enabled", "enabled"],
  ["isDefault", null],
  ["signature", "signature"],
  ["autoreply", "autoreply"],
];

function valueText(value) {
  if (value === null || value === undefined) return "null";
  if (value === "") return "(empty)";
  return typeof value === "object" ? JSON.stringify(value) : String(value);
}

let usersShown = "";

function renderUsers(users) {
  const json = JSON.stringify(users);
  if (json === usersShown) return; // unchanged: leave the focus and open rows alone
  usersShown = json;
  const container = $("users");
  const open = new Set([...container.querySelectorAll("details[open]")].map((node) => node.dataset.key));
  const names = users.map((user) => el("option", {value: user.name}));
  $("user-names").replaceChildren(...names);
  replaceKeepingFocus(container, users.map((user) => renderUser(user, open)));
}

function renderUser(user, open) {
  const tokenId = `token-${user.name}`;
  const copy = el("button", {
    type: "button", className: "small", "aria-label": `Copy ${user.name}'s token`, "data-focus": `copy/${user.name}`,
  }, "Copy");
  copy.addEventListener("click", () => copyToken(user));
  const revoke = el("button", {
    type: "button", className: "small danger", "aria-label": `Revoke ${user.name}'s token`,
    disabled: user.revoked, "data-focus": `revoke/${user.name}`,
  }, "Revoke");
  revoke.addEventListener("click", () => revokeToken(user.name));
  const head = el("div", {className: "user-head"},
    el("h3", {}, user.name),
    el("code", {id: tokenId, className: "token", title: `${user.name}'s token`}, user.token),
    copy,
    user.revoked ? el("span", {className: "badge bad"}, "revoked") : null,
    revoke,
  );
  const accounts = el("ul", {className: "accounts", "aria-label": `${user.name}'s accounts`},
    ...user.accounts.map((account) => renderAccount(user, account, open)));
  return el("article", {className: "user", "aria-label": `user ${user.name}`}, head, accounts);
}

function renderAccount(user, account, open) {
  const changed = new Set(account.changed || []);
  const isNew = changed.has("new");
  const flags = [
    account.isDefault ? el("span", {className: "badge"}, "default") : null,
    account.isAlias ? el("span", {className: "badge"}, "alias") : null,
    account.isTeamlabMailbox ? el("span", {className: "badge"}, "built-in") : null,
    account.enabled === false ? el("span", {className: "badge muted"}, "disabled") : null,
    isNew ? el("mark", {}, "new") : null,
    changed.size && !isNew ? el("mark", {}, `changed: ${[...changed].join(", ")}`) : null,
  ];
  const key = `${user.name}/${account.email}/${account.isAlias ? "alias" : "box"}`;
  const rows = [];
  const mark = (field, label, value) => {
    const term = el("dt", {}, label);
    const text = valueText(value);
    const detail = el("dd", {}, changed.has(field) ? el("mark", {title: "changed since the last reset"}, text) : text);
    rows.push(term, detail);
  };
  mark("mailbox_id", "mailboxId", account.mailboxId);
  for (const [wire, field] of ACCOUNT_FIELDS) mark(field, wire, account[wire]);
  for (const [name, value] of Object.entries(account.settings || {})) mark(name, name, value);
  for (const name of ["eMailInFolder", "quotaError", "authError", "dateCreated"]) {
    const field = {eMailInFolder: "email_in_folder", quotaError: "quota_error", authError: "auth_error",
      dateCreated: "date_created"}[name];
    mark(field, name, account[name]);
  }
  const details = el("details", {"data-key": key, open: open.has(key)},
    el("summary", {"data-focus": `account/${key}`}, el("span", {className: "email"}, account.email), " ",
      el("span", {className: "account-name"}, account.name ? `“${account.name}”` : ""), " ", ...flags),
    el("dl", {className: "account-fields"}, ...rows));
  return el("li", {className: changed.size ? "account changed" : "account"}, details);
}

async function copyToken(user) {
  try {
    await navigator.clipboard.writeText(user.token);
    say("users-message", `Copied ${user.name}'s token.`);
  } catch {
    const range = document.createRange();
    range.selectNodeContents($(`token-${user.name}`));
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    say("users-message", `Selected ${user.name}'s token: press Ctrl+C (⌘C) to copy it.`);
  }
}

async function revokeToken(name) {
  try {
    await call("POST", `/users/${encodeURIComponent(name)}/revoke-token`);
    say("users-message", `Revoked ${name}'s token: it answers 401 until the next reset.`);
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("users-message", `Not revoked: ${error.message}`, true);
  }
  await loadUsers();
}

async function loadUsers() {
  try {
    renderUsers((await call("GET", "/users")).users || []);
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("users-message", `Users: ${error.message}`, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Faults

let faultsShown = "";

function renderFaults(list) {
  const json = JSON.stringify(list);
  if (json === faultsShown) return;
  faultsShown = json;
  replaceKeepingFocus($("faults"), list.map(renderFault));
  $("faults-empty").hidden = list.length > 0;
  $("fault-names").replaceChildren(...list.map((fault) => el("option", {value: fault.name})));
  for (const input of document.querySelectorAll("#presets input")) {
    const present = list.find((fault) => fault.name === input.dataset.name);
    input.checked = Boolean(present && present.enabled !== false);
  }
}

function renderFault(fault) {
  const enabled = fault.enabled !== false;
  const toggle = el("input", {
    type: "checkbox", role: "switch", checked: enabled, "aria-label": `${fault.name} on`,
    "data-focus": `switch/${fault.name}`,
  });
  toggle.checked = enabled;
  toggle.addEventListener("change", () => setFaultEnabled(fault.name, toggle.checked));
  const remove = el("button", {
    type: "button", className: "small danger", "aria-label": `Delete fault ${fault.name}`,
    "data-focus": `delete/${fault.name}`,
  }, "Delete");
  remove.addEventListener("click", () => deleteFault(fault.name));
  return el("tr", {className: enabled ? "" : "off"},
    el("td", {}, toggle),
    el("th", {scope: "row"}, el("code", {}, fault.name)),
    el("td", {className: "spec"}, el("code", {}, describeSpec(fault.spec || {}))),
    el("td", {className: "num"}, fault.matched),
    el("td", {className: "num"}, fault.fired),
    el("td", {}, remove));
}

function describeSpec(spec) {
  const shown = {...spec};
  delete shown.name;
  return JSON.stringify(shown);
}

async function loadFaults() {
  try {
    renderFaults((await call("GET", "/faults")).faults || []);
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("fault-message", `Faults: ${error.message}`, true);
  }
}

async function addFault(spec, form) {
  try {
    const answer = await call("POST", "/faults", spec);
    const name = answer && answer.fault ? answer.fault.name : spec.name;
    say("fault-message", `Added fault ${name}.`);
    if (form) form.reset();
    return true;
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("fault-message", `Not added: ${error.message}`, true);
    return false;
  } finally {
    await loadFaults();
  }
}

async function deleteFault(name) {
  try {
    await call("DELETE", faultPath(name));
    say("fault-message", `Deleted fault ${name}.`);
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("fault-message", `Not deleted: ${error.message}`, true);
  }
  await loadFaults();
}

async function setFaultEnabled(name, enabled) {
  try {
    await call("PATCH", faultPath(name), {enabled});
    say("fault-message", `Fault ${name} is ${enabled ? "on" : "off"}.`);
  } catch (error) {
    if (!(error instanceof NeedsToken)) say("fault-message", `Not switched: ${error.message}`, true);
  }
  await loadFaults();
}

/** The fault the small form describes, in the scenario's shape. */
function formFault(form) {
  const data = new FormData(form);
  const text = (name) => String(data.get(name) || "").trim();
  const number = (name) => (text(name) === "" ? undefined : Number(text(name)));
  const spec = {};
  if (text("name")) spec.name = text("name");
  const match = {};
  for (const name of ["method", "path", "user", "email"]) if (text(name)) match[name] = text(name);
  if (Object.keys(match).length) spec.match = match;
  for (const name of ["after", "every", "times", "probability"]) {
    if (number(name) !== undefined) spec[name] = number(name);
  }
  const kind = text("kind");
  const respond = {};
  if (kind !== "delay" && kind !== "status") respond.kind = kind;
  if (number("status") !== undefined) respond.status = number("status");
  if (number("delay_ms") !== undefined) respond.delay_ms = number("delay_ms");
  const keys = Object.keys(respond);
  spec.respond = keys.length === 1 && keys[0] === "kind" ? kind : respond;
  return spec;
}

function setUpFaults() {
  const presets = $("presets");
  for (const [index, preset] of PRESETS.entries()) {
    const id = `preset-${index}`;
    const input = el("input", {type: "checkbox", role: "switch", id, "data-name": preset.fault.name});
    // Not disabled while the mock answers: a disabled control would lose the keyboard focus.
    input.addEventListener("change", () => (input.checked ? addFault(preset.fault) : deleteFault(preset.fault.name)));
    presets.append(el("div", {className: "preset"}, input, el("label", {for: id}, preset.label)));
  }
  $("fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    await addFault(formFault(event.currentTarget), event.currentTarget);
  });
  $("paste-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const text = $("fault-json").value.trim();
    let spec;
    try {
      spec = JSON.parse(text);
    } catch (error) {
      say("fault-message", `Not added: that is not JSON (${error.message}); YAML is not accepted here.`, true);
      return;
    }
    const specs = Array.isArray(spec) ? spec : [spec];
    for (const one of specs) if (!(await addFault(one))) return;
    form.reset();
  });
}

// ---------------------------------------------------------------------------------------------
// Journal

const rows = new Map(); // seq -> {entry, node}
let lastSeq = 0;

function clearJournal() {
  rows.clear();
  $("journal").replaceChildren();
  updateCount();
}

function entryTime(entry) {
  const date = typeof entry.time === "number" ? new Date(entry.time * 1000) : new Date(entry.time);
  return Number.isNaN(date.getTime()) ? null : date;
}

function clock(date) {
  if (!date) return "";
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  return `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}`;
}

function statusText(entry) {
  return entry.status === null || entry.status === undefined ? "dropped" : String(entry.status);
}

function statusClass(entry) {
  if (entry.status === null || entry.status === undefined || entry.status >= 500) return "status bad";
  if (entry.status >= 400) return "status warn";
  return "status ok";
}

function renderEntry(entry) {
  const date = entryTime(entry);
  const summary = el("summary", {className: "entry-line"},
    el("time", {datetime: date ? date.toISOString() : "", title: date ? date.toISOString() : ""}, clock(date)),
    el("span", {className: "method"}, entry.method),
    el("span", {className: "path", title: entry.path}, entry.path),
    el("span", {className: "who"}, entry.user || "—"),
    el("span", {className: statusClass(entry)}, statusText(entry)),
    el("span", {className: entry.fault ? "fault badge bad" : "fault"}, entry.fault || ""),
    el("span", {className: "num duration"}, entry.duration_ms ?? ""),
  );
  const facts = el("dl", {className: "facts"},
    el("dt", {}, "Seq"), el("dd", {}, entry.seq ?? ""),
    el("dt", {}, "Time"), el("dd", {}, date ? date.toISOString() : String(entry.time ?? "")),
    el("dt", {}, "Request"), el("dd", {}, `${entry.method} ${entry.path}`),
    el("dt", {}, "User"), el("dd", {}, entry.user || "— (no valid credentials)"),
    el("dt", {}, "Email"), el("dd", {}, entry.email || "—"),
    el("dt", {}, "Status"), el("dd", {}, entry.status === null || entry.status === undefined
      ? "none: the connection was dropped" : String(entry.status)),
    el("dt", {}, "Fault"), el("dd", {}, entry.fault || "none"),
    el("dt", {}, "Reason"), el("dd", {}, entry.reason || "—"),
    el("dt", {}, "Duration"), el("dd", {}, `${entry.duration_ms ?? "?"} ms`),
  );
  const fields = Object.entries(entry.fields || {});
  const table = fields.length
    ? el("table", {className: "fields"},
      el("caption", {}, "Request fields (passwords masked)"),
      el("thead", {}, el("tr", {}, el("th", {scope: "col"}, "Field"), el("th", {scope: "col"}, "Value"))),
      el("tbody", {}, ...fields.map(([name, value]) =>
        el("tr", {}, el("th", {scope: "row"}, name), el("td", {}, valueText(value))))))
    : el("p", {className: "hint"}, "No fields.");
  const details = el("details", {}, summary, el("div", {className: "entry-body"}, facts, table));
  return el("li", {className: "entry", "data-seq": entry.seq}, details);
}

/** Adds the entries the page has not shown yet; with ``full``, also drops those the mock forgot. */
function mergeJournal(entries, full) {
  entries.forEach((entry, index) => {
    if (entry.seq === undefined) entry.seq = index + 1; // a mock without sequence numbers: full lists only
  });
  if (full) {
    const present = new Set(entries.map((entry) => entry.seq));
    for (const [seq, row] of rows) {
      if (!present.has(seq)) {
        row.node.remove();
        rows.delete(seq);
      }
    }
  }
  const list = $("journal");
  const wanted = filters();
  let added = false;
  for (const entry of entries) {
    if (rows.has(entry.seq)) continue;
    const node = renderEntry(entry);
    node.hidden = !passes(entry, wanted);
    // Newest first: before the first row with a smaller seq.
    let before = null;
    for (const child of list.children) {
      if (Number(child.dataset.seq) < entry.seq) {
        before = child;
        break;
      }
    }
    list.insertBefore(node, before);
    rows.set(entry.seq, {entry, node});
    added = true;
  }
  lastSeq = rows.size ? Math.max(...rows.keys()) : full ? 0 : lastSeq;
  if (added || full) updateCount();
  return added;
}

function filters() {
  const data = new FormData($("journal-filters"));
  const value = (name) => String(data.get(name) || "").trim().toLowerCase();
  return {method: value("method"), path: value("path"), user: value("user"), email: value("email"),
    status: value("status"), fault: value("fault")};
}

/** Whether a journal entry passes the filters: text is found anywhere; status by prefix (4, 40x, dropped). */
function passes(entry, wanted) {
  const has = (text, part) => !part || String(text || "").toLowerCase().includes(part);
  if (wanted.method && String(entry.method).toLowerCase() !== wanted.method) return false;
  if (!has(entry.path, wanted.path) || !has(entry.user, wanted.user) || !has(entry.email, wanted.email)) {
    return false;
  }
  if (wanted.status) {
    const pattern = wanted.status.replace(/[^0-9a-z]/g, "").replace(/x/g, "[0-9]");
    if (!new RegExp(`^${pattern}`).test(statusText(entry))) return false;
  }
  if (wanted.fault === "any") return Boolean(entry.fault);
  if (wanted.fault === "none") return !entry.fault;
  return has(entry.fault, wanted.fault);
}

function applyFilters() {
  const wanted = filters();
  for (const {entry, node} of rows.values()) node.hidden = !passes(entry, wanted);
  updateCount();
}

function updateCount() {
  const total = rows.size;
  const shown = [...rows.values()].filter((row) => !row.node.hidden).length;
  $("journal-count").textContent = total === 0 ? "No requests yet."
    : shown === total ? `${total} request${total === 1 ? "" : "s"}.` : `${shown} of ${total} requests shown.`;
}

/** Fetch the journal (all of it, or what came after the newest row shown) and merge it in. */
async function pollJournal(full) {
  const data = await call("GET", full ? "/journal" : `/journal?after=${lastSeq}`);
  const entries = (data && data.requests) || [];
  if (entries.some((entry) => entry.seq === undefined)) return mergeJournal(entries, true); // no `after` there
  return mergeJournal(entries.filter((entry) => entry.seq > lastSeq || full), full);
}

function setUpJournal() {
  const form = $("journal-filters");
  form.addEventListener("input", applyFilters);
  form.addEventListener("change", applyFilters);
  form.addEventListener("submit", (event) => event.preventDefault());
  $("clear-journal").addEventListener("click", async () => {
    try {
      await call("DELETE", "/journal");
      clearJournal();
    } catch (error) {
      if (!(error instanceof NeedsToken)) say("journal-count", `Not cleared: ${error.message}`, true);
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The loop

let paused = false;
let ticks = 0;

async function refreshState() {
  await Promise.all([loadScenario(), loadUsers(), loadFaults()]);
}

async function refreshAll() {
  await Promise.all([refreshState(), pollJournal(true).catch(() => false)]);
}

async function tick() {
  if (!paused && !document.hidden) {
    ticks += 1;
    try {
      const added = await pollJournal(ticks % JOURNAL_SYNC_EVERY === 0);
      if (added || ticks % STATE_EVERY === 0) await refreshState(); // a new request may change accounts and counts
    } catch {
      // the connection line says what is wrong; the next tick tries again
    }
  }
  setTimeout(tick, POLL_MS);
}

function start() {
  setUpToken();
  setUpScenario();
  setUpFaults();
  setUpJournal();
  // A hidden tab is not polled; shown again, it catches up at once.
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && !paused) refreshAll();
  });
  refreshAll().finally(() => setTimeout(tick, POLL_MS));
}

document.addEventListener("DOMContentLoaded", start);
