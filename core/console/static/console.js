// Behaviour every console page shares. No inline script or handler: the Content-Security-Policy forbids them,
// so elements ask for behaviour with data attributes and this file wires it, for htmx-swapped content too.
"use strict";

// <select data-autosubmit> submits its form when the choice changes (list filters).
document.addEventListener("change", function (event) {
  var field = event.target.closest ? event.target.closest("[data-autosubmit]") : null;
  if (field && field.form) {
    if (typeof field.form.requestSubmit === "function") {
      field.form.requestSubmit();
    } else {
      field.form.submit();
    }
  }
});
