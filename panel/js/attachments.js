// Files to attach: a button or drag and drop, each file checked before anything is uploaded (size, type,
// count; for e-mail the total), uploaded straight to storage through the presigned POST the API answers
// (POST .../uploads), with a progress bar per file, and removable before the message is sent.

import { ApiError } from "./api.js";
import { h, uid } from "./dom.js";
import { formatBytes } from "./format.js";

export const MAX_FILE_BYTES = 25 * 1024 * 1024;
export const MAX_FILES = 10;
// What the service sends (layers/sideconv/uploads.py ALLOWED_TYPES); anything else is refused here first.
const TYPES = new Set(["application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/heic",
  "text/plain", "text/csv", "application/json", "message/rfc822", "application/msword",
  "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/vnd.ms-excel",
  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
  "application/vnd.openxmlformats-officedocument.presentationml.presentation",
  "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet", "video/mp4",
  "audio/mpeg"]);

/** Why a file cannot be attached, or null. */
export function refusal(file, held, { maxTotal }) {
  if (file.size > MAX_FILE_BYTES) return `${file.name} is ${formatBytes(file.size)}; a file may be at most 25 MB.`;
  if (!file.size) return `${file.name} is empty.`;
  if (!TYPES.has(file.type)) return `${file.name}: files of this type (${file.type || "unknown"}) cannot be sent.`;
  if (held.length >= MAX_FILES) return `At most ${MAX_FILES} files.`;
  const total = held.reduce((sum, f) => sum + f.file.size, 0) + file.size;
  if (maxTotal && total > maxTotal) {
    return `${file.name}: a message by this channel carries at most ${formatBytes(maxTotal)} of files in all.`;
  }
  return null;
}

/** POST the file to the presigned form, reporting progress (0..1); resolves when storage answers 2xx. */
function post(form, file, onProgress) {
  return new Promise((resolve, reject) => {
    const body = new FormData();
    for (const [name, value] of Object.entries(form.fields)) body.append(name, value);
    body.append("file", file);
    const xhr = new XMLHttpRequest();
    xhr.open("POST", form.url);
    xhr.upload.onprogress = (event) => { if (event.lengthComputable) onProgress(event.loaded / event.total); };
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve()
      : reject(new ApiError(xhr.status, { title: "Upload refused", detail: `Storage answered ${xhr.status}.` })));
    xhr.onerror = () => reject(new ApiError(0, { title: "Upload failed", detail: "Storage could not be reached." }));
    xhr.send(body);
  });
}

/**
 * @param {import("./api.js").Api} api
 * @param {string} conversationId
 * @param {{maxTotal: (number|null)}} options the channel's bound on all files together
 */
export function attachmentPicker(api, conversationId, { maxTotal }) {
  const held = [];
  const inputId = uid("sc-files");
  const input = h("input", { type: "file", id: inputId, multiple: true, class: "sc-sr-only", "data-field": "attachments" });
  const list = h("ul", { class: "sc-file-list", "aria-label": "Files to send" });
  const problem = h("p", { class: "sc-files-error", role: "alert", hidden: true });
  const zone = h("fieldset", { class: "sc-files" }, h("legend", { text: "Attachments" }),
    h("p", { class: "sc-hint", text: "Drop files here, or " },
      h("label", { for: inputId, class: "sc-button sc-link", text: "choose files" }), input,
      ". Up to 10 files, 25 MB each."), problem, list);

  const say = (text) => {
    problem.textContent = text || "";
    problem.hidden = !text;
  };

  const add = (file) => {
    const why = refusal(file, held, { maxTotal });
    if (why) {
      say(why);
      return;
    }
    const progress = h("progress", { max: "1", value: "0", "aria-label": `Uploading ${file.name}` });
    const status = h("span", { class: "sc-muted", text: " uploading…" });
    const entry = { file, uploadId: null, done: false, failed: false };
    const remove = h("button", { type: "button", class: "sc-button sc-link", text: "Remove",
      "aria-label": `Remove ${file.name}` });
    const row = h("li", { class: "sc-file" }, h("span", { text: `${file.name} (${formatBytes(file.size)})` }), " ",
      progress, status, " ", remove);
    remove.addEventListener("click", () => {
      held.splice(held.indexOf(entry), 1);
      row.remove();
      say("");
    });
    held.push(entry);
    list.append(row);
    entry.promise = (async () => {
      try {
        const form = await api.upload(conversationId, { filename: file.name, content_type: file.type, size: file.size });
        await post(form, file, (fraction) => { progress.value = fraction; });
        entry.uploadId = form.upload_id;
        entry.done = true;
        progress.value = 1;
        status.textContent = " ready";
      } catch (error) {
        entry.failed = true;
        status.textContent = ` not uploaded: ${error.detail || error.message}`;
        row.classList.add("sc-file-failed");
      }
    })();
  };

  input.addEventListener("change", () => {
    say("");
    for (const file of input.files) add(file);
    input.value = "";
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("sc-drop");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("sc-drop"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("sc-drop");
    say("");
    for (const file of event.dataTransfer?.files || []) add(file);
  });

  return {
    element: zone,
    ids: () => held.filter((f) => f.done).map((f) => f.uploadId),
    problems: () => {
      if (held.some((f) => !f.done && !f.failed)) return [{ field: "attachments", detail: "Wait for the files to finish uploading." }];
      if (held.some((f) => f.failed)) return [{ field: "attachments", detail: "Remove the files that could not be uploaded." }];
      return [];
    },
  };
}
