/* The volunteer's phone pages (/field/volunteering/): what a button sends and what an answer
   means, kept apart from the DOM so node tests can hold it (tests/js/volunteering.test.mjs).

   Every check-in, check-out and sign-up carries an idempotency key kept in the phone's storage
   per activity and action until the server has answered it: a tap repeated after a lost answer
   sends the same key, and the server answers the first result again instead of a second row. */

/** A fresh random key (crypto.randomUUID where the phone has it). */
export function newKey(cryptoApi) {
  const c = cryptoApi || globalThis.crypto;
  if (c && typeof c.randomUUID === "function") return c.randomUUID();
  const bytes = new Uint8Array(16);
  c.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

const storageName = (activityId, action) => `onegrid-volunteering:${activityId}:${action}`;

/** The key of this activity's action: the stored one of an unanswered try, else a new one. */
export function actionKey(storage, activityId, action, make = newKey) {
  const name = storageName(activityId, action);
  let key = null;
  try {
    key = storage.getItem(name);
  } catch {
    key = null;
  }
  if (!key) {
    key = make();
    try {
      storage.setItem(name, key);
    } catch {
      /* private mode: the key lives for this tap only */
    }
  }
  return key;
}

/** Forget the key once the server has answered (a success or a refusal). */
export function forgetKey(storage, activityId, action) {
  try {
    storage.removeItem(storageName(activityId, action));
  } catch {
    /* nothing kept */
  }
}

/** The JSON body of a check-in or check-out from a Geolocation position (WGS-84). */
export function locationBody(position, key) {
  const { longitude, latitude, accuracy } = position.coords;
  const body = { lon: longitude, lat: latitude, idempotency_key: key };
  if (Number.isFinite(accuracy)) body.accuracy = Math.round(accuracy);
  return body;
}

/**
 * What an API answer means: {outcome: "done"|"refused"|"auth"|"retry", message, field}.
 * A refusal keeps the server's translated message (it names the distance of a far check-in);
 * a lost session asks for a sign-in; a network or server failure may be tried again (with the
 * same key).
 */
export function meaning(status, body, strings) {
  if (status >= 200 && status < 300) return { outcome: "done", message: "", field: null };
  if (status === 401 || (status === 403 && (!body || body.code === "csrf_failed"))) {
    return { outcome: "auth", message: strings.signIn, field: null };
  }
  if (status >= 400 && status < 500 && body && body.message) {
    return { outcome: "refused", message: String(body.message), field: body.field || null };
  }
  return { outcome: "retry", message: strings.retry, field: null };
}

/** A distance for people: "350 m", "1.2 km". */
export function distanceText(metres) {
  if (!Number.isFinite(metres)) return "";
  if (metres < 1000) return `${Math.round(metres)} m`;
  return `${(metres / 1000).toFixed(1)} km`;
}

/** An ISO time as Beijing time "MM-DD HH:MM" (the API answers +08:00). */
export function shortTime(iso) {
  const match = /^\d{4}-(\d{2})-(\d{2})T(\d{2}):(\d{2})/.exec(String(iso || ""));
  return match ? `${match[1]}-${match[2]} ${match[3]}:${match[4]}` : "";
}
