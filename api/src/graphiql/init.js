// Starts GraphiQL on Folio's GraphiQL page.
//
// Served by the server itself (see mod.rs) so that the page needs no inline
// script under its Content-Security-Policy. It expects React, ReactDOM,
// GraphiQL and the graphql-ws client (`graphqlWs`) to have been loaded
// already as globals (by the UMD builds next to it), and reads the GraphQL
// endpoint from the `data-endpoint` attribute of the `#graphiql` element.
// Queries and mutations are POSTed to the endpoint; subscriptions speak
// graphql-transport-ws over a WebSocket to the same endpoint.
(function () {
  "use strict";

  var root = document.getElementById("graphiql");
  if (!root) {
    return;
  }

  // Resolve the endpoint against the page's own address, so that the fetcher
  // gets an absolute same-origin URL whatever host or proxy serves the page.
  var endpoint = root.getAttribute("data-endpoint") || "/graphql";
  var url = new URL(endpoint, window.location.href);

  // The same URL with the WebSocket scheme that matches the page's: ws: from
  // http:, wss: from https:. Nothing but the scheme changes, so the socket
  // stays on the page's own origin (which the CSP's connect-src 'self' allows).
  var socketUrl = new URL(url.href);
  socketUrl.protocol = url.protocol === "https:" ? "wss:" : "ws:";

  // The headers of the operation GraphiQL ran last (its Headers tab), sent as
  // the socket's connection_init payload: Folio reads a token from its
  // `authorization` (or `Authorization`) entry there, as from the HTTP
  // header. The client is lazy and closes its socket once no subscription
  // runs, so each socket is opened with the headers of the run that opened
  // it; a subscription started while another runs (in another GraphiQL tab)
  // shares that socket, and so its headers.
  var headers = {};
  var socketClient = graphqlWs.createClient({
    url: socketUrl.href,
    lazy: true,
    connectionParams: function () {
      return headers;
    },
  });
  var fetchGraphQL = GraphiQL.createFetcher({
    url: url.href,
    wsClient: socketClient,
  });
  function fetcher(params, options) {
    headers = (options && options.headers) || {};
    return fetchGraphQL(params, options);
  }

  // Full-window layout. Set through the CSSOM, which the page's CSP allows,
  // rather than with an inline <style> element or style attribute.
  document.body.style.margin = "0";
  root.style.height = "100vh";
  root.textContent = "";

  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
    }),
  );
})();
