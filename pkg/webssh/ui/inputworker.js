// The HTTP transport's POST /input requests, made from a dedicated worker
// (see webssh.js, openHTTP, and docs/webssh.md "Transports"). After a
// typed key Chromium holds the page's tasks until its next frame has been
// drawn, and a fetch started by the page waits with them (5-10 ms before
// the request leaves); a worker's thread is not held, so the keystroke
// leaves at once.
//
// Page -> worker: {url, id, lane, body: ArrayBuffer}, one POST each.
// Worker -> page: {lane, answered} when that POST has been answered
// (answered: true, whatever the status) or has failed (false).
'use strict';
self.onmessage = function (ev) {
  var m = ev.data;
  if (!m || typeof m.url !== 'string' || typeof m.id !== 'string' || !(m.body instanceof ArrayBuffer)) return;
  var done = function (answered) { self.postMessage({ lane: m.lane, answered: answered }); };
  fetch(m.url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/octet-stream', 'X-Webssh-Session': m.id },
    body: m.body,
    cache: 'no-store',
  }).then(function () { done(true); }, function () { done(false); });
};
