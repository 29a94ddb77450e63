// Starts Swagger UI on /api/docs. Kept out of the HTML so the page needs no inline script.
// validatorUrl is null: the default badge would ask validator.swagger.io, and docs must work
// offline.
window.addEventListener("load", function () {
  "use strict";
  var root = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: root.getAttribute("data-openapi-url"),
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
