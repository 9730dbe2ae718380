/* Sending a form's item: kept on the phone first, then tried at once. */

import { fmt } from "../lib/dom.js";
import { serverErrors, showErrors } from "./forms.js";
import { toast } from "./status.js";

/**
 * submitFromForm(form, item): keeps `item` in the queue and tries it live. A refusal means
 * nothing was created: the item is dropped, the server's errors are shown by their fields in
 * `form` (which keeps everything typed) and the result is null. Any other outcome is returned;
 * a slow send goes on in the background and says so when it lands.
 */
export function createSubmitter({ outbox, queueView, T }) {
  return async function submitFromForm(form, item) {
    const outcome = await outbox.submit(item);
    if (outcome.later) {
      outcome.later.then((late) => {
        if (late.outcome === "sent") toast(fmt(T.flushed, { n: 1 }));
      });
    }
    if (outcome.outcome !== "refused") return outcome;
    showErrors(form, serverErrors(outcome.error));
    queueView.render();
    return null;
  };
}
