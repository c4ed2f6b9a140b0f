// Starts GraphiQL on /graphql (vitrine's development page). Queries and
// mutations go over HTTP with the headers typed in GraphiQL's header editor;
// subscriptions go over /graphql/ws (graphql-transport-ws) with those same
// headers as the connection_init payload, so `{"Authorization": "Bearer …"}`
// signs in both.
(function () {
  'use strict';
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql/ws';
  var http = GraphiQL.createFetcher({ url: location.origin + '/graphql' });

  // One socket per set of headers: new headers (another user) get a new
  // connection_init, so a new socket.
  var socket = null;
  function socketFor(headers) {
    var key = JSON.stringify(headers || {});
    if (!socket || socket.key !== key) {
      if (socket) socket.client.dispose();
      socket = {
        key: key,
        client: graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: headers || {} }),
      };
    }
    return socket.client;
  }

  function isSubscription(params, opts) {
    var doc = opts && opts.documentAST;
    if (!doc) return /^\s*subscription\b/.test(params.query || '');
    return doc.definitions.some(function (d) {
      return (
        d.kind === 'OperationDefinition' &&
        d.operation === 'subscription' &&
        (!params.operationName || (d.name && d.name.value === params.operationName))
      );
    });
  }

  function fetcher(params, opts) {
    if (isSubscription(params, opts)) {
      return socketFor(opts && opts.headers).iterate(params);
    }
    return http(params, opts);
  }

  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: true,
    }),
  );
})();
