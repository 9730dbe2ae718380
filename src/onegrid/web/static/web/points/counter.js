/* The points-store counter (/volunteers/counter/): the redeem form is sent once. */
import { submitOnce } from "./submit_once.js";

const form = document.getElementById("redeem-form");
if (form) {
  const reset = submitOnce(form);
  window.addEventListener("pageshow", (event) => {
    if (event.persisted) reset();
  });
}
