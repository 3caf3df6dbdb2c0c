// Marks the page as having JavaScript, then starts the NHS components. A module script runs
// only in browsers nhsuk-frontend supports; the pages work without it.
import { initAll } from "/assets/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
