// The record card (care/record_form.html): the chosen kind shows its own fields only, and
// the chips of common answers fill their field. Without this file the server shows the
// fields of the kind in the address and the chips stay hidden.
"use strict";

(() => {
  const form = document.querySelector("[data-record-form]");
  if (!form) return;

  // The kind: its fieldset shown and sent, the others hidden and not sent.
  const kind = form.querySelector("[data-record-kind]");
  const showKind = () => {
    for (const fieldset of form.querySelectorAll("fieldset[data-kinds]")) {
      const own = fieldset.dataset.kinds.split(" ").includes(kind.value);
      fieldset.hidden = !own;
      fieldset.disabled = !own;
    }
  };
  kind.addEventListener("change", showKind);
  showKind();

  // A one-line field's 下一项 key moves to the next field instead of sending the form.
  form.addEventListener("keydown", (event) => {
    const field = event.target;
    if (event.key !== "Enter" || field.getAttribute("enterkeyhint") !== "next") return;
    const fields = [...form.querySelectorAll("input, select, textarea")].filter(
      (el) => !el.disabled && el.type !== "hidden" && el.offsetParent !== null,
    );
    const next = fields[fields.indexOf(field) + 1];
    if (next) {
      event.preventDefault();
      next.focus();
    }
  });

  // Chips: "append" adds the word to the field's 、-list (pressed again, takes it out);
  // "set" sets the field's value (pressed again, empties it).
  const SEPARATORS = /\s*[、，,；;]\s*/;
  const itemsOf = (value) => value.split(SEPARATORS).filter((item) => item !== "");
  const pressed = (group, input, word) =>
    group.dataset.chipMode === "set" ? input.value.trim() === word : itemsOf(input.value).includes(word);
  const refresh = (group, input) => {
    for (const chip of group.querySelectorAll("[data-chip]")) {
      chip.setAttribute("aria-pressed", String(pressed(group, input, chip.dataset.chip)));
    }
  };
  for (const group of form.querySelectorAll("[data-chips-for]")) {
    const input = document.getElementById(group.dataset.chipsFor);
    if (!input) continue;
    group.hidden = false;
    refresh(group, input);
    input.addEventListener("input", () => refresh(group, input));
    group.addEventListener("click", (event) => {
      const chip = event.target.closest("[data-chip]");
      if (!chip) return;
      const word = chip.dataset.chip;
      if (group.dataset.chipMode === "set") {
        input.value = input.value.trim() === word ? "" : word;
      } else {
        const items = itemsOf(input.value);
        const at = items.indexOf(word);
        if (at >= 0) items.splice(at, 1);
        else items.push(word);
        input.value = items.join("、");
      }
      refresh(group, input);
    });
  }
})();
