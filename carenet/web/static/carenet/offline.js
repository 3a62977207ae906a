// CareNet without signal (carenet.web.offline). Loaded as a file on every page.
//
// - registers the service worker (/sw.js), which keeps the pages opened online;
// - on the record form, when there is no signal, keeps the record in IndexedDB under an
//   idempotency key made when the form was opened, and says so;
// - sends what waits when the signal returns (on load, on the "online" event, on a
//   Background Sync message, and every 30 s while something waits), each record to the
//   API with its key, so a record resent after a lost answer is filed once;
// - shows "待发送 N" on top of every page, and keeps what the server refused (the child
//   moved out of the user's scope, a wrong field) as "未能发送" with the reason, to retry
//   or delete: nothing is dropped silently;
// - on the first screen and the to-do list, keeps the record forms of the listed children
//   for offline use ("离线准备", automatic); every page of the kept kinds (first screen,
//   to-do list, children's list, a child's file, the record form) is kept when opened;
// - on sign-out, forgets the kept pages (records waiting stay, tagged with their author).
"use strict";

(() => {
  const script = document.getElementById("offline-script");
  if (!script) {
    return;
  }
  const SW_URL = script.dataset.sw;
  const SESSION_URL = script.dataset.session;
  const OUTBOX_URL = script.dataset.outbox;
  const PAGE_USER = script.dataset.user ? Number(script.dataset.user) : null;
  const PAGES_CACHE = "carenet-pages";
  const DB_NAME = "carenet-offline";
  const STORE = "outbox";
  const FORM_PATH = /^\/care\/children\/(\d+)\/records\/new\/$/;
  const PREPARE_PAGES = [/^\/$/, /^\/care\/tasks\/$/];
  // The record forms of the children listed (their files are kept when opened: fetching
  // every file ahead would write an access-log entry for files nobody read).
  const PREPARE_LINKS = [/^\/care\/children\/\d+\/records\/new\/$/];
  const PREPARE_MAX = 60;
  // Form field → API body key (the form cannot call a field "with").
  const TEXT_FIELDS = {
    place: "place",
    topics: "topics",
    mood: "mood",
    problems: "problems",
    measures: "measures",
    follow_up: "follow_up",
    present: "present",
    living_conditions: "living_conditions",
    guardian_capacity: "guardian_capacity",
    needs: "needs",
    contact_with: "with",
  };

  function text(key) {
    const node = document.querySelector(`#offline-texts [data-t="${key}"]`);
    return node ? node.textContent.trim() : key;
  }

  function newKey() {
    if (self.crypto && crypto.randomUUID) {
      return crypto.randomUUID();
    }
    const bytes = crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // --- the store (IndexedDB) ---------------------------------------------------------

  let dbPromise = null;
  function db() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function run(mode, work) {
    const database = await db();
    return new Promise((resolve, reject) => {
      const transaction = database.transaction(STORE, mode);
      const result = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  const store = {
    all: () => run("readonly", (s) => s.getAll()),
    put: (item) => run("readwrite", (s) => s.put(item)),
    remove: (key) => run("readwrite", (s) => s.delete(key)),
  };

  // --- the 待发送 bar and the outbox page ----------------------------------------------

  function note(message) {
    const node = document.getElementById("offline-note");
    if (node) {
      node.textContent = message || "";
    }
  }

  async function render() {
    let items = [];
    try {
      items = await store.all();
    } catch (error) {
      return;
    }
    const pending = items.filter((item) => item.status === "pending");
    const failed = items.filter((item) => item.status === "failed");
    const bar = document.getElementById("offline-status");
    if (bar) {
      document.getElementById("offline-pending-count").textContent = String(pending.length);
      document.getElementById("offline-failed-count").textContent = String(failed.length);
      document.getElementById("offline-pending").hidden = pending.length === 0;
      document.getElementById("offline-failed").hidden = failed.length === 0;
      bar.hidden = items.length === 0 && navigator.onLine;
      if (!navigator.onLine) {
        note(text("no_signal"));
      } else if (document.getElementById("offline-note").textContent === text("no_signal")) {
        note("");
      }
    }
    renderOutbox(items);
  }

  function renderOutbox(items) {
    const list = document.getElementById("outbox-list");
    if (!list) {
      return;
    }
    list.replaceChildren();
    items.sort((a, b) => a.created - b.created);
    for (const item of items) {
      const row = document.createElement("li");
      row.className = "list-group-item outbox-item";
      row.dataset.key = item.key;
      row.dataset.status = item.status;
      const title = document.createElement("div");
      title.className = "fw-semibold";
      title.textContent = `${item.label} · ${item.kindLabel} · ${item.body.date}`;
      const summary = document.createElement("div");
      summary.className = "small text-secondary text-break";
      summary.textContent = item.body.summary;
      const state = document.createElement("div");
      state.className = item.status === "failed" ? "small text-danger outbox-reason" : "small";
      state.textContent =
        item.status === "failed"
          ? `${text("failed")}：${item.reason}`
          : item.user !== PAGE_USER && PAGE_USER !== null
            ? `${text("pending")} · ${text("other_user")}`
            : text("pending");
      row.append(title, summary, state);
      if (item.status === "failed") {
        const actions = document.createElement("div");
        actions.className = "d-flex gap-2 mt-2 outbox-actions";
        const retry = document.createElement("button");
        retry.type = "button";
        retry.className = "btn btn-sm btn-outline-primary";
        retry.dataset.outboxAction = "retry";
        retry.textContent = text("retry");
        const remove = document.createElement("button");
        remove.type = "button";
        remove.className = "btn btn-sm btn-outline-danger";
        remove.dataset.outboxAction = "delete";
        remove.textContent = text("delete");
        actions.append(retry, remove);
        row.append(actions);
      }
      list.append(row);
    }
    document.getElementById("outbox-empty").hidden = items.length > 0;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-outbox-action]");
    if (!button) {
      return;
    }
    const key = button.closest(".outbox-item").dataset.key;
    const item = (await store.all()).find((entry) => entry.key === key);
    if (!item) {
      return;
    }
    if (button.dataset.outboxAction === "delete") {
      if (window.confirm(text("confirm_delete"))) {
        await store.remove(key);
      }
    } else {
      item.status = "pending";
      item.reason = "";
      await store.put(item);
      await flush();
    }
    await render();
  });

  // --- sending -----------------------------------------------------------------------

  let flushing = null;
  let flushes = 0;

  function reasonOf(item, status, answer) {
    if (status === 404) {
      return text("not_found");
    }
    if (status === 403) {
      return text("forbidden");
    }
    const fields = answer && Array.isArray(answer.detail) ? answer.detail : [];
    const labels = item.labels || {};
    const named = fields.map((field) => `${labels[field.field] || field.field}：${field.message}`);
    return text("invalid") + named.join("；");
  }

  async function sendAll() {
    const waiting = (await store.all()).filter((item) => item.status === "pending");
    if (waiting.length === 0 || !navigator.onLine) {
      return;
    }
    let session;
    try {
      const answer = await fetch(SESSION_URL, { cache: "no-store", credentials: "same-origin" });
      session = answer.ok ? await answer.json() : null;
    } catch (error) {
      return; // no signal after all
    }
    if (!session || !session.user) {
      note(text("sign_in"));
      return;
    }
    note(text("sending"));
    let sent = 0;
    for (const item of waiting) {
      if (item.user !== session.user) {
        continue; // written by another account on this phone: sent when it signs in
      }
      let response;
      try {
        response = await fetch(`/api/v1/children/${item.child}/records`, {
          method: "POST",
          credentials: "same-origin",
          cache: "no-store",
          headers: {
            "Content-Type": "application/json",
            "X-CSRFToken": session.csrf,
            "Idempotency-Key": item.key,
          },
          body: JSON.stringify(item.body),
        });
      } catch (error) {
        note(text("no_signal"));
        return; // the signal went again: the rest waits
      }
      if (response.status === 200 || response.status === 201) {
        await store.remove(item.key);
        sent += 1;
      } else if ([403, 404, 422].includes(response.status)) {
        let answer = null;
        try {
          answer = await response.json();
        } catch (error) {
          answer = null;
        }
        item.status = "failed";
        item.reason = reasonOf(item, response.status, answer);
        await store.put(item);
      } else if (response.status === 401) {
        note(text("sign_in"));
        return;
      } else {
        note(text("server"));
        return; // 5xx, 429: try again later
      }
    }
    note(sent ? text("sent") : "");
  }

  async function flush() {
    if (!flushing) {
      flushing = sendAll()
        .catch(() => undefined)
        .finally(() => {
          flushing = null;
        });
    }
    await flushing;
    await render();
    flushes += 1;
    document.documentElement.dataset.offlineFlushed = String(flushes); // for tests
  }

  // --- the record form ---------------------------------------------------------------

  function formBody(form) {
    const data = new FormData(form);
    const value = (name) => String(data.get(name) || "").trim();
    const body = {
      kind: value("kind"),
      date: value("date"),
      summary: value("summary"),
      confidential: data.get("confidential") !== null && data.get("confidential") !== "",
    };
    for (const [name, key] of Object.entries(TEXT_FIELDS)) {
      if (value(name)) {
        body[key] = value(name);
      }
    }
    if (value("duration_minutes")) {
      body.duration_minutes = Number(value("duration_minutes"));
    }
    return body;
  }

  // The form's labels by API field, so that a refusal names the field as the form did.
  function fieldLabels(form) {
    const labels = {};
    const apiName = { ...TEXT_FIELDS, kind: "kind", date: "date", summary: "summary" };
    apiName.duration_minutes = "duration_minutes";
    for (const [name, key] of Object.entries(apiName)) {
      const input = form.querySelector(`[name="${name}"]:not([type=radio])`);
      const label = input && input.labels && input.labels[0];
      if (label) {
        labels[key] = label.textContent.trim().replace(/\s*\*$/, ""); // without "required"
      }
    }
    return labels;
  }

  function hasPhotos(form) {
    const inputs = form.querySelectorAll("input[type=file][name=photos]");
    return Array.from(inputs).some((input) => input.files && input.files.length > 0);
  }

  // An emptied form shows the kind it was opened for again (the page's own scripts
  // switch the kind's fields and the chips on these events).
  function emptyForm(form) {
    form.reset();
    for (const input of form.querySelectorAll("input, textarea, select")) {
      input.dispatchEvent(new Event(input.tagName === "SELECT" ? "change" : "input", { bubbles: true }));
    }
  }

  function kindLabel(form, kind) {
    const select = form.querySelector("select[name=kind]");
    const option = select && Array.from(select.options).find((o) => o.value === kind);
    if (option) {
      return option.textContent.trim();
    }
    const radio = form.querySelector(`input[name=kind][value="${kind}"]`);
    const label = radio && radio.labels && radio.labels[0];
    return label ? label.textContent.trim() : kind;
  }

  function showSaved(form, message, kind) {
    let box = document.getElementById("offline-saved");
    if (!box) {
      box = document.createElement("div");
      box.id = "offline-saved";
      box.setAttribute("role", "status");
      form.before(box);
    }
    box.className = `alert alert-${kind} offline-saved`;
    box.textContent = message;
    box.scrollIntoView({ block: "center" });
  }

  // The server answers within 5 s and the page's user is still signed in: the form can
  // post as usual (else the record is kept on the phone and sent later, after sign-in).
  async function postable() {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 5000);
    try {
      const answer = await fetch(SESSION_URL, {
        cache: "no-store",
        credentials: "same-origin",
        signal: controller.signal,
      });
      return answer.ok && (await answer.json()).user === PAGE_USER;
    } catch (error) {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  function watchRecordForm() {
    const match = FORM_PATH.exec(location.pathname);
    const summary = match && document.querySelector("form [name=summary]");
    if (!summary || PAGE_USER === null) {
      return;
    }
    const form = summary.form;
    let key = newKey(); // made when the form is opened: one record, one key
    const heading = document.querySelector("main h1");
    window.addEventListener("pageshow", () => {
      form.dataset.offlineChecked = ""; // back to the form: check the signal again
    });
    form.addEventListener("submit", async (event) => {
      if (form.dataset.offlineChecked === "1") {
        return; // checked and online: the form posts as usual
      }
      event.preventDefault();
      if (navigator.onLine && (await postable())) {
        form.dataset.offlineChecked = "1";
        form.requestSubmit ? form.requestSubmit() : form.submit();
        return;
      }
      const body = formBody(form);
      if (!body.summary) {
        showSaved(form, text("summary_required"), "danger");
        summary.focus();
        return;
      }
      const item = {
        key,
        user: PAGE_USER,
        child: Number(match[1]),
        label: heading ? heading.textContent.trim() : `#${match[1]}`,
        kindLabel: kindLabel(form, body.kind),
        labels: fieldLabels(form),
        body,
        status: "pending",
        reason: "",
        created: Date.now(),
      };
      await store.put(item);
      const photos = hasPhotos(form);
      emptyForm(form);
      key = newKey();
      showSaved(form, photos ? `${text("saved")}（${text("photos_dropped")}）` : text("saved"), "success");
      await render();
      askForSync();
    });
  }

  // --- keeping pages for offline use ("离线准备") -------------------------------------

  // The scripts and styles a kept page uses (a record form's own), fetched once so that
  // the service worker keeps them too.
  const staticSeen = new Set();
  async function staticOf(response) {
    const html = await response.text();
    for (const match of html.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)) {
      const url = match[1].replaceAll("&amp;", "&");
      if (!staticSeen.has(url)) {
        staticSeen.add(url);
        await fetch(url).catch(() => undefined);
      }
    }
  }

  async function prepare() {
    if (!("caches" in self) || !navigator.onLine || PAGE_USER === null) {
      return;
    }
    if (navigator.connection && navigator.connection.saveData) {
      return;
    }
    if (!PREPARE_PAGES.some((pattern) => pattern.test(location.pathname))) {
      return;
    }
    const urls = new Set([location.pathname + location.search]);
    for (const link of document.querySelectorAll("main a[href]")) {
      const url = new URL(link.href, location.href);
      if (url.origin === location.origin && PREPARE_LINKS.some((p) => p.test(url.pathname))) {
        urls.add(url.pathname + url.search);
      }
      if (urls.size >= PREPARE_MAX) {
        break;
      }
    }
    const cache = await caches.open(PAGES_CACHE);
    let kept = 0;
    for (const url of urls) {
      if (!navigator.onLine) {
        return;
      }
      if (await cache.match(url)) {
        kept += 1;
        continue;
      }
      try {
        const response = await fetch(url, { credentials: "same-origin" });
        if (response.ok && !response.redirected) {
          await staticOf(response.clone());
          await cache.put(url, response);
          kept += 1;
        }
      } catch (error) {
        return;
      }
    }
    document.documentElement.dataset.offlineReady = String(kept);
  }

  // --- sign-out forgets the kept pages ------------------------------------------------

  document.addEventListener("submit", async (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement) || !/\/logout\/$/.test(form.action)) {
      return;
    }
    if (!("caches" in self) || form.dataset.pagesForgotten === "1") {
      return;
    }
    event.preventDefault();
    try {
      await caches.delete(PAGES_CACHE);
    } finally {
      form.dataset.pagesForgotten = "1";
      form.submit();
    }
  });

  // Pages kept for one user are not shown to the next one signed in on this phone.
  async function pagesOwner() {
    if (PAGE_USER === null || !("caches" in self)) {
      return;
    }
    const owner = localStorage.getItem("carenet-pages-user");
    if (owner !== null && owner !== String(PAGE_USER)) {
      await caches.delete(PAGES_CACHE);
    }
    localStorage.setItem("carenet-pages-user", String(PAGE_USER));
  }

  // --- start -------------------------------------------------------------------------

  async function askForSync() {
    try {
      const registration = await navigator.serviceWorker.ready;
      if (registration.sync) {
        await registration.sync.register("carenet-outbox");
      }
    } catch (error) {
      // no Background Sync: the "online" event and the page loads send the queue
    }
  }

  if ("serviceWorker" in navigator && SW_URL) {
    navigator.serviceWorker.register(SW_URL, { scope: "/" }).catch(() => undefined);
    navigator.serviceWorker.addEventListener("message", (event) => {
      if (event.data && event.data.type === "flush") {
        flush();
      }
    });
  }
  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => render());
  setInterval(() => {
    if (navigator.onLine) {
      flush();
    }
  }, 30000);

  function start() {
    pagesOwner().catch(() => undefined);
    watchRecordForm();
    const hint = document.getElementById("offline-page-hint");
    if (hint && location.pathname !== OUTBOX_URL) {
      hint.hidden = false; // the outbox page shown for a page never opened online
    }
    render().then(() => flush());
    if ("serviceWorker" in navigator) {
      navigator.serviceWorker.ready.then(() => prepare()).catch(() => undefined);
    } else {
      prepare();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
