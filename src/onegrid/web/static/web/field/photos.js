/* Photos for reports and on-site actions: shrunk on the phone when large, kept as Blobs in the
   queue, previewed as thumbnails (file names as text where a picture cannot be shown). */

import { $, $$, el, fmt } from "../lib/dom.js";

const SHRINK_ABOVE_BYTES = 1536 * 1024;
const MAX_SIDE = 2048;

/** A large photo re-encoded as a JPEG of at most MAX_SIDE pixels a side; others as they are. */
export async function shrink(file) {
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

/** The photos of a file input, ready for the queue: [{blob, name, type}]. */
export async function photosOf(input) {
  const photos = [];
  for (const file of Array.from(input.files || [])) {
    const ready = await shrink(file);
    photos.push({ blob: ready, name: ready.name || "photo.jpg", type: ready.type || "" });
  }
  return photos;
}

/** The message for the first photo over `maxBytes`, or "" when all fit. */
export function tooLarge(photos, maxBytes, template) {
  const big = photos.find((p) => p.blob.size > maxBytes);
  return big ? fmt(template, { name: big.name, mb: Math.round(maxBytes / 1048576) }) : "";
}

/** Thumbnails of the chosen files under the input (its `[data-thumbs-for]` box). */
export function showThumbs(input) {
  const box = $(`[data-thumbs-for="${CSS.escape(input.id)}"]`);
  if (!box) return;
  for (const img of $$("img", box)) URL.revokeObjectURL(img.src);
  box.textContent = "";
  for (const file of Array.from(input.files || [])) {
    const img = el("img", { alt: file.name, src: URL.createObjectURL(file) });
    // Not a picture the phone can show: its name instead, as text.
    img.addEventListener("error", () => img.replaceWith(el("span", { className: "file-name", text: file.name })));
    box.appendChild(img);
  }
  const block = input.closest(".field-block");
  const slot = block && $('[data-error-for="photos"]', block);
  if (slot && input.files.length) {
    slot.hidden = true;
    delete block.dataset.invalid;
  }
}

export function clearFiles(input) {
  input.value = "";
  showThumbs(input);
}

/** Puts queued photos back into a file input (editing a refused report). */
export function setFiles(input, photos) {
  try {
    const transfer = new DataTransfer();
    for (const p of photos) transfer.items.add(new File([p.blob], p.name, { type: p.type }));
    input.files = transfer.files;
  } catch (error) {
    input.value = "";
  }
  showThumbs(input);
}
