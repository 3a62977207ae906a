// CareNet page behaviour. Loaded as a file: the pages carry no inline script.
"use strict";

document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-action='print']");
  if (button) {
    event.preventDefault();
    window.print();
  }
});

// Tables that scroll sideways (.table-responsive): reachable by keyboard (tabindex) and
// named for screen readers (role=region, the table's caption or the heading above it).
(() => {
  const heading = (el) => {
    for (let node = el; node && node !== document.body; node = node.parentElement) {
      for (let prev = node.previousElementSibling; prev; prev = prev.previousElementSibling) {
        const found = prev.matches("h1, h2, h3, h4, h5, h6") ? prev : prev.querySelector("h1, h2, h3, h4, h5, h6");
        if (found && found.textContent.trim()) {
          return found.textContent.trim();
        }
      }
    }
    return document.title.split("·")[0].trim();
  };
  const label = (root) => {
    root.querySelectorAll(".table-responsive:not([tabindex])").forEach((region) => {
      region.tabIndex = 0;
      region.setAttribute("role", "region");
      if (!region.hasAttribute("aria-label") && !region.hasAttribute("aria-labelledby")) {
        const caption = region.querySelector("caption");
        region.setAttribute("aria-label", (caption && caption.textContent.trim()) || heading(region));
      }
    });
  };
  document.addEventListener("DOMContentLoaded", () => label(document));
  document.addEventListener("htmx:load", (event) => label(event.target.parentElement || document));
})();
