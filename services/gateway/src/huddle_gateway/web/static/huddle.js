// Marks the page as having JavaScript, then starts the NHS components. A module script runs
// only in browsers nhsuk-frontend supports; the pages work without it.
import { initAll } from "/assets/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();

// Live search: a form marked data-huddle-live-search asks the server for its own results
// page as the person types and puts that page's results (the same server-rendered markup)
// into the region named by data-huddle-results. Without JavaScript the Search button does
// the same.
const LIVE_SEARCH_DELAY_MS = 300;

for (const form of document.querySelectorAll("form[data-huddle-live-search]")) {
  const region = document.getElementById(form.dataset.huddleResults);
  const input = form.querySelector("input[type=text], input:not([type])");
  if (!region || !input) continue;
  let timer;
  let latest = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    if (input.value.trim() === "") return;
    timer = setTimeout(async () => {
      const asked = ++latest;
      const url = new URL(form.action, window.location.href);
      url.search = new URLSearchParams(new FormData(form)).toString();
      let response;
      try {
        response = await fetch(url, { headers: { Accept: "text/html" } });
      } catch {
        return; // the Search button still works
      }
      if (asked !== latest) return; // a later search has been sent
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = page.getElementById(region.id);
      if (!fresh) return;
      region.replaceChildren(...fresh.childNodes);
      window.history.replaceState(null, "", url);
    }, LIVE_SEARCH_DELAY_MS);
  });
}

// Copy buttons: a button marked data-huddle-copy="<id>" copies that box's text (hidden
// without JavaScript, where the box is selected and copied by hand).
for (const button of document.querySelectorAll("button[data-huddle-copy]")) {
  const box = document.getElementById(button.dataset.huddleCopy);
  if (!box || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(box.value);
      button.textContent = button.dataset.huddleCopied || "Copied";
    } catch {
      box.select(); // the person copies it themselves
    }
  });
}

// Print buttons: a button marked data-huddle-print opens the browser's print dialogue
// (hidden without JavaScript, where the browser's own Print does the same).
for (const button of document.querySelectorAll("button[data-huddle-print]")) {
  button.hidden = false;
  button.addEventListener("click", () => window.print());
}
