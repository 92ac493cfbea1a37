// The labelf-mock inspector: reads the control API (same origin) about once a second and shows one session's
// journal, faults and clock, and the open sessions.  The journal is read incrementally: each round asks only for
// the entries after the newest one already shown (`since=<last_seq>`), so no request is missed between rounds
// however busy the mock is; the page keeps the newest JOURNAL_KEEP of them.  It writes no markup from data: every text goes in through
// textContent (the page's Content-Security-Policy requires Trusted Types, so assigning markup would throw).
"use strict";

(() => {
  const CONTROL = document.documentElement.dataset.control;
  const TOKEN_KEY = "labelf-mock-control-token";
  const POLL_MS = 1000;
  const JOURNAL_KEEP = 1000; // rows kept: as many as the default session's journal holds

  const $ = (id) => document.getElementById(id);
  const state = {
    session: "default",
    route: "",
    status: "",
    paused: false,
    selected: null, // the selected journal row's key
    notice: "", // a message that outlives the next successful round (the session shown was closed)
    last: {}, // the last answer of each panel, as JSON text: a panel is redrawn only when it changed
    timer: null,
    sessionIds: "", // the sessions the list offers
    round: 0, // bumped by every change: an answer to an older round is dropped, its loop ends
    entries: [], // the journal rows shown, oldest first (the entries of the control API's answers)
    lastSeq: null, // the newest seq read (the next round's since=); null: read afresh (a filter or session changed)
    total: 0, // the entries the session's journal holds, as of the last round
  };

  // --- the filters live in the URL's fragment (never sent to a server), so a view can be bookmarked ---
  function readFragment() {
    const params = new URLSearchParams(location.hash.slice(1));
    state.session = params.get("session") || "default";
    state.route = params.get("route") || "";
    state.status = params.get("status") || "";
  }

  function writeFragment() {
    const params = new URLSearchParams();
    if (state.session !== "default") params.set("session", state.session);
    if (state.route) params.set("route", state.route);
    if (state.status) params.set("status", state.status);
    const fragment = params.toString();
    history.replaceState(null, "", fragment ? `#${fragment}` : location.pathname);
  }

  // --- the control API ---
  class ControlError extends Error {
    constructor(status, body) {
      super((body && body.message) || `The control API answered ${status}.`);
      this.status = status;
      this.body = body || {};
    }
  }

  async function control(path) {
    const headers = { accept: "application/json" };
    const token = sessionStorage.getItem(TOKEN_KEY);
    if (token) headers.authorization = `Bearer ${token}`;
    const response = await fetch(CONTROL + path, { headers, cache: "no-store", credentials: "omit", redirect: "error" });
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      body = null;
    }
    if (!response.ok) throw new ControlError(response.status, body);
    return body;
  }

  // --- building elements without markup ---
  function el(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? "" : String(value));
    }
    for (const child of children) {
      node.append(child instanceof Node ? child : document.createTextNode(child === null ? "" : String(child)));
    }
    return node;
  }

  function statusClass(status) {
    return status === null || status === undefined ? "snone" : `s${String(status)[0]}xx`;
  }

  function statusChip(status) {
    const text = status === null || status === undefined ? "none" : String(status);
    return el("span", { class: `status ${statusClass(status)}`, "data-status": text }, text);
  }

  function clockTime(iso) {
    return iso ? iso.slice(11, 23) : "";
  }

  // --- panels ---
  function entryKey(entry) {
    return String(entry.seq); // the entry's number: never reused, not shifted as the journal drops old entries
  }

  function milliseconds(duration) {
    return duration === null || duration === undefined ? "" : (duration * 1000).toFixed(1);
  }

  // Take one answer of `journal?since=…` into the rows kept; null when nothing shown changed.
  function takeJournal(journal) {
    const fresh = state.lastSeq === null || journal.last_seq < state.lastSeq;
    const before = state.entries;
    const held = journal.last_seq - journal.total + 1; // the journal holds seq held..last_seq: older ones were
    // evicted or reset away, and are dropped here too
    const kept = (fresh ? [] : before.filter((entry) => entry.seq >= held)).concat(journal.entries);
    state.entries = kept.slice(-JOURNAL_KEEP);
    state.lastSeq = journal.last_seq;
    const moved = fresh || state.total !== journal.total || state.entries.length !== before.length;
    state.total = journal.total;
    return moved || journal.entries.length > 0 ? { fresh } : null;
  }

  function journalRow(entry) {
    const key = entryKey(entry);
    const row = el(
      "tr",
      {
        "data-key": key,
        "data-seq": entry.seq,
        "data-duration": entry.duration === null ? "none" : entry.duration,
        "data-route": entry.route || "",
        "data-status": entry.status === null ? "none" : entry.status,
        "aria-selected": key === state.selected ? "true" : "false",
        tabindex: 0,
      },
      el("td", {}, entry.seq),
      el("td", { title: entry.at_iso }, clockTime(entry.at_iso)),
      el("td", {}, entry.method),
      el("td", { class: "path" }, entry.path + (entry.query ? `?${entry.query}` : "")),
      el("td", {}, entry.route || ""),
      el("td", {}, statusChip(entry.status)),
      el("td", { class: "duration", title: entry.duration === null ? "no answer" : null }, milliseconds(entry.duration)),
      el("td", { class: "fault-tag" }, entry.fault || ""),
    );
    row.addEventListener("click", () => select(entry, row));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") {
        event.preventDefault();
        select(entry, row);
      }
    });
    return row;
  }

  // Newest first; rows already on the page are kept (a row the user is reading is not rebuilt), new ones added
  // on top, dropped ones removed.  A fresh read (another session: its seqs are its own) builds every row anew.
  function renderJournal(fresh) {
    const body = $("journal").tBodies[0];
    const existing = new Map(fresh ? [] : Array.from(body.rows, (row) => [row.dataset.key, row]));
    const rows = state.entries
      .slice()
      .reverse()
      .map((entry) => existing.get(entryKey(entry)) || journalRow(entry));
    body.replaceChildren(...rows);
    const shown = state.entries.length;
    $("journal-count").textContent = `(${shown < state.total ? `${shown} of ${state.total}` : state.total})`;
    $("journal-empty").hidden = shown > 0;
  }

  function fact(list, name, value) {
    if (value === null || value === undefined || value === "" || value === false) return;
    list.append(el("dt", {}, name), el("dd", {}, value === true ? "yes" : value));
  }

  function select(entry, row) {
    state.selected = entryKey(entry);
    for (const other of $("journal").tBodies[0].rows) other.setAttribute("aria-selected", "false");
    row.setAttribute("aria-selected", "true");
    $("detail").hidden = false;
    $("detail-summary").textContent = entry.summary;
    const facts = $("detail-facts");
    facts.replaceChildren();
    fact(facts, "time", entry.at_iso);
    fact(facts, "arrived", entry.arrived_at_iso);
    fact(facts, "route", entry.route);
    fact(facts, "status", entry.status === null ? "no answer" : String(entry.status));
    fact(facts, "duration", entry.duration === null ? "" : `${milliseconds(entry.duration)} ms`);
    fact(facts, "fault", entry.fault);
    fact(facts, "query", entry.query);
    fact(facts, "client id", entry.client_id);
    fact(facts, "bearer token", entry.token);
    fact(facts, "issued token", entry.issued_token);
    fact(facts, "truncated", entry.truncated);
    const headers = Object.entries(entry.headers || {}).map(([name, value]) =>
      el("tr", {}, el("th", {}, name), el("td", {}, value)),
    );
    $("detail-headers").tBodies[0].replaceChildren(...headers);
    const form = Object.entries(entry.form || {});
    $("detail-body").textContent = form.length
      ? form.map(([name, values]) => values.map((value) => `${name} = ${value}`).join("\n")).join("\n")
      : prettyBody(entry.body);
  }

  function prettyBody(body) {
    if (!body) return "(empty)";
    try {
      return JSON.stringify(JSON.parse(body), null, 2);
    } catch (_) {
      return body;
    }
  }

  function renderFaults(answer) {
    const rows = answer.faults.map((fault) =>
      el(
        "tr",
        { "data-fault-id": fault.id, "data-remaining": fault.remaining === null ? "every" : fault.remaining, class: fault.pending ? null : "spent" },
        el("td", {}, fault.id),
        el("td", {}, fault.route),
        el("td", { title: fault.description }, fault.kind + (fault.status ? ` ${fault.status}` : "") + (fault.match ? ` where ${fault.match}` : "")),
        el("td", { class: "hits" }, fault.hits),
        el("td", { class: "remaining" }, fault.remaining === null ? "every call" : fault.remaining),
      ),
    );
    $("faults").tBodies[0].replaceChildren(...rows);
    const pending = answer.faults.filter((fault) => fault.pending).length;
    $("faults-count").textContent = answer.faults.length ? `(${pending} pending)` : "";
    $("faults-empty").hidden = answer.faults.length > 0;
  }

  function renderClock(clock) {
    $("clock-now").textContent = clock.iso;
    $("clock-now").title = `Unix ${clock.now}`;
    const badge = $("clock-state");
    badge.textContent = clock.frozen ? "frozen" : "wall time";
    badge.className = clock.frozen ? "badge frozen" : "badge";
  }

  function renderSessions(answer) {
    // The list is rebuilt only when sessions open or close, not as their counts change: a list the user has
    // open stays open.
    const ids = answer.sessions.map((session) => session.id);
    if (ids.join(" ") !== state.sessionIds || $("session").value !== state.session) {
      state.sessionIds = ids.join(" ");
      const options = ids.map((id) => el("option", { value: id, selected: id === state.session }, id));
      $("session").replaceChildren(...options);
    }
    const rows = answer.sessions.map((session) => {
      const row = el(
        "tr",
        { "data-session": session.id, "aria-selected": session.id === state.session ? "true" : "false", tabindex: 0 },
        el("td", {}, session.id),
        el("td", {}, session.client_ids.join(", ")),
        el("td", {}, session.requests),
        el("td", {}, session.faults_pending),
        el("td", {}, session.idle_seconds === null ? "" : `${Math.round(session.idle_seconds)} s`),
      );
      row.addEventListener("click", () => chooseSession(session.id));
      return row;
    });
    $("sessions").tBodies[0].replaceChildren(...rows);
    $("sessions-count").textContent = `(${answer.open} open, at most ${answer.max})`;
  }

  // --- one round: everything the page shows, then the next round ---
  function journalQuery() {
    const params = new URLSearchParams({ limit: String(JOURNAL_KEEP) });
    if (state.lastSeq !== null) params.set("since", String(state.lastSeq));
    if (state.route) params.set("route", state.route);
    if (state.status) params.set("status", state.status);
    return params.toString();
  }

  function changed(panel, answer) {
    const text = JSON.stringify(answer);
    if (state.last[panel] === text) return false;
    state.last[panel] = text;
    return true;
  }

  function problem(text) {
    const shown = text || state.notice;
    $("problem").textContent = shown;
    $("problem").hidden = !shown;
  }

  function setLive(kind, text) {
    $("live").dataset.state = kind;
    $("live").textContent = text;
  }

  async function refresh(round) {
    const session = `/sessions/${encodeURIComponent(state.session)}`;
    try {
      const [sessions, journal, faults, clock] = await Promise.all([
        control("/sessions"),
        control(`${session}/journal?${journalQuery()}`),
        control(`${session}/faults`),
        control(`${session}/clock`),
      ]);
      if (round !== state.round) return;
      if (changed("sessions", sessions)) renderSessions(sessions);
      const taken = takeJournal(journal);
      if (taken) renderJournal(taken.fresh);
      if (changed("faults", faults)) renderFaults(faults);
      if (changed("clock", clock)) renderClock(clock);
      $("token-form").hidden = true;
      $("forget-token").hidden = !sessionStorage.getItem(TOKEN_KEY);
      problem("");
      setLive(state.paused ? "paused" : "live", state.paused ? "paused" : `live · ${new Date().toLocaleTimeString()}`);
    } catch (error) {
      if (round === state.round) failed(error);
    }
  }

  function failed(error) {
    setLive("error", "not updating");
    if (!(error instanceof ControlError)) {
      problem(`The mock does not answer (${error.message}). Is labelf-mock serve still running?`);
      return;
    }
    if (error.status === 401) {
      const had = sessionStorage.getItem(TOKEN_KEY);
      sessionStorage.removeItem(TOKEN_KEY);
      $("token-form").hidden = false;
      $("forget-token").hidden = true;
      problem(had ? "That control token was refused; paste the one in the file the mock's banner names." : "");
      return;
    }
    if (error.status === 404 && error.body.error === "unknown_session" && state.session !== "default") {
      const closed = `Session ${state.session} is closed; showing the default session.`;
      chooseSession("default");
      state.notice = closed;
      problem("");
      return;
    }
    problem(error.body.field ? `${error.message} (field: ${error.body.field})` : error.message);
  }

  async function loop(round) {
    if (!state.paused && !document.hidden) await refresh(round);
    if (round === state.round) state.timer = setTimeout(() => loop(round), POLL_MS);
  }

  // A change the user made: forget the last notice and redraw everything at once.
  function restart() {
    state.notice = "";
    state.last = {};
    state.lastSeq = null; // the journal is read afresh (the rows shown stay until the answer replaces them)
    state.round += 1;
    clearTimeout(state.timer);
    loop(state.round);
  }

  function chooseSession(id) {
    state.session = id;
    state.selected = null;
    $("detail").hidden = true;
    writeFragment();
    restart();
  }

  // --- wiring ---
  function start() {
    readFragment();
    $("origin").textContent = location.origin;
    $("route").value = state.route;
    $("status").value = state.status;
    $("session").addEventListener("change", (event) => chooseSession(event.target.value));
    $("route").addEventListener("change", (event) => {
      state.route = event.target.value;
      writeFragment();
      restart();
    });
    $("status").addEventListener("change", (event) => {
      state.status = event.target.value.trim();
      writeFragment();
      restart();
    });
    $("pause").addEventListener("click", () => {
      state.paused = !state.paused;
      $("pause").setAttribute("aria-pressed", String(state.paused));
      $("pause").textContent = state.paused ? "Resume" : "Pause";
      setLive(state.paused ? "paused" : "live", state.paused ? "paused" : "live");
      if (!state.paused) restart();
    });
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const token = $("token").value.trim();
      $("token").value = "";
      if (token) sessionStorage.setItem(TOKEN_KEY, token);
      restart();
    });
    $("forget-token").addEventListener("click", () => {
      sessionStorage.removeItem(TOKEN_KEY);
      restart();
    });
    document.addEventListener("visibilitychange", () => {
      if (!document.hidden) restart();
    });
    restart();
  }

  start();
})();
