// Starts GraphiQL on Folio's GraphiQL page.
//
// Served by the server itself (see mod.rs) so that the page needs no inline
// script under its Content-Security-Policy. It expects React, ReactDOM and
// GraphiQL to have been loaded already as globals (by the UMD builds next to
// it), and reads the GraphQL endpoint from the `data-endpoint` attribute of
// the `#graphiql` element.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  if (!root) {
    return;
  }

  // Resolve the endpoint against the page's own address, so that the fetcher
  // gets an absolute same-origin URL whatever host or proxy serves the page.
  var endpoint = root.getAttribute("data-endpoint") || "/graphql";
  var url = new URL(endpoint, window.location.href).href;

  // Full-window layout. Set through the CSSOM, which the page's CSP allows,
  // rather than with an inline <style> element or style attribute.
  document.body.style.margin = "0";
  root.style.height = "100vh";
  root.textContent = "";

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: GraphiQL.createFetcher({ url: url }),
      defaultEditorToolsVisibility: true,
    }),
  );
})();
