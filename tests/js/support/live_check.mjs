// A test bench for the form's live questions (field/live-check.js and its users): timers held
// by hand, a fetch that records each request and answers with `reply(n)` (n: the request's
// number), and `elapse()` that fires the debounce timers (the `delay` ones, leaving the request
// timeouts alone) and lets the answers settle.

export function liveBench({ delay, state, reply, start }) {
  const pending = new Map();
  let next = 1;
  const timers = {
    set(fn, ms) {
      const id = next++;
      pending.set(id, { fn, ms });
      return id;
    },
    clear(id) {
      pending.delete(id);
    },
  };
  const calls = [];
  const shown = [];
  const check = start({
    fetch: async (url, options) => {
      calls.push({ url, options, body: JSON.parse(options.body) });
      return reply(calls.length, options);
    },
    csrfToken: () => "tok",
    isOffline: () => state.offline,
    show: (list) => shown.push(list),
    delay,
    timers,
  });
  const elapse = async () => {
    for (const [id, t] of [...pending]) {
      if (t.ms === delay) {
        pending.delete(id);
        t.fn();
      }
    }
    for (let i = 0; i < 5; i++) await Promise.resolve();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { check, calls, shown, state, elapse, pending };
}
