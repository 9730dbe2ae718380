/* The field app (templates/web/field/home.html).

   Write-ahead queue: every report and on-site action is first written to IndexedDB — its
   fields, its photos as Blobs and a random idempotency key — and only then sent to the JSON API.
   It is deleted only after a 2xx (a 200 replay included). A network failure, a timeout or a 5xx
   keeps it for the next try (on `online`, on load, every few seconds); 401/403 keeps it and asks
   the worker to sign in again; any other 4xx marks it refused, with the server's message next to
   it. The key travels with every try, so the server creates each case or action once.

   Texts come translated from the page (#field-i18n); nothing is loaded from the internet. */
(function () {
  "use strict";

  const $ = (selector, root) => (root || document).querySelector(selector);
  const $$ = (selector, root) => Array.from((root || document).querySelectorAll(selector));
  const readJson = (id) => JSON.parse(document.getElementById(id).textContent);
  const CONF = readJson("field-config");
  const T = readJson("field-i18n");
  const CLASSES = readJson("field-classes");
  const GRIDS = readJson("field-grids");
  const fmt = (text, params) =>
    String(text).replace(/%\((\w+)\)s/g, (all, name) => (name in params ? params[name] : all));

  const LIVE_WAIT_MS = 12000; // after this, a live submit goes on in the background
  const SEND_TIMEOUT_MS = 90000; // a photo upload on a weak network may take a while
  const CLAIM_MS = SEND_TIMEOUT_MS + 5000;
  const SENT_KEEP_MS = 7 * 24 * 3600 * 1000;
  const SHRINK_ABOVE_BYTES = 1536 * 1024;
  const MAX_SIDE = 2048;
  // Where a server error about a field is shown in the forms.
  const SLOT = {
    lon: "location",
    lat: "location",
    crs: "location",
    location: "location",
    address_code: "location",
    photos: "photos",
    class_code: "class_code",
    case_class: "class_code",
    description: "description",
    address: "address",
    reason: "reason",
    result: "result",
  };

  // ---------------------------------------------------------------- storage (IndexedDB)

  const DB_NAME = "onegrid-field";
  const STORES = ["outbox", "sent"];
  const TAB = newKey(); // this tab, for claims on queued items
  let dbPromise = null;
  let memory = null; // used only where IndexedDB is missing (some private modes)

  function openDb() {
    if (!dbPromise) {
      dbPromise = new Promise((resolve, reject) => {
        if (!window.indexedDB) {
          reject(new Error("no IndexedDB"));
          return;
        }
        const request = indexedDB.open(DB_NAME, 1);
        request.onupgradeneeded = () => {
          for (const name of STORES) {
            if (!request.result.objectStoreNames.contains(name)) {
              request.result.createObjectStore(name, { keyPath: "key" });
            }
          }
        };
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      });
    }
    return dbPromise;
  }

  async function withStore(name, mode, work) {
    let db;
    try {
      db = await openDb();
    } catch (error) {
      if (!memory) {
        memory = { outbox: new Map(), sent: new Map() };
        toast(T.storageFailed, "warn");
      }
      return work(null, memory[name]);
    }
    return new Promise((resolve, reject) => {
      const tx = db.transaction(name, mode);
      const request = work(tx.objectStore(name), null);
      let result;
      if (request) request.onsuccess = () => (result = request.result);
      // Resolve once the transaction is durable: only then is a report safe to send.
      tx.oncomplete = () => resolve(result);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const getAll = (name) =>
    withStore(name, "readonly", (store, map) => (store ? store.getAll() : void 0)).then(
      (rows) => rows || Array.from(memory ? memory[name].values() : []),
    );
  const getOne = (name, key) =>
    withStore(name, "readonly", (store, map) => (store ? store.get(key) : void 0)).then(
      (row) => row || (memory ? memory[name].get(key) : undefined),
    );
  const putOne = (name, value) =>
    withStore(name, "readwrite", (store, map) => (store ? store.put(value) : map.set(value.key, value) && null));
  const deleteOne = (name, key) =>
    withStore(name, "readwrite", (store, map) => (store ? store.delete(key) : map.delete(key) && null));

  function newKey() {
    // crypto.randomUUID exists only in secure contexts; getRandomValues works on plain http too.
    const bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  /* Claim an item for this tab before sending it: {item} when claimed, else {held} (whether it
     is still there, being sent elsewhere). Two tabs of the app (or a tab and an
     installed window) share the queue; IndexedDB runs read-write transactions on a store one at
     a time, so only one of them wins the claim and the request leaves the phone once. A claim
     lapses after CLAIM_MS, so a tab closed mid-send does not hold an item for ever. */
  async function claim(key) {
    const now = Date.now();
    // Any live claim, this tab's included: a live submit and a flush must not both send.
    const free = (item) => item && !(item.claim && item.claim.until > now);
    let db;
    try {
      db = await openDb();
    } catch (error) {
      const item = memory && memory.outbox.get(key);
      if (!free(item)) return { held: Boolean(item) };
      item.claim = { tab: TAB, until: now + CLAIM_MS };
      return { item };
    }
    return new Promise((resolve, reject) => {
      const tx = db.transaction("outbox", "readwrite");
      const store = tx.objectStore("outbox");
      let claimed = { held: false };
      const request = store.get(key);
      request.onsuccess = () => {
        const item = request.result;
        if (!free(item)) {
          claimed = { held: Boolean(item) };
          return;
        }
        item.claim = { tab: TAB, until: now + CLAIM_MS };
        store.put(item);
        claimed = { item };
      };
      tx.oncomplete = () => resolve(claimed);
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error);
    });
  }

  const claimedElsewhere = (item) =>
    Boolean(item.claim && item.claim.tab !== TAB && item.claim.until > Date.now());

  const byCreated = (a, b) => a.createdAt - b.createdAt;
  const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // ---------------------------------------------------------------- sending

  function csrfToken() {
    // Read at send time: signing in again changes the token.
    const name = CONF.csrfCookie + "=";
    for (const part of document.cookie.split(";")) {
      const cookie = part.trim();
      if (cookie.startsWith(name)) return decodeURIComponent(cookie.slice(name.length));
    }
    return "";
  }

  function actionUrl(caseId, action) {
    return CONF.actionUrl.replace("CASE", encodeURIComponent(caseId)).replace("ACTION", action);
  }

  async function post(item, url) {
    const body = new FormData();
    for (const [name, value] of Object.entries(item.fields)) {
      if (value !== "" && value !== null && value !== undefined) body.append(name, value);
    }
    for (const photo of item.photos) body.append("photos", photo.blob, photo.name);
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), SEND_TIMEOUT_MS);
    let response;
    let data = null;
    try {
      response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Idempotency-Key": item.key, "X-CSRFToken": csrfToken(), Accept: "application/json" },
        signal: abort.signal,
      });
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    } catch (error) {
      return { outcome: "retry", network: true };
    } finally {
      clearTimeout(timer);
    }
    const status = response.status;
    if (status >= 200 && status < 300) return { outcome: "sent", data };
    if (status === 401 || (status === 403 && !(data && data.code === "forbidden"))) {
      return { outcome: "auth", status };
    }
    if (status === 408 || status === 425 || status === 429 || status >= 500) {
      return { outcome: "retry", status };
    }
    return {
      outcome: "refused",
      status,
      error: {
        message: (data && data.message) || fmt(T.serverError, { status }),
        field: (data && data.field) || null,
        errors: (data && data.errors) || null,
      },
    };
  }

  const inflight = new Set();
  const discarded = new Set();
  let flushing = null;

  /* Send one stored item; returns the outcome after the store reflects it. */
  async function sendItem(queued) {
    // The stored copy, claimed: another tab may have sent, refused or changed it meanwhile.
    const claimed = await claim(queued.key);
    const item = claimed.item;
    // Gone (sent or discarded meanwhile), or being sent right now by another tab.
    if (!item) return { outcome: "busy", held: claimed.held };
    if (item.status === "refused" && queued.status !== "refused") {
      await keep(item, {});
      return { outcome: "busy" };
    }
    let url = item.url;
    if (item.after) {
      // A self-close saved with its report: it needs the case the report created.
      if (await getOne("outbox", item.after)) {
        await keep(item, {});
        return { outcome: "wait" };
      }
      const parent = await getOne("sent", item.after);
      if (!parent) {
        const error = { message: T.reportDiscarded, field: null };
        await keep(item, { status: "refused", error });
        return { outcome: "refused", error };
      }
      url = actionUrl(parent.caseId, item.action);
    }
    inflight.add(item.key);
    renderQueueSoon();
    let result;
    try {
      result = await post(item, url);
    } finally {
      inflight.delete(item.key);
    }
    if (result.outcome === "sent") {
      const found = (result.data && result.data.case) || {};
      // Record the case before dropping the item: a self-close waiting for this report must
      // never find neither (a crash in between only means one harmless replay).
      await putOne("sent", {
        key: item.key,
        user: item.user,
        kind: item.kind,
        action: item.action || "",
        label: item.label,
        caseId: found.id || item.caseId || "",
        number: found.number || item.caseNumber || "",
        stateLabel: found.state_label || "",
        replayed: Boolean(result.data && result.data.replayed),
        at: Date.now(),
      });
      await deleteOne("outbox", item.key);
      setAuthLost("send", false);
    } else if (result.outcome === "auth") {
      await keep(item, { status: "auth" });
      setAuthLost("send", true);
    } else if (result.outcome === "refused") {
      await keep(item, { status: "refused", error: result.error });
    } else {
      await keep(item, { status: "waiting", attempts: (item.attempts || 0) + 1 });
    }
    renderQueueSoon();
    return result;
  }

  async function keep(item, changes) {
    if (discarded.has(item.key)) return;
    Object.assign(item, changes, { claim: null });
    await putOne("outbox", item);
  }

  function flush() {
    if (!flushing) {
      flushing = flushAll().finally(() => {
        flushing = null;
      });
    }
    return flushing;
  }

  async function flushAll() {
    if (navigator.onLine === false) {
      await renderQueue();
      return;
    }
    const items = (await getAll("outbox")).sort(byCreated);
    let sent = 0;
    for (const item of items) {
      if (item.user !== CONF.user || item.status === "refused" || inflight.has(item.key)) continue;
      const result = await sendItem(item);
      if (result.outcome === "sent") sent += 1;
      // Stop where another tab is sending: it goes on in order, so reports arrive as made.
      if (result.outcome === "busy" && result.held) break;
      if (result.outcome === "auth" || (result.outcome === "retry" && result.network)) break;
    }
    if (sent) {
      toast(fmt(T.flushed, { n: sent }));
      refreshTasks(true);
    }
    await renderQueue();
  }

  // ---------------------------------------------------------------- page state

  function toast(text, kind) {
    const box = $("#toast");
    box.textContent = text;
    box.className = "toast" + (kind ? " " + kind : "");
    box.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (box.hidden = true), 10000);
  }

  // The banner shows while anything says the session is gone: a send answered 401/403, an item
  // of mine still waiting for a sign-in, the task list redirected to the sign-in page, or the
  // address search answered 401/403.
  const authLost = { send: false, queue: false, page: false, address: false };
  function setAuthLost(source, lost) {
    authLost[source] = lost;
    $("#auth-banner").hidden = !Object.values(authLost).some(Boolean);
  }

  function showNetwork() {
    $("#net-status").hidden = navigator.onLine !== false;
  }

  // ---------------------------------------------------------------- errors next to fields

  function clearErrors(form) {
    for (const slot of $$("[data-error-for]", form)) {
      slot.hidden = true;
      slot.textContent = "";
    }
    for (const block of $$("[data-invalid]", form)) delete block.dataset.invalid;
    for (const input of $$("[aria-invalid]", form)) input.removeAttribute("aria-invalid");
  }

  function showError(form, field, message) {
    const name = SLOT[field] || field;
    const slot =
      $(`[data-error-for="${name}"]`, form) || $('[data-error-for="_form"]', form);
    slot.textContent = slot.hidden || !slot.textContent ? message : slot.textContent + " " + message;
    slot.hidden = false;
    const block = slot.closest(".field-block");
    if (block) {
      block.dataset.invalid = "";
      for (const input of $$("input:not([type=hidden]), textarea, select", block)) {
        input.setAttribute("aria-invalid", "true");
      }
    }
    return slot;
  }

  // Once the worker changes a field, its old error goes (the server's word stays elsewhere).
  function clearBlockError(input) {
    const block = input.closest && input.closest(".field-block[data-invalid]");
    if (!block || input.type === "search") return;
    delete block.dataset.invalid;
    for (const slot of $$("[data-error-for]", block)) slot.hidden = true;
    for (const el of $$("[aria-invalid]", block)) el.removeAttribute("aria-invalid");
  }

  function showErrors(form, errors) {
    let first = null;
    for (const { field, message } of errors) {
      const slot = showError(form, field, message);
      first = first || slot;
    }
    if (first) first.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  function serverErrors(error) {
    if (error.errors && error.errors.length) {
      return error.errors.map((e) => ({ field: e.field, message: e.message }));
    }
    return [{ field: error.field, message: error.message }];
  }

  // ---------------------------------------------------------------- photos

  async function shrink(file) {
    if (file.size <= SHRINK_ABOVE_BYTES || !window.createImageBitmap) return file;
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
      const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      const canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/jpeg", 0.85));
      if (!blob || blob.size >= file.size) return file;
      return new File([blob], file.name.replace(/\.[^.]*$/, "") + ".jpg", { type: "image/jpeg" });
    } catch (error) {
      return file; // the server judges what the phone could not decode
    }
  }

  async function photosOf(input) {
    const photos = [];
    for (const file of Array.from(input.files || [])) {
      const ready = await shrink(file);
      photos.push({ blob: ready, name: ready.name || "photo.jpg", type: ready.type || "" });
    }
    return photos;
  }

  function tooLarge(photos) {
    const big = photos.find((p) => p.blob.size > CONF.maxPhotoBytes);
    return big
      ? fmt(T.photoTooLarge, { name: big.name, mb: Math.round(CONF.maxPhotoBytes / 1048576) })
      : "";
  }

  function showThumbs(input) {
    const box = $(`[data-thumbs-for="${input.id}"]`);
    if (!box) return;
    for (const img of $$("img", box)) URL.revokeObjectURL(img.src);
    box.textContent = "";
    for (const file of Array.from(input.files || [])) {
      const img = document.createElement("img");
      img.alt = file.name;
      img.src = URL.createObjectURL(file);
      img.onerror = () => {
        const name = document.createElement("span");
        name.className = "file-name";
        name.textContent = file.name;
        img.replaceWith(name);
      };
      box.appendChild(img);
    }
    const block = input.closest(".field-block");
    const slot = block && $('[data-error-for="photos"]', block);
    if (slot && input.files.length) {
      slot.hidden = true;
      delete block.dataset.invalid;
    }
  }

  function clearFiles(input) {
    input.value = "";
    showThumbs(input);
  }

  function setFiles(input, photos) {
    try {
      const transfer = new DataTransfer();
      for (const p of photos) transfer.items.add(new File([p.blob], p.name, { type: p.type }));
      input.files = transfer.files;
    } catch (error) {
      input.value = "";
    }
    showThumbs(input);
  }

  // ---------------------------------------------------------------- location and map

  const reportForm = $("#report-form");
  let map = null;
  let marker = null;
  let accuracyRing = null;
  let homeBounds = null; // the worker's grids, or the district for residents
  let point = null; // {lon, lat, source: "gps"|"map", accuracy}
  let manual = false;
  let watchId = null;

  function pointInRing(lon, lat, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function gridAt(lon, lat) {
    for (const feature of GRIDS.features) {
      const g = feature.geometry;
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      for (const rings of polygons) {
        if (pointInRing(lon, lat, rings[0]) && !rings.slice(1).some((hole) => pointInRing(lon, lat, hole))) {
          return feature.properties.name;
        }
      }
    }
    return null;
  }

  function setPoint(lon, lat, source, accuracy) {
    point = { lon, lat, source, accuracy };
    $("#report-lon").value = lon.toFixed(7);
    $("#report-lat").value = lat.toFixed(7);
    $("#report-crs").value = "wgs84"; // browser geolocation and the map are both WGS-84
    let text = source === "gps" ? fmt(T.gpsFix, { m: Math.max(1, Math.round(accuracy || 0)) }) : T.mapPoint;
    const grid = gridAt(lon, lat);
    if (grid) text += " · " + fmt(T.inGrid, { grid });
    else if (GRIDS.features.length) text += " · " + T.outsideGrids;
    $("#loc-status").textContent = text;
    const block = $('[data-field="location"]', reportForm);
    const slot = $('[data-error-for="location"]', reportForm);
    slot.hidden = true;
    delete block.dataset.invalid;
    drawPoint(source === "gps");
  }

  function drawPoint(follow) {
    if (!map || !point) return;
    const at = [point.lat, point.lon];
    if (!marker) {
      marker = L.circleMarker(at, { radius: 9, color: "#fff", weight: 3, fillColor: "#b3261e", fillOpacity: 1 }).addTo(map);
    } else {
      marker.setLatLng(at);
    }
    if (accuracyRing) accuracyRing.remove();
    accuracyRing = null;
    if (point.source === "gps" && point.accuracy) {
      accuracyRing = L.circle(at, { radius: point.accuracy, color: "#0b57d0", weight: 1, fillOpacity: 0.08, interactive: false }).addTo(map);
    }
    // Follow the GPS near the worker's own area; a fix far away (a wrong or foreign position)
    // leaves the map on the grids, where a tap can set the point instead.
    if (follow && (!homeBounds || homeBounds.pad(0.5).contains(at))) {
      map.setView(at, Math.max(map.getZoom() || 0, 16));
    }
  }

  // ---------------------------------------------------------------- standard address picker
  // Online only: a search on the address API (near the GPS point when there is one). A chosen
  // address is sent alone (address_code, no lon/lat): the server takes its point and grid.

  const picker = $("#address-picker");
  let chosenAddress = null; // {code, name, lon?, lat?}
  let addressMarker = null;
  let addressTimer = null;
  let addressSeq = 0;

  function showAddressNetwork() {
    if (!picker) return;
    const offline = navigator.onLine === false;
    $("#address-offline").hidden = !offline;
    $("#address-search").disabled = offline;
    if (offline) $("#address-results").textContent = "";
  }

  function addressNote(text) {
    const box = $("#address-results");
    box.textContent = "";
    const note = document.createElement("p");
    note.className = "muted";
    note.textContent = text;
    box.appendChild(note);
  }

  async function searchAddresses() {
    const query = $("#address-search").value.trim();
    const seq = ++addressSeq;
    if (!query) {
      $("#address-results").textContent = "";
      return;
    }
    if (navigator.onLine === false) {
      showAddressNetwork();
      return;
    }
    const params = new URLSearchParams({ q: query, limit: "10" });
    if (point && point.source === "gps") {
      params.set("near_lon", point.lon.toFixed(7));
      params.set("near_lat", point.lat.toFixed(7));
    }
    let response;
    let data = null;
    try {
      response = await fetch(`${CONF.addressesUrl}?${params}`, {
        credentials: "same-origin",
        cache: "no-store",
        headers: { Accept: "application/json" },
      });
      try {
        data = await response.json();
      } catch (error) {
        data = null;
      }
    } catch (error) {
      if (seq === addressSeq) addressNote(T.addressNeedsNetwork);
      return;
    }
    if (seq !== addressSeq) return; // a newer search is on its way
    const status = response.status;
    // As for the queue: a lost session (401, or a 403 that is not a refusal) asks for a
    // sign-in; another 4xx shows the server's message; a 5xx is the network's fault.
    const authLostNow =
      status === 401 || response.redirected || (status === 403 && !(data && data.code === "forbidden"));
    setAuthLost("address", authLostNow);
    if (authLostNow) {
      addressNote(T.addressSignIn);
      return;
    }
    if (status >= 400 && status < 500) {
      addressNote((data && data.message) || fmt(T.serverError, { status }));
      return;
    }
    if (status < 200 || status >= 300 || !data) {
      addressNote(T.addressNeedsNetwork);
      return;
    }
    const items = data.items || [];
    const box = $("#address-results");
    box.textContent = "";
    if (!items.length) addressNote(T.addressNone);
    for (const item of items) {
      const option = document.createElement("button");
      option.type = "button";
      option.className = "address-option";
      option.dataset.address = item.code;
      option.textContent = item.name;
      const where = document.createElement("span");
      where.className = "where";
      const parts = [item.code, item.grid_name || ""];
      if (item.distance_m !== null && item.distance_m !== undefined) {
        parts.push(fmt(T.addressDistance, { m: Math.round(item.distance_m) }));
      }
      where.textContent = parts.filter(Boolean).join(" · ");
      option.appendChild(where);
      option.addEventListener("click", () => chooseAddress(item));
      box.appendChild(option);
    }
  }

  function chooseAddress(entry) {
    if (!picker) return;
    chosenAddress = entry || null;
    $("#report-address-code").value = entry ? entry.code : "";
    const shown = $("#address-selected");
    shown.hidden = !entry;
    $("span", shown).textContent = entry ? fmt(T.addressChosen, { name: entry.name, code: entry.code }) : "";
    $("#address-results").textContent = "";
    $("#address-search").value = "";
    if (entry) {
      const block = $('[data-field="location"]', reportForm);
      $('[data-error-for="location"]', block).hidden = true;
      delete block.dataset.invalid;
    }
    drawAddress();
  }

  function drawAddress() {
    if (addressMarker) addressMarker.remove();
    addressMarker = null;
    if (!map || !chosenAddress || typeof chosenAddress.lon !== "number") return;
    const at = [chosenAddress.lat, chosenAddress.lon];
    addressMarker = L.circleMarker(at, { radius: 9, color: "#fff", weight: 3, fillColor: "#0b57d0", fillOpacity: 1 }).addTo(map);
    map.setView(at, Math.max(map.getZoom() || 0, 16));
  }

  function initMap() {
    if (map || !window.L) return;
    map = L.map("report-map", { attributionControl: Boolean(CONF.tileUrl), zoomSnap: 0.5 });
    if (map.attributionControl) map.attributionControl.setPrefix("Leaflet");
    if (CONF.tileUrl) {
      L.tileLayer(CONF.tileUrl, { attribution: CONF.tileAttribution, maxZoom: 19 }).addTo(map);
    }
    const grids = L.geoJSON(GRIDS, {
      interactive: false,
      style: { color: "#b3261e", weight: 3, fillColor: "#b3261e", fillOpacity: 0.07 },
    }).addTo(map);
    if (grids.getLayers().length) {
      homeBounds = grids.getBounds();
    } else if (CONF.districtBounds) {
      const [west, south, east, north] = CONF.districtBounds;
      homeBounds = L.latLngBounds([south, west], [north, east]);
    }
    if (homeBounds) {
      map.fitBounds(homeBounds, { padding: [10, 10] });
    } else {
      map.setView([39.2, 117.1], 12);
    }
    map.on("click", (event) => {
      manual = true;
      stopGps();
      // The tapped point is what gets sent: it replaces a chosen standard address.
      if (chosenAddress) chooseAddress(null);
      setPoint(event.latlng.lng, event.latlng.lat, "map");
    });
    drawPoint(point && point.source === "gps");
    drawAddress();
  }

  function resizeMap() {
    // Only while the map is on screen: a hidden (zero-sized) map would lose its centre.
    const box = $("#report-map");
    if (map && box.offsetWidth > 0 && box.offsetHeight > 0) map.invalidateSize();
  }

  function startGps() {
    if (!navigator.geolocation) {
      if (!point) $("#loc-status").textContent = T.gpsUnavailable;
      return;
    }
    stopGps();
    manual = false;
    if (!point || point.source !== "gps") $("#loc-status").textContent = T.locating;
    watchId = navigator.geolocation.watchPosition(
      (position) => {
        if (!manual) {
          setPoint(position.coords.longitude, position.coords.latitude, "gps", position.coords.accuracy);
        }
      },
      () => {
        if (!point) $("#loc-status").textContent = T.gpsFailed;
      },
      { enableHighAccuracy: true, maximumAge: 30000, timeout: 20000 },
    );
  }

  function stopGps() {
    if (watchId !== null) navigator.geolocation.clearWatch(watchId);
    watchId = null;
  }

  // ---------------------------------------------------------------- class picker

  const classByCode = new Map(CLASSES.map((c) => [c.code, c]));

  function classChip(entry, withCode) {
    const chip = document.createElement("button");
    chip.type = "button";
    chip.className = "chip";
    chip.dataset.code = entry.code;
    chip.setAttribute("aria-pressed", String(entry.code === $("#report-class").value));
    chip.textContent = entry.name;
    if (withCode) {
      const code = document.createElement("span");
      code.className = "code";
      code.textContent = " " + entry.code;
      chip.appendChild(code);
    }
    if (entry.minor) {
      const minor = document.createElement("span");
      minor.className = "minor";
      minor.textContent = " ✓";
      chip.appendChild(minor);
    }
    return chip;
  }

  function matches(query) {
    const q = query.trim().toLowerCase();
    if (!q) return [];
    return CLASSES.filter((c) =>
      [c.code, c.name, c.alt || "", c.major].some((text) => text.toLowerCase().includes(q)),
    ).slice(0, 12);
  }

  function searchClasses() {
    const box = $("#class-results");
    box.textContent = "";
    const query = $("#class-search").value;
    if (!query.trim()) return;
    const found = matches(query);
    if (!found.length) {
      const none = document.createElement("p");
      none.className = "muted";
      none.textContent = T.noMatch;
      box.appendChild(none);
    }
    for (const entry of found) box.appendChild(classChip(entry, true));
  }

  function selectClass(code) {
    $("#report-class").value = code || "";
    for (const chip of $$(".chip", reportForm)) {
      chip.setAttribute("aria-pressed", String(chip.dataset.code === code));
    }
    const entry = classByCode.get(code);
    const shown = $("#class-selected");
    shown.hidden = !entry;
    shown.textContent = entry ? fmt(T.selected, { name: `${entry.name} (${entry.code})` }) : "";
    if (entry) {
      const block = $('[data-field="class_code"]', reportForm);
      $('[data-error-for="class_code"]', block).hidden = true;
      delete block.dataset.invalid;
    }
  }

  // ---------------------------------------------------------------- reporting

  let editingKey = null;
  let lastReport = null; // the item just reported, for the self-close that may follow

  async function submitReport(event) {
    event.preventDefault();
    const form = reportForm;
    clearErrors(form);
    const photoInput = $("#report-photo");
    const errors = [];
    if (CONF.photoRequired && !photoInput.files.length) errors.push({ field: "photos", message: T.needPhoto });
    const addressCode = picker ? $("#report-address-code").value : "";
    if (!addressCode && (!$("#report-lon").value || !$("#report-lat").value)) {
      errors.push({ field: "location", message: T.needLocation });
    }
    if (!$("#report-class").value) errors.push({ field: "class_code", message: T.needClass });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const button = $("#report-submit");
    const label = button.textContent;
    button.disabled = true;
    button.textContent = T.sending;
    try {
      const photos = await photosOf(photoInput);
      const big = tooLarge(photos);
      if (big) {
        showErrors(form, [{ field: "photos", message: big }]);
        return;
      }
      const entry = classByCode.get($("#report-class").value);
      const item = {
        key: newKey(),
        user: CONF.user,
        kind: "report",
        action: "",
        label: `${T.report} · ${entry ? entry.name : $("#report-class").value}${addressCode ? " · " + chosenAddress.name : ""}`,
        url: CONF.reportUrl,
        // At a standard address the address alone is sent: a GPS point a little off, in the
        // next grid, would only make the server refuse the report.
        fields: addressCode
          ? { address_code: addressCode }
          : { lon: $("#report-lon").value, lat: $("#report-lat").value, crs: $("#report-crs").value },
        addressName: addressCode ? chosenAddress.name : "",
        photos,
        minor: Boolean(entry && entry.minor),
        createdAt: Date.now(),
        status: "waiting",
      };
      Object.assign(item.fields, {
        class_code: $("#report-class").value,
        description: $("#report-description").value.trim(),
        address: $("#report-address").value.trim(),
      });
      // An edited report keeps its old copy in the queue until one is accepted.
      const outcome = await submitFromForm(form, item);
      if (!outcome) return;
      if (editingKey) await replaceEdited(editingKey, item.key);
      finishReport(item, outcome);
    } finally {
      button.disabled = false;
      button.textContent = label;
    }
  }

  /* Send a just-stored item, but give the form back after LIVE_WAIT_MS: the send then goes on
     in the background and its outcome shows in the queue. */
  /* Keep the item on the phone first, then try it live. A refusal means nothing was created:
     the item is dropped and the server's errors are shown by their fields in `form`, which
     keeps everything typed; the caller gets null. Any other outcome is returned. */
  async function submitFromForm(form, item) {
    await putOne("outbox", item);
    const outcome = await sendLive(item);
    if (outcome.outcome !== "refused") return outcome;
    discarded.add(item.key);
    await deleteOne("outbox", item.key);
    showErrors(form, serverErrors(outcome.error));
    renderQueue();
    return null;
  }

  async function sendLive(item) {
    if (navigator.onLine === false) return { outcome: "retry", network: true };
    const sending = sendItem(item);
    const outcome = await Promise.race([sending, delay(LIVE_WAIT_MS).then(() => ({ outcome: "slow" }))]);
    if (outcome.outcome === "slow") {
      sending.then((late) => {
        if (late.outcome === "sent") toast(fmt(T.flushed, { n: 1 }));
      });
    }
    return outcome;
  }

  function finishReport(item, outcome) {
    lastReport = item;
    const messages = {
      sent: () => fmt(T.sentReport, { number: outcome.data.case.number }),
      auth: () => T.queuedAuth,
      slow: () => T.queuedSlow,
      wait: () => T.queued,
      retry: () => T.queued,
    };
    const text = (messages[outcome.outcome] || messages.retry)();
    resetReportForm();
    reportForm.hidden = true;
    const after = $("#after-report");
    after.hidden = false;
    const line = $("#after-report-text");
    line.textContent = text;
    line.classList.toggle("warn", outcome.outcome !== "sent");
    const fix = $("#fix-form");
    fix.hidden = !(item.minor && CONF.photoRequired);
    clearErrors(fix);
    clearFiles($("#fix-photo"));
    $("#fix-reason").value = "";
    $("#fix-submit").disabled = false;
    after.scrollIntoView({ block: "start" });
    renderQueue();
  }

  function resetReportForm() {
    clearErrors(reportForm);
    clearFiles($("#report-photo"));
    $("#report-description").value = "";
    $("#report-address").value = "";
    chooseAddress(null);
    $("#class-search").value = "";
    $("#class-results").textContent = "";
    selectClass("");
    editingKey = null;
    $("#editing-note").hidden = true;
    // The next problem is usually close by: keep a GPS point, follow the GPS again.
    if (point && point.source === "map") {
      point = null;
      $("#report-lon").value = "";
      $("#report-lat").value = "";
      if (marker) marker.remove();
      marker = null;
    }
    if (!$("#tab-report").hidden) startGps();
  }

  function reportAnother() {
    $("#after-report").hidden = true;
    reportForm.hidden = false;
    resizeMap();
    lastReport = null;
    $("#report-photo").focus();
  }

  async function submitFix(event) {
    event.preventDefault();
    const form = $("#fix-form");
    clearErrors(form);
    const input = $("#fix-photo");
    if (!input.files.length) {
      showErrors(form, [{ field: "photos", message: T.needAfterPhoto }]);
      return;
    }
    if (!lastReport) return;
    const button = $("#fix-submit");
    button.disabled = true;
    const photos = await photosOf(input);
    const big = tooLarge(photos);
    if (big) {
      showErrors(form, [{ field: "photos", message: big }]);
      button.disabled = false;
      return;
    }
    const item = {
      key: newKey(),
      user: CONF.user,
      kind: "action",
      action: "self_close",
      after: lastReport.key,
      label: `${T.actions.self_close} · ${lastReport.label.split(" · ").slice(1).join(" · ")}`,
      url: "",
      fields: { reason: $("#fix-reason").value.trim() },
      photos,
      createdAt: Date.now(),
      status: "waiting",
    };
    const outcome = await submitFromForm(form, item);
    if (!outcome) {
      button.disabled = false;
      return;
    }
    form.hidden = true;
    const line = $("#after-report-text");
    if (outcome.outcome === "sent") {
      const found = outcome.data.case;
      line.textContent = fmt(T.sentAction, { action: T.actions.self_close, number: found.number, state: found.state_label });
      line.classList.remove("warn");
      refreshTasks(true);
    } else {
      line.textContent = outcome.outcome === "wait" ? T.selfCloseQueued : T.queued;
      line.classList.add("warn");
    }
    renderQueue();
  }

  async function replaceEdited(oldKey, newKeyValue) {
    discarded.add(oldKey);
    await deleteOne("outbox", oldKey);
    for (const item of await getAll("outbox")) {
      if (item.after === oldKey) {
        item.after = newKeyValue;
        if (item.status === "refused") item.status = "waiting";
        await putOne("outbox", item);
      }
    }
  }

  async function editItem(key) {
    const item = await getOne("outbox", key);
    if (!item || item.kind !== "report") return;
    showTab("report", true);
    reportAnother();
    resetReportForm();
    editingKey = key;
    $("#editing-note").hidden = false;
    setFiles($("#report-photo"), item.photos);
    if (item.fields.lon && item.fields.lat) {
      manual = true;
      stopGps();
      setPoint(Number(item.fields.lon), Number(item.fields.lat), "map");
    }
    if (item.fields.address_code) {
      chooseAddress({ code: item.fields.address_code, name: item.addressName || item.fields.address_code });
    }
    selectClass(item.fields.class_code);
    $("#report-description").value = item.fields.description || "";
    $("#report-address").value = item.fields.address || "";
    if (item.error) showErrors(reportForm, serverErrors(item.error));
  }

  // ---------------------------------------------------------------- on-site actions

  async function submitAction(event) {
    const form = event.target;
    event.preventDefault();
    const action = (event.submitter && event.submitter.value) || form.dataset.action;
    if (!action) return;
    clearErrors(form);
    const input = $('input[type="file"]', form);
    const reason = $('textarea[name="reason"]', form).value.trim();
    const chosen = $('input[name="result"]:checked', form);
    const errors = [];
    if (action === "self_close" && !input.files.length) errors.push({ field: "photos", message: T.needAfterPhoto });
    if (action === "verify" && !chosen) errors.push({ field: "result", message: T.needResult });
    if (action === "fail_check" && !reason) errors.push({ field: "reason", message: T.needReason });
    if (errors.length) {
      showErrors(form, errors);
      return;
    }
    const buttons = $$("button", form);
    buttons.forEach((b) => (b.disabled = true));
    try {
      const photos = await photosOf(input);
      const big = tooLarge(photos);
      if (big) {
        showErrors(form, [{ field: "photos", message: big }]);
        return;
      }
      const fields = { reason };
      if (action === "verify") fields.result = chosen.value;
      const item = {
        key: newKey(),
        user: CONF.user,
        kind: "action",
        action,
        caseId: form.dataset.caseId,
        caseNumber: form.dataset.caseNumber,
        label: `${T.actions[action] || action} · ${form.dataset.className} ${form.dataset.caseNumber}`,
        url: actionUrl(form.dataset.caseId, action),
        fields,
        photos,
        createdAt: Date.now(),
        status: "waiting",
      };
      const outcome = await submitFromForm(form, item);
      if (!outcome) return;
      const card = form.closest(".card");
      if (outcome.outcome === "sent") {
        const found = outcome.data.case;
        markCard(card, fmt(T.sentAction, { action: T.actions[action] || action, number: found.number, state: found.state_label }), false);
        const state = $(".state", card);
        state.textContent = found.state_label;
        state.className = "state state-" + found.state;
      } else {
        markCard(card, outcome.outcome === "auth" ? T.queuedAuth : T.queued, true);
      }
      renderQueue();
    } finally {
      buttons.forEach((b) => (b.disabled = false));
    }
  }

  /* A card whose action still waits on the phone says so and offers no second go: a fresh
     list (or the kept page, offline) would otherwise invite the same work twice. */
  function markCard(card, text, warn) {
    card.classList.add("done");
    const sheet = $("details.sheet", card);
    if (sheet) {
      sheet.open = false;
      sheet.hidden = true;
    }
    const line = $(".done-line", card);
    if (line) {
      line.hidden = false;
      line.textContent = text;
      line.classList.toggle("warn", warn);
    }
  }

  async function markQueuedCards() {
    for (const item of await getAll("outbox")) {
      if (item.kind !== "action" || !item.caseId || item.user !== CONF.user) continue;
      for (const card of $$(`.card[data-case-id="${item.caseId}"]`)) {
        markCard(card, item.status === "refused" ? T.refused + ": " + item.error.message : T.queued, true);
      }
    }
  }

  let tasksLoading = false;

  async function refreshTasks(force) {
    const body = $("#tasks-body");
    if (tasksLoading || navigator.onLine === false || document.hidden) return;
    if (!force && $("#tab-tasks").hidden) return;
    // Never throw away what the worker is filling in.
    if ($("details.sheet[open]", body) || $$("textarea, input[type=file]", body).some((i) => i.value)) return;
    tasksLoading = true;
    try {
      const response = await fetch(CONF.tasksUrl, { credentials: "same-origin", headers: { Accept: "text/html" } });
      if (response.redirected || response.status === 401) {
        setAuthLost("page", true);
        return;
      }
      setAuthLost("page", false);
      if (!response.ok) return;
      const html = await response.text();
      if ($("details.sheet[open]", body)) return;
      body.innerHTML = html;
      $("#tasks-count").textContent = $("#tasks-total", body).dataset.count;
      await markQueuedCards();
    } catch (error) {
      // offline: the list stays as it was
    } finally {
      tasksLoading = false;
    }
  }

  // ---------------------------------------------------------------- the queue tab

  function timeOf(ms) {
    const d = new Date(ms);
    return `${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")} ${String(d.getHours()).padStart(2, "0")}:${String(d.getMinutes()).padStart(2, "0")}`;
  }

  let renderTimer = null;
  function renderQueueSoon() {
    clearTimeout(renderTimer);
    renderTimer = setTimeout(renderQueue, 50);
  }

  async function renderQueue() {
    const items = (await getAll("outbox")).sort(byCreated);
    const waitingKeys = new Set(items.map((i) => i.key));
    const mineWaitingSignIn = items.some((i) => i.user === CONF.user && i.status === "auth");
    setAuthLost("queue", mineWaitingSignIn);
    if (!mineWaitingSignIn) setAuthLost("send", false);
    const count = $("#queue-count");
    count.textContent = String(items.length);
    count.hidden = items.length === 0;
    $("#queue-summary").textContent = items.length ? fmt(T.queueCount, { n: items.length }) : T.queueEmpty;
    const list = $("#queue-list");
    list.textContent = "";
    for (const item of items) {
      const li = document.createElement("li");
      li.className = "queue-item";
      li.dataset.key = item.key;
      const mine = item.user === CONF.user;
      let status = item.status;
      if (!mine) status = "other";
      else if (inflight.has(item.key) || claimedElsewhere(item)) status = "sending";
      li.dataset.status = status;
      const what = document.createElement("p");
      what.className = "what";
      what.textContent = item.label;
      const when = document.createElement("p");
      when.className = "muted";
      when.textContent = `${timeOf(item.createdAt)} · ${fmt(T.photos, { n: item.photos.length })}`;
      const state = document.createElement("p");
      state.className = "status";
      state.textContent = {
        sending: T.sendingItem,
        auth: T.authItem,
        refused: T.refused,
        other: T.otherUser,
      }[status] || (item.after && waitingKeys.has(item.after) ? T.waitsForReport : T.waiting);
      li.append(what, when, state);
      if (status === "refused" && item.error) {
        const error = document.createElement("p");
        error.className = "error";
        error.setAttribute("role", "alert");
        error.textContent = item.error.message;
        li.appendChild(error);
      }
      if (status === "refused" || status === "other") {
        const buttons = document.createElement("p");
        buttons.className = "buttons";
        if (status === "refused" && item.kind === "report") {
          const edit = document.createElement("button");
          edit.type = "button";
          edit.className = "primary";
          edit.dataset.edit = item.key;
          edit.textContent = T.edit;
          buttons.appendChild(edit);
        }
        const discard = document.createElement("button");
        discard.type = "button";
        discard.dataset.discard = item.key;
        discard.textContent = T.discard;
        buttons.appendChild(discard);
        li.appendChild(buttons);
      }
      list.appendChild(li);
    }
    await renderSent();
  }

  async function renderSent() {
    // Only what the signed-in worker sent: a shared phone does not show one worker's cases to
    // the next.
    const rows = (await getAll("sent"))
      .filter((row) => row.user === CONF.user)
      .sort((a, b) => b.at - a.at);
    const list = $("#sent-list");
    list.textContent = "";
    for (const row of rows.slice(0, 10)) {
      const li = document.createElement("li");
      const link = document.createElement("a");
      link.href = CONF.caseUrl.replace("NUMBER", encodeURIComponent(row.number));
      link.textContent = row.number;
      li.append(`${timeOf(row.at)} · ${row.label}${row.stateLabel ? " · " + row.stateLabel : ""} · `, link);
      list.appendChild(li);
    }
  }

  async function discardItem(key) {
    const item = await getOne("outbox", key);
    if (!item) return;
    if (item.user !== CONF.user && !window.confirm(T.discardOther)) return;
    const gone = [key];
    for (const other of await getAll("outbox")) if (other.after === key) gone.push(other.key);
    for (const k of gone) {
      discarded.add(k);
      await deleteOne("outbox", k);
    }
    renderQueue();
  }

  async function forgetOldSent() {
    const limit = Date.now() - SENT_KEEP_MS;
    for (const row of await getAll("sent")) if (row.at < limit) await deleteOne("sent", row.key);
  }

  /* Signing out drops the kept copy of this page (it lists this worker's tasks), so nobody sees
     it offline after them. What waits in the queue stays: it is sent once its owner signs in. */
  async function forgetPage(event) {
    if (!window.caches || event.target.dataset.forgotten) return;
    event.preventDefault();
    try {
      for (const name of await caches.keys()) {
        if (name.startsWith("onegrid-field-")) await (await caches.open(name)).delete(CONF.scope);
      }
    } catch (error) {
      // the sign-out matters more than the cache
    }
    event.target.dataset.forgotten = "1";
    event.target.submit();
  }

  // ---------------------------------------------------------------- tabs

  function showTab(name, remember, initial) {
    if (!$(`#tab-${name}`)) name = "tasks";
    for (const panel of $$(".tab-panel")) panel.hidden = panel.dataset.tab !== name;
    for (const tab of $$('.field-tabs [role="tab"]')) {
      tab.setAttribute("aria-selected", String(tab.dataset.tab === name));
    }
    if (name === "report") {
      initMap();
      resizeMap();
      if (!manual) startGps();
    } else {
      stopGps();
    }
    if (name === "queue") renderQueue();
    if (name === "tasks" && !initial) refreshTasks();
    if (remember) history.replaceState(null, "", "#" + name);
  }

  // ---------------------------------------------------------------- wiring

  document.addEventListener("click", (event) => {
    const tab = event.target.closest('.field-tabs [role="tab"]');
    if (tab) {
      event.preventDefault();
      showTab(tab.dataset.tab, true);
      return;
    }
    const chip = event.target.closest(".chip[data-code]");
    if (chip) {
      selectClass(chip.dataset.code);
      return;
    }
    const submit = event.target.closest('.action-form button[name="action"]');
    if (submit) submit.form.dataset.action = submit.value; // for browsers without event.submitter
    const discard = event.target.closest("[data-discard]");
    if (discard) discardItem(discard.dataset.discard);
    const edit = event.target.closest("[data-edit]");
    if (edit) editItem(edit.dataset.edit);
  });
  document.addEventListener("submit", (event) => {
    if (event.target.matches(".action-form")) submitAction(event);
    else if (new URL(event.target.action, location.href).pathname === CONF.logoutUrl) forgetPage(event);
  });
  document.addEventListener("change", (event) => {
    if (event.target.matches('input[type="file"]')) showThumbs(event.target);
    else clearBlockError(event.target);
  });
  document.addEventListener("input", (event) => clearBlockError(event.target));
  reportForm.addEventListener("submit", submitReport);
  $("#fix-form").addEventListener("submit", submitFix);
  $("#report-another").addEventListener("click", reportAnother);
  $("#loc-gps").addEventListener("click", startGps);
  $("#queue-send").addEventListener("click", () => flush());
  $("#class-search").addEventListener("input", searchClasses);
  $("#class-search").addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    const found = matches(event.target.value);
    if (found.length === 1) selectClass(found[0].code);
  });
  if (picker) {
    $("#address-search").addEventListener("input", () => {
      clearTimeout(addressTimer);
      addressTimer = setTimeout(searchAddresses, 250);
    });
    $("#address-search").addEventListener("keydown", (event) => {
      if (event.key === "Enter") event.preventDefault(); // not a submit of the report
    });
    $("#address-clear").addEventListener("click", () => chooseAddress(null));
  }
  window.addEventListener("online", () => {
    showNetwork();
    showAddressNetwork();
    flush();
  });
  window.addEventListener("offline", () => {
    showNetwork();
    showAddressNetwork();
  });
  window.addEventListener("hashchange", () => showTab(location.hash.slice(1)));
  document.addEventListener("visibilitychange", () => {
    if (!document.hidden) {
      flush();
      refreshTasks();
    }
  });

  showNetwork();
  showAddressNetwork();
  const initial = location.hash.slice(1) || (CONF.photoRequired ? "tasks" : "report");
  showTab(initial, false, true);
  forgetOldSent().catch(() => {});
  markQueuedCards().catch(() => {});
  flush();
  setInterval(flush, CONF.retrySeconds * 1000);
  setInterval(refreshTasks, CONF.pollSeconds * 1000);

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register(CONF.swUrl, { scope: CONF.scope }).catch(() => {});
  }
})();
