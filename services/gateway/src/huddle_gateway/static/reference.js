// Starts Swagger UI on the API reference page. A file, not an inline script, so that the
// page's Content-Security-Policy can allow scripts from this origin only.
window.addEventListener("load", () => {
  const target = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: target.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    validatorUrl: null, // no badge fetched from validator.swagger.io
    queryConfigEnabled: false, // the page's address cannot load another document
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
  });
});
