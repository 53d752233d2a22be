// Starts Swagger UI for the page served by core.web.openapi_ui (no inline script: the CSP forbids it).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var container = document.getElementById("swagger-container");
  var csrfCookie = container.dataset.csrfCookie;
  var csrfHeader = container.dataset.csrfHeader;
  function cookie(name) {
    var found = document.cookie.split("; ").find(function (part) { return part.indexOf(name + "=") === 0; });
    return found ? decodeURIComponent(found.slice(name.length + 1)) : undefined;
  }
  var ui = SwaggerUIBundle({
    url: container.dataset.specUrl,
    dom_id: "#swagger-container",
    deepLinking: true,
    showExtensions: true,
    showCommonExtensions: true,
    presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
    // "Try it out" with the console's session cookie needs the CSRF token on writes, as any cookie client does.
    requestInterceptor: function (request) {
      var token = cookie(csrfCookie);
      if (token !== undefined) {
        request.headers[csrfHeader] = token;
      }
      return request;
    }
  });
  window.quanyuOpenApiUi = ui;
});
