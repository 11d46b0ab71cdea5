/*
 * What Django's admin widgets leave out for keyboard and screen-reader users, added once they
 * are built: the autocomplete's combobox (Select2) is named by its field's label, the filter
 * widget's search icons (which carry an aria-label) get the role that allows one, and a box that
 * scrolls (a raw copy, a wide inline on a phone) can be reached with the keyboard when nothing
 * inside it can.
 */
(function () {
  "use strict";

  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, [tabindex]";

  function labelText(select) {
    var label = select.id ? document.querySelector('label[for="' + select.id + '"]') : null;
    return label ? label.textContent.replace(/:\s*$/, "").trim() : "";
  }

  function nameAutocompletes() {
    document.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var next = select.nextElementSibling;
      var text = labelText(select);
      if (!next || !text) {
        return;
      }
      // The combobox and the text box inside it that shows the choice.
      next.querySelectorAll('.select2-selection[role="combobox"], [role="textbox"]').forEach(
        function (box) {
          if (!box.getAttribute("aria-label")) {
            box.setAttribute("aria-label", text);
            // It points at the empty text box until something is chosen; the label names it.
            box.removeAttribute("aria-labelledby");
          }
        }
      );
    });
  }

  function roleTooltips() {
    document.querySelectorAll(".help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }

  function reachable(box) {
    var scrolls = box.scrollWidth > box.clientWidth;
    if (scrolls && !box.hasAttribute("tabindex") && !box.querySelector(FOCUSABLE)) {
      box.setAttribute("tabindex", "0");
    }
  }

  function reachScrollingBoxes() {
    document.querySelectorAll("#content *").forEach(function (box) {
      var overflow = window.getComputedStyle(box).overflowX;
      if (overflow !== "auto" && overflow !== "scroll") {
        return;
      }
      reachable(box);
      // A box may start to scroll later, when its content or its own width changes (a late
      // font, a row the page adds): look again then, not only at load.
      if (window.ResizeObserver && !box.dataset.watched) {
        box.dataset.watched = "1";
        var observer = new ResizeObserver(function () { reachable(box); });
        observer.observe(box);
        Array.prototype.forEach.call(box.children, function (child) { observer.observe(child); });
      }
    });
  }

  function all() {
    nameAutocompletes();
    roleTooltips();
    reachScrollingBoxes();
  }

  // After the widgets' own handlers: Select2 starts on jQuery's ready, the filter widget on load
  // (both registered by scripts that come before this one).
  if (window.django && window.django.jQuery) {
    window.django.jQuery(nameAutocompletes);
  }
  window.addEventListener("load", all);
  window.addEventListener("resize", reachScrollingBoxes);
  if (document.fonts && document.fonts.ready) {
    document.fonts.ready.then(reachScrollingBoxes);
  }
})();
